#include "gateway/s3/s3_acl.h"

#include <gtest/gtest.h>

#include "gateway/s3/s3_bucket_access.h"

namespace ccow::s3 {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

bool Known(std::string_view a) { return a == "alice" || a == "bob" || a == "carol"; }

const Requester kAlice{"alice"}, kBob{"bob"}, kAnonymous{""};

TEST(S3AclTest, CannedAclsGrantWhatAwsDocuments) {
  AccessControlList acl;
  ASSERT_TRUE(CannedAcl("private", "alice", "alice", &acl).ok());
  EXPECT_EQ(acl.PermissionsOf(kAlice), kPermFullControl);
  EXPECT_EQ(acl.PermissionsOf(kBob), 0);
  EXPECT_FALSE(acl.IsPublic());

  ASSERT_TRUE(CannedAcl("public-read", "alice", "alice", &acl).ok());
  EXPECT_EQ(acl.PermissionsOf(kAnonymous), kPermRead);
  EXPECT_EQ(acl.PermissionsOf(kBob), kPermRead);
  EXPECT_TRUE(acl.IsPublic());

  ASSERT_TRUE(CannedAcl("public-read-write", "alice", "alice", &acl).ok());
  EXPECT_EQ(acl.PermissionsOf(kAnonymous), kPermRead | kPermWrite);

  ASSERT_TRUE(CannedAcl("authenticated-read", "alice", "alice", &acl).ok());
  EXPECT_EQ(acl.PermissionsOf(kAnonymous), 0) << "anonymous callers are not authenticated";
  EXPECT_EQ(acl.PermissionsOf(kBob), kPermRead);

  // An object written by bob into alice's bucket.
  ASSERT_TRUE(CannedAcl("bucket-owner-read", "bob", "alice", &acl).ok());
  EXPECT_EQ(acl.owner, "bob");
  EXPECT_EQ(acl.PermissionsOf(kAlice), kPermRead);
  EXPECT_EQ(acl.PermissionsOf(kBob), kPermFullControl);
  ASSERT_TRUE(CannedAcl("bucket-owner-full-control", "bob", "alice", &acl).ok());
  EXPECT_EQ(acl.PermissionsOf(kAlice), kPermFullControl);
  // On the owner's own object it is just private.
  ASSERT_TRUE(CannedAcl("bucket-owner-full-control", "alice", "alice", &acl).ok());
  EXPECT_EQ(acl, PrivateAcl("alice"));

  S3Error e = CannedAcl("public-everything", "alice", "alice", &acl);
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.code, "InvalidArgument");
}

