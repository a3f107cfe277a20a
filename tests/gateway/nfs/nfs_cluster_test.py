#!/usr/bin/env python3
"""`ccow --cluster DIR gateway nfs` (issue 15) on a local cluster of 5 targets x 2 VDEVs
(R=3, UDP): files copied in over NFS read back equal; a target is SIGKILLed part-way and
the copies go on and read back; a new gateway process serves them all again.

Usage: nfs_cluster_test.py path/to/ccow"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from nfs_process import start_gateway, stop_gateway  # noqa: E402

CCOW = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="ccow-nfs-cluster-")
CL = os.path.join(WORK, "cluster")
BUCKET = "ccow/default/nc"
LOG = os.path.join(WORK, "gateway.log")
PROC = None
PORT = None


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    if os.path.exists(LOG):
        print(open(LOG).read()[-3000:], file=sys.stderr)
    sys.exit(1)


def start():
    global PROC, PORT
    PROC, PORT = start_gateway(CCOW, ["--cluster", CL], BUCKET, LOG, fail, "--no-root-squash")


def stop():
    stop_gateway(PROC, fail)


def url(path=""):
    return "nfs://127.0.0.1/%s%s?nfsport=%d&mountport=%d&version=3" % (BUCKET, path, PORT, PORT)


def run(args, timeout=180):
    r = subprocess.run(args, capture_output=True, timeout=timeout)
    if r.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(args), r.returncode, r.stderr.decode(errors="replace")))
    return r


def main():
    up = subprocess.run([CCOW, "cluster", "up", "--targets", "5", "--vdevs", "2", "--dir", CL],
                        capture_output=True, text=True, timeout=300)
    if up.returncode != 0:
        fail("cluster up: " + up.stdout + up.stderr)
    rng = random.Random(5)
    files = {}
    start()
    targets = json.load(open(os.path.join(CL, "cluster.json")))["targets"]
    for i in range(12):
        if i == 6:
            os.kill(targets[3]["pid"], signal.SIGKILL)  # part-way: the copies go on
        data = rng.randbytes(rng.choice([0, 100, 5000, 700_000, 2_500_000]))
        local = os.path.join(WORK, "f%d" % i)
        with open(local, "wb") as f:
            f.write(data)
        run(["nfs-cp", local, url("/f%d" % i)])
        files["f%d" % i] = data
    for name, data in files.items():
        if run(["nfs-cat", url("/" + name)]).stdout != data:
            fail("%s reads back differently" % name)
    stop()
    start()
    for name, data in files.items():
        if run(["nfs-cat", url("/" + name)]).stdout != data:
            fail("%s reads back differently from a new gateway" % name)
    stop()
    print("nfs_cluster_test: passed")


try:
    main()
finally:
    if PROC and PROC.poll() is None:
        PROC.kill()
    subprocess.run([CCOW, "cluster", "down", "--dir", CL], capture_output=True, timeout=120)
    shutil.rmtree(WORK, ignore_errors=True)
