#!/usr/bin/env bash
# The garbage collector's compaction rate on one node (`ccow server --gc-rate`, issue 11):
#  1. a bad rate is refused naming the flag, exit 2 (server and cluster up);
#  2. the rate in force shows in `ccow system gc` (text and --json) and on /metrics:
#     the default (16M), a given one, and 0 (unlimited);
#  3. a server stopped (SIGTERM) while a slow paced compaction runs exits at once, not
#     at the end of the pass, and nothing is lost: the next pass finishes the job and
#     every live object reads back byte-identical.
# usage: gc_rate_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-gcrate.XXXXXX")
export CCOW_DATA="$WORK/data"
unset CCOW_CLUSTER
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -f "$WORK/server.log" ] && tail -20 "$WORK/server.log" >&2
  exit 1
}
json() { "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
start() {  # start [server flags...]: a server on free ports, waits for its server.json
  "$CCOW" server --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --gc-interval 0 --scrub-interval 0 \
    --quarantine-retention 0s "$@" >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do [ -s "$CCOW_DATA/server.json" ] && return 0; sleep 0.1; done
  fail "the server did not start: $(cat "$WORK/server.log")"
}
stop() {
  kill "$SERVER" && wait "$SERVER" || fail "the server exited non-zero"
  SERVER=""
}
metric() {
  local port
  port=$("$PYTHON" -c "import json; print(json.load(open('$CCOW_DATA/server.json'))['admin_port'])")
  curl -sf "http://127.0.0.1:$port/metrics" | sed -n "s/^$1 //p"
}

# 1. Refused, naming the flag and the value.
for bad in 12Q 1.5M -1; do
  timeout 30 "$CCOW" server --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --gc-rate "$bad" \
    >"$WORK/out" 2>"$WORK/err"
  rc=$?
  [ $rc = 2 ] || fail "server --gc-rate '$bad' exited $rc, expected 2"
  grep -qF -- "--gc-rate '$bad'" "$WORK/err" || fail "server --gc-rate '$bad': $(cat "$WORK/err")"
done
timeout 30 "$CCOW" cluster up --dir "$WORK/cl" --targets 1 --replicas 1 --gc-rate 12Q >"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc = 2 ] || fail "cluster up --gc-rate 12Q exited $rc, expected 2"
grep -qF -- "--gc-rate '12Q'" "$WORK/err" || fail "cluster up --gc-rate 12Q: $(cat "$WORK/err")"

# 2. The rate in force: status and metrics.
for case in ":16777216" "8M:8388608" "0:0"; do
  flag=${case%%:*} want=${case##*:}
  if [ -n "$flag" ]; then start --gc-rate "$flag"; else start; fi
  got=$("$CCOW" --json system gc | json 'd["rate_limit_bytes_per_second"]') || fail "system gc --json"
  [ "$got" = "$want" ] || fail "--gc-rate '$flag': status says $got, expected $want"
  [ "$(metric ccow_gc_rate_limit_bytes_per_second)" = "$want" ] ||
    fail "--gc-rate '$flag': /metrics says '$(metric ccow_gc_rate_limit_bytes_per_second)', expected $want"
  "$CCOW" system gc >"$WORK/gc.txt" || fail "system gc"
  if [ "$want" = 0 ]; then
    grep -q "compaction unlimited" "$WORK/gc.txt" || fail "unlimited not shown: $(cat "$WORK/gc.txt")"
  else
    grep -q "compaction at most [0-9.]* MiB/s" "$WORK/gc.txt" || fail "rate not shown: $(cat "$WORK/gc.txt")"
  fi
  stop
done

# 3. 24 objects of 1 MiB, every other one deleted: the pass must rewrite ~12 MiB of live
#    chunks, which at 256 KiB/s takes ~45 s. SIGTERM once it is compacting.
for i in $(seq 1 24); do
  head -c $((1 << 20)) /dev/urandom >"$WORK/o$i"
  "$CCOW" object put "ccow/default/rate/o$i" "$WORK/o$i" >/dev/null || fail "put o$i"
done
for i in $(seq 2 2 24); do "$CCOW" object rm "ccow/default/rate/o$i" >/dev/null || fail "rm o$i"; done
start --gc-rate 256K --log-level info
"$CCOW" system gc --now >/dev/null || fail "system gc --now"
for _ in $(seq 1 300); do
  phase=$("$CCOW" --json system gc | json 'd["phase"]')
  [ "$phase" = compact ] && break
  sleep 0.1
done
[ "$phase" = compact ] || fail "the pass never reached its compaction (phase '$phase')"
sleep 1
begin=$SECONDS
kill "$SERVER"
wait "$SERVER" || fail "the server exited non-zero when stopped during a paced compaction"
SERVER=""
[ $((SECONDS - begin)) -le 10 ] || fail "the server took $((SECONDS - begin)) s to stop during a paced compaction"
grep -q "stopped on request" "$WORK/server.log" || fail "the compaction did not stop on request: $(grep -i compaction "$WORK/server.log")"

start --gc-rate 0
"$CCOW" --json system gc --now --wait >"$WORK/pass.json" || fail "the pass after the restart: $(cat "$WORK/pass.json")"
stop
for i in $(seq 1 2 23); do
  "$CCOW" object get "ccow/default/rate/o$i" --out "$WORK/got" || fail "o$i unreadable"
  cmp -s "$WORK/got" "$WORK/o$i" || fail "o$i differs"
done
for i in $(seq 2 2 24); do
  "$CCOW" object get "ccow/default/rate/o$i" --out "$WORK/got" >/dev/null 2>&1 && fail "deleted o$i reads back"
done
segments=$(du -sb "$CCOW_DATA/vdev0/segments" | cut -f1)
[ "$segments" -le $(( (12 + 4) << 20 )) ] || fail "segment files hold $segments bytes for 12 MiB live"
echo PASS
