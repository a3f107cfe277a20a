#!/usr/bin/env bash
# Local put/get throughput of a large file against fio on the same disk, and how many
# payload bytes re-puts and edits write (inline dedup, content-defined chunking).
#   bash bench/store_bench.sh BUILD_DIR      (SIZE_GIB=4 by default; BENCH_DIR to choose the disk)
set -euo pipefail
BUILD=$(cd "${1:?usage: store_bench.sh BUILD_DIR}" && pwd)
CCOW="$BUILD/bin/ccow"
SIZE_GIB=${SIZE_GIB:-4}
CDC_GIB=${CDC_GIB:-1}
DIR=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ccow-bench-XXXXXX")
trap 'rm -rf "$DIR"' EXIT
BYTES=$((SIZE_GIB * 1024 * 1024 * 1024))

drop_caches() {  # cold reads where the machine allows it; say so where it does not
  sync
  if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then echo cold; else echo "warm (cannot drop caches)"; fi
}
mbps() { python3 -c "print(f'{$1 / $2 / 1e6:.0f}')"; }
now() { date +%s.%N; }
elapsed() { python3 -c "print($2 - $1)"; }

# The physical limits: fio sequential write with a final fsync, and sequential read.
fio --name=w --filename="$DIR/fio.dat" --rw=write --bs=1M --size=${SIZE_GIB}G --end_fsync=1 \
    --ioengine=psync --output-format=json >"$DIR/fio-w.json"
fio_w=$(python3 -c "import json; j=json.load(open('$DIR/fio-w.json')); print(round(j['jobs'][0]['write']['bw_bytes']/1e6))")
read_mode=$(drop_caches)
fio --name=r --filename="$DIR/fio.dat" --rw=read --bs=1M --size=${SIZE_GIB}G --ioengine=psync \
    --output-format=json >"$DIR/fio-r.json"
fio_r=$(python3 -c "import json; j=json.load(open('$DIR/fio-r.json')); print(round(j['jobs'][0]['read']['bw_bytes']/1e6))")
rm -f "$DIR/fio.dat"

# Incompressible source file, kept in the page cache so the put measures ccow, not the source.
{ openssl enc -aes-128-ctr -nosalt -pass pass:bench -in /dev/zero 2>/dev/null || true; } |
  head -c $BYTES >"$DIR/src.bin"
cat "$DIR/src.bin" >/dev/null

t0=$(now)
"$CCOW" object put --data "$DIR/data" Hawaii/Cola/bench/big "$DIR/src.bin" >/dev/null
t1=$(now)
put_mbps=$(mbps $BYTES "$(elapsed $t0 $t1)")
get_mode=$(drop_caches)
t0=$(now)
"$CCOW" object get --data "$DIR/data" Hawaii/Cola/bench/big >/dev/null
t1=$(now)
get_mbps=$(mbps $BYTES "$(elapsed $t0 $t1)")
reput=$("$CCOW" --json object put --data "$DIR/data" Hawaii/Cola/bench/big2 "$DIR/src.bin" |
        python3 -c "import json,sys; print(json.load(sys.stdin)['new_payload_bytes'])")

# Content-defined chunking: a 1-byte insertion in the middle of a CDC_GIB file.
head -c $((CDC_GIB * 1024 * 1024 * 1024)) "$DIR/src.bin" >"$DIR/cdc.bin"
python3 - "$DIR/cdc.bin" "$DIR/cdc-edited.bin" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, 'rb') as f, open(dst, 'wb') as g:
    size = f.seek(0, 2); f.seek(0)
    half = size // 2
    while f.tell() < half: g.write(f.read(min(1 << 24, half - f.tell())))
    g.write(b'X')
    while True:
        b = f.read(1 << 24)
        if not b: break
        g.write(b)
PY
"$CCOW" object put --data "$DIR/data" Hawaii/Cola/bench/cdc "$DIR/cdc.bin" --chunking cdc --chunk-size 1M >/dev/null
cdc_new=$("$CCOW" --json object put --data "$DIR/data" Hawaii/Cola/bench/cdc "$DIR/cdc-edited.bin" \
          --chunking cdc --chunk-size 1M | python3 -c "import json,sys; print(json.load(sys.stdin)['new_payload_bytes'])")

pct() { python3 -c "print(f'{100 * $1 / $2:.0f}%')"; }
echo "## Local store: put/get of a ${SIZE_GIB} GiB file ($(df -P "$DIR" | awk 'NR==2{print $1}'), MB = 10^6 bytes)"
echo
echo "| what | ccow | limit | ratio | target |"
echo "|---|---:|---:|---:|---|"
echo "| put MB/s (fixed 1 MiB chunks, sha256 + md5 ETag, fsync before ack) | $put_mbps | fio write+fsync $fio_w | $(pct $put_mbps $fio_w) | >= 60% |"
echo "| get MB/s ($get_mode; every chunk verified) | $get_mbps | fio read $fio_r ($read_mode) | $(pct $get_mbps $fio_r) | >= 80% |"
echo "| re-put of the same file: new payload bytes | $reput | 0 | | 0 |"
echo "| cdc avg 1 MiB, 1-byte insertion in a ${CDC_GIB} GiB file: new payload bytes | $cdc_new | 3 x 1 MiB = 3145728 | $(pct $cdc_new 3145728) | < 100% |"

echo
echo "## Payload layout: segment files + RocksDB index vs RocksDB integrated blob files"
echo
"$BUILD/bin/store_layout_bench" "$DIR/layout" "${LAYOUT_MIB:-2048}" "${LAYOUT_SMALL:-3000}"
