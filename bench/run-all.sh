#!/usr/bin/env bash
# Runs every benchmark and prints their tables:  bash bench/run-all.sh BUILD_DIR
# (`make bench` builds first and calls this). Extra limits: hash_bench compares with
# `openssl speed`, chunking_bench with memcpy, ec_bench with ISA-L's own loop and memcpy, store_bench.sh (when present) with fio,
# s3_list_bench with a raw name-index scan, cluster_bench.sh with the single-node store, s3_vs_swift.sh with Swift on the same machine.
# For a quick check: HASH_BENCH_ARGS="--seconds 0.2" CHUNKING_BENCH_ARGS="--size-mib 16".
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

for b in hash_bench chunking_bench ec_bench; do
  if [ ! -x "$BUILD/bin/$b" ]; then
    echo "run-all: $BUILD/bin/$b is missing; build it with: cmake --build $BUILD --target $b" >&2
    exit 1
  fi
done

echo "## Hashing"
echo
"$BUILD/bin/hash_bench" ${HASH_BENCH_ARGS:-}
echo
echo "## Chunking"
echo
"$BUILD/bin/chunking_bench" ${CHUNKING_BENCH_ARGS:-}

echo
echo "## Erasure coding (ISA-L)"
echo
"$BUILD/bin/ec_bench" ${EC_BENCH_ARGS:-}

if [ -f bench/store_bench.sh ]; then
  echo
  bash bench/store_bench.sh "$BUILD"
fi

echo
echo "## S3 listing at scale (one bucket, 1000-key pages)"
echo
"$BUILD/bin/s3_list_bench" "${TMPDIR:-/var/tmp}/ccow-listbench" "${S3_LIST_OBJECTS:-1000000}" 16
rm -rf "${TMPDIR:-/var/tmp}/ccow-listbench"

echo
echo "## FlexHash: rows moved when a server joins"
echo
"$BUILD/bin/flexhash_bench"

echo
echo "## Cluster data path (5 targets x 2 VDEVs, R=3, on this machine)"
echo
bash bench/cluster_bench.sh "$BUILD"

echo
echo "## Cluster failure handling: detection, healing rate, data moved on a join"
echo
bash bench/cluster_heal_bench.sh "$BUILD/bin/ccow"

echo
echo "## Inter-segment links: initial sync, replication lag, WAN bytes (two sites on this machine)"
echo
python3 bench/isgw_bench.py "$BUILD"
echo
echo "## Inter-segment links at full size: a change inside 256 MiB, a CDC insertion, 1 GiB under 100 names"
echo
python3 bench/isgw_scale_bench.py "$BUILD"

echo
echo "## Files over NFS: small-file rates and sequential MB/s against the local file system"
echo
bash bench/nfs_bench.sh "$BUILD"

echo
echo "## S3: server CPU per plain 4 KiB request (tmpfs; pass a second binary to compare)"
echo
ROUNDS=3 bash bench/s3_request_cpu.sh "$BUILD/bin/ccow"

if [ -d "$ROOT/../shared/peers" ] || [ -n "${PEERS:-}" ]; then
  echo
  echo "## S3: ccow against OpenStack Swift"
  bash bench/s3_vs_swift.sh "$BUILD"
  echo
  echo "## S3 on a cluster: ccow R=3 against Swift with 3 replicas"
  bash bench/cluster_vs_swift.sh "$BUILD"
else
  echo
  echo "(S3 comparison skipped: ../shared/peers not found; set PEERS=DIR to run bench/s3_vs_swift.sh)"
fi
