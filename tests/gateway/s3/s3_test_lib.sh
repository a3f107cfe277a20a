# Shared by the S3 gateway integration tests: starts `ccow server` on free loopback ports
# (port 0, read back from what the server prints), stops it, and reports failures.
# usage: source s3_test_lib.sh; s3_start_server CCOW WORKDIR [extra server flags...]
#   sets S3_URL, ADMIN_URL, SERVER_PID, S3_STORE_FLAGS (how other ccow commands reach the
#   same store), and AWS_* for the default key pair.
# With CCOW_S3_TEST_ON_CLUSTER=1 the same tests run against `ccow gateway s3` on a local
# cluster of 5 targets x 2 VDEVs (R=3) that s3_start_server starts and s3_stop_server stops.

s3_fail() { echo "FAIL: $*" >&2; [ -n "${WORK:-}" ] && [ -f "$WORK/server.log" ] && tail -20 "$WORK/server.log" >&2; exit 1; }

s3_start_server() {
  local ccow=$1 dir=$2; shift 2
  mkdir -p "$dir"
  if [ "${CCOW_S3_TEST_ON_CLUSTER:-0}" = 1 ]; then
    S3_CLUSTER_DIR="$dir/cluster" S3_CCOW="$ccow" S3_STORE_FLAGS="--cluster $dir/cluster"
    "$ccow" cluster up --targets 5 --vdevs 2 --dir "$S3_CLUSTER_DIR" >"$dir/cluster.log" 2>&1 ||
      { cat "$dir/cluster.log" >&2; return 1; }
    "$ccow" gateway s3 --cluster "$S3_CLUSTER_DIR" --s3-listen 127.0.0.1:0 \
      --admin-listen 127.0.0.1:0 "$@" >"$dir/server.log" 2>&1 &
  else
    S3_STORE_FLAGS="--data $dir/data"
    "$ccow" server --data "$dir/data" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 "$@" \
      >"$dir/server.log" 2>&1 &
  fi
  SERVER_PID=$!
  local i
  for i in $(seq 1 100); do
    S3_URL=$(sed -n 's/^  S3  *\(https\{0,1\}:\/\/[0-9.:]*\).*/\1/p' "$dir/server.log" | head -1)
    ADMIN_URL=$(sed -n 's/^  health  *\(http:\/\/[0-9.:]*\)\/health.*/\1/p' "$dir/server.log" | head -1)
    [ -n "$S3_URL" ] && [ -n "$ADMIN_URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/server.log" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$S3_URL" ] || { cat "$dir/server.log" >&2; return 1; }
  export AWS_ACCESS_KEY_ID=ccow-admin AWS_SECRET_ACCESS_KEY=ccow-admin-secret
  export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
}

s3_stop_server() {
  if [ -n "${SERVER_PID:-}" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  if [ -n "${S3_CLUSTER_DIR:-}" ]; then
    "$S3_CCOW" cluster down --dir "$S3_CLUSTER_DIR" >/dev/null 2>&1 || true
    S3_CLUSTER_DIR=""
  fi
}
