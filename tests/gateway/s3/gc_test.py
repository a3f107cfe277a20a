#!/usr/bin/env python3
"""Garbage collection on one node, as an S3 user meets it (issue 11).

`ccow server` with a short quarantine retention and passes on demand only. Through boto3:
objects kept, deleted, overwritten, one deduplicated against a deleted one, a multipart
upload aborted and one completed. Then `ccow system gc --now --wait`:
  - the first pass frees the aborted upload's parts (internal names keep no quarantine)
    but no deleted or replaced version (still within the retention);
  - a deleted version is undeleted within the retention;
  - after the retention a pass frees every deleted and replaced version: the stored
    payload falls to the live bytes (plus manifests), every live object reads back
    byte-identical, deleted ones are gone, and the ccow_gc_* metrics say what happened.
usage: gc_test.py CCOW_BINARY
"""
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import botocore.config

import server_process

CCOW = os.path.realpath(sys.argv[1])
WORK = tempfile.mkdtemp(prefix="ccow-gc.")
DATA = os.path.join(WORK, "data")
RETENTION_S = 10
MiB = 1 << 20
server = server_process.ServerProcess(CCOW, DATA, os.path.join(WORK, "server.log"),
                                      ["--quarantine-retention", f"{RETENTION_S}s", "--gc-interval", "0"],
                                      lambda m: fail(m))


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    log = os.path.join(WORK, "server.log")
    if os.path.exists(log):
        print(open(log).read()[-3000:], file=sys.stderr)
    sys.exit(1)


