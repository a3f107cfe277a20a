#!/usr/bin/env python3
"""`ccow mount` (issue 15): a bucket's file layer volume through FUSE, driven by POSIX
calls from this process against a model:

- a random workload (create, write at offsets, append, truncate, rename, link, symlink,
  unlink, mkdir, rmdir) reads back as the model says after every step, and refusals
  carry POSIX's errnos (EEXIST, ENOENT, ENOTEMPTY, EISDIR, ENOTDIR);
- a copy of a source tree compares equal to the original (diff -r); df reports the
  store's file system;
- unmounted (fusermount3 -u) and mounted again: the whole tree is as the model says;
- SIGKILLed after an fsync: mounted again, the fsync'd file is there, whole.

Exits 77 (skipped) where FUSE cannot mount. Usage: fuse_mount_test.py path/to/ccow"""

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CCOW = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="ccow-fuse-")
DATA = os.path.join(WORK, "data")
MNT = os.path.join(WORK, "mnt")
BUCKET = "ccow/default/bk1"
PROC = None


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    log = os.path.join(WORK, "mount.log")
    if os.path.exists(log):
        print(open(log).read()[-3000:], file=sys.stderr)
    sys.exit(1)


def mount():
    global PROC
    PROC = subprocess.Popen([CCOW, "--data", DATA, "mount", BUCKET, MNT, "--checkpoint-interval", "1h"],
                            stdout=open(os.path.join(WORK, "mount.log"), "a"), stderr=subprocess.STDOUT)
    for _ in range(100):
        if os.path.ismount(MNT):
            return
        if PROC.poll() is not None:
            text = open(os.path.join(WORK, "mount.log")).read()
            if "refused to mount" in text or "fuse" in text.lower() and PROC.returncode != 0:
                print("fuse_mount_test: skipped, FUSE cannot mount here: " + text[-300:])
                sys.exit(77)
            fail("ccow mount exited %d" % PROC.returncode)
        time.sleep(0.1)
    fail("the mount did not appear")


def unmount():
    r = subprocess.run(["fusermount3", "-u", MNT], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        fail("fusermount3 -u: %s" % r.stderr)
    if PROC.wait(timeout=60) != 0:
        fail("ccow mount exited %d after the unmount" % PROC.returncode)


def tree(root):
    """Every path under root: ('d',) for a directory, ('l', target) a symlink, ('f', bytes)."""
    out = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("l", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("d",)
            else:
                out[rel] = ("f", open(p, "rb").read())
    return out


def expect_errno(want, fn, *args):
    try:
        fn(*args)
    except OSError as e:
        if e.errno != want:
            fail("%s%s: errno %d, wanted %d" % (fn.__name__, args, e.errno, want))
        return
    fail("%s%s succeeded, wanted errno %d" % (fn.__name__, args, want))


def workload(rng, steps):
    """Random operations in a few directories; the model is the tree expected."""
    model = tree(MNT)
    dirs = [""] + [k for k, v in model.items() if v[0] == "d"]
    names = ["a", "b", "c", "d"]
    for step in range(steps):
        d = rng.choice(dirs)
        rel = os.path.join(d, rng.choice(names))
        p = os.path.join(MNT, rel)
        op = rng.randrange(9)
        cur = model.get(rel)
        if op == 0:  # write at an offset (creating)
            if cur and cur[0] != "f":
                continue
            data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 70000)))
            off = rng.randrange(0, 100000)
            fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o644)
            os.pwrite(fd, data, off)
            os.close(fd)
            old = bytearray(cur[1] if cur else b"")
            if len(old) < off + len(data):
                old.extend(b"\0" * (off + len(data) - len(old)))
            old[off:off + len(data)] = data
            model[rel] = ("f", bytes(old))
        elif op == 1:  # append
            if cur and cur[0] != "f":
                continue
            data = os.urandom(rng.randrange(1, 5000))
            with open(p, "ab") as f:
                f.write(data)
            model[rel] = ("f", (cur[1] if cur else b"") + data)
        elif op == 2:  # truncate
            if not cur or cur[0] != "f":
                continue
            size = rng.randrange(0, 120000)
            os.truncate(p, size)
            model[rel] = ("f", cur[1][:size] + b"\0" * max(0, size - len(cur[1])))
        elif op == 3:  # unlink
            if not cur:
                expect_errno(errno.ENOENT, os.unlink, p)
            elif cur[0] == "d":
                expect_errno(errno.EISDIR, os.unlink, p)
            else:
                os.unlink(p)
                del model[rel]
        elif op == 4:  # mkdir
            if cur:
                expect_errno(errno.EEXIST, os.mkdir, p)
            elif len(dirs) < 12:
                os.mkdir(p)
                model[rel] = ("d",)
                dirs.append(rel)
        elif op == 5:  # rmdir
            if not cur:
                expect_errno(errno.ENOENT, os.rmdir, p)
            elif cur[0] != "d":
                expect_errno(errno.ENOTDIR, os.rmdir, p)
            elif any(k.startswith(rel + "/") for k in model):
                expect_errno(errno.ENOTEMPTY, os.rmdir, p)
            else:
                os.rmdir(p)
                del model[rel]
                dirs.remove(rel)
        elif op == 6:  # rename a file over a file or to a new name
            to_rel = os.path.join(rng.choice(dirs), rng.choice(names))
            dst = model.get(to_rel)
            if not cur or cur[0] == "d" or (dst and dst[0] == "d") or to_rel == rel:
                continue
            os.rename(p, os.path.join(MNT, to_rel))
            model[to_rel] = cur
            del model[rel]
        elif op == 7:  # hard link
            to_rel = os.path.join(rng.choice(dirs), rng.choice(names))
            if not cur or cur[0] != "f" or to_rel in model:
                continue
            os.link(p, os.path.join(MNT, to_rel))
            model[to_rel] = cur
            links.setdefault(rel, set()).add(to_rel)
        else:  # symlink
            if cur:
                continue
            target = "../" + rng.choice(names)
            os.symlink(target, p)
            model[rel] = ("l", target)
        # Hard links share data: rewrite the model's copies from the file system.
        for k, v in list(model.items()):
            if v[0] == "f" and os.path.exists(os.path.join(MNT, k)):
                got = open(os.path.join(MNT, k), "rb").read()
                if k == rel and got != model[k][1] and op in (0, 1, 2):
                    fail("step %d op %d: %s reads %d bytes, model %d" % (step, op, k, len(got), len(model[k][1])))
                model[k] = ("f", got)
    return model


