#!/usr/bin/env bash
# Failure handling on a local cluster (issue 5): 5 targets x 2 VDEVs, R=3, on loopback.
#  - detection: SIGKILL a target -> time until the leader published the generation
#    without it (against the configured failure timeout);
#  - healing: bytes re-replicated / pass time (against the configured rate limit);
#  - rebalancing: one target joins 5 -> fraction of stored chunk replicas moved (against
#    the ideal 1/(N+1)).
# usage: cluster_heal_bench.sh CCOW_BINARY [MB_OF_DATA] [HEAL_RATE_MB] [DEAD_TIMEOUT_MS]
set -uo pipefail
CCOW=$(realpath "$1")
MB=${2:-256}
RATE=${3:-50}
TIMEOUT_MS=${4:-2000}
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-healbench.XXXXXX")
CL="$WORK/cluster"
export CCOW_CLUSTER="$CL"
trap '"$CCOW" cluster down --dir "$CL" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
status() { "$CCOW" --json system status 2>/dev/null | "$PYTHON" -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
now() { date +%s.%N; }
wait_healed() {  # generation above $1, healed
  for i in $(seq 1 1200); do
    set -- "$1" $(status "j['flexhash_generation'], j['healed']")
    [ "${2:-0}" -gt "$1" ] && [ "${3:-}" = True ] && return 0
    sleep 0.25
  done
  echo "not healed in 300 s" >&2
  exit 1
}

"$CCOW" cluster up --targets 5 --vdevs 2 --dir "$CL" --dead-timeout-ms "$TIMEOUT_MS" --heal-rate "$RATE" >/dev/null || exit 1
for i in $(seq 1 $((MB / 4))); do
  head -c $((4 << 20)) /dev/urandom >"$WORK/o"  # 4 MiB, 4 chunks, nothing deduplicated
  "$CCOW" object put "ccow/default/bench/o$i" "$WORK/o" >/dev/null || exit 1
done

victim=target3
pid=$("$PYTHON" -c "import json; print([t['pid'] for t in json.load(open('$CL/cluster.json'))['targets'] if t['name']=='$victim'][0])")
t0=$(now)
kill -9 "$pid"
while [ "$(status "j['flexhash_generation']")" = 1 ]; do sleep 0.05; done
t1=$(now)
wait_healed 1
t2=$(now)
# The busiest target's repair rate (the limit is per target) and the total re-replicated.
read -r repaired_bytes pass_s <<<"$(status "sum(t['heal']['bytes_repaired'] for t in j['targets'] if 'heal' in t), max((t['heal']['bytes_repaired'] / max(t['heal']['last_pass_seconds'], 1e-9), t['heal']['last_pass_seconds']) for t in j['targets'] if 'heal' in t)[1]")"
busiest=$(status "max(t['heal']['bytes_repaired'] for t in j['targets'] if 'heal' in t)")

"$CCOW" cluster up --dir "$CL" >/dev/null && wait_healed 2
gen=$(status "j['flexhash_generation']")
before=$(status "sum(t['heal']['chunks_scanned'] for t in j['targets'] if 'heal' in t)")
"$CCOW" cluster up --dir "$CL" --add 1 >/dev/null && wait_healed "$gen"
moved=$(status "sum(t['heal']['moved'] for t in j['targets'] if 'heal' in t)")

"$PYTHON" - "$t0" "$t1" "$t2" "$repaired_bytes" "$pass_s" "$RATE" "$TIMEOUT_MS" "$moved" "$before" "$MB" "$busiest" <<'PY'
import sys
t0, t1, t2, rb, pass_s, rate, timeout_ms, moved, before, mb, busiest = map(float, sys.argv[1:])
heal_rate = busiest / 1e6 / pass_s if pass_s > 0 else 0
print(f"cluster failure handling, 5 targets x 2 VDEVs, R=3, {mb:.0f} MB of objects (loopback)")
print(f"{'figure':<44}{'measured':>14}{'limit':>18}")
print(f"{'dead target detected + generation published':<44}{t1 - t0:>12.2f} s{timeout_ms / 1000:>15.2f} s (timeout)")
print(f"{'kill -> zero under-replicated':<44}{t2 - t0:>12.2f} s{'':>18}")
print(f"{'healing rate of the busiest target':<44}{heal_rate:>9.1f} MB/s{rate:>13.0f} MB/s (limit, per target)")
print(f"{'re-replicated':<44}{rb / 1e6:>11.1f} MB{'':>18}")
frac = moved / before if before else 0
print(f"{'fraction of chunk replicas moved, 1 joins 5':<44}{frac:>14.3f}{1 / 6:>18.3f} (ideal 1/(N+1))")
PY
