#!/usr/bin/python3
"""Browser POST uploads (POST Object with a multipart/form-data form): forms made by
botocore's generate_presigned_post (SigV4 and SigV2), the policy's conditions, expiry,
content-length-range, success_action_status/redirect and anonymous forms. Run by
boto3_test.sh."""

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import boto3_test as base

from botocore.exceptions import ClientError


def setUpModule():
    base.setUpModule()


def encode_form(fields, file_bytes, filename="upload.bin", file_type="application/octet-stream", after=None):
    boundary = "----ccowform" + uuid.uuid4().hex
    out = b""
    for name, value in fields:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").encode()
        out += (value if isinstance(value, bytes) else str(value).encode()) + b"\r\n"
    out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {file_type}\r\n\r\n").encode() + file_bytes + b"\r\n"
    for name, value in after or []:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def post(bucket, body, content_type):
    conn = http.client.HTTPConnection(base.HOST, base.PORT, timeout=60)
    try:
        conn.request("POST", f"/{bucket}", body=body, headers={"Content-Type": content_type, "Host": base.HOSTPORT})
        r = conn.getresponse()
        return base.Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def presigned(client, bucket, key, fields=None, conditions=None, expires=300):
    p = client.generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires)
    return list(p["fields"].items())


def sign_v2_policy(policy):
    doc = base64.b64encode(json.dumps(policy).encode()).decode()
    sig = base64.b64encode(hmac.new(base.SECRET_KEY.encode(), doc.encode(), hashlib.sha1).digest()).decode()
    return [("AWSAccessKeyId", base.ACCESS_KEY), ("policy", doc), ("signature", sig)]


def code_of(r):
    return ET.fromstring(r.body).find("Code").text


class PostObjectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bucket = base.new_bucket("post")

    def test_a_sigv4_form_from_botocore_stores_the_file_with_its_fields(self):
        data = os.urandom(300 * 1024)
        fields = presigned(base.PRESIGNER, self.bucket, "uploads/${filename}",
                           fields={"Content-Type": "image/png", "x-amz-meta-who": "browser",
                                   "success_action_status": "201"},
                           conditions=[["starts-with", "$key", "uploads/"], {"Content-Type": "image/png"},
                                       {"x-amz-meta-who": "browser"}, {"success_action_status": "201"}])
        body, ctype = encode_form(fields, data, filename="C:\\photos\\cat.png", file_type="image/png")
        r = post(self.bucket, body, ctype)
        self.assertEqual(r.status, 201, r)
        root = ET.fromstring(r.body)
        self.assertEqual(root.tag, "PostResponse")
        self.assertEqual(root.find("Key").text, "uploads/cat.png")
        self.assertEqual(root.find("ETag").text, f'"{hashlib.md5(data).hexdigest()}"')
        got = base.S3.get_object(Bucket=self.bucket, Key="uploads/cat.png")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ContentType"], "image/png")
        self.assertEqual(got["Metadata"], {"who": "browser"})

    def test_a_sigv2_form_stores_and_answers_204_by_default(self):
        expiration = (datetime.datetime.utcnow() + datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        policy = {"expiration": expiration,
                  "conditions": [{"bucket": self.bucket}, ["starts-with", "$key", ""], ["content-length-range", 1, 100]]}
        policy["conditions"].append({"acl": "public-read"})
        body, ctype = encode_form([("key", "v2.txt"), ("acl", "public-read")] + sign_v2_policy(policy), b"hello v2")
        r = post(self.bucket, body, ctype)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.headers["etag"], f'"{hashlib.md5(b"hello v2").hexdigest()}"')
        self.assertEqual(base.S3.get_object(Bucket=self.bucket, Key="v2.txt")["Body"].read(), b"hello v2")
        grants = base.S3.get_object_acl(Bucket=self.bucket, Key="v2.txt")["Grants"]
        self.assertIn(("http://acs.amazonaws.com/groups/global/AllUsers", "READ"),
                      [(g["Grantee"].get("URI"), g["Permission"]) for g in grants])

    def test_the_policy_decides_and_a_refused_form_stores_nothing(self):
        good = presigned(base.PRESIGNER, self.bucket, "p/${filename}",
                         conditions=[["starts-with", "$key", "p/"], ["content-length-range", 2, 10]])
        cases = []
        # Another key than the policy allows.
        cases.append(([(k, "q/x" if k == "key" else v) for k, v in good], b"abc", 403, "AccessDenied"))
        # A field the policy does not name.
        cases.append((good + [("x-amz-meta-extra", "1")], b"abc", 403, "AccessDenied"))
        # A tampered signature.
        cases.append(([(k, "0" * 64 if k == "x-amz-signature" else v) for k, v in good], b"abc", 403,
                      "SignatureDoesNotMatch"))
        # Too large, too small for content-length-range.
        cases.append((good, b"x" * 11, 400, "EntityTooLarge"))
        cases.append((good, b"x", 400, "EntityTooSmall"))
        # Expired.
        cases.append((presigned(base.PRESIGNER, self.bucket, "p/${filename}", expires=-10), b"abc", 403, "AccessDenied"))
        for i, (fields, data, status, code) in enumerate(cases):
            body, ctype = encode_form(fields, data, filename=f"refused{i}")
            r = post(self.bucket, body, ctype)
            self.assertEqual((r.status, code_of(r)), (status, code), (i, r))
        listed = base.S3.list_objects_v2(Bucket=self.bucket, Prefix="p/").get("Contents", [])
        listed += base.S3.list_objects_v2(Bucket=self.bucket, Prefix="q/").get("Contents", [])
        self.assertEqual(listed, [])
        # The same form within its bounds is stored.
        body, ctype = encode_form(good, b"fits", filename="ok")
        self.assertEqual(post(self.bucket, body, ctype).status, 204)
        self.assertEqual(base.S3.get_object(Bucket=self.bucket, Key="p/ok")["Body"].read(), b"fits")

    def test_success_action_redirect_sends_the_browser_on(self):
        fields = presigned(base.PRESIGNER, self.bucket, "r.txt",
                           fields={"success_action_redirect": "http://example.com/done?x=1"},
                           conditions=[{"success_action_redirect": "http://example.com/done?x=1"}])
        body, ctype = encode_form(fields, b"redirected", after=[("ignored", "after the file")])
        r = post(self.bucket, body, ctype)
        self.assertEqual(r.status, 303, r)
        loc = urllib.parse.urlsplit(r.headers["location"])
        q = dict(urllib.parse.parse_qsl(loc.query))
        self.assertEqual((loc.netloc, loc.path), ("example.com", "/done"))
        self.assertEqual((q["x"], q["bucket"], q["key"]), ("1", self.bucket, "r.txt"))
        self.assertEqual(q["etag"], f'"{hashlib.md5(b"redirected").hexdigest()}"')

    def test_malformed_forms_are_refused_with_s3_codes(self):
        r = post(self.bucket, b"key=a", "application/x-www-form-urlencoded")
        self.assertEqual((r.status, code_of(r)), (412, "PreconditionFailed"))
        fields = presigned(base.PRESIGNER, self.bucket, "m")
        body, ctype = encode_form([f for f in fields if f[0] != "key"], b"x")
        r = post(self.bucket, body, ctype)
        self.assertEqual((r.status, code_of(r)), (400, "InvalidArgument"))
        # Cut short inside the file: nothing stored.
        body, ctype = encode_form(fields, b"y" * 5000)
        r = post(self.bucket, body[:len(body) - 2000], ctype)
        self.assertEqual(r.status, 400, r)
        self.assertRaises(ClientError, base.S3.head_object, Bucket=self.bucket, Key="m")

    def test_anonymous_forms_need_a_bucket_that_lets_everyone_write(self):
        b = base.new_bucket("postanon")
        body, ctype = encode_form([("key", "anon.txt")], b"from anyone")
        r = post(b, body, ctype)
        self.assertEqual((r.status, code_of(r)), (403, "AccessDenied"))
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                  "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{b}/anon*"}]}
        base.S3.put_bucket_policy(Bucket=b, Policy=json.dumps(policy))
        r = post(b, body, ctype)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(base.S3.get_object(Bucket=b, Key="anon.txt")["Body"].read(), b"from anyone")


if __name__ == "__main__":
    unittest.main()
