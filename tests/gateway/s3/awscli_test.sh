#!/usr/bin/env bash
# End-to-end: the AWS CLI (`aws s3` and `aws s3api`) against `ccow server`'s S3 gateway.
set -euo pipefail
CCOW=${1:?usage: awscli_test.sh path/to/ccow}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-s3-awscli-XXXXXX")
# shellcheck source=s3_test_lib.sh
source "$(dirname "$0")/s3_test_lib.sh"
trap 's3_stop_server; rm -rf "$WORK"' EXIT
fail() { s3_fail "$@"; }

# Debian's awscli (v2) when present, else whatever `aws` is on the PATH.
AWS_BIN=$(if [ -x /usr/bin/aws ]; then echo /usr/bin/aws; else command -v aws; fi)
[ -n "$AWS_BIN" ] || fail "aws CLI not found"

s3_start_server "$CCOW" "$WORK" --domain localhost || fail "server did not start"
aws() { "$AWS_BIN" --endpoint-url "$S3_URL" "$@"; }
s3() { aws s3 "$@"; }
api() { aws s3api "$@"; }
# expect_error CODE command...: the command fails and its stderr names CODE.
expect_error() {
  local code=$1; shift
  set +e; "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?; set -e
  [ "$rc" -ne 0 ] || fail "'$*' succeeded, expected $code"
  grep -q -- "$code" "$WORK/err" || fail "'$*' failed without $code: $(cat "$WORK/err")"
}
# jq-like access: jget 'EXPR' reads JSON from stdin, d is the document.
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
md5_hex() { md5sum "$1" | cut -d' ' -f1; }
# put_text BUCKET KEY TEXT [put-object flags...]: a small object holding TEXT and a newline.
put_text() {
  local b=$1 k=$2 t=$3; shift 3
  printf '%s\n' "$t" >"$WORK/put_text"
  api put-object --bucket "$b" --key "$k" --body "$WORK/put_text" "$@"
}

F="$WORK/files"
mkdir -p "$F"
echo "hello, ccow" >"$F/small.txt"
head -c $((9 * 1024 * 1024 + 12345)) /dev/urandom >"$F/big.bin"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$F/part5m.bin"
head -c 4321 /dev/urandom >"$F/tail.bin"

