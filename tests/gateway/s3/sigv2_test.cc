#include "gateway/s3/sigv2.h"

#include <gtest/gtest.h>

#include <string>

#include "gateway/s3/auth_test_util.h"
#include "gateway/s3/sigv4.h"  // SignRequest, UriEncode

namespace ccow::s3 {
namespace {

// The credentials and examples of AWS's SigV2 page ("Signing and authenticating REST
// requests", Authentication examples). The page now names the bucket awsexamplebucket1
// but kept the signatures computed for its first name, johnsmith: every published
// signature below verifies with "johnsmith" and none with the new name, so the examples
// are used as first published.
constexpr char kAk[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kBucket[] = "johnsmith";
constexpr char kBucketHost[] = "johnsmith.s3.amazonaws.com";
constexpr int64_t kGetTime = 1175024202;  // Tue, 27 Mar 2007 19:36:42 +0000

S3Error Verify(const SignedRequest& r, int64_t now, AuthContext* ctx = nullptr) {
  VerifyOptions opt;
  opt.now_unix = now;
  return VerifySigV2(r, OneKey(kAk, kSecret), opt, ctx);
}

std::string Auth(const std::string& signature) {
  return std::string("AWS ") + kAk + ":" + signature;
}

// Virtual-hosted-style request of the examples: Host johnsmith.s3.amazonaws.com.
SignedRequest Virtual(std::string method, std::string target,
                      std::vector<std::pair<std::string, std::string>> headers) {
  SignedRequest r{std::move(method), std::move(target), std::move(headers)};
  r.host_bucket = kBucket;
  return r;
}

SignedRequest ObjectGet() {
  return Virtual("GET", "/photos/puppy.jpg",
                 {{"host", kBucketHost},
                  {"date", "Tue, 27 Mar 2007 19:36:42 +0000"},
                  {"authorization", Auth("bWq2s1WEIj+Ydj0vQ697zp+IXMU=")}});
}

TEST(SigV2Examples, ObjectGet) {
  SignedRequest r = ObjectGet();
  EXPECT_EQ(SigV2StringToSign(r, false),
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg");
  AuthContext ctx;
  ExpectOk(Verify(r, kGetTime, &ctx));
  EXPECT_EQ(ctx.credentials.tenant, "tenant-a");
  EXPECT_EQ(ctx.signature_version, 2);
  EXPECT_FALSE(ctx.presigned);
  EXPECT_EQ(ctx.payload_hash, "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(ctx.signing_key.empty());
}

TEST(SigV2Examples, ObjectPut) {
  SignedRequest r = Virtual("PUT", "/photos/puppy.jpg",
                            {{"content-type", "image/jpeg"},
                             {"content-length", "94328"},
                             {"host", kBucketHost},
                             {"date", "Tue, 27 Mar 2007 21:15:45 +0000"},
                             {"authorization", Auth("MyyxeRY7whkBe+bq8fHCL/2kKUg=")}});
  EXPECT_EQ(SigV2StringToSign(r, false),
            "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg");
  ExpectOk(Verify(r, 1175030145));
}

// Query parameters that are not sub-resources are not signed; the resource keeps its '/'.
TEST(SigV2Examples, List) {
  SignedRequest r = Virtual("GET", "/?prefix=photos&max-keys=50&marker=puppy",
                            {{"user-agent", "Mozilla/5.0"},
                             {"host", kBucketHost},
                             {"date", "Tue, 27 Mar 2007 19:42:41 +0000"},
                             {"authorization", Auth("htDYFYduRNen8P9ZfE/s9SuKy0U=")}});
  EXPECT_EQ(SigV2StringToSign(r, false), "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/");
  ExpectOk(Verify(r, 1175024561));
  r.target = "/?prefix=other&max-keys=1";  // AWS does not sign these either
  ExpectOk(Verify(r, 1175024561));
}

TEST(SigV2Examples, FetchSubresource) {
  SignedRequest r = Virtual("GET", "/?acl",
                            {{"host", kBucketHost},
                             {"date", "Tue, 27 Mar 2007 19:44:46 +0000"},
                             {"authorization", Auth("c2WLPFtWHVgbEmeEG93a4cG37dM=")}});
  EXPECT_EQ(SigV2StringToSign(r, false),
            "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl");
  ExpectOk(Verify(r, 1175024686));
  r.target = "/?policy";  // another sub-resource is another resource
  ExpectError(Verify(r, 1175024686), 403, "SignatureDoesNotMatch");
}

// x-amz-* headers lower-cased, sorted, repeated ones joined by ','; only Content-MD5 and
// Content-Type of the entity headers; a CNAME-style bucket named by the whole Host.
SignedRequest Upload() {
  SignedRequest r{"PUT",
                  "/db-backup.dat.gz",
                  {{"user-agent", "curl/7.15.5"},
                   {"host", "static.johnsmith.net:8080"},
                   {"date", "Tue, 27 Mar 2007 21:06:08 +0000"},
                   {"x-amz-acl", "public-read"},
                   {"content-type", "application/x-download"},
                   {"content-md5", "4gJE4saaMU4BqNR0kLY+lw=="},
                   {"X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"},
                   {"X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"},
                   {"X-Amz-Meta-FileChecksum", "0x02661779"},
                   {"X-Amz-Meta-ChecksumAlgorithm", "crc32"},
                   {"content-disposition", "attachment; filename=database.dat"},
                   {"content-encoding", "gzip"},
                   {"content-length", "5913339"},
                   {"authorization", Auth("ilyl83RwaSoYIEdixDQcA4OnAnc=")}}};
  r.host_bucket = "static.johnsmith.net";
  return r;
}

TEST(SigV2Examples, UploadWithAmzHeaders) {
  SignedRequest r = Upload();
  EXPECT_EQ(SigV2StringToSign(r, false),
            "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\n"
            "Tue, 27 Mar 2007 21:06:08 +0000\n"
            "x-amz-acl:public-read\n"
            "x-amz-meta-checksumalgorithm:crc32\n"
            "x-amz-meta-filechecksum:0x02661779\n"
            "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
            "/static.johnsmith.net/db-backup.dat.gz");
  ExpectOk(Verify(r, 1175029568));
}

TEST(SigV2Examples, ListAllMyBuckets) {
  SignedRequest r{"GET",
                  "/",
                  {{"host", "s3.amazonaws.com"},
                   {"date", "Wed, 28 Mar 2007 01:29:59 +0000"},
                   {"authorization", Auth("qGdzdERIC03wnaRNKh6OqZehG9s=")}}};
  EXPECT_EQ(SigV2StringToSign(r, false), "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/");
  ExpectOk(Verify(r, 1175045399));
}

// The path is signed as received: escapes, and their case, are not normalized.
TEST(SigV2Examples, UnicodeKeysSignedUndecoded) {
  SignedRequest r{"GET",
                  "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
                  {{"host", "s3.amazonaws.com"},
                   {"date", "Wed, 28 Mar 2007 01:49:49 +0000"},
                   {"authorization", Auth("DNEZGsoieTZ92F3bUfSPQcbGmlM=")}}};
  ExpectOk(Verify(r, 1175046589));
  r.target = "/dictionary/fran%C3%A7ais/pr%C3%A9f%C3%A8re";  // same key, other bytes signed
  ExpectError(Verify(r, 1175046589), 403, "SignatureDoesNotMatch");
}

constexpr int64_t kQueryExpires = 1175139620;

SignedRequest QueryExample() {
  return Virtual("GET",
                 "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&"
                 "Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
                 {{"host", kBucketHost}});
}

TEST(SigV2Examples, QueryStringAuthentication) {
  SignedRequest r = QueryExample();
  EXPECT_EQ(SigV2StringToSign(r, true), "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg");
  AuthContext ctx;
  // Valid any time before Expires (no clock-skew rule for URLs), refused after.
  ExpectOk(Verify(r, kQueryExpires - 86400 * 365, &ctx));
  EXPECT_TRUE(ctx.presigned);
  EXPECT_EQ(ctx.signature_version, 2);
  ExpectOk(Verify(r, kQueryExpires));
  S3Error e = Verify(r, kQueryExpires + 1);
  ExpectError(e, 403, "AccessDenied");
  EXPECT_EQ(e.message, "Request has expired");
}

// ---- x-amz-date precedence. The page's Delete example prints the x-amz-date value in
// the Date position and no x-amz-date header line, and its signature was computed so; the
// rule the same page states (and botocore, s3cmd and AWS follow) is an empty Date position
// with x-amz-date signed among the x-amz-* headers. The rule is what is served.

SignedRequest DeleteWithAmzDate() {
  SignedRequest r{"DELETE",
                  "/johnsmith/photos/puppy.jpg",
                  {{"user-agent", "dotnet"},
                   {"host", "s3.amazonaws.com"},
                   {"date", "Tue, 27 Mar 2007 21:20:27 +0000"},
                   {"x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"}}};
  return r;
}

TEST(SigV2Date, AmzDateTakesPrecedenceAndEmptiesTheDatePosition) {
  SignedRequest r = DeleteWithAmzDate();
  std::string sts = SigV2StringToSign(r, false);
  EXPECT_EQ(sts,
            "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n"
            "/johnsmith/photos/puppy.jpg");
  r.headers.emplace_back("authorization", Auth(HmacSha1Base64(kSecret, sts)));
  ExpectOk(Verify(r, 1175030426));
  // Signed over the Date header instead (the published Delete signature): refused.
  SetHeader(r, "authorization", Auth("lx3byBScXR6KzyMaifNkardMwNk="));
  ExpectError(Verify(r, 1175030426), 403, "SignatureDoesNotMatch");
}

TEST(SigV2Date, ClockSkewOfTheDateThatCounts) {
  SignedRequest r = ObjectGet();
  ExpectOk(Verify(r, kGetTime + 14 * 60));
  ExpectOk(Verify(r, kGetTime - 14 * 60));
  ExpectError(Verify(r, kGetTime + 16 * 60), 403, "RequestTimeTooSkewed");
  ExpectError(Verify(r, kGetTime - 16 * 60), 403, "RequestTimeTooSkewed");
  // With x-amz-date, the Date header's time does not count.
  SignedRequest d = DeleteWithAmzDate();
  SetHeader(d, "date", "Tue, 27 Mar 2007 23:00:00 GMT");
  SignRequestV2(d, Credentials{kAk, kSecret, ""}, 0);
  ExpectOk(Verify(d, 1175030426));
  SetHeader(d, "x-amz-date", "Tue, 27 Mar 2007 23:00:00 GMT");
  SignRequestV2(d, Credentials{kAk, kSecret, ""}, 0);
  ExpectError(Verify(d, 1175030426), 403, "RequestTimeTooSkewed");
}

TEST(SigV2Date, MissingOrUnreadableDateIsAccessDenied) {
  SignedRequest r = ObjectGet();
  std::erase_if(r.headers, [](const auto& h) { return h.first == "date"; });
  S3Error e = Verify(r, kGetTime);
  ExpectError(e, 403, "AccessDenied");
  EXPECT_EQ(e.message, "AWS authentication requires a valid Date or x-amz-date header");
  r = ObjectGet();
  SetHeader(r, "date", "yesterday");
  ExpectError(Verify(r, kGetTime), 403, "AccessDenied");
}

// ---- Tampering: every signed part of a request, changed after signing, is refused.

TEST(SigV2Tamper, EverySignedPartIsCovered) {
  const int64_t upload_time = 1175029568;
  ExpectOk(Verify(Upload(), upload_time));
  auto refused = [&](const char* what, SignedRequest r) {
    SCOPED_TRACE(what);
    ExpectError(Verify(r, upload_time), 403, "SignatureDoesNotMatch");
  };
  SignedRequest r = Upload();
  r.method = "POST";
  refused("method", r);
  r = Upload();
  r.target = "/db-backup.dat.gz2";
  refused("path", r);
  r = Upload();
  r.target += "?uploads";
  refused("a sub-resource added", r);
  r = Upload();
  r.host_bucket = "static.johnsmith.com";  // replayed to another virtual-hosted bucket
  refused("bucket", r);
  r = Upload();
  SetHeader(r, "content-type", "text/html");
  refused("Content-Type", r);
  r = Upload();
  SetHeader(r, "content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==");
  refused("Content-MD5", r);
  r = Upload();
  SetHeader(r, "x-amz-acl", "public-read-write");
  refused("an x-amz-* header", r);
  r = Upload();
  r.headers.emplace_back("x-amz-storage-class", "GLACIER");
  refused("an x-amz-* header added", r);
  r = Upload();
  SetHeader(r, "date", "Tue, 27 Mar 2007 21:06:09 +0000");
  refused("Date", r);
  r = Upload();
  SetHeader(r, "authorization", Auth("ilyl83RwaSoYIEdixDQcA4OnAnd="));
  refused("signature", r);
  // Headers outside the StringToSign are not covered, as in AWS.
  r = Upload();
  SetHeader(r, "content-disposition", "inline");
  ExpectOk(Verify(r, upload_time));
}

TEST(SigV2Tamper, WrongSecretAndUnknownKey) {
  SignedRequest r = ObjectGet();
  SignRequestV2(r, Credentials{kAk, "not-the-secret", ""}, kGetTime);
  ExpectError(Verify(r, kGetTime), 403, "SignatureDoesNotMatch");
  r = ObjectGet();
  SignRequestV2(r, Credentials{"AKIANOSUCHKEY", kSecret, ""}, kGetTime);
  ExpectError(Verify(r, kGetTime), 403, "InvalidAccessKeyId");
}

TEST(SigV2Tamper, PresignedUrlParts) {
  auto refused = [](const char* what, SignedRequest r) {
    SCOPED_TRACE(what);
    ExpectError(Verify(r, kQueryExpires - 60), 403, "SignatureDoesNotMatch");
  };
  SignedRequest r = QueryExample();
  r.target.replace(r.target.find("1175139620"), 10, "1175139999");
  refused("Expires extended", r);
  r = QueryExample();
  r.target.replace(0, 17, "/photos/kitty.jpg");
  refused("key", r);
  r = QueryExample();
  r.method = "PUT";
  refused("method", r);
  r = QueryExample();
  r.target += "&versionId=3";
  refused("a sub-resource added", r);
  r = QueryExample();
  r.target += "&x-amz-acl=public-read";  // x-amz-* parameters are signed as headers
  refused("an x-amz-* parameter added", r);
}

// botocore moves a presigned request's x-amz-* headers into the query and signs them as
// headers; a response-* override is a sub-resource, signed with its decoded value.
TEST(SigV2Query, AmzParametersAndOverridesAreSigned) {
  SignedRequest r = Virtual("GET",
                            "/k?response-content-disposition=attachment%3B%20filename%3Da.txt"
                            "&x-amz-request-payer=requester&Expires=1175139620"
                            "&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE",
                            {{"host", kBucketHost}});
  std::string sts = SigV2StringToSign(r, true);
  EXPECT_EQ(sts,
            "GET\n\n\n1175139620\nx-amz-request-payer:requester\n"
            "/johnsmith/k?response-content-disposition=attachment; filename=a.txt");
  r.target += "&Signature=" + UriEncode(HmacSha1Base64(kSecret, sts), true);
  ExpectOk(Verify(r, kQueryExpires - 60));
}

TEST(SigV2Canonical, SubresourcesSortedByNameWithDecodedValues) {
  SignedRequest r{"PUT", "/b/k?uploadId=a%2Fb&partNumber=2&prefix=x&uploads", {}};
  EXPECT_EQ(SigV2CanonicalizedResource(r), "/b/k?partNumber=2&uploadId=a/b&uploads");
  r.host_bucket = "b";
  r.target = "/k?versionId=7&acl";
  EXPECT_EQ(SigV2CanonicalizedResource(r), "/b/k?acl&versionId=7");
  r.target = "/";
  EXPECT_EQ(SigV2CanonicalizedResource(r), "/b/");
}

// A path-style request to a bucket alone is signed "/bucket/" by the SDKs (botocore: "to
// generate a signature that the server will accept"); "/bucket", the page's rule read
// literally, is accepted too. Nothing else is.
TEST(SigV2Canonical, BareBucketPathSignedWithOrWithoutTheSlash) {
  SignedRequest r{"GET", "/johnsmith?acl", {{"date", "Tue, 27 Mar 2007 19:44:46 +0000"}}};
  EXPECT_EQ(SigV2CanonicalizedResource(r), "/johnsmith/?acl");
  auto signed_over = [&](const std::string& resource) {
    SignedRequest s = r;
    s.headers.emplace_back(
        "authorization",
        Auth(HmacSha1Base64(kSecret, "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n" + resource)));
    return Verify(s, 1175024686);
  };
  ExpectOk(signed_over("/johnsmith/?acl"));
  ExpectOk(signed_over("/johnsmith?acl"));
  ExpectError(signed_over("/johnsmith/x?acl"), 403, "SignatureDoesNotMatch");
  ExpectError(signed_over("/johnsmith/"), 403, "SignatureDoesNotMatch");
  // The published Fetch example, path style, signed as the SDKs do.
  SignedRequest fetch{"GET",
                      "/johnsmith?acl",
                      {{"host", "s3.amazonaws.com"},
                       {"date", "Tue, 27 Mar 2007 19:44:46 +0000"},
                       {"authorization", Auth("c2WLPFtWHVgbEmeEG93a4cG37dM=")}}};
  ExpectOk(Verify(fetch, 1175024686));
}

TEST(SigV2Reject, MalformedClaims) {
  for (const char* bad :
       {"AWS", "AWS AKIAIOSFODNN7EXAMPLE", "AWS :sig=", "AWS AKIAIOSFODNN7EXAMPLE:"}) {
    SignedRequest r = ObjectGet();
    SetHeader(r, "authorization", bad);
    ExpectError(Verify(r, kGetTime), 400, "InvalidArgument");
  }
  const std::string base = "/photos/puppy.jpg?";
  for (const char* query :
       {"AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
        "Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620",
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=x&Signature=y&Expires=1175139620",
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=x&Expires=soon"}) {
    SCOPED_TRACE(query);
    SignedRequest r = Virtual("GET", base + query, {{"host", kBucketHost}});
    ExpectError(Verify(r, kQueryExpires - 60), 403, "AccessDenied");
  }
  // The header and the query at once.
  SignedRequest both = QueryExample();
  both.headers.emplace_back("authorization", Auth("bWq2s1WEIj+Ydj0vQ697zp+IXMU="));
  ExpectError(Verify(both, kQueryExpires - 60), 400, "InvalidArgument");
}

// aws-chunked chunks chain from a SigV4 seed signature, which SigV2 does not have.
TEST(SigV2Reject, StreamingBodiesNeedSigV4) {
  for (const char* mode :
       {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}) {
    SignedRequest r = ObjectGet();
    r.headers.emplace_back("x-amz-content-sha256", mode);
    SignRequestV2(r, Credentials{kAk, kSecret, ""}, kGetTime);
    ExpectError(Verify(r, kGetTime), 400, "InvalidRequest");
  }
  // A declared SHA-256 is signed (an x-amz-* header) and kept to be checked on the body.
  SignedRequest r = ObjectGet();
  const std::string sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  r.headers.emplace_back("x-amz-content-sha256", sha);
  SignRequestV2(r, Credentials{kAk, kSecret, ""}, kGetTime);
  AuthContext ctx;
  ExpectOk(Verify(r, kGetTime, &ctx));
  EXPECT_EQ(ctx.payload_hash, sha);
}

TEST(SigV2Reject, SigV4RequestsAreNotItsForm) {
  SignedRequest r{"GET", "/b/k", {{"host", "h"}}};
  SignRequest(r, Credentials{kAk, kSecret, ""}, "us-east-1", "UNSIGNED-PAYLOAD", kGetTime);
  ExpectError(Verify(r, kGetTime), 400, "InvalidRequest");
}

}  // namespace
}  // namespace ccow::s3
