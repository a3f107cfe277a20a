#!/usr/bin/env bash
# Garbage collection on a cluster (issue 11), real processes on loopback: 5 targets, R=3,
# passes only on demand (`ccow system gc --now --wait`, run by the Raft leader's target),
# a fence grace of 2 s, no quarantine retention, compaction paced at 5 MB/s (--gc-rate:
# in every target.json, and in the leader's `system gc` status).
#  1. objects written (one twice under two names: dedup), some deleted, one written again
#     (its first version stays a version of the object);
#  2. a pass started, and a target SIGKILLed during its grace period (the leader itself,
#     or another): the pass fails and frees nothing; every live object still reads back;
#  3. the target restarted: a pass frees the replicas of the deleted versions (3 per
#     chunk), every live object (the dedup twin included) reads back
#     byte-identical, the deleted ones are gone; a second pass frees nothing more.
# usage: cluster_gc_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-cgc.XXXXXX")
CL="$WORK/cluster"
export CCOW_CLUSTER="$CL"
cleanup() {
  "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  grep -h "gc" "$CL"/target*/target.log 2>/dev/null | tail -20 >&2
  exit 1
}
pid_of() { "$PYTHON" -c "import json; print([t['pid'] for t in json.load(open('$CL/cluster.json'))['targets'] if t['name']=='$1'][0])"; }
freed() { "$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['last_pass']['chunks_freed'])" "$1"; }
live_reads() {
  for i in 1 2 3 4; do
    "$CCOW" object get "ccow/default/gc/obj$i" --out "$WORK/got" || fail "$1: obj$i unreadable"
    cmp -s "$WORK/got" "$WORK/obj$i" || fail "$1: obj$i differs"
  done
  "$CCOW" object get "ccow/default/gc/twin" --out "$WORK/got" || fail "$1: twin unreadable"
  cmp -s "$WORK/got" "$WORK/obj1" || fail "$1: twin differs"
}

"$CCOW" cluster up --targets 5 --vdevs 1 --dir "$CL" --dead-timeout-ms 600000 \
  --gc-interval 0 --gc-fence-grace 2s --quarantine-retention 0s --gc-rate 5M >"$WORK/up.log" 2>&1 ||
  { cat "$WORK/up.log"; fail "cluster up"; }
for t in "$CL"/target*/target.json; do  # 5 MiB/s: the nearest whole MB/s
  [ "$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['gc_rate_mb'])" "$t")" = 5 ] ||
    fail "$t: gc_rate_mb is not 5"
done
RATE=$("$CCOW" --json system gc | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['rate_limit_bytes_per_second'])")
[ "$RATE" = 5000000 ] || fail "the leader's gc status says a rate of $RATE, expected 5000000"

# 1. Eight objects of 200-400 KiB (one payload chunk each), a twin of obj1, four deleted,
#    obj2 written again.
for i in $(seq 1 8); do
  head -c $(( (200 + i * 25) << 10 )) /dev/urandom >"$WORK/obj$i"
  "$CCOW" object put "ccow/default/gc/obj$i" "$WORK/obj$i" >/dev/null || fail "put obj$i"
done
"$CCOW" object put "ccow/default/gc/twin" "$WORK/obj1" >/dev/null || fail "put twin"
head -c $((300 << 10)) /dev/urandom >"$WORK/obj2"
"$CCOW" object put "ccow/default/gc/obj2" "$WORK/obj2" >/dev/null || fail "overwrite obj2"
for i in 5 6 7 8; do "$CCOW" object rm "ccow/default/gc/obj$i" >/dev/null || fail "rm obj$i"; done
echo "  objects written, 4 deleted, 1 written again"

# 2. A target killed during a pass: the pass stops before any sweep.
"$CCOW" --json system gc --now --wait >"$WORK/gc1.json" 2>"$WORK/gc1.err" &
GC=$!
sleep 1
kill -9 "$(pid_of target3)"
if wait $GC; then fail "a pass with a target killed in its grace period succeeded: $(cat "$WORK/gc1.json")"; fi
echo "  the pass with a killed target failed: $(tail -1 "$WORK/gc1.err" | cut -c1-160)"
live_reads "after the failed pass"

# 3. Restarted: a pass frees the dead versions' chunks on every replica.
"$CCOW" cluster up --dir "$CL" >/dev/null || fail "restarting target3"
sleep 1
"$CCOW" --json system gc --now --wait >"$WORK/gc2.json" 2>"$WORK/gc2.err" ||
  fail "gc pass: $(cat "$WORK/gc2.err")"
F=$(freed "$WORK/gc2.json")
# 4 dead versions (obj5-8): each a version manifest and a payload chunk, R=3.
[ "$F" -eq 24 ] || fail "the pass freed $F chunk replicas, expected 24: $(cat "$WORK/gc2.json")"
echo "  the pass freed $F chunk replicas"
live_reads "after the pass"
for i in 5 6 7 8; do
  if "$CCOW" object get "ccow/default/gc/obj$i" --out "$WORK/got" 2>/dev/null; then fail "obj$i still reads"; fi
done
"$CCOW" --json system gc --now --wait >"$WORK/gc3.json" 2>"$WORK/gc3.err" ||
  fail "second gc pass: $(cat "$WORK/gc3.err")"
F3=$(freed "$WORK/gc3.json")
[ "$F3" -eq 0 ] || fail "a second quiet pass freed $F3 more"
live_reads "after the second pass"
echo "PASS"