# ---- aws s3: mb / cp / ls / sync / rm / rb ------------------------------------------
s3 mb s3://awsb >/dev/null
s3 ls | grep -c ' awsb$' >/dev/null || fail "ls lacks the new bucket"
s3 cp "$F/small.txt" s3://awsb/small.txt >/dev/null
s3 cp s3://awsb/small.txt "$WORK/small.got" >/dev/null
cmp "$F/small.txt" "$WORK/small.got" || fail "small cp round trip differs"
s3 cp "$F/big.bin" s3://awsb/dir/big.bin >/dev/null
s3 cp s3://awsb/dir/big.bin "$WORK/big.got" >/dev/null
cmp "$F/big.bin" "$WORK/big.got" || fail "multipart cp round trip differs"
etag=$(api head-object --bucket awsb --key dir/big.bin | jget 'd["ETag"]')
[[ "$etag" =~ ^\"[0-9a-f]{32}-[0-9]+\"$ ]] || fail "multipart ETag lacks -N: $etag"
s3 cp s3://awsb/dir/big.bin - | cmp - "$F/big.bin" || fail "cp to stdout differs"
# from stdin (multipart of unknown size), and bucket to bucket (multipart upload-part-copy)
s3 cp - s3://awsb/stdin.bin <"$F/big.bin" >/dev/null
s3 cp s3://awsb/stdin.bin - | cmp - "$F/big.bin" || fail "cp from stdin differs"
s3 cp s3://awsb/dir/big.bin s3://awsb/copied/big.bin >/dev/null
s3 cp s3://awsb/copied/big.bin - | cmp - "$F/big.bin" || fail "s3-to-s3 cp differs"
s3 mv s3://awsb/stdin.bin s3://awsb/moved.bin >/dev/null
expect_error 404 api head-object --bucket awsb --key stdin.bin
s3 rm s3://awsb/moved.bin >/dev/null
s3 rm --recursive s3://awsb/copied/ >/dev/null

# sync up and down with nested dirs
T="$WORK/tree"
mkdir -p "$T/a/b/c" "$T/d"
echo one >"$T/one.txt"; echo two >"$T/a/two.txt"; echo three >"$T/a/b/three.txt"
echo four >"$T/a/b/c/four.txt"; head -c 70000 /dev/urandom >"$T/d/blob.bin"
s3 sync "$T" s3://awsb/tree >/dev/null
s3 ls s3://awsb/tree/ >"$WORK/ls"
grep -q 'PRE a/' "$WORK/ls" && grep -q 'PRE d/' "$WORK/ls" && grep -q ' one.txt$' "$WORK/ls" ||
  fail "non-recursive ls: $(cat "$WORK/ls")"
! grep -q 'two.txt' "$WORK/ls" || fail "non-recursive ls descended"
s3 ls --recursive s3://awsb/tree/ >"$WORK/ls"
[ "$(wc -l <"$WORK/ls")" -eq 5 ] || fail "recursive ls: $(cat "$WORK/ls")"
grep -q 'tree/a/b/c/four.txt$' "$WORK/ls" || fail "recursive ls lacks a deep key"
out=$(s3 sync "$T" s3://awsb/tree)
[ -z "$out" ] || fail "second sync up copied again: $out"
s3 sync s3://awsb/tree "$WORK/tree.down" >/dev/null
diff -r "$T" "$WORK/tree.down" || fail "sync down differs"
echo changed >"$T/a/two.txt"; rm "$T/one.txt"
s3 sync --delete "$T" s3://awsb/tree >/dev/null
[ "$(s3 cp s3://awsb/tree/a/two.txt -)" = changed ] || fail "sync did not upload a change"
expect_error 404 api head-object --bucket awsb --key tree/one.txt
s3 rm --recursive s3://awsb/tree >/dev/null
[ -z "$(s3 ls --recursive s3://awsb/tree/)" ] || fail "rm --recursive left keys"

# ---- s3api put/head/get -------------------------------------------------------------
api put-object --bucket awsb --key meta.txt --body "$F/small.txt" \
  --metadata color=blue,Owner=Ann --content-type text/x-ccow \
  --content-disposition 'attachment; filename="m.txt"' --cache-control max-age=60 \
  --content-md5 "$(openssl md5 -binary "$F/small.txt" | base64)" >/dev/null
api head-object --bucket awsb --key meta.txt >"$WORK/head"
jget 'd["Metadata"]' <"$WORK/head" | grep -c "'color': 'blue'" >/dev/null || fail "metadata lost: $(cat "$WORK/head")"
jget 'd["Metadata"]' <"$WORK/head" | grep -c "'owner': 'Ann'" >/dev/null || fail "metadata lost: $(cat "$WORK/head")"
[ "$(jget 'd["ContentType"]' <"$WORK/head")" = text/x-ccow ] || fail "content type lost"
[ "$(jget 'd["ContentDisposition"]' <"$WORK/head")" = 'attachment; filename="m.txt"' ] ||
  fail "content disposition lost"
[ "$(jget 'd["CacheControl"]' <"$WORK/head")" = max-age=60 ] || fail "cache control lost"
[ "$(jget 'd["ContentLength"]' <"$WORK/head")" = "$(stat -c %s "$F/small.txt")" ] || fail "length"
[ "$(jget 'd["ETag"]' <"$WORK/head")" = "\"$(md5_hex "$F/small.txt")\"" ] || fail "etag is not the MD5"
expect_error BadDigest api put-object --bucket awsb --key bad.txt --body "$F/small.txt" \
  --content-md5 "$(echo other | openssl md5 -binary | base64)"
expect_error 404 api head-object --bucket awsb --key bad.txt

# ranges
api put-object --bucket awsb --key big.bin --body "$F/big.bin" >/dev/null
api get-object --bucket awsb --key big.bin --range bytes=1048570-1048600 "$WORK/range" >"$WORK/out"
dd if="$F/big.bin" bs=1 skip=1048570 count=31 status=none | cmp - "$WORK/range" || fail "range differs"
[ "$(jget 'd["ContentRange"]' <"$WORK/out")" = "bytes 1048570-1048600/$(stat -c %s "$F/big.bin")" ] ||
  fail "Content-Range: $(cat "$WORK/out")"
api get-object --bucket awsb --key big.bin --range bytes=-100 "$WORK/range" >/dev/null
tail -c 100 "$F/big.bin" | cmp - "$WORK/range" || fail "suffix range differs"

# conditional requests
good=$(md5_hex "$F/small.txt")
api get-object --bucket awsb --key meta.txt --if-match "\"$good\"" "$WORK/cond" >/dev/null
expect_error PreconditionFailed api get-object --bucket awsb --key meta.txt --if-match '"0123456789abcdef0123456789abcdef"' "$WORK/cond"
expect_error '304' api get-object --bucket awsb --key meta.txt --if-none-match "\"$good\"" "$WORK/cond"

# copy-object with COPY and REPLACE
api copy-object --bucket awsb --key copy1.txt --copy-source awsb/meta.txt >/dev/null
api head-object --bucket awsb --key copy1.txt >"$WORK/head"
jget 'd["Metadata"]["color"]' <"$WORK/head" | grep -cx blue >/dev/null || fail "COPY lost metadata"
[ "$(jget 'd["ContentType"]' <"$WORK/head")" = text/x-ccow ] || fail "COPY lost content type"
api copy-object --bucket awsb --key copy2.txt --copy-source awsb/meta.txt \
  --metadata-directive REPLACE --metadata shape=round --content-type text/plain >/dev/null
api head-object --bucket awsb --key copy2.txt >"$WORK/head"
[ "$(jget 'd["Metadata"]' <"$WORK/head")" = "{'shape': 'round'}" ] || fail "REPLACE metadata: $(cat "$WORK/head")"
[ "$(jget 'd["ContentType"]' <"$WORK/head")" = text/plain ] || fail "REPLACE content type"
s3 cp s3://awsb/copy2.txt - | cmp - "$F/small.txt" || fail "copied bytes differ"
expect_error InvalidRequest api copy-object --bucket awsb --key meta.txt --copy-source awsb/meta.txt

# ---- listings -----------------------------------------------------------------------
s3 mb s3://listb >/dev/null
mkdir -p "$WORK/listtree/k" "$WORK/listtree/other/deep"
for i in $(seq -w 1 25); do echo "$i" >"$WORK/listtree/k/$i"; done
echo x >"$WORK/listtree/top.txt"; echo x >"$WORK/listtree/other/deep/x"
s3 cp --recursive "$WORK/listtree" s3://listb/ >/dev/null
for cmd in list-objects list-objects-v2; do
  api $cmd --bucket listb --prefix k/ --page-size 7 >"$WORK/l"
  jget '"\n".join(o["Key"] for o in d["Contents"])' <"$WORK/l" >"$WORK/keys"
  [ "$(wc -l <"$WORK/keys")" -eq 25 ] || fail "$cmd paginated to $(wc -l <"$WORK/keys") keys"
  [ "$(sort -u "$WORK/keys" | wc -l)" -eq 25 ] || fail "$cmd returned duplicates"
  seq -w 1 25 | sed 's/^/k\//' | cmp - "$WORK/keys" || fail "$cmd order"
  api $cmd --bucket listb --delimiter / >"$WORK/l"
  [ "$(jget '" ".join(p["Prefix"] for p in d["CommonPrefixes"])' <"$WORK/l")" = "k/ other/" ] ||
    fail "$cmd common prefixes: $(cat "$WORK/l")"
  [ "$(jget '" ".join(o["Key"] for o in d["Contents"])' <"$WORK/l")" = "top.txt" ] || fail "$cmd delimiter keys"
  api $cmd --bucket listb --prefix k/ --max-items 10 --page-size 3 >"$WORK/l"
  [ "$(jget 'len(d["Contents"])' <"$WORK/l")" -eq 10 ] || fail "$cmd --max-items"
  token=$(jget 'd["NextToken"]' <"$WORK/l")
  api $cmd --bucket listb --prefix k/ --max-items 100 --page-size 4 --starting-token "$token" >"$WORK/l"
  [ "$(jget '" ".join(o["Key"] for o in d["Contents"])' <"$WORK/l")" = \
    "$(seq 11 25 | sed 's/^/k\//' | tr '\n' ' ' | sed 's/ $//')" ] || fail "$cmd --starting-token"
done
# v1 with a delimiter pages by NextMarker across common prefixes too
api list-objects --bucket listb --delimiter / --page-size 1 >"$WORK/l"
[ "$(jget 'len(d["CommonPrefixes"]) + len(d["Contents"])' <"$WORK/l")" -eq 3 ] ||
  fail "v1 paged delimiter listing: $(cat "$WORK/l")"

# URL encoding of odd keys
s3 mb s3://encb >/dev/null
odd=("with space.txt" "plus+sign.txt" "ünïcödé/ключ.txt" "amp&eq=q?.txt" "tilde~star*.txt")
for k in "${odd[@]}"; do put_text encb "$k" "$k" >/dev/null; done
for cmd in list-objects list-objects-v2; do
  # Asked for explicitly, the encoding is the caller's to undo (botocore only decodes
  # when it added encoding-type itself, as it does for the listings without it).
  api $cmd --bucket encb --encoding-type url >"$WORK/l"
  grep -q '%2B' "$WORK/l" || fail "$cmd did not encode '+': $(cat "$WORK/l")"
  jget '"\n".join(__import__("urllib.parse").parse.unquote_plus(o["Key"]) for o in d["Contents"])' \
    <"$WORK/l" | sort >"$WORK/keys"
  printf '%s\n' "${odd[@]}" | sort | cmp - "$WORK/keys" || fail "$cmd url encoding: $(cat "$WORK/keys")"
  api $cmd --bucket encb >"$WORK/l"
  jget '"\n".join(o["Key"] for o in d["Contents"])' <"$WORK/l" | sort >"$WORK/keys"
  printf '%s\n' "${odd[@]}" | sort | cmp - "$WORK/keys" || fail "$cmd keys: $(cat "$WORK/keys")"
done
api list-objects-v2 --bucket encb --delimiter / >"$WORK/l"
[ "$(jget 'd["CommonPrefixes"][0]["Prefix"]' <"$WORK/l")" = "ünïcödé/" ] || fail "encoded common prefix"
for k in "${odd[@]}"; do
  [ "$(s3 cp "s3://encb/$k" -)" = "$k" ] || fail "get of '$k'"
done
api get-object --bucket encb --key "plus+sign.txt" "$WORK/o" >/dev/null
expect_error 404 api head-object --bucket encb --key "plus sign.txt"

# ---- versioning ---------------------------------------------------------------------
s3 mb s3://verb >/dev/null
api put-bucket-versioning --bucket verb --versioning-configuration Status=Enabled
[ "$(api get-bucket-versioning --bucket verb | jget 'd["Status"]')" = Enabled ] || fail "versioning status"
declare -a vids
for n in 1 2 3; do
  vids[$n]=$(put_text verb doc.txt "content $n" | jget 'd["VersionId"]')
done
api list-object-versions --bucket verb >"$WORK/v"
[ "$(jget 'len(d["Versions"])' <"$WORK/v")" -eq 3 ] || fail "versions: $(cat "$WORK/v")"
[ "$(jget '[v["VersionId"] for v in d["Versions"] if v["IsLatest"]][0]' <"$WORK/v")" = "${vids[3]}" ] ||
  fail "latest version"
api get-object --bucket verb --key doc.txt --version-id "${vids[1]}" "$WORK/o" >/dev/null
[ "$(cat "$WORK/o")" = "content 1" ] || fail "old version content: $(cat "$WORK/o")"
marker=$(api delete-object --bucket verb --key doc.txt | jget 'd["VersionId"]')
[ -n "$marker" ] || fail "delete made no marker"
expect_error 404 api head-object --bucket verb --key doc.txt
api list-object-versions --bucket verb >"$WORK/v"
[ "$(jget 'd["DeleteMarkers"][0]["VersionId"]' <"$WORK/v")" = "$marker" ] || fail "delete marker not listed"
[ "$(jget 'd["DeleteMarkers"][0]["IsLatest"]' <"$WORK/v")" = True ] || fail "marker not latest"
[ "$(jget 'len(d["Versions"])' <"$WORK/v")" -eq 3 ] || fail "versions after delete"
s3 ls s3://verb/ | grep -c doc.txt >/dev/null && fail "deleted key still listed"
api delete-object --bucket verb --key doc.txt --version-id "$marker" >/dev/null
[ "$(s3 cp s3://verb/doc.txt -)" = "content 3" ] || fail "removing the marker did not restore"
api delete-object --bucket verb --key doc.txt --version-id "${vids[3]}" >/dev/null
[ "$(s3 cp s3://verb/doc.txt -)" = "content 2" ] || fail "deleting the latest version"
expect_error BucketNotEmpty s3 rb s3://verb

# ---- delete-objects -----------------------------------------------------------------
for k in d1 d2 d3 d4; do put_text awsb "del/$k" "$k" >/dev/null; done
api delete-objects --bucket awsb --delete '{"Objects":[{"Key":"del/d1"},{"Key":"del/d2"},{"Key":"del/missing"}]}' >"$WORK/d"
[ "$(jget 'sorted(o["Key"] for o in d["Deleted"])' <"$WORK/d")" = "['del/d1', 'del/d2', 'del/missing']" ] ||
  fail "delete-objects: $(cat "$WORK/d")"
api delete-objects --bucket awsb --delete '{"Objects":[{"Key":"del/d3"},{"Key":"del/d4"}],"Quiet":true}' >"$WORK/d"
[ "$(jget 'len(d.get("Deleted", []))' <"$WORK/d" 2>/dev/null || echo 0)" -eq 0 ] || fail "quiet delete listed keys"
[ -z "$(s3 ls s3://awsb/del/)" ] || fail "delete-objects left keys"

# ---- multipart by hand --------------------------------------------------------------
up=$(api create-multipart-upload --bucket awsb --key mp.bin --metadata k=v --content-type app/x | jget 'd["UploadId"]')
api list-multipart-uploads --bucket awsb >"$WORK/u"
[ "$(jget '[u["UploadId"] for u in d["Uploads"] if u["Key"]=="mp.bin"][0]' <"$WORK/u")" = "$up" ] ||
  fail "upload not listed: $(cat "$WORK/u")"
e1=$(api upload-part --bucket awsb --key mp.bin --upload-id "$up" --part-number 1 --body "$F/part5m.bin" | jget 'd["ETag"]')
e2=$(api upload-part --bucket awsb --key mp.bin --upload-id "$up" --part-number 2 --body "$F/tail.bin" | jget 'd["ETag"]')
[ "$e1" = "\"$(md5_hex "$F/part5m.bin")\"" ] || fail "part ETag is not the MD5"
api list-parts --bucket awsb --key mp.bin --upload-id "$up" >"$WORK/p"
[ "$(jget '[(p["PartNumber"], p["Size"]) for p in d["Parts"]]' <"$WORK/p")" = "[(1, 5242880), (2, 4321)]" ] ||
  fail "list-parts: $(cat "$WORK/p")"
expect_error InvalidPart api complete-multipart-upload --bucket awsb --key mp.bin --upload-id "$up" \
  --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":\"\\\"0123456789abcdef0123456789abcdef\\\"\"}]}"
api complete-multipart-upload --bucket awsb --key mp.bin --upload-id "$up" \
  --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$e2}]}" >"$WORK/c"
[[ "$(jget 'd["ETag"]' <"$WORK/c")" =~ -2\"$ ]] || fail "complete ETag: $(cat "$WORK/c")"
cat "$F/part5m.bin" "$F/tail.bin" >"$WORK/mp.expect"
s3 cp s3://awsb/mp.bin - | cmp - "$WORK/mp.expect" || fail "completed multipart object differs"
api head-object --bucket awsb --key mp.bin >"$WORK/head"
[ "$(jget 'd["Metadata"]["k"] + d["ContentType"]' <"$WORK/head")" = "vapp/x" ] || fail "upload metadata lost"
api list-multipart-uploads --bucket awsb | grep -c "$up" >/dev/null && fail "completed upload still listed"
# a small non-last part
up=$(api create-multipart-upload --bucket awsb --key small-mp.bin | jget 'd["UploadId"]')
e1=$(api upload-part --bucket awsb --key small-mp.bin --upload-id "$up" --part-number 1 --body "$F/tail.bin" | jget 'd["ETag"]')
e2=$(api upload-part --bucket awsb --key small-mp.bin --upload-id "$up" --part-number 2 --body "$F/tail.bin" | jget 'd["ETag"]')
expect_error EntityTooSmall api complete-multipart-upload --bucket awsb --key small-mp.bin --upload-id "$up" \
  --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$e2}]}"
