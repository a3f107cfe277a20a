#!/usr/bin/env bash
# End-to-end: the ccow binary on a real data directory with real files, pipes and exit codes.
set -euo pipefail
CCOW=${1:?usage: object_cli_test.sh path/to/ccow}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-cli-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DATA="$WORK/data"
B=Hawaii/Cola/bk1
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() {  # expect_rc CODE command...
  local want=$1; shift
  set +e; "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || { cat "$WORK/err" >&2; fail "'$*' exited $rc, expected $want"; }
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

head -c $((5 * 1024 * 1024 + 333)) /dev/urandom >"$WORK/big.bin"
echo "hello" >"$WORK/small.txt"

# put / get / cmp, from a file and from stdin
"$CCOW" object put --data "$DATA" $B/big.iso "$WORK/big.bin" >/dev/null
"$CCOW" object get --data "$DATA" $B/big.iso >"$WORK/got"
cmp "$WORK/got" "$WORK/big.bin" || fail "get returned different bytes"
cat "$WORK/small.txt" | "$CCOW" object put --data "$DATA" $B/dir/small.txt - --content-type text/plain --meta owner=ann >/dev/null
"$CCOW" object get --data "$DATA" $B/dir/small.txt --out "$WORK/small.got"
cmp "$WORK/small.got" "$WORK/small.txt" || fail "--out file differs"

# ranges match dd
"$CCOW" object get --data "$DATA" $B/big.iso --range 1048570-1048600 >"$WORK/range"
dd if="$WORK/big.bin" bs=1 skip=1048570 count=31 status=none | cmp - "$WORK/range" || fail "range differs"

# JSON stat, ETag is the MD5 of the content
etag=$("$CCOW" --json object stat --data "$DATA" $B/big.iso | json 'd["etag"]')
[ "$etag" = "$(md5sum <"$WORK/big.bin" | cut -d' ' -f1)" ] || fail "etag $etag is not the MD5"
meta=$("$CCOW" object stat --data "$DATA" $B/dir/small.txt --json | json 'd["metadata"]["owner"]')
[ "$meta" = ann ] || fail "metadata lost"

# re-put writes no payload (inline dedup)
new=$("$CCOW" --json object put --data "$DATA" $B/big.iso "$WORK/big.bin" | json 'd["new_payload_bytes"]')
[ "$new" = 0 ] || fail "re-put wrote $new payload bytes"

# ls with delimiter, versions
"$CCOW" object ls --data "$DATA" $B/ -d / >"$WORK/ls"
grep -q "PRE $B/dir/" "$WORK/ls" || fail "ls lacks the common prefix"
grep -q "$B/big.iso" "$WORK/ls" || fail "ls lacks big.iso"
n=$("$CCOW" --json object versions --data "$DATA" $B/big.iso | json 'len(d["versions"])')
[ "$n" = 2 ] || fail "expected 2 versions, got $n"

# snapshot, rm (to quarantine), undelete, clone
"$CCOW" object snapshot create --data "$DATA" $B/big.iso before >/dev/null
"$CCOW" object rm --data "$DATA" $B/big.iso >/dev/null
expect_rc 3 "$CCOW" object get --data "$DATA" $B/big.iso
grep -q "does not exist" "$WORK/err" || fail "unclear not-found message: $(cat "$WORK/err")"
"$CCOW" object get --data "$DATA" $B/big.iso --snapshot before | cmp - "$WORK/big.bin" || fail "snapshot read"
"$CCOW" object undelete --data "$DATA" $B/big.iso >/dev/null
"$CCOW" object get --data "$DATA" $B/big.iso | cmp - "$WORK/big.bin" || fail "undelete"
"$CCOW" object clone --data "$DATA" $B/big.iso Hawaii/Cola/bk2/clone.iso >/dev/null
"$CCOW" object get --data "$DATA" Hawaii/Cola/bk2/clone.iso | cmp - "$WORK/big.bin" || fail "clone read"

# content-defined chunking: a 1-byte insertion rewrites only the chunks around it. A chunk
# is at most 4x the average (256 KiB here), and the cut after the insertion resynchronises
# within the next chunk, so at most two maximal chunks are new; fixed chunking would write
# the whole second half (2.5 MiB). (Three *average* chunks was too tight: random content
# makes a 200 KiB chunk now and then.)
python3 - "$WORK/big.bin" "$WORK/edited.bin" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(d[:len(d)//2] + b'X' + d[len(d)//2:])
PY
"$CCOW" object put --data "$DATA" $B/cdc "$WORK/big.bin" --chunking cdc --chunk-size 64K >/dev/null
new=$("$CCOW" --json object put --data "$DATA" $B/cdc "$WORK/edited.bin" --chunking cdc --chunk-size 64K | json 'd["new_payload_bytes"]')
[ "$new" -le $((2 * 4 * 65536)) ] || fail "cdc insertion wrote $new new bytes"
"$CCOW" object get --data "$DATA" $B/cdc | cmp - "$WORK/edited.bin" || fail "cdc read"

# clear errors and exit codes
expect_rc 2 "$CCOW" object put --data "$DATA" not-a-name "$WORK/small.txt"
grep -q "SEGMENT/TENANT/BUCKET/OBJECT" "$WORK/err" || fail "bad-name message: $(cat "$WORK/err")"
expect_rc 2 "$CCOW" object put --data "$DATA" $B/x "$WORK/small.txt" --hash md4
expect_rc 3 "$CCOW" object put --data "$DATA" $B/x "$WORK/no-such-file"
expect_rc 2 "$CCOW" object get --data "$DATA" $B/big.iso --range 10-5
expect_rc 3 "$CCOW" --json object stat --data "$DATA" $B/nope
json 'd["error"]["code"]' <"$WORK/err" | grep -q "not found" || fail "--json error shape"
expect_rc 2 "$CCOW" object frobnicate

# corruption: flip a byte inside the first segment; get fails naming the chunk, --out leaves nothing
seg="$DATA/vdev0/segments/00000001.seg"
python3 - "$seg" <<'PY'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(4096); b = f.read(1); f.seek(4096); f.write(bytes([b[0] ^ 0xff]))
PY
expect_rc 4 "$CCOW" object get --data "$DATA" $B/big.iso --out "$WORK/corrupt.out"
grep -Eq "chunk sha256:[0-9a-f]{64} is corrupt" "$WORK/err" || fail "corruption message: $(cat "$WORK/err")"
[ ! -e "$WORK/corrupt.out" ] && [ ! -e "$WORK/corrupt.out.ccow-partial" ] || fail "partial output left behind"

# system status reports capacity
"$CCOW" --json system status --data "$DATA" | json 'd["vdevs"][0]["chunks"] > 0' | grep -q True || fail "status"
# `ccow system gc --now` with no server: the node-wide retention from the flag, a bucket's
# own from the registry (a bucket of 1 h keeps its deleted version; the other loses it).
"$CCOW" --data "$DATA" cluster create ccow >/dev/null && "$CCOW" --data "$DATA" tenant create ccow/default >/dev/null
"$CCOW" --data "$DATA" bucket create ccow/default/keephour --retention 1h >/dev/null
head -c $((3 * 1024 * 1024)) /dev/urandom >"$WORK/kept.bin"
"$CCOW" --data "$DATA" object put ccow/default/keephour/x "$WORK/kept.bin" >/dev/null
"$CCOW" --data "$DATA" object put ccow/default/other/x "$WORK/small.txt" >/dev/null
"$CCOW" --data "$DATA" object rm ccow/default/keephour/x >/dev/null
"$CCOW" --data "$DATA" object rm ccow/default/other/x >/dev/null
"$CCOW" --data "$DATA" --json system gc --now --quarantine-retention 0 >"$WORK/gc.json" || fail "gc --now"
json 'd["last_pass"]["versions_expired"] >= 1 and d["last_pass"]["chunks_freed"] >= 1' <"$WORK/gc.json" | grep -q True ||
  fail "the pass freed nothing: $(cat "$WORK/gc.json")"
"$CCOW" --data "$DATA" object undelete ccow/default/keephour/x >/dev/null || fail "the 1 h bucket lost its deleted version"
"$CCOW" --data "$DATA" object get ccow/default/keephour/x | cmp - "$WORK/kept.bin" || fail "undeleted object differs"
expect_rc 3 "$CCOW" --data "$DATA" object undelete ccow/default/other/x
"$CCOW" --data "$DATA" object get $B/dir/small.txt | cmp - "$WORK/small.txt" || fail "a live object changed after gc"
expect_rc 2 "$CCOW" --data "$DATA" system gc --now --quarantine-retention 7x
echo "1 passed, 0 failed"
