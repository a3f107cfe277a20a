#!/usr/bin/env python3
"""S3 server-side encryption through boto3 (Debian's botocore), as AWS documents it.

One `ccow server` on a fresh data directory:
  - SSE-S3 (x-amz-server-side-encryption: AES256) on put, get, head, ranges, multipart;
  - SSE-C: the key on every request, 400 without it, 403 with another, the MD5 checked;
  - the bucket's default encryption (Put/Get/DeleteBucketEncryption), and ccow's
    convergent option, which keeps dedup;
  - copies between every kind (the copy is encrypted as its request says, never as its
    source was), UploadPartCopy from an SSE-C source;
  - aws:kms is 501 NotImplemented;
  - what reaches the disk is ciphertext (a plain object's bytes, the control, are found);
  - after a restart, SSE-S3 objects still read (the master key lives in the registry).
usage: encryption_test.py CCOW_BINARY
"""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

from botocore.exceptions import ClientError

import server_process

CCOW = os.path.realpath(sys.argv.pop(1)) if len(sys.argv) > 1 else None
WORK = tempfile.mkdtemp(prefix="ccow-sse.")
DATA = os.path.join(WORK, "data")
SERVER = server_process.ServerProcess(CCOW, DATA, os.path.join(WORK, "server.log"), [],
                                      lambda m: (_ for _ in ()).throw(RuntimeError(m)))
S3 = None
ADMIN = [None]
KEY = b"k" * 32
OTHER_KEY = b"o" * 32
MB = 1 << 20


def start():
    global S3
    s3, ADMIN[0] = SERVER.start()
    S3 = server_process.admin_client(s3)


def setUpModule():
    start()


def tearDownModule():
    SERVER.stop()
    shutil.rmtree(WORK, ignore_errors=True)


def error(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    return 200, None


def key_md5(key):
    return base64.b64encode(hashlib.md5(key).digest()).decode()


def sse_c(key=KEY):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def copy_sse_c(key=KEY):
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}


_buckets = iter(range(1000))


def new_bucket(tag):
    name = f"sse-{tag}-{next(_buckets)}"
    S3.create_bucket(Bucket=name)
    return name


def files_containing(marker):
    """Files under the data directory whose bytes contain marker."""
    found = []
    for root, _, names in os.walk(DATA):
        for n in names:
            path = os.path.join(root, n)
            try:
                with open(path, "rb") as f:
                    if marker in f.read():
                        found.append(path)
            except OSError:
                pass
    return found


class SseS3Test(unittest.TestCase):
    def test_put_get_head_and_ranges_report_aes256(self):
        b = new_bucket("s3")
        data = os.urandom(3 * MB + 17)  # several chunks
        put = S3.put_object(Bucket=b, Key="k", Body=data, ServerSideEncryption="AES256")
        self.assertEqual(put["ServerSideEncryption"], "AES256")
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
        got = S3.get_object(Bucket=b, Key="k")
        self.assertEqual(got["ServerSideEncryption"], "AES256")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(S3.head_object(Bucket=b, Key="k")["ServerSideEncryption"], "AES256")
        part = S3.get_object(Bucket=b, Key="k", Range="bytes=1048570-2097160")["Body"].read()
        self.assertEqual(part, data[1048570:2097161])
        small = b"a small sealed object"
        S3.put_object(Bucket=b, Key="small", Body=small, ServerSideEncryption="AES256")
        self.assertEqual(S3.get_object(Bucket=b, Key="small", Range="bytes=2-6")["Body"].read(), small[2:7])
        # A plain object says nothing of encryption.
        S3.put_object(Bucket=b, Key="plain", Body=b"x")
        self.assertNotIn("ServerSideEncryption", S3.head_object(Bucket=b, Key="plain"))

    def test_kms_is_not_implemented_and_unknown_methods_are_refused(self):
        b = new_bucket("kms")
        self.assertEqual(error(S3.put_object, Bucket=b, Key="k", Body=b"x", ServerSideEncryption="aws:kms"),
                         (501, "NotImplemented"))
        self.assertEqual(error(S3.put_object, Bucket=b, Key="k", Body=b"x", ServerSideEncryption="DES"),
                         (400, "InvalidArgument"))
        self.assertEqual(error(S3.head_object, Bucket=b, Key="k"), (404, "404"))

    def test_multipart_upload_is_sealed_under_one_key(self):
        b = new_bucket("mp")
        up = S3.create_multipart_upload(Bucket=b, Key="big", ServerSideEncryption="AES256")
        self.assertEqual(up["ServerSideEncryption"], "AES256")
        p1, p2 = os.urandom(5 * MB), os.urandom(1000)
        e1 = S3.upload_part(Bucket=b, Key="big", UploadId=up["UploadId"], PartNumber=1, Body=p1)
        self.assertEqual(e1["ServerSideEncryption"], "AES256")
        e2 = S3.upload_part(Bucket=b, Key="big", UploadId=up["UploadId"], PartNumber=2, Body=p2)
        done = S3.complete_multipart_upload(Bucket=b, Key="big", UploadId=up["UploadId"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["ETag"]}]})
        self.assertEqual(done["ServerSideEncryption"], "AES256")
        self.assertEqual(S3.get_object(Bucket=b, Key="big")["Body"].read(), p1 + p2)
        self.assertEqual(S3.get_object(Bucket=b, Key="big", PartNumber=2)["Body"].read(), p2)


