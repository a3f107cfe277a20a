#!/usr/bin/env bash
# A large put streams: peak RSS stays under 64 MiB however big the object
# (CCOW_BIG_PUT_GIB, default 10 GiB of incompressible data from a pipe), and the get
# streams the same bytes back (compared by digest, never held in memory).
set -euo pipefail
CCOW=${1:?usage: big_put_memory_test.sh path/to/ccow}
GIB=${CCOW_BIG_PUT_GIB:-10}
LIMIT_KB=$((64 * 1024))
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-big-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_kb=$(df -Pk "$WORK" | awk 'NR==2 {print $4}')
if [ "$free_kb" -lt $(( (GIB + 2) * 1024 * 1024 )) ]; then
  GIB=1; echo "only $((free_kb / 1024)) MiB free: testing with 1 GiB"
fi
gen() { { openssl enc -aes-128-ctr -nosalt -pass pass:ccow -in /dev/zero 2>/dev/null || true; } | head -c $((GIB * 1024 * 1024 * 1024)); }
want=$(gen | sha256sum | cut -d' ' -f1)
gen | /usr/bin/time -f '%M' -o "$WORK/rss" "$CCOW" object put --data "$WORK/data" Hawaii/Cola/bk1/big - >/dev/null
rss=$(tail -1 "$WORK/rss")
echo "put of $GIB GiB: peak RSS $((rss / 1024)) MiB (limit 64 MiB)"
[ "$rss" -lt $LIMIT_KB ] || fail "put peak RSS ${rss} KiB >= ${LIMIT_KB} KiB"
got=$(/usr/bin/time -f '%M' -o "$WORK/rss2" "$CCOW" object get --data "$WORK/data" Hawaii/Cola/bk1/big | sha256sum | cut -d' ' -f1)
rss=$(tail -1 "$WORK/rss2")
echo "get of $GIB GiB: peak RSS $((rss / 1024)) MiB"
[ "$got" = "$want" ] || fail "get returned different bytes"
[ "$rss" -lt $LIMIT_KB ] || fail "get peak RSS ${rss} KiB >= ${LIMIT_KB} KiB"
echo "1 passed, 0 failed"
