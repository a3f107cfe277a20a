#!/usr/bin/env bash
# S3 PUT/GET of 4 KiB, 64 KiB, 1 MiB and 16 MiB objects at concurrency 1 and 16 against
# `ccow server` and OpenStack Swift's S3 API, one after the other on this machine, with the
# same neutral client (../shared/peers/s3load.sh --engine raw: SigV4 with the body's
# SHA-256 signed, keep-alive connections). Prints both tables and ccow/Swift ratios, with
# the hashing limit for large objects (MD5 + 2 x SHA-256 from `openssl speed`).
# Then the same matrix with `ccow bench s3` (a native client: the Python one saturates
# near one core of its own on small objects; every body distinct, SHA-256 signed).
# usage: bench/s3_vs_swift.sh [BUILD_DIR]   env: SIZES, CONCS, SKIP_SWIFT=1, PEERS=dir
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
ccow=$build/bin/ccow
PEERS=${PEERS:-$here/../../shared/peers}
[ -x "$ccow" ] || { echo "build first: $ccow missing" >&2; exit 2; }
[ -d "$PEERS" ] || { echo "peers scripts not found at $PEERS (set PEERS=)" >&2; exit 2; }
out=${OUT:-/var/tmp/ccow-s3bench-$(date +%s)}
mkdir -p "$out"
export SIZES=${SIZES:-"4K 64K 1M 16M"} CONCS=${CONCS:-"1 16"} ENGINE=raw

# ccow on a data directory on the same disk as Swift's (/var/tmp).
rm -rf "$out/ccow-data"
"$ccow" server --data "$out/ccow-data" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  >"$out/ccow.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  url=$(sed -n 's/^  S3  *\(http:\/\/[0-9.:]*\).*/\1/p' "$out/ccow.log" | head -1)
  [ -n "$url" ] && break; sleep 0.1
done
[ -n "$url" ] || { cat "$out/ccow.log"; exit 1; }
AWS_ACCESS_KEY_ID=ccow-admin AWS_SECRET_ACCESS_KEY=ccow-admin-secret AWS_DEFAULT_REGION=us-east-1 \
  aws --endpoint-url "$url" s3 mb s3://bench >/dev/null
echo "== ccow server at $url (pid $pid)"
"$PEERS/s3matrix.sh" "$url" ccow-admin ccow-admin-secret bench "$out/ccow.jsonl" "$pid"
native_matrix() {  # ENDPOINT AK SK OUT PIDS
  for s in $SIZES; do
    case $s in 4K|64K) n=2000 ;; 1M) n=400 ;; *) n=48 ;; esac
    for c in $CONCS; do
      "$ccow" bench s3 --endpoint "$1" --access-key "$2" --secret-key "$3" --size "$s" \
        --count "$n" --concurrency "$c" --phases put,get,delete --server-pids "$5" \
        --max-seconds 25 --json-out "$4" || echo "(native run $s c$c had errors)"
    done
  done
}
native_matrix "$url" ccow-admin ccow-admin-secret "$out/ccow-native.jsonl" "$pid"
kill $pid; wait $pid 2>/dev/null || true

if [ "${SKIP_SWIFT:-0}" != 1 ]; then
  "$PEERS/swift/start.sh" >"$out/swift-start.log" 2>&1
  spids=$(awk '{print $2}' /var/tmp/swift-peer/run/pids | tr '\n' ' ')
  AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
    aws --endpoint-url http://127.0.0.1:18080 s3 mb s3://bench >/dev/null 2>&1 || true
  echo "== Swift at http://127.0.0.1:18080"
  "$PEERS/s3matrix.sh" http://127.0.0.1:18080 test:tester testing bench "$out/swift.jsonl" "$spids"
  native_matrix http://127.0.0.1:18080 test:tester testing "$out/swift-native.jsonl" "$spids"
  "$PEERS/swift/stop.sh" >/dev/null 2>&1 || true
fi
echo "== neutral client (peers/s3load.sh --engine raw)"
/usr/bin/python3 "$here/s3_compare.py" "$out/ccow.jsonl" "$out/swift.jsonl"
echo "== native client (ccow bench s3)"
/usr/bin/python3 "$here/s3_compare.py" "$out/ccow-native.jsonl" "$out/swift-native.jsonl"
echo "raw results: $out"