api abort-multipart-upload --bucket awsb --key small-mp.bin --upload-id "$up"
expect_error NoSuchUpload api list-parts --bucket awsb --key small-mp.bin --upload-id "$up"
api list-multipart-uploads --bucket awsb | grep -c "$up" >/dev/null && fail "aborted upload still listed"
# upload-part-copy with ranges
up=$(api create-multipart-upload --bucket awsb --key pc.bin | jget 'd["UploadId"]')
e1=$(api upload-part-copy --bucket awsb --key pc.bin --upload-id "$up" --part-number 1 \
  --copy-source awsb/big.bin --copy-source-range bytes=0-5242879 | jget 'd["CopyPartResult"]["ETag"]')
e2=$(api upload-part-copy --bucket awsb --key pc.bin --upload-id "$up" --part-number 2 \
  --copy-source awsb/big.bin --copy-source-range bytes=6000000-6099999 | jget 'd["CopyPartResult"]["ETag"]')
api complete-multipart-upload --bucket awsb --key pc.bin --upload-id "$up" \
  --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$e2}]}" >/dev/null
{ head -c 5242880 "$F/big.bin"; dd if="$F/big.bin" bs=100000 skip=60 count=1 status=none; } >"$WORK/pc.expect"
s3 cp s3://awsb/pc.bin - | cmp - "$WORK/pc.expect" || fail "upload-part-copy object differs"

