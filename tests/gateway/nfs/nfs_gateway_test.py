#!/usr/bin/env python3
"""`ccow gateway nfs` (issue 15): a bucket's file layer volume over NFSv3, driven by
libnfs's own clients (nfs-ls, nfs-cp, nfs-cat; these machines have no kernel NFS client):

- files copied in (empty, small, 3 MiB across the 1 MiB write size) read back equal, and
  list with their sizes; a copy out is byte-identical;
- stopped (SIGTERM: last checkpoint) and started again: the same files, through handles
  the new process never gave out (handles are stable);
- SIGKILLed right after a copy: the file's creation was answered only once checkpointed
  (a `sync` export), so it is there after the restart;
- the same volume through FUSE (`ccow mount`, where FUSE mounts): what NFS wrote reads
  the same there, and what FUSE wrote reads the same over NFS;
- `ccow server --nfs-export`: the server serves the volume beside S3, and its stop takes
  the last checkpoint; the bucket made over S3 afterwards is the volume's S3 view (S3
  GETs the file NFS copied in; HEAD and the listing agree on size and ETag), and what S3
  puts and deletes there NFS sees at once;
- export rules: --read-only refuses a copy in; a client outside --allow cannot mount; an
  unknown export path cannot be mounted; a squashed root may not write where only root
  may.

Usage: nfs_gateway_test.py path/to/ccow"""

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "s3"))
sys.path.insert(0, os.path.dirname(__file__))
from nfs_process import start_gateway, stop_gateway  # noqa: E402
from server_process import ServerProcess, admin_client  # noqa: E402

CCOW = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="ccow-nfs-")
DATA = os.path.join(WORK, "data")
BUCKET = "ccow/default/nb"
LOG = os.path.join(WORK, "gateway.log")
PROC = None
PORT = None


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    if os.path.exists(LOG):
        print(open(LOG).read()[-3000:], file=sys.stderr)
    sys.exit(1)


def start(*extra, squash=False, data=DATA, bucket=BUCKET):
    """The gateway on data; the tests run as root, so without squash unless asked."""
    global PROC, PORT
    if not squash:
        extra = ("--no-root-squash",) + extra
    PROC, PORT = start_gateway(CCOW, ["--data", data], bucket, LOG, fail, *extra)


def stop(sig=signal.SIGTERM):
    stop_gateway(PROC, fail, sig)


def url(path="", export="/" + BUCKET):
    return "nfs://127.0.0.1%s%s?nfsport=%d&mountport=%d&version=3" % (export, path, PORT, PORT)


def run(args, ok=True, binary=False):
    r = subprocess.run(args, capture_output=True, timeout=120)
    if ok and r.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(args), r.returncode, r.stderr.decode(errors="replace")))
    return r if binary else r


def put(local, name, export="/" + BUCKET):
    run(["nfs-cp", local, url("/" + name, export)])


def cat(name, export="/" + BUCKET):
    return run(["nfs-cat", url("/" + name, export)], binary=True).stdout


def server_export():
    """`ccow server --nfs-export`: the server serves the volume beside S3; `ccow gateway nfs`
    on its data directory is refused with that hint; the server's stop checkpoints."""
    global PORT
    data = os.path.join(WORK, "server-data")
    log = os.path.join(WORK, "server.log")
    server = ServerProcess(CCOW, data, log, ["--nfs-export", "ccow/default/srv", "--nfs-listen", "127.0.0.1:0",
                                             "--nfs-no-root-squash", "--nfs-checkpoint-interval", "1h"], fail)
    try:
        s3_url, _ = server.start()
        m = re.search(r"^  NFS\s+/ccow/default/srv on 127\.0\.0\.1:(\d+) ", open(log).read(), re.M)
        if not m:
            fail("the server's banner names no NFS export: " + open(log).read()[-1000:])
        PORT = int(m.group(1))
        put(os.path.join(WORK, "small.txt"), "via-server", "/ccow/default/srv")
        if cat("via-server", "/ccow/default/srv") != open(os.path.join(WORK, "small.txt"), "rb").read():
            fail("a file copied to the server's export reads back differently")
        # The bucket made over S3 after the export: its objects are the volume's files,
        # each NFS call on a sync export answered after a checkpoint, so S3 reads it now.
        s3 = admin_client(s3_url)
        s3.create_bucket(Bucket="srv")
        got = s3.get_object(Bucket="srv", Key="via-server")
        if got["Body"].read() != open(os.path.join(WORK, "small.txt"), "rb").read():
            fail("S3 reads the file copied in over NFS differently")
        head = s3.head_object(Bucket="srv", Key="via-server")
        listed = s3.list_objects_v2(Bucket="srv")["Contents"]
        if [(o["Key"], o["Size"], o["ETag"]) for o in listed] != [("via-server", head["ContentLength"], head["ETag"])]:
            fail("S3's listing and HEAD of the file disagree: %s %s" % (listed, head))
        # S3 writes the volume the server exports (one instance of it in the server): NFS
        # reads the file at once, and no longer finds the one S3 deleted.
        body = bytes(range(256)) * 5000
        s3.put_object(Bucket="srv", Key="from-s3.bin", Body=body)
        if cat("from-s3.bin", "/ccow/default/srv") != body:
            fail("NFS reads the file S3 put differently")
        s3.delete_object(Bucket="srv", Key="from-s3.bin")
        if run(["nfs-cat", url("/from-s3.bin", "/ccow/default/srv")], ok=False).returncode == 0:
            fail("NFS still reads the file S3 deleted")
        r = subprocess.run([CCOW, "--data", data, "gateway", "nfs", "--export", "ccow/default/srv", "--listen",
                            "127.0.0.1:0"], capture_output=True, text=True, timeout=60)
        if r.returncode == 0 or "--nfs-export" not in r.stderr + r.stdout:
            fail("ccow gateway nfs on a data directory a server holds: exit %d, %s" % (r.returncode, r.stderr))
    finally:
        server.stop()
    start(data=data, bucket="ccow/default/srv")
    if cat("via-server", "/ccow/default/srv") != open(os.path.join(WORK, "small.txt"), "rb").read():
        fail("a file the server's export took is not there once the server stopped")
    stop()


