#!/usr/bin/python3
"""Object checksums through the S3 gateway (x-amz-checksum-crc32, -crc32c, -crc64nvme,
-sha1, -sha256): verified against the bytes received (BadDigest and nothing stored when they
differ), in a header or in an aws-chunked trailer, kept with the version and returned by
GET/HEAD with x-amz-checksum-mode: ENABLED; multipart uploads get S3's composite form.

CRC32C and CRC64NVME are checked against the published check values of "123456789" (their
catalogue's), the others against Python's zlib and hashlib. Run by boto3_test.sh.
"""

import base64
import hashlib
import unittest
import zlib

from botocore.exceptions import ClientError

import boto3_test as base

CHECK = b"123456789"
KNOWN = {  # algorithm -> digest of CHECK
    "crc32": (0xCBF43926).to_bytes(4, "big"),
    "crc32c": (0xE3069283).to_bytes(4, "big"),
    "crc64nvme": (0xAE8B14860A799888).to_bytes(8, "big"),
    "sha1": hashlib.sha1(CHECK).digest(),
    "sha256": hashlib.sha256(CHECK).digest(),
}


def setUpModule():
    base.setUpModule()


def b64(raw):
    return base64.b64encode(raw).decode()


def put_raw(bucket, key, body, headers):
    return base.raw_request("PUT", f"/{bucket}/{key}", headers=headers, body=body)


def head_checksums(bucket, key, mode=True, extra=None):
    h = {"x-amz-checksum-mode": "ENABLED"} if mode else {}
    h.update(extra or {})
    r = base.raw_request("HEAD", f"/{bucket}/{key}", headers=h)
    return r.status, {k: v for k, v in r.headers.items() if k.startswith("x-amz-checksum-")}


class ChecksumHeaderTest(unittest.TestCase):
    def test_every_algorithm_is_verified_kept_and_returned(self):
        b = base.new_bucket("sum-all")
        for algo, digest in KNOWN.items():
            r = put_raw(b, algo, CHECK, {f"x-amz-checksum-{algo}": b64(digest)})
            self.assertEqual(r.status, 200, (algo, r))
            self.assertEqual(r.headers.get(f"x-amz-checksum-{algo}"), b64(digest), algo)
            status, sums = head_checksums(b, algo)
            self.assertEqual(status, 200)
            self.assertEqual(sums, {f"x-amz-checksum-{algo}": b64(digest), "x-amz-checksum-type": "FULL_OBJECT"}, algo)
            # Only when asked, and never for a range (it covers the whole object).
            self.assertEqual(head_checksums(b, algo, mode=False)[1], {})
            self.assertEqual(head_checksums(b, algo, extra={"Range": "bytes=0-3"})[1], {})

    def test_a_wrong_checksum_stores_nothing(self):
        b = base.new_bucket("sum-bad")
        wrong = bytearray(KNOWN["crc32c"])
        wrong[0] ^= 1
        r = put_raw(b, "k", CHECK, {"x-amz-checksum-crc32c": b64(bytes(wrong))})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(base.error_code(r.body), "BadDigest")
        self.assertEqual(base.raw_request("HEAD", f"/{b}/k").status, 404)
        # A large body (many chunks) with a wrong SHA-256 is refused too.
        big = bytes(range(256)) * (3 * 4096)
        r = put_raw(b, "big", big, {"x-amz-checksum-sha256": b64(hashlib.sha256(big + b"x").digest())})
        self.assertEqual((r.status, base.error_code(r.body)), (400, "BadDigest"))
        self.assertEqual(base.raw_request("HEAD", f"/{b}/big").status, 404)

    def test_malformed_and_conflicting_headers_are_invalid_requests(self):
        b = base.new_bucket("sum-form")
        cases = [
            {"x-amz-checksum-crc32": "not base64!"},
            {"x-amz-checksum-crc32": b64(b"\x00" * 8)},  # the wrong length for CRC32
            {"x-amz-checksum-crc32": b64(KNOWN["crc32"]), "x-amz-checksum-sha1": b64(KNOWN["sha1"])},
            {"x-amz-sdk-checksum-algorithm": "CRC32"},  # announced, no value
            {"x-amz-sdk-checksum-algorithm": "SHA1", "x-amz-checksum-crc32": b64(KNOWN["crc32"])},
        ]
        for headers in cases:
            r = put_raw(b, "k", CHECK, headers)
            self.assertEqual((r.status, base.error_code(r.body)), (400, "InvalidRequest"), headers)
        self.assertEqual(base.raw_request("HEAD", f"/{b}/k").status, 404)


