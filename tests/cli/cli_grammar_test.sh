#!/usr/bin/env bash
# The CLI as a person types it: sizes with suffixes on every size flag, bad sizes refused
# with exit code 2 naming the flag, and the global flags (--json, --data, --cluster,
# --log-level) accepted before the subcommand, between subcommands, and after them, with
# a space or with '='. Local data directory only: no servers.
set -euo pipefail
CCOW=${1:?usage: cli_grammar_test.sh path/to/ccow}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-grammar-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CCOW_DATA="$WORK/data"
unset CCOW_CLUSTER
B=ccow/default/grammar
fail() { echo "FAIL: $*" >&2; exit 1; }
run() {  # run CODE command...: stdout in $WORK/out, stderr in $WORK/err
  local want=$1; shift
  set +e; timeout 60 "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || { cat "$WORK/err" >&2; fail "'$*' exited $rc, expected $want"; }
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
err_has() { grep -qF -- "$1" "$WORK/err" || fail "stderr lacks '$1': $(cat "$WORK/err")"; }

head -c $((600 * 1024)) /dev/urandom >"$WORK/obj.bin"

# --- sizes with suffixes -------------------------------------------------------------
for spec in 256K:262144 256k:262144 256KiB:262144 256KB:262144 262144:262144 \
            1M:1048576 1MiB:1048576 1mib:1048576 64Ki:65536; do
  text=${spec%%:*} bytes=${spec##*:}
  run 0 "$CCOW" object put --chunk-size "$text" $B/sized "$WORK/obj.bin"
  got=$("$CCOW" --json object stat $B/sized | json 'd["chunk_size"]')
  [ "$got" = "$bytes" ] || fail "--chunk-size $text stored chunk size $got, expected $bytes"
done
run 0 "$CCOW" object put --chunk-size=128K $B/sized "$WORK/obj.bin"
[ "$("$CCOW" object stat --json $B/sized | json 'd["chunk_size"]')" = 131072 ] || fail "--chunk-size=128K"
"$CCOW" object get $B/sized | cmp - "$WORK/obj.bin" || fail "read back after suffixed put"

# --- bad sizes: exit 2, the flag and the text named, the accepted forms shown ----------
for bad in 12Q 1.5M -1 K 4P 99999999999T 18446744073709551616 ""; do
  run 2 "$CCOW" object put --chunk-size "$bad" $B/bad "$WORK/obj.bin"
  err_has "--chunk-size '$bad'"
done
run 2 "$CCOW" object put --chunk-size 12Q $B/bad "$WORK/obj.bin"
err_has "expected bytes or a size such as 256K, 4M, 1G"
run 2 "$CCOW" object put --chunk-size 99999999999T $B/bad "$WORK/obj.bin"
err_has "too large"
run 2 "$CCOW" object put --chunk-size 32M $B/bad "$WORK/obj.bin"
err_has "--chunk-size '32M'"
run 2 "$CCOW" --json object put --chunk-size 12Q $B/bad "$WORK/obj.bin"
[ "$(json 'd["error"]["code"]' <"$WORK/err")" = "invalid argument" ] || fail "--json error shape: $(cat "$WORK/err")"
run 3 "$CCOW" object stat $B/bad  # nothing was stored by the refused puts
# bench s3 --size is checked before it connects anywhere
run 2 "$CCOW" bench s3 --endpoint http://127.0.0.1:1 --size 4X --count 1
err_has "--size '4X'"

# --- global flags in every position ----------------------------------------------------
is_json() { json 'd["name"]' <"$WORK/out" | grep -qx "$B/sized" || fail "not JSON: $(head -c 300 "$WORK/out")"; }
run 0 "$CCOW" --json object stat $B/sized; is_json
run 0 "$CCOW" object --json stat $B/sized; is_json
run 0 "$CCOW" object stat --json $B/sized; is_json
run 0 "$CCOW" object stat $B/sized --json; is_json
run 0 "$CCOW" object ls --json $B/
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/out" || fail "object ls --json: no JSON"
run 0 "$CCOW" object snapshot ls --json $B/sized
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/out" || fail "three levels deep: no JSON"

# --data in every position and both spellings (CCOW_DATA names a different, empty store)
other="$WORK/other"
CCOW_DATA="$WORK/empty" run 0 "$CCOW" --data "$CCOW_DATA" object stat $B/sized
CCOW_DATA="$WORK/empty" run 0 "$CCOW" --data="$CCOW_DATA" object stat $B/sized
CCOW_DATA="$WORK/empty" run 0 "$CCOW" object --data "$CCOW_DATA" stat $B/sized
CCOW_DATA="$WORK/empty" run 0 "$CCOW" object stat --data "$CCOW_DATA" $B/sized
CCOW_DATA="$WORK/empty" run 0 "$CCOW" object stat $B/sized --data="$CCOW_DATA"
CCOW_DATA="$WORK/empty" run 0 "$CCOW" object snapshot ls $B/sized --data "$CCOW_DATA"
run 0 "$CCOW" --data "$other" object put $B/o "$WORK/obj.bin"
run 0 "$CCOW" object stat --data "$other" $B/o
run 3 "$CCOW" object stat $B/o  # it went to --data, not to CCOW_DATA

# --log-level: a bad level is refused wherever it is written; debug takes effect (the
# debug line names the data directory) wherever it is written
for args in "--log-level loud object stat $B/sized" "object --log-level=loud stat $B/sized" \
            "object stat $B/sized --log-level loud" "object stat --log-level=loud $B/sized"; do
  # shellcheck disable=SC2086
  run 2 "$CCOW" $args
  err_has "loud"
done
for args in "--log-level debug object stat $B/sized" "--log-level=debug object stat $B/sized" \
            "object --log-level debug stat $B/sized" "object stat --log-level=debug $B/sized" \
            "object stat $B/sized --log-level debug"; do
  # shellcheck disable=SC2086
  run 0 "$CCOW" $args
  err_has "$CCOW_DATA"
done
run 0 "$CCOW" object put --log-level=debug $B/k "$WORK/obj.bin"
err_has "$CCOW_DATA"
run 0 "$CCOW" object stat $B/sized
[ ! -s "$WORK/err" ] || fail "the default level printed: $(cat "$WORK/err")"

# --cluster in every position, both spellings: the command goes to that cluster (absent
# here, so it fails naming the directory) instead of the local data directory
nocl="$WORK/no-cluster"
for args in "--cluster $nocl object stat $B/sized" "--cluster=$nocl object stat $B/sized" \
            "object --cluster $nocl stat $B/sized" "object stat --cluster=$nocl $B/sized" \
            "object stat $B/sized --cluster $nocl" "bucket create --cluster $nocl ccow/t/b" \
            "bucket create ccow/t/b --cluster=$nocl" "--json tenant create --cluster $nocl ccow/t"; do
  # shellcheck disable=SC2086
  set +e; timeout 60 "$CCOW" $args >"$WORK/out" 2>"$WORK/err"; rc=$?; set -e
  [ "$rc" -ne 0 ] || fail "'ccow $args' succeeded without its cluster"
  err_has "$nocl"
done

# unknown flags are still refused (fallthrough must not swallow them)
run 2 "$CCOW" object stat --frobnicate $B/sized
run 2 "$CCOW" --frobnicate object stat $B/sized
echo "1 passed, 0 failed"
