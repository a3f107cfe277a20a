#!/usr/bin/env python3
"""`ccow mount` through a running `ccow server` (issue 15): the server holds the data
directory, so it mounts the volume itself and the command returns:

- files written through the mount read back, and over S3 once checkpointed (the bucket is
  a file volume: S3 lists and reads its files); a file S3 PUTs (into a new directory) reads
  through the mount, and one S3 DELETEs is gone from it; a copy into the volume is refused
  with a 405 that says why; a bucket that holds S3 objects is refused a volume;
- a second mount of the same volume is refused (exit 6, naming where it is mounted);
- `ccow umount` unmounts and checkpoints: mounted again, the tree is whole;
- an unmount from outside (fusermount3 -u) frees the volume for another mount;
- the server stopped with writes since the last checkpoint unmounts and checkpoints them:
  restarted and mounted again, they are there.

Exits 77 (skipped) where FUSE cannot mount. Usage: server_mount_test.py path/to/ccow"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "s3"))
from server_process import ServerProcess, admin_client  # noqa: E402

CCOW = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="ccow-fuse-server-")
DATA = os.path.join(WORK, "data")
MNT = os.path.join(WORK, "mnt")
MNT2 = os.path.join(WORK, "mnt2")
BUCKET = "ccow/default/files"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    log = os.path.join(WORK, "server.log")
    if os.path.exists(log):
        print(open(log).read()[-3000:], file=sys.stderr)
    sys.exit(1)


def ccow(*args):
    return subprocess.run([CCOW, "--data", DATA, *args], capture_output=True, text=True, timeout=120)


def mount(where=MNT, expect=0):
    r = ccow("mount", BUCKET, where, "--checkpoint-interval", "1h")
    if r.returncode != expect:
        text = r.stdout + r.stderr
        if expect == 0 and "refused to mount" in text:
            print("server_mount_test: skipped, FUSE cannot mount here: " + text[-300:])
            sys.exit(77)
        fail("ccow mount %s: exit %d, expected %d: %s" % (where, r.returncode, expect, text))
    if expect == 0 and not os.path.ismount(where):
        fail("ccow mount returned but %s is not a mount" % where)
    return r


def tree(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            out[os.path.relpath(p, root)] = None if os.path.isdir(p) else open(p, "rb").read()
    return out


def write_tree(root, files):
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)


def main():
    for d in (MNT, MNT2):
        os.makedirs(d)
    server = ServerProcess(CCOW, DATA, os.path.join(WORK, "server.log"), [], fail)
    try:
        s3_url, _ = server.start()
        s3 = admin_client(s3_url)
        s3.create_bucket(Bucket="files")
        mount()
        files = {"a.txt": b"alpha\n", "dir/b.bin": os.urandom(300_000), "dir/sub/c": b"c" * 5000}
        write_tree(MNT, files)
        expect = {"a.txt": files["a.txt"], "dir": None, "dir/b.bin": files["dir/b.bin"], "dir/sub": None,
                  "dir/sub/c": files["dir/sub/c"]}
        if tree(MNT) != expect:
            fail("the mount reads %s" % sorted(tree(MNT)))
        # fsync checkpoints: from then on S3 reads the files.
        fd = os.open(os.path.join(MNT, "dir", "b.bin"), os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        got = s3.get_object(Bucket="files", Key="dir/b.bin")
        if got["Body"].read() != files["dir/b.bin"] or got["ContentLength"] != len(files["dir/b.bin"]):
            fail("S3 does not read the file written through the mount")
        listed = s3.list_objects_v2(Bucket="files", Delimiter="/")
        keys = [o["Key"] for o in listed.get("Contents", [])]
        prefixes = [p["Prefix"] for p in listed.get("CommonPrefixes", [])]
        if keys != ["a.txt"] or prefixes != ["dir/"]:
            fail("S3 lists the volume as %s and %s" % (keys, prefixes))
        every = [o["Key"] for o in s3.list_objects_v2(Bucket="files")["Contents"]]
        if every != ["a.txt", "dir/", "dir/b.bin", "dir/sub/", "dir/sub/c"]:
            fail("S3 lists the whole volume as %s" % every)
        # S3 writes the volume the server mounts: the mount reads it at once.
        body = os.urandom(1_500_000)
        put = s3.put_object(Bucket="files", Key="from-s3/new.bin", Body=body)
        head = s3.head_object(Bucket="files", Key="from-s3/new.bin")
        if put["ETag"] != head["ETag"] or head["ContentLength"] != len(body):
            fail("the PUT's ETag %s and the HEAD's %s" % (put["ETag"], head))
        if open(os.path.join(MNT, "from-s3", "new.bin"), "rb").read() != body:
            fail("the mount does not read what S3 put")
        s3.put_object(Bucket="files", Key="from-s3/gone.txt", Body=b"soon gone")
        if open(os.path.join(MNT, "from-s3", "gone.txt"), "rb").read() != b"soon gone":
            fail("the mount does not read the second file S3 put")
        s3.delete_object(Bucket="files", Key="from-s3/gone.txt")
        for _ in range(50):  # the kernel keeps a name for up to a second
            if not os.path.exists(os.path.join(MNT, "from-s3", "gone.txt")):
                break
            time.sleep(0.1)
        else:
            fail("a file S3 deleted is still in the mount")
        try:
            s3.copy_object(Bucket="files", Key="copy", CopySource={"Bucket": "files", "Key": "a.txt"})
            fail("S3 copied into a file volume")
        except Exception as e:  # botocore's ClientError
            if "MethodNotAllowed" not in str(e) or "file volume" not in str(e):
                fail("the refusal of a copy into a file volume: %s" % e)
        expect.update({"from-s3": None, "from-s3/new.bin": body})
        s3.create_bucket(Bucket="objects")
        s3.put_object(Bucket="objects", Key="k", Body=b"an object")
        r = ccow("mount", "ccow/default/objects", MNT2)
        if r.returncode == 0 or "holds S3 objects" not in r.stderr:
            fail("a volume made on a bucket with objects: exit %d %s" % (r.returncode, r.stderr))
        if s3.get_object(Bucket="objects", Key="k")["Body"].read() != b"an object":
            fail("the refused mount touched the bucket's objects")

        r = mount(MNT2, expect=6)
        if MNT not in r.stderr:
            fail("the second mount's refusal does not say where the volume is mounted: %s" % r.stderr)

        r = ccow("umount", MNT)
        if r.returncode != 0 or os.path.ismount(MNT):
            fail("ccow umount: exit %d %s" % (r.returncode, r.stderr))
        mount()
        if tree(MNT) != expect:
            fail("after ccow umount and a new mount: %s" % sorted(tree(MNT)))

        subprocess.run(["fusermount3", "-u", MNT], check=True, timeout=60)
        for _ in range(100):  # the server notices its mount ended
            if ccow("mount", BUCKET, MNT2, "--checkpoint-interval", "1h").returncode == 0:
                break
            time.sleep(0.1)
        if not os.path.ismount(MNT2) or tree(MNT2) != expect:
            fail("the volume after fusermount3 -u, mounted on %s: %s" % (MNT2, os.path.ismount(MNT2)))

        # Written after the last checkpoint (1 h away): the server's stop checkpoints them.
        write_tree(MNT2, {"late.txt": b"written just before the server stopped"})
        server.stop()
        if os.path.ismount(MNT2):
            fail("the server stopped and left its mount")
        server.start()
        mount()
        if open(os.path.join(MNT, "late.txt"), "rb").read() != b"written just before the server stopped":
            fail("what was written before the server stopped is lost")
        if ccow("umount", MNT).returncode != 0:
            fail("the last ccow umount")
    finally:
        for d in (MNT, MNT2):
            if os.path.ismount(d):
                subprocess.run(["fusermount3", "-u", d], timeout=60)
        server.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print("server_mount_test: ok")


main()
