#!/usr/bin/env bash
# Services of the registry on one node (issue 14, the efscli grammar): `ccow service create
# isgw NAME`, `serve`/`unserve` CLUSTER/TENANT/BUCKET, `config NAME KEY VALUE` for each
# setting, `show` and `list` (also --json), `delete`. A bad value exits 2 naming the setting
# and its accepted values and changes nothing; an unknown service exits 3; each config
# bumps the revision; and the settings outlive the process (the registry is durable).
set -euo pipefail
CCOW=${1:?usage: service_test.sh path/to/ccow}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-service-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CCOW_DATA="$WORK/data"
unset CCOW_CLUSTER
fail() { echo "FAIL: $*" >&2; exit 1; }
run() {  # run CODE command...: stdout in $WORK/out, stderr in $WORK/err
  local want=$1; shift
  set +e; timeout 60 "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || { cat "$WORK/out" "$WORK/err" >&2; fail "'$*' exited $rc, expected $want"; }
}
err_has() { grep -qF -- "$1" "$WORK/err" || fail "stderr lacks '$1': $(cat "$WORK/err")"; }
out_has() { grep -qF -- "$1" "$WORK/out" || fail "stdout lacks '$1': $(cat "$WORK/out")"; }
show() {  # show NAME EXPR: EXPR of the service's JSON (d)
  "$CCOW" --json service show "$1" >"$WORK/show.json" || fail "service show $1"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$WORK/show.json"
}

run 0 "$CCOW" cluster create Hawaii
run 0 "$CCOW" tenant create Hawaii/Cola
run 0 "$CCOW" bucket create Hawaii/Cola/bk1
run 0 "$CCOW" service create isgw hawaii
run 1 "$CCOW" service create isgw hawaii
err_has "service hawaii exists"
run 2 "$CCOW" service create nfs other
err_has "unknown service type 'nfs'"

# Defaults, as the issue gives them.
[ "$(show hawaii 'd["type"], d["serves"], d["config"]["direction"], d["config"]["replication"], d["config"]["batch-interval"], d["revision"]')" = \
  "isgw [] send+receive initial+continuous 10s 0" ] || fail "defaults: $(cat "$WORK/show.json")"

run 0 "$CCOW" service serve hawaii Hawaii/Cola/bk1
out_has "service hawaii serves Hawaii/Cola/bk1"
# Serving twice is serving (the other end's bucket offer may have served it first).
run 0 "$CCOW" service serve hawaii Hawaii/Cola/bk1
out_has "service hawaii serves Hawaii/Cola/bk1"
run 2 "$CCOW" service serve hawaii Hawaii/Cola
err_has "CLUSTER/TENANT/BUCKET"
run 3 "$CCOW" service serve nobody Hawaii/Cola/bk1

# Each setting, and each bumps the revision.
run 0 "$CCOW" service config hawaii remote ccow://10.0.0.2:7480
run 0 "$CCOW" service config hawaii direction send
run 0 "$CCOW" service config hawaii replication continuous
run 0 "$CCOW" service config hawaii metadata-only versions
run 0 "$CCOW" service config hawaii chunk-cache-size 1G
run 0 "$CCOW" --json service config hawaii batch-interval 500ms
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['ok'] and '500ms' in d['done'], d" "$WORK/out" ||
  fail "config --json: $(cat "$WORK/out")"
[ "$(show hawaii 'd["config"]["remote"], d["config"]["direction"], d["config"]["replication"], d["config"]["metadata-only"], d["config"]["chunk-cache-size"], d["config"]["batch_interval_ns"], d["revision"]')" = \
  "ccow://10.0.0.2:7480 send continuous versions 1073741824 500000000 6" ] || fail "settings: $(cat "$WORK/show.json")"

# Refusals name the setting and change nothing.
run 2 "$CCOW" service config hawaii direction both
err_has "direction 'both': expected one of send, receive, send+receive"
run 2 "$CCOW" service config hawaii batch-interval 10ms
err_has "batch-interval must be from 100ms to 1h"
run 2 "$CCOW" service config hawaii remote http://elsewhere
err_has "remote 'http://elsewhere'"
run 2 "$CCOW" service config hawaii colour blue
err_has "unknown service setting 'colour'"
run 3 "$CCOW" service config nobody direction send
err_has "no service nobody"
[ "$(show hawaii 'd["config"]["direction"], d["revision"]')" = "send 6" ] || fail "a refused config changed the service"

# What an operator reads.
run 0 "$CCOW" service show hawaii
out_has "serves Hawaii/Cola/bk1"
out_has "remote ccow://10.0.0.2:7480"
out_has "batch-interval 500ms"
out_has "chunk-cache-size 1 GiB"
run 0 "$CCOW" service list
out_has "hawaii  isgw  1 bucket  -> ccow://10.0.0.2:7480"
run 0 "$CCOW" --json cluster show Hawaii
run 0 "$CCOW" --json service list
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['hawaii']['config']['metadata-only'] == 'versions', d" \
  "$WORK/out" || fail "service list --json: $(cat "$WORK/out")"

# Unserve, then delete.
run 0 "$CCOW" service unserve hawaii Hawaii/Cola/bk1
run 3 "$CCOW" service unserve hawaii Hawaii/Cola/bk1
err_has "does not serve Hawaii/Cola/bk1"
[ "$(show hawaii 'd["serves"], d["config"]["remote"]')" = "[] ccow://10.0.0.2:7480" ] || fail "unserve: $(cat "$WORK/show.json")"
run 0 "$CCOW" service delete hawaii
run 3 "$CCOW" service show hawaii
err_has "no service hawaii"
echo "service_test: ok"
