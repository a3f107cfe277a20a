#!/usr/bin/env bash
# A local multi-process cluster (issue 4): `ccow cluster up` with 5 targets x 2 VDEVs and
# R=3 over UDP; 1000 objects of 1 B to 32 MiB through the S3 gateway on the cluster, all
# read back and verified; SIGKILL one target -> every object still readable; `cluster up`
# restarts it -> it serves again; the CLI reaches the same objects with --cluster;
# `cluster down` stops every target.
# usage: cluster_test.sh CCOW_BINARY [TRANSPORT]
set -uo pipefail
CCOW=$(realpath "$1")
TRANSPORT=${2:-udp}
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
source "$HERE/../gateway/s3/s3_test_lib.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-cluster.XXXXXX")
CL="$WORK/cluster"
cleanup() {
  s3_stop_server
  "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -5 "$CL"/target*/target.log >&2 2>/dev/null; exit 1; }

if ! "$CCOW" cluster up --targets 5 --vdevs 2 --transport "$TRANSPORT" --dir "$CL" >"$WORK/up.log" 2>&1; then
  if [ "$TRANSPORT" = multicast ] && grep -q "multicast group" "$WORK/up.log"; then
    echo "SKIP: this host does not route multicast on loopback: $(grep -m1 multicast "$WORK/up.log")"
    exit 77
  fi
  cat "$WORK/up.log" >&2
  fail "cluster up"
fi
"$PYTHON" - "$CL/cluster.json" <<'PY' || fail "cluster.json does not describe 5 live targets x 2 VDEVs"
import json, os, sys
c = json.load(open(sys.argv[1]))
assert len(c["targets"]) == 5 and c["replication_count"] == 3
for t in c["targets"]:
    os.kill(t["pid"], 0)
    assert len(t["vdevs"]) == 2 and all(v["address"].startswith("127.0.0.1:") for v in t["vdevs"])
PY
"$CCOW" --json system fhtable --cluster "$CL" | "$PYTHON" -c '
import json, sys
t = json.load(sys.stdin)
assert t["generation"] == 1 and len(t["vdevs"]) == 10 and len(t["table"]) == t["rows"], t
' || fail "system fhtable"

# The S3 gateway on the cluster (s3_start_server with a gateway instead of a server).
"$CCOW" gateway s3 --cluster "$CL" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for i in $(seq 1 100); do
  S3_URL=$(sed -n 's/^  S3  *\(http:\/\/[0-9.:]*\).*/\1/p' "$WORK/server.log" | head -1)
  [ -n "$S3_URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the gateway did not start: $(cat "$WORK/server.log")"
  sleep 0.1
done
export S3_URL AWS_ACCESS_KEY_ID=ccow-admin AWS_SECRET_ACCESS_KEY=ccow-admin-secret
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

# objects.py put|verify: 1000 objects, sizes log-uniform from 1 B to 1 MiB plus 15 of
# 1-32 MiB (one of exactly 32 MiB); digests kept in $WORK/digests.json.
cat >"$WORK/objects.py" <<'PY'
import boto3, concurrent.futures as cf, hashlib, json, math, os, random, sys
from botocore.config import Config
mode, digests_path = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=os.environ["S3_URL"],
                  config=Config(retries={"max_attempts": 2}, max_pool_connections=16,
                                s3={"addressing_style": "path"}))
rng = random.Random(4)
sizes = [max(1, int(math.exp(rng.uniform(0, math.log(1 << 20))))) for _ in range(985)]
sizes += [rng.randint(1 << 20, 32 << 20) for _ in range(14)] + [32 << 20]
def put(i):
    data = os.urandom(sizes[i])
    s3.put_object(Bucket="clu", Key=f"obj-{i:04d}", Body=data)
    return i, hashlib.sha256(data).hexdigest()
def check(item):
    key, digest = item
    body = s3.get_object(Bucket="clu", Key=key)["Body"].read()
    return key if hashlib.sha256(body).hexdigest() != digest else None
if mode == "put":
    s3.create_bucket(Bucket="clu")
    with cf.ThreadPoolExecutor(8) as pool:
        digests = {f"obj-{i:04d}": d for i, d in pool.map(put, range(len(sizes)))}
    json.dump(digests, open(digests_path, "w"))
    print(f"put {len(digests)} objects, {sum(sizes) / 1e6:.0f} MB")
else:
    digests = json.load(open(digests_path))
    with cf.ThreadPoolExecutor(8) as pool:
        bad = [k for k in pool.map(check, digests.items()) if k]
    listed = sum(len(p.get("Contents", [])) for p in
                 s3.get_paginator("list_objects_v2").paginate(Bucket="clu"))
    if bad or listed != len(digests):
        sys.exit(f"{len(bad)} objects differ (first {bad[:3]}), {listed} listed of {len(digests)}")
    print(f"verified {len(digests)} objects and the listing")
PY
"$PYTHON" "$WORK/objects.py" put "$WORK/digests.json" || fail "putting 1000 objects"
"$PYTHON" "$WORK/objects.py" verify "$WORK/digests.json" || fail "reading them back"

# The CLI reaches the same cluster.
head -c 3000000 /dev/urandom >"$WORK/cli.bin"
"$CCOW" object put ccow/default/clu/cli.bin "$WORK/cli.bin" --cluster "$CL" >/dev/null || fail "cli put"
"$CCOW" object get ccow/default/clu/cli.bin --out "$WORK/cli.back" --cluster "$CL" || fail "cli get"
cmp -s "$WORK/cli.bin" "$WORK/cli.back" || fail "cli round trip differs"
"$CCOW" object rm ccow/default/clu/cli.bin --cluster "$CL" >/dev/null || fail "cli rm"

# SIGKILL one target: every object is still readable from the other replicas.
VICTIM_PID=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["targets"][2]["pid"])' "$CL/cluster.json")
kill -KILL "$VICTIM_PID"
for i in $(seq 1 50); do kill -0 "$VICTIM_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$VICTIM_PID" 2>/dev/null && fail "target 2 survived SIGKILL"
"$PYTHON" "$WORK/objects.py" verify "$WORK/digests.json" || fail "reads with one target killed"

# `cluster up` restarts it; it serves again (its counters move when the objects are read).
"$CCOW" cluster up --dir "$CL" | grep -q "1 started now" || fail "cluster up did not restart exactly the dead target"
METRICS=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["targets"][2]["metrics"])' "$CL/cluster.json")
"$PYTHON" "$WORK/objects.py" verify "$WORK/digests.json" || fail "reads after the restart"
SERVED=$(curl -fsS "$METRICS" | sed -n 's/^ccow_replicast_messages_total \([0-9]*\)$/\1/p')
[ "${SERVED:-0}" -gt 0 ] || fail "the restarted target answered no message ($METRICS)"

kill -0 "$SERVER_PID" 2>/dev/null || fail "the gateway died"
s3_stop_server
"$CCOW" cluster down --dir "$CL" || fail "cluster down"
"$PYTHON" -c '
import json, os, sys
for t in json.load(open(sys.argv[1]))["targets"]:
    assert t["pid"] == 0, t
' "$CL/cluster.json" || fail "cluster.json still lists running targets"
echo "PASS: cluster ($TRANSPORT)"
