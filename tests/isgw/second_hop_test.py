#!/usr/bin/env python3
"""Fetches on demand go a second hop (issue 14): three `ccow server` sites in a chain,
a (which has the data) <-> b (metadata-only, with a chunk cache) <-> c (metadata-only, no
cache), c linked with b only:

- a's objects are listed at c at once, through b, with no payload crossing either link;
- a read at c asks b, which lacks the data and asks a for it (its other link), verifies
  it, keeps it in its cache and answers: byte-identical at c (b counts a forwarded chunk);
- with a down, c reads what b has cached, through b; what neither holds fails with an
  error instead of wrong bytes.

Usage: second_hop_test.py path/to/ccow"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import fail, wait_for  # noqa: E402

TOKEN = "second-hop-secret"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET


def main():
    a = site_lib.Site("a", ["--isgw-token", TOKEN], services=("ab",))
    b = site_lib.Site("b", ["--isgw-token", TOKEN], services=("ab", "bc"))
    c = site_lib.Site("c", ["--isgw-token", TOKEN], services=("bc",))
    for s in (a, b, c):
        s.start()
        s.s3.create_bucket(Bucket=BUCKET)
        s.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    a.link_to(b, PATH, service="ab")
    b.link_to(a, PATH, service="ab", settings=[("metadata-only", "all"), ("chunk-cache-size", "8M")])
    b.link_to(c, PATH, service="bc")
    c.link_to(b, PATH, service="bc", settings=[("metadata-only", "all"), ("chunk-cache-size", "0")])

    blobs = {"x": os.urandom(300 << 10), "y": os.urandom(200 << 10), "z": os.urandom(5000)}
    for key, data in blobs.items():
        a.s3.put_object(Bucket=BUCKET, Key=key, Body=data)

    def listed_at_c(key):
        try:
            return c.s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"] == len(blobs[key])
        except c.s3.exceptions.ClientError:
            return False
    for key in blobs:
        wait_for("%s listed at c" % key, lambda: listed_at_c(key), timeout=60)
    if a.status("ab")["bytes_sent"] > 20000 or b.status("bc")["bytes_sent"] > 20000:
        fail("payload crossed to a metadata-only site: a %s, b %s" % (a.status("ab"), b.status("bc")))

    # c reads x: b lacks it, asks a, keeps it and answers.
    if c.body(BUCKET, "x") != blobs["x"]:
        fail("x read at c differs")
    st = b.status("bc")
    if st["chunks_forwarded"] < 1 or st["chunks_served"] < 1:
        fail("b forwarded nothing for c: %s" % st)

    # a down: what b cached still reads at c (c keeps nothing), the rest fails.
    a.server.stop()
    if c.body(BUCKET, "x") != blobs["x"]:
        fail("x read at c through b's cache differs")
    try:
        got = c.s3.get_object(Bucket=BUCKET, Key="y")["Body"].read()
    except Exception:  # an error answer, or a body cut short after the headers (fail() exits, not raises)
        got = None
    if got is not None:
        fail("y read at c with its only holder down: %s" % ("its bytes" if got == blobs["y"] else "other bytes"))
    print("second_hop_test: ok")


site_lib.run(main, "ccow-isgw-hop-")
