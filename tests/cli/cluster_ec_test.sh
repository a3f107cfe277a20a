#!/usr/bin/env bash
# Erasure coding on a cluster (issue 11 §3), real processes on loopback: 6 targets of 2
# VDEVs (each target a failure domain), R=3, a 4:2:rs bucket with 256 KiB chunks.
#  1. objects written replicated: two big ones, a small one (stays replicated), and one
#     whose content a replicated bucket holds too (dedup across policies);
#  2. `system ec --now --wait` (the leader's pass) encodes the three big versions, and
#     reports raw bytes per logical byte per bucket; `system gc --now` trims: every
#     payload chunk of an encoded object has exactly one replica, recorded R=1, and the
#     chunks of one stripe sit on distinct targets; the shared content keeps 3 replicas;
#     the small object keeps 3; raw bytes per logical byte of the encoded objects < 1.8;
#  3. two targets holding fragments of one stripe SIGKILLed: every object reads back
#     byte-identical (degraded reads); a third killed: the read fails saying what is out
#     of reach, with no bytes written to the output;
#  4. the three restarted, one of them with its disks replaced (VDEV directories wiped):
#     `system ec --now --wait` rebuilds its lost fragments onto it, after which killing two
#     other targets still leaves every object readable.
# Policy per tenant: a tenant created with --ec 4:2:rs (a 6:2 one is refused) has a bucket
# without --ec of its own, whose 1 MiB object is encoded in the pass of step 2 (raw bytes
# per logical byte 1.5, a full 4:2 stripe), and a bucket created with --ec none, whose
# object stays at R=3.
# usage: cluster_ec_test.sh CCOW_BINARY
set -uo pipefail
CCOW=$(realpath "$1")
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccow-cec.XXXXXX")
CL="$WORK/cluster"
export CCOW_CLUSTER="$CL"
cleanup() {
  "$CCOW" cluster down --dir "$CL" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  grep -h " ec\|gc:" "$CL"/target*/target.log 2>/dev/null | tail -10 >&2
  exit 1
}
pid_of() { "$PYTHON" -c "import json; print([t['pid'] for t in json.load(open('$CL/cluster.json'))['targets'] if t['name']=='$1'][0])"; }
field() { "$PYTHON" -c "import json,sys; print(eval('d' + sys.argv[2], {'d': json.load(open(sys.argv[1]))}))" "$1" "$2"; }
OBJECTS="ecb/big1 ecb/big2 ecb/small ecb/dup rep/big"
reads() {
  for o in $OBJECTS; do
    "$CCOW" object get "ccow/default/$o" --out "$WORK/got" 2>"$WORK/get.err" || fail "$1: $o unreadable: $(cat "$WORK/get.err")"
    cmp -s "$WORK/got" "$WORK/${o//\//_}" || fail "$1: $o differs"
  done
}
stat_json() { "$CCOW" --json object stat --replicas "ccow/default/$1" >"$WORK/stat.json" || fail "stat $1"; }

"$CCOW" cluster up --targets 6 --vdevs 2 --dir "$CL" --dead-timeout-ms 600000 \
  --gc-interval 0 --gc-fence-grace 0s --quarantine-retention 0s --ec-interval 0 --ec-rest-age 0s --ec-min-size 1M \
  >"$WORK/up.log" 2>&1 ||
  { cat "$WORK/up.log"; fail "cluster up"; }
