#!/usr/bin/env bash
# Cluster garbage collection runs by itself, driven by the Raft leader (real processes on
# loopback): 4 targets, R=3, `cluster up --gc-interval 3s --gc-fence-grace 1s
# --quarantine-retention 1s`. `ccow system gc --now` is never run.
#  1. objects written (one twice under two names: dedup), four deleted: within a bounded
#     wait the chunk replicas stored fall by exactly those of the deleted versions (a
#     version manifest and a payload chunk each, R=3: 24), every live object reads back
#     byte-identical, and only the leader ran passes;
#  2. the leader SIGKILLed during a pass (in its grace period, every VDEV's pin window
#     open): another target leads, closes the windows the killed pass left, and its
#     passes complete (its counter rises); an object deleted after the failover is freed
#     by them, and every live object still reads back byte-identical.
# usage: cluster_gc_periodic_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-cgcp.XXXXXX")
CL="$WORK/cluster"
export CCOW_CLUSTER="$CL"
cleanup() {
  "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  cat "$WORK/status.json" >&2 2>/dev/null
  grep -h "gc" "$CL"/target*/target.log 2>/dev/null | tail -30 >&2
  exit 1
}
# `ccow system status --json` into status.json; q EXPR evaluates EXPR on it (as s).
status() { "$CCOW" --json system status >"$WORK/status.json" 2>"$WORK/status.err"; }
q() { "$PYTHON" -c "import json,sys; s=json.load(open(sys.argv[1])); t={x['name']: x for x in s['targets']}; print($1)" "$WORK/status.json"; }
pid_of() { "$PYTHON" -c "import json; print([t['pid'] for t in json.load(open('$CL/cluster.json'))['targets'] if t['name']=='$1'][0])"; }
live_reads() {
  for i in "${LIVE[@]}"; do
    "$CCOW" object get "ccow/default/gc/obj$i" --out "$WORK/got" || fail "$1: obj$i unreadable"
    cmp -s "$WORK/got" "$WORK/obj$i" || fail "$1: obj$i differs"
  done
  "$CCOW" object get "ccow/default/gc/twin" --out "$WORK/got" || fail "$1: twin unreadable"
  cmp -s "$WORK/got" "$WORK/obj1" || fail "$1: twin differs"
}

"$CCOW" cluster up --targets 4 --vdevs 1 --dir "$CL" --dead-timeout-ms 2000 \
  --gc-interval 3s --gc-fence-grace 1s --quarantine-retention 1s >"$WORK/up.log" 2>&1 ||
  { cat "$WORK/up.log"; fail "cluster up"; }

# 1. Eight objects of 100-275 KiB (one payload chunk each) and a twin of obj1; the passes
#    already run while they are written.
for i in $(seq 1 8); do
  head -c $(( (100 + i * 25) << 10 )) /dev/urandom >"$WORK/obj$i"
  "$CCOW" object put "ccow/default/gc/obj$i" "$WORK/obj$i" >/dev/null || fail "put obj$i"
done
"$CCOW" object put "ccow/default/gc/twin" "$WORK/obj1" >/dev/null || fail "put twin"
status || fail "system status: $(cat "$WORK/status.err")"
C0=$(q "s['chunks']")
LEADER=$(q "s['leader']['target']")
for i in 5 6 7 8; do "$CCOW" object rm "ccow/default/gc/obj$i" >/dev/null || fail "rm obj$i"; done
LIVE=(1 2 3 4)
echo "  [${SECONDS} s] 9 objects written ($C0 chunk replicas), 4 deleted; $LEADER leads"

# Freed by the periodic passes alone: 4 versions x (manifest + payload) x R=3 (and the
# pass that freed them has ended: its VDEVs sweep before it records its end).
C=$C0
for _ in $(seq 1 80); do
  status && C=$(q "s['chunks']") &&
    [ "$C" -le $((C0 - 24)) ] && [ "$(q "s['gc']['total']['chunks_freed'] if s['gc'] else 0")" -ge 24 ] && break
  sleep 0.5
done
[ "$C" -eq $((C0 - 24)) ] || fail "the chunk replicas went from $C0 to $C, expected $((C0 - 24)) (no periodic pass?)"
[ "$(q "s['gc']['target']")" = "$LEADER" ] || fail "the passes are not driven by the leader $LEADER"
[ "$(q "sum(1 for x in s['targets'] if x['gc']['passes_completed'] > 0)")" -eq 1 ] ||
  fail "passes ran on more than the leader: $(q "[(x['name'], x['gc']['passes_completed']) for x in s['targets']]")"
echo "  [${SECONDS} s] without \`system gc --now\` the replicas fell to $C: $(q "s['gc']['passes_completed']") passes on $LEADER"
for i in 5 6 7; do
  if "$CCOW" object versions "ccow/default/gc/obj$i" >/dev/null 2>&1; then fail "obj$i still has versions"; fi
done
live_reads "after the periodic passes"

# 2. The leader killed in the middle of a pass (its grace period: every VDEV has the pass's
#    pin window open): another target leads, closes those windows, its own passes run and
#    free what is deleted after the failover.
PHASE=""
for _ in $(seq 1 100); do
  PHASE=$("$CCOW" --json system gc 2>/dev/null | "$PYTHON" -c "import json,sys; j=json.load(sys.stdin); print(j['phase'] if j['running'] else '')")
  [ "$PHASE" = "fence" ] && break
  sleep 0.1
done
[ "$PHASE" = "fence" ] || fail "no pass of $LEADER seen in its grace period"
kill -9 "$(pid_of "$LEADER")"
NEW=""
for _ in $(seq 1 60); do
  if status; then
    NEW=$(q "s['leader']['target'] if s['leader'] else ''")
    [ -n "$NEW" ] && [ "$NEW" != "$LEADER" ] && [ "$(q "t['$LEADER']['state']")" = "dead" ] && break
  fi
  sleep 0.5
done
[ -n "$NEW" ] && [ "$NEW" != "$LEADER" ] || fail "no new leader after $LEADER was killed"
[ "$(q "t['$LEADER']['state']")" = "dead" ] || fail "$LEADER was not declared dead"
P0=$(q "t['$NEW']['gc']['passes_completed']")
"$CCOW" object rm "ccow/default/gc/obj4" >/dev/null || fail "rm obj4 after the failover"
LIVE=(1 2 3)
echo "  [${SECONDS} s] $LEADER killed; $NEW leads ($P0 passes completed there so far); obj4 deleted"
P=$P0
F=0
for _ in $(seq 1 60); do
  if status && [ "$(q "s['leader']['target'] if s['leader'] else ''")" = "$NEW" ]; then
    P=$(q "t['$NEW']['gc']['passes_completed']")
    F=$(q "t['$NEW']['gc']['total']['chunks_freed']")
    [ "$P" -gt "$P0" ] && [ "$F" -ge 2 ] && break
  fi
  sleep 0.5
done
[ "$P" -gt "$P0" ] || fail "no pass completed on the new leader $NEW"
[ "$F" -ge 2 ] || fail "the new leader's passes freed $F chunk replicas of obj4's version (expected at least 2)"
if "$CCOW" object versions "ccow/default/gc/obj4" >/dev/null 2>&1; then fail "obj4 still has versions"; fi
CLOSED=$(grep -h "left by a pass that did not end" "$CL"/target*/target.log | wc -l)
echo "  [${SECONDS} s] $NEW completed $((P - P0)) passes since, freeing $F chunk replicas ($CLOSED pin windows of the killed pass closed)"
live_reads "after the failover"
echo "PASS ($((SECONDS)) s)"
