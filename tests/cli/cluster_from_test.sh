#!/usr/bin/env bash
# A single node grows into a cluster (issue 10): objects and keys written through
# `ccow server`, then `ccow cluster up --from DATA` makes a 3-target cluster whose first
# VDEV is the server's (moved, not copied through S3); the same keys read every object
# through `ccow gateway s3 --cluster`, and healing spreads the chunks to R=3.
# usage: cluster_from_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
HERE=$(cd "$(dirname "$0")/../gateway/s3" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
source "$HERE/s3_test_lib.sh"
unset CCOW_S3_TEST_ON_CLUSTER
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-from.XXXXXX")
CL="$WORK/cluster"
GW=""
cleanup() {
  s3_stop_server
  [ -n "$GW" ] && kill "$GW" 2>/dev/null
  "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

s3_start_server "$CCOW" "$WORK" || s3_fail "the server did not start"
export CCOW_DATA="$WORK/data"
KEYS=$("$CCOW" --json user create grower) || s3_fail "user create"
S3_URL="$S3_URL" KEYS="$KEYS" WORK="$WORK" "$PYTHON" - <<'PY' || s3_fail "writing through the single node"
import json, os, boto3, botocore.config
cfg = botocore.config.Config(s3={"addressing_style": "path"})
k = json.loads(os.environ["KEYS"])
c = boto3.client("s3", endpoint_url=os.environ["S3_URL"], aws_access_key_id=k["access_key"],
                 aws_secret_access_key=k["secret_key"], region_name="us-east-1", config=cfg)
c.create_bucket(Bucket="keep")
c.put_bucket_versioning(Bucket="keep", VersioningConfiguration={"Status": "Enabled"})
for i in range(30):
    data = os.urandom(1 + (i * 97_003) % (3 << 20))
    open(os.environ["WORK"] + f"/o{i}", "wb").write(data)
    c.put_object(Bucket="keep", Key=f"o{i}", Body=data)
PY
s3_stop_server

"$CCOW" cluster up --targets 3 --vdevs 1 --dir "$CL" --from "$WORK/data" >"$WORK/up.log" 2>&1 ||
  { cat "$WORK/up.log"; s3_fail "cluster up --from"; }
[ -f "$WORK/data/MOVED-TO-CLUSTER.txt" ] || s3_fail "the data directory does not say where its VDEV went"
timeout 20 "$CCOW" server --data "$WORK/data" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 >"$WORK/again.log" 2>&1 &&
  s3_fail "a server started on a data directory that became a cluster's target"
grep -q "cluster" "$WORK/again.log" || s3_fail "no clear error for a moved data directory: $(cat "$WORK/again.log")"
"$CCOW" --cluster "$CL" --json user list | grep -q "$(echo "$KEYS" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')" ||
  s3_fail "the key is not in the cluster's registry"
"$CCOW" gateway s3 --cluster "$CL" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 >"$WORK/gw.log" 2>&1 &
GW=$!
for i in $(seq 1 100); do
  URL=$(sed -n 's/^  S3  *\(http:\/\/[0-9.:]*\).*/\1/p' "$WORK/gw.log" | head -1)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || s3_fail "the gateway did not start: $(cat "$WORK/gw.log")"
URL="$URL" KEYS="$KEYS" WORK="$WORK" "$PYTHON" - <<'PY' || s3_fail "reading through the cluster"
import json, os, boto3, botocore.config
cfg = botocore.config.Config(s3={"addressing_style": "path"})
k = json.loads(os.environ["KEYS"])
c = boto3.client("s3", endpoint_url=os.environ["URL"], aws_access_key_id=k["access_key"],
                 aws_secret_access_key=k["secret_key"], region_name="us-east-1", config=cfg)
assert c.get_bucket_versioning(Bucket="keep")["Status"] == "Enabled"
for i in range(30):
    got = c.get_object(Bucket="keep", Key=f"o{i}")["Body"].read()
    assert got == open(os.environ["WORK"] + f"/o{i}", "rb").read(), f"o{i} differs"
c.put_object(Bucket="keep", Key="new", Body=b"written on the cluster")
print("  30 objects read through the cluster with the same key")
PY
# Healing spreads the adopted chunks to their rows: zero below R.
for i in $(seq 1 120); do
  s=$("$CCOW" --cluster "$CL" --json system status 2>/dev/null | "$PYTHON" -c \
      "import json,sys; j=json.load(sys.stdin); print(j['under_replicated_chunks'], j['healed'])")
  [ "$s" = "0 True" ] && break
  sleep 0.5
done
[ "$s" = "0 True" ] || s3_fail "not healed to R within 60 s: $s"
echo "PASS: a single node grew into a cluster"
