#!/usr/bin/python3
"""Side-by-side table of two s3load.py --json files (ccow, then the peer) with ratios,
and the hashing limit for large objects: S3 requires MD5 (ETag) and SHA-256 of the body
(x-amz-content-sha256); ccow also hashes each chunk with SHA-256 (its CHID)."""
import json
import os
import re
import subprocess
import sys


def load(path):
    rows = {}
    if not os.path.exists(path):
        return rows
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            key = (r["size"], r["concurrency"], r["phase"])
            # keep the run that saw the least CPU from other processes
            if key not in rows or r.get("other_cpu_cores", 0) < rows[key].get("other_cpu_cores", 0):
                rows[key] = r
    return rows


def openssl_speed(algo):
    """Bytes per second of one core on 16 KiB blocks."""
    try:
        out = subprocess.run(["openssl", "speed", "-seconds", "1", "-bytes", "16384", "-evp", algo],
                             capture_output=True, text=True, timeout=60).stdout
    except Exception:
        return None
    for line in out.splitlines():
        if line.lower().startswith(algo.lower()):
            v = line.split()[-1]
            return float(v.rstrip("k")) * 1000
    return None


def human(n):
    for unit, m in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= m and n % m == 0:
            return "%d %s" % (n // m, unit)
    return "%d B" % n


ccow, peer = load(sys.argv[1]), load(sys.argv[2]) if len(sys.argv) > 2 else {}
print("\n| size | conc | op | ccow ops/s | ccow MB/s | p50/p99 ms | ccow CPU ms/op | Swift ops/s | Swift MB/s | Swift CPU ms/op | ops ratio | CPU ratio |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for key in sorted(ccow):
    size, conc, phase = key
    if phase == "DELETE":
        continue
    c = ccow[key]
    p = peer.get(key, {})
    ratio = "%.1fx" % (c["ops_per_s"] / p["ops_per_s"]) if p.get("ops_per_s") else "-"
    cpu_ratio = ("1/%.1f" % (p["server_cpu_ms_per_op"] / c["server_cpu_ms_per_op"])
                 if p.get("server_cpu_ms_per_op") and c.get("server_cpu_ms_per_op") else "-")
    print("| %s | %d | %s | %.0f | %.1f | %.1f/%.1f | %.2f | %s | %s | %s | %s | %s |" % (
        human(size), conc, phase, c["ops_per_s"], c["MB_per_s"], c["lat_ms_p50"], c["lat_ms_p99"],
        c.get("server_cpu_ms_per_op", float("nan")),
        "%.0f" % p["ops_per_s"] if p else "-", "%.1f" % p["MB_per_s"] if p else "-",
        "%.2f" % p["server_cpu_ms_per_op"] if p.get("server_cpu_ms_per_op") else "-", ratio, cpu_ratio))

md5, sha = openssl_speed("md5"), openssl_speed("sha256")
if md5 and sha:
    per_mb = 1e6 / md5 * 1e3 + 2 * 1e6 / sha * 1e3  # ms of CPU per MB
    print("\nHashing limit: MD5 %.0f MB/s, SHA-256 %.0f MB/s (openssl speed, 16 KiB blocks):"
          " MD5 + 2 x SHA-256 = %.2f ms CPU per MB" % (md5 / 1e6, sha / 1e6, per_mb))
    for key in sorted(ccow):
        size, conc, phase = key
        if size >= 16 << 20 and phase == "PUT" and ccow[key].get("server_cpu_ms_per_op"):
            mb = size / 1e6
            got = ccow[key]["server_cpu_ms_per_op"] / mb
            print("  16 MiB PUT c%d: ccow %.2f ms CPU per MB = %.2fx the hashing alone" % (conc, got, got / per_mb))