# ---- tagging ------------------------------------------------------------------------
api put-object-tagging --bucket awsb --key meta.txt --tagging 'TagSet=[{Key=env,Value=prod},{Key=team,Value=a b}]'
[ "$(api get-object-tagging --bucket awsb --key meta.txt | jget 'sorted((t["Key"], t["Value"]) for t in d["TagSet"])')" = \
  "[('env', 'prod'), ('team', 'a b')]" ] || fail "object tags"
[ "$(api head-object --bucket awsb --key meta.txt | jget 'd["Metadata"]["color"]')" = blue ] || fail "tagging lost metadata"
s3 cp s3://awsb/meta.txt - | cmp - "$F/small.txt" || fail "tagging changed the bytes"
api delete-object-tagging --bucket awsb --key meta.txt
[ "$(api get-object-tagging --bucket awsb --key meta.txt | jget 'len(d["TagSet"])')" -eq 0 ] || fail "tags not deleted"
expect_error NoSuchTagSet api get-bucket-tagging --bucket awsb
api put-bucket-tagging --bucket awsb --tagging 'TagSet=[{Key=cost,Value=42}]'
[ "$(api get-bucket-tagging --bucket awsb | jget 'd["TagSet"][0]["Value"]')" = 42 ] || fail "bucket tags"
api delete-bucket-tagging --bucket awsb
expect_error NoSuchTagSet api get-bucket-tagging --bucket awsb