def ccow(*args, check=True):
    r = subprocess.run([CCOW, "--data", DATA, *args], capture_output=True, text=True, timeout=300)
    if check and r.returncode != 0:
        fail(f"ccow {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r


def start_server():
    return server.start()

def stop_server():
    server.stop()


def metric(admin, name):
    text = urllib.request.urlopen(admin + "/metrics", timeout=10).read().decode()
    m = re.search(r"^" + name + r"(?:\{[^}]*\})? ([0-9.e+]+)$", text, re.M)
    if not m:
        fail(f"no metric {name}")
    return float(m.group(1))


# What the data directory holds beyond chunk payloads: the RocksDB index and the Raft log
# of the registry (their WALs, SSTs, manifests, logs), the segment files' 4 KiB alignment.
OVERHEAD = 24 * MiB


def disk_usage(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def gc_now():
    start = time.monotonic()
    out = json.loads(ccow("--json", "system", "gc", "--now", "--wait", "--wait-for", "120s").stdout)
    if out.get("last_error"):
        fail(f"the pass failed: {out['last_error']}")
    return out["last_pass"], time.monotonic() - start


def main():
    s3_url, admin = start_server()
    cfg = botocore.config.Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"})
    s3 = boto3.client("s3", endpoint_url=s3_url, aws_access_key_id="ccow-admin",
                      aws_secret_access_key="ccow-admin-secret", region_name="us-east-1", config=cfg)
    s3.create_bucket(Bucket="gcb")
    rng = random.Random(11)
    blob = lambda n: rng.randbytes(n)
    live = {}
    for i in range(4):
        live[f"keep-{i}"] = blob(MiB + i * 300_000)
    doomed = {f"del-{i}": blob(2 * MiB + i) for i in range(4)}
    replaced = {f"over-{i}": blob(1_500_000 + i) for i in range(4)}
    und = blob(700_000)
    for k, v in {**live, **doomed, **replaced, "und": und}.items():
        s3.put_object(Bucket="gcb", Key=k, Body=v)
    live["shared"] = doomed["del-0"]  # every chunk deduplicated against a soon-deleted object
    s3.put_object(Bucket="gcb", Key="shared", Body=live["shared"])
    for k in replaced:
        live[k] = blob(800_000)
        s3.put_object(Bucket="gcb", Key=k, Body=live[k])  # the old version goes to quarantine
    aborted = s3.create_multipart_upload(Bucket="gcb", Key="mpu-aborted")["UploadId"]
    for n in (1, 2, 3):
        s3.upload_part(Bucket="gcb", Key="mpu-aborted", UploadId=aborted, PartNumber=n, Body=blob(5 * MiB))
    s3.abort_multipart_upload(Bucket="gcb", Key="mpu-aborted", UploadId=aborted)
    up = s3.create_multipart_upload(Bucket="gcb", Key="mpu-done")["UploadId"]
    parts, whole = [], b""
    for n, size in ((1, 5 * MiB), (2, MiB)):
        body = blob(size)
        whole += body
        parts.append({"PartNumber": n, "ETag": s3.upload_part(Bucket="gcb", Key="mpu-done", UploadId=up,
                                                               PartNumber=n, Body=body)["ETag"]})
    s3.complete_multipart_upload(Bucket="gcb", Key="mpu-done", UploadId=up, MultipartUpload={"Parts": parts})
    live["mpu-done"] = whole
    for k in doomed:
        s3.delete_object(Bucket="gcb", Key=k)
    s3.delete_object(Bucket="gcb", Key="und")
    deleted_at = time.monotonic()
    live_bytes = sum(len(v) for v in live.values())
    before = metric(admin, "ccow_vdev_payload_bytes")

    # 1. Within the retention: only the aborted upload's parts (and the records of both
    #    uploads) go; nothing a user could still restore.
    r, took = gc_now()
    after1 = metric(admin, "ccow_vdev_payload_bytes")
    print(f"  pass 1 ({took:.1f} s): {r['versions_expired']} versions expired, {r['chunks_freed']} chunks "
          f"({r['bytes_freed']} B) freed; payload {before / MiB:.1f} -> {after1 / MiB:.1f} MiB")
    if time.monotonic() - deleted_at >= RETENTION_S:
        fail("the first pass ended after the retention: the machine is too slow for this test's timing")
    if before - after1 < 15 * MiB - 1024:
        fail(f"the aborted upload's 15 MiB of parts were not freed ({before - after1} bytes freed)")
    if before - after1 > 15 * MiB + 256 * 1024:
        fail(f"the first pass freed {before - after1} bytes: more than the aborted upload's parts")

    # 2. Undelete within the retention (the CLI needs the data directory: stop the server).
    stop_server()
    ccow("object", "undelete", "ccow/default/gcb/und")
    s3_url, admin = start_server()
    s3 = boto3.client("s3", endpoint_url=s3_url, aws_access_key_id="ccow-admin",
                      aws_secret_access_key="ccow-admin-secret", region_name="us-east-1", config=cfg)
    live["und"] = und
    live_bytes += len(und)

    # 3. After the retention everything deleted or replaced goes.
    time.sleep(max(0.0, RETENTION_S + 1 - (time.monotonic() - deleted_at)))
    r, took = gc_now()
    after2 = metric(admin, "ccow_vdev_payload_bytes")
    print(f"  pass 2 ({took:.1f} s): {r['versions_expired']} versions expired, {r['chunks_freed']} chunks "
          f"({r['bytes_freed']} B) freed; payload {after2 / MiB:.2f} MiB for {live_bytes / MiB:.2f} MiB live")
    if r["versions_expired"] < 7:  # del-1..3 (del-0's chunks live on), over-0..3
        fail(f"only {r['versions_expired']} versions expired")
    if not live_bytes <= after2 <= live_bytes + 256 * 1024:
        fail(f"stored payload {after2} is not the live {live_bytes} plus manifests")
    used = disk_usage(DATA)
    print(f"  data directory: {used / MiB:.1f} MiB on disk for {live_bytes / MiB:.1f} MiB live "
          f"({r.get('segments_compacted', 0)} segments compacted, {r.get('file_bytes_reclaimed', 0)} file bytes back)")
    if used > live_bytes * 1.10 + OVERHEAD:
        fail(f"the data directory holds {used} bytes for {live_bytes} live: space was not given back")
    for k, v in live.items():
        got = s3.get_object(Bucket="gcb", Key=k)["Body"].read()
        if hashlib.sha256(got).digest() != hashlib.sha256(v).digest():
            fail(f"{k} changed after collection")
    for k in doomed:
        try:
            s3.head_object(Bucket="gcb", Key=k)
            fail(f"deleted {k} is still there")
        except s3.exceptions.ClientError as e:
            if e.response["Error"]["Code"] not in ("404", "NoSuchKey"):
                raise
    if metric(admin, "ccow_gc_chunks_freed_total") < 1 or metric(admin, "ccow_gc_passes_total") < 1:
        fail("the gc metrics did not count the pass")
    status = json.loads(ccow("--json", "system", "gc").stdout)
    if status["passes_completed"] < 1 or status["running"]:
        fail(f"gc status: {status}")
    print("PASS")


try:
    main()
finally:
    stop_server()
    shutil.rmtree(WORK, ignore_errors=True)
