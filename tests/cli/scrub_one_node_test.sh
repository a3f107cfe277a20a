#!/usr/bin/env bash
# Scrub on one node (issue 11 §2): a damaged chunk of a data directory has no other copy,
# so it is reported with the objects that reference it: by `ccow system scrub --now` with
# no server (exit code 4), and by a running `ccow server` (its admin endpoint, `ccow system
# status`, /metrics).
# usage: scrub_one_node_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-scrub1.XXXXXX")
export CCOW_DATA="$WORK/data"
cleanup() {
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Two objects share their first 1 MiB chunk (dedup); a third does not.
head -c $((1 << 20)) /dev/urandom >"$WORK/shared"
head -c $((300 << 10)) /dev/urandom >"$WORK/tail"
cat "$WORK/shared" "$WORK/tail" >"$WORK/a"
cat "$WORK/shared" "$WORK/shared" >"$WORK/b"
head -c $((500 << 10)) /dev/urandom >"$WORK/c"
for o in a b c; do "$CCOW" object put "ccow/default/one/$o" "$WORK/$o" >/dev/null || fail "put $o"; done
"$CCOW" system scrub --now >"$WORK/clean.txt" || fail "a scrub of a clean store failed: $(cat "$WORK/clean.txt")"
grep -q "0 bad copies" "$WORK/clean.txt" || fail "a clean store: $(cat "$WORK/clean.txt")"

CHID=sha256:$(sha256sum "$WORK/shared" | cut -d' ' -f1)
"$CCOW" vdev chunk locate --vdev "$CCOW_DATA/vdev0" "$CHID" >"$WORK/where" || fail "locate $CHID"
grep -q "\.seg @" "$WORK/where" || fail "a 1 MiB chunk is not in a segment file: $(cat "$WORK/where")"
"$CCOW" vdev chunk damage --vdev "$CCOW_DATA/vdev0" "$CHID" --mode flip >/dev/null || fail "damage"

# No server: the command runs the pass, names both objects, exits 4.
"$CCOW" system scrub --now >"$WORK/out.txt" 2>"$WORK/err.txt"
rc=$?
[ $rc = 4 ] || fail "exit code $rc, not 4: $(cat "$WORK/out.txt" "$WORK/err.txt")"
grep -q "unrepairable: $CHID" "$WORK/out.txt" || fail "no finding for $CHID: $(cat "$WORK/out.txt")"
grep -q "referenced by ccow/default/one/a (generation" "$WORK/out.txt" || fail "object a not named: $(cat "$WORK/out.txt")"
grep -q "referenced by ccow/default/one/b (generation" "$WORK/out.txt" || fail "object b not named"
grep -q "one/c" "$WORK/out.txt" && fail "object c named, though it does not reference the chunk"

# A running server scrubs on request and reports the same.
"$CCOW" server --admin-listen 127.0.0.1:0 --s3-listen 127.0.0.1:0 --scrub-interval 0 --scrub-rate 100M \
  >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do [ -s "$CCOW_DATA/server.json" ] && break; sleep 0.1; done
[ -s "$CCOW_DATA/server.json" ] || fail "the server did not start: $(cat "$WORK/server.log")"
"$CCOW" --json system scrub --now --wait >"$WORK/s.json" || fail "system scrub --now --wait: $(cat "$WORK/s.json")"
python3 -c "
import json,sys; j=json.load(open('$WORK/s.json'))
assert j['passes_completed'] == 1 and j['pass']['corrupt'] == 1 and j['pass']['unrepairable'] == 1, j
f = j['unrepairable'][0]; assert f['chid'] == '$CHID' and len(f['objects']) == 2, f" || fail "the server's scrub: $(cat "$WORK/s.json")"
"$CCOW" system status >"$WORK/status.txt" || fail "system status"
grep -q "scrub: idle, 1 passes completed" "$WORK/status.txt" || fail "no scrub lines in status: $(cat "$WORK/status.txt")"
grep -q "referenced by ccow/default/one/a" "$WORK/status.txt" || fail "status does not name the object"
PORT=$(python3 -c "import json; print(json.load(open('$CCOW_DATA/server.json'))['admin_port'])")
curl -sf "http://127.0.0.1:$PORT/metrics" | grep "^ccow_scrub_unrepairable_total 1" >/dev/null || fail "ccow_scrub_unrepairable_total"
echo PASS
