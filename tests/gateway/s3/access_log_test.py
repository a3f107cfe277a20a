#!/usr/bin/env python3
"""S3 server access logging through boto3: Put/GetBucketLogging, records in AWS's format
delivered as objects into the target bucket, and no record lost when the gateway is
killed right after answering.

`ccow server` delivering every second (--access-log-flush 1):
  - GetBucketLogging of a bucket without logging is an empty BucketLoggingStatus; a target
    that does not exist, or belongs to another tenant, is InvalidTargetBucketForLogging;
  - PUT, GET, HEAD, a 404 and a listing of the source bucket each log one record, with the
    operation, key, status, error code and bytes AWS logs; requests to other buckets log
    nothing;
  - SIGKILL right after requests are answered: after a restart their records arrive.
usage: access_log_test.py CCOW_BINARY
"""
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import unittest

from botocore.exceptions import ClientError

import server_process

CCOW = os.path.realpath(sys.argv.pop(1)) if len(sys.argv) > 1 else None
WORK = tempfile.mkdtemp(prefix="ccow-alog.")
SERVER = server_process.ServerProcess(CCOW, os.path.join(WORK, "data"), os.path.join(WORK, "server.log"),
                                      ["--access-log-flush", "1"], lambda m: (_ for _ in ()).throw(RuntimeError(m)))
S3 = None
# AWS's record: owner bucket [time] ip requester id operation key "uri" status error bytes size ...
RECORD = re.compile(r'^(\S+) (\S+) \[([^\]]+)\] (\S+) (\S+) (\S+) (\S+) (\S+) "([^"]*)" (\S+) (\S+) (\S+) (\S+) ')


def connect():
    global S3
    url, _ = SERVER.start()
    S3 = server_process.admin_client(url)


def setUpModule():
    connect()


def tearDownModule():
    SERVER.stop()
    shutil.rmtree(WORK, ignore_errors=True)


def records(bucket, prefix):
    out = []
    for o in S3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        body = S3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode()
        out += [line for line in body.split("\n") if line]
    return out


def wait_records(bucket, prefix, count, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = records(bucket, prefix)
        if len(got) >= count:
            return got
        time.sleep(0.5)
    raise AssertionError(f"{len(records(bucket, prefix))} records under {prefix}, wanted {count}")


def enable(source, target, prefix):
    S3.put_bucket_logging(Bucket=source, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": prefix}})


class AccessLogTest(unittest.TestCase):
    def test_logging_configuration_round_trips_and_checks_its_target(self):
        S3.create_bucket(Bucket="alog-conf")
        S3.create_bucket(Bucket="alog-conf-target")
        self.assertNotIn("LoggingEnabled", S3.get_bucket_logging(Bucket="alog-conf"))
        with self.assertRaises(ClientError) as e:
            enable("alog-conf", "no-such-target-bucket", "x/")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidTargetBucketForLogging")
        enable("alog-conf", "alog-conf-target", "conf/")
        got = S3.get_bucket_logging(Bucket="alog-conf")["LoggingEnabled"]
        self.assertEqual((got["TargetBucket"], got["TargetPrefix"]), ("alog-conf-target", "conf/"))
        S3.put_bucket_logging(Bucket="alog-conf", BucketLoggingStatus={})
        self.assertNotIn("LoggingEnabled", S3.get_bucket_logging(Bucket="alog-conf"))

    def test_each_request_to_a_logging_bucket_is_one_record(self):
        S3.create_bucket(Bucket="alog-src")
        S3.create_bucket(Bucket="alog-target")
        S3.create_bucket(Bucket="alog-quiet")
        enable("alog-src", "alog-target", "src/")
        body = b"x" * 1234
        S3.put_object(Bucket="alog-src", Key="dir/k", Body=body)
        S3.get_object(Bucket="alog-src", Key="dir/k")["Body"].read()
        S3.head_object(Bucket="alog-src", Key="dir/k")
        with self.assertRaises(ClientError):
            S3.get_object(Bucket="alog-src", Key="missing")
        S3.list_objects_v2(Bucket="alog-src")
        S3.put_object(Bucket="alog-quiet", Key="k", Body=b"not logged")
        lines = wait_records("alog-target", "src/", 5)
        parsed = [RECORD.match(l) for l in lines]
        self.assertTrue(all(parsed), lines)
        by_op = {}
        for m in parsed:
            self.assertEqual((m.group(1), m.group(2)), ("default", "alog-src"))
            by_op.setdefault(m.group(7), []).append(m)
        # The record of the PutBucketLogging itself comes before logging is on, so is absent.
        self.assertEqual(sorted(by_op), ["REST.GET.BUCKET", "REST.GET.OBJECT", "REST.HEAD.OBJECT", "REST.PUT.OBJECT"],
                         lines)
        gets = {m.group(8): m for m in by_op["REST.GET.OBJECT"]}
        self.assertEqual((gets["dir/k"].group(10), gets["dir/k"].group(12)), ("200", "1234"))
        self.assertEqual((gets["missing"].group(10), gets["missing"].group(11)), ("404", "NoSuchKey"))
        put = by_op["REST.PUT.OBJECT"][0]
        self.assertTrue(put.group(9).startswith("PUT /alog-src/dir/k"), put.group(9))
        self.assertEqual(put.group(5), "default")  # the requester's canonical id
        self.assertEqual(records("alog-target", "quiet"), [])
        # Log objects are named prefix + YYYY-mm-DD-HH-MM-SS- + 16 characters.
        keys = [o["Key"] for o in S3.list_objects_v2(Bucket="alog-target", Prefix="src/")["Contents"]]
        self.assertTrue(all(re.fullmatch(r"src/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}", k) for k in keys), keys)

    def test_no_record_of_an_answered_request_is_lost_when_the_gateway_is_killed(self):
        S3.create_bucket(Bucket="alog-kill")
        S3.create_bucket(Bucket="alog-kill-target")
        enable("alog-kill", "alog-kill-target", "k/")
        for i in range(20):
            S3.put_object(Bucket="alog-kill", Key=f"obj{i}", Body=b"v")
        SERVER.proc.send_signal(signal.SIGKILL)  # before the next delivery, most likely
        SERVER.proc.wait()
        SERVER.proc = None
        # A fresh log, so that the new endpoints are read, not the killed server's.
        os.replace(SERVER.log_path, SERVER.log_path + ".killed")
        connect()
        lines = wait_records("alog-kill-target", "k/", 20)
        keys = sorted(RECORD.match(l).group(8) for l in lines)
        self.assertEqual(keys, sorted(f"obj{i}" for i in range(20)), "each answered request once")


if __name__ == "__main__":
    unittest.main(verbosity=2)
