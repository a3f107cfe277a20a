#!/usr/bin/env python3
"""SnapView across an Inter-Segment Gateway link (issue 14): a bucket view taken at one
site arrives at the other as one consistent view, and its removal too.

- site a takes view "monday" of a bucket of 20 objects through its running server's admin
  API (`ccow snapview create` while `ccow server` holds the data directory), then
  overwrites, deletes and adds objects;
- site b lists the view as complete with exactly those 20 objects once it has arrived
  (never a partial view: `snapview show` refuses until then), clones it into another
  bucket, and the clone reads the objects as they were at a when the view was taken;
- the view's record is no S3 object: listings leave it out and its key is refused;
- removed at a, the view goes at b too (its pins leave tombstones, so neither site brings
  it back), and `service verify` finds both sites equal.

Usage: snapview_test.py path/to/ccow"""

import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "snapview-link-secret"
BUCKET = "photos"
PATH = "ccow/default/" + BUCKET


def views(site):
    r = ccow(site.data, "--json", "snapview", "ls", PATH)
    return {v["name"]: v for v in json.loads(r.stdout)["snapviews"]}


def main():
    a, b = site_lib.start_sites("ab", TOKEN, BUCKET)
    for site, other in ((b, a), (a, b)):
        site.link_to(other, PATH)
    monday = {"k%02d" % i: ("monday %d " % i).encode() * (1 + i * 500) for i in range(20)}
    for key, body in monday.items():
        a.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    wait_for("the objects at b", lambda: all(b.body(BUCKET, k) == v for k, v in monday.items()), timeout=60)

    taken = json.loads(ccow(a.data, "--json", "snapview", "create", PATH, "monday").stdout)
    if taken.get("members") != 20 or not taken.get("complete"):
        fail("the view taken at a: %s" % taken)
    a.s3.put_object(Bucket=BUCKET, Key="k00", Body=b"tuesday")
    a.s3.delete_object(Bucket=BUCKET, Key="k01")
    a.s3.put_object(Bucket=BUCKET, Key="new", Body=b"tuesday")

    wait_for("the view complete at b", lambda: views(b).get("monday", {}).get("complete"), timeout=60)
    shown = json.loads(ccow(b.data, "--json", "snapview", "show", PATH, "monday").stdout)["members"]
    if sorted(m["key"] for m in shown) != sorted(monday):
        fail("the view at b holds %s" % [m["key"] for m in shown])
    b.s3.create_bucket(Bucket="restored")
    cloned = json.loads(ccow(b.data, "--json", "snapview", "clone", PATH, "monday", "ccow/default/restored").stdout)
    if cloned.get("cloned") != 20:
        fail("clone at b: %s" % cloned)
    for key, body in monday.items():
        if b.body("restored", key) != body:
            fail("the clone of the view at b reads %r for %s" % (b.body("restored", key), key))
    wait_for("a's changes at b", lambda: b.body(BUCKET, "k00") == b"tuesday" and b.body(BUCKET, "k01") is None
             and b.body(BUCKET, "new") == b"tuesday")

    # The record is a system key: no listing shows it, and S3 refuses its key.
    for site in (a, b):
        listed = [o["Key"] for o in site.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        if sorted(listed) != sorted(set(monday) - {"k01"} | {"new"}):
            fail("site %s lists %s" % (site.name, listed))
    try:
        urllib.request.urlopen("%s/%s/%%FFsnapview/monday" % (a.s3_url, BUCKET), timeout=10)
        fail("S3 served a system key")
    except urllib.error.HTTPError as e:
        if e.code != 400:
            fail("S3 answered %d to a key that is not UTF-8" % e.code)

    ccow(a.data, "snapview", "rm", PATH, "monday")
    if "monday" in views(a):
        fail("the view outlived its removal at a: %s" % views(a))
    wait_for("the view removed at b", lambda: "monday" not in views(b), timeout=60)
    site_lib.settle([a, b])
    if "monday" in views(a) or "monday" in views(b):
        fail("a removed view came back: a %s, b %s" % (views(a), views(b)))
    r = ccow(a.data, "--json", "service", "verify", "hawaii", ok=False)
    if r.returncode != 0:
        fail("verify after the removal: exit %d %s" % (r.returncode, r.stdout))
    r = ccow(b.data, "snapview", "show", PATH, "monday", ok=False)
    if r.returncode != 3:
        fail("show of a removed view: exit %d %s" % (r.returncode, r.stderr))
    for site in (a, b):
        site.server.stop()
    print("snapview_test: ok")


site_lib.run(main, "ccow-isgw-snapview-")
