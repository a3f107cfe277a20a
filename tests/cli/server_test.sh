#!/usr/bin/env bash
# `ccow server`: starts, prints what it serves, answers /health and /metrics, holds the
# data directory, and stops cleanly on SIGTERM and SIGINT.
set -euo pipefail
CCOW=${1:?usage: server_test.sh path/to/ccow}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-srv-XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$WORK/log" >&2 || true; exit 1; }
PORT=$((20000 + RANDOM % 20000))

echo data | "$CCOW" object put --data "$WORK/data" Hawaii/Cola/bk1/a - >/dev/null
for sig in TERM INT; do
  "$CCOW" server --data "$WORK/data" --admin-listen 127.0.0.1:$PORT --s3-listen 127.0.0.1:0 >"$WORK/log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  [ "$(curl -sf http://127.0.0.1:$PORT/health)" = ok ] || fail "health"
  curl -sf "http://127.0.0.1:$PORT/metrics" | grep '^ccow_vdev_chunks{vdev="0"} [1-9]' >/dev/null || fail "metrics"
  curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope" | grep -q 404 || fail "404"
  grep -q "http://127.0.0.1:$PORT/metrics" "$WORK/log" || fail "server did not print its endpoints"
  # The store is held by the server: a second opener gets exit code 6 and a clear message.
  set +e; "$CCOW" object ls --data "$WORK/data" Hawaii/Cola/bk1/ 2>"$WORK/err"; rc=$?; set -e
  [ $rc -eq 6 ] || fail "second opener exited $rc"
  grep -q "in use by another ccow process" "$WORK/err" || fail "busy message"
  kill -$sig $PID
  wait $PID || fail "server exited non-zero on SIG$sig"
  PID=""
  grep -q "stopping on signal" "$WORK/log" || fail "no clean stop message on SIG$sig"
  "$CCOW" object get --data "$WORK/data" Hawaii/Cola/bk1/a | grep -q data || fail "data after stop"
done
# A port in use is a clear error at start.
# The holder sets SO_REUSEADDR so that the servers' TIME_WAIT connections on the port
# cannot make its bind fail (then ccow would start and this test never end); it says when
# it listens, and the server gets a bounded time either way.
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$PORT)); s.listen(); open('$WORK/held','w').close(); time.sleep(20)" &
HOLDER=$!
for _ in $(seq 100); do [ -e "$WORK/held" ] && break; sleep 0.1; done
[ -e "$WORK/held" ] || fail "the test could not hold port $PORT"
set +e; timeout 15 "$CCOW" server --data "$WORK/data" --admin-listen 127.0.0.1:$PORT --s3-listen 127.0.0.1:0 2>"$WORK/err" >/dev/null; rc=$?; set -e
kill $HOLDER 2>/dev/null || true
[ $rc -ne 0 ] && grep -q "cannot listen" "$WORK/err" || fail "port in use: rc=$rc $(cat "$WORK/err")"
echo "1 passed, 0 failed"
