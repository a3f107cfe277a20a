#!/usr/bin/env python3
"""S3 storage classes through boto3: x-amz-storage-class on put, copy, multipart and POST
is kept in the version's entry and reported by HEAD/GET, listings, ListParts,
ListMultipartUploads and GetObjectAttributes; lifecycle transitions move current and
noncurrent versions to colder classes without new versions.

`ccow server` with a lifecycle pass every second and a lifecycle "day" of 2 s. One node has
no erasure code, so what a class changes on disk (erasure coding at rest) is proven by
ErasureEncoderTest.TheStorageClassDecidesWhatIsErasureCoded; this test proves what S3 sees.
usage: storage_class_test.py CCOW_BINARY
"""
import os
import shutil
import sys
import tempfile
import time
import unittest

from botocore.exceptions import ClientError

import server_process

CCOW = os.path.realpath(sys.argv.pop(1)) if len(sys.argv) > 1 else None
WORK = tempfile.mkdtemp(prefix="ccow-class.")
SERVER = server_process.ServerProcess(CCOW, os.path.join(WORK, "data"), os.path.join(WORK, "server.log"),
                                      ["--lifecycle-interval", "1", "--lifecycle-day-seconds", "2"],
                                      lambda m: (_ for _ in ()).throw(RuntimeError(m)))
S3 = None
_n = iter(range(1000))


def setUpModule():
    global S3
    url, _ = SERVER.start()
    S3 = server_process.admin_client(url)


def tearDownModule():
    SERVER.stop()
    shutil.rmtree(WORK, ignore_errors=True)


