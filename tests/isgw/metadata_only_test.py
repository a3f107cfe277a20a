#!/usr/bin/env python3
"""A metadata-only site (issue 14): two `ccow server` sites on loopback, b set to keep only
metadata of what its link receives (`service config hawaii metadata-only all|versions`,
`chunk-cache-size`):

- a's objects appear at b at once (listed, HEAD answers size and ETag) while only their
  manifests cross the link;
- a GET at b fetches the data from a on demand, verified, byte-identical; a second read
  of a chunk still cached does not fetch again;
- the cache never holds more than chunk-cache-size (in its counts and on disk);
- with `versions`, only version manifests cross, and reads still succeed;
- what b writes itself ships to a whole (a is not metadata-only);
- a copy at b of a's object stores its data at b (it is b's own version);
- with a down, what b has cached still reads, and a read of what it has not fails
  instead of returning wrong bytes.

Usage: metadata_only_test.py path/to/ccow"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "metadata-only-link-secret"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET
CACHE = 700_000



def head(site, key):
    try:
        r = site.s3.head_object(Bucket=BUCKET, Key=key)
        return r["ContentLength"], r["ETag"]
    except Exception:
        return None


def cache_on_disk(site):
    d = os.path.join(site.data, "isgw-cache", "hawaii")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)) if os.path.isdir(d) else 0


def main():
    a = site_lib.Site("a", ["--isgw-token", TOKEN])
    b = site_lib.Site("b", ["--isgw-token", TOKEN])
    for site in (a, b):
        site.start()
        site.s3.create_bucket(Bucket=BUCKET)
        site.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for site, other, extra in ((b, a, [("metadata-only", "all"), ("chunk-cache-size", str(CACHE))]), (a, b, [])):
        site.link_to(other, PATH, settings=extra)
    wait_for("b's link to apply metadata-only", lambda: b.status()["metadata_only"] == "all")

    # a's objects: at b the metadata only.
    blobs = {"obj/%d" % i: os.urandom(300_000 + 1000 * i) for i in range(6)}
    for key, data in blobs.items():
        a.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    for key in blobs:
        wait_for("%s listed at b" % key, lambda: head(b, key) == head(a, key))
    sent = a.status()["bytes_sent"]
    if sent > 64 * 1024:
        fail("a sent %d chunk bytes to a metadata-only site for %d bytes of objects" %
             (sent, sum(map(len, blobs.values()))))

    # Reads at b fetch on demand; the cache stays within its bound.
    for key, data in blobs.items():
        if b.body(BUCKET, key) != data:
            fail("%s read at b differs" % key)
    st = b.status()
    if st["fetches"] < len(blobs) or st["fetch_failures"] != 0 or a.status()["chunks_served"] < len(blobs):
        fail("fetch counts at b %s, served at a %d" % (st, a.status()["chunks_served"]))
    if st["cache_capacity"] != CACHE or st["cache_bytes"] > CACHE or cache_on_disk(b) > CACHE:
        fail("the cache holds %d bytes (%d on disk) for a bound of %d: %s" % (st["cache_bytes"], cache_on_disk(b), CACHE, st))
    if st["cache_evictions"] < 1:
        fail("1.8 MB read through a 700 KB cache evicted nothing: %s" % st)
    last = "obj/%d" % (len(blobs) - 1)
    if b.body(BUCKET, last) != blobs[last]:
        fail("a second read of %s differs" % last)
    if b.status()["fetches"] != st["fetches"] or b.status()["cache_hits"] <= st["cache_hits"]:
        fail("a second read of a cached object fetched again: %s" % b.status())

    # b's own writes ship whole to a.
    mine = os.urandom(200_000)
    b.s3.put_object(Bucket=BUCKET, Key="from-b", Body=mine)
    wait_for("from-b at a", lambda: a.body(BUCKET, "from-b") == mine)

    # `versions`: the version manifests only.
    ccow(b.data, "service", "config", "hawaii", "metadata-only", "versions")
    wait_for("b's link to apply versions mode", lambda: b.status()["metadata_only"] == "versions")
    before = a.status()["bytes_sent"]
    big = os.urandom(3 << 20)
    a.s3.put_object(Bucket=BUCKET, Key="big", Body=big)
    wait_for("big listed at b", lambda: head(b, "big") == head(a, "big"))
    if a.status()["bytes_sent"] - before > 16 * 1024:
        fail("versions mode sent %d chunk bytes" % (a.status()["bytes_sent"] - before))
    if b.body(BUCKET, "big") != big:
        fail("big read at b differs")
    text = ccow(b.data, "service", "show", "hawaii", "-s").stdout
    if "on demand: " not in text or "metadata-only versions" not in text:
        fail("service show -s at b: %s" % text)

    # A copy at b of a's objects (payload not here; with `versions`, its chunk manifests
    # neither) is b's own version: what it references is fetched once and stored at b.
    for key in ("big", "obj/1"):
        b.s3.copy_object(Bucket=BUCKET, Key="copies/" + key, CopySource={"Bucket": BUCKET, "Key": key})

    # a down: the cached object still reads, an uncached one fails.
    a.server.stop()
    if b.body(BUCKET, "copies/big") != big or b.body(BUCKET, "copies/obj/1") != blobs["obj/1"]:
        fail("a copy made at the metadata-only site does not read with the origin down")
    if b.body(BUCKET, last) != blobs[last]:
        fail("a cached object did not read with the origin down")
    try:
        got = b.s3.get_object(Bucket=BUCKET, Key="obj/0")["Body"].read()
        if got == blobs["obj/0"]:
            fail("obj/0 was evicted from the cache yet read with the origin down")
        fail("a read of data no site could serve returned %d wrong bytes" % len(got))
    except SystemExit:
        raise
    except Exception as e:  # the S3 error (or a cut body): what the client must see
        print("uncached read with the origin down: %s" % type(e).__name__)
    b.server.stop()
    print("metadata_only_test: ok")


site_lib.run(main, "ccow-isgw-mdonly-")
