#!/usr/bin/env python3
"""`ccow service verify` (issue 14): two `ccow server` sites on loopback linked both ways;
verify compares both sites' served buckets object by object through the running link end:

- converged sites verify in sync (exit 0), every object compared;
- with b's sending cut, an object written at b only and an overwrite at b of a shared
  object are reported (only there, differs), with exit 1, in text and JSON, while what a
  wrote since is equal at both;
- once the link heals, verify is in sync again.

Usage: verify_test.py path/to/ccow"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "verify-link-secret"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET



def verify(site):
    r = ccow(site.data, "--json", "service", "verify", "hawaii", ok=False)
    if r.returncode not in (0, 1):
        fail("service verify: exit %d: %s" % (r.returncode, r.stderr))
    j = json.loads(r.stdout)
    if (r.returncode == 0) != j["in_sync"]:
        fail("service verify exited %d with in_sync %s" % (r.returncode, j["in_sync"]))
    return j


def main():
    a, b = site_lib.start_sites("ab", TOKEN, BUCKET)
    for site, other in ((a, b), (b, a)):
        site.link_to(other, PATH)
    blobs = {"%s/%d" % (s.name, i): os.urandom(5000 + i) for s in (a, b) for i in range(30)}
    for key, data in blobs.items():
        (a if key.startswith("a/") else b).s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    for key, data in blobs.items():
        for site in (a, b):
            wait_for("%s at %s" % (key, site.name), lambda: site.body(BUCKET, key) == data)
    j = verify(a)
    entry = j["buckets"][0]
    if not j["in_sync"] or entry["compared"] != len(blobs) or entry["equal"] != len(blobs):
        fail("converged sites: %s" % j)

    # b stops sending: what b writes stays at b.
    ccow(b.data, "service", "config", "hawaii", "remote", "ccow://127.0.0.1:1")
    b.s3.put_object(Bucket=BUCKET, Key="only-at-b", Body=b"b alone")
    b.s3.put_object(Bucket=BUCKET, Key="a/3", Body=b"overwritten at b")
    a.s3.put_object(Bucket=BUCKET, Key="late-at-a", Body=b"a shipped it")
    wait_for("late-at-a at b", lambda: b.body(BUCKET, "late-at-a") == b"a shipped it")
    j = verify(a)
    entry = j["buckets"][0]
    if j["in_sync"] or entry["only_there_names"] != [PATH + "/only-at-b"] or entry["differ_names"] != [PATH + "/a/3"] \
            or entry["only_here"] != 0 or entry["equal"] != len(blobs):
        fail("verify with b's sending cut: %s" % j)
    r = ccow(a.data, "service", "verify", "hawaii", ok=False)
    if r.returncode != 1 or "differences found" not in r.stdout or "only there: " + PATH + "/only-at-b" not in r.stdout \
            or "differs: " + PATH + "/a/3" not in r.stdout:
        fail("service verify printed (exit %d): %s %s" % (r.returncode, r.stdout, r.stderr))

    # Healed: in sync again.
    ccow(b.data, "service", "config", "hawaii", "remote", "ccow://" + a.link)
    wait_for("only-at-b at a", lambda: a.body(BUCKET, "only-at-b") == b"b alone")
    wait_for("verify in sync", lambda: verify(a)["in_sync"] and verify(b)["in_sync"], timeout=30)
    for site in (a, b):
        site.server.stop()
    print("verify_test: ok")


site_lib.run(main, "ccow-isgw-verify-")
