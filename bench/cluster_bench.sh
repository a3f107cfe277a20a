#!/usr/bin/env bash
# The cluster data path on this machine: a local cluster of 5 targets x 2 VDEVs (R=3) per
# transport against the single-node store on the same disk (the reference: a cluster on one
# machine writes every byte 3 times to that disk), with the limits beside the figures:
#  - the disk: fio, 3 writers of 1 MiB O_DIRECT blocks each followed by fdatasync (what 3
#    replicas of a chunk cost; a put is acknowledged only once they are durable), so a
#    replicated put's payload can go at most at a third of it;
#  - the unavoidable target CPU per replicated MB: one SHA-256 verify (openssl speed) plus
#    one write of the bytes (fio's own CPU for the same writes).
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

# The limits.
sha_mbps=$(openssl speed -evp sha256 -bytes 1048576 -seconds 2 2>/dev/null | awk '/^sha256/ {sub(/k$/, "", $2); printf "%.0f", $2 * 1000 / 1e6}')
fio_line=""
if command -v fio >/dev/null; then
  /usr/bin/time -f "%U %S" -o "$DIR/fio.cpu" fio --name=limit --directory="$DIR" --rw=write --bs=1M --size=256M \
    --direct=1 --fdatasync=1 --numjobs=3 --group_reporting --ioengine=psync --output-format=json >"$DIR/fio.json" 2>/dev/null
  rm -f "$DIR"/limit.*
  read -r fio_mbps fio_cpu_ms_per_mb < <(python3 - "$DIR/fio.json" "$DIR/fio.cpu" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]["write"]
mb = j["io_bytes"] / 1e6
u, s = map(float, open(sys.argv[2]).read().split()[-2:])
print(f'{j["bw_bytes"] / 1e6:.0f} {(u + s) * 1e3 / mb:.2f}')
PY
)
  fio_line="fio, 3 writers of 1 MiB O_DIRECT + fdatasync: $fio_mbps MB/s (R=3 payload at most $((fio_mbps / 3)) MB/s); fio's CPU $fio_cpu_ms_per_mb ms/MB"
  hash_ms=$(python3 -c "print(f'{1e3 / $sha_mbps:.2f}')")
  unavoidable=$(python3 -c "print(f'{1e3 / $sha_mbps + $fio_cpu_ms_per_mb:.2f}')")
fi
echo "Objects put then read by $THREADS threads, ${MIB} MiB per size; MB = 10^6 bytes."
echo "Limits: SHA-256 $sha_mbps MB/s per core (${hash_ms:-?} ms/MB); ${fio_line:-fio not installed}."
echo "Unavoidable target CPU per replicated MB (hash verify + write): ${unavoidable:-?} ms; goal at most 1.5x."
echo "Target CPU: the targets' user+system CPU during the 16 MiB puts per MB they stored (payload x R)."
echo "Sent per payload byte: what the initiator sent for one new 1 MiB object (1.0 multicast, R unicast)."
echo
echo "| backend | 1 MiB put MB/s | 1 MiB get MB/s | 16 MiB put MB/s | 16 MiB get MB/s | target CPU ms per stored MB | sent per payload byte | datagrams per 1 MiB put | payload sent on re-put | 4 KiB put p50 ms | p99 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
"$BUILD/bin/cluster_bench" --local "$DIR/local" --label "single-node store (R=1)" --threads "$THREADS" --mib "$MIB"
rm -rf "$DIR/local"
for transport in $TRANSPORTS; do
  if ! "$CCOW" cluster up --targets 5 --vdevs 2 --transport "$transport" --dir "$DIR/cluster" >"$DIR/up.log" 2>&1; then
    echo "| cluster, $transport | (could not start: $(grep -m1 -v '^ ' "$DIR/up.log")) |"
    rm -rf "$DIR/cluster"
    continue
  fi
  pids=$(python3 -c 'import json,sys; print(" ".join(str(t["pid"]) for t in json.load(open(sys.argv[1]))["targets"]))' "$DIR/cluster/cluster.json")
  "$BUILD/bin/cluster_bench" --cluster "$DIR/cluster" --label "cluster R=3, $transport" --threads "$THREADS" \
    --mib "$MIB" --target-pids "$pids"
  "$CCOW" cluster down --dir "$DIR/cluster" >/dev/null
  rm -rf "$DIR/cluster"
done
