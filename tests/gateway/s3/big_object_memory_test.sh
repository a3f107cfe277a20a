#!/usr/bin/env bash
# A 5 GiB S3 PUT and GET stream through the gateway without the object ever being held in
# memory: the server's peak RSS (VmHWM) stays bounded. The payload is an AES-CTR keystream
# (fast, incompressible, never repeating, so dedup cannot shortcut it), regenerated to
# compare the GET byte for byte without a 5 GiB file on disk.
set -euo pipefail
CCOW=$1
SIZE=${S3_BIG_SIZE:-5368709120}
LIMIT_KB=${S3_BIG_RSS_LIMIT_KB:-262144}  # 256 MiB
WORK=$(mktemp -d /var/tmp/ccow-s3big.XXXXXX)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/s3_test_lib.sh"
trap 's3_stop_server; rm -rf "$WORK"' EXIT
s3_start_server "$CCOW" "$WORK" || s3_fail "server did not start"
# openssl dies of SIGPIPE when head has enough; that is the normal end of the stream.
stream() { { openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
               -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null || true; } |
             head -c "$SIZE"; }
C=(curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" --user "ccow-admin:ccow-admin-secret"
   -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
"${C[@]}" -X PUT "$S3_URL/big" >/dev/null || s3_fail "create bucket"
# One PUT with a Content-Length (no chunked encoding), streamed from the generator.
stream | "${C[@]}" -T - -H "Transfer-Encoding:" -H "Content-Length: $SIZE" "$S3_URL/big/obj" \
  >"$WORK/put.out" || s3_fail "PUT: $(cat "$WORK/put.out")"
"${C[@]}" -I "$S3_URL/big/obj" | tr -d '\r' | grep -qi "^content-length: $SIZE$" || s3_fail "HEAD size"
"${C[@]}" "$S3_URL/big/obj" | cmp - <(stream) || s3_fail "GET differs from what was put"
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
echo "server peak RSS ${hwm} kB for a $SIZE-byte PUT and GET (limit $LIMIT_KB kB)"
[ "$hwm" -lt "$LIMIT_KB" ] || s3_fail "server peak RSS $hwm kB exceeds $LIMIT_KB kB"
echo "1 passed, 0 failed"