"$CCOW" cluster create ccow >/dev/null && "$CCOW" tenant create ccow/default >/dev/null || fail "namespace"
"$CCOW" bucket create ccow/default/ecb --ec 4:2:rs -s 256K >/dev/null || fail "bucket ecb"
"$CCOW" bucket create ccow/default/rep -s 256K >/dev/null || fail "bucket rep"
"$CCOW" bucket create ccow/nothere/x --ec 4:2:rs 2>/dev/null && fail "a bucket in a missing tenant was created"
# 6:2 needs 8 failure domains; the cluster has 6 servers.
"$CCOW" bucket create ccow/default/wide --ec 6:2:rs 2>"$WORK/err" && fail "a 6:2 bucket was created on 6 servers"
grep -q "8" "$WORK/err" && grep -q "6" "$WORK/err" || fail "the refusal does not say how many domains: $(cat "$WORK/err")"
"$CCOW" tenant create ccow/wide --ec 6:2:rs 2>"$WORK/err" && fail "a 6:2 tenant was created on 6 servers"
grep -q "needs 8 distinct servers" "$WORK/err" || fail "the tenant's refusal: $(cat "$WORK/err")"
"$CCOW" tenant create ccow/ecten --ec 4:2:rs >/dev/null || fail "tenant ecten"
"$CCOW" bucket create ccow/ecten/inh -s 256K >/dev/null && "$CCOW" bucket create ccow/ecten/out -s 256K --ec none >/dev/null ||
  fail "the buckets of tenant ecten"
"$CCOW" cluster show ccow >"$WORK/show.txt" || fail "cluster show"
grep -q "ccow/ecten/inh  chunk 262144 fixed  ec 4:2:rs (the tenant's)" "$WORK/show.txt" &&
  grep -q "ccow/ecten/out  chunk 262144 fixed  ec none" "$WORK/show.txt" ||
  fail "cluster show does not say which policy the buckets of ecten have: $(cat "$WORK/show.txt")"

# 1. big1: 10 chunks (stripes of 4, 4 and 2); big2: 6 chunks; small: one 200 KiB chunk;
#    dup: the same bytes as rep/big.
head -c $((2560 << 10)) /dev/urandom >"$WORK/ecb_big1"
head -c $((1536 << 10)) /dev/urandom >"$WORK/ecb_big2"
head -c $((200 << 10)) /dev/urandom >"$WORK/ecb_small"
head -c $((2048 << 10)) /dev/urandom >"$WORK/rep_big"
cp "$WORK/rep_big" "$WORK/ecb_dup"
for o in $OBJECTS; do "$CCOW" object put "ccow/default/$o" "$WORK/${o//\//_}" >/dev/null || fail "put $o"; done
reads "written"
head -c $((1024 << 10)) /dev/urandom >"$WORK/ten.bin"
for b in inh out; do "$CCOW" object put "ccow/ecten/$b/one" "$WORK/ten.bin" >/dev/null || fail "put ecten/$b/one"; done

# 2. Encode, then collect: the surplus replicas go.
"$CCOW" system ec --now --rest-age 0s 2>"$WORK/err" && fail "system ec took --rest-age (the targets' setting)"
"$CCOW" --json system ec --now --wait >"$WORK/ec1.json" 2>"$WORK/ec1.err" || fail "ec pass: $(cat "$WORK/ec1.err")"
[ "$(field "$WORK/ec1.json" "['last_pass']['versions_encoded']")" -eq 4 ] ||
  fail "expected 4 versions encoded (3 of ecb, 1 of ecten/inh): $(cat "$WORK/ec1.json")"
[ "$(field "$WORK/ec1.json" "['last_pass']['versions_too_small']")" -eq 1 ] ||
  fail "the small object was not left replicated: $(cat "$WORK/ec1.json")"