TEST(S3AclTest, GrantHeadersNameAccountsAndGroups) {
  std::optional<AccessControlList> acl;
  Headers h{{"x-amz-grant-read", "id=\"bob\", uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""},
            {"x-amz-grant-write-acp", "id=carol"}};
  ASSERT_TRUE(AclFromHeaders(h, "alice", "alice", Known, &acl).ok());
  ASSERT_TRUE(acl.has_value());
  EXPECT_EQ(acl->owner, "alice");
  EXPECT_EQ(acl->PermissionsOf(kBob), kPermRead);
  EXPECT_EQ(acl->PermissionsOf(Requester{"carol"}), kPermRead | kPermWriteAcp) << "AllUsers READ reaches carol too";
  EXPECT_EQ(acl->PermissionsOf(kAnonymous), kPermRead);
  EXPECT_EQ(acl->PermissionsOf(kAlice), kPermRead) << "explicit grants replace the owner's default grant";

  // No ACL headers: nothing asked.
  ASSERT_TRUE(AclFromHeaders({{"x-amz-meta-a", "b"}}, "alice", "alice", Known, &acl).ok());
  EXPECT_FALSE(acl.has_value());
}

TEST(S3AclTest, BadGrantHeadersAreRefusedWithAwsCodes) {
  std::optional<AccessControlList> acl;
  auto code = [&](Headers h) { return AclFromHeaders(h, "alice", "alice", Known, &acl).code; };
  EXPECT_EQ(code({{"x-amz-acl", "public-read"}, {"x-amz-grant-read", "id=bob"}}), "InvalidRequest");
  EXPECT_EQ(code({{"x-amz-grant-read", "id=nobody"}}), "InvalidArgument");
  EXPECT_EQ(code({{"x-amz-grant-read", "emailAddress=\"bob@example.com\""}}), "UnresolvableGrantByEmailAddress");
  EXPECT_EQ(code({{"x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/Everyone\""}}),
            "InvalidArgument");
  EXPECT_EQ(code({{"x-amz-grant-read", "bob"}}), "InvalidArgument");
  EXPECT_EQ(code({{"x-amz-acl", "nope"}}), "InvalidArgument");
}

TEST(S3AclTest, AclXmlRoundTripsThroughTheParser) {
  AccessControlList acl;
  ASSERT_TRUE(CannedAcl("public-read-write", "alice", "alice", &acl).ok());
  acl.grants.push_back({GranteeKind::kAccount, "bob", kPermReadAcp});
  acl.grants.push_back({GranteeKind::kLogDelivery, "", kPermWrite});
  std::string xml = AclXml(acl);
  EXPECT_NE(xml.find("<Owner><ID>alice</ID><DisplayName>alice</DisplayName></Owner>"), std::string::npos);
  EXPECT_NE(xml.find("xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"),
            std::string::npos);
  EXPECT_NE(xml.find("<Permission>FULL_CONTROL</Permission>"), std::string::npos);
  AccessControlList back;
  S3Error e = ParseAclXml(xml, "alice", Known, &back);
  ASSERT_TRUE(e.ok()) << e.message;
  EXPECT_EQ(back, acl);
}

TEST(S3AclTest, AclXmlFromClientsWithoutTypesOrNamespacesParses) {
  // s3cmd and older SDKs send grantees without xsi:type; the child says what it is.
  const char* body =
      "<AccessControlPolicy><Owner><ID>alice</ID></Owner><AccessControlList>"
      "<Grant><Grantee><ID>bob</ID></Grantee><Permission>WRITE</Permission></Grant>"
      "<Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AuthenticatedUsers</URI></Grantee>"
      "<Permission>READ</Permission></Grant>"
      "</AccessControlList></AccessControlPolicy>";
  AccessControlList acl;
  S3Error e = ParseAclXml(body, "alice", Known, &acl);
  ASSERT_TRUE(e.ok()) << e.message;
  EXPECT_EQ(acl.PermissionsOf(kBob), kPermRead | kPermWrite);
  EXPECT_EQ(acl.PermissionsOf(kAnonymous), 0);
  EXPECT_EQ(acl.PermissionsOf(kAlice), kPermRead) << "the owner has only what is granted (plus owner rights)";
}

TEST(S3AclTest, BadAclXmlIsRefusedWithAwsCodes) {
  AccessControlList acl;
  auto code = [&](const std::string& body) { return ParseAclXml(body, "alice", Known, &acl).code; };
  std::string open = "<AccessControlPolicy><Owner><ID>alice</ID></Owner><AccessControlList>";
  std::string close = "</AccessControlList></AccessControlPolicy>";
  EXPECT_EQ(code("<AccessControlPolicy>"), "MalformedACLError");
  EXPECT_EQ(code("<Other/>"), "MalformedACLError");
  EXPECT_EQ(code(open + "<Grant><Grantee><ID>bob</ID></Grantee><Permission>ALL</Permission></Grant>" + close),
            "MalformedACLError");
  EXPECT_EQ(code(open + "<Grant><Permission>READ</Permission></Grant>" + close), "MalformedACLError");
  EXPECT_EQ(code(open + "<Grant><Grantee><ID>mallory</ID></Grantee><Permission>READ</Permission></Grant>" + close),
            "InvalidArgument");
  EXPECT_EQ(code(open +
                 "<Grant><Grantee><EmailAddress>a@b.c</EmailAddress></Grantee><Permission>READ</Permission>"
                 "</Grant>" +
                 close),
            "UnresolvableGrantByEmailAddress");
  // An ACL cannot hand the resource to someone else.
  S3Error e = ParseAclXml("<AccessControlPolicy><Owner><ID>bob</ID></Owner><AccessControlList/></AccessControlPolicy>",
                          "alice", Known, &acl);
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(e.code, "AccessDenied");
  std::string many = open;
  for (int i = 0; i < 101; ++i)
    many += std::string("<Grant><Grantee><ID>bob</ID></Grantee><Permission>") +
            (i % 2 ? "READ" : "WRITE") + "</Permission></Grant>";
  EXPECT_TRUE(ParseAclXml(many + close, "alice", Known, &acl).ok()) << "repeated grants merge";
  EXPECT_EQ(acl.grants.size(), 2u);
}

TEST(S3AclTest, StoredFormRoundTripsAndDamageIsRefused) {
  AccessControlList acl;
  ASSERT_TRUE(CannedAcl("log-delivery-write", "alice", "alice", &acl).ok());
  acl.grants.push_back({GranteeKind::kAuthenticatedUsers, "", kPermReadAcp});
  auto back = DecodeAcl(EncodeAcl(acl));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, acl);
  EXPECT_FALSE(DecodeAcl("").has_value());
  EXPECT_FALSE(DecodeAcl("{\"owner\":\"a\",\"grants\":[[\"g:Everyone\",1]]}").has_value());
  EXPECT_FALSE(DecodeAcl("{\"owner\":\"a\",\"grants\":[[\"a:b\",3]]}").has_value()) << "3 is no permission";
  EXPECT_FALSE(DecodeAcl("{\"owner\":\"a\"}").has_value());
}

