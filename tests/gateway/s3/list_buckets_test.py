#!/usr/bin/python3
"""ListBuckets pagination as AWS serves it (prefix, max-buckets, continuation-token,
bucket-region), through raw signed requests: Debian's botocore 1.29 predates the parameters.
Run by boto3_test.sh."""

import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import boto3_test as base

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def setUpModule():
    base.setUpModule()


def list_buckets(**params):
    query = urllib.parse.urlencode(sorted(params.items()), quote_via=urllib.parse.quote)
    r = base.raw_request("GET", "/", query=query)
    return r


def page(**params):
    r = list_buckets(**params)
    assert r.status == 200, r
    root = ET.fromstring(r.body)
    names = [b.find(NS + "Name").text for b in root.iter(NS + "Bucket")]
    token = root.find(NS + "ContinuationToken")
    return names, token.text if token is not None else None


class ListBucketsTest(unittest.TestCase):
    def test_pages_cover_every_bucket_under_a_prefix_once_in_name_order(self):
        tag = "lb" + uuid.uuid4().hex[:6]
        made = sorted(f"{tag}-{i:02d}" for i in range(7))
        for name in made:
            base.S3.create_bucket(Bucket=name)
        seen, token, pages = [], None, 0
        while True:
            params = {"prefix": tag, "max-buckets": "3"}
            if token:
                params["continuation-token"] = token
            names, token = page(**params)
            seen += names
            pages += 1
            self.assertLessEqual(len(names), 3)
            if not token:
                break
            self.assertLess(pages, 10)
        self.assertEqual(seen, made)
        self.assertEqual(pages, 3)
        # Without parameters: every bucket, these among them, and no token.
        names, token = page()
        self.assertTrue(set(made) <= set(names))
        self.assertIsNone(token)
        # Another region has none of them.
        self.assertEqual(page(**{"bucket-region": "eu-west-3"})[0], [])

    def test_bad_parameters_are_invalid_arguments(self):
        for params in ({"max-buckets": "0"}, {"max-buckets": "10001"}, {"max-buckets": "x"},
                       {"continuation-token": "not base64!"}):
            r = list_buckets(**params)
            self.assertEqual((r.status, base.error_code(r.body)), (400, "InvalidArgument"), params)


if __name__ == "__main__":
    unittest.main()
