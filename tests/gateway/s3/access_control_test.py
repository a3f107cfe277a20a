#!/usr/bin/python3
"""S3 access control as AWS defines it, through boto3 and raw HTTP: ACLs (canned and
explicit, buckets and objects), anonymous access, bucket policies with conditions,
PublicAccessBlock, Object Ownership, and bucket names global per segment.

Two accounts: the default tenant ("alice" below: the gateway's own key pair) and a second
tenant ("bob") made with `ccow user create` while the server runs. Run by boto3_test.sh,
which exports CCOW and S3_STORE_FLAGS."""

import json
import os
import subprocess
import unittest
import uuid

import botocore
from botocore.exceptions import ClientError

import boto3_test as base

ALICE = None  # the default tenant
BOB = None  # a second tenant
ANON = None  # no credentials at all
BOB_ID = None
ALICE_ID = "default"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def setUpModule():
    global ALICE, BOB, ANON, BOB_ID
    base.setUpModule()
    ALICE = base.S3
    BOB_ID = "acl-" + uuid.uuid4().hex[:8]
    flags = os.environ["S3_STORE_FLAGS"].split()
    out = subprocess.run([os.environ["CCOW"], "--json", "user", "create", BOB_ID, *flags],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    made = json.loads(out)
    BOB = base.make_client(made["access_key"], made["secret_key"])
    ANON = base.make_client(signature_version=botocore.UNSIGNED)


def code(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        return "OK"
    except ClientError as e:
        return e.response["Error"]["Code"]


def status(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        return 200
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]


def bucket(tag, **kwargs):
    name = f"ac-{tag}-{uuid.uuid4().hex[:8]}"
    ALICE.create_bucket(Bucket=name, **kwargs)
    return name


def read(client, b, k):
    return client.get_object(Bucket=b, Key=k)["Body"].read()


def grants_of(acl):
    out = set()
    for g in acl["Grants"]:
        who = g["Grantee"].get("ID") or g["Grantee"].get("URI")
        out.add((who, g["Permission"]))
    return out


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class PrivateByDefaultTest(unittest.TestCase):
    def test_other_accounts_and_anonymous_callers_get_access_denied(self):
        b = bucket("private")
        ALICE.put_object(Bucket=b, Key="k", Body=b"secret")
        for client in (BOB, ANON):
            self.assertEqual(code(client.get_object, Bucket=b, Key="k"), "AccessDenied")
            self.assertEqual(code(client.list_objects_v2, Bucket=b), "AccessDenied")
            self.assertEqual(code(client.put_object, Bucket=b, Key="x", Body=b"x"), "AccessDenied")
            self.assertEqual(code(client.delete_object, Bucket=b, Key="k"), "AccessDenied")
            self.assertEqual(code(client.get_bucket_acl, Bucket=b), "AccessDenied")
            self.assertEqual(code(client.put_bucket_versioning, Bucket=b,
                                  VersioningConfiguration={"Status": "Enabled"}), "AccessDenied")
            self.assertEqual(code(client.delete_bucket, Bucket=b), "AccessDenied")
            # A missing key is not told apart from a forbidden one to who may not list.
            self.assertEqual(code(client.get_object, Bucket=b, Key="missing"), "AccessDenied")
            self.assertEqual(status(client.head_object, Bucket=b, Key="missing"), 403)
        self.assertEqual(read(ALICE, b, "k"), b"secret")
        self.assertEqual(code(ALICE.head_object, Bucket=b, Key="x"), "404")

    def test_anonymous_callers_cannot_list_or_create_buckets_but_learn_what_does_not_exist(self):
        self.assertEqual(code(ANON.list_buckets), "AccessDenied")
        self.assertEqual(code(ANON.create_bucket, Bucket="ac-anon-" + uuid.uuid4().hex[:8]), "AccessDenied")
        self.assertEqual(code(ANON.list_objects_v2, Bucket="ac-none-" + uuid.uuid4().hex[:8]), "NoSuchBucket")

    def test_default_acl_is_the_owner_with_full_control(self):
        b = bucket("defacl")
        ALICE.put_object(Bucket=b, Key="k", Body=b"x")
        for acl in (ALICE.get_bucket_acl(Bucket=b), ALICE.get_object_acl(Bucket=b, Key="k")):
            self.assertEqual(acl["Owner"]["ID"], ALICE_ID)
            self.assertEqual(grants_of(acl), {(ALICE_ID, "FULL_CONTROL")})


class BucketNamesTest(unittest.TestCase):
    def test_names_are_global_and_recreating_ones_own_bucket_is_ok_in_us_east_1(self):
        b = bucket("names")
        ALICE.put_object(Bucket=b, Key="k", Body=b"kept")
        self.assertEqual(code(BOB.create_bucket, Bucket=b), "BucketAlreadyExists")
        self.assertEqual(code(ALICE.create_bucket, Bucket=b), "OK")
        self.assertEqual(read(ALICE, b, "k"), b"kept")
        mine = f"ac-bob-{uuid.uuid4().hex[:8]}"
        BOB.create_bucket(Bucket=mine)
        self.assertEqual(code(ALICE.create_bucket, Bucket=mine), "BucketAlreadyExists")
        self.assertEqual([x["Name"] for x in BOB.list_buckets()["Buckets"]], [mine])
        self.assertNotIn(mine, [x["Name"] for x in ALICE.list_buckets()["Buckets"]])


class CannedAclTest(unittest.TestCase):
    def test_public_read_bucket_lists_to_anyone_but_objects_keep_their_own_acl(self):
        b = bucket("pubread", ACL="public-read")
        ALICE.put_object(Bucket=b, Key="private", Body=b"p")
        ALICE.put_object(Bucket=b, Key="public", Body=b"q", ACL="public-read")
        keys = [o["Key"] for o in ANON.list_objects_v2(Bucket=b)["Contents"]]
        self.assertEqual(keys, ["private", "public"])
        self.assertEqual(read(ANON, b, "public"), b"q")
        self.assertEqual(read(BOB, b, "public"), b"q")
        self.assertEqual(code(ANON.get_object, Bucket=b, Key="private"), "AccessDenied")
        # Who may list learns that a key does not exist.
        self.assertEqual(code(ANON.get_object, Bucket=b, Key="missing"), "NoSuchKey")
        self.assertEqual(code(ANON.put_object, Bucket=b, Key="w", Body=b"w"), "AccessDenied")
        self.assertEqual(grants_of(ALICE.get_bucket_acl(Bucket=b)), {(ALICE_ID, "FULL_CONTROL"), (ALL_USERS, "READ")})
        # The ACL's own document is not public.
        self.assertEqual(code(ANON.get_object_acl, Bucket=b, Key="public"), "AccessDenied")

    def test_authenticated_read_admits_any_signed_request_only(self):
        b = bucket("authread")
        ALICE.put_object(Bucket=b, Key="k", Body=b"a", ACL="authenticated-read")
        self.assertEqual(read(BOB, b, "k"), b"a")
        self.assertEqual(code(ANON.get_object, Bucket=b, Key="k"), "AccessDenied")

    def test_public_read_write_lets_anyone_write_and_writers_own_what_they_write(self):
        b = bucket("pubrw", ACL="public-read-write")
        BOB.put_object(Bucket=b, Key="bobs", Body=b"bob")
        acl = BOB.get_object_acl(Bucket=b, Key="bobs")
        self.assertEqual(acl["Owner"]["ID"], BOB_ID)
        # The bucket owner may delete it, but not read it: the object is bob's.
        self.assertEqual(code(ALICE.get_object, Bucket=b, Key="bobs"), "AccessDenied")
        BOB.put_object(Bucket=b, Key="shared", Body=b"s", ACL="bucket-owner-full-control")
        self.assertEqual(read(ALICE, b, "shared"), b"s")
        self.assertIn((ALICE_ID, "FULL_CONTROL"), grants_of(BOB.get_object_acl(Bucket=b, Key="shared")))
        ANON.put_object(Bucket=b, Key="anon", Body=b"n")
        self.assertEqual(ALICE.get_object_acl(Bucket=b, Key="anon")["Owner"]["ID"], ALICE_ID)
        ALICE.delete_object(Bucket=b, Key="bobs")
        self.assertEqual(code(BOB.get_object, Bucket=b, Key="bobs"), "NoSuchKey")

    def test_unknown_canned_acl_and_mixed_forms_are_refused(self):
        b = bucket("badacl")
        r = base.raw_request("PUT", f"/{b}/k", headers={"x-amz-acl": "public-everything"}, body=b"x")
        self.assertEqual((r.status, base.error_code(r.body)), (400, "InvalidArgument"))
        r = base.raw_request("PUT", f"/{b}/k", headers={"x-amz-acl": "public-read", "x-amz-grant-read": f"id={BOB_ID}"},
                             body=b"x")
        self.assertEqual((r.status, base.error_code(r.body)), (400, "InvalidRequest"))
        self.assertEqual(code(ALICE.head_object, Bucket=b, Key="k"), "404", "a refused put stored the object")


class ExplicitGrantTest(unittest.TestCase):
    def test_bucket_acl_document_grants_an_account_read(self):
        b = bucket("grantdoc")
        ALICE.put_object(Bucket=b, Key="k", Body=b"x")
        acl = ALICE.get_bucket_acl(Bucket=b)
        ALICE.put_bucket_acl(Bucket=b, AccessControlPolicy={
            "Owner": acl["Owner"],
            "Grants": acl["Grants"] + [{"Grantee": {"Type": "CanonicalUser", "ID": BOB_ID}, "Permission": "READ"}]})
        self.assertEqual(grants_of(ALICE.get_bucket_acl(Bucket=b)), {(ALICE_ID, "FULL_CONTROL"), (BOB_ID, "READ")})
        self.assertEqual([o["Key"] for o in BOB.list_objects_v2(Bucket=b)["Contents"]], ["k"])
        # Listing is not reading: the object's own ACL is still private.
        self.assertEqual(code(BOB.get_object, Bucket=b, Key="k"), "AccessDenied")
        self.assertEqual(code(BOB.get_object, Bucket=b, Key="missing"), "NoSuchKey")
        self.assertEqual(code(ANON.list_objects_v2, Bucket=b), "AccessDenied")

    def test_grant_headers_on_put_and_put_object_acl_change_who_reads(self):
        b = bucket("granthdr")
        ALICE.put_object(Bucket=b, Key="k", Body=b"v1", GrantRead=f'id="{BOB_ID}"')
        self.assertEqual(read(BOB, b, "k"), b"v1")
        self.assertEqual(grants_of(ALICE.get_object_acl(Bucket=b, Key="k")), {(BOB_ID, "READ")})
        # The owner keeps owner rights over the ACL even without a grant to itself.
        ALICE.put_object_acl(Bucket=b, Key="k", ACL="private")
        self.assertEqual(code(BOB.get_object, Bucket=b, Key="k"), "AccessDenied")
        self.assertEqual(read(ALICE, b, "k"), b"v1")
        ALICE.put_object_acl(Bucket=b, Key="k", GrantFullControl=f"id={BOB_ID}")
        self.assertEqual(read(BOB, b, "k"), b"v1")
        BOB.put_object_acl(Bucket=b, Key="k", ACL="public-read")  # FULL_CONTROL includes WRITE_ACP
        self.assertEqual(read(ANON, b, "k"), b"v1")
        self.assertEqual(ALICE.get_object_acl(Bucket=b, Key="k")["Owner"]["ID"], ALICE_ID, "an ACL moved the owner")

    def test_grants_to_unknown_accounts_or_emails_are_refused(self):
        b = bucket("unknown")
        self.assertEqual(code(ALICE.put_bucket_acl, Bucket=b, GrantRead="id=no-such-tenant-xyz"), "InvalidArgument")
        self.assertEqual(code(ALICE.put_bucket_acl, Bucket=b, GrantRead="emailAddress=a@example.com"),
                         "UnresolvableGrantByEmailAddress")
        r = base.raw_request("PUT", f"/{b}", query="acl", body=b"<AccessControlPolicy><Nonsense/>")
        self.assertEqual((r.status, base.error_code(r.body)), (400, "MalformedACLError"))

    def test_copy_reads_the_source_as_the_requester(self):
        src = bucket("copysrc")
        ALICE.put_object(Bucket=src, Key="k", Body=b"original")
        dst = f"ac-bobdst-{uuid.uuid4().hex[:8]}"
        BOB.create_bucket(Bucket=dst)
        self.assertEqual(code(BOB.copy_object, Bucket=dst, Key="c", CopySource={"Bucket": src, "Key": "k"}),
                         "AccessDenied")
        # A part copy reads its source the same way.
        up = BOB.create_multipart_upload(Bucket=dst, Key="p")["UploadId"]
        part = dict(Bucket=dst, Key="p", UploadId=up, PartNumber=1, CopySource={"Bucket": src, "Key": "k"})
        self.assertEqual(code(BOB.upload_part_copy, **part), "AccessDenied")
        ALICE.put_object_acl(Bucket=src, Key="k", GrantRead=f"id={BOB_ID}")
        BOB.copy_object(Bucket=dst, Key="c", CopySource={"Bucket": src, "Key": "k"})
        self.assertEqual(read(BOB, dst, "c"), b"original")
        etag = BOB.upload_part_copy(**part)["CopyPartResult"]["ETag"]
        BOB.complete_multipart_upload(Bucket=dst, Key="p", UploadId=up,
                                      MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertEqual(read(BOB, dst, "p"), b"original")
        # The copy is bob's, with its own (private) ACL, not the source's.
        self.assertEqual(grants_of(BOB.get_object_acl(Bucket=dst, Key="c")), {(BOB_ID, "FULL_CONTROL")})


class BucketPolicyTest(unittest.TestCase):
    def test_policy_grants_an_account_a_prefix(self):
        b = bucket("polprefix")
        ALICE.put_object(Bucket=b, Key="pub/a", Body=b"a")
        ALICE.put_object(Bucket=b, Key="priv/b", Body=b"b")
        doc = policy({"Sid": "BobReadsPub", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{BOB_ID}:root"},
                      "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/pub/*"},
                     {"Effect": "Allow", "Principal": {"AWS": BOB_ID}, "Action": "s3:ListBucket",
                      "Resource": f"arn:aws:s3:::{b}", "Condition": {"StringEquals": {"s3:prefix": "pub/"}}})
        ALICE.put_bucket_policy(Bucket=b, Policy=doc)
        self.assertEqual(json.loads(ALICE.get_bucket_policy(Bucket=b)["Policy"]), json.loads(doc))
        self.assertEqual(read(BOB, b, "pub/a"), b"a")
        self.assertEqual(code(BOB.get_object, Bucket=b, Key="priv/b"), "AccessDenied")
        self.assertEqual([o["Key"] for o in BOB.list_objects_v2(Bucket=b, Prefix="pub/")["Contents"]], ["pub/a"])
        self.assertEqual(code(BOB.list_objects_v2, Bucket=b, Prefix="priv/"), "AccessDenied")
        self.assertEqual(code(BOB.list_objects_v2, Bucket=b), "AccessDenied")
        self.assertEqual(code(ANON.get_object, Bucket=b, Key="pub/a"), "AccessDenied")
        self.assertFalse(ALICE.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"])
        self.assertEqual(code(BOB.get_bucket_policy, Bucket=b), "AccessDenied")
        ALICE.delete_bucket_policy(Bucket=b)
        self.assertEqual(code(BOB.get_object, Bucket=b, Key="pub/a"), "AccessDenied")
        self.assertEqual(code(ALICE.get_bucket_policy, Bucket=b), "NoSuchBucketPolicy")

    def test_explicit_deny_beats_ownership_but_never_locks_the_owner_out_of_the_policy(self):
        b = bucket("poldeny")
        ALICE.put_object(Bucket=b, Key="k", Body=b"x")
        ALICE.put_bucket_policy(Bucket=b, Policy=policy(
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
        self.assertEqual(code(ALICE.get_object, Bucket=b, Key="k"), "AccessDenied")
        self.assertEqual(code(ALICE.put_object, Bucket=b, Key="k2", Body=b"y"), "AccessDenied")
        self.assertEqual(code(ALICE.get_bucket_policy, Bucket=b), "OK")
        ALICE.delete_bucket_policy(Bucket=b)
        self.assertEqual(read(ALICE, b, "k"), b"x")

    def test_anonymous_access_by_source_address(self):
        b = bucket("polip")
        ALICE.put_object(Bucket=b, Key="k", Body=b"local")
        allow = lambda cidr: policy({"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
                                     "Resource": f"arn:aws:s3:::{b}/*",
                                     "Condition": {"IpAddress": {"aws:SourceIp": cidr}}})
        ALICE.put_bucket_policy(Bucket=b, Policy=allow("10.0.0.0/8"))
        self.assertEqual(code(ANON.get_object, Bucket=b, Key="k"), "AccessDenied")
        self.assertFalse(ALICE.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"])
        ALICE.put_bucket_policy(Bucket=b, Policy=allow("127.0.0.0/8"))
        self.assertEqual(read(ANON, b, "k"), b"local")
        ALICE.put_bucket_policy(Bucket=b, Policy=policy(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}))
        self.assertTrue(ALICE.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"])

    def test_malformed_policies_are_refused_and_change_nothing(self):
        b = bucket("polbad")
        good = policy({"Effect": "Allow", "Principal": {"AWS": BOB_ID}, "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{b}/*"})
        ALICE.put_bucket_policy(Bucket=b, Policy=good)
        for bad in ("not json",
                    policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::another-bucket/*"}),
                    policy({"Effect": "Maybe", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}),
                    policy({"Effect": "Allow", "Principal": "*", "Action": "ec2:RunInstances",
                            "Resource": f"arn:aws:s3:::{b}/*"})):
            self.assertEqual(code(ALICE.put_bucket_policy, Bucket=b, Policy=bad), "MalformedPolicy", bad)
        self.assertEqual(json.loads(ALICE.get_bucket_policy(Bucket=b)["Policy"]), json.loads(good))

    def test_delete_objects_is_authorized_key_by_key(self):
        b = bucket("poldelete")
        for k in ("tmp/a", "keep/b"):
            ALICE.put_object(Bucket=b, Key=k, Body=b"x")
        ALICE.put_bucket_policy(Bucket=b, Policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": BOB_ID}, "Action": "s3:DeleteObject",
             "Resource": f"arn:aws:s3:::{b}/tmp/*"}))
        out = BOB.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "tmp/a"}, {"Key": "keep/b"}]})
        self.assertEqual([d["Key"] for d in out.get("Deleted", [])], ["tmp/a"])
        self.assertEqual([(e["Key"], e["Code"]) for e in out.get("Errors", [])], [("keep/b", "AccessDenied")])
        self.assertEqual(read(ALICE, b, "keep/b"), b"x")
        self.assertEqual(code(ALICE.head_object, Bucket=b, Key="tmp/a"), "404")


class PublicAccessBlockTest(unittest.TestCase):
    def test_each_setting_does_what_aws_documents(self):
        b = bucket("pab")
        self.assertEqual(code(ALICE.get_public_access_block, Bucket=b), "NoSuchPublicAccessBlockConfiguration")
        ALICE.put_object(Bucket=b, Key="pub", Body=b"p", ACL="public-read")
        self.assertEqual(read(ANON, b, "pub"), b"p")
        conf = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": False}
        ALICE.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=conf)
        self.assertEqual(ALICE.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"], conf)
        self.assertEqual(code(ALICE.put_object, Bucket=b, Key="p2", Body=b"x", ACL="public-read"), "AccessDenied")
        self.assertEqual(code(ALICE.put_bucket_acl, Bucket=b, ACL="public-read"), "AccessDenied")
        public = policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"})
        self.assertEqual(code(ALICE.put_bucket_policy, Bucket=b, Policy=public), "AccessDenied")
        self.assertEqual(read(ANON, b, "pub"), b"p", "BlockPublicAcls keeps existing public ACLs")
        conf.update(IgnorePublicAcls=True)
        ALICE.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=conf)
        self.assertEqual(code(ANON.get_object, Bucket=b, Key="pub"), "AccessDenied")
        ALICE.delete_public_access_block(Bucket=b)
        self.assertEqual(read(ANON, b, "pub"), b"p")

    def test_restrict_public_buckets_limits_a_public_policy(self):
        b = bucket("pabrestrict")
        ALICE.put_object(Bucket=b, Key="k", Body=b"k")
        ALICE.put_bucket_policy(Bucket=b, Policy=policy(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}))
        self.assertEqual(read(ANON, b, "k"), b"k")
        self.assertEqual(read(BOB, b, "k"), b"k")
        ALICE.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
        self.assertEqual(code(ANON.get_object, Bucket=b, Key="k"), "AccessDenied")
        self.assertEqual(code(BOB.get_object, Bucket=b, Key="k"), "AccessDenied")
        self.assertEqual(read(ALICE, b, "k"), b"k")


class ObjectOwnershipTest(unittest.TestCase):
    def test_bucket_owner_enforced_disables_acls_and_owns_every_object(self):
        b = bucket("enforced", ObjectOwnership="BucketOwnerEnforced")
        rule = ALICE.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"][0]
        self.assertEqual(rule["ObjectOwnership"], "BucketOwnerEnforced")
        self.assertEqual(code(ALICE.put_object, Bucket=b, Key="k", Body=b"x", ACL="public-read"),
                         "AccessControlListNotSupported")
        ALICE.put_object(Bucket=b, Key="k", Body=b"x", ACL="bucket-owner-full-control")
        self.assertEqual(code(ALICE.put_bucket_acl, Bucket=b, ACL="public-read"), "AccessControlListNotSupported")
        ALICE.put_bucket_policy(Bucket=b, Policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": BOB_ID}, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{b}/*"}))
        BOB.put_object(Bucket=b, Key="from-bob", Body=b"b")
        self.assertEqual(read(ALICE, b, "from-bob"), b"b", "the bucket owner owns what bob wrote")
        self.assertEqual(ALICE.get_object_acl(Bucket=b, Key="from-bob")["Owner"]["ID"], ALICE_ID)
        self.assertEqual(code(BOB.get_object, Bucket=b, Key="from-bob"), "AccessDenied")

    def test_ownership_and_acl_conflicts_are_refused(self):
        name = f"ac-conflict-{uuid.uuid4().hex[:8]}"
        self.assertEqual(code(ALICE.create_bucket, Bucket=name, ACL="public-read", ObjectOwnership="BucketOwnerEnforced"),
                         "InvalidBucketAclWithObjectOwnership")
        b = bucket("pubthenenforce", ACL="public-read")
        self.assertEqual(code(ALICE.get_bucket_ownership_controls, Bucket=b), "OwnershipControlsNotFoundError")
        enforce = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        self.assertEqual(code(ALICE.put_bucket_ownership_controls, Bucket=b, OwnershipControls=enforce),
                         "InvalidBucketAclWithObjectOwnership")
        ALICE.put_bucket_acl(Bucket=b, ACL="private")
        ALICE.put_bucket_ownership_controls(Bucket=b, OwnershipControls=enforce)
        ALICE.delete_bucket_ownership_controls(Bucket=b)
        self.assertEqual(code(ALICE.get_bucket_ownership_controls, Bucket=b), "OwnershipControlsNotFoundError")

    def test_bucket_owner_preferred_takes_objects_written_with_bucket_owner_full_control(self):
        b = bucket("preferred", ACL="public-read-write", ObjectOwnership="BucketOwnerPreferred")
        BOB.put_object(Bucket=b, Key="given", Body=b"g", ACL="bucket-owner-full-control")
        BOB.put_object(Bucket=b, Key="kept", Body=b"k")
        self.assertEqual(ALICE.get_object_acl(Bucket=b, Key="given")["Owner"]["ID"], ALICE_ID)
        self.assertEqual(BOB.get_object_acl(Bucket=b, Key="kept")["Owner"]["ID"], BOB_ID)


class MultipartAclTest(unittest.TestCase):
    def test_acl_given_at_create_applies_to_the_completed_object(self):
        b = bucket("mpacl")
        up = ALICE.create_multipart_upload(Bucket=b, Key="mp", ACL="public-read")
        part = ALICE.upload_part(Bucket=b, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"m" * 1000)
        ALICE.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        self.assertEqual(read(ANON, b, "mp"), b"m" * 1000)
        self.assertEqual(code(BOB.upload_part, Bucket=b, Key="mp2", UploadId=up["UploadId"], PartNumber=1, Body=b"x"),
                         "AccessDenied")


if __name__ == "__main__":
    unittest.main(verbosity=2)
