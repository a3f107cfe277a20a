#!/usr/bin/env bash
# One namespace behind any number of gateways (issue 10): three S3 gateways on a
# 5-target cluster (R=3), driven by boto3 (registry_gateways_test.py), plus the CLI.
# usage: registry_gateways_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
"$PYTHON" -c 'import boto3' 2>/dev/null || { echo "FAIL: $PYTHON has no boto3 (apt-get install python3-boto3)"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-registry.XXXXXX")
CL="$WORK/cluster"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for g in a b c; do [ -f "$WORK/gw-$g.log" ] && tail -5 "$WORK/gw-$g.log" >&2; done
  exit 1
}

"$CCOW" cluster up --targets 5 --vdevs 2 --dir "$CL" >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; fail "cluster up"; }
URLS=()
for g in a b c; do
  "$CCOW" gateway s3 --cluster "$CL" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 >"$WORK/gw-$g.log" 2>&1 &
  PIDS+=($!)
done
for g in a b c; do
  url=""
  for i in $(seq 1 100); do
    url=$(sed -n 's/^  S3  *\(http:\/\/[0-9.:]*\).*/\1/p' "$WORK/gw-$g.log" | head -1)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || fail "gateway $g did not start: $(cat "$WORK/gw-$g.log")"
  URLS+=("$url")
done
echo "  gateways: ${URLS[*]}"

export CCOW CCOW_CLUSTER="$CL" S3_URLS="${URLS[*]}" CLUSTER_DIR="$CL"
cd "$HERE"
PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -m unittest -v registry_gateways_test || fail "registry tests failed"
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || fail "a gateway died during the tests"; done
echo "PASS: one registry behind three gateways"