class SseCTest(unittest.TestCase):
    def test_the_key_is_needed_on_every_read_and_only_it_opens(self):
        b = new_bucket("c")
        data = os.urandom(2 * MB + 5)
        put = S3.put_object(Bucket=b, Key="k", Body=data, **sse_c())
        self.assertEqual(put["SSECustomerAlgorithm"], "AES256")
        self.assertEqual(put["SSECustomerKeyMD5"], key_md5(KEY))
        # Not the MD5 of the bytes, which would let the store confirm a guess of them.
        self.assertNotEqual(put["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
        self.assertEqual(error(S3.get_object, Bucket=b, Key="k"), (400, "InvalidRequest"))
        self.assertEqual(error(S3.head_object, Bucket=b, Key="k"), (400, "400"))
        self.assertEqual(error(S3.get_object, Bucket=b, Key="k", **sse_c(OTHER_KEY)), (403, "AccessDenied"))
        got = S3.get_object(Bucket=b, Key="k", **sse_c())
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ETag"], put["ETag"])
        self.assertEqual(got["SSECustomerKeyMD5"], key_md5(KEY))
        head = S3.head_object(Bucket=b, Key="k", **sse_c())
        self.assertEqual(head["ContentLength"], len(data))
        self.assertEqual(S3.get_object(Bucket=b, Key="k", Range="bytes=10-19", **sse_c())["Body"].read(), data[10:20])
        # Its attributes too answer only to the key (which botocore does not encode for
        # this operation: given here as sent).
        def encoded(key):
            return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": base64.b64encode(key).decode(),
                    "SSECustomerKeyMD5": key_md5(key)}
        attrs = dict(Bucket=b, Key="k", ObjectAttributes=["ObjectSize"])
        self.assertEqual(error(S3.get_object_attributes, **attrs), (400, "InvalidRequest"))
        self.assertEqual(error(S3.get_object_attributes, **attrs, **encoded(OTHER_KEY)), (403, "AccessDenied"))
        self.assertEqual(S3.get_object_attributes(**attrs, **encoded(KEY))["ObjectSize"], len(data))
        # A key given for an object not sealed with one is an error too.
        S3.put_object(Bucket=b, Key="plain", Body=b"p")
        self.assertEqual(error(S3.get_object, Bucket=b, Key="plain", **sse_c()), (400, "InvalidRequest"))

    def test_bad_key_parameters_are_refused_before_anything_is_stored(self):
        b = new_bucket("cbad")
        self.assertEqual(error(S3.put_object, Bucket=b, Key="k", Body=b"x", SSECustomerAlgorithm="AES256",
                               SSECustomerKey=KEY.decode(), SSECustomerKeyMD5=key_md5(OTHER_KEY)),
                         (400, "InvalidArgument"))
        self.assertEqual(error(S3.put_object, Bucket=b, Key="k", Body=b"x", SSECustomerAlgorithm="AES256",
                               SSECustomerKey=b"short"), (400, "InvalidArgument"))
        self.assertEqual(error(S3.put_object, Bucket=b, Key="k", Body=b"x", SSECustomerAlgorithm="AES128",
                               SSECustomerKey=KEY), (400, "InvalidEncryptionAlgorithmError"))
        self.assertEqual(error(S3.put_object, Bucket=b, Key="k", Body=b"x", ServerSideEncryption="AES256", **sse_c()),
                         (400, "InvalidArgument"))
        self.assertEqual(S3.list_objects_v2(Bucket=b)["KeyCount"], 0)

    def test_multipart_needs_the_key_on_every_part(self):
        b = new_bucket("cmp")
        up = S3.create_multipart_upload(Bucket=b, Key="big", **sse_c())
        uid = up["UploadId"]
        self.assertEqual(up["SSECustomerKeyMD5"], key_md5(KEY))
        self.assertEqual(error(S3.upload_part, Bucket=b, Key="big", UploadId=uid, PartNumber=1, Body=b"x"),
                         (400, "InvalidRequest"))
        self.assertEqual(error(S3.upload_part, Bucket=b, Key="big", UploadId=uid, PartNumber=1, Body=b"x",
                               **sse_c(OTHER_KEY)), (403, "AccessDenied"))
        p1, p2 = os.urandom(5 * MB), os.urandom(3000)
        e1 = S3.upload_part(Bucket=b, Key="big", UploadId=uid, PartNumber=1, Body=p1, **sse_c())["ETag"]
        # The second part is copied from an SSE-C object under another key.
        S3.put_object(Bucket=b, Key="src", Body=p2, **sse_c(OTHER_KEY))
        e2 = S3.upload_part_copy(Bucket=b, Key="big", UploadId=uid, PartNumber=2, CopySource={"Bucket": b, "Key": "src"},
                                 **sse_c(), **copy_sse_c(OTHER_KEY))["CopyPartResult"]["ETag"]
        S3.complete_multipart_upload(Bucket=b, Key="big", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        self.assertEqual(S3.get_object(Bucket=b, Key="big", **sse_c())["Body"].read(), p1 + p2)
        self.assertEqual(error(S3.get_object, Bucket=b, Key="big"), (400, "InvalidRequest"))


class CopyTest(unittest.TestCase):
    def test_a_copy_is_encrypted_as_its_request_says(self):
        b = new_bucket("copy")
        data = os.urandom(MB + 3)
        S3.put_object(Bucket=b, Key="c", Body=data, **sse_c())
        # SSE-C -> SSE-S3 needs the source's key.
        self.assertEqual(error(S3.copy_object, Bucket=b, Key="s3", CopySource={"Bucket": b, "Key": "c"},
                               ServerSideEncryption="AES256"), (400, "InvalidRequest"))
        S3.copy_object(Bucket=b, Key="s3", CopySource={"Bucket": b, "Key": "c"}, ServerSideEncryption="AES256",
                       **copy_sse_c())
        got = S3.get_object(Bucket=b, Key="s3")
        self.assertEqual((got["ServerSideEncryption"], got["Body"].read()), ("AES256", data))
        # SSE-S3 -> plain (no encryption asked), -> SSE-C under another key, -> SSE-S3 again.
        S3.copy_object(Bucket=b, Key="plain", CopySource={"Bucket": b, "Key": "s3"})
        got = S3.get_object(Bucket=b, Key="plain")
        self.assertNotIn("ServerSideEncryption", got)
        self.assertEqual(got["Body"].read(), data)
        S3.copy_object(Bucket=b, Key="c2", CopySource={"Bucket": b, "Key": "plain"}, **sse_c(OTHER_KEY))
        self.assertEqual(S3.get_object(Bucket=b, Key="c2", **sse_c(OTHER_KEY))["Body"].read(), data)
        S3.copy_object(Bucket=b, Key="s3b", CopySource={"Bucket": b, "Key": "s3"}, ServerSideEncryption="AES256")
        self.assertEqual(S3.get_object(Bucket=b, Key="s3b")["Body"].read(), data)
        # Re-encrypting an object in place is a legal self-copy.
        S3.copy_object(Bucket=b, Key="plain", CopySource={"Bucket": b, "Key": "plain"}, ServerSideEncryption="AES256")
        self.assertEqual(S3.head_object(Bucket=b, Key="plain")["ServerSideEncryption"], "AES256")


class BucketDefaultTest(unittest.TestCase):
    def test_default_encryption_reaches_new_objects_until_deleted(self):
        b = new_bucket("default")
        self.assertEqual(error(S3.get_bucket_encryption, Bucket=b), (404, "ServerSideEncryptionConfigurationNotFoundError"))
        S3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        rule = S3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0]
        self.assertEqual(rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
        self.assertEqual(S3.put_object(Bucket=b, Key="k", Body=b"by default")["ServerSideEncryption"], "AES256")
        self.assertEqual(S3.get_object(Bucket=b, Key="k")["Body"].read(), b"by default")
        # An explicit SSE-C request still wins.
        self.assertNotIn("ServerSideEncryption", S3.put_object(Bucket=b, Key="c", Body=b"c", **sse_c()))
        self.assertEqual(error(S3.put_bucket_encryption, Bucket=b, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}), (501, "NotImplemented"))
        S3.delete_bucket_encryption(Bucket=b)
        self.assertEqual(error(S3.get_bucket_encryption, Bucket=b), (404, "ServerSideEncryptionConfigurationNotFoundError"))
        self.assertNotIn("ServerSideEncryption", S3.put_object(Bucket=b, Key="after", Body=b"plain"))
        self.assertEqual(S3.get_object(Bucket=b, Key="k")["Body"].read(), b"by default")

    def test_convergent_encryption_keeps_dedup(self):
        # ccow's <ConvergentEncryption> extension, sent as raw XML by an event handler.
        b = new_bucket("conv")
        xml = (b'<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>'
               b'<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>'
               b'<ConvergentEncryption>true</ConvergentEncryption></Rule></ServerSideEncryptionConfiguration>')

        def replace_body(params, **kwargs):  # before the request is built and signed
            params["body"] = xml
            params["headers"]["Content-MD5"] = base64.b64encode(hashlib.md5(xml).digest()).decode()
            for name in [h for h in params["headers"] if h.lower().startswith("x-amz-checksum-") or
                         h.lower() == "x-amz-sdk-checksum-algorithm"]:
                del params["headers"][name]

        raw = {}

        def keep_body(http_response, **kwargs):
            raw["body"] = http_response.content

        client = server_process.admin_client(S3.meta.endpoint_url)
        client.meta.events.register_last("before-call.s3.PutBucketEncryption", replace_body)
        client.meta.events.register("after-call.s3.GetBucketEncryption", keep_body)
        client.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        client.get_bucket_encryption(Bucket=b)
        self.assertIn(b"<ConvergentEncryption>true</ConvergentEncryption>", raw["body"])
        data = os.urandom(4 * MB)
        before = payload_bytes_written()
        S3.put_object(Bucket=b, Key="one", Body=data)
        S3.put_object(Bucket=b, Key="two", Body=data)
        written = payload_bytes_written() - before
        self.assertLess(written, 5 * MB, f"two equal convergent objects wrote {written} bytes: not deduplicated")
        self.assertEqual(S3.get_object(Bucket=b, Key="two")["Body"].read(), data)
        # Random data keys (plain SSE-S3) do not deduplicate: the control.
        c = new_bucket("noconv")
        before = payload_bytes_written()
        S3.put_object(Bucket=c, Key="one", Body=data, ServerSideEncryption="AES256")
        S3.put_object(Bucket=c, Key="two", Body=data, ServerSideEncryption="AES256")
        self.assertGreater(payload_bytes_written() - before, 8 * MB)


def payload_bytes_written():
    """The store's payload bytes written since start (the admin endpoint's metrics)."""
    text = urllib.request.urlopen(ADMIN[0] + "/metrics", timeout=10).read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("ccow_vdev_payload_bytes_written_total"))