TEST(S3BucketAccessTest, EmptyOrDamagedDocumentsArePrivateToTheOwner) {
  BucketAccess a = DecodeBucketAccess("", "alice");
  EXPECT_EQ(a.acl, PrivateAcl("alice"));
  EXPECT_TRUE(a.policy.empty());
  EXPECT_FALSE(a.public_access_block.has_value());
  EXPECT_EQ(a.ownership, ObjectOwnership::kObjectWriter);
  for (const char* damaged : {"{", "[]", "{\"acl\":{\"owner\":\"x\",\"grants\":[[\"g:AllUsers\",99]]}}",
                              "{\"acl\":{\"owner\":\"alice\",\"grants\":[]},\"pab\":[true]}"}) {
    BucketAccess d = DecodeBucketAccess(damaged, "alice");
    EXPECT_EQ(d.acl, PrivateAcl("alice")) << damaged;
    EXPECT_FALSE(d.acl.IsPublic()) << damaged;
  }
}

TEST(S3BucketAccessTest, EverySettingRoundTrips) {
  BucketAccess a;
  ASSERT_TRUE(CannedAcl("public-read", "alice", "alice", &a.acl).ok());
  a.policy = R"({"Version":"2012-10-17","Statement":[]})";
  a.public_access_block = PublicAccessBlock{true, false, true, false};
  a.ownership = ObjectOwnership::kBucketOwnerPreferred;
  a.ownership_set = true;
  BucketAccess b = DecodeBucketAccess(EncodeBucketAccess(a), "someone else");
  EXPECT_EQ(b.acl, a.acl);
  EXPECT_EQ(b.policy, a.policy);
  EXPECT_EQ(b.public_access_block, a.public_access_block);
  EXPECT_EQ(b.ownership, a.ownership);
  EXPECT_TRUE(b.ownership_set);
}

TEST(S3BucketAccessTest, PublicAccessBlockAndOwnershipDocuments) {
  PublicAccessBlock p;
  ASSERT_TRUE(ParsePublicAccessBlock(PublicAccessBlockXml({true, true, false, true}), &p).ok());
  EXPECT_EQ(p, (PublicAccessBlock{true, true, false, true}));
  ASSERT_TRUE(ParsePublicAccessBlock("<PublicAccessBlockConfiguration><BlockPublicAcls>TRUE</BlockPublicAcls>"
                                     "</PublicAccessBlockConfiguration>",
                                     &p)
                  .ok());
  EXPECT_EQ(p, (PublicAccessBlock{true, false, false, false})) << "absent settings are false";
  EXPECT_EQ(ParsePublicAccessBlock("<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls>"
                                   "</PublicAccessBlockConfiguration>",
                                   &p)
                .code,
            "MalformedXML");
  ObjectOwnership o;
  ASSERT_TRUE(ParseOwnershipControls(OwnershipControlsXml(ObjectOwnership::kBucketOwnerEnforced), &o).ok());
  EXPECT_EQ(o, ObjectOwnership::kBucketOwnerEnforced);
  EXPECT_EQ(ParseOwnershipControls("<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule>"
                                   "</OwnershipControls>",
                                   &o)
                .code,
            "MalformedXML");
  EXPECT_EQ(ParseOwnershipControls("<OwnershipControls/>", &o).code, "MalformedXML");
}

}  // namespace
}  // namespace ccow::s3