class ChecksumTrailerTest(unittest.TestCase):
    def put_with_trailer(self, bucket, key, body, algo, value):
        """An aws-chunked body (STREAMING-UNSIGNED-PAYLOAD-TRAILER) whose checksum is in the
        trailer, as current SDKs send uploads."""
        framed = b""
        for i in range(0, len(body), 5000):
            piece = body[i:i + 5000]
            framed += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        framed += f"0\r\nx-amz-checksum-{algo}:{value}\r\n\r\n".encode()
        headers = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(body)),
                   "x-amz-trailer": f"x-amz-checksum-{algo}", "content-length": str(len(framed))}
        return base.raw_request("PUT", f"/{bucket}/{key}", headers=headers, body=framed,
                                payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")

    def test_a_trailer_checksum_is_recomputed(self):
        b = base.new_bucket("sum-trailer")
        body = bytes(range(256)) * 100
        good = zlib.crc32(body).to_bytes(4, "big")
        r = self.put_with_trailer(b, "good", body, "crc32", b64(good))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(head_checksums(b, "good")[1].get("x-amz-checksum-crc32"), b64(good))
        self.assertEqual(base.S3.get_object(Bucket=b, Key="good")["Body"].read(), body)
        bad = (zlib.crc32(body) ^ 1).to_bytes(4, "big")
        r = self.put_with_trailer(b, "bad", body, "crc32", b64(bad))
        self.assertEqual((r.status, base.error_code(r.body)), (400, "BadDigest"))
        self.assertEqual(base.raw_request("HEAD", f"/{b}/bad").status, 404)


class ChecksumBoto3Test(unittest.TestCase):
    def test_boto3_checksum_algorithms_round_trip(self):
        b = base.new_bucket("sum-boto3")
        body = b"boto3 sends a checksum with this body" * 50
        want = {"CRC32": b64(zlib.crc32(body).to_bytes(4, "big")),
                "SHA1": b64(hashlib.sha1(body).digest()),
                "SHA256": b64(hashlib.sha256(body).digest())}
        for algo, value in want.items():
            base.S3.put_object(Bucket=b, Key=algo, Body=body, ChecksumAlgorithm=algo)
            head = base.S3.head_object(Bucket=b, Key=algo, ChecksumMode="ENABLED")
            self.assertEqual(head.get(f"Checksum{algo}"), value, algo)
            got = base.S3.get_object(Bucket=b, Key=algo, ChecksumMode="ENABLED")
            self.assertEqual(got["Body"].read(), body)
            self.assertEqual(got.get(f"Checksum{algo}"), value, algo)

    def test_multipart_parts_make_a_composite_checksum(self):
        b = base.new_bucket("sum-mpu")
        parts = [bytes([65 + i]) * (5 * base.MiB if i < 2 else 1000) for i in range(3)]
        up = base.S3.create_multipart_upload(Bucket=b, Key="k", ChecksumAlgorithm="SHA256")["UploadId"]
        done = []
        for i, p in enumerate(parts, 1):
            r = base.S3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=i, Body=p, ChecksumAlgorithm="SHA256")
            self.assertEqual(r.get("ChecksumSHA256"), b64(hashlib.sha256(p).digest()))
            done.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
        r = base.S3.complete_multipart_upload(Bucket=b, Key="k", UploadId=up, MultipartUpload={"Parts": done})
        composite = b64(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()) + "-3"
        self.assertEqual(r.get("ChecksumSHA256"), composite)
        status, sums = head_checksums(b, "k")
        self.assertEqual(sums, {"x-amz-checksum-sha256": composite, "x-amz-checksum-type": "COMPOSITE"})
        self.assertEqual(base.S3.get_object(Bucket=b, Key="k")["Body"].read(), b"".join(parts))
        # Each part keeps its own: in GetObjectAttributes and on a GET of that part.
        attrs = base.S3.get_object_attributes(Bucket=b, Key="k", ObjectAttributes=["Checksum", "ObjectParts"])
        self.assertEqual(attrs["Checksum"]["ChecksumSHA256"], composite)
        self.assertEqual([(x["PartNumber"], x.get("ChecksumSHA256")) for x in attrs["ObjectParts"]["Parts"]],
                         [(i, b64(hashlib.sha256(p).digest())) for i, p in enumerate(parts, 1)])
        got = base.S3.get_object(Bucket=b, Key="k", PartNumber=3, ChecksumMode="ENABLED")
        self.assertEqual(got["Body"].read(), parts[2])
        self.assertEqual(got.get("ChecksumSHA256"), b64(hashlib.sha256(parts[2]).digest()))

    def test_a_complete_listing_another_checksum_for_a_part_is_refused(self):
        b = base.new_bucket("sum-mpu-bad")
        up = base.S3.create_multipart_upload(Bucket=b, Key="k", ChecksumAlgorithm="CRC32")["UploadId"]
        r = base.S3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=1, Body=b"part", ChecksumAlgorithm="CRC32")
        wrong = b64(zlib.crc32(b"other").to_bytes(4, "big"))
        with self.assertRaises(ClientError) as e:
            base.S3.complete_multipart_upload(Bucket=b, Key="k", UploadId=up, MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": r["ETag"], "ChecksumCRC32": wrong}]})
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidPart")
        # The upload is still there: the right checksum completes it.
        base.S3.complete_multipart_upload(Bucket=b, Key="k", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]}]})
        self.assertEqual(base.S3.get_object(Bucket=b, Key="k")["Body"].read(), b"part")


    def test_a_full_object_crc_covers_every_byte_of_a_multipart_upload(self):
        # x-amz-checksum-type is newer than Debian's botocore: added to the signed request.
        with_headers = base.client_with
        b = base.new_bucket("sum-full")
        full = with_headers({"x-amz-checksum-type": "FULL_OBJECT"})
        parts = [bytes([70 + i]) * (5 * base.MiB if i < 2 else 1234) for i in range(3)]
        up = full.create_multipart_upload(Bucket=b, Key="k", ChecksumAlgorithm="CRC32")["UploadId"]
        done = []
        for i, p in enumerate(parts, 1):
            r = base.S3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=i, Body=p, ChecksumAlgorithm="CRC32")
            done.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
        whole = b"".join(parts)
        want = b64(zlib.crc32(whole).to_bytes(4, "big"))
        # A stated whole-object CRC that is not the bytes' is refused, and nothing is completed.
        wrong = with_headers({"x-amz-checksum-crc32": b64(zlib.crc32(b"nope").to_bytes(4, "big"))})
        with self.assertRaises(ClientError) as e:
            wrong.complete_multipart_upload(Bucket=b, Key="k", UploadId=up, MultipartUpload={"Parts": done})
        self.assertEqual(e.exception.response["Error"]["Code"], "BadDigest")
        r = with_headers({"x-amz-checksum-crc32": want}).complete_multipart_upload(
            Bucket=b, Key="k", UploadId=up, MultipartUpload={"Parts": done})
        self.assertEqual(r.get("ChecksumCRC32"), want, "the CRC of every byte, no part count")
        status, sums = head_checksums(b, "k")
        self.assertEqual(sums, {"x-amz-checksum-crc32": want, "x-amz-checksum-type": "FULL_OBJECT"})
        self.assertEqual(base.S3.get_object(Bucket=b, Key="k")["Body"].read(), whole)
        attrs = base.S3.get_object_attributes(Bucket=b, Key="k", ObjectAttributes=["ObjectParts"],
                                              MaxParts=1, PartNumberMarker=1)
        self.assertEqual([(x["PartNumber"], x.get("ChecksumCRC32")) for x in attrs["ObjectParts"]["Parts"]],
                         [(2, b64(zlib.crc32(parts[1]).to_bytes(4, "big")))])
        # FULL_OBJECT is for CRCs only; a part of another algorithm is refused as it
        # arrives, and a part without the CRC (sent raw: current SDKs add a CRC32 to every
        # part) cannot complete such an upload.
        with self.assertRaises(ClientError) as e:
            full.create_multipart_upload(Bucket=b, Key="s", ChecksumAlgorithm="SHA256")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidRequest")
        up = full.create_multipart_upload(Bucket=b, Key="m", ChecksumAlgorithm="CRC32")["UploadId"]
        with self.assertRaises(ClientError) as e:
            base.S3.upload_part(Bucket=b, Key="m", UploadId=up, PartNumber=1, Body=b"x", ChecksumAlgorithm="SHA1")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidRequest")
        r = base.raw_request("PUT", f"/{b}/m", f"partNumber=1&uploadId={up}", body=b"no crc")
        self.assertEqual(r.status, 200, r)
        with self.assertRaises(ClientError) as e:
            base.S3.complete_multipart_upload(Bucket=b, Key="m", UploadId=up, MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": r.headers["etag"]}]})
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidPart")


class ChecksumCopyTest(unittest.TestCase):
    def test_a_copy_keeps_a_whole_object_checksum_and_computes_a_new_one(self):
        b = base.new_bucket("sum-copy")
        body = b"copied with its checksum " * 4000  # chunks, not an inline object
        crc = b64(zlib.crc32(body).to_bytes(4, "big"))
        base.S3.put_object(Bucket=b, Key="src", Body=body, ChecksumAlgorithm="CRC32")
        r = base.S3.copy_object(Bucket=b, Key="same", CopySource={"Bucket": b, "Key": "src"})
        self.assertEqual(r["CopyObjectResult"].get("ChecksumCRC32"), crc)
        self.assertEqual(head_checksums(b, "same")[1], {"x-amz-checksum-crc32": crc, "x-amz-checksum-type": "FULL_OBJECT"})
        # Another algorithm is computed from the bytes, whether the copy reuses the
        # source's chunks (plain to plain) or seals them again (to SSE-C).
        sha = b64(hashlib.sha256(body).digest())
        r = base.S3.copy_object(Bucket=b, Key="sha", CopySource={"Bucket": b, "Key": "src"}, ChecksumAlgorithm="SHA256")
        self.assertEqual(r["CopyObjectResult"].get("ChecksumSHA256"), sha)
        self.assertEqual(head_checksums(b, "sha")[1], {"x-amz-checksum-sha256": sha, "x-amz-checksum-type": "FULL_OBJECT"})
        key = b"k" * 32
        r = base.S3.copy_object(Bucket=b, Key="sealed", CopySource={"Bucket": b, "Key": "src"},
                                ChecksumAlgorithm="SHA1", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
        self.assertEqual(r["CopyObjectResult"].get("ChecksumSHA1"), b64(hashlib.sha1(body).digest()))
        got = base.S3.get_object(Bucket=b, Key="sealed", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
        self.assertEqual(got["Body"].read(), body)
        # A source without one gives a copy without one; a bad algorithm name is refused.
        self.assertEqual(put_raw(b, "bare", b"no checksum", {}).status, 200)  # current SDKs would add a CRC32
        r = base.raw_request("PUT", f"/{b}/bare-copy", headers={"x-amz-copy-source": f"/{b}/bare"})
        self.assertEqual(r.status, 200, r)
        self.assertNotIn(b"<Checksum", r.body)
        self.assertEqual(head_checksums(b, "bare-copy")[1], {})
        r = base.raw_request("PUT", f"/{b}/bad", headers={"x-amz-copy-source": f"/{b}/src",
                                                         "x-amz-checksum-algorithm": "MD5"})
        self.assertEqual((r.status, base.error_code(r.body)), (400, "InvalidRequest"))

    def test_a_copy_of_a_composite_checksum_gets_the_whole_objects(self):
        b = base.new_bucket("sum-copy-mpu")
        parts = [b"p" * (5 * base.MiB), b"q" * 77]
        up = base.S3.create_multipart_upload(Bucket=b, Key="mpu", ChecksumAlgorithm="SHA1")["UploadId"]
        done = []
        for i, p in enumerate(parts, 1):
            r = base.S3.upload_part(Bucket=b, Key="mpu", UploadId=up, PartNumber=i, Body=p, ChecksumAlgorithm="SHA1")
            done.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumSHA1": r["ChecksumSHA1"]})
        base.S3.complete_multipart_upload(Bucket=b, Key="mpu", UploadId=up, MultipartUpload={"Parts": done})
        r = base.S3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "mpu"})
        whole = b64(hashlib.sha1(b"".join(parts)).digest())
        self.assertEqual(r["CopyObjectResult"].get("ChecksumSHA1"), whole)
        attrs = base.S3.get_object_attributes(Bucket=b, Key="copy", ObjectAttributes=["Checksum", "ObjectParts"])
        self.assertEqual(attrs["Checksum"]["ChecksumSHA1"], whole)
        # The part list stays (the ETag still counts parts) but not the parts' SHA1s.
        self.assertNotIn("ChecksumSHA1", attrs["ObjectParts"]["Parts"][0])

    def test_a_part_copy_carries_its_uploads_checksum(self):
        # CRC32: current botocore needs the CRT for CRC32C.
        b = base.new_bucket("sum-part-copy")
        body = bytes(range(256)) * 40000
        base.S3.put_object(Bucket=b, Key="src", Body=body)
        up = base.S3.create_multipart_upload(Bucket=b, Key="k", ChecksumAlgorithm="CRC32")["UploadId"]
        first = body[: 5 * base.MiB]
        r = base.S3.upload_part_copy(Bucket=b, Key="k", UploadId=up, PartNumber=1,
                                     CopySource={"Bucket": b, "Key": "src"},
                                     CopySourceRange=f"bytes=0-{len(first) - 1}")["CopyPartResult"]
        self.assertIn("ChecksumCRC32", r)
        p2 = base.S3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=2, Body=b"tail", ChecksumAlgorithm="CRC32")
        done = base.S3.complete_multipart_upload(Bucket=b, Key="k", UploadId=up, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]},
            {"PartNumber": 2, "ETag": p2["ETag"], "ChecksumCRC32": p2["ChecksumCRC32"]}]})
        self.assertTrue(done.get("ChecksumCRC32", "").endswith("-2"), done)
        # The part copy's CRC32 is the copied bytes': a GET of part 1 returns that range
        # with it, and a PUT of the same bytes with that CRC32 is accepted.
        got = base.S3.get_object(Bucket=b, Key="k", PartNumber=1, ChecksumMode="ENABLED")
        self.assertEqual(got["Body"].read(), first)
        self.assertEqual(got.get("ChecksumCRC32"), r["ChecksumCRC32"])
        check = put_raw(b, "check", first, {"x-amz-checksum-crc32": r["ChecksumCRC32"]})
        self.assertEqual(check.status, 200, check)


if __name__ == "__main__":
    unittest.main()
