#!/usr/bin/python3
"""Conditional writes through the S3 gateway: If-None-Match: * and If-Match on PutObject
and CompleteMultipartUpload, If-Match on DeleteObject, as AWS documents them.

The condition is checked by the object API inside the version-list update that commits the
write, so racing writers of one new key under If-None-Match: * have exactly one winner.
Debian's botocore 1.29 predates the IfNoneMatch/IfMatch parameters, so the headers are added
to the signed request by an event handler. Run by boto3_test.sh (S3_URL names the server).
"""

import concurrent.futures
import unittest

from botocore.exceptions import ClientError

import boto3_test as base


def setUpModule():
    base.setUpModule()


client_with = base.client_with


def error_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    return 200, None


class ConditionalPutTest(unittest.TestCase):
    def test_if_none_match_creates_once_and_then_refuses(self):
        b = base.new_bucket("cond-none")
        only_new = client_with({"If-None-Match": "*"})
        only_new.put_object(Bucket=b, Key="k", Body=b"first")
        self.assertEqual(error_of(lambda: only_new.put_object(Bucket=b, Key="k", Body=b"second")),
                         (412, "PreconditionFailed"))
        self.assertEqual(base.S3.get_object(Bucket=b, Key="k")["Body"].read(), b"first")

    def test_racing_creators_of_one_key_have_exactly_one_winner(self):
        b = base.new_bucket("cond-race")
        bodies = [f"writer {i}".encode() * 100 for i in range(8)]
        clients = [client_with({"If-None-Match": "*"}) for _ in bodies]
        with concurrent.futures.ThreadPoolExecutor(len(bodies)) as pool:
            results = list(pool.map(lambda i: error_of(lambda: clients[i].put_object(Bucket=b, Key="race", Body=bodies[i])),
                                    range(len(bodies))))
        winners = [i for i, r in enumerate(results) if r[0] == 200]
        self.assertEqual(len(winners), 1, results)
        self.assertTrue(all(r == (412, "PreconditionFailed") for i, r in enumerate(results) if i not in winners), results)
        self.assertEqual(base.S3.get_object(Bucket=b, Key="race")["Body"].read(), bodies[winners[0]])

    def test_if_match_replaces_only_the_version_it_names(self):
        b = base.new_bucket("cond-match")
        etag = base.S3.put_object(Bucket=b, Key="k", Body=b"v1")["ETag"]
        newer = client_with({"If-Match": etag}).put_object(Bucket=b, Key="k", Body=b"v2")["ETag"]
        self.assertNotEqual(newer, etag)
        # The ETag it named is no longer current: a lost update is refused.
        self.assertEqual(error_of(lambda: client_with({"If-Match": etag}).put_object(Bucket=b, Key="k", Body=b"v3")),
                         (412, "PreconditionFailed"))
        self.assertEqual(base.S3.get_object(Bucket=b, Key="k")["Body"].read(), b"v2")
        self.assertEqual(error_of(lambda: client_with({"If-Match": etag}).put_object(Bucket=b, Key="absent", Body=b"x")),
                         (404, "NoSuchKey"))
        self.assertEqual(error_of(lambda: base.S3.head_object(Bucket=b, Key="absent"))[0], 404)

    def test_a_delete_marker_is_no_current_version(self):
        b = base.new_bucket("cond-marker", versioned=True)
        base.S3.put_object(Bucket=b, Key="k", Body=b"v1")
        only_new = client_with({"If-None-Match": "*"})
        self.assertEqual(error_of(lambda: only_new.put_object(Bucket=b, Key="k", Body=b"v2"))[0], 412)
        base.S3.delete_object(Bucket=b, Key="k")
        only_new.put_object(Bucket=b, Key="k", Body=b"v3")
        self.assertEqual(base.S3.get_object(Bucket=b, Key="k")["Body"].read(), b"v3")

    def test_other_forms_are_not_implemented(self):
        b = base.new_bucket("cond-forms")
        etag = base.S3.put_object(Bucket=b, Key="k", Body=b"v1")["ETag"]
        self.assertEqual(error_of(lambda: client_with({"If-None-Match": etag}).put_object(Bucket=b, Key="k", Body=b"x")),
                         (501, "NotImplemented"))
        self.assertEqual(base.S3.get_object(Bucket=b, Key="k")["Body"].read(), b"v1")


