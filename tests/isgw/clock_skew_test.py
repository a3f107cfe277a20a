#!/usr/bin/env python3
"""Two sites whose clocks disagree by five minutes (issue 14): site b's server runs with
CCOW_CLOCK_OFFSET=-5m. With the link cut:

- the same key is written at a, then a second later at b (whose timestamps are five
  minutes earlier);
- an object both sites had is deleted at a (every version) and overwritten at b.

Healed, both sites hold the same history of each key, under distinct version ids, with
the same current version; the deleted version does not come back at either site; and a
write at b after the heal is current everywhere although b's clock is behind (its
timestamp is a hybrid logical clock: later than every version it merged).

Usage: clock_skew_test.py path/to/ccow"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "clock-skew-link-secret"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET




def same(a, b, key):
    return a.versions(BUCKET, key) == b.versions(BUCKET, key) and a.body(BUCKET, key) == b.body(BUCKET, key)


def remote(site, other):
    ccow(site.data, "service", "config", "hawaii", "remote", "ccow://" + other.link if other else "ccow://127.0.0.1:1")


def main():
    a = site_lib.Site("a", ["--isgw-token", TOKEN])
    b = site_lib.Site("b", ["--isgw-token", TOKEN])
    a.start()
    os.environ["CCOW_CLOCK_OFFSET"] = "-5m"
    try:
        b.start()
    finally:
        del os.environ["CCOW_CLOCK_OFFSET"]
    if "clock is offset by -300 s" not in open(b.server.log_path).read():
        fail("site b did not say its clock is offset")
    for site in (a, b):
        site.s3.create_bucket(Bucket=BUCKET)
        site.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for site, other in ((b, a), (a, b)):
        ccow(site.data, "service", "create", "isgw", "hawaii")
        ccow(site.data, "service", "serve", "hawaii", PATH)
        ccow(site.data, "service", "config", "hawaii", "batch-interval", "200ms")
        remote(site, other)
    a.s3.put_object(Bucket=BUCKET, Key="d", Body=b"first, at a")
    wait_for("d at b", lambda: b.body(BUCKET, "d") == b"first, at a")
    deleted = a.versions(BUCKET, "d")[0][0]

    # The link cut both ways.
    remote(a, None)
    remote(b, None)
    time.sleep(0.5)
    a.s3.put_object(Bucket=BUCKET, Key="k", Body=b"k at a")
    time.sleep(1.0)
    b.s3.put_object(Bucket=BUCKET, Key="k", Body=b"k at b, five minutes behind")
    for vid, _ in a.versions(BUCKET, "d"):
        a.s3.delete_object(Bucket=BUCKET, Key="d", VersionId=vid)
    b.s3.put_object(Bucket=BUCKET, Key="d", Body=b"overwritten at b")
    ids = {s.name: s.s3.head_object(Bucket=BUCKET, Key="k")["VersionId"] for s in (a, b)}
    if ids["a"] == ids["b"]:
        fail("two sites' versions of k share the id %s" % ids["a"])

    # Healed.
    remote(a, b)
    remote(b, a)
    wait_for("k's histories to converge", lambda: len(a.versions(BUCKET, "k")) == 2 and same(a, b, "k"), timeout=60)
    wait_for("d's histories to converge", lambda: same(a, b, "d") and a.body(BUCKET, "d") is not None, timeout=60)
    for site in (a, b):
        for who, vid in ids.items():
            got = site.s3.get_object(Bucket=BUCKET, Key="k", VersionId=vid)["Body"].read()
            if got != (b"k at a" if who == "a" else b"k at b, five minutes behind"):
                fail("version %s of k reads %r at %s" % (vid, got, site.name))
        if deleted in [v for v, _ in site.versions(BUCKET, "d")]:
            fail("the version of d deleted at a came back at %s: %s" % (site.name, site.versions(BUCKET, "d")))
        if site.body(BUCKET, "d") != b"overwritten at b":
            fail("d reads %r at %s" % (site.body(BUCKET, "d"), site.name))
    time.sleep(1.0)  # rounds both ways: nothing changes, nothing returns
    if not same(a, b, "k") or not same(a, b, "d") or deleted in [v for v, _ in a.versions(BUCKET, "d")]:
        fail("the sites drifted apart after converging")

    # A write at b, whose clock is behind, after it merged a's: current everywhere.
    b.s3.put_object(Bucket=BUCKET, Key="k", Body=b"k at b after the heal")
    for site in (a, b):
        wait_for("b's newest k current at %s" % site.name, lambda: site.body(BUCKET, "k") == b"k at b after the heal")
    wait_for("k's three versions at both sites", lambda: len(a.versions(BUCKET, "k")) == 3 and same(a, b, "k"))
    for site in (a, b):
        site.server.stop()
    print("clock_skew_test: ok")


site_lib.run(main, "ccow-isgw-skew-")
