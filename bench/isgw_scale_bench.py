#!/usr/bin/env python3
"""Inter-Segment Gateway at the sizes issue 14 names, two `ccow server` sites on this
machine linked over loopback (the tests run the same checks at small sizes):

- a 1 MiB change inside a 256 MiB object: chunk bytes shipped (target at most 2 MiB plus
  manifests);
- with content-defined chunking (a bucket created `--chunking cdc`), a 1-byte insertion
  in the middle of a 256 MiB object: chunk bytes shipped against the average chunk
  (target at most 3 average chunks plus manifests);
- the same 1 GiB under 100 names (one put and 99 server-side copies): chunk bytes shipped
  (target: the 1 GiB once).

usage: bench/isgw_scale_bench.py BUILD_DIR [--mib 256] [--gib 1] [--names 100] [--dir /var/tmp]"""

import argparse
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "isgw"))
import sites as site_lib  # noqa: E402
from sites import ccow  # noqa: E402

TOKEN = "isgw-scale-secret"


def at_b(b, bucket, key, size, etag, timeout=900):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            h = b.s3.head_object(Bucket=bucket, Key=key)
            if h["ContentLength"] == size and h["ETag"] == etag:
                return
        except b.s3.exceptions.ClientError:
            pass
        time.sleep(0.1)
    raise SystemExit("%s/%s never reached site b" % (bucket, key))


def shipped(a, before):
    site_lib.settle([a], quiet=1.5, timeout=600)
    return a.status()["bytes_sent"] - before


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--mib", type=int, default=256)
    p.add_argument("--gib", type=float, default=1)
    p.add_argument("--names", type=int, default=100)
    p.add_argument("--dir", default=os.environ.get("TMPDIR", "/var/tmp"))
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="ccow-isgwscale-", dir=args.dir)
    site_lib.configure(os.path.join(os.path.abspath(args.build), "bin", "ccow"), work)
    try:
        a = site_lib.Site("a", ["--isgw-token", TOKEN])
        b = site_lib.Site("b", ["--isgw-token", TOKEN])
        for s in (a, b):
            s.start()
            s.s3.create_bucket(Bucket="fixed")
            ccow(s.data, "bucket", "create", "ccow/default/cdc", "--chunking", "cdc", "-s", "1M")
            ccow(s.data, "service", "create", "isgw", "hawaii")
            ccow(s.data, "service", "serve", "hawaii", "ccow/default/fixed")
            ccow(s.data, "service", "serve", "hawaii", "ccow/default/cdc")
            ccow(s.data, "service", "config", "hawaii", "batch-interval", "200ms")
        ccow(a.data, "service", "config", "hawaii", "remote", "ccow://" + b.link)
        ccow(b.data, "service", "config", "hawaii", "remote", "ccow://" + a.link)
        print("| figure | ccow ISGW | target |")
        print("|---|---:|---|")
        size = args.mib << 20
        for bucket in ("fixed", "cdc"):
            data = bytearray(os.urandom(size))
            etag = a.s3.put_object(Bucket=bucket, Key="big", Body=bytes(data))["ETag"]
            at_b(b, bucket, "big", size, etag)
            before = a.status()["bytes_sent"]
            if bucket == "fixed":
                mid = size // 2
                data[mid:mid + (1 << 20)] = os.urandom(1 << 20)
            else:
                data.insert(size // 2, 0x5a)
            etag = a.s3.put_object(Bucket=bucket, Key="big", Body=bytes(data))["ETag"]
            at_b(b, bucket, "big", len(data), etag)
            sent = shipped(a, before)
            if bucket == "fixed":
                print("| 1 MiB changed inside a %d MiB object | %.2f MiB of chunks shipped | at most 2 MiB plus "
                      "manifests |" % (args.mib, sent / 2**20))
            else:
                print("| 1 byte inserted in the middle of a %d MiB object, CDC | %.2f MiB of chunks shipped | at most 3 "
                      "average chunks (1 MiB each) plus manifests |" % (args.mib, sent / 2**20))
        # The same bytes under many names: one put, then server-side copies.
        total = int(args.gib * 2**30)
        etag = a.s3.put_object(Bucket="fixed", Key="same/0", Body=os.urandom(total))["ETag"]
        at_b(b, "fixed", "same/0", total, etag)
        before = a.status()["bytes_sent"]
        for i in range(1, args.names):
            a.s3.copy_object(Bucket="fixed", Key="same/%d" % i, CopySource={"Bucket": "fixed", "Key": "same/0"})
        for i in range(1, args.names):
            at_b(b, "fixed", "same/%d" % i, total, etag)
        sent = shipped(a, before)
        print("| the same %g GiB under %d names (1 put, %d copies) | %.4f GiB of chunks shipped for the %d copies "
              "| nothing beyond the first (the %g GiB once) |" % (args.gib, args.names, args.names - 1, sent / 2**30,
                                                                    args.names - 1, args.gib))
        sys.stdout.flush()
    finally:
        site_lib.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
