#!/usr/bin/env bash
# Issue 12's table: S3 through one `ccow gateway s3` over a local cluster of 5 targets x 2
# VDEVs (R=3, UDP) against OpenStack Swift with 3 replicas, both on this machine, the same
# raw SigV4 client (../shared/peers/s3load.sh), one after the other: ops/s, MB/s, p50 and
# server CPU per operation, with ccow/Swift ratios (../shared/peers/cluster_vs_swift3.sh).
# Then bench/cluster_bench.sh for the figures beside it: the single-node store, every
# transport, target CPU per stored MB against hash + write alone, the disk's limit for 3
# replicas, and what the initiator sends per payload byte.
#   bash bench/cluster_vs_swift.sh [BUILD_DIR]     env: PEERS=dir, SIZES, CONCS, OUT=dir
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
PEERS=${PEERS:-$here/../../shared/peers}
[ -x "$build/bin/ccow" ] || { echo "build first: $build/bin/ccow missing" >&2; exit 2; }
[ -x "$PEERS/cluster_vs_swift3.sh" ] || { echo "peers scripts not found at $PEERS (set PEERS=)" >&2; exit 2; }
out=${OUT:-/var/tmp/ccow-clswift-$(date +%s)}
mkdir -p "$out"
echo "### S3, ccow cluster R=3 vs Swift R=3 (raw SigV4 client; results in $out)"
echo
"$PEERS/cluster_vs_swift3.sh" "$build/bin/ccow" "$out"
"$PEERS/swift/stop.sh" >/dev/null 2>&1 || true
echo
echo "### Beside it: the data path without the gateway, per transport, with its limits"
echo
bash "$here/cluster_bench.sh" "$build"
