#!/usr/bin/env python3
"""Two sites kept in sync by an Inter-Segment Gateway link (issue 14), each a `ccow server`
on its own data directory, on loopback, driven with boto3 and the ccow CLI:

- both ends are set up with the efscli grammar (`service create isgw`, `serve`, `config
  remote|batch-interval`), in either order, while the servers run;
- objects written at either site appear at the other byte-identical, with the same version
  history (generations and version ids), both directions at once;
- a delete at one site removes the object at the other, and it does not come back;
- the same key written at both sites while the link is cut: once it heals both sites keep
  both versions, under distinct version ids (each site's versions carry its site id), with
  the same current version, and each version id reads the same bytes at both sites;
- a 1 MiB change inside an 8 MiB object ships at most 2 MiB of chunks, and the same 8 MiB
  under 4 more names ships nothing more (dedup across objects);
- a link with the wrong token is refused and reported, and ships nothing;
- a bucket served at one site only is created at the other (versioned as at the first)
  and its objects follow;
- what compresses crosses the link compressed (zstd): a text object of 2 MiB costs far
  fewer bytes on the wire;
- rounds are proportional to the changes (the trlog): an idle link compares no list, one
  put compares its own list and not the bucket's, and a restarted site compares the whole
  bucket once, then goes idle again;
- SIGKILL of one site mid-stream, restart: everything written before arrives, no version twice.

Usage: two_sites_test.py path/to/ccow"""

import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "link-secret-for-the-test"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET
SETTLE_S = 11  # client/trlog.h kTrlogSettleNs, and a second


def Site(name, token=TOKEN):
    return site_lib.Site(name, ["--isgw-token", token])


def body_of(s3, key):
    return site_lib.body_of(s3, BUCKET, key)


def versions(s3, key):
    return site_lib.versions(s3, BUCKET, key)