# Raw bytes per logical byte, as the pass laid the buckets out: rep keeps R=3; ecb holds
# three encoded versions (4:2 stripes, two short ones) and the small one at R=3.
"$PYTHON" - "$WORK/ec1.json" <<'PY' || fail "raw bytes per logical byte: $(cat "$WORK/ec1.json")"
import json, sys
b = {x["bucket"]: x for x in json.load(open(sys.argv[1]))["buckets"]}
rep, ecb = b["ccow/default/rep"], b["ccow/default/ecb"]
assert rep["encoded_versions"] == 0 and rep["raw_per_logical"] == 3.0, rep
assert ecb["versions"] == 4 and ecb["encoded_versions"] == 3, ecb
# 6.2 MiB logical: 10 + 6 + 8 data chunks of 256 KiB once, 2 parity per stripe (7
# stripes), the 200 KiB object three times.
assert ecb["logical_bytes"] == (2560 + 1536 + 200 + 2048) << 10, ecb
assert ecb["raw_bytes"] == (2560 + 1536 + 2048 + 7 * 2 * 256 + 3 * 200) << 10, ecb
# The tenant's 4:2 reaches its bucket without a policy of its own; "none" opts out.
inh, out = b["ccow/ecten/inh"], b["ccow/ecten/out"]
assert inh["encoded_versions"] == 1 and inh["raw_per_logical"] == 1.5, inh
assert out["encoded_versions"] == 0 and out["raw_per_logical"] == 3.0, out
PY
"$CCOW" system status >"$WORK/status.txt" || fail "system status"
grep -q "ccow/default/ecb: 4 versions (3 encoded)" "$WORK/status.txt" || fail "no ec lines in system status: $(cat "$WORK/status.txt")"
"$CCOW" --json system gc --now --wait >"$WORK/gc1.json" 2>"$WORK/gc1.err" ||
  fail "gc pass: $(cat "$WORK/gc1.err")"
reads "encoded and trimmed"
check_layout() {  # object, chunks per stripe ("4 4 2"), holders of each payload chunk (1: encoded; N+: at least N at R>=N)
  stat_json "$1"
  "$PYTHON" - "$WORK/stat.json" "$2" "$3" <<'PY' || fail "layout of $1"
import json, sys
j = json.load(open(sys.argv[1]))
groups = [int(x) for x in sys.argv[2].split()]
at_least = sys.argv[3].endswith("+")
want = int(sys.argv[3].rstrip("+"))
payload = [c for c in j["chunks"] if c["kind"] == "payload"]
assert len(payload) == sum(groups), (len(payload), groups)
i = 0
for g in groups:
    targets = []
    for c in payload[i:i + g]:
        if at_least:  # replicated copies at R=want, plus perhaps a stripe keeper's at R=1
            assert sum(1 for h in c["holders"] if h["replication_count"] >= want) >= want, c
        else:
            assert len(c["holders"]) == want, c
        if want == 1:
            assert c["holders"][0]["replication_count"] == 1, c
        targets.append(c["holders"][0]["vdev"].split("/")[0])
    if want == 1:
        assert len(set(targets)) == len(targets), ("a stripe's chunks share a target", targets)
    i += g
PY
}
check_layout ecb/big1 "4 4 2" 1
check_layout ecb/big2 "4 2" 1
check_layout ecb/dup "4 4" 3+  # rep/big references the same chunks at R=3
check_layout ecb/small "1" 3
echo "  encoded: every payload chunk of big1 and big2 has one replica, each stripe over distinct targets"

