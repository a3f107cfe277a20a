#!/usr/bin/env bash
# Scrub and read repair on a cluster (issue 11 §2, "Damage on a 5-target cluster"), with
# real processes on loopback: 5 targets, R=3.
#  1. objects written; three targets stopped; on each, the stored bytes of a random sample
#     of chunks damaged with `ccow vdev chunk damage` (bits flipped, the segment file cut
#     inside a chunk, the bytes deallocated), at most one replica of any chunk;
#  2. restarted: every object reads back correct during the damage (reads go around bad
#     replicas and queue their read repair);
#  3. one `ccow system scrub --now --wait`: every bad copy repaired, the counters summed
#     over the targets equal the number injected, none unrepairable; `system status` and
#     /metrics show it; a second pass finds nothing;
#  4. stopped again, `ccow vdev verify` finds every damaged VDEV clean on disk.
# usage: cluster_scrub_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-scrub.XXXXXX")
CL="$WORK/cluster"
export CCOW_CLUSTER="$CL"
cleanup() {
  "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  "$CCOW" system status >&2 2>&1
  grep -h "scrub" "$CL"/target*/target.log 2>/dev/null | tail -20 >&2
  exit 1
}
pid_of() { "$PYTHON" -c "import json; print([t['pid'] for t in json.load(open('$CL/cluster.json'))['targets'] if t['name']=='$1'][0])"; }
vdevs_of() { "$PYTHON" -c "import json; print(' '.join(v['path'] for v in json.load(open('$CL/$1/target.json'))['vdevs']))"; }
verify_all() {
  for i in $(seq 1 $N); do
    "$CCOW" object get "ccow/default/scrub/obj$i" --out "$WORK/got" || fail "$1: obj$i unreadable"
    cmp -s "$WORK/got" "$WORK/obj$i" || fail "$1: obj$i differs"
  done
}
stop_target() {
  local pid
  pid=$(pid_of "$1")
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  fail "$1 did not stop"
}

# A long failure timeout: stopping targets for the drill must not change the membership
# (that is the healer's business, tested in cluster_heal_test.sh).
"$CCOW" cluster up --targets 5 --vdevs 1 --dir "$CL" --dead-timeout-ms 600000 >"$WORK/up.log" 2>&1 ||
  { cat "$WORK/up.log"; fail "cluster up"; }

# Objects of 200 KiB to 3 MiB: chunks of up to 1 MiB, most above 64 KiB so in segment files.
N=24
for i in $(seq 1 $N); do
  head -c $(( (i * 131071) % (3 << 20) + (200 << 10) )) /dev/urandom >"$WORK/obj$i"
  "$CCOW" object put "ccow/default/scrub/obj$i" "$WORK/obj$i" >/dev/null || fail "put obj$i"
done
echo "  $N objects written"

# 1. Damage on three stopped targets.
DAMAGED="target1 target2 target3"
for t in $DAMAGED; do stop_target "$t"; done
: >"$WORK/chunks"
for t in $DAMAGED; do
  for v in $(vdevs_of "$t"); do
    "$CCOW" --json vdev chunk list --vdev "$v" >"$WORK/list.json" || fail "vdev chunk list on $v"
    "$PYTHON" -c "import json,sys; [print('$v', c['chid'], c.get('file',''), c.get('offset',0), c['length']) for c in json.load(open('$WORK/list.json')) if not c['in_index']]" >>"$WORK/chunks"
  done
done
# The sample: per VDEV, the last record of its segment file is cut (nothing after it in
# the file), and others flipped or deallocated; no chunk damaged on two VDEVs.
"$PYTHON" - "$WORK/chunks" "$WORK/plan" <<'PY' || fail "no damage plan"
import random, sys
rows = [l.split() for l in open(sys.argv[1])]
by_vdev = {}
for vdev, chid, f, off, length in rows:
    by_vdev.setdefault(vdev, []).append((chid, f, int(off), int(length)))