class ConditionalCompleteTest(unittest.TestCase):
    def complete(self, client, b, key, body):
        up = base.S3.create_multipart_upload(Bucket=b, Key=key)["UploadId"]
        etag = base.S3.upload_part(Bucket=b, Key=key, UploadId=up, PartNumber=1, Body=body)["ETag"]
        parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
        return up, lambda: client.complete_multipart_upload(Bucket=b, Key=key, UploadId=up, MultipartUpload=parts)

    def test_complete_under_if_none_match_refuses_an_existing_key(self):
        b = base.new_bucket("cond-mpu")
        only_new = client_with({"If-None-Match": "*"})
        _, done = self.complete(only_new, b, "new", b"a" * 1000)
        self.assertEqual(error_of(done), (200, None))
        self.assertEqual(base.S3.get_object(Bucket=b, Key="new")["Body"].read(), b"a" * 1000)
        base.S3.put_object(Bucket=b, Key="taken", Body=b"kept")
        up, done = self.complete(only_new, b, "taken", b"b" * 1000)
        self.assertEqual(error_of(done), (412, "PreconditionFailed"))
        self.assertEqual(base.S3.get_object(Bucket=b, Key="taken")["Body"].read(), b"kept")
        base.S3.abort_multipart_upload(Bucket=b, Key="taken", UploadId=up)

    def test_complete_under_if_match_needs_the_current_etag(self):
        b = base.new_bucket("cond-mpu-match")
        etag = base.S3.put_object(Bucket=b, Key="k", Body=b"v1")["ETag"]
        up, done = self.complete(client_with({"If-Match": '"0123456789abcdef0123456789abcdef"'}), b, "k", b"c" * 10)
        self.assertEqual(error_of(done), (412, "PreconditionFailed"))
        base.S3.abort_multipart_upload(Bucket=b, Key="k", UploadId=up)
        _, done = self.complete(client_with({"If-Match": etag}), b, "k", b"c" * 10)
        self.assertEqual(error_of(done), (200, None))
        self.assertEqual(base.S3.get_object(Bucket=b, Key="k")["Body"].read(), b"c" * 10)


class ConditionalDeleteTest(unittest.TestCase):
    def test_if_match_deletes_only_the_version_it_names(self):
        b = base.new_bucket("cond-del")
        etag = base.S3.put_object(Bucket=b, Key="k", Body=b"v1")["ETag"]
        stale = client_with({"If-Match": '"0123456789abcdef0123456789abcdef"'})
        self.assertEqual(error_of(lambda: stale.delete_object(Bucket=b, Key="k")), (412, "PreconditionFailed"))
        self.assertEqual(base.S3.get_object(Bucket=b, Key="k")["Body"].read(), b"v1")
        client_with({"If-Match": etag}).delete_object(Bucket=b, Key="k")
        self.assertEqual(error_of(lambda: base.S3.head_object(Bucket=b, Key="k"))[0], 404)
        # Without a condition a delete of nothing succeeds; with one it is 404.
        base.S3.delete_object(Bucket=b, Key="k")
        self.assertEqual(error_of(lambda: client_with({"If-Match": etag}).delete_object(Bucket=b, Key="k")),
                         (404, "NoSuchKey"))

    def test_if_match_in_a_versioned_bucket(self):
        b = base.new_bucket("cond-del-v", versioned=True)
        r1 = base.S3.put_object(Bucket=b, Key="k", Body=b"v1")
        r2 = base.S3.put_object(Bucket=b, Key="k", Body=b"v2")
        # A delete marker only over the current version it names.
        self.assertEqual(error_of(lambda: client_with({"If-Match": r1["ETag"]}).delete_object(Bucket=b, Key="k"))[0], 412)
        marker = client_with({"If-Match": r2["ETag"]}).delete_object(Bucket=b, Key="k")
        self.assertTrue(marker.get("DeleteMarker"))
        # A version by id: its own ETag decides.
        v1 = r1["VersionId"]
        self.assertEqual(error_of(lambda: client_with({"If-Match": r2["ETag"]}).delete_object(Bucket=b, Key="k", VersionId=v1))[0], 412)
        client_with({"If-Match": r1["ETag"]}).delete_object(Bucket=b, Key="k", VersionId=v1)
        versions = base.S3.list_object_versions(Bucket=b).get("Versions", [])
        self.assertEqual([v["VersionId"] for v in versions], [r2["VersionId"]])


if __name__ == "__main__":
    unittest.main()
