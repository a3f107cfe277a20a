#!/usr/bin/env bash
# The cluster data path on this machine: a local cluster of 5 targets x 2 VDEVs (R=3) per
# transport against the single-node store on the same disk (the reference: a cluster on one
# machine writes every byte 3 times to that disk).
#   bash bench/cluster_bench.sh BUILD_DIR      (MIB=256 per size, THREADS=4, TRANSPORTS="udp multicast tcp";
#                                              BENCH_DIR: the disk)
set -euo pipefail
BUILD=$(cd "${1:?usage: cluster_bench.sh BUILD_DIR}" && pwd)
CCOW="$BUILD/bin/ccow"
MIB=${MIB:-256}
THREADS=${THREADS:-4}
TRANSPORTS=${TRANSPORTS:-udp multicast tcp}
DIR=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ccow-clbench-XXXXXX")
trap '"$CCOW" cluster down --dir "$DIR/cluster" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT

echo "Objects put then read by $THREADS threads, ${MIB} MiB per size; MB = 10^6 bytes."
echo "Sent per chunk put: by the initiator for one new 1 MiB object (chunk + VM + version list)."
echo
echo "| backend | 1 MiB put MB/s | 1 MiB get MB/s | 16 MiB put MB/s | 16 MiB get MB/s | payload sent per chunk | datagrams per chunk put | payload sent on re-put | 4 KiB put p50 ms | p99 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
"$BUILD/bin/cluster_bench" --local "$DIR/local" --label "single-node store (R=1)" --threads "$THREADS" --mib "$MIB"
rm -rf "$DIR/local"
for transport in $TRANSPORTS; do
  if ! "$CCOW" cluster up --targets 5 --vdevs 2 --transport "$transport" --dir "$DIR/cluster" >"$DIR/up.log" 2>&1; then
    echo "| cluster, $transport | (could not start: $(grep -m1 -v '^ ' "$DIR/up.log")) |"
    rm -rf "$DIR/cluster"
    continue
  fi
  "$BUILD/bin/cluster_bench" --cluster "$DIR/cluster" --label "cluster R=3, $transport" --threads "$THREADS" --mib "$MIB"
  "$CCOW" cluster down --dir "$DIR/cluster" >/dev/null
  rm -rf "$DIR/cluster"
done
