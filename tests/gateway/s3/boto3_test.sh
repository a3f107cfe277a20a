#!/usr/bin/env bash
# The S3 gateway against boto3 and hand-built HTTP (boto3_test.py; SigV2 and virtual-hosted
# style in boto3_auth_test.py), on a fresh server that serves BUCKET.localhost too.
# usage: boto3_test.sh CCOW_BINARY [unittest names, e.g. boto3_test.RawHttpTest]
# Needs Debian's python3-boto3 (scripts/install-deps.sh installs it; PYTHON overrides the
# interpreter). Without it the test fails: a skipped client test would hide a regression.
set -uo pipefail
CCOW=$(realpath "$1"); shift
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
source "$HERE/s3_test_lib.sh"

"$PYTHON" -c 'import boto3' 2>/dev/null || { echo "FAIL: $PYTHON has no boto3 (apt-get install python3-boto3)"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-boto3.XXXXXX")
trap 's3_stop_server; rm -rf "$WORK"' EXIT
S3_DOMAIN=localhost
s3_start_server "$CCOW" "$WORK" --domain "$S3_DOMAIN" || s3_fail "the server did not start"
export S3_URL S3_DOMAIN S3_STORE_FLAGS CCOW

cd "$HERE"
[ $# -gt 0 ] || set -- boto3_test boto3_auth_test
PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -m unittest -v "$@" || s3_fail "boto3 tests failed"
kill -0 "$SERVER_PID" 2>/dev/null || s3_fail "the server died during the tests"
echo "PASS: boto3 S3 tests"
