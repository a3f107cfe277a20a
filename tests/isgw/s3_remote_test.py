#!/usr/bin/env python3
"""An s3:// remote (issue 14): a site writes its served bucket's current objects as plain
objects into a bucket of another S3 store (here a second `ccow server`, read with boto3
as any S3 tool would):

- the target bucket is created; every object arrives byte-identical with its content
  type and user metadata, a small one in one PUT and a 40 MiB one as a multipart upload;
- an overwrite replaces the target's object, a delete removes it, a delete marker too;
- an idle link writes nothing more, and a restarted one (which compares the whole bucket)
  sends nothing the target holds already (x-amz-meta-ccow-version);
- the target bucket removed while the link runs is made again at the next write;
- a link killed part-way through a multipart upload aborts it at the target when it
  starts again, and sends the object whole;
- a second served bucket is refused with an error that says why; wrong keys are refused
  and reported (403), and the link recovers when the keys are right.

Usage: s3_remote_test.py path/to/ccow"""

import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for, body_of  # noqa: E402

BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET
TARGET = "mirror"


def head(s3, key):
    try:
        return s3.head_object(Bucket=TARGET, Key=key)
    except s3.exceptions.ClientError:
        return None


def main():
    # The target store: its first administrator's keys are the link end's.
    target = site_lib.Site("target", [])
    target.start()
    os.environ["AWS_ACCESS_KEY_ID"] = "ccow-admin"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "wrong-secret"
    a = site_lib.Site("a", [])
    a.start()
    a.s3.create_bucket(Bucket=BUCKET)
    a.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    ccow(a.data, "service", "create", "isgw", "hawaii")
    ccow(a.data, "service", "serve", "hawaii", PATH)
    ccow(a.data, "service", "config", "hawaii", "batch-interval", "200ms")
    ccow(a.data, "service", "config", "hawaii", "direction", "send")

    blobs = {"docs/%d.txt" % i: os.urandom(1000 + 37 * i) for i in range(6)}
    blobs["big/40m"] = os.urandom(40 << 20)  # three parts
    for key, data in blobs.items():
        a.s3.put_object(Bucket=BUCKET, Key=key, Body=data, ContentType="text/x-test",
                        Metadata={"origin": "site-a", "n": str(len(data))})
    ccow(a.data, "service", "config", "hawaii", "remote", "s3://%s/%s" % (target.s3_url[len("http://"):], TARGET))
    # The secret is wrong: the target refuses, the link says so.
    wait_for("the refusal reported", lambda: "403" in a.status()["last_error"], timeout=30)
    if head(target.s3, "docs/0.txt") is not None:
        fail("an object crossed with a wrong secret")
    # Right keys: a restarted link end reads them from its environment.
    a.server.stop()
    os.environ["AWS_SECRET_ACCESS_KEY"] = "ccow-admin-secret"
    a.start()
    for key, data in blobs.items():
        wait_for("%s at the target" % key, lambda: body_of(target.s3, TARGET, key) == data, timeout=120)
    h = head(target.s3, "big/40m")
    if h["ContentType"] != "text/x-test" or h["Metadata"].get("origin") != "site-a" or \
            h["Metadata"].get("n") != str(40 << 20) or "-" not in h["ETag"]:
        fail("big/40m's metadata at the target (a multipart upload, with its metadata): %s" % h)
    h = head(target.s3, "docs/3.txt")
    if h["ETag"].strip('"') != hashlib.md5(blobs["docs/3.txt"]).hexdigest() or h["ContentType"] != "text/x-test":
        fail("docs/3.txt at the target: %s" % h)

    # Overwrite, delete, delete marker.
    a.s3.put_object(Bucket=BUCKET, Key="docs/0.txt", Body=b"second version")
    a.s3.delete_object(Bucket=BUCKET, Key="docs/1.txt")  # a delete marker (versioned)
    for v in a.s3.list_object_versions(Bucket=BUCKET, Prefix="docs/2.txt")["Versions"]:
        a.s3.delete_object(Bucket=BUCKET, Key="docs/2.txt", VersionId=v["VersionId"])
    wait_for("the overwrite", lambda: body_of(target.s3, TARGET, "docs/0.txt") == b"second version", timeout=60)
    wait_for("the delete marker", lambda: head(target.s3, "docs/1.txt") is None, timeout=60)
    wait_for("the delete", lambda: head(target.s3, "docs/2.txt") is None, timeout=60)

    # Idle, then restarted: the whole bucket compared, nothing sent again.
    site_lib.settle([a])
    a.server.stop()
    a.start()
    wait_for("the restarted link's whole-bucket comparison", lambda: a.status()["full_syncs"] >= 1, timeout=60)
    site_lib.settle([a])
    st = a.status()
    if st["lists_shipped"] != 0 or st["bytes_sent"] != 0 or st["lists_compared"] < len(blobs) - 2:
        fail("the restarted link sent what the target held: %s" % st)

    # The target bucket removed while the link runs: made again at the next write.
    for o in target.s3.list_objects_v2(Bucket=TARGET).get("Contents", []):
        target.s3.delete_object(Bucket=TARGET, Key=o["Key"])
    target.s3.delete_bucket(Bucket=TARGET)
    a.s3.put_object(Bucket=BUCKET, Key="after/removal", Body=b"written once the target bucket was gone")
    def after_removal():
        try:
            return body_of(target.s3, TARGET, "after/removal")
        except target.s3.exceptions.NoSuchBucket:
            return None
    wait_for("the target bucket made again", lambda: after_removal() == b"written once the target bucket was gone",
             timeout=60)

    # Killed part-way through a multipart upload: the restarted link aborts what it left
    # at the target (recorded while it ran) and sends the object again, whole.
    def uploads():
        try:
            return target.s3.list_multipart_uploads(Bucket=TARGET).get("Uploads", [])
        except Exception:
            return []
    for attempt in range(3):
        key = "huge-%d" % attempt
        huge = os.urandom(96 << 20)  # six parts
        a.s3.put_object(Bucket=BUCKET, Key=key, Body=huge)
        wait_for("%s's upload under way at the target" % key, lambda: uploads(), timeout=120)
        a.server.proc.kill()
        a.server.proc.wait()
        a.server.proc = None
        left = uploads()
        a.start()
        if left:
            break
        print("the upload of %s ended before the kill; again" % key)
    else:
        fail("three uploads ended before the link could be killed")
    wait_for("%s at the target after the restart" % key, lambda: body_of(target.s3, TARGET, key) == huge, timeout=300)
    wait_for("no unfinished upload left at the target", lambda: not uploads(), timeout=60)

    # A second served bucket: refused, with the reason.
    a.s3.create_bucket(Bucket="bk2")
    ccow(a.data, "service", "serve", "hawaii", "ccow/default/bk2")
    wait_for("the refusal of a second bucket", lambda: "one (a service per bucket)" in a.status()["last_error"],
             timeout=30)
    print("s3_remote_test: ok (%d objects, %d MiB, then a killed upload)" % (len(blobs), sum(map(len, blobs.values())) >> 20))


site_lib.run(main, "ccow-isgw-s3-")