# ---- CORS ---------------------------------------------------------------------------
expect_error NoSuchCORSConfiguration api get-bucket-cors --bucket awsb
api put-bucket-cors --bucket awsb --cors-configuration \
  '{"CORSRules":[{"AllowedOrigins":["https://app.example"],"AllowedMethods":["GET","PUT"],"AllowedHeaders":["*"],"MaxAgeSeconds":300}]}'
[ "$(api get-bucket-cors --bucket awsb | jget 'd["CORSRules"][0]["AllowedOrigins"][0]')" = https://app.example ] ||
  fail "get-bucket-cors"
code=$(curl -s -o /dev/null -D "$WORK/h" -w '%{http_code}' -X OPTIONS "$S3_URL/awsb/meta.txt" \
  -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: PUT' \
  -H 'Access-Control-Request-Headers: content-type')
[ "$code" = 200 ] || fail "preflight answered $code"
grep -qi '^access-control-allow-origin: https://app.example' "$WORK/h" || fail "preflight: $(cat "$WORK/h")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS "$S3_URL/awsb/meta.txt" \
  -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: GET')
[ "$code" = 403 ] || fail "disallowed preflight answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS "$S3_URL/awsb/meta.txt" \
  -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: DELETE')
[ "$code" = 403 ] || fail "disallowed method preflight answered $code"
api delete-bucket-cors --bucket awsb
expect_error NoSuchCORSConfiguration api get-bucket-cors --bucket awsb
code=$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS "$S3_URL/awsb/meta.txt" \
  -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: GET')
[ "$code" = 403 ] || fail "preflight without CORS answered $code"

# ---- lifecycle, location ------------------------------------------------------------
expect_error NoSuchLifecycleConfiguration api get-bucket-lifecycle-configuration --bucket awsb
api put-bucket-lifecycle-configuration --bucket awsb --lifecycle-configuration \
  '{"Rules":[{"ID":"expire-logs","Filter":{"Prefix":"logs/"},"Status":"Enabled","Expiration":{"Days":30}},
             {"ID":"uploads","Filter":{"Prefix":""},"Status":"Enabled","AbortIncompleteMultipartUpload":{"DaysAfterInitiation":7}}]}'