# 2b. Bit rot in a fragment that has no other copy: the read goes around it (degraded);
#     the holder, asked for it, finds its copy bad, has no replica to repair it from and
#     sets it aside; the reading command then rebuilds it from its stripe onto its keeper
#     (read repair, client/read_repair.h) before it exits, so the next ec pass finds the
#     stripe whole.
stat_json ecb/big2
read -r ROT_CHID ROT_VDEV <<<"$("$PYTHON" -c "
import json
p = [c for c in json.load(open('$WORK/stat.json'))['chunks'] if c['kind'] == 'payload']
print(p[1]['chid'], p[1]['holders'][0]['vdev'])")"
ROT_TARGET=${ROT_VDEV%%/*}
ROT_PID=$(pid_of "$ROT_TARGET")
kill "$ROT_PID"
for _ in $(seq 1 100); do kill -0 "$ROT_PID" 2>/dev/null || break; sleep 0.1; done
"$CCOW" vdev chunk damage --vdev "$CL/$ROT_VDEV" "$ROT_CHID" --mode flip >/dev/null || fail "damage $ROT_CHID on $ROT_VDEV"
"$CCOW" cluster up --dir "$CL" >/dev/null || fail "restarting $ROT_TARGET"
OBJECTS="ecb/big2" reads "a fragment rotten"
grep -q "read repair: .*1 fragment(s) rebuilt" "$WORK/get.err" ||
  fail "the degraded read repaired nothing: $(cat "$WORK/get.err")"
# One copy again, on a keeper (perhaps another VDEV of the same target), the stripe still
# over distinct targets.
check_layout ecb/big2 "4 2" 1
"$CCOW" --json system ec --now --wait >"$WORK/ec3.json" 2>"$WORK/ec3.err" || fail "ec pass after the rot: $(cat "$WORK/ec3.err")"
[ "$(field "$WORK/ec3.json" "['last_pass']['fragments_rebuilt']")" -eq 0 ] ||
  fail "the ec pass found the rotten fragment still missing: $(cat "$WORK/ec3.json")"
reads "the rotten fragment rebuilt"
echo "  a rotten fragment of ecb/big2 on $ROT_VDEV was set aside by its holder and rebuilt from its stripe by the read"

# 3. Kill two targets holding chunks of big1's first stripe, then a third.
stat_json ecb/big1
mapfile -t VICTIMS < <("$PYTHON" -c "
import json
j = json.load(open('$WORK/stat.json'))
p = [c for c in j['chunks'] if c['kind'] == 'payload']
print('\n'.join(c['holders'][0]['vdev'].split('/')[0] for c in p[:3]))")
kill -9 "$(pid_of "${VICTIMS[0]}")" "$(pid_of "${VICTIMS[1]}")"
echo "  killed ${VICTIMS[0]} and ${VICTIMS[1]}"
reads "two targets of a stripe down"
kill -9 "$(pid_of "${VICTIMS[2]}")"
rm -f "$WORK/got"
if "$CCOW" object get ccow/default/ecb/big1 --out "$WORK/got" 2>"$WORK/get.err"; then fail "big1 read with 3 fragments of a stripe lost"; fi
# Three servers down of six: the version list (R=3) or the stripe (4:2) is out of reach;
# either way the error says what could not be read (DegradedReadTest proves the stripe's).
grep -q "stripe\|version list" "$WORK/get.err" || fail "the error does not say what is lost: $(cat "$WORK/get.err")"
[ -e "$WORK/got" ] && fail "a failed read left an output file"
echo "  three down: $(tail -1 "$WORK/get.err" | cut -c1-200)"

# 4. Restart them, the first with empty disks; the ec pass rebuilds its fragments.
rm -rf "$CL/${VICTIMS[0]}"/vdev*
"$CCOW" cluster up --dir "$CL" >/dev/null || fail "restarting the targets"
sleep 1
"$CCOW" --json system ec --now --wait >"$WORK/ec2.json" 2>"$WORK/ec2.err" || fail "ec pass 2: $(cat "$WORK/ec2.err")"
[ "$(field "$WORK/ec2.json" "['last_pass']['fragments_rebuilt']")" -ge 1 ] ||
  fail "nothing rebuilt on the replaced target: $(cat "$WORK/ec2.json")"
[ "$(field "$WORK/ec2.json" "['last_pass']['stripes_lost']")" -eq 0 ] || fail "stripes lost: $(cat "$WORK/ec2.json")"
echo "  rebuilt $(field "$WORK/ec2.json" "['last_pass']['fragments_rebuilt']") fragments on the replaced ${VICTIMS[0]}"
reads "after the rebuild"
kill -9 "$(pid_of "${VICTIMS[1]}")" "$(pid_of "${VICTIMS[2]}")"
# (The replicated objects' copies on the wiped target come back through the replica
# healer, on its own schedule; the encoded ones are whole again now.)
OBJECTS="ecb/big1 ecb/big2" reads "two other targets down after the rebuild"
echo "PASS"
