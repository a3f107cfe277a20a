#!/usr/bin/env python3
"""Inter-Segment Gateway figures (issue 14), two `ccow server` sites on this machine linked
over loopback (plain HTTP, a shared token), beside the limits of the same machine:

- initial sync: MIB of incompressible objects written at site a before the link exists,
  then the link set up; MB/s until site b holds every object, beside the loopback limit
  (one TCP stream, 1 MiB sends) and the disk's sequential direct-write speed (dd);
- replication lag: 64 KiB puts at RATE/s for SECONDS at a, each timed from the end of
  its put to when it is listed at b (polled every 50 ms): p50, p99, max, for each batch
  interval asked (200ms, 1s by default);
- WAN bytes: chunk bytes and wire bytes sent per payload byte written during the lag run
  (target at most 1.05 plus manifests);
- on-demand reads: a 64 MiB object read at a metadata-only site (`metadata-only all`,
  a 256 MiB chunk cache) cold (every chunk fetched over the link, in batches with
  read-ahead) and warm (from the cache), beside the same read at the site that holds it,
  with the fetch requests the cold read took.

usage: bench/isgw_bench.py BUILD_DIR [--mib 256] [--rate 100] [--seconds 20]
       [--intervals 200ms,1s] [--dir /var/tmp]"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "isgw"))
import sites as site_lib  # noqa: E402
from sites import ccow  # noqa: E402

TOKEN = "isgw-bench-secret"


def loopback_mb_s(mib=1024):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got = [0]

    def drain():
        c, _ = srv.accept()
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            got[0] += len(b)
        c.close()

    t = threading.Thread(target=drain)
    t.start()
    s = socket.create_connection(("127.0.0.1", port))
    buf = b"\0" * (1 << 20)
    start = time.time()
    for _ in range(mib):
        s.sendall(buf)
    s.close()
    t.join()
    srv.close()
    return got[0] / (time.time() - start) / 1e6


def disk_mb_s(directory):
    path = os.path.join(directory, "dd-probe")
    r = subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1M", "count=512", "oflag=direct", "conv=fsync"],
                       capture_output=True, text=True)
    os.unlink(path)
    return r.stderr.strip().splitlines()[-1].split(", ")[-1]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def link(site, other, interval):
    ccow(site.data, "service", "create", "isgw", "hawaii")
    ccow(site.data, "service", "serve", "hawaii", "ccow/default/bk1")
    ccow(site.data, "service", "config", "hawaii", "batch-interval", interval)
    ccow(site.data, "service", "config", "hawaii", "remote", "ccow://" + other.link)


def listed(s3, prefix):
    keys = set()
    token = None
    while True:
        kw = {"Bucket": "bk1", "Prefix": prefix}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_objects_v2(**kw)
        keys.update(o["Key"] for o in r.get("Contents", []))
        if not r.get("IsTruncated"):
            return keys
        token = r["NextContinuationToken"]


def run(args, interval, work, first):
    a = site_lib.Site("a-" + interval, ["--isgw-token", TOKEN])
    b = site_lib.Site("b-" + interval, ["--isgw-token", TOKEN])
    for s in (a, b):
        s.start()
        s.s3.create_bucket(Bucket="bk1")
    out = {}
    if first:
        # Initial sync: the objects exist before the link does.
        n = args.mib // 4
        for i in range(n):
            a.s3.put_object(Bucket="bk1", Key="initial/%04d" % i, Body=os.urandom(4 << 20))
        start = time.time()
        link(b, a, interval)
        link(a, b, interval)
        deadline = start + 600
        while len(listed(b.s3, "initial/")) < n:
            if time.time() > deadline:
                raise SystemExit("initial sync did not finish in 10 minutes")
            time.sleep(0.05)
        out["initial_s"] = time.time() - start
        out["initial_mb_s"] = n * (4 << 20) / out["initial_s"] / 1e6
    else:
        link(b, a, interval)
        link(a, b, interval)
    time.sleep(2)
    # Lag at RATE puts/s of 64 KiB.
    before = a.status()
    done = {}
    total = int(args.rate * args.seconds)
    stop = threading.Event()

    def writer():
        t0 = time.time()
        for i in range(total):
            due = t0 + i / args.rate
            if due > time.time():
                time.sleep(due - time.time())
            key = "lag/%06d" % i
            a.s3.put_object(Bucket="bk1", Key=key, Body=os.urandom(64 << 10))
            done[key] = time.time()
        stop.set()

    t = threading.Thread(target=writer)
    t.start()
    seen = {}
    deadline = time.time() + args.seconds + 120
    while len(seen) < total and time.time() < deadline:
        now = time.time()
        for k in listed(b.s3, "lag/"):
            if k not in seen:
                seen[k] = now
        time.sleep(0.05)
    t.join()
    lags = [seen[k] - done[k] for k in done if k in seen]
    out["lag"] = (percentile(lags, 50), percentile(lags, 99), max(lags), len(lags), total)
    time.sleep(1)
    after = a.status()
    payload = total * (64 << 10)
    out["chunk_ratio"] = (after["bytes_sent"] - before["bytes_sent"]) / payload
    out["wire_ratio"] = (after["wire_bytes_sent"] - before["wire_bytes_sent"]) / payload
    for s in (a, b):
        s.server.stop()
    return out


def on_demand(work):
    a = site_lib.Site("a-od", ["--isgw-token", TOKEN])
    b = site_lib.Site("b-od", ["--isgw-token", TOKEN])
    for s in (a, b):
        s.start()
        s.s3.create_bucket(Bucket="bk1")
    ccow(b.data, "service", "create", "isgw", "hawaii")
    ccow(b.data, "service", "serve", "hawaii", "ccow/default/bk1")
    ccow(b.data, "service", "config", "hawaii", "metadata-only", "all")
    ccow(b.data, "service", "config", "hawaii", "chunk-cache-size", "256M")
    ccow(b.data, "service", "config", "hawaii", "remote", "ccow://" + a.link)
    link(a, b, "200ms")
    size = 64 << 20
    a.s3.put_object(Bucket="bk1", Key="big", Body=os.urandom(size))
    deadline = time.time() + 120
    while "big" not in listed(b.s3, ""):
        if time.time() > deadline:
            raise SystemExit("the object never reached the metadata-only site")
        time.sleep(0.05)

    def read(site):
        t = time.time()
        n = len(site.s3.get_object(Bucket="bk1", Key="big")["Body"].read())
        assert n == size
        return size / (time.time() - t) / 1e6
    local = read(a)
    before = b.status()
    cold = read(b)
    mid = b.status()
    warm = read(b)
    out = {"local": local, "cold": cold, "warm": warm,
           "requests": mid.get("fetch_requests", 0) - before.get("fetch_requests", 0),
           "fetches": mid["fetches"] - before["fetches"]}
    for s in (a, b):
        s.server.stop()
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--mib", type=int, default=256)
    p.add_argument("--rate", type=float, default=100)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--intervals", default="200ms,1s")
    p.add_argument("--dir", default=os.environ.get("TMPDIR", "/var/tmp"))
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="ccow-isgwbench-", dir=args.dir)
    site_lib.configure(os.path.join(os.path.abspath(args.build), "bin", "ccow"), work)
    try:
        loop = loopback_mb_s()
        disk = disk_mb_s(work)
        print("| figure | ccow ISGW | limit on this machine |")
        print("|---|---:|---|")
        for n, interval in enumerate(args.intervals.split(",")):
            r = run(args, interval, work, n == 0)
            if "initial_mb_s" in r:
                print("| initial sync, %d MiB in 4 MiB objects | %.0f MB/s (%.1f s) | loopback %.0f MB/s (one stream), "
                      "disk %s (dd direct) |" % (args.mib, r["initial_mb_s"], r["initial_s"], loop, disk))
            p50, p99, mx, got, total = r["lag"]
            print("| lag at %g puts/s of 64 KiB, batch-interval %s | p50 %.2f s, p99 %.2f s, max %.2f s (%d/%d) | "
                  "target p99 < 1 s with sub-second batches |" % (args.rate, interval, p50, p99, mx, got, total))
            print("| chunk bytes / payload bytes (batch %s) | %.3f (wire %.3f) | target <= 1.05 plus manifests |"
                  % (interval, r["chunk_ratio"], r["wire_ratio"]))
            sys.stdout.flush()
        r = on_demand(work)
        print("| 64 MiB read at a metadata-only site, cold | %.0f MB/s (%d chunks in %d fetch requests) | "
              "%.0f MB/s read where the data is |" % (r["cold"], r["fetches"], r["requests"], r["local"]))
        print("| the same read, warm (chunk cache) | %.0f MB/s | %.0f MB/s read where the data is |"
              % (r["warm"], r["local"]))
    finally:
        site_lib.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
