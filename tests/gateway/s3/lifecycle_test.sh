#!/usr/bin/env bash
# Lifecycle rules actually run: with a "day" shortened to 15 seconds and a pass every second,
# expired current versions disappear (a delete marker in a versioned bucket), noncurrent
# versions expire, incomplete multipart uploads are aborted, and objects outside the
# rule's prefix or younger than its age stay.
set -euo pipefail
CCOW=$1
WORK=$(mktemp -d /tmp/ccow-s3lc.XXXXXX)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/s3_test_lib.sh"
trap 's3_stop_server; rm -rf "$WORK"' EXIT
s3_start_server "$CCOW" "$WORK" --lifecycle-interval 1 --lifecycle-day-seconds 15 ||
  s3_fail "server did not start"
AWS=aws; [ -x /usr/bin/aws ] && AWS=/usr/bin/aws
s3() { $AWS --endpoint-url "$S3_URL" "$@"; }
echo data >"$WORK/f"
s3 s3 mb s3://lc-plain >/dev/null
s3 s3 mb s3://lc-ver >/dev/null
s3 s3api put-bucket-versioning --bucket lc-ver --versioning-configuration Status=Enabled
for k in tmp/a tmp/b keep/c; do s3 s3api put-object --bucket lc-plain --key $k --body "$WORK/f" >/dev/null; done
s3 s3api put-object --bucket lc-ver --key tmp/v --body "$WORK/f" >/dev/null
s3 s3api put-object --bucket lc-ver --key tmp/v --body "$WORK/f" >/dev/null
upload=$(s3 s3api create-multipart-upload --bucket lc-plain --key tmp/big --query UploadId --output text)
cat >"$WORK/rules.json" <<'JSON'
{"Rules": [
  {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
   "Expiration": {"Days": 2}, "NoncurrentVersionExpiration": {"NoncurrentDays": 2},
   "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}]}
JSON
s3 s3api put-bucket-lifecycle-configuration --bucket lc-plain --lifecycle-configuration "file://$WORK/rules.json"
s3 s3api put-bucket-lifecycle-configuration --bucket lc-ver --lifecycle-configuration "file://$WORK/rules.json"
# Younger than two "days": still there right after the rule is set.
s3 s3api head-object --bucket lc-plain --key tmp/a >/dev/null || s3_fail "expired too early"
ok=""
for _ in $(seq 1 120); do
  sleep 1
  left=$(s3 s3api list-objects-v2 --bucket lc-plain --query 'Contents[].Key' --output text)
  uploads=$(s3 s3api list-multipart-uploads --bucket lc-plain --query 'Uploads[].UploadId' --output text)
  if [ "$left" = "keep/c" ] && { [ -z "$uploads" ] || [ "$uploads" = None ]; }; then ok=1; break; fi
done
[ -n "$ok" ] || s3_fail "unversioned bucket after expiry: objects '$left', uploads '$uploads'"
s3 s3api list-parts --bucket lc-plain --key tmp/big --upload-id "$upload" >/dev/null 2>&1 &&
  s3_fail "the incomplete upload was not aborted"
# Versioned: the current version got a delete marker; noncurrent versions expire in turn.
ok=""
for _ in $(seq 1 120); do
  sleep 1
  markers=$(s3 s3api list-object-versions --bucket lc-ver --query 'length(DeleteMarkers[])' --output text)
  versions=$(s3 s3api list-object-versions --bucket lc-ver --query 'length(Versions[] || `[]`)' --output text)
  if [ "$markers" = 1 ] && [ "$versions" = 0 ]; then ok=1; break; fi
done
[ -n "$ok" ] || s3_fail "versioned bucket after expiry: $markers markers, $versions versions"
s3 s3api head-object --bucket lc-ver --key tmp/v >/dev/null 2>&1 && s3_fail "expired object still readable"
echo "1 passed, 0 failed"
