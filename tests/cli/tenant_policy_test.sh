#!/usr/bin/env bash
# A tenant's policy on one node (issue 11 "policy per tenant"): `ccow tenant create` takes
# -r, --retention and --ec; `tenant update` changes only the flags it is given and bumps
# the revision; `tenant show` and `cluster show` print the settings; an erasure code one
# node cannot place (one failure domain) is refused with the bucket's message; and a
# retention set by `tenant update` takes effect: a collection with a node-wide retention of
# 0 keeps the deleted version of a bucket (with none of its own) of that tenant, and drops
# the other tenant's.
set -euo pipefail
CCOW=${1:?usage: tenant_policy_test.sh path/to/ccow}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-tenant-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CCOW_DATA="$WORK/data"
unset CCOW_CLUSTER
fail() { echo "FAIL: $*" >&2; exit 1; }
run() {  # run CODE command...: stdout in $WORK/out, stderr in $WORK/err
  local want=$1; shift
  set +e; timeout 60 "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || { cat "$WORK/err" >&2; fail "'$*' exited $rc, expected $want"; }
}
err_has() { grep -qF -- "$1" "$WORK/err" || fail "stderr lacks '$1': $(cat "$WORK/err")"; }
out_has() { grep -qF -- "$1" "$WORK/out" || fail "stdout lacks '$1': $(cat "$WORK/out")"; }
show() {  # show CL/TEN EXPR: EXPR of the tenant's JSON (d)
  "$CCOW" --json tenant show "$1" >"$WORK/show.json" || fail "tenant show $1"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$WORK/show.json"
}
H=3600000000000  # an hour in ns

run 0 "$CCOW" cluster create ccow
run 0 "$CCOW" tenant create ccow/keep -r 1 --retention 2h
[ "$(show ccow/keep 'd["replication_count"], d["retention_ns"], repr(d["erasure_code"]), d["revision"]')" = \
  "1 $((2 * H)) '' 0" ] || fail "tenant create flags: $(cat "$WORK/show.json")"
run 0 "$CCOW" tenant create ccow/plain

# Refusals: exit 2 with a message naming what to change; nothing is created.
run 2 "$CCOW" tenant create ccow/wide --ec 4:2:rs
err_has "erasure code 4:2:rs cannot be placed: a stripe needs 6 distinct"
run 3 "$CCOW" tenant show ccow/wide
run 2 "$CCOW" tenant create ccow/bad --ec 4:x:rs
err_has "4:x:rs"
run 2 "$CCOW" tenant create ccow/bad --retention 7x
err_has "--retention '7x'"
run 3 "$CCOW" tenant update ccow/nobody --retention 1h
run 2 "$CCOW" tenant update ccow/keep

# Only the flags given change; each update bumps the revision.
run 0 "$CCOW" tenant update ccow/keep --retention 1h
[ "$(show ccow/keep 'd["replication_count"], d["retention_ns"], d["revision"]')" = "1 $H 1" ] ||
  fail "tenant update --retention: $(cat "$WORK/show.json")"
run 0 "$CCOW" tenant update ccow/keep -r 0
[ "$(show ccow/keep 'd["replication_count"], d["retention_ns"], d["revision"]')" = "0 $H 2" ] ||
  fail "tenant update -r: $(cat "$WORK/show.json")"
run 2 "$CCOW" tenant update ccow/keep --ec 4:2:rs
err_has "cannot be placed"
[ "$(show ccow/keep 'd["revision"]')" = 2 ] || fail "a refused update changed the tenant"
run 0 "$CCOW" tenant update ccow/keep --ec ""
[ "$(show ccow/keep 'd["retention_ns"], repr(d["erasure_code"]), d["revision"]')" = "$H '' 3" ] ||
  fail "tenant update --ec \"\": $(cat "$WORK/show.json")"

# What an operator reads.
run 0 "$CCOW" tenant show ccow/keep
out_has "retention 1h"
out_has "erasure code none"
run 0 "$CCOW" cluster show ccow
out_has "ccow/keep  replication default  ec none  retention 1h"
out_has "ccow/plain  replication default  ec none  retention default"

# The tenant's retention takes effect: a pass with a node-wide retention of 0 expires the
# deleted version in ccow/plain and keeps the one in ccow/keep (its bucket has none).
head -c $((300 * 1024)) /dev/urandom >"$WORK/obj.bin"
for t in keep plain; do
  run 0 "$CCOW" object put "ccow/$t/b/x" "$WORK/obj.bin"
  run 0 "$CCOW" object rm "ccow/$t/b/x"
done
run 0 "$CCOW" --json system gc --now --quarantine-retention 0
run 0 "$CCOW" object undelete ccow/keep/b/x
"$CCOW" object get ccow/keep/b/x | cmp - "$WORK/obj.bin" || fail "the undeleted object of ccow/keep differs"
run 3 "$CCOW" object undelete ccow/plain/b/x
echo "1 passed, 0 failed"
