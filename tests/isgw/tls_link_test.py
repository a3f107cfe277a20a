#!/usr/bin/env python3
"""An Inter-Segment Gateway link over mutual TLS (issue 14), two `ccow server` sites on
loopback with certificates of a test CA made here with openssl:

- objects written at one site arrive at the other, the link authenticated by the
  certificates alone (no shared token);
- a site whose certificate another CA signed is refused at the handshake (the receiver
  logs it, the sender reports it) and ships nothing;
- a site that speaks plain HTTP to a TLS endpoint ships nothing either.

Usage: tls_link_test.py path/to/ccow"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import sites  # noqa: E402
from sites import Site, ccow, fail, wait_for, body_of  # noqa: E402

BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        fail("openssl %s: %s" % (" ".join(args), r.stderr))


def make_ca(work, name):
    key, pem = os.path.join(work, name + ".key"), os.path.join(work, name + ".pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", pem, "-days", "2", "-subj", "/CN=" + name)
    return key, pem


def make_cert(work, ca, name):
    """A certificate for 127.0.0.1, for a server and a client alike, signed by ca."""
    ca_key, ca_pem = ca
    key, csr, pem = (os.path.join(work, name + ext) for ext in (".key", ".csr", ".pem"))
    ext = os.path.join(work, name + ".ext")
    open(ext, "w").write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=" + name)
    openssl("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-out", pem, "-days", "2",
            "-extfile", ext)
    return ["--isgw-tls-cert", pem, "--isgw-tls-key", key, "--isgw-tls-ca", ca_pem]


def setup(site, remote):
    site.s3.create_bucket(Bucket=BUCKET)
    ccow(site.data, "service", "create", "isgw", "hawaii")
    ccow(site.data, "service", "serve", "hawaii", PATH)
    ccow(site.data, "service", "config", "hawaii", "batch-interval", "200ms")
    ccow(site.data, "service", "config", "hawaii", "remote", "ccow://" + remote.link)


def main(work):
    ca = make_ca(work, "link-ca")
    a, b = Site("a", make_cert(work, ca, "site-a")), Site("b", make_cert(work, ca, "site-b"))
    a.start()
    b.start()
    if "(mutual TLS)" not in open(b.server.log_path).read():
        fail("site b does not say its link endpoint is mutual TLS")
    setup(b, a)
    setup(a, b)
    blobs = {"k%d" % i: os.urandom(1000 + i * 40000) for i in range(5)}
    for key, data in blobs.items():
        a.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    b.s3.put_object(Bucket=BUCKET, Key="from-b", Body=b"over TLS")
    for key, data in blobs.items():
        wait_for("%s at b" % key, lambda: body_of(b.s3, BUCKET, key) == data)
    wait_for("from-b at a", lambda: body_of(a.s3, BUCKET, "from-b") == b"over TLS")

    # A certificate of another CA: refused at the handshake, nothing shipped.
    evil = Site("c", make_cert(work, make_ca(work, "other-ca"), "site-c"))
    evil.start()
    setup(evil, b)
    evil.s3.put_object(Bucket=BUCKET, Key="from-c", Body=b"never shipped")
    wait_for("the refusal reported at c", lambda: "TLS" in evil.status()["last_error"] or
             "handshake" in evil.status()["last_error"])
    wait_for("the refusal logged at b", lambda: "TLS handshake with 127.0.0.1 refused" in open(b.server.log_path).read())

    # Plain HTTP to the TLS endpoint: no exchange either.
    plain = Site("d", [])
    plain.start()
    setup(plain, b)
    plain.s3.put_object(Bucket=BUCKET, Key="from-d", Body=b"never shipped either")
    wait_for("the failure reported at d", lambda: plain.status()["failed_rounds"] >= 2)
    time.sleep(1.0)
    for key in ("from-c", "from-d"):
        if body_of(b.s3, BUCKET, key) is not None:
            fail("%s reached b without a certificate of the link's CA" % key)
    print("tls_link_test: ok (%d objects over mutual TLS; another CA and plain HTTP refused)" % len(blobs))


work = tempfile.mkdtemp(prefix="ccow-isgw-tls-")
sites.configure(sys.argv[1], work)
try:
    main(work)
finally:
    sites.stop_all()
    if not os.environ.get("KEEP"):
        shutil.rmtree(work, ignore_errors=True)
