#include "gateway/s3/s3_auth.h"

#include <gtest/gtest.h>

#include <string>

#include "gateway/s3/auth_test_util.h"
#include "gateway/s3/s3_addressing.h"
#include "gateway/s3/sigv2.h"
#include "gateway/s3/sigv4.h"

namespace ccow::s3 {
namespace {

constexpr char kAk[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "dispatch/secret";
constexpr int64_t kNow = 1700000000;

S3Error Auth(const SignedRequest& r, AuthContext* ctx = nullptr) {
  VerifyOptions opt;
  opt.now_unix = kNow;
  return Authenticate(r, OneKey(kAk, kSecret), opt, ctx);
}

AuthForm FormOf(const SignedRequest& r) {
  AuthForm form = AuthForm::kAnonymous;
  S3Error e = DetectAuthForm(r, &form);
  EXPECT_TRUE(e.ok()) << e.code << ": " << e.message;
  return form;
}

// The one dispatch point sends each form to its verifier; both answer for the same key.
TEST(S3Authenticate, EachFormReachesItsVerifier) {
  SignedRequest v4{"GET", "/b/k", {{"host", "localhost:9000"}}};
  SignRequest(v4, Credentials{kAk, kSecret, ""}, "us-east-1", "UNSIGNED-PAYLOAD", kNow);
  EXPECT_EQ(FormOf(v4), AuthForm::kSigV4Header);
  AuthContext ctx;
  ASSERT_TRUE(Auth(v4, &ctx).ok());
  EXPECT_EQ(ctx.signature_version, 4);
  EXPECT_EQ(ctx.credentials.tenant, "tenant-a");

  SignedRequest v2{"GET", "/b/k", {{"host", "localhost:9000"}}};
  SignRequestV2(v2, Credentials{kAk, kSecret, ""}, kNow);
  EXPECT_EQ(FormOf(v2), AuthForm::kSigV2Header);
  ctx = {};
  ASSERT_TRUE(Auth(v2, &ctx).ok());
  EXPECT_EQ(ctx.signature_version, 2);
  EXPECT_EQ(ctx.credentials.tenant, "tenant-a");

  SignedRequest q2{"GET", "/b/k?AWSAccessKeyId=AKIDEXAMPLE&Expires=1700000100", {}};
  q2.target +=
      "&Signature=" + UriEncode(HmacSha1Base64(kSecret, SigV2StringToSign(q2, true)), true);
  EXPECT_EQ(FormOf(q2), AuthForm::kSigV2Query);
  ctx = {};
  ASSERT_TRUE(Auth(q2, &ctx).ok());
  EXPECT_TRUE(ctx.presigned);
  EXPECT_EQ(ctx.signature_version, 2);

  EXPECT_EQ(FormOf(SignedRequest{"GET", "/b/k?X-Amz-Signature=00", {}}), AuthForm::kSigV4Query);
  SignedRequest anon{"GET", "/b/k", {{"host", "h"}}};
  EXPECT_EQ(FormOf(anon), AuthForm::kAnonymous);
  ctx = {};
  ctx.credentials.tenant = "left over";
  ASSERT_TRUE(Auth(anon, &ctx).ok()) << "anonymous requests go on to authorization";
  EXPECT_TRUE(ctx.anonymous);
  EXPECT_TRUE(ctx.credentials.tenant.empty());
  EXPECT_EQ(ctx.payload_hash, "UNSIGNED-PAYLOAD");
}

TEST(S3Authenticate, AmbiguousOrUnknownFormsAreRefused) {
  auto refused = [](SignedRequest r, int status, const char* code) {
    AuthForm form;
    S3Error e = DetectAuthForm(r, &form);
    EXPECT_EQ(e.http_status, status) << r.target;
    EXPECT_EQ(e.code, code) << e.message;
    EXPECT_EQ(Auth(r).code, code);
  };
  refused({"GET", "/b?AWSAccessKeyId=a&Signature=s&X-Amz-Signature=00", {}}, 400,
          "InvalidArgument");
  refused({"GET", "/b?Signature=s", {{"authorization", "AWS a:s"}}}, 400, "InvalidArgument");
  refused({"GET", "/b", {{"authorization", "AWS a:s"}, {"authorization", "AWS a:t"}}}, 400,
          "InvalidArgument");
  refused({"GET", "/b", {{"authorization", "Bearer token"}}}, 400, "InvalidArgument");
  refused({"GET", "/b", {{"authorization", "AWSX a:s"}}}, 400, "InvalidArgument");
  refused({"GET", "/b%zz", {{"authorization", "AWS a:s"}}}, 400, "InvalidURI");
}

// ---- Addressing (s3_addressing.h).

TEST(S3Addressing, PathStyleWithoutDomainsOrForOtherHosts) {
  S3Address a = ResolveAddress("/bk/dir/key", "bk.localhost:9000", {});
  EXPECT_EQ(a.bucket, "bk");
  EXPECT_EQ(a.key, "dir/key");
  EXPECT_FALSE(a.virtual_host);
  const std::vector<std::string> domains = {"localhost"};
  for (const char* host : {"localhost:9000", "localhost", "127.0.0.1:9000", "[::1]:9000",
                           "other.example:9000", ".localhost", ""}) {
    a = ResolveAddress("/bk/dir/key", host, domains);
    EXPECT_EQ(a.bucket, "bk") << host;
    EXPECT_EQ(a.key, "dir/key") << host;
    EXPECT_FALSE(a.virtual_host) << host;
  }
  a = ResolveAddress("/", "localhost:9000", domains);
  EXPECT_EQ(a.bucket, "");
  EXPECT_EQ(a.key, "");
}

TEST(S3Addressing, VirtualHostedBucketFromTheHost) {
  const std::vector<std::string> domains = {"localhost", "s3.example.com", "example.com"};
  S3Address a = ResolveAddress("/dir/key", "bk.localhost:9000", domains);
  EXPECT_TRUE(a.virtual_host);
  EXPECT_EQ(a.bucket, "bk");
  EXPECT_EQ(a.key, "dir/key");
  a = ResolveAddress("/", "BK.LocalHost.", domains);  // DNS names ignore case and a root dot
  EXPECT_EQ(a.bucket, "bk");
  EXPECT_EQ(a.key, "");
  // The whole path is the key, even when it starts like a bucket.
  a = ResolveAddress("/bk/x", "bk.localhost", domains);
  EXPECT_EQ(a.key, "bk/x");
  // Dotted bucket names; the longest domain wins.
  EXPECT_EQ(BucketFromHost("my.logs.example.com", domains), "my.logs");
  EXPECT_EQ(BucketFromHost("b.s3.example.com:443", domains), "b");
  EXPECT_EQ(BucketFromHost("s3.example.com", domains), "");  // a domain itself: path style
  EXPECT_EQ(BucketFromHost("s4.example.com", domains), "s4");
  EXPECT_EQ(BucketFromHost("b.notexample.com", domains), "");
}

TEST(S3Addressing, DomainsAreHostNames) {
  auto ok = NormalizeDomains({"S3.Example.COM.", "localhost"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<std::string>{"s3.example.com", "localhost"}));
  for (const char* bad : {"", "localhost:9000", "http://s3.example.com", "s3.example.com/x",
                          ".example.com", "a..b", "under_score.com"})
    EXPECT_FALSE(NormalizeDomains({bad}).ok()) << bad;
}

}  // namespace
}  // namespace ccow::s3
