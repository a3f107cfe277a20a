#!/usr/bin/env bash
# Erasure coding at rest on a local cluster (issue 11 §3): 6 targets x 1 VDEV on loopback,
# R=3, a replicated bucket and a 4:2:rs bucket, the same amount of random data in each.
#  - raw bytes per logical byte: what the VDEVs store (chunk payload bytes, from `system
#    status`) before and after one erasure-coding pass and one GC pass, against the
#    targets 3.0 (R=3) and at most 1.55 (4:2, whose ideal is 1.5);
#  - the encoder's throughput (payload MB/s of one `system ec --now --wait`), beside the
#    speed of reading the data back replicated (its input) and ISA-L's own encode speed
#    from `ec_bench` (the codec is not the limit);
#  - reads of the encoded objects: all targets up, and with two of a stripe's targets
#    SIGKILLed (every read degraded for those fragments), against the replicated ones;
#    measured once the leader has published the table without them (dead timeout 2 s).
# usage: ec_cluster_bench.sh CCOW_BINARY [MIB_PER_BUCKET (default 256)] [OBJECT_MIB (default 16)]
set -uo pipefail
CCOW=$(realpath "$1")
MIB=${2:-256}
OBJ=${3:-16}
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-ecbench.XXXXXX")
CL="$WORK/cluster"
export CCOW_CLUSTER="$CL"
trap '[ -n "${KEEP:-}" ] || { "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1; rm -rf "$WORK"; }' EXIT
now() { date +%s.%N; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
stored() { "$CCOW" --json system status | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['payload_bytes'])"; }
pid_of() { "$PYTHON" -c "import json; print([t['pid'] for t in json.load(open('$CL/cluster.json'))['targets'] if t['name']=='$1'][0])"; }
die() { echo "ec_cluster_bench: $*" >&2; exit 1; }

"$CCOW" cluster up --targets 6 --vdevs 1 --dir "$CL" --dead-timeout-ms 2000 --gc-interval 0 --gc-fence-grace 0s \
  --quarantine-retention 0s --ec-interval 0 --ec-rest-age 0s --ec-min-size 1M >/dev/null || die "cluster up"
"$CCOW" cluster create ccow >/dev/null && "$CCOW" tenant create ccow/default >/dev/null || die "namespace"
"$CCOW" bucket create ccow/default/rep >/dev/null && "$CCOW" bucket create ccow/default/ec42 --ec 4:2:rs >/dev/null ||
  die "buckets"

N=$((MIB / OBJ))
LOGICAL=$((N * OBJ << 20))
for i in $(seq 1 "$N"); do
  head -c $((OBJ << 20)) /dev/urandom >"$WORK/o"
  "$CCOW" object put "ccow/default/rep/o$i" "$WORK/o" >/dev/null || die "put rep/o$i"
  head -c $((OBJ << 20)) /dev/urandom >"$WORK/e$i"
  "$CCOW" object put "ccow/default/ec42/o$i" "$WORK/e$i" >/dev/null || die "put ec42/o$i"
done
BEFORE=$(stored)

t0=$(now)
"$CCOW" --json system ec --now --wait --wait-for 30m >"$WORK/ec.json" || die "ec pass: $(cat "$WORK/ec.json")"
t1=$(now)
ENC_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
"$CCOW" system gc --now --wait --wait-for 30m >/dev/null || die "gc pass"
AFTER=$(stored)
# The replicated bucket stores 3 x its logical bytes (checked by the status's own layout);
# what is left of AFTER is the encoded bucket's.
EC_RAW=$((AFTER - 3 * LOGICAL))
read -r REP_LAYOUT EC_LAYOUT <<<"$("$PYTHON" -c "
import json
b = {x['bucket']: x for x in json.load(open('$WORK/ec.json'))['buckets']}
print(b['ccow/default/rep']['raw_per_logical'], b['ccow/default/ec42']['raw_per_logical'])")"

read_all() {  # bucket -> seconds to read every object
  local t0 t1
  t0=$(now)
  for i in $(seq 1 "$N"); do "$CCOW" object get "ccow/default/$1/o$i" --out "$WORK/got" || die "get $1/o$i"; done
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
[ -n "${STOP_AFTER_EC:-}" ] && { cat "$WORK/ec.json"; echo "$WORK"; exit 0; }
REP_GET=$(read_all rep)
EC_GET=$(read_all ec42)
cmp -s "$WORK/got" "$WORK/e$N" || die "ec42/o$N differs"
# Two targets holding fragments of the first stripe of o1 down.
"$CCOW" --json object stat --replicas ccow/default/ec42/o1 >"$WORK/stat.json" || die "stat"
mapfile -t VICTIMS < <("$PYTHON" -c "
import json
p = [c for c in json.load(open('$WORK/stat.json'))['chunks'] if c['kind'] == 'payload']
print('\n'.join(sorted({c['holders'][0]['vdev'].split('/')[0] for c in p[:4]})[:2]))")
generation() { "$CCOW" --json system status | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['flexhash_generation'])"; }
G0=$(generation)
t0=$(now)
kill -9 "$(pid_of "${VICTIMS[0]}")" "$(pid_of "${VICTIMS[1]}")"
# Until the leader publishes the table without them a get waits for them (a reply timeout
# per probe, retried): measured once they are out, as a cluster runs after a failure.
for _ in $(seq 1 240); do [ "$(generation 2>/dev/null || echo 0)" -gt "$G0" ] && break; sleep 0.25; done
OUT_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
EC_DEGRADED=$(read_all ec42)
cmp -s "$WORK/got" "$WORK/e$N" || die "ec42/o$N differs when degraded"
REP_DOWN=$(read_all rep)

ISAL=""
if [ -x "$(dirname "$CCOW")/ec_bench" ]; then
  ISAL=$("$(dirname "$CCOW")/ec_bench" --seconds 0.3 2>/dev/null | awk -F'|' '$2 ~ /4:2/ { gsub(/ /, "", $4); print $4; exit }')
fi

echo "## Erasure coding at rest: 6 targets x 1 VDEV, R=3, $N objects of $OBJ MiB per bucket"
echo
echo "| figure | ccow | limit / target |"
echo "|---|---:|---:|"
echo "| raw/logical, both buckets, before encoding | $(ratio "$BEFORE" $((2 * LOGICAL))) | 3.0 (R=3) |"
echo "| raw/logical, replicated bucket (layout) | $REP_LAYOUT | 3.0 |"
echo "| raw/logical, 4:2 bucket, stored after ec + gc | $(ratio "$EC_RAW" "$LOGICAL") | <= 1.55 (ideal 1.5) |"
echo "| raw/logical, 4:2 bucket (layout) | $EC_LAYOUT | 1.5 |"
echo "| encode pass, payload MB/s | $(mbs "$LOGICAL" "$ENC_S") | ISA-L 4:2 encode ${ISAL:-?} GB/s (ec_bench) |"
echo "| GET replicated, MB/s | $(mbs "$LOGICAL" "$REP_GET") | |"
echo "| GET 4:2, MB/s | $(mbs "$LOGICAL" "$EC_GET") | the replicated GET |"
echo "| GET 4:2, two targets down (out of the FlexHash after $OUT_S s), MB/s | $(mbs "$LOGICAL" "$EC_DEGRADED") | |"
echo "| GET replicated, two targets down, MB/s | $(mbs "$LOGICAL" "$REP_DOWN") | |"
echo
echo "(bash bench/ec_cluster_bench.sh build/bin/ccow $MIB $OBJ; payload bytes from \`ccow system status\`, manifests excluded)"
