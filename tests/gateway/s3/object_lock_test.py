#!/usr/bin/env python3
"""S3 Object Lock as AWS defines it, through boto3, against deletes, lifecycle and GC.

`ccow server` with a 2 s quarantine, GC passes on demand and a lifecycle "day" of 2 s:
  - a bucket made with Object Lock is versioned for good; a bucket without refuses lock
    headers and retention requests (InvalidRequest);
  - COMPLIANCE: no delete of the version, whoever asks; the retention only extends, and
    keeps the version id; a delete without a version id only adds a marker;
  - GOVERNANCE: deleted only bypassing it, and not where a policy denies the bypass;
  - a legal hold refuses deletes until it is lifted;
  - the bucket's default retention reaches new versions, multipart ones included;
  - lifecycle noncurrent expiration plus GC passes remove an unlocked noncurrent version
    but keep a locked one byte-identical; once its retention passes it can be deleted;
  - offline, `ccow object rm` of a locked version fails with exit code 9 (locked).
usage: object_lock_test.py CCOW_BINARY
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config
from botocore.exceptions import ClientError

import server_process

CCOW = os.path.realpath(sys.argv[1])
WORK = tempfile.mkdtemp(prefix="ccow-lock.")
DATA = os.path.join(WORK, "data")
server = server_process.ServerProcess(CCOW, DATA, os.path.join(WORK, "server.log"),
                                      ["--quarantine-retention", "2s", "--gc-interval", "0",
                                       "--lifecycle-interval", "1", "--lifecycle-day-seconds", "2"], lambda m: fail(m))
UTC = datetime.timezone.utc


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    log = os.path.join(WORK, "server.log")
    if os.path.exists(log):
        print(open(log).read()[-3000:], file=sys.stderr)
    stop_server()
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def ccow(*args):
    return subprocess.run([CCOW, "--data", DATA, *args], capture_output=True, text=True, timeout=300)


def start_server():
    s3, _ = server.start()
    return s3

def stop_server():
    server.stop()


def code(fn, **kwargs):
    try:
        fn(**kwargs)
        return "OK"
    except ClientError as e:
        return e.response["Error"]["Code"]


def later(seconds):
    return datetime.datetime.now(UTC) + datetime.timedelta(seconds=seconds)


def gc_now():
    r = ccow("--json", "system", "gc", "--now", "--wait", "--wait-for", "120s")
    check(r.returncode == 0, f"system gc: {r.stderr}")
    out = json.loads(r.stdout)
    check(not out.get("last_error"), f"the pass failed: {out.get('last_error')}")


def version_ids(s3, bucket, key):
    lv = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return sorted(v["VersionId"] for v in lv.get("Versions", []) if v["Key"] == key)


def main():
    url = start_server()
    cfg = botocore.config.Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"})
    s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id="ccow-admin",
                      aws_secret_access_key="ccow-admin-secret", region_name="us-east-1", config=cfg)

    # A bucket without Object Lock refuses everything about it.
    s3.create_bucket(Bucket="plain")
    check(code(s3.get_object_lock_configuration, Bucket="plain") == "ObjectLockConfigurationNotFoundError",
          "a plain bucket has a lock configuration")
    check(code(s3.put_object, Bucket="plain", Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
               ObjectLockRetainUntilDate=later(60)) == "InvalidRequest", "lock headers on a plain bucket")
    s3.put_object(Bucket="plain", Key="k", Body=b"x")
    check(code(s3.get_object_retention, Bucket="plain", Key="k") == "InvalidRequest", "retention on a plain bucket")
    check(code(s3.put_object_lock_configuration, Bucket="plain",
               ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}) == "InvalidBucketState",
          "Object Lock on an unversioned bucket")

    # A bucket with Object Lock is versioned for good.
    b = "worm"
    s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
    check(s3.get_bucket_versioning(Bucket=b).get("Status") == "Enabled", "a lock bucket is not versioned")
    check(code(s3.put_bucket_versioning, Bucket=b, VersioningConfiguration={"Status": "Suspended"})
          == "InvalidBucketState", "versioning suspended on a lock bucket")
    check(s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"},
          "lock configuration")

    # Before any default retention: an unlocked version to be expired by lifecycle.
    s3.put_object(Bucket=b, Key="u", Body=b"unlocked-1")
    s3.put_object(Bucket=b, Key="u", Body=b"unlocked-2")

    # COMPLIANCE: nobody deletes the version; its retention only extends.
    until = later(25).replace(microsecond=0)
    c1 = s3.put_object(Bucket=b, Key="c", Body=b"compliance-bytes", ObjectLockMode="COMPLIANCE",
                       ObjectLockRetainUntilDate=until)["VersionId"]
    head = s3.head_object(Bucket=b, Key="c")
    check(head.get("ObjectLockMode") == "COMPLIANCE" and head.get("ObjectLockRetainUntilDate") == until,
          f"head: {head.get('ObjectLockMode')} {head.get('ObjectLockRetainUntilDate')}")
    ret = s3.get_object_retention(Bucket=b, Key="c")["Retention"]
    check(ret["Mode"] == "COMPLIANCE" and ret["RetainUntilDate"] == until, f"retention {ret}")
    check(code(s3.delete_object, Bucket=b, Key="c", VersionId=c1) == "AccessDenied", "compliance delete")
    check(code(s3.delete_object, Bucket=b, Key="c", VersionId=c1, BypassGovernanceRetention=True) == "AccessDenied",
          "compliance delete bypassing governance")
    res = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "c", "VersionId": c1}]})
    check([e["Code"] for e in res.get("Errors", [])] == ["AccessDenied"], f"delete_objects: {res}")
    check(code(s3.put_object_retention, Bucket=b, Key="c",
               Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(5)}) == "AccessDenied", "shortened")
    check(code(s3.put_object_retention, Bucket=b, Key="c", BypassGovernanceRetention=True,
               Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(60)}) == "AccessDenied", "weakened")
    until = until + datetime.timedelta(seconds=5)
    s3.put_object_retention(Bucket=b, Key="c", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
    check(s3.get_object_retention(Bucket=b, Key="c")["Retention"]["RetainUntilDate"] == until, "not extended")
    check(version_ids(s3, b, "c") == [c1], "a retention change made a version")
    check(s3.get_object(Bucket=b, Key="c")["Body"].read() == b"compliance-bytes", "PUT ?retention changed the bytes")
    marker = s3.delete_object(Bucket=b, Key="c")
    check(marker.get("DeleteMarker"), "a delete without version id is a marker")
    check(s3.get_object(Bucket=b, Key="c", VersionId=c1)["Body"].read() == b"compliance-bytes", "locked version")
    compliance_until = until

    # GOVERNANCE: only bypassing it, and not where a policy denies the bypass.
    g1 = s3.put_object(Bucket=b, Key="g", Body=b"gov", ObjectLockMode="GOVERNANCE",
                       ObjectLockRetainUntilDate=later(3600))["VersionId"]
    check(code(s3.delete_object, Bucket=b, Key="g", VersionId=g1) == "AccessDenied", "governance delete")
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
            "Action": "s3:BypassGovernanceRetention", "Resource": f"arn:aws:s3:::{b}/*"}]}
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps(deny))
    check(code(s3.delete_object, Bucket=b, Key="g", VersionId=g1, BypassGovernanceRetention=True) == "AccessDenied",
          "a policy denied the bypass, yet it deleted")
    s3.delete_bucket_policy(Bucket=b)
    check(code(s3.delete_object, Bucket=b, Key="g", VersionId=g1, BypassGovernanceRetention=True) == "OK",
          "bypassing governance")
    check(version_ids(s3, b, "g") == [], "the bypassed version is still listed")

    # Legal hold: whatever the retention, until lifted.
    h1 = s3.put_object(Bucket=b, Key="h", Body=b"held", ObjectLockLegalHoldStatus="ON")["VersionId"]
    check(s3.head_object(Bucket=b, Key="h").get("ObjectLockLegalHoldStatus") == "ON", "hold header")
    check(s3.get_object_legal_hold(Bucket=b, Key="h")["LegalHold"]["Status"] == "ON", "hold")
    check(code(s3.delete_object, Bucket=b, Key="h", VersionId=h1, BypassGovernanceRetention=True) == "AccessDenied",
          "held delete")
    s3.put_object_legal_hold(Bucket=b, Key="h", LegalHold={"Status": "OFF"})
    check(code(s3.delete_object, Bucket=b, Key="h", VersionId=h1) == "OK", "delete after the hold")

    # The bucket's default retention, for plain and multipart puts.
    s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    conf = s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
    check(conf["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}, f"configuration {conf}")
    check(code(s3.put_object_lock_configuration, Bucket=b, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}})
          == "MalformedXML", "days and years")
    s3.put_object(Bucket=b, Key="d", Body=b"defaulted")
    ret = s3.get_object_retention(Bucket=b, Key="d")["Retention"]
    left = (ret["RetainUntilDate"] - datetime.datetime.now(UTC)).total_seconds()
    check(ret["Mode"] == "GOVERNANCE" and 23 * 3600 < left < 25 * 3600, f"default retention {ret}")
    mp = s3.create_multipart_upload(Bucket=b, Key="mp", ObjectLockMode="COMPLIANCE",
                                    ObjectLockRetainUntilDate=later(3600))
    part = s3.upload_part(Bucket=b, Key="mp", UploadId=mp["UploadId"], PartNumber=1, Body=b"multipart")
    done = s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=mp["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    check(s3.head_object(Bucket=b, Key="mp").get("ObjectLockMode") == "COMPLIANCE", "multipart lock")
    check(code(s3.delete_object, Bucket=b, Key="mp", VersionId=done["VersionId"]) == "AccessDenied", "multipart delete")

    # Lifecycle and GC: the unlocked noncurrent version goes, the locked one stays.
    u_ids = version_ids(s3, b, "u")
    check(len(u_ids) == 2, f"u versions {u_ids}")
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    deadline = time.monotonic() + 60
    while len(version_ids(s3, b, "u")) != 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    check(len(version_ids(s3, b, "u")) == 1, "lifecycle did not expire the unlocked noncurrent version")
    time.sleep(3)  # past the quarantine retention
    gc_now()
    check(version_ids(s3, b, "c") == [c1], "lifecycle or GC removed a COMPLIANCE version")
    check(s3.get_object(Bucket=b, Key="c", VersionId=c1)["Body"].read() == b"compliance-bytes",
          "the locked version does not read back")

    # Once the retention has passed, the version may go.
    wait = (compliance_until - datetime.datetime.now(UTC)).total_seconds() + 1
    if wait > 0:
        time.sleep(wait)
    check(code(s3.delete_object, Bucket=b, Key="c", VersionId=c1) == "OK", "delete after the retention")

    # Offline, the CLI meets the same rule: exit code 9 (locked).
    stop_server()
    r = ccow("object", "rm", "ccow/default/worm/mp", "-g", done["VersionId"])
    check(r.returncode == 9, f"ccow object rm of a locked version: exit {r.returncode} {r.stderr}")
    print("object lock: every check passed")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_server()
        shutil.rmtree(WORK, ignore_errors=True)
