#!/usr/bin/env bash
# The self-managing cluster (issue 5), with real processes on loopback: 5 targets x 2
# VDEVs, R=3, a 3 s failure timeout.
#  1. objects written; a stream of config changes (tenant creates) during which the Raft
#     leader is SIGKILLed -> a new leader within seconds, every acknowledged change kept;
#  2. the killed leader held data -> `ccow system status --json` reports a new FlexHash
#     generation and zero under-replicated chunks within a bounded time; all objects read;
#  3. it returns -> declared alive, a new generation, healed again, its data kept;
#  4. a sixth target joins -> rows move to it (chunks moved, none below R), objects read
#     during and after the move;
#  5. the whole cluster restarts -> the same generation, all objects readable.
# Throughout, objects of a tenant of R=2 and of a bucket of R=4 keep exactly their own
# count of replicas (puts, a dedup that raises R, the healer after a death).
# usage: cluster_heal_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-heal.XXXXXX")
CL="$WORK/cluster"
export CCOW_CLUSTER="$CL"
cleanup() {
  [ -n "${READER_PID:-}" ] && kill "$READER_PID" 2>/dev/null
  "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  "$CCOW" system status >&2 2>&1
  grep -h "declared\|published\|healer" "$CL"/target*/target.log 2>/dev/null | sort | tail -20 >&2
  exit 1
}
status_field() { "$CCOW" --json system status 2>/dev/null | "$PYTHON" -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
pid_of() { "$PYTHON" -c "import json,sys; print([t['pid'] for t in json.load(open('$CL/cluster.json'))['targets'] if t['name']=='$1'][0])"; }
# Waits (bounded) until status reports generation > $1, all alive targets healed.
wait_healed() {
  local min_gen=$1 what=$2 start=$SECONDS
  for i in $(seq 1 120); do
    local s
    s=$(status_field "j['flexhash_generation'], j['under_replicated_chunks'], j['healed']")
    set -- $s
    if [ "${1:-0}" -gt "$min_gen" ] && [ "${2:-x}" = 0 ] && [ "${3:-}" = True ]; then
      echo "  $what: generation $1, zero under-replicated, after $((SECONDS - start)) s"
      GEN=$1
      return 0
    fi
    sleep 0.5
  done
  fail "$what: not healed within 60 s (last: $s)"
}
# check_replicas NAME R [RECORDED]: every chunk of NAME's current version is held by
# exactly R VDEVs that answer, each recording RECORDED (default R) as its replication count.
check_replicas() {
  "$CCOW" --json object stat --replicas "$1" >"$WORK/replicas.json" || fail "object stat --replicas $1"
  "$PYTHON" - "$WORK/replicas.json" "$2" "${3:-$2}" <<'PY' || fail "$1 is not kept at R=$2 (${3:-$2} recorded): $(cat "$WORK/err")"
import json, sys
j = json.load(open(sys.argv[1])); want = int(sys.argv[2]); rec = int(sys.argv[3])
bad = [(c['kind'], [h['vdev'] + '=' + str(h['replication_count']) for h in c['holders']])
       for c in j['chunks'] if len(c['holders']) != want or any(h['replication_count'] != rec for h in c['holders'])]
open(sys.argv[1].replace('replicas.json', 'err'), 'w').write(str(bad[:3]))
sys.exit(1 if bad else 0)
PY
}
verify_all() {
  for i in $(seq 1 $N); do
    "$CCOW" object get "ccow/default/heal/obj$i" --out "$WORK/got" || fail "$1: obj$i unreadable"
    cmp -s "$WORK/got" "$WORK/obj$i" || fail "$1: obj$i differs"
  done
}

"$CCOW" cluster up --targets 5 --vdevs 2 --dir "$CL" --dead-timeout-ms 3000 >"$WORK/up.log" 2>&1 ||
  { cat "$WORK/up.log"; fail "cluster up"; }
[ "$(status_field "j['flexhash_generation'], j['healed']")" = "1 True" ] || fail "a new cluster is not at generation 1, healed"

# Objects: sizes from 1 B to 3 MiB (chunks of 1 MiB), each different.
N=40
for i in $(seq 1 $N); do
  head -c $(( (i * i * 2017) % (3 << 20) + 1 )) /dev/urandom >"$WORK/obj$i"
  "$CCOW" object put "ccow/default/heal/obj$i" "$WORK/obj$i" >/dev/null || fail "put obj$i"
done
echo "  $N objects written"

# 1. Config changes while the Raft leader dies.
"$CCOW" cluster create ccow >/dev/null || fail "cluster create"
"$CCOW" cluster create ccow 2>"$WORK/err" && fail "creating an existing cluster namespace succeeded"
grep -q "exists" "$WORK/err" || fail "no clear error for an existing name: $(cat "$WORK/err")"
"$CCOW" bucket create ccow/nobody/b --ec 4:2:rs 2>"$WORK/err" && fail "a bucket in a missing tenant was created"
# Per-tenant and per-bucket replication counts apply to puts.
"$CCOW" tenant create ccow/two -r 2 >/dev/null && "$CCOW" bucket create ccow/two/b >/dev/null &&
  "$CCOW" tenant create ccow/wide >/dev/null && "$CCOW" bucket create ccow/wide/four -r 4 >/dev/null ||
  fail "creating the tenant of R=2 and the bucket of R=4"
head -c $((2500 << 10)) /dev/urandom >"$WORK/rtwo"
head -c $((2500 << 10)) /dev/urandom >"$WORK/rshared"
"$CCOW" object put ccow/two/b/only "$WORK/rtwo" >/dev/null || fail "put into the R=2 tenant"
"$CCOW" object put ccow/two/b/shared "$WORK/rshared" >/dev/null || fail "put into the R=2 tenant"
check_replicas ccow/two/b/only 2
check_replicas ccow/two/b/shared 2
"$CCOW" object put ccow/wide/four/shared "$WORK/rshared" >/dev/null || fail "put into the R=4 bucket"
check_replicas ccow/wide/four/shared 4
# The R=2 object's payload chunks, now shared with the R=4 one, were raised to 4.
"$CCOW" --json object stat --replicas ccow/two/b/shared >"$WORK/replicas.json" || fail "object stat --replicas"
"$PYTHON" -c "import json,sys; j=json.load(open('$WORK/replicas.json')); p=[c for c in j['chunks'] if c['kind']=='payload']
sys.exit(0 if len(p)==3 and all(len(c['holders'])==4 and all(h['replication_count']==4 for h in c['holders']) for c in p) else 1)" ||
  fail "the dedup of an R=2 object's chunks into an R=4 bucket did not raise them to 4: $(cat "$WORK/replicas.json")"
echo "  R=2 tenant and R=4 bucket: their chunks on 2 and 4 VDEVs; a dedup raised shared chunks to 4"
LEADER=$(status_field "j['leader']['target']")
[ -n "$LEADER" ] || fail "no Raft leader"
: >"$WORK/acked"
for t in $(seq 1 30); do
  if [ "$t" = 10 ]; then
    kill -9 "$(pid_of "$LEADER")"
    KILLED_AT=$SECONDS
  fi
  "$CCOW" tenant create "ccow/ten$t" -r 2 >/dev/null 2>&1 && echo "ten$t" >>"$WORK/acked"
done
NEW_LEADER=$(status_field "j['leader']['target']")
[ -n "$NEW_LEADER" ] && [ "$NEW_LEADER" != "$LEADER" ] || fail "no new leader after killing $LEADER"
echo "  leader $LEADER killed; $NEW_LEADER leads; $(wc -l <"$WORK/acked") of 30 tenant creates acknowledged"
[ "$(wc -l <"$WORK/acked")" -ge 20 ] || fail "too few config changes committed around the leader change"
"$CCOW" --json cluster show ccow >"$WORK/show.json" || fail "cluster show"
while read -r t; do
  "$PYTHON" -c "import json,sys; sys.exit(0 if '$t' in json.load(open('$WORK/show.json'))['tenants'] else 1)" ||
    fail "acknowledged tenant $t lost"
done <"$WORK/acked"

# 2. The dead target's chunks are re-replicated.
wait_healed 1 "after SIGKILL of $LEADER"
[ "$(status_field "[t['state'] for t in j['targets'] if t['name']=='$LEADER'][0]")" = dead ] || fail "$LEADER not declared dead"
verify_all "with $LEADER dead"
check_replicas ccow/two/b/only 2
check_replicas ccow/wide/four/shared 4
echo "  after healing: the R=2 object on 2 VDEVs, the R=4 object on 4 (of the 4 live targets)"

# 3. It returns, keeping its data.
"$CCOW" cluster up --dir "$CL" >/dev/null || fail "restarting $LEADER"
wait_healed "$GEN" "after $LEADER returned"
[ "$(status_field "[t['state'] for t in j['targets'] if t['name']=='$LEADER'][0]")" = alive ] || fail "$LEADER not alive again"
verify_all "with $LEADER back"

# 4. A sixth target joins while a reader reads every object in a loop.
( for round in 1 2 3 4 5 6 7 8 9 10; do
    for i in $(seq 1 $N); do
      "$CCOW" object get "ccow/default/heal/obj$i" --out "$WORK/rgot" && cmp -s "$WORK/rgot" "$WORK/obj$i" ||
        { echo "obj$i in round $round" >>"$WORK/reader.fail"; }
    done
  done ) &
READER_PID=$!
"$CCOW" cluster up --dir "$CL" --add 1 >"$WORK/add.log" 2>&1 || { cat "$WORK/add.log"; fail "adding a target"; }
wait_healed "$GEN" "after target5 joined"
MOVED=$(status_field "sum(t['heal']['moved'] for t in j['targets'] if 'heal' in t)")
ON_NEW=$(status_field "[t['state'] for t in j['targets'] if t['name']=='target5'][0]")
[ "$ON_NEW" = alive ] || fail "target5 is not a live member"
[ "$MOVED" -gt 0 ] || fail "no chunk moved to the new target's rows"
echo "  $MOVED chunks moved off VDEVs that left their rows"
wait "$READER_PID"
READER_PID=
[ -s "$WORK/reader.fail" ] && fail "reads failed during the move: $(head -3 "$WORK/reader.fail")"
verify_all "after the join"

# 5. Whole-cluster restart.
"$CCOW" cluster down --dir "$CL" >/dev/null || fail "cluster down"
"$CCOW" cluster up --dir "$CL" >/dev/null || fail "cluster up after down"
for i in $(seq 1 40); do
  G=$(status_field "j['flexhash_generation']")
  [ "$G" = "$GEN" ] && break
  sleep 0.5
done
[ "$G" = "$GEN" ] || fail "after a restart the generation is $G, not $GEN"
verify_all "after a whole-cluster restart"
echo "PASS"