taken, plan = set(), []
rng = random.Random()
for vdev, chunks in sorted(by_vdev.items()):
    last = max(chunks, key=lambda c: (c[1], c[2]))
    if last[0] not in taken:
        taken.add(last[0]); plan.append((vdev, last[0], 'truncate'))
    others = [c for c in chunks if c[0] not in taken and c[1] == last[1] and c[2] < last[2]] + \
             [c for c in chunks if c[0] not in taken and c[1] != last[1]]
    for i, c in enumerate(rng.sample(others, min(len(others), 5))):
        taken.add(c[0]); plan.append((vdev, c[0], 'flip' if i % 2 == 0 else 'punch'))
open(sys.argv[2], 'w').write(''.join('%s %s %s\n' % p for p in plan))
sys.exit(0 if len(plan) >= 9 else 1)
PY
INJECTED=0
while read -r v chid mode; do
  "$CCOW" vdev chunk damage --vdev "$v" "$chid" --mode "$mode" >>"$WORK/damage.log" || fail "damage $mode $chid on $v"
  INJECTED=$((INJECTED + 1))
done <"$WORK/plan"
echo "  $INJECTED chunk replicas damaged on $DAMAGED: $(cut -d' ' -f3 "$WORK/plan" | sort | uniq -c | tr '\n' ' ')"
"$CCOW" vdev verify --vdev "$(vdevs_of target1)" >/dev/null 2>&1
[ $? = 4 ] || fail "ccow vdev verify does not report the damage with exit code 4"

# 2. Back up: reads are correct during the damage.
"$CCOW" cluster up --dir "$CL" >/dev/null || fail "restarting the damaged targets"
verify_all "during the damage"
echo "  every object reads back correct with $INJECTED replicas damaged"

# 3. One scrub pass repairs all of it.
START=$SECONDS
"$CCOW" --json system scrub --now --wait --wait-for 120s >"$WORK/scrub.json" || fail "system scrub --now --wait: $(cat "$WORK/scrub.json")"
read -r CORRUPT REPAIRED UNREPAIRABLE READS CHUNKS <<<"$("$PYTHON" -c "
import json; j=json.load(open('$WORK/scrub.json')); t=[x['scrub']['total'] for x in j]
print(sum(x['corrupt'] for x in t), sum(x['repaired'] for x in t), sum(x['unrepairable'] for x in t), sum(x['read_repairs'] for x in t), sum(x['chunks'] for x in t))")"
echo "  scrub pass in $((SECONDS - START)) s: $CHUNKS copies verified, $CORRUPT bad ($READS met by reads first), $REPAIRED repaired, $UNREPAIRABLE unrepairable"
[ "$CORRUPT" = "$INJECTED" ] || fail "$CORRUPT bad copies found, $INJECTED injected"
[ "$REPAIRED" = "$INJECTED" ] || fail "$REPAIRED repaired, $INJECTED injected"
[ "$UNREPAIRABLE" = 0 ] || fail "$UNREPAIRABLE unrepairable"
"$CCOW" system status >"$WORK/status.txt" || fail "system status"
grep -q "scrub: idle, 1 passes completed" "$WORK/status.txt" || fail "no scrub lines in system status: $(cat "$WORK/status.txt")"
METRICS=$("$PYTHON" -c "import json; print([t['metrics'] for t in json.load(open('$CL/cluster.json'))['targets'] if t['name']=='target1'][0])")
curl -sf "$METRICS" | grep "^ccow_scrub_repaired_total [1-9]" >/dev/null || fail "ccow_scrub_repaired_total missing on target1's /metrics"
verify_all "after the scrub"
"$CCOW" --json system scrub --now --wait >"$WORK/scrub2.json" || fail "second scrub pass"
AGAIN=$("$PYTHON" -c "import json; print(sum(x['scrub']['pass']['corrupt'] for x in json.load(open('$WORK/scrub2.json'))))")
[ "$AGAIN" = 0 ] || fail "a second pass found $AGAIN bad copies"

# 4. On disk, every damaged VDEV verifies clean.
"$CCOW" cluster down --dir "$CL" >/dev/null || fail "cluster down"
for t in $DAMAGED; do
  for v in $(vdevs_of "$t"); do "$CCOW" vdev verify --vdev "$v" >/dev/null || fail "ccow vdev verify on $v after repair"; done
done
echo "PASS"
