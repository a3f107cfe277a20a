#!/usr/bin/env bash
# The registry of record (issue 10):
#  1. propagation: a bucket created through gateway A of a 5-target cluster, time until
#     B and C serve it (and a key deleted with the CLI, until B and C refuse it): p50/p99,
#     against the bound of 1 s and the loopback round trip;
#  2. the cost of the registry lookup on the request path: 4 KiB GET ops/s on one node,
#     this build against BEFORE_CCOW (a build from before the registry), alternating runs.
# usage: registry_bench.sh CCOW_BINARY [BEFORE_CCOW] [ROUNDS]
set -uo pipefail
CCOW=$(realpath "$1")
BEFORE=${2:-}
ROUNDS=${3:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-regbench.XXXXXX")
CL="$WORK/cluster"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.3
  "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
url_of() {  # log file -> S3 URL once printed
  for i in $(seq 1 100); do
    u=$(sed -n 's/^  S3  *\(http:\/\/[0-9.:]*\).*/\1/p' "$1" | head -1)
    [ -n "$u" ] && { echo "$u"; return; }
    sleep 0.1
  done
}

echo "## Registry change propagation (5 targets x 2 VDEVs, 3 S3 gateways, loopback)"
"$CCOW" cluster up --targets 5 --vdevs 2 --dir "$CL" >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; exit 1; }
URLS=()
for g in a b c; do
  "$CCOW" gateway s3 --cluster "$CL" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 >"$WORK/gw-$g.log" 2>&1 &
  PIDS+=($!)
done
for g in a b c; do URLS+=("$(url_of "$WORK/gw-$g.log")"); done
CCOW="$CCOW" CLUSTER="$CL" URLS="${URLS[*]}" "$PYTHON" - <<'PY'
import json, os, statistics, subprocess, time, uuid, socket
import boto3, botocore.config
from botocore.exceptions import ClientError
cfg = botocore.config.Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
urls = os.environ["URLS"].split()
def cl(u, k="ccow-admin", s="ccow-admin-secret"):
    return boto3.client("s3", endpoint_url=u, aws_access_key_id=k, aws_secret_access_key=s,
                        region_name="us-east-1", config=cfg)
gw = [cl(u) for u in urls]
def ok(fn):
    try:
        fn(); return True
    except ClientError:
        return False
def until(pred):
    t = time.monotonic()
    while not pred():
        if time.monotonic() - t > 5: return None
        time.sleep(0.0005)
    return time.monotonic() - t
bucket_t, key_t = [], []
for i in range(100):
    b = "p" + uuid.uuid4().hex[:12]
    gw[0].create_bucket(Bucket=b)
    for g in gw[1:]:
        bucket_t.append(until(lambda: ok(lambda: g.head_bucket(Bucket=b))))
for i in range(20):
    made = json.loads(subprocess.run([os.environ["CCOW"], "--cluster", os.environ["CLUSTER"], "--json", "user",
                                      "create", "bench"], capture_output=True, text=True).stdout)
    users = [cl(u, made["access_key"], made["secret_key"]) for u in urls]
    for u in users: until(lambda: ok(u.list_buckets))
    subprocess.run([os.environ["CCOW"], "--cluster", os.environ["CLUSTER"], "user", "delete", made["access_key"]],
                   capture_output=True)
    for u in users[1:]:
        key_t.append(until(lambda: not ok(u.list_buckets)))
# One HTTP round trip on loopback to the same gateway, for scale.
rtt = []
for i in range(200):
    t = time.monotonic(); ok(lambda: gw[1].head_bucket(Bucket="none-such-bucket")); rtt.append(time.monotonic() - t)
def row(name, xs):
    xs = sorted(x for x in xs if x is not None)
    p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
    print(f"| {name} | {len(xs)} | {statistics.median(xs)*1e3:.1f} ms | {p99*1e3:.1f} ms | {xs[-1]*1e3:.1f} ms | 1000 ms |")
print("\n| change | n | p50 | p99 | max | bound |\n|---|---:|---:|---:|---:|---:|")
row("bucket created on A, served by B/C (incl. the poll's HEAD)", bucket_t)
row("key deleted by the CLI, refused by B/C", key_t)
print(f"\nloopback S3 round trip (HEAD of a missing bucket): p50 {statistics.median(rtt)*1e3:.2f} ms")
PY
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
PIDS=()
"$CCOW" cluster down --dir "$CL" >/dev/null 2>&1

if [ -n "$BEFORE" ]; then
  BEFORE=$(realpath "$BEFORE")
  echo
  echo "## Registry lookup on the request path: 4 KiB GET, one node, c8 (ops/s, alternating rounds)"
  echo
  echo "| round | before the registry | this build |"
  echo "|---:|---:|---:|"
  for r in $(seq 1 "$ROUNDS"); do
    line="| $r"
    for bin in "$BEFORE" "$CCOW"; do
      d="$WORK/one-$r-$(basename "$(dirname "$(dirname "$bin")")")"
      rm -rf "$d"; mkdir -p "$d"
      "$bin" server --data "$d/data" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 >"$d/log" 2>&1 &
      pid=$!
      u=$(url_of "$d/log")
      out=$("$bin" bench s3 --endpoint "$u" --bucket b4k --size 4K --count 4000 --concurrency 8 \
            --phases put,get --server-pids "$pid" 2>&1)
      ops=$(echo "$out" | sed -n 's/^GET .* ops\/s=\([0-9.]*\).*/\1/p' | head -1)
      [ -z "$ops" ] && ops="failed: $(echo "$out" | tail -1)"
      line="$line | $ops"
      kill -TERM "$pid"; wait "$pid" 2>/dev/null
    done
    echo "$line |"
  done
fi
