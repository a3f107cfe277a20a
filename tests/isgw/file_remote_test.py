#!/usr/bin/env python3
"""A file:// remote (issue 14): a site exports its served buckets into a content-addressed
directory, and another site imports from it, with no network between them:

- a exports (`remote file:///DIR`, direction send): every object, with dedup kept (the
  same bytes under a second name cross no chunk again, and the export's store holds them
  once);
- while a holds the directory, b's rounds fail and say so; once a lets go (its remote
  unset), b imports (direction send+receive): the same objects, byte-identical, with the
  same version histories, and b's own writes go into the directory;
- a points at the directory again (send+receive): it receives b's object, and its delete
  travels to b through the directory; nothing deleted comes back, nothing ping-pongs
  (idle links compare nothing new once both sides are equal).

Usage: file_remote_test.py path/to/ccow"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "file-remote-secret"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET


def use_export(site, direction, export):
    ccow(site.data, "service", "config", "hawaii", "direction", direction)
    ccow(site.data, "service", "config", "hawaii", "remote", "file://" + export if export else "")


def wait_idle(site):
    """The link's rounds go on and ship nothing new (its backlog empty)."""
    def quiet():
        st = site.status()
        return st["rounds"] >= 2 and st["backlog"] == 0
    wait_for("%s's link idle" % site.name, quiet, timeout=60)
    site_lib.settle([site])


def main():
    export = os.path.join(site_lib.WORK, "export")
    a, b = site_lib.start_sites("ab", TOKEN, BUCKET)
    for site in (a, b):
        ccow(site.data, "service", "create", "isgw", "hawaii")
        ccow(site.data, "service", "serve", "hawaii", PATH)
        ccow(site.data, "service", "config", "hawaii", "batch-interval", "200ms")

    big = os.urandom(3 << 20)  # several chunks
    blobs = {"a/%d" % i: os.urandom(3000 + 100 * i) for i in range(8)}
    blobs["a/big"] = big
    for key, data in blobs.items():
        a.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    use_export(a, "send", export)
    wait_for("a's export", lambda: a.status()["lists_shipped"] >= len(blobs), timeout=60)
    sent = a.status()["chunks_sent"]
    # The same bytes under another name: only its manifests cross.
    blobs["a/big-again"] = big
    a.s3.put_object(Bucket=BUCKET, Key="a/big-again", Body=big)
    wait_for("the copy exported", lambda: a.status()["lists_shipped"] >= len(blobs), timeout=60)
    st = a.status()
    if st["chunks_sent"] - sent > 3 or st["chunks_skipped"] < 3:
        fail("the same bytes crossed again: %s (before: %d chunks sent)" % (st, sent))
    store_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(export, "vdev0"))
                      for f in fs)
    unique = sum(len(v) for k, v in blobs.items() if k != "a/big-again")
    print("export: %d bytes on disk for %d unique payload bytes" % (store_bytes, unique))
    if store_bytes > unique * 1.3:
        fail("the export holds %d bytes for %d unique payload bytes" % (store_bytes, unique))

    # b asks for the directory while a holds it: its rounds fail, and say why.
    use_export(b, "send+receive", export)
    wait_for("b's failed rounds", lambda: b.status()["failed_rounds"] >= 2, timeout=30)
    if "export" not in b.status()["last_error"]:
        fail("b's error does not name the export: %s" % b.status()["last_error"])
    use_export(a, "send", None)  # a lets go of the directory
    for key, data in blobs.items():
        wait_for("%s imported at b" % key, lambda: b.body(BUCKET, key) == data, timeout=60)
    for key in blobs:
        if a.versions(BUCKET, key) != b.versions(BUCKET, key):
            fail("histories of %s differ: %s vs %s" % (key, a.versions(BUCKET, key), b.versions(BUCKET, key)))
    # b's own write goes into the directory (b sends and receives).
    b.s3.put_object(Bucket=BUCKET, Key="b/0", Body=b"written at b")
    wait_for("b's write exported", lambda: b.status()["lists_shipped"] >= 1, timeout=60)
    wait_idle(b)
    use_export(b, "send+receive", None)

    # a takes the directory back, sending and receiving: b's object arrives, and a's
    # delete goes into the directory.
    use_export(a, "send+receive", export)
    wait_for("b/0 imported at a", lambda: a.body(BUCKET, "b/0") == b"written at b", timeout=60)
    a.s3.delete_object(Bucket=BUCKET, Key="a/3")
    wait_for("the delete exported",
             lambda: a.body(BUCKET, "a/3") is None and a.status()["lists_shipped"] >= len(blobs) + 1, timeout=60)
    wait_idle(a)
    use_export(a, "send+receive", None)
    use_export(b, "send+receive", export)
    wait_for("the delete imported at b", lambda: b.body(BUCKET, "a/3") is None, timeout=60)
    wait_idle(b)
    for key, data in list(blobs.items()) + [("b/0", b"written at b")]:
        expect = None if key == "a/3" else data
        if a.body(BUCKET, key) != expect or b.body(BUCKET, key) != expect:
            fail("%s differs after the round trip" % key)
        if a.versions(BUCKET, key) != b.versions(BUCKET, key):
            fail("histories of %s differ: %s vs %s" % (key, a.versions(BUCKET, key), b.versions(BUCKET, key)))
    # verify compares b with the directory it names.
    r = ccow(b.data, "--json", "service", "verify", "hawaii", ok=False)
    if r.returncode != 0 or not json.loads(r.stdout)["in_sync"]:
        fail("service verify against the export: exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))
    # Nothing ping-pongs: both sides equal, b's link ships nothing more.
    shipped = b.status()["lists_shipped"]
    site_lib.settle([b])
    if b.status()["lists_shipped"] != shipped:
        fail("b keeps shipping: %s" % b.status())
    print("file_remote_test: ok (%d objects through %s)" % (len(blobs) + 1, export))


site_lib.run(main, "ccow-isgw-file-")