api get-bucket-lifecycle-configuration --bucket awsb >"$WORK/lc"
[ "$(jget 'sorted(r["ID"] for r in d["Rules"])' <"$WORK/lc")" = "['expire-logs', 'uploads']" ] ||
  fail "lifecycle: $(cat "$WORK/lc")"
[ "$(jget '[r for r in d["Rules"] if r["ID"]=="expire-logs"][0]["Expiration"]["Days"]' <"$WORK/lc")" = 30 ] ||
  fail "lifecycle days"
api delete-bucket-lifecycle --bucket awsb
expect_error NoSuchLifecycleConfiguration api get-bucket-lifecycle-configuration --bucket awsb
[ "$(api get-bucket-location --bucket awsb | jget 'd.get("LocationConstraint")')" = None ] ||
  fail "get-bucket-location"

# ---- presigned URLs -----------------------------------------------------------------
url=$(s3 presign s3://awsb/meta.txt --expires-in 300)
[[ "$url" == *X-Amz-Signature=* ]] || fail "presign did not make a SigV4 URL: $url"
curl -sf "$url" | cmp - "$F/small.txt" || fail "presigned GET"
url=$(s3 presign s3://awsb/meta.txt --expires-in 1)
sleep 2
code=$(curl -s -o "$WORK/body" -w '%{http_code}' "$url")
[ "$code" = 403 ] && grep -q AccessDenied "$WORK/body" || fail "expired presign: $code $(cat "$WORK/body")"
# SigV2 URLs (AWSAccessKeyId/Signature/Expires): what Debian 12's botocore 1.29 makes by
# default for a custom endpoint (awscli 2.9's `s3 presign` makes SigV4 ones, above).
presign_v2() {  # KEY SECONDS
  /usr/bin/python3 -c 'import sys, boto3
c = boto3.client("s3", endpoint_url=sys.argv[1], config=boto3.session.Config(signature_version="s3"))
print(c.generate_presigned_url("get_object", Params={"Bucket": "awsb", "Key": sys.argv[2]}, ExpiresIn=int(sys.argv[3])))' \
    "$S3_URL" "$1" "$2"
}
url=$(presign_v2 dir/big.bin 300)
[[ "$url" == *AWSAccessKeyId=*Signature=* ]] || fail "not a SigV2 URL: $url"
curl -sf "$url" | cmp - "$F/big.bin" || fail "SigV2 presigned GET"
url=$(presign_v2 meta.txt 1)
sleep 2
code=$(curl -s -o "$WORK/body" -w '%{http_code}' "$url")
[ "$code" = 403 ] && grep -q '<Code>AccessDenied</Code>' "$WORK/body" && grep -q 'Request has expired' "$WORK/body" ||
  fail "expired SigV2 presign: $code $(cat "$WORK/body")"
url=$(presign_v2 meta.txt 300)
code=$(curl -s -o "$WORK/body" -w '%{http_code}' "${url/Signature=/Signature=A}")
[ "$code" = 403 ] && grep -q SignatureDoesNotMatch "$WORK/body" || fail "tampered SigV2 presign: $code"

# ---- virtual-hosted style (--domain localhost): Host awsb.localhost:PORT --------------
# curl resolves *.localhost to the loopback itself (glibc here does not).
port=${S3_URL##*:}
printf '[default]\ns3 =\n    addressing_style = virtual\n' >"$WORK/vhost.cfg"
url=$(AWS_CONFIG_FILE="$WORK/vhost.cfg" "$AWS_BIN" --endpoint-url "http://localhost:$port" \
  s3 presign s3://awsb/dir/big.bin --expires-in 300)
[[ "$url" == "http://awsb.localhost:$port/dir/big.bin?"* ]] || fail "not a virtual-hosted URL: $url"
curl -sf "$url" | cmp - "$F/big.bin" || fail "virtual-hosted presigned GET"
# curl's own SigV4 signer (a third implementation), header form, virtual-hosted. S3 wants
# x-amz-content-sha256, which curl 7.88 signs when given but does not add.
curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://awsb.localhost:$port/dir/big.bin" |
  cmp - "$F/big.bin" || fail "virtual-hosted GET, curl --aws-sigv4"

# ---- encryption, storage classes, checksums -------------------------------------------
s3 mb s3://sseb >/dev/null
s3 cp "$F/big.bin" s3://sseb/s3.bin --sse AES256 >/dev/null
[ "$(api head-object --bucket sseb --key s3.bin | jget 'd["ServerSideEncryption"]')" = AES256 ] || fail "SSE-S3 not reported"
s3 cp s3://sseb/s3.bin "$WORK/sse.got" >/dev/null
cmp "$F/big.bin" "$WORK/sse.got" || fail "SSE-S3 multipart round trip differs"
head -c 32 /dev/urandom >"$WORK/ckey"
s3 cp "$F/big.bin" s3://sseb/c.bin --sse-c AES256 --sse-c-key "fileb://$WORK/ckey" >/dev/null
expect_error 400 api head-object --bucket sseb --key c.bin
s3 cp s3://sseb/c.bin "$WORK/c.got" --sse-c AES256 --sse-c-key "fileb://$WORK/ckey" >/dev/null
cmp "$F/big.bin" "$WORK/c.got" || fail "SSE-C round trip differs"
# A copy between SSE-C keys (aws s3 cp between two s3:// URLs is a CopyObject).
head -c 32 /dev/urandom >"$WORK/ckey2"
s3 cp s3://sseb/c.bin s3://sseb/c2.bin --sse-c-copy-source AES256 --sse-c-copy-source-key "fileb://$WORK/ckey" \
  --sse-c AES256 --sse-c-key "fileb://$WORK/ckey2" >/dev/null
s3 cp s3://sseb/c2.bin "$WORK/c2.got" --sse-c AES256 --sse-c-key "fileb://$WORK/ckey2" >/dev/null
cmp "$F/big.bin" "$WORK/c2.got" || fail "SSE-C to SSE-C copy differs"
s3 cp "$F/small.txt" s3://sseb/ia.txt --storage-class STANDARD_IA >/dev/null
[ "$(api head-object --bucket sseb --key ia.txt | jget 'd["StorageClass"]')" = STANDARD_IA ] || fail "class not on HEAD"
api list-objects-v2 --bucket sseb --prefix ia >"$WORK/l"
[ "$(jget 'd["Contents"][0]["StorageClass"]' <"$WORK/l")" = STANDARD_IA ] || fail "class not listed"
sha=$(python3 -c "import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],'rb').read()).digest()).decode())" "$F/small.txt")
api put-object --bucket sseb --key sum.txt --body "$F/small.txt" --checksum-algorithm SHA256 >/dev/null
[ "$(api head-object --bucket sseb --key sum.txt --checksum-mode ENABLED | jget 'd["ChecksumSHA256"]')" = "$sha" ] ||
  fail "SHA256 checksum not returned"
s3 rm --recursive s3://sseb >/dev/null
s3 rb s3://sseb >/dev/null

# ---- errors -------------------------------------------------------------------------
AWS_SECRET_ACCESS_KEY=wrong expect_error SignatureDoesNotMatch aws s3 ls
AWS_ACCESS_KEY_ID=NOSUCHKEY expect_error InvalidAccessKeyId aws s3 ls
expect_error NoSuchBucket s3 ls s3://no-such-bucket
expect_error 404 api head-bucket --bucket no-such-bucket
expect_error NoSuchKey api get-object --bucket awsb --key no/such/key "$WORK/o"
expect_error BucketNotEmpty s3 rb s3://awsb
expect_error InvalidBucketName s3 mb s3://Bad_Name
expect_error InvalidBucketName s3 mb s3://ab
# Re-creating one's own bucket in us-east-1 is 200 (AWS's legacy answer) and keeps it.
api create-bucket --bucket awsb >/dev/null || fail "re-create of an owned bucket in us-east-1 is not 200"
s3 ls s3://awsb/dir/big.bin >/dev/null || fail "re-create lost the bucket's objects"
expect_error MalformedXML api put-bucket-versioning --bucket awsb --versioning-configuration Status=Bogus
api get-bucket-versioning --bucket awsb | grep -c Status >/dev/null && fail "bad versioning stuck"

# rb of an emptied bucket
s3 rm --recursive s3://encb >/dev/null
s3 rb s3://encb >/dev/null
s3 ls | grep -c ' encb$' >/dev/null && fail "rb left the bucket"

# ---- a second tenant, made while the server runs ------------------------------------
"$CCOW" --json user create tenant2 $S3_STORE_FLAGS >"$WORK/user"
ak=$(jget 'd["access_key"]' <"$WORK/user")
sk=$(jget 'd["secret_key"]' <"$WORK/user")
t2() { AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk aws "$@"; }
[ -z "$(t2 s3 ls)" ] || fail "tenant2 sees buckets: $(t2 s3 ls)"
# Bucket names are global per segment, as in AWS.
AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk expect_error BucketAlreadyExists api create-bucket --bucket awsb
t2 s3 mb s3://awsb-t2 >/dev/null
echo mine | t2 s3 cp - s3://awsb-t2/t2.txt >/dev/null
[ "$(t2 s3 ls | awk '{print $3}')" = awsb-t2 ] || fail "tenant2 bucket list"
[ "$(t2 s3 ls s3://awsb-t2/ | awk '{print $4}')" = t2.txt ] || fail "tenant2 lists its own keys"
s3 ls s3://awsb-t2/t2.txt >/dev/null 2>&1 && fail "default tenant reads tenant2's private bucket"
t2 s3 ls s3://listb >/dev/null 2>&1 && fail "tenant2 reaches the default tenant's private bucket"
AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk expect_error AccessDenied s3 ls s3://listb
s3 ls | grep -c ' listb$' >/dev/null || fail "default tenant lost its bucket"

# Nothing failed inside the server on the way (an exception in a request is logged as an error).
grep -E ' (error|critical) ' "$WORK/server.log" && fail "the server logged errors"
echo "1 passed, 0 failed"
