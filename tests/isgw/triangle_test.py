#!/usr/bin/env python3
"""A full mesh of three sites (issue 14): every pair of `ccow server` sites linked both ways
by a service of its own (ab, bc, ca), each site running the two links it is an end of on
one endpoint (`--isgw ab --isgw ca`); no site is told the shape:

- objects written at every site reach every other, byte-identical, with one history, and
  an overwrite and a delete converge the same way;
- what a site learns on one link it forwards on the other, and drops what it has: no link
  carries more chunk bytes than the unique bytes written (5% slack), and once converged
  every link goes idle;
- a request that names a service the site does not run is refused (404), and one that
  names none at a site of several services is refused (400);
- /metrics has each ccow_isgw_* family once, with a sample per service.

Usage: triangle_test.py path/to/ccow"""

import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "triangle-link-secret"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET
# Each site's services, and for each the other end.
LINKS = {"a": {"ab": "b", "ca": "c"}, "b": {"ab": "a", "bc": "c"}, "c": {"bc": "b", "ca": "a"}}




def main():
    sites = {n: site_lib.Site(n, ["--isgw-token", TOKEN], services=tuple(sorted(LINKS[n]))) for n in LINKS}
    for s in sites.values():
        s.start()
        s.s3.create_bucket(Bucket=BUCKET)
        s.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for n, s in sites.items():
        for svc, other in LINKS[n].items():
            ccow(s.data, "service", "create", "isgw", svc)
            # (The other end may have offered the bucket first: serving twice is fine.)
            ccow(s.data, "service", "serve", svc, PATH)
            ccow(s.data, "service", "config", svc, "batch-interval", "200ms")
            ccow(s.data, "service", "config", svc, "remote", "ccow://" + sites[other].link)
    ring = list(sites.values())

    expect = {}
    for i, s in enumerate(ring):
        for k in range(3):
            key = "%s/%d" % (s.name, k)
            expect[key] = os.urandom(150_000 + 40_000 * k + 7_000 * i)
            s.s3.put_object(Bucket=BUCKET, Key=key, Body=expect[key])
    unique = sum(len(v) for v in expect.values())
    wait_for("every object at every site", lambda: site_lib.converged(ring, BUCKET, expect), timeout=90)
    site_lib.settle(ring)
    total = 0
    for s in ring:
        for svc in LINKS[s.name]:
            sent = s.status(svc)["bytes_sent"]
            total += sent
            if sent > unique * 1.05:
                fail("link %s of site %s carried %d chunk bytes for %d unique bytes" % (svc, s.name, sent, unique))
    print("triangle: %d unique bytes, %d chunk bytes over 6 directed links (ideal %d)" % (unique, total, 2 * unique))

    # An overwrite at b of a's object, a delete at c of b's: everywhere.
    sites["b"].s3.put_object(Bucket=BUCKET, Key="a/0", Body=b"overwritten at b")
    expect["a/0"] = b"overwritten at b"
    for vid, _ in sites["c"].versions(BUCKET, "b/1"):
        sites["c"].s3.delete_object(Bucket=BUCKET, Key="b/1", VersionId=vid)
    expect["b/1"] = None
    wait_for("the overwrite and the delete everywhere", lambda: site_lib.converged(ring, BUCKET, expect), timeout=60)
    site_lib.settle(ring)

    # The one endpoint routes by the service a request names.
    a = sites["a"]
    for headers, code in (({"ccow-isgw-service": "bc"}, 404), ({}, 400)):
        req = urllib.request.Request("http://%s/isgw/v1/digests" % a.link, data=b"x", method="POST",
                                     headers={"Authorization": "Bearer " + TOKEN, **headers})
        try:
            urllib.request.urlopen(req, timeout=10)
            fail("a request with headers %s was taken" % headers)
        except urllib.error.HTTPError as e:
            if e.code != code:
                fail("a request with headers %s: %d, not %d" % (headers, e.code, code))
    text = urllib.request.urlopen(a.admin + "/metrics", timeout=10).read().decode()
    if text.count("# TYPE ccow_isgw_rounds_total ") != 1 or 'ccow_isgw_rounds_total{service="ab"}' not in text \
            or 'ccow_isgw_rounds_total{service="ca"}' not in text:
        fail("/metrics of a two-link site: %s" % [l for l in text.splitlines() if "rounds_total" in l])
    for s in ring:
        s.server.stop()
    print("triangle_test: ok")


site_lib.run(main, "ccow-isgw-triangle-")
