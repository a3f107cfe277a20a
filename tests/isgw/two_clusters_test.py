#!/usr/bin/env python3
"""Two segments, each its own 3-target cluster on loopback, kept in sync by an
Inter-Segment Gateway link (issue 14) whose ends are, at A, the standalone link daemon
(`ccow --cluster A isgw --service hawaii --listen ...`) beside a plain S3 gateway, and at B
an S3 gateway that runs the link (`ccow gateway s3 --cluster B --isgw hawaii`):

- the link's ends are set up with the CLI on each cluster (`--cluster DIR service ...`);
- an object written through another gateway of the cluster (one that is not the link's
  end) reaches the other segment: every gateway records its changes in the segment's
  trlog, which the link's end reads;
- objects of several chunks, overwrites and deletes travel both ways, byte-identical, with
  the same version history, each segment's versions under its own site id;
- an idle link compares no list;
- the CLI finds a cluster's link end: `service show -s` reports its status and `service
  verify` compares both segments (exit 0); a second link end of the service is refused;
- the link daemon SIGKILLed mid-batch and restarted on its address loses nothing and
  duplicates no version.

Usage: two_clusters_test.py path/to/ccow"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import sites  # noqa: E402
from sites import admin_client, body_of, fail, versions, wait_for  # noqa: E402

CCOW = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="ccow-isgw-clusters-")
sites.configure(CCOW, WORK)
TOKEN = "two-clusters-link-secret"
BUCKET = "bk1"
PATH = "ccow/default/" + BUCKET
PROCS = []
CLUSTERS = []
SETTLE_S = 11  # client/trlog.h kTrlogSettleNs, and a second


def ccow(cluster, *args):
    r = subprocess.run([CCOW, "--cluster", cluster, *args], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("ccow %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r


class Gateway:
    def __init__(self, name, cluster, link):
        self.name, self.cluster = name, cluster
        self.log = os.path.join(WORK, name + ".log")
        flags = ["--isgw", "hawaii", "--isgw-listen", "127.0.0.1:0", "--isgw-token", TOKEN] if link else []
        self.proc = subprocess.Popen([CCOW, "--cluster", cluster, "gateway", "s3", "--s3-listen", "127.0.0.1:0",
                                      "--admin-listen", "127.0.0.1:0", *flags],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        PROCS.append(self.proc)
        for _ in range(300):
            text = open(self.log).read()
            s3 = re.search(r"^  S3\s+(http://[0-9.:]+)", text, re.M)
            metrics = re.search(r"^  metrics\s+(http://[0-9.:]+/metrics)", text, re.M)
            end = re.search(r"isgw\s+service hawaii, receiving on ([0-9.]+:\d+)", text)
            if s3 and metrics and (end or not link):
                self.s3 = admin_client(s3.group(1))
                self.metrics = metrics.group(1)
                self.link = end.group(1) if end else None
                return
            if self.proc.poll() is not None:
                fail("gateway %s exited" % name)
            time.sleep(0.1)
        fail("gateway %s did not start" % name)

    def counter(self, name):
        text = urllib.request.urlopen(self.metrics, timeout=10).read().decode()
        m = re.search(r"^%s\{[^}]*\} (\d+)" % re.escape(name), text, re.M)
        return int(m.group(1)) if m else 0


class LinkDaemon:
    """`ccow isgw`: the link end of a cluster as its own process, receiving on a fixed port
    (the other end's remote names it across restarts)."""

    def __init__(self, name, cluster, port):
        self.name, self.cluster, self.port = name, cluster, port
        self.log = os.path.join(WORK, name + ".log")
        self.start()

    def start(self):
        self.proc = subprocess.Popen([CCOW, "--cluster", self.cluster, "isgw", "--service", "hawaii",
                                      "--listen", "127.0.0.1:%d" % self.port, "--token", TOKEN],
                                     stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        PROCS.append(self.proc)
        for _ in range(300):
            text = open(self.log).read()
            ends = re.findall(r"isgw\s+service hawaii, receiving on ([0-9.]+:\d+)", text)
            metrics = re.findall(r"^  metrics\s+(http://[0-9.:]+/metrics)", text, re.M)
            if ends and len(metrics) == len(ends):
                self.link, self.metrics = ends[-1], metrics[-1]
                return
            if self.proc.poll() is not None:
                fail("link daemon %s exited: %s" % (self.name, text))
            time.sleep(0.1)
        fail("link daemon %s did not start" % self.name)

    def counter(self, name):
        return Gateway.counter(self, name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    for name in ("A", "B"):
        d = os.path.join(WORK, name)
        r = subprocess.run([CCOW, "cluster", "up", "--targets", "3", "--vdevs", "1", "--dir", d],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            fail("cluster up %s: %s %s" % (name, r.stdout, r.stderr))
        CLUSTERS.append(d)
    cla, clb = CLUSTERS
    a_end, a_other, b_end = LinkDaemon("a-isgw", cla, free_port()), Gateway("a-other", cla, False), Gateway("b-end", clb, True)
    for gw in (a_other, b_end):
        gw.s3.create_bucket(Bucket=BUCKET)
        gw.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for cl, other in ((cla, b_end), (clb, a_end)):
        ccow(cl, "service", "create", "isgw", "hawaii")
        ccow(cl, "service", "serve", "hawaii", PATH)
        ccow(cl, "service", "config", "hawaii", "batch-interval", "200ms")
        ccow(cl, "service", "config", "hawaii", "remote", "ccow://" + other.link)
    site_ids = {json.loads(ccow(cl, "--json", "service", "show", "hawaii").stdout).get("site_id") for cl in (cla, clb)}
    if len(site_ids) != 2 or "" in site_ids:
        fail("the segments' site ids: %s" % site_ids)

    # Written through the gateway that is not the link's end: its trlog records travel.
    blobs = {"a/%d" % i: os.urandom(700 << 10 if i == 0 else 2000 + i * 300) for i in range(6)}
    blobs["a/big"] = os.urandom(3 << 20)  # several chunks
    for key, data in blobs.items():
        a_other.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    blobs["b/0"] = os.urandom(5000)
    b_end.s3.put_object(Bucket=BUCKET, Key="b/0", Body=blobs["b/0"])
    for key, data in blobs.items():
        wait_for("%s at B" % key, lambda: body_of(b_end.s3, BUCKET, key) == data, timeout=60)
        wait_for("%s at A" % key, lambda: body_of(a_other.s3, BUCKET, key) == data, timeout=60)
    for key in blobs:
        if versions(a_other.s3, BUCKET, key) != versions(b_end.s3, BUCKET, key):
            fail("histories of %s differ: %s vs %s" % (key, versions(a_other.s3, BUCKET, key), versions(b_end.s3, BUCKET, key)))
    site_of = lambda vid: vid.split("-")[1]
    if {site_of(versions(b_end.s3, BUCKET, k)[0][0]) for k in ("a/0", "b/0")} != site_ids:
        fail("versions do not carry their segment's site id: %s" % [versions(b_end.s3, BUCKET, k) for k in ("a/0", "b/0")])

    # An overwrite at B and a delete at A travel too.
    b_end.s3.put_object(Bucket=BUCKET, Key="a/1", Body=b"overwritten at B")
    wait_for("the overwrite at A", lambda: body_of(a_other.s3, BUCKET, "a/1") == b"overwritten at B", timeout=60)
    for vid, _ in versions(a_other.s3, BUCKET, "a/2"):
        a_other.s3.delete_object(Bucket=BUCKET, Key="a/2", VersionId=vid)
    wait_for("the delete at B", lambda: body_of(b_end.s3, BUCKET, "a/2") is None, timeout=60)

    # Once every change settled, an idle link compares no list.
    time.sleep(SETTLE_S)
    deadline = time.time() + 30
    while True:
        before = (a_end.counter("ccow_isgw_lists_shipped_total"), a_end.counter("ccow_isgw_trlog_names_total"))
        time.sleep(1.5)
        after = (a_end.counter("ccow_isgw_lists_shipped_total"), a_end.counter("ccow_isgw_trlog_names_total"))
        if before == after:
            break
        if time.time() > deadline:
            fail("the link at A never went idle: %s -> %s" % (before, after))
    if a_end.counter("ccow_isgw_full_syncs_total") < 1:
        fail("the link at A made no whole-bucket comparison")

    # One link end per service in a cluster: a second daemon is refused.
    r = subprocess.run([CCOW, "--cluster", cla, "isgw", "--service", "hawaii", "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 6 or "one per service" not in r.stderr:
        fail("a second link end of hawaii: exit %d: %s" % (r.returncode, r.stderr))

    # The CLI finds the cluster's link end (CLUSTER/isgw/hawaii.json) for status and verify.
    st = json.loads(ccow(cla, "--json", "service", "show", "hawaii", "-s").stdout)
    if st.get("status", {}).get("rounds", 0) < 1:
        fail("service show -s at A has no link status: %s" % st)
    r = subprocess.run([CCOW, "--cluster", cla, "--json", "service", "verify", "hawaii"], capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0 or not json.loads(r.stdout).get("in_sync"):
        fail("service verify at A: exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))

    # The link daemon SIGKILLed while it ships a batch, then restarted: nothing is lost and
    # no version is duplicated.
    burst = {"k/%02d" % i: os.urandom(40000 + i) for i in range(24)}
    for i, (key, data) in enumerate(burst.items()):
        a_other.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        if i == 12:
            wait_for("a round under way", lambda: a_end.counter("ccow_isgw_trlog_names_total") > before[1], timeout=30)
            a_end.proc.send_signal(signal.SIGKILL)
            a_end.proc.wait(timeout=10)
    a_end.start()
    for key, data in burst.items():
        wait_for("%s at B after the restart" % key, lambda: body_of(b_end.s3, BUCKET, key) == data, timeout=90)
    for key in burst:
        hist = versions(b_end.s3, BUCKET, key)
        if len(hist) != 1 or hist != versions(a_other.s3, BUCKET, key):
            fail("%s after the restart: B %s, A %s" % (key, hist, versions(a_other.s3, BUCKET, key)))

    for p in PROCS:
        if p.poll() is not None and p.returncode != -signal.SIGKILL:
            fail("a gateway died during the test")
    print("two_clusters_test: ok (%d objects, two 3-target clusters)" % len(blobs))


try:
    main()
finally:
    for p in PROCS:
        p.terminate()
    for p in PROCS:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    for d in CLUSTERS:
        subprocess.run([CCOW, "cluster", "down", "--dir", d], capture_output=True, timeout=60)
    if not os.environ.get("KEEP"):
        shutil.rmtree(WORK, ignore_errors=True)
