#!/usr/bin/env python3
"""Signed versions over an Inter-Segment Gateway link (issue 14), with real `ccow server`
sites on loopback:

- a site draws its signing key with its site id; `service show` prints it as SITE:KEY,
  which the other site pastes into `service config NAME trusted-keys`;
- a receiver that trusts a wrong key for the sender refuses the sender's versions: they
  are counted and reported at both ends (versions_refused, last_error, the sender's
  backlog), the object does not appear, and the other direction goes on;
- corrected, the same versions arrive without a new write (the sender keeps offering
  what was refused), with the same version history at both sites;
- a version written before its site had a key (unsigned) is refused by a site that
  trusts keys, while the same site's later, signed versions are accepted;
- malformed trusted-keys settings are refused with a message and change nothing.

Usage: signed_versions_test.py path/to/ccow"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import sites as site_lib  # noqa: E402
from sites import ccow, fail, wait_for  # noqa: E402

TOKEN = "signed-versions-link-secret"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET




def make_site(name):
    site = site_lib.Site(name, ["--isgw-token", TOKEN])
    site.start()
    site.s3.create_bucket(Bucket=BUCKET)
    site.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return site


def link(site, other):
    site.link_to(other, PATH)


def show(site):
    return json.loads(ccow(site.data, "--json", "service", "show", "hawaii").stdout)


def site_key(site):
    out = show(site)
    if not re.fullmatch(r"[0-9a-f]{8}:[0-9a-f]{64}", out["site_key"]) or not out["site_key"].startswith(out["site_id"]):
        fail("site %s shows site key %r (site id %r)" % (site.name, out["site_key"], out["site_id"]))
    return out["site_key"]


def trust(site, keys):
    ccow(site.data, "service", "config", "hawaii", "trusted-keys", keys)
    got = show(site)["config"]["trusted-keys"]
    if got != keys:
        fail("trusted-keys at %s reads %r after setting %r" % (site.name, got, keys))
    # The link end applies it once it follows the registry to that revision.
    sites = sorted(k.split(":")[0] for k in keys.split(","))
    wait_for("site %s's link to trust %s" % (site.name, sites), lambda: site.status()["trusted_sites"] == sites)


def main():
    a, b = make_site("a"), make_site("b")
    link(b, a)
    link(a, b)
    key_a, key_b = site_key(a), site_key(b)
    if key_a == key_b:
        fail("two sites drew the same key")
    site_a = key_a.split(":")[0]

    # Bad settings: refused, named, and nothing changes.
    for bad in ("garbage", site_a + ":" + "ab" * 31, "00000000:" + "ab" * 32, site_a + ":" + "zz" * 32,
                key_a + "," + key_a):
        r = ccow(b.data, "service", "config", "hawaii", "trusted-keys", bad, ok=False)
        if r.returncode == 0 or "trusted-keys" not in r.stderr + r.stdout and "site key" not in r.stderr:
            fail("trusted-keys %r: exit %d, %s" % (bad, r.returncode, r.stderr))
    if show(b)["config"]["trusted-keys"] != "none":
        fail("a refused setting changed trusted-keys: %s" % show(b)["config"])

    # b trusts a wrong key for a: a's versions are refused, the other direction goes on.
    wrong = site_a + ":" + os.urandom(32).hex()
    trust(b, wrong)
    a.s3.put_object(Bucket=BUCKET, Key="from-a", Body=b"signed at a")
    b.s3.put_object(Bucket=BUCKET, Key="from-b", Body=b"signed at b")
    wait_for("from-b at a", lambda: a.body(BUCKET, "from-b") == b"signed at b")
    wait_for("a refusal at b", lambda: b.status()["versions_refused"] > 0)
    wait_for("the refusal reported at a", lambda: "refused" in a.status()["last_error"])
    if "does not verify" not in b.status()["last_error"]:
        fail("b reports: %s" % b.status()["last_error"])
    if b.body(BUCKET, "from-a") is not None:
        fail("a version signed by a key b does not trust was merged")
    if a.status()["backlog"] < 1:
        fail("a's refused version is not in its backlog: %s" % a.status())
    text = ccow(b.data, "service", "show", "hawaii", "-s").stdout
    if not re.search(r"[1-9]\d* versions refused", text):
        fail("service show -s at b: %s" % text)

    # Corrected (with another site's key beside it): the refused version arrives unwritten.
    trust(b, ",".join(sorted([key_a, "deadbeef:" + os.urandom(32).hex()])))
    wait_for("from-a at b", lambda: b.body(BUCKET, "from-a") == b"signed at a")
    if a.versions(BUCKET, "from-a") != b.versions(BUCKET, "from-a"):
        fail("histories of from-a differ: %s vs %s" % (a.versions(BUCKET, "from-a"), b.versions(BUCKET, "from-a")))
    wait_for("a's backlog to drain", lambda: a.status()["backlog"] == 0)
    a.s3.put_object(Bucket=BUCKET, Key="from-a", Body=b"signed again")
    wait_for("the overwrite at b", lambda: b.body(BUCKET, "from-a") == b"signed again")

    # Both ways signed: a trusts b.
    trust(a, key_b)
    b.s3.put_object(Bucket=BUCKET, Key="from-b", Body=b"b again")
    wait_for("b's overwrite at a", lambda: a.body(BUCKET, "from-b") == b"b again")
    if a.status()["versions_refused"] != 0:
        fail("a refused b's signed versions: %s" % a.status())

    # A version written at c before c had a key is unsigned: b refuses it, and takes
    # c's signed versions.
    data_c = os.path.join(site_lib.WORK, "c")
    plain = site_lib.ServerProcess(site_lib.CCOW, data_c, os.path.join(site_lib.WORK, "c-unlinked.log"), [], fail)
    url, _ = plain.start()
    s3 = site_lib.admin_client(url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=BUCKET, Key="old-at-c", Body=b"before the link")
    plain.stop()
    c = site_lib.Site("c", ["--isgw-token", TOKEN])
    c.start()
    link(c, b)
    trust(b, ",".join(sorted([key_a, site_key(c)])))
    refused_before = b.status()["versions_refused"]
    c.s3.put_object(Bucket=BUCKET, Key="new-at-c", Body=b"after the link")
    wait_for("new-at-c at b", lambda: b.body(BUCKET, "new-at-c") == b"after the link")
    # Offered again each round, refused each time, and named for what it is.
    wait_for("the unsigned version refused at b", lambda: b.status()["versions_refused"] > refused_before and
             "is not signed" in b.status()["last_error"])
    if b.body(BUCKET, "old-at-c") is not None:
        fail("b took an unsigned version: %s" % b.status())
    for site in (a, b, c):
        site.server.stop()
    print("signed_versions_test: ok")


site_lib.run(main, "ccow-isgw-signed-")
