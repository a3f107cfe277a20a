#!/usr/bin/env bash
# Garbage collection on one node (issue 11), the long variant of s3_gc_one_node:
# put SIZE of random objects (1-8 MiB each) with `ccow object put`, delete half of them,
# overwrite a quarter, then run one pass with the retention at 0 (`ccow system gc --now
# --quarantine-retention 0`). Prints the pass's figures beside the disk's own sequential
# write speed (dd with O_DIRECT, the limit for compaction's rewrite), and checks that the
# data directory falls to within 10% of the live bytes plus 24 MiB (index, Raft log) and
# that every live object reads back byte-identical.
# usage: bench/gc_bench.sh CCOW_BINARY [SIZE_MIB (default 2048)] [DIR (default /var/tmp)]
set -euo pipefail
CCOW=$(realpath "$1")
SIZE_MIB=${2:-2048}
BASE=${3:-/var/tmp}
WORK=$(mktemp -d "$BASE/ccow-gcbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
D="$WORK/data"
c() { "$CCOW" --data "$D" "$@"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
rnd() { (openssl enc -aes-128-ctr -pass "pass:$1" -nosalt -pbkdf2 </dev/zero 2>/dev/null || true) | head -c "$2"; }
usage() { du -sb "$D" | cut -f1; }

echo "disk limit: sequential 1 MiB direct writes (dd)"
DD=$(dd if=/dev/zero of="$WORK/dd" bs=1M count=512 oflag=direct conv=fsync 2>&1 | tail -1 | sed 's/.*, //')
rm -f "$WORK/dd"
echo "  $DD"

n=0 total=0 start=$SECONDS
declare -a sizes
while [ $((total >> 20)) -lt "$SIZE_MIB" ]; do
  sz=$(( (RANDOM % 8 + 1) << 20 ))
  rnd "obj$n" "$sz" | c object put "ccow/bench/gc/o$n" - >/dev/null
  sizes[$n]=$sz
  total=$((total + sz))
  n=$((n + 1))
done
echo "put: $n objects, $(mib $total) MiB in $((SECONDS - start)) s"
live=0
for i in $(seq 0 $((n - 1))); do
  if [ $((i % 2)) = 0 ]; then
    c object rm "ccow/bench/gc/o$i" >/dev/null
  elif [ $((i % 4)) = 1 ]; then
    sz=$(( (RANDOM % 8 + 1) << 20 ))
    rnd "new$i" "$sz" | c object put "ccow/bench/gc/o$i" - >/dev/null
    c object rm "ccow/bench/gc/o$i" --generation 1 >/dev/null
    sizes[$i]=$sz
    live=$((live + sz))
  else
    live=$((live + ${sizes[$i]}))
  fi
done
before=$(usage)
echo "deleted half, overwrote a quarter: $(mib $live) MiB live, data directory $(mib "$before") MiB"
t0=$(date +%s.%N)
c --json system gc --now --quarantine-retention 0 >"$WORK/gc.json"
t1=$(date +%s.%N)
after=$(usage)
python3 - "$WORK/gc.json" "$t0" "$t1" "$before" "$after" "$live" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["last_pass"]
t = float(sys.argv[3]) - float(sys.argv[2]); before, after, live = map(int, sys.argv[4:7])
M = 1 << 20
print("| figure | value |\n|---|---:|")
print(f"| pass (expire, mark, sweep, compact) | {t:.1f} s |")
print(f"| versions expired / chunks freed | {j['versions_expired']} / {j['chunks_freed']} |")
print(f"| bytes freed (logical) | {j['bytes_freed'] / M:.0f} MiB |")
print(f"| compaction rewrite | {j['bytes_rewritten'] / M:.0f} MiB |")
print(f"| file bytes given back | {j['file_bytes_reclaimed'] / M:.0f} MiB |")
print(f"| reclaim rate | {(before - after) / M / t:.0f} MiB/s |")
print(f"| data directory before -> after | {before / M:.0f} -> {after / M:.0f} MiB ({live / M:.0f} MiB live) |")
if after > live * 1.10 + 24 * M:
    sys.exit(f"FAIL: {after} bytes on disk for {live} live")
PY
for i in $(seq 1 2 $((n - 1))); do
  c object get "ccow/bench/gc/o$i" --out "$WORK/got" >/dev/null
  [ "$(stat -c %s "$WORK/got")" = "${sizes[$i]}" ] || { echo "FAIL: o$i has the wrong size"; exit 1; }
  if [ $((i % 4)) = 1 ]; then want=$(rnd "new$i" "${sizes[$i]}" | sha256sum); else want=$(rnd "obj$i" "${sizes[$i]}" | sha256sum); fi
  [ "$(sha256sum <"$WORK/got")" = "$want" ] || { echo "FAIL: o$i changed"; exit 1; }
done
echo "every live object reads back byte-identical"
