#!/usr/bin/env bash
# Server CPU per S3 request for a plain 4 KiB PUT and GET (no encryption, no logging, no
# storage class), for one `ccow` binary or two side by side (before/after a change), on a
# data directory in tmpfs (/dev/shm) so that the disk's latency does not blur the CPU
# figure. Rounds alternate the binaries (A B A B ...) so that machine noise hits both
# alike; prints each round and the median per binary, with the B/A ratio.
# usage: bench/s3_request_cpu.sh CCOW_A [CCOW_B]   env: ROUNDS (5), COUNT (3000), CONC (1)
set -euo pipefail
a=$(realpath "$1"); b=${2:+$(realpath "$2")}
rounds=${ROUNDS:-5} count=${COUNT:-3000} conc=${CONC:-1}
work=$(mktemp -d /dev/shm/ccow-cpu.XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=

run() {  # BINARY LABEL ROUND
  local bin=$1 label=$2 data="$work/data-$2-$3"
  "$bin" server --data "$data" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 >"$work/log" 2>&1 &
  pid=$!
  local url=
  for _ in $(seq 1 100); do
    url=$(sed -n 's/^  S3  *\(http:\/\/[0-9.:]*\).*/\1/p' "$work/log" | head -1)
    [ -n "$url" ] && break; sleep 0.1
  done
  [ -n "$url" ] || { cat "$work/log"; exit 1; }
  "$bin" bench s3 --endpoint "$url" --access-key ccow-admin --secret-key ccow-admin-secret --bucket cpu \
    --size 4K --count "$count" --concurrency "$conc" --phases put,get --server-pids "$pid" \
    --json-out "$work/$label.jsonl" >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}

for r in $(seq 1 "$rounds"); do
  run "$a" A "$r"
  [ -n "$b" ] && run "$b" B "$r"
done
/usr/bin/python3 - "$work" "$b" <<'PY'
import json, statistics, sys, os
work, have_b = sys.argv[1], sys.argv[2] != ""
def load(label):
    rows = [json.loads(l) for l in open(os.path.join(work, label + ".jsonl"))]
    out = {}
    for r in rows:
        op = r.get("op") or r.get("phase")
        out.setdefault(op, []).append(r["server_cpu_ms_per_op"] * 1000)
    return out
a = load("A")
b = load("B") if have_b else {}
print("server CPU per 4 KiB request (µs), tmpfs data directory, median of the rounds")
print(f"{'op':6} {'A rounds':>40} {'A':>8}" + (f" {'B rounds':>40} {'B':>8} {'B/A':>6}" if have_b else ""))
for op in sorted(a):
    ma = statistics.median(a[op])
    line = f"{op:6} {' '.join(f'{x:.0f}' for x in a[op]):>40} {ma:8.0f}"
    if have_b and op in b:
        mb = statistics.median(b[op])
        line += f" {' '.join(f'{x:.0f}' for x in b[op]):>40} {mb:8.0f} {mb / ma:6.3f}"
    print(line)
PY
