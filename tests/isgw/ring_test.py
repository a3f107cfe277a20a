#!/usr/bin/env python3
"""A map-free mesh of Inter-Segment Gateway links (issue 14): four `ccow server` sites on
loopback, each sending to the next (a -> b -> c -> d -> a), none of them told the shape:

- a site forwards what it merged from one link on its other: objects written at every
  site, overwrites and deletes included, converge at every site, byte-identical, with the
  same version history;
- nothing ping-pongs: once converged, every link goes idle;
- no payload crosses a link twice: each link's chunk bytes stay within 5% of the unique
  bytes written (the link into a site does not carry back what the site wrote, because
  the site already has it);
- a cut link heals: written while c -> d is down, the changes reach d and a once it is back.

Usage: ring_test.py path/to/ccow"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "ring-link-secret"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET
NAMES = "abcd"




def main():
    ring = [site_lib.Site(n, ["--isgw-token", TOKEN]) for n in NAMES]
    for site in ring:
        site.start()
        site.s3.create_bucket(Bucket=BUCKET)
        site.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for i, site in enumerate(ring):
        nxt = ring[(i + 1) % len(ring)]
        site.link_to(nxt, PATH)

    # Objects written at every site (incompressible, so chunk bytes are payload bytes).
    expect = {}
    for i, site in enumerate(ring):
        for k in range(3):
            key = "%s/%d" % (site.name, k)
            expect[key] = os.urandom(200_000 + 50_000 * k + 10_000 * i)
            site.s3.put_object(Bucket=BUCKET, Key=key, Body=expect[key])
    unique = sum(len(v) for v in expect.values())
    wait_for("every object at every site", lambda: site_lib.converged(ring, BUCKET, expect), timeout=90)
    site_lib.settle(ring)
    for site in ring:
        sent = site.status()["bytes_sent"]
        if sent > unique * 1.05:
            fail("link %s -> next carried %d chunk bytes for %d unique bytes" % (site.name, sent, unique))
        # What the next site wrote is not carried back to it.
        own_next = sum(len(v) for k, v in expect.items() if k.startswith(NAMES[(NAMES.index(site.name) + 1) % 4]))
        if sent > (unique - own_next) * 1.05 + 65536:
            fail("link %s -> next carried back what the next site wrote: %d bytes" % (site.name, sent))

    # An overwrite at c of a's object and a delete at d of b's: everywhere, nothing returns.
    ring[2].s3.put_object(Bucket=BUCKET, Key="a/0", Body=b"overwritten at c")
    expect["a/0"] = b"overwritten at c"
    for vid, _ in ring[3].versions(BUCKET, "b/1"):
        ring[3].s3.delete_object(Bucket=BUCKET, Key="b/1", VersionId=vid)
    expect["b/1"] = None
    wait_for("the overwrite and the delete everywhere", lambda: site_lib.converged(ring, BUCKET, expect), timeout=60)

    # c -> d cut; writes at b and c wait at c, then flow on to d and a when it heals.
    ccow(ring[2].data, "service", "config", "hawaii", "remote", "ccow://127.0.0.1:1")
    time.sleep(0.5)
    for site in (ring[1], ring[2]):
        key = "while-cut/" + site.name
        expect[key] = os.urandom(100_000)
        site.s3.put_object(Bucket=BUCKET, Key=key, Body=expect[key])
    wait_for("while-cut/b at c", lambda: ring[2].body(BUCKET, "while-cut/b") == expect["while-cut/b"])
    time.sleep(1.0)
    if ring[3].body(BUCKET, "while-cut/c") is not None or ring[0].body(BUCKET, "while-cut/b") is not None:
        fail("a change crossed the cut link")
    ccow(ring[2].data, "service", "config", "hawaii", "remote", "ccow://" + ring[3].link)
    wait_for("convergence after the cut healed", lambda: site_lib.converged(ring, BUCKET, expect), timeout=60)
    site_lib.settle(ring)
    for site in ring:
        site.server.stop()
    print("ring_test: ok (%d sites, %d objects)" % (len(ring), len(expect)))


site_lib.run(main, "ccow-isgw-ring-")
