"""A `ccow gateway nfs` process for the NFS tests: started on a data directory or a cluster,
its port read from its banner, stopped by a signal."""

import os
import re
import signal
import subprocess
import time


def start_gateway(ccow, location, bucket, log, fail, *extra):
    """`ccow LOCATION gateway nfs --export BUCKET --listen 127.0.0.1:0 EXTRA` (location:
    ["--data", DIR] or ["--cluster", DIR]), its output appended to log; returns (process,
    port) once it prints its port, or calls fail()."""
    before = os.path.getsize(log) if os.path.exists(log) else 0
    proc = subprocess.Popen([ccow, *location, "gateway", "nfs", "--export", bucket, "--listen", "127.0.0.1:0",
                             "--checkpoint-interval", "1h", *extra],
                            stdout=open(log, "a"), stderr=subprocess.STDOUT)
    for _ in range(600):
        text = open(log).read()[before:] if os.path.exists(log) else ""
        m = re.search(r"on 127\.0\.0\.1:(\d+) ", text)
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            fail("ccow gateway nfs exited %d" % proc.returncode)
        time.sleep(0.05)
    fail("the gateway did not report its port")


def stop_gateway(proc, fail, sig=signal.SIGTERM):
    """Signals the gateway and waits; a SIGTERM must end it cleanly (its last checkpoint)."""
    proc.send_signal(sig)
    rc = proc.wait(timeout=120)
    if sig == signal.SIGTERM and rc != 0:
        fail("ccow gateway nfs exited %d on SIGTERM" % rc)
