#!/usr/bin/env bash
# End-to-end: s3cmd (SigV4, path-style, plain HTTP) against `ccow server`'s S3 gateway.
set -euo pipefail
CCOW=${1:?usage: s3cmd_test.sh path/to/ccow}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-s3-s3cmd-XXXXXX")
# shellcheck source=s3_test_lib.sh
source "$(dirname "$0")/s3_test_lib.sh"
trap 's3_stop_server; rm -rf "$WORK"' EXIT
fail() { s3_fail "$@"; }
command -v s3cmd >/dev/null || fail "s3cmd not found"

s3_start_server "$CCOW" "$WORK" || fail "server did not start"
HOSTPORT=${S3_URL#http://}
cat >"$WORK/s3cfg" <<EOF
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = $HOSTPORT
host_bucket = $HOSTPORT
bucket_location = us-east-1
use_https = False
signature_v2 = False
check_ssl_certificate = False
guess_mime_type = True
progress_meter = False
EOF
s3c() { s3cmd --config "$WORK/s3cfg" --no-progress "$@"; }
expect_fail() {  # expect_fail TEXT command...: fails, and TEXT is in what it printed
  local text=$1; shift
  set +e; "$@" >"$WORK/out" 2>&1; local rc=$?; set -e
  [ "$rc" -ne 0 ] || fail "'$*' succeeded"
  grep -q -- "$text" "$WORK/out" || fail "'$*' failed without '$text': $(cat "$WORK/out")"
}

F="$WORK/files"
mkdir -p "$F/tree/sub/deeper"
echo "hello from s3cmd" >"$F/small.txt"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$F/big.bin"
echo a >"$F/tree/a.txt"; echo b >"$F/tree/sub/b.txt"; head -c 100000 /dev/urandom >"$F/tree/sub/deeper/c.bin"

# mb / ls
s3c mb s3://s3cmd-bucket >/dev/null
s3c ls | grep -c 's3://s3cmd-bucket$' >/dev/null || fail "ls lacks the bucket: $(s3c ls)"
s3c mb s3://s3cmd-bucket >/dev/null || fail "re-create of an owned bucket in us-east-1 is not 200"

# put / get / cmp
s3c put "$F/small.txt" s3://s3cmd-bucket/small.txt >/dev/null
s3c get s3://s3cmd-bucket/small.txt "$WORK/small.got" >/dev/null
cmp "$F/small.txt" "$WORK/small.got" || fail "small round trip differs"
s3c put --add-header=x-amz-meta-color:green "$F/small.txt" s3://s3cmd-bucket/dir/meta.txt >/dev/null

# multipart put (5 MiB parts of a 12 MiB file) and its get
s3c --debug put --multipart-chunk-size-mb=5 "$F/big.bin" s3://s3cmd-bucket/big.bin >"$WORK/put.out" 2>&1
grep -q 'MultiPart: Uploading .* in 3 parts' "$WORK/put.out" || fail "put was not multipart: $(tail "$WORK/put.out")"
grep -q 'partNumber=3&uploadId=' "$WORK/put.out" || fail "no part 3 was sent"
s3c get s3://s3cmd-bucket/big.bin "$WORK/big.got" >/dev/null
cmp "$F/big.bin" "$WORK/big.got" || fail "multipart round trip differs"

# ls, la, du, info
s3c ls s3://s3cmd-bucket/ >"$WORK/ls"
grep -q 'DIR  *s3://s3cmd-bucket/dir/$' "$WORK/ls" || fail "ls lacks the dir: $(cat "$WORK/ls")"
grep -q "$(stat -c %s "$F/big.bin") *s3://s3cmd-bucket/big.bin$" "$WORK/ls" || fail "ls lacks big.bin: $(cat "$WORK/ls")"
s3c ls --recursive s3://s3cmd-bucket/ | grep -c 's3://s3cmd-bucket/dir/meta.txt$' >/dev/null || fail "recursive ls"
s3c la >"$WORK/la"
grep -q 's3://s3cmd-bucket/small.txt$' "$WORK/la" || fail "la: $(cat "$WORK/la")"
expected=$(( $(stat -c %s "$F/small.txt") * 2 + $(stat -c %s "$F/big.bin") ))
s3c du s3://s3cmd-bucket >"$WORK/du"
[ "$(awk '{print $1}' "$WORK/du")" = "$expected" ] || fail "du: $(cat "$WORK/du"), expected $expected"
s3c info s3://s3cmd-bucket/dir/meta.txt >"$WORK/info"
grep -q "MD5 sum: *$(md5sum <"$F/small.txt" | cut -d' ' -f1)" "$WORK/info" || fail "info: $(cat "$WORK/info")"
grep -q "x-amz-meta-color: *green" "$WORK/info" || fail "info lacks the metadata: $(cat "$WORK/info")"
s3c info s3://s3cmd-bucket/big.bin >"$WORK/info"
grep -q "File size: *$(stat -c %s "$F/big.bin")" "$WORK/info" || fail "info size: $(cat "$WORK/info")"
s3c info s3://s3cmd-bucket >"$WORK/info" || fail "bucket info: $(cat "$WORK/info")"
grep -q "Location: *us-east-1" "$WORK/info" || fail "bucket info: $(cat "$WORK/info")"
grep -q "Payer: *BucketOwner" "$WORK/info" || fail "bucket info payer: $(cat "$WORK/info")"

# server-side encryption and storage classes, as s3cmd info reports them
s3c put --server-side-encryption "$F/big.bin" s3://s3cmd-bucket/sse.bin >/dev/null
s3c info s3://s3cmd-bucket/sse.bin >"$WORK/info"
grep -q "SSE: *AES256" "$WORK/info" || fail "info lacks SSE: $(cat "$WORK/info")"
s3c get s3://s3cmd-bucket/sse.bin "$WORK/sse.got" >/dev/null
cmp "$F/big.bin" "$WORK/sse.got" || fail "SSE-S3 multipart round trip differs"
s3c put --storage-class=STANDARD_IA "$F/small.txt" s3://s3cmd-bucket/ia.txt >/dev/null
s3c info s3://s3cmd-bucket/ia.txt >"$WORK/info"
grep -q "Storage: *STANDARD_IA" "$WORK/info" || fail "info lacks the class: $(cat "$WORK/info")"
grep -q "SSE: *none" "$WORK/info" || fail "a plain object reported encrypted: $(cat "$WORK/info")"
s3c del s3://s3cmd-bucket/sse.bin s3://s3cmd-bucket/ia.txt >/dev/null

# sync up, no-op sync, change, sync down, sync --delete-removed
s3c sync "$F/tree/" s3://s3cmd-bucket/tree/ >/dev/null
[ "$(s3c ls --recursive s3://s3cmd-bucket/tree/ | wc -l)" -eq 3 ] || fail "sync up"
s3c sync "$F/tree/" s3://s3cmd-bucket/tree/ >"$WORK/sync.out"
grep -q "upload:" "$WORK/sync.out" && fail "unchanged sync uploaded: $(cat "$WORK/sync.out")"
echo changed >"$F/tree/a.txt"
s3c sync "$F/tree/" s3://s3cmd-bucket/tree/ >"$WORK/sync.out"
grep -q "tree/a.txt" "$WORK/sync.out" || fail "changed file not synced: $(cat "$WORK/sync.out")"
s3c sync s3://s3cmd-bucket/tree/ "$WORK/down/" >/dev/null
diff -r "$F/tree" "$WORK/down" || fail "sync down differs"
rm "$F/tree/sub/b.txt"
s3c sync --delete-removed "$F/tree/" s3://s3cmd-bucket/tree/ >/dev/null
s3c ls --recursive s3://s3cmd-bucket/tree/ | grep -c 'sub/b.txt' >/dev/null && fail "--delete-removed kept b.txt"

# del, errors, rb
s3c del s3://s3cmd-bucket/small.txt >/dev/null
expect_fail 'does not exist' s3c get s3://s3cmd-bucket/small.txt "$WORK/gone"
expect_fail NoSuchBucket s3c ls s3://no-such-bucket
expect_fail BucketNotEmpty s3c rb s3://s3cmd-bucket
s3c del --recursive --force s3://s3cmd-bucket/ >/dev/null
[ -z "$(s3c ls --recursive s3://s3cmd-bucket/)" ] || fail "del --recursive left keys"
s3c rb s3://s3cmd-bucket >/dev/null
s3c ls | grep -c s3cmd-bucket >/dev/null && fail "rb left the bucket"

# Nothing failed inside the server on the way (an exception in a request is logged as an error).
grep -E ' (error|critical) ' "$WORK/server.log" && fail "the server logged errors"
echo "1 passed, 0 failed"