links = {}


def main():
    os.makedirs(MNT)
    if not os.path.exists("/dev/fuse") or not shutil.which("fusermount3"):
        print("fuse_mount_test: skipped, no /dev/fuse or fusermount3")
        sys.exit(77)
    mount()
    rng = random.Random(15)
    model = workload(rng, 400)
    if tree(MNT) != model:
        fail("the tree differs from the model after the workload")
    # A source tree copied in compares equal (diff -r).
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "src", "fs")
    shutil.copytree(src, os.path.join(MNT, "copy"))
    r = subprocess.run(["diff", "-r", src, os.path.join(MNT, "copy")], capture_output=True, text=True)
    if r.returncode != 0:
        fail("diff -r of a copied tree: %s" % r.stdout[:2000])
    model = tree(MNT)
    # df reports the store's file system.
    st, disk = os.statvfs(MNT), os.statvfs(DATA)
    if st.f_namemax != 255 or abs(st.f_blocks * st.f_frsize - disk.f_blocks * disk.f_frsize) > (1 << 20) or \
            st.f_bavail * st.f_frsize > st.f_blocks * st.f_frsize:
        fail("statvfs of the mount %s against the data directory's %s" % (st, disk))
    unmount()

    # Mounted again: the same tree.
    mount()
    if tree(MNT) != model:
        fail("the tree differs after unmounting and mounting again")
    # An fsync'd file survives a SIGKILL.
    durable = os.urandom(300000)
    fd = os.open(os.path.join(MNT, "durable"), os.O_CREAT | os.O_WRONLY, 0o600)
    os.write(fd, durable)
    os.fsync(fd)
    os.close(fd)
    PROC.send_signal(signal.SIGKILL)
    PROC.wait(timeout=30)
    subprocess.run(["fusermount3", "-u", "-z", MNT], capture_output=True, timeout=60)
    mount()
    got = open(os.path.join(MNT, "durable"), "rb").read()
    if got != durable:
        fail("the fsync'd file after a SIGKILL: %d bytes of %d" % (len(got), len(durable)))
    if os.stat(os.path.join(MNT, "durable")).st_mode & 0o777 != 0o600:
        fail("the fsync'd file's mode")
    unmount()
    print("fuse_mount_test: ok (%d paths)" % len(model))


try:
    main()
finally:
    if PROC and PROC.poll() is None:
        subprocess.run(["fusermount3", "-u", "-z", MNT], capture_output=True, timeout=60)
        try:
            PROC.wait(timeout=30)
        except subprocess.TimeoutExpired:
            PROC.kill()
    if not os.environ.get("KEEP"):
        shutil.rmtree(WORK, ignore_errors=True)
