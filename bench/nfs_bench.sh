#!/usr/bin/env bash
# Issue 15's file benchmarks over NFS: `ccow gateway nfs` on a fresh data directory (sync,
# the default, and --async), driven by bench/nfs_bench.cc through libnfs's client, beside
# the same workload on the local file system of the same disk (the limit).
#   bash bench/nfs_bench.sh BUILD_DIR     (FILES=1000 small files, MIB=256; BENCH_DIR: the disk)
set -euo pipefail
BUILD=$(cd "${1:?usage: nfs_bench.sh BUILD_DIR}" && pwd)
CCOW="$BUILD/bin/ccow"
FILES=${FILES:-1000}
MIB=${MIB:-256}
DIR=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ccow-nfsbench-XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"' EXIT

echo "One client (libnfs), $FILES files of 4 KiB (create+write+close, then stat, then unlink),"
echo "then a $MIB MiB file written in 1 MiB calls and COMMITted (fsync locally), and read back."
echo
echo "| target | creates/s | stats/s | unlinks/s | seq write MB/s | seq read MB/s |"
echo "|---|---:|---:|---:|---:|---:|"
mkdir -p "$DIR/local"
"$BUILD/bin/nfs_bench" --local "$DIR/local" --files "$FILES" --mib "$MIB"
for mode in sync async; do
  rm -rf "$DIR/data"
  extra=()
  [ "$mode" = async ] && extra=(--async)
  "$CCOW" --data "$DIR/data" gateway nfs --export ccow/default/bench --listen 127.0.0.1:0 --no-root-squash \
    "${extra[@]}" >"$DIR/gw.log" 2>&1 &
  PID=$!
  port=""
  for _ in $(seq 200); do
    port=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$DIR/gw.log" | head -1)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { cat "$DIR/gw.log"; exit 1; }
  "$BUILD/bin/nfs_bench" --url "nfs://127.0.0.1/ccow/default/bench?nfsport=$port&mountport=$port&version=3" \
    --label "ccow gateway nfs ($mode)" --files "$FILES" --mib "$MIB"
  kill "$PID"
  wait "$PID" || true
  PID=""
done
