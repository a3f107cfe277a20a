#!/usr/bin/env python3
"""Object Lock across an Inter-Segment Gateway link (issue 14): a lock is each site's own
(S3 keeps it per version, and a site's retention or legal hold is its promise), so a
delete at one site must not take away a version another site holds under lock:

- a version written at a reaches b, where it is put under legal hold; a deletes it (a
  has no lock): b keeps it active, counts and reports the delete it did not apply
  (deletes_kept_locked), and does not ask for it again; a version b did not lock is
  deleted at b as usual;
- `service verify` reports the object that differs;
- with the hold lifted, the next delete from a applies at b.

Usage: object_lock_test.py path/to/ccow"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "object-lock-link-secret"
BUCKET = "locked"
PATH = "ccow/default/" + BUCKET




def main():
    a, b = site_lib.start_sites("ab", TOKEN, BUCKET, ObjectLockEnabledForBucket=True)
    for site, other in ((b, a), (a, b)):
        site.link_to(other, PATH)
    for key in ("held", "free"):
        a.s3.put_object(Bucket=BUCKET, Key=key, Body=b"written at a: " + key.encode())
        wait_for("%s at b" % key, lambda: b.body(BUCKET, key) == b"written at a: " + key.encode())
    held = b.versions(BUCKET, "held")[0][0]
    b.s3.put_object_legal_hold(Bucket=BUCKET, Key="held", VersionId=held, LegalHold={"Status": "ON"})

    for key in ("held", "free"):
        for vid, _ in a.versions(BUCKET, key):
            a.s3.delete_object(Bucket=BUCKET, Key=key, VersionId=vid)
    wait_for("free deleted at b", lambda: b.body(BUCKET, "free") is None)
    wait_for("the kept delete counted at b", lambda: b.status()["deletes_kept_locked"] >= 1)
    if b.body(BUCKET, "held") != b"written at a: held" or [v for v, _ in b.versions(BUCKET, "held")] != [held]:
        fail("a version under legal hold at b was deleted by a's delete: %s" % b.versions(BUCKET, "held"))
    if b.status()["versions_refused"] != 0 or a.status()["backlog"] != 0:
        fail("a kept delete was treated as a refusal: a %s, b %s" % (a.status(), b.status()))
    time.sleep(1.0)
    kept = b.status()["deletes_kept_locked"]
    time.sleep(1.0)
    if b.status()["deletes_kept_locked"] != kept:
        fail("a keeps offering the delete b does not apply")
    r = ccow(a.data, "--json", "service", "verify", "hawaii", ok=False)
    if r.returncode != 1 or PATH + "/held" not in r.stdout:
        fail("verify did not report the held object: exit %d %s" % (r.returncode, r.stdout))

    # The hold lifted: a's next delete (a delete marker written over the key) applies.
    b.s3.put_object_legal_hold(Bucket=BUCKET, Key="held", VersionId=held, LegalHold={"Status": "OFF"})
    a.s3.put_object(Bucket=BUCKET, Key="held", Body=b"again at a")
    for vid, _ in a.versions(BUCKET, "held"):
        a.s3.delete_object(Bucket=BUCKET, Key="held", VersionId=vid)
    wait_for("held deleted at b once unlocked", lambda: b.body(BUCKET, "held") is None and b.versions(BUCKET, "held") == [])
    for site in (a, b):
        site.server.stop()
    print("object_lock_test: ok")


site_lib.run(main, "ccow-isgw-lock-")