def main():
    a, b = Site("a"), Site("b")
    a.start()
    b.start()
    for site in (a, b):
        site.s3.create_bucket(Bucket=BUCKET)
        site.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    # Site b's end first, then a's: the order does not matter.
    for site, other in ((b, a), (a, b)):
        ccow(site.data, "service", "create", "isgw", "hawaii")
        ccow(site.data, "service", "serve", "hawaii", PATH)
        ccow(site.data, "service", "config", "hawaii", "batch-interval", "200ms")
        ccow(site.data, "service", "config", "hawaii", "remote", "ccow://" + other.link)

    # Writes at both sites, both ways at once.
    blobs = {"a/%d" % i: os.urandom(1000 + i * 5000) for i in range(10)}
    blobs.update({"b/%d" % i: os.urandom(3000 + i * 7000) for i in range(10)})
    for key, data in blobs.items():
        (a if key.startswith("a/") else b).s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    for key, data in blobs.items():
        for site in (a, b):
            wait_for("%s at site %s" % (key, site.name), lambda: body_of(site.s3, key) == data)
    for key in blobs:
        if versions(a.s3, key) != versions(b.s3, key):
            fail("version history of %s differs: %s vs %s" % (key, versions(a.s3, key), versions(b.s3, key)))

    # A bucket served at a only: b gets it (versioned), serves it, and its objects.
    a.s3.create_bucket(Bucket="bk2")
    a.s3.put_bucket_versioning(Bucket="bk2", VersioningConfiguration={"Status": "Enabled"})
    a.s3.put_object(Bucket="bk2", Key="only-at-a", Body=b"made at a")
    ccow(a.data, "service", "serve", "hawaii", "ccow/default/bk2")

    def bk2_at_b():
        try:
            return b.s3.get_object(Bucket="bk2", Key="only-at-a")["Body"].read() == b"made at a"
        except Exception:
            return False
    wait_for("bucket bk2 and its object at b", bk2_at_b)
    if b.s3.get_bucket_versioning(Bucket="bk2").get("Status") != "Enabled":
        fail("bk2 at b is not versioned as at a")
    if "ccow/default/bk2" not in json.loads(ccow(b.data, "--json", "service", "show", "hawaii").stdout)["serves"]:
        fail("b does not serve the bucket it was offered")

    # What compresses travels compressed.
    before = a.status()
    text = "".join("line %d of a text object that compresses well\n" % i for i in range(45000)).encode()
    a.s3.put_object(Bucket=BUCKET, Key="text", Body=text)
    wait_for("text at b", lambda: body_of(b.s3, "text") == text)
    after = a.status()
    body = after["body_bytes_sent"] - before["body_bytes_sent"]
    wire = after["wire_bytes_sent"] - before["wire_bytes_sent"]
    if body < len(text) or wire * 4 > body:
        fail("a %d-byte text object: %d body bytes, %d on the wire" % (len(text), body, wire))

    # An idle link compares nothing, and one put compares its own list, not the bucket's:
    # what a round reads is the trlog's changes. (A change is compared when its record is
    # read and once more when it settled, kTrlogSettleNs = 10 s later, in case it
    # committed after that first read: that second time is waited out first.)
    time.sleep(SETTLE_S)
    site_lib.settle((a, b), quiet=1.2, timeout=30)
    before = (a.status()["lists_compared"], b.status()["lists_compared"])
    a.s3.put_object(Bucket=BUCKET, Key="one-more", Body=b"x")
    wait_for("one-more at b", lambda: body_of(b.s3, "one-more") == b"x")
    site_lib.settle((a, b), quiet=1.2, timeout=30)
    compared = (a.status()["lists_compared"] - before[0], b.status()["lists_compared"] - before[1])
    if compared[0] < 1 or compared[0] > 2 or compared[1] > 2:
        fail("one put compared %d lists at a and %d at b (the bucket has %d)" % (compared + (len(blobs),)))
    if a.status()["trlog_names"] < len(blobs) // 2 or a.status()["lag_s"] != 0 or a.status()["backlog"] != 0:
        fail("status of a: %s" % a.status())

    # An overwrite at b of an object a wrote: the new current version everywhere.
    b.s3.put_object(Bucket=BUCKET, Key="a/1", Body=b"overwritten at b")
    wait_for("the overwrite at a", lambda: body_of(a.s3, "a/1") == b"overwritten at b")
    wait_for("equal histories of a/1", lambda: versions(a.s3, "a/1") == versions(b.s3, "a/1") and
             len(versions(a.s3, "a/1")) == 2)

    # The link cut (each end's remote a port nothing listens on), the same key written at
    # both sites: one generation each, told apart by the site ids in their version ids.
    for site in (a, b):
        ccow(site.data, "service", "config", "hawaii", "remote", "ccow://127.0.0.1:1")
    time.sleep(0.5)  # a round under way with the old remote ends
    a.s3.put_object(Bucket=BUCKET, Key="conflict", Body=b"written at a")
    b.s3.put_object(Bucket=BUCKET, Key="conflict", Body=b"written at b")
    ids = {site.name: site.s3.head_object(Bucket=BUCKET, Key="conflict")["VersionId"] for site in (a, b)}
    if ids["a"] == ids["b"] or not all(re.fullmatch(r"1-[0-9a-f]{8}", v) for v in ids.values()):
        fail("concurrent versions of one generation at two sites got version ids %s" % ids)
    ccow(a.data, "service", "config", "hawaii", "remote", "ccow://" + b.link)
    ccow(b.data, "service", "config", "hawaii", "remote", "ccow://" + a.link)
    wait_for("both versions of conflict at both sites",
             lambda: len(versions(a.s3, "conflict")) == 2 and versions(a.s3, "conflict") == versions(b.s3, "conflict"))
    if body_of(a.s3, "conflict") != body_of(b.s3, "conflict"):
        fail("the sites disagree on the current version of conflict")
    for site in (a, b):
        for who, vid in ids.items():
            got = site.s3.get_object(Bucket=BUCKET, Key="conflict", VersionId=vid)["Body"].read()
            if got != b"written at " + who.encode():
                fail("version %s of conflict reads %r at site %s" % (vid, got, site.name))

    # A delete at a (every version of a/2) removes it at b, and it does not come back.
    for vid, _ in versions(a.s3, "a/2"):
        a.s3.delete_object(Bucket=BUCKET, Key="a/2", VersionId=vid)
    wait_for("the delete at b", lambda: body_of(b.s3, "a/2") is None)
    time.sleep(1.0)  # several rounds both ways
    if body_of(a.s3, "a/2") is not None or body_of(b.s3, "a/2") is not None:
        fail("a deleted object came back")

    # Only what the other site lacks crosses: a 1 MiB change inside an 8 MiB object.
    big = bytearray(os.urandom(8 << 20))
    a.s3.put_object(Bucket=BUCKET, Key="big", Body=bytes(big))
    wait_for("big at b", lambda: body_of(b.s3, "big") == bytes(big), timeout=60)
    time.sleep(0.5)
    sent_before = a.status()["bytes_sent"]
    big[3 << 20:4 << 20] = os.urandom(1 << 20)
    a.s3.put_object(Bucket=BUCKET, Key="big", Body=bytes(big))
    wait_for("the changed big at b", lambda: body_of(b.s3, "big") == bytes(big), timeout=60)
    time.sleep(0.5)
    shipped = a.status()["bytes_sent"] - sent_before
    if shipped > (2 << 20) + (64 << 10):
        fail("a 1 MiB change shipped %d bytes" % shipped)
    # The same bytes under more names: manifests only.
    sent_before = a.status()["bytes_sent"]
    skipped_before = a.status()["chunks_skipped"]
    for i in range(4):
        a.s3.put_object(Bucket=BUCKET, Key="copy/%d" % i, Body=bytes(big))
    for i in range(4):
        wait_for("copy/%d at b" % i, lambda: body_of(b.s3, "copy/%d" % i) == bytes(big), timeout=60)
    time.sleep(0.5)
    shipped = a.status()["bytes_sent"] - sent_before
    if shipped > (256 << 10):
        fail("4 copies of a shipped object sent %d bytes of chunks" % shipped)
    # Each of its 8 chunks was offered and found at b (a round offers a chunk once,
    # however many of its lists name it).
    skipped = a.status()["chunks_skipped"] - skipped_before
    if skipped < 8:
        fail("dedup skipped only %d chunks" % skipped)

    # SIGKILL of site a in the middle of a stream of puts; what was acknowledged arrives.
    written = {}
    for i in range(30):
        key = "stream/%d" % i
        written[key] = os.urandom(2000 + i)
        a.s3.put_object(Bucket=BUCKET, Key=key, Body=written[key])
        if i == 15:
            a.server.proc.send_signal(signal.SIGKILL)
            a.server.proc.wait()
            a.server.proc = None
            a.start()  # the same data directory, new ports: tell b where a is now
            ccow(b.data, "service", "config", "hawaii", "remote", "ccow://" + a.link)
            ccow(a.data, "service", "config", "hawaii", "remote", "ccow://" + b.link)
    for key, data in written.items():
        wait_for("%s at b after the kill" % key, lambda: body_of(b.s3, key) == data, timeout=30)
    for key in written:
        vs = versions(b.s3, key)
        if len(vs) != 1:
            fail("%s has %d versions at b after the kill: %s" % (key, len(vs), vs))
    # The restarted site compared the whole bucket once (what a crash may have left
    # unrecorded), and from its saved cursor on reads only changes: idle again.
    time.sleep(SETTLE_S)
    site_lib.settle((a, b), quiet=1.2, timeout=30)
    if a.status()["full_syncs"] != 2:  # bk1 and bk2, once each
        fail("the restarted site made %d whole-bucket comparisons" % a.status()["full_syncs"])
    before = a.status()["lists_compared"]
    time.sleep(1.0)
    if a.status()["lists_compared"] != before:
        fail("the restarted site keeps comparing lists")

    # A link with another token is refused (401) and reported; it ships nothing.
    before = b.status()["refused"]
    ccow(a.data, "service", "config", "hawaii", "remote", "ccow://" + b.link)
    c = Site("c", token="wrong")
    c.start()
    c.s3.create_bucket(Bucket=BUCKET)
    ccow(c.data, "service", "create", "isgw", "hawaii")
    ccow(c.data, "service", "serve", "hawaii", PATH)
    ccow(c.data, "service", "config", "hawaii", "batch-interval", "200ms")
    c.s3.put_object(Bucket=BUCKET, Key="from-c", Body=b"never shipped")
    ccow(c.data, "service", "config", "hawaii", "remote", "ccow://" + b.link)
    wait_for("the refusal at b", lambda: b.status()["refused"] > before)
    wait_for("the error at c", lambda: "401" in c.status()["last_error"])
    if body_of(b.s3, "from-c") is not None:
        fail("a link with a wrong token shipped an object")
    out = json.loads(ccow(a.data, "--json", "service", "show", "hawaii", "-s").stdout)
    if out["config"]["remote"] != "ccow://" + b.link or not re.fullmatch(r"[0-9a-f]{8}", out["site_id"]):
        fail("service show: %s" % out)
    if out["status"]["service"] != "hawaii" or out["status"]["site_id"] != out["site_id"] or out["status"]["lag_s"] != 0:
        fail("service show -s: %s" % out["status"])
    text = ccow(a.data, "service", "show", "hawaii", "-s").stdout
    if "status: lag 0 s" not in text or "at site " + out["site_id"] not in text:
        fail("service show -s printed: %s" % text)
    for site in (a, b, c):
        site.server.stop()
    print("two_sites_test: ok (%d objects, both directions)" % len(blobs))


WORK = tempfile.mkdtemp(prefix="ccow-isgw-")
site_lib.configure(sys.argv[1], WORK)
try:
    main()
finally:
    site_lib.stop_all()
    if not os.environ.get("KEEP"):
        shutil.rmtree(WORK, ignore_errors=True)