class OnDiskTest(unittest.TestCase):
    def test_only_ciphertext_reaches_the_disk_and_keys_survive_a_restart(self):
        b = new_bucket("disk")
        markers = {kind: f"ccow-marker-{kind}-{os.urandom(8).hex()}".encode() for kind in ("plain", "s3", "c")}
        bodies = {kind: m + os.urandom(200 << 10) + m for kind, m in markers.items()}
        small = {kind: b"small-" + m for kind, m in markers.items()}
        S3.put_object(Bucket=b, Key="plain", Body=bodies["plain"])
        S3.put_object(Bucket=b, Key="plain-small", Body=small["plain"])
        S3.put_object(Bucket=b, Key="s3", Body=bodies["s3"], ServerSideEncryption="AES256")
        S3.put_object(Bucket=b, Key="s3-small", Body=small["s3"], ServerSideEncryption="AES256")
        S3.put_object(Bucket=b, Key="c", Body=bodies["c"], **sse_c())
        S3.put_object(Bucket=b, Key="c-small", Body=small["c"], **sse_c())
        SERVER.stop()  # every write is on disk, and nothing is cached
        self.assertTrue(files_containing(markers["plain"]), "the control: a plain object's bytes are on disk")
        self.assertEqual(files_containing(markers["s3"]), [])
        self.assertEqual(files_containing(markers["c"]), [])
        # The CLI reads SSE-S3 objects as the gateway does (the master key from the
        # registry); an SSE-C one only opens with its key, which the CLI does not take.
        def cli_get(key):
            return subprocess.run([CCOW, "object", "get", "--data", DATA, f"ccow/default/{b}/{key}"],
                                  capture_output=True, timeout=60)
        for key, body in (("s3", bodies["s3"]), ("s3-small", small["s3"]), ("plain", bodies["plain"])):
            got = cli_get(key)
            self.assertEqual((got.returncode, got.stderr), (0, b""), key)
            self.assertEqual(got.stdout, body, key)
        got = cli_get("c")
        self.assertNotEqual(got.returncode, 0)
        self.assertIn(b"customer key", got.stderr)
        self.assertEqual(got.stdout, b"")
        start()
        self.assertEqual(S3.get_object(Bucket=b, Key="s3")["Body"].read(), bodies["s3"])
        self.assertEqual(S3.get_object(Bucket=b, Key="s3-small")["Body"].read(), small["s3"])
        self.assertEqual(S3.get_object(Bucket=b, Key="c", **sse_c())["Body"].read(), bodies["c"])
        self.assertEqual(S3.get_object(Bucket=b, Key="c-small", **sse_c())["Body"].read(), small["c"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