def listing():
    """name -> size, from nfs-ls's long format."""
    out = {}
    for line in run(["nfs-ls", url()]).stdout.decode().splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1] not in (".", ".."):
            out[parts[-1]] = int(parts[-2])
    return out


def main():
    rng = random.Random(15)
    files = {"empty": b"", "small.txt": b"hello over nfs\n", "big.bin": rng.randbytes(3 * 1024 * 1024 + 1234)}
    for name, data in files.items():
        with open(os.path.join(WORK, name), "wb") as f:
            f.write(data)

    start()
    for name in files:
        put(os.path.join(WORK, name), name)
    for name, data in files.items():
        got = cat(name)
        if got != data:
            fail("%s read back %d bytes, wrote %d (equal prefix: %s)" % (name, len(got), len(data), got == data[:len(got)]))
    sizes = listing()
    for name, data in files.items():
        if sizes.get(name) != len(data):
            fail("nfs-ls lists %s as %s bytes, not %d: %s" % (name, sizes.get(name), len(data), sizes))
    out = os.path.join(WORK, "copied-out")
    run(["nfs-cp", url("/big.bin"), out])
    if open(out, "rb").read() != files["big.bin"]:
        fail("a copy out of big.bin differs")
    # nfs-cp creates GUARDED (O_EXCL): over an existing name it is refused, the file intact.
    with open(os.path.join(WORK, "shorter"), "wb") as f:
        f.write(b"short")
    if run(["nfs-cp", os.path.join(WORK, "shorter"), url("/small.txt")], ok=False).returncode == 0:
        fail("a GUARDED create replaced an existing file")
    if cat("small.txt") != files["small.txt"]:
        fail("a refused GUARDED create changed the file: %r" % cat("small.txt"))

    # Restart: the same files, through handles the new process never gave out.
    stop()
    start()
    for name, data in files.items():
        if cat(name) != data:
            fail("%s differs after a restart of the gateway" % name)

    # SIGKILL right after a copy: its creation was checkpointed before it was answered.
    put(os.path.join(WORK, "small.txt"), "created-before-kill")
    stop(signal.SIGKILL)
    start()
    if "created-before-kill" not in listing():
        fail("a file whose CREATE was answered is gone after SIGKILL on a sync export: %s" % listing())
    stop()

    # The same volume over FUSE, where FUSE mounts here.
    mnt = os.path.join(WORK, "mnt")
    os.mkdir(mnt)
    mount = subprocess.Popen([CCOW, "--data", DATA, "mount", BUCKET, mnt, "--checkpoint-interval", "1h"],
                             stdout=open(os.path.join(WORK, "mount.log"), "a"), stderr=subprocess.STDOUT)
    for _ in range(100):
        if os.path.ismount(mnt) or mount.poll() is not None:
            break
        time.sleep(0.1)
    if os.path.ismount(mnt):
        for name, data in files.items():
            if open(os.path.join(mnt, name), "rb").read() != data:
                fail("%s written over NFS reads differently through FUSE" % name)
        with open(os.path.join(mnt, "from-fuse"), "wb") as f:
            f.write(b"written through FUSE\n")
        subprocess.run(["fusermount3", "-u", mnt], check=True, timeout=60)
        if mount.wait(timeout=60) != 0:
            fail("ccow mount exited %d" % mount.returncode)
        start()
        if cat("from-fuse") != b"written through FUSE\n":
            fail("a file written through FUSE reads differently over NFS: %r" % cat("from-fuse"))
        stop()
    else:
        mount.kill()
        print("nfs_gateway_test: FUSE cannot mount here; the cross-protocol part is skipped")

    # Export rules.
    start("--read-only")
    if run(["nfs-cp", os.path.join(WORK, "small.txt"), url("/refused")], ok=False).returncode == 0:
        fail("a read-only export took a copy in")
    if cat("small.txt") != files["small.txt"]:
        fail("a read-only export does not read")
    if run(["nfs-ls", url(export="/ccow/default/other")], ok=False).returncode == 0:
        fail("an export path the gateway does not serve was mounted")
    stop()
    start("--allow", "10.0.0.0/8")
    if run(["nfs-ls", url()], ok=False).returncode == 0:
        fail("a client outside --allow listed the export")
    stop()
    # Root squashed (the default): root acts as nobody, who may list the root directory
    # (root's, mode 0755) but not write there, nor read root's files (nfs-cp made them 0660).
    start(squash=True)
    if "small.txt" not in listing():
        fail("a squashed root cannot list a directory anyone may read")
    if run(["nfs-cat", url("/small.txt")], ok=False).returncode == 0:
        fail("a squashed root read a file only root and its group may read")
    if run(["nfs-cp", os.path.join(WORK, "small.txt"), url("/squashed")], ok=False).returncode == 0:
        fail("a squashed root created a file in a directory only root may write")
    stop()
    server_export()
    print("nfs_gateway_test: passed")


try:
    main()
finally:
    if PROC and PROC.poll() is None:
        PROC.kill()
    shutil.rmtree(WORK, ignore_errors=True)