def new_bucket(tag, versioned=False):
    name = f"class-{tag}-{next(_n)}"
    S3.create_bucket(Bucket=name)
    if versioned:
        S3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def error(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def listed_class(bucket, key):
    for o in S3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", []):
        if o["Key"] == key:
            return o["StorageClass"]
    return None


def wait_for(what, fn, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


class StorageClassTest(unittest.TestCase):
    def test_a_put_keeps_its_class_and_every_view_reports_it(self):
        b = new_bucket("put")
        S3.put_object(Bucket=b, Key="ia", Body=b"x" * 5000, StorageClass="STANDARD_IA")
        S3.put_object(Bucket=b, Key="std", Body=b"y", StorageClass="STANDARD")
        S3.put_object(Bucket=b, Key="none", Body=b"z")
        self.assertEqual(S3.head_object(Bucket=b, Key="ia")["StorageClass"], "STANDARD_IA")
        self.assertEqual(S3.get_object(Bucket=b, Key="ia")["StorageClass"], "STANDARD_IA")
        # As AWS: HEAD names every class but STANDARD.
        self.assertNotIn("StorageClass", S3.head_object(Bucket=b, Key="std"))
        self.assertNotIn("StorageClass", S3.head_object(Bucket=b, Key="none"))
        self.assertEqual(listed_class(b, "ia"), "STANDARD_IA")
        self.assertEqual(listed_class(b, "std"), "STANDARD")
        self.assertEqual(listed_class(b, "none"), "STANDARD")
        versions = S3.list_object_versions(Bucket=b, Prefix="ia")["Versions"]
        self.assertEqual(versions[0]["StorageClass"], "STANDARD_IA")
        attrs = S3.get_object_attributes(Bucket=b, Key="ia", ObjectAttributes=["StorageClass"])
        self.assertEqual(attrs["StorageClass"], "STANDARD_IA")
        # Tagging writes a new version (in ccow) that keeps the class.
        S3.put_object_tagging(Bucket=b, Key="ia", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
        self.assertEqual(S3.head_object(Bucket=b, Key="ia")["StorageClass"], "STANDARD_IA")

    def test_classes_ccow_does_not_serve_are_refused(self):
        b = new_bucket("bad")
        for name in ("FOO", "OUTPOSTS", "EXPRESS_ONEZONE", "standard_ia"):
            self.assertEqual(error(S3.put_object, Bucket=b, Key="k", Body=b"x", StorageClass=name),
                             "InvalidStorageClass", name)
        self.assertEqual(S3.list_objects_v2(Bucket=b)["KeyCount"], 0)

    def test_a_copy_takes_the_class_it_names_and_may_change_it_in_place(self):
        b = new_bucket("copy")
        S3.put_object(Bucket=b, Key="src", Body=b"bytes", StorageClass="ONEZONE_IA")
        S3.copy_object(Bucket=b, Key="plain-copy", CopySource={"Bucket": b, "Key": "src"})
        self.assertNotIn("StorageClass", S3.head_object(Bucket=b, Key="plain-copy"))
        # Changing only the class of an object in place is a legal self-copy.
        S3.copy_object(Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src"}, StorageClass="GLACIER")
        self.assertEqual(S3.head_object(Bucket=b, Key="src")["StorageClass"], "GLACIER")
        self.assertEqual(S3.get_object(Bucket=b, Key="src")["Body"].read(), b"bytes")
        self.assertEqual(error(S3.copy_object, Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src"}),
                         "InvalidRequest")

    def test_a_multipart_upload_keeps_the_class_it_began_with(self):
        b = new_bucket("mp")
        up = S3.create_multipart_upload(Bucket=b, Key="big", StorageClass="ONEZONE_IA")
        uploads = S3.list_multipart_uploads(Bucket=b)["Uploads"]
        self.assertEqual(uploads[0]["StorageClass"], "ONEZONE_IA")
        part = S3.upload_part(Bucket=b, Key="big", UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 100)
        self.assertEqual(S3.list_parts(Bucket=b, Key="big", UploadId=up["UploadId"])["StorageClass"], "ONEZONE_IA")
        S3.complete_multipart_upload(Bucket=b, Key="big", UploadId=up["UploadId"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        self.assertEqual(S3.head_object(Bucket=b, Key="big")["StorageClass"], "ONEZONE_IA")


class TransitionTest(unittest.TestCase):
    def test_lifecycle_moves_current_and_noncurrent_versions_colder(self):
        b = new_bucket("life", versioned=True)
        old = S3.put_object(Bucket=b, Key="logs/a", Body=b"old")["VersionId"]
        cur = S3.put_object(Bucket=b, Key="logs/a", Body=b"current")["VersionId"]
        S3.put_object(Bucket=b, Key="keep/b", Body=b"not under the prefix")
        S3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [{
            "ID": "cold", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
            "Transitions": [{"Days": 1, "StorageClass": "STANDARD_IA"}, {"Days": 3, "StorageClass": "GLACIER"}],
            "NoncurrentVersionTransitions": [{"NoncurrentDays": 1, "StorageClass": "DEEP_ARCHIVE"}]}]})

        def head_class(version=None):
            kw = {"VersionId": version} if version else {}
            return S3.head_object(Bucket=b, Key="logs/a", **kw).get("StorageClass")

        # A lifecycle day is 2 s: IA after one day, GLACIER after three.
        wait_for("the current version in STANDARD_IA", lambda: head_class() in ("STANDARD_IA", "GLACIER"))
        wait_for("the current version in GLACIER", lambda: head_class() == "GLACIER")
        wait_for("the noncurrent version in DEEP_ARCHIVE", lambda: head_class(old) == "DEEP_ARCHIVE")
        # Transitions are not new versions.
        ids = [v["VersionId"] for v in S3.list_object_versions(Bucket=b, Prefix="logs/a")["Versions"]]
        self.assertEqual(sorted(ids), sorted([old, cur]))
        self.assertEqual(S3.get_object(Bucket=b, Key="logs/a")["Body"].read(), b"current")
        self.assertNotIn("StorageClass", S3.head_object(Bucket=b, Key="keep/b"))

    def test_a_transition_to_standard_is_refused(self):
        b = new_bucket("bad-life")
        for cls in ("STANDARD", "NOPE"):
            code = error(S3.put_bucket_lifecycle_configuration, Bucket=b, LifecycleConfiguration={"Rules": [{
                "ID": "x", "Status": "Enabled", "Filter": {"Prefix": ""},
                "Transitions": [{"Days": 1, "StorageClass": cls}]}]})
            self.assertIn(code, ("InvalidArgument", "InvalidStorageClass"), cls)


if __name__ == "__main__":
    unittest.main(verbosity=2)
