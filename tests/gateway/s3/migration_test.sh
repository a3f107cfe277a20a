#!/usr/bin/env bash
# A single-node data directory written before the registry of record (buckets and key
# pairs as JSON objects in the store, exactly as that release wrote them) opens with
# `ccow server`: its records move into the registry, every object and key still serves,
# and a restart finds them there (issue 10).
# usage: migration_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
source "$HERE/s3_test_lib.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-migrate.XXXXXX")
trap 's3_stop_server; rm -rf "$WORK"' EXIT
export CCOW_DATA="$WORK/data"
unset CCOW_S3_TEST_ON_CLUSTER

# The old release's records, written as it wrote them: one object each.
put_json() { printf '%s' "$2" >"$WORK/rec" && "$CCOW" object put "$1" "$WORK/rec" >/dev/null || s3_fail "put $1"; }
put_json ccow/default/.buckets/photos \
  '{"tenant":"default","name":"photos","created_ns":1700000000000000000,"location":"","versioning":"Enabled","tags":[["team","blue"]],"cors_xml":"","lifecycle_xml":""}'
put_json ccow/default/.buckets/plain \
  '{"tenant":"default","name":"plain","created_ns":1700000000000000001,"location":"eu-west-1","versioning":"","tags":[],"cors_xml":"","lifecycle_xml":""}'
put_json ccow/team2/.buckets/t2b \
  '{"tenant":"team2","name":"t2b","created_ns":1700000000000000002,"location":"","versioning":"","tags":[],"cors_xml":"","lifecycle_xml":""}'
put_json ccow/.system/users/AKOLD000000000000001 \
  '{"access_key":"AKOLD000000000000001","secret_key":"old-secret-of-team2","tenant":"team2"}'
echo v1 >"$WORK/v1"; echo v2 >"$WORK/v2"; head -c 3000000 /dev/urandom >"$WORK/big"
"$CCOW" object put ccow/default/photos/a.txt "$WORK/v1" >/dev/null || s3_fail "put a.txt"
"$CCOW" object put ccow/default/photos/a.txt "$WORK/v2" >/dev/null || s3_fail "put a.txt again"
"$CCOW" object put ccow/default/plain/big "$WORK/big" >/dev/null || s3_fail "put big"
"$CCOW" object put ccow/team2/t2b/x "$WORK/v1" >/dev/null || s3_fail "put x"

check() {
  S3_URL="$S3_URL" WORK="$WORK" "$PYTHON" - <<'PY' || s3_fail "objects or keys not served after migration"
import os, boto3, botocore.config
url = os.environ["S3_URL"]
cfg = botocore.config.Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
admin = boto3.client("s3", endpoint_url=url, aws_access_key_id="ccow-admin",
                     aws_secret_access_key="ccow-admin-secret", region_name="us-east-1", config=cfg)
names = sorted(b["Name"] for b in admin.list_buckets()["Buckets"])
assert names == ["photos", "plain"], names
assert admin.get_bucket_versioning(Bucket="photos")["Status"] == "Enabled"
assert admin.get_bucket_tagging(Bucket="photos")["TagSet"] == [{"Key": "team", "Value": "blue"}]
assert admin.get_bucket_location(Bucket="plain")["LocationConstraint"] == "eu-west-1"
assert admin.get_object(Bucket="photos", Key="a.txt")["Body"].read() == b"v2\n"
assert len(admin.list_object_versions(Bucket="photos")["Versions"]) == 2
assert admin.get_object(Bucket="plain", Key="big")["Body"].read() == open(os.environ["WORK"] + "/big", "rb").read()
team2 = boto3.client("s3", endpoint_url=url, aws_access_key_id="AKOLD000000000000001",
                     aws_secret_access_key="old-secret-of-team2", region_name="us-east-1", config=cfg)
assert [b["Name"] for b in team2.list_buckets()["Buckets"]] == ["t2b"]
assert team2.get_object(Bucket="t2b", Key="x")["Body"].read() == b"v1\n"
print("  every bucket, object and key served")
PY
}

s3_start_server "$CCOW" "$WORK" || s3_fail "the server did not start on the old directory"
grep -q "moved\|migrat" "$WORK/server.log" || true
check
s3_stop_server
# The old records are gone from the store; the registry has them.
left=$("$CCOW" object ls ccow/default/.buckets/ 2>/dev/null | wc -l)
[ "$left" = 0 ] || s3_fail "old bucket records left in the store: $left"
"$CCOW" --json user list | grep -q AKOLD000000000000001 || s3_fail "the migrated key is not in the registry"
s3_start_server "$CCOW" "$WORK" || s3_fail "the server did not restart"
check
echo "PASS: an old data directory migrates and serves"
