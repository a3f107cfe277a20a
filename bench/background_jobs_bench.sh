#!/usr/bin/env bash
# S3 under the background jobs (issue 11): one `ccow server`, the same S3 load (1 MiB
# objects, PUT then GET, 8 connections, the neutral raw SigV4 client of ../shared/peers)
#  - alone, on LIVE_MIB of data;
#  - alone again once GARBAGE_MIB of objects were written interleaved with as many kept
#    and then deleted: the reference, the same data as the passes below see;
#  - while a garbage-collection pass frees the deleted objects and compacts the half-dead
#    segment files (rewriting about GARBAGE_MIB of live records, at the server's
#    --gc-rate: SERVER_FLAGS="--gc-rate 0" for unpaced);
#  - while a scrub pass re-verifies everything at the default rate limit (25 MB/s);
# against the target "at most 15% slower". Beside: the GC pass's reclaim MB/s, the scrub's
# MB/s against its limit, and fio's direct sequential read bandwidth of the same disk.
# usage: [SERVER_FLAGS="..."] background_jobs_bench.sh CCOW_BINARY [LIVE_MIB (default 768)]
#        [GARBAGE_MIB (1024)] [SECONDS per load phase (15)] [DIR (default /var/tmp)]
# Takes about 7 minutes (the scrub pass over ~2 GB at 25 MB/s is 80 s of it).
set -uo pipefail
CCOW=$(realpath "$1")
LIVE=${2:-768}
GARBAGE=${3:-1024}
SECS=${4:-15}
BASE=${5:-/var/tmp}
PEERS=$(cd "$(dirname "$0")/../../shared/peers" 2>/dev/null && pwd) || { echo "no ../shared/peers" >&2; exit 1; }
PYTHON=/usr/bin/python3
WORK=$(mktemp -d "$BASE/ccow-bgbench.XXXXXX")
D="$WORK/data"
SERVER="" SAMPLER=""
trap '[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
      [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
die() { echo "background_jobs_bench: $*" >&2; exit 1; }
AK=ccow-admin SK=ccow-admin-secret

echo "disk limit: fio, direct sequential 1 MiB reads of a 1 GiB file" >&2
fio --name=r --filename="$WORK/fio" --size=1G --rw=write --bs=1M --direct=1 --ioengine=psync >/dev/null 2>&1
FIO=$(fio --name=r --filename="$WORK/fio" --size=1G --rw=read --bs=1M --direct=1 --ioengine=psync \
  --output-format=json 2>/dev/null | "$PYTHON" -c "import json,sys; print(round(json.load(sys.stdin)['jobs'][0]['read']['bw_bytes'] / 1e6))")
rm -f "$WORK/fio"

"$CCOW" server --data "$D" --s3-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --gc-interval 0 --scrub-interval 0 \
  --scrub-rate 25M --quarantine-retention 0s ${SERVER_FLAGS:-} >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  S3=$(sed -n 's/^  S3  *\(http:\/\/[0-9.:]*\).*/\1/p' "$WORK/server.log" | head -1)
  ADMIN=$(sed -n 's/^  metrics  *\(http:\/\/[0-9.:]*\)\/metrics.*/\1/p' "$WORK/server.log" | head -1)
  [ -n "$S3" ] && [ -n "$ADMIN" ] && break
  sleep 0.1
done
[ -n "$S3" ] || die "the server did not start: $(cat "$WORK/server.log")"
export CCOW_DATA="$D"

load() {  # bucket size count conc phases seconds json
  "$PEERS/s3load.sh" "$S3" "$AK" "$SK" "$1" "$2" "$3" "$4" --engine raw --phases "$5" --max-seconds "$6" \
    --server-pids "$SERVER" --json "$7" >>"$WORK/load.log" 2>&1 || die "load: $(tail -5 "$WORK/load.log")"
}
wait_pass() {  # gc|scrub: until its first pass has ended (10 min at most); its status in $WORK/JOB.json
  for _ in $(seq 1 1200); do
    "$CCOW" --json system "$1" >"$WORK/$1.json" 2>/dev/null &&
      "$PYTHON" -c "import json,sys; sys.exit(0 if json.load(open('$WORK/$1.json'))['passes_completed'] >= 1 else 1)" && return 0
    sleep 0.5
  done
  die "the $1 pass did not end in 10 min"
}
echo "preload: $LIVE MiB live" >&2
load live 16M $((LIVE / 16)) 4 put 600 "$WORK/preload.jsonl"
echo "alone" >&2
load bench 1M 100000 8 put,get "$SECS" "$WORK/alone.jsonl"

# The garbage is written interleaved with as much live data (two loads at once), so the
# segment files it lands in are about half dead and the pass must rewrite their live half:
# written alone, it filled whole segments that compaction merely deleted (0.8 s passes
# that rewrote nothing and overlapped a twentieth of the PUT phase).
echo "garbage: $GARBAGE MiB written and deleted, interleaved with $GARBAGE MiB kept" >&2
load mixed 16M $((GARBAGE / 16)) 2 put 600 "$WORK/mixed.jsonl" &
MIXED=$!
load garbage 16M $((GARBAGE / 16)) 2 put,delete 600 "$WORK/garbage.jsonl"
wait "$MIXED" || die "load of the kept half"
# The reference for the passes below: the same load on the same data, with no pass. The
# first "alone" ran on 2 GiB less data, and right after 3 GiB of writes the machine is
# still flushing them: against it, unpaced passes measured -25% to -37% one run and -10%
# against this phase the next.
echo "alone again, after the garbage: the reference" >&2
load bench 1M 100000 8 put,get "$SECS" "$WORK/reference.jsonl"
# /metrics every 0.25 s during the GC phase: S3 bytes received and whether the pass runs,
# for the PUT rate while the pass (not only the phase) ran.
"$PYTHON" - "$ADMIN" "$WORK/samples" <<'PY' &
import re, sys, time, urllib.request
admin, out = sys.argv[1], open(sys.argv[2], "w")
while True:
    try:
        text = urllib.request.urlopen(admin + "/metrics", timeout=2).read().decode()
        v = {k: float(x) for k, x in re.findall(r"^(ccow_s3_bytes_in_total|ccow_gc_running) (\S+)$", text, re.M)}
        print(time.monotonic(), int(v["ccow_s3_bytes_in_total"]), int(v["ccow_gc_running"]), file=out, flush=True)
    except Exception:
        pass
    time.sleep(0.25)
PY
SAMPLER=$!
"$CCOW" --json system gc --now >/dev/null || die "system gc --now"
load bench 1M 100000 8 put,get "$SECS" "$WORK/gc.jsonl"
wait_pass gc
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null

echo "scrub" >&2
"$CCOW" --json system scrub --now >/dev/null || die "system scrub --now"
load bench 1M 100000 8 put,get "$SECS" "$WORK/scrub.jsonl"
wait_pass scrub

"$PYTHON" - "$WORK" "$FIO" "$SECS" <<'PY'
import json, sys
work, fio, secs = sys.argv[1], sys.argv[2], sys.argv[3]
def rows(name):
    return {r["phase"].lower(): r for r in map(json.loads, open(f"{work}/{name}.jsonl")) if r}
alone, ref, gc, scrub = rows("alone"), rows("reference"), rows("gc"), rows("scrub")
g_all = json.load(open(f"{work}/gc.json"))
g = g_all["last_pass"]
s = json.load(open(f"{work}/scrub.json"))
sp = s["pass"]
print(f"## S3 under the background jobs: one `ccow server`, 1 MiB objects, 8 connections, {secs} s per phase\n")
# The last column: CPU that processes other than the server and the client used meanwhile
# (s3load's measure): a shared 2-core machine's other tenants show there.
print("| load | PUT MB/s | GET MB/s | PUT vs reference | GET vs reference | target | others' CPU, cores (PUT/GET) |")
print("|---|---:|---:|---:|---:|---|---:|")
rel = lambda x, a: f"{100 * (x / a - 1):+.0f}%"
for name, r, target in (("alone, on the live data only", alone, ""), ("alone, after the garbage: the reference", ref, ""),
                        ("during a GC pass", gc, ">= -15%"), ("during a scrub pass (25 MB/s)", scrub, ">= -15%")):
    put, get = r["put"]["MB_per_s"], r["get"]["MB_per_s"]
    others = f"{r['put'].get('other_cpu_cores', 0):.2f} / {r['get'].get('other_cpu_cores', 0):.2f}"
    print(f"| {name} | {put:.0f} | {get:.0f} | {rel(put, ref['put']['MB_per_s'])} | {rel(get, ref['get']['MB_per_s'])} | {target} | {others} |")
# PUT MB/s while both the pass and the PUT phase ran, from the /metrics samples: from the
# last sample before S3 bytes began to arrive to the earlier of the pass's end and the
# last sample at which they still arrived.
samples = [tuple(map(float, line.split())) for line in open(f"{work}/samples") if line.strip()]
during = "n/a"
first = next((i for i in range(1, len(samples)) if samples[i][1] > samples[i - 1][1]), None)
if first is not None:
    t0, b0 = samples[first - 1][0], samples[first - 1][1]
    running = [s for s in samples[first:] if s[2] == 1]
    arriving = [samples[i] for i in range(first, len(samples)) if samples[i][1] > samples[i - 1][1]]
    end = min(running[-1], arriving[-1]) if running else None
    if end and end[0] - t0 >= 1:
        put = (end[1] - b0) / (end[0] - t0) / 1e6
        during = (f"| PUTs while the GC pass ran ({end[0] - t0:.1f} s; /metrics) | {put:.0f} | | "
                  f"{rel(put, ref['put']['MB_per_s'])} | | >= -15% | |")
print(during if during != "n/a" else "| PUTs while the GC pass ran | n/a: it ended before the PUTs began | | | | | |")
gs = g["seconds"] or 1e-9
rate = g_all.get("rate_limit_bytes_per_second")
limit = "unlimited" if not rate else f"{rate / 1e6:.0f} MB/s"
print()
print("| job | figure | limit |")
print("|---|---:|---:|")
print(f"| GC pass | {g['seconds']:.1f} s, {g['chunks_freed']} chunks, {g['bytes_freed'] / 1e6:.0f} MB freed, "
      f"{g['bytes_rewritten'] / 1e6:.0f} MB of live records rewritten, "
      f"{g['file_bytes_reclaimed'] / 1e6:.0f} MB of segment files given back: {g['file_bytes_reclaimed'] / 1e6 / gs:.0f} MB/s | "
      f"rewrite rate limit {limit}; fio read {fio} MB/s |")
ss = s.get("last_pass_seconds") or 1e-9
print(f"| scrub pass | {sp['bytes'] / 1e6:.0f} MB verified in {ss:.1f} s: {sp['bytes'] / 1e6 / ss:.1f} MB/s | "
      f"rate limit 25 MB/s; fio read {fio} MB/s |")
PY
echo
echo "(${SERVER_FLAGS:+SERVER_FLAGS='$SERVER_FLAGS' }bash bench/background_jobs_bench.sh build/bin/ccow $LIVE $GARBAGE $SECS $BASE)"
