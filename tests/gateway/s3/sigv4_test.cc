#include "gateway/s3/sigv4.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/s3/auth_test_util.h"

namespace ccow::s3 {
namespace {

// The credentials, time and bucket of AWS's S3 SigV4 examples ("Examples: Signature
// Calculations in AWS Signature Version 4", S3 API reference).
constexpr char kAk[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kHost[] = "examplebucket.s3.amazonaws.com";
constexpr char kAmzDate[] = "20130524T000000Z";
constexpr int64_t kNow = 1369353600;  // 2013-05-24T00:00:00Z
constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kMismatch[] =
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.";

CredentialLookup Lookup(std::string secret = kSecret) { return OneKey(kAk, std::move(secret)); }

S3Error Verify(const SignedRequest& r, int64_t now = kNow, AuthContext* ctx = nullptr,
               const CredentialLookup& lookup = Lookup()) {
  VerifyOptions opt;
  opt.now_unix = now;
  return VerifySigV4(r, lookup, opt, ctx);
}


std::string AuthHeader(const std::string& signed_headers, const std::string& signature,
                       const std::string& sep = ",") {
  return std::string("AWS4-HMAC-SHA256 Credential=") + kAk + "/20130524/us-east-1/s3/aws4_request" +
         sep + "SignedHeaders=" + signed_headers + sep + "Signature=" + signature;
}


// GET Object with a Range header.
SignedRequest GetObjectExample() {
  return {"GET",
          "/test.txt",
          {{"host", kHost},
           {"range", "bytes=0-9 "},  // the trailing space is in AWS's example too
           {"x-amz-content-sha256", kEmptySha},
           {"x-amz-date", kAmzDate},
           {"authorization",
            AuthHeader("host;range;x-amz-content-sha256;x-amz-date",
                       "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")}}};
}

SignedRequest ListObjectsExample() {
  return {"GET",
          "/?max-keys=2&prefix=J",
          {{"host", kHost},
           {"x-amz-content-sha256", kEmptySha},
           {"x-amz-date", kAmzDate},
           {"authorization",
            AuthHeader("host;x-amz-content-sha256;x-amz-date",
                       "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")}}};
}

constexpr char kPresignedQuery[] =
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

SignedRequest PresignedExample() {
  return {"GET", std::string("/test.txt?") + kPresignedQuery, {{"host", kHost}}};
}

TEST(SigV4Primitives, Sha256AndHmacVectors) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  std::string mac = HmacSha256("Jefe", "what do ya want for nothing?");
  ASSERT_EQ(mac.size(), 32u);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : mac) hex += {kDigits[c >> 4], kDigits[c & 15]};
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // The empty key is a key like any other.
  hex.clear();
  for (unsigned char c : HmacSha256("", "")) hex += {kDigits[c >> 4], kDigits[c & 15]};
  EXPECT_EQ(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(SigV4Primitives, SigningKeyVector) {
  // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
  std::string key =
      DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : key) hex += {kDigits[c >> 4], kDigits[c & 15]};
  EXPECT_EQ(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Primitives, UriEncodeAndDecode) {
  EXPECT_EQ(UriEncode("a b/c~d_e.f-g", false), "a%20b/c~d_e.f-g");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b%2Fc");
  EXPECT_EQ(UriEncode("+=&%\xc3\xbc", true), "%2B%3D%26%25%C3%BC");
  EXPECT_EQ(UriDecode("a%20b%2Fc%c3%BC").value_or("?"), "a b/c\xc3\xbc");
  EXPECT_EQ(UriDecode("a+b").value_or("?"), "a+b");  // '+' is a plus, not a space
  EXPECT_FALSE(UriDecode("%"));
  EXPECT_FALSE(UriDecode("a%2"));
  EXPECT_FALSE(UriDecode("%zz"));
}

TEST(SigV4Canonical, GetObjectMatchesAwsText) {
  SignedRequest r = GetObjectExample();
  std::string canonical = CanonicalRequest(
      r, {"host", "range", "x-amz-content-sha256", "x-amz-date"}, kEmptySha, false);
  EXPECT_EQ(canonical, std::string("GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
                                   "range:bytes=0-9\nx-amz-content-sha256:") +
                           kEmptySha + "\nx-amz-date:20130524T000000Z\n\n" +
                           "host;range;x-amz-content-sha256;x-amz-date\n" + kEmptySha);
  // The hash of that canonical request, as AWS's example prints it in the string to sign.
  EXPECT_EQ(Sha256Hex(canonical),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST(SigV4Canonical, QuerySortedDecodedAndReencoded) {
  SignedRequest r{"GET", "/b/k%7e1?uploads&b=2&a=1&a=0&prefix=x%2Fy+z&e=%41", {{"host", "h"}}};
  std::string c = CanonicalRequest(r, {"host"}, "UNSIGNED-PAYLOAD", false);
  EXPECT_EQ(c,
            "GET\n/b/k~1\na=0&a=1&b=2&e=A&prefix=x%2Fy%2Bz&uploads=\nhost:h\n\nhost\n"
            "UNSIGNED-PAYLOAD");
}

TEST(SigV4Canonical, RepeatedHeadersJoinedAndSpacesFolded) {
  SignedRequest r{
      "PUT", "/", {{"host", "h"}, {"x-amz-meta-a", "  x   y  "}, {"x-amz-meta-a", "z"}}};
  std::string c = CanonicalRequest(r, {"host", "x-amz-meta-a"}, kEmptySha, false);
  EXPECT_NE(c.find("\nx-amz-meta-a:x y,z\n"), std::string::npos) << c;
}

TEST(SigV4Verify, GetObjectExample) {
  AuthContext ctx;
  ExpectOk(Verify(GetObjectExample(), kNow, &ctx));
  EXPECT_EQ(ctx.credentials.tenant, "tenant-a");
  EXPECT_FALSE(ctx.presigned);
  EXPECT_EQ(ctx.payload_hash, kEmptySha);
  EXPECT_EQ(ctx.seed_signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(ctx.amz_date, kAmzDate);
  EXPECT_EQ(ctx.scope, "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(ctx.signing_key, DeriveSigningKey(kSecret, "20130524", "us-east-1", "s3"));
}

TEST(SigV4Verify, AuthorizationSeparatorVariants) {
  for (std::string sep : {",", ", ", " ", " , ", ",  "}) {
    SignedRequest r = GetObjectExample();
    SetHeader(r, "authorization",
              AuthHeader("host;range;x-amz-content-sha256;x-amz-date",
                         "F0E8BDB87C964420E857BD35B5D6ED310BD44F0170ABA48DD91039C6036BDB41", sep));
    ExpectOk(Verify(r));
  }
}

TEST(SigV4Verify, PutObjectExample) {
  SignedRequest r{
      "PUT",
      "/test%24file.text",
      {{"host", kHost},
       {"date", "Fri, 24 May 2013 00:00:00 GMT"},
       {"x-amz-date", kAmzDate},
       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
       {"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
       {"authorization",
        AuthHeader("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                   "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")}}};
  AuthContext ctx;
  ExpectOk(Verify(r, kNow, &ctx));
  EXPECT_EQ(ctx.payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}

TEST(SigV4Verify, GetBucketLifecycleExample) {
  SignedRequest r{
      "GET",
      "/?lifecycle",
      {{"host", kHost},
       {"x-amz-date", kAmzDate},
       {"x-amz-content-sha256", kEmptySha},
       {"authorization",
        AuthHeader("host;x-amz-content-sha256;x-amz-date",
                   "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")}}};
  ExpectOk(Verify(r));
}

TEST(SigV4Verify, ListObjectsExample) { ExpectOk(Verify(ListObjectsExample())); }

TEST(SigV4Verify, PresignedExample) {
  AuthContext ctx;
  ExpectOk(Verify(PresignedExample(), kNow + 3600, &ctx));
  EXPECT_TRUE(ctx.presigned);
  EXPECT_EQ(ctx.payload_hash, "UNSIGNED-PAYLOAD");
  EXPECT_EQ(ctx.scope, "20130524/us-east-1/s3/aws4_request");
  ExpectOk(Verify(PresignedExample(), kNow + 86400));  // the last valid second
}

TEST(SigV4Verify, DateHeaderWhenNoAmzDate) {
  SignedRequest r{"GET",
                  "/k",
                  {{"host", "h"},
                   {"date", "Fri, 24 May 2013 00:00:00 GMT"},
                   {"x-amz-content-sha256", kEmptySha}}};
  std::vector<std::string> names = {"date", "host", "x-amz-content-sha256"};
  std::string sts = std::string("AWS4-HMAC-SHA256\n") + kAmzDate +
                    "\n20130524/us-east-1/s3/aws4_request\n" +
                    Sha256Hex(CanonicalRequest(r, names, kEmptySha, false));
  std::string mac = HmacSha256(DeriveSigningKey(kSecret, "20130524", "us-east-1", "s3"), sts);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : mac) hex += {kDigits[c >> 4], kDigits[c & 15]};
  r.headers.emplace_back("authorization", AuthHeader("date;host;x-amz-content-sha256", hex));
  AuthContext ctx;
  ExpectOk(Verify(r, kNow, &ctx));
  EXPECT_EQ(ctx.amz_date, kAmzDate);
}

TEST(SigV4Verify, RoundTripAwkwardKeys) {
  Credentials creds{"AKID/odd=chars+1", "s3cr3t+/=\xc3\xbc key", "tenant-b"};
  CredentialLookup lookup = [&](std::string_view ak) -> std::optional<Credentials> {
    if (ak == creds.access_key) return creds;
    return std::nullopt;
  };
  for (std::string key : {"b/a b+c%/\xc3\xbc", "b/plain", "b/", "b/~!*'()[]{}@#$^&=;:,?"}) {
    SignedRequest r{"PUT",
                    "/" + UriEncode(key, false) + "?prefix=a%20b&delimiter=%2F&uploads",
                    {{"host", "localhost:9000"},
                     {"content-type", "text/plain"},
                     {"x-amz-meta-note", "  spaced   out  "}}};
    SignRequest(r, creds, "eu-west-9", "UNSIGNED-PAYLOAD", kNow);
    AuthContext ctx;
    ExpectOk(Verify(r, kNow + 60, &ctx, lookup));
    EXPECT_EQ(ctx.credentials.tenant, "tenant-b");
    EXPECT_EQ(ctx.scope, "20130524/eu-west-9/s3/aws4_request");
    EXPECT_EQ(ctx.payload_hash, "UNSIGNED-PAYLOAD");
    // Signing again replaces the old signature headers instead of adding to them.
    SignRequest(r, creds, "eu-west-9", kEmptySha, kNow);
    ExpectOk(Verify(r, kNow, &ctx, lookup));
    EXPECT_EQ(ctx.payload_hash, kEmptySha);
    r.target = "/" + UriEncode(key + "x", false);
    ExpectError(Verify(r, kNow, nullptr, lookup), 403, "SignatureDoesNotMatch");
  }
}

TEST(SigV4Reject, WrongSecret) {
  S3Error e = Verify(GetObjectExample(), kNow, nullptr, Lookup("not-the-secret"));
  ExpectError(e, 403, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, kMismatch);
}

TEST(SigV4Reject, TamperedHeaderPathOrMethod) {
  SignedRequest r = GetObjectExample();
  SetHeader(r, "range", "bytes=0-10");
  ExpectError(Verify(r), 403, "SignatureDoesNotMatch");
  r = GetObjectExample();
  r.target = "/test.txt2";
  ExpectError(Verify(r), 403, "SignatureDoesNotMatch");
  r = GetObjectExample();
  r.method = "DELETE";
  ExpectError(Verify(r), 403, "SignatureDoesNotMatch");
}

TEST(SigV4Reject, TamperedQuery) {
  SignedRequest r = ListObjectsExample();
  r.target = "/?max-keys=2&prefix=K";
  ExpectError(Verify(r), 403, "SignatureDoesNotMatch");
  r.target = "/?max-keys=2&prefix=J&extra";
  ExpectError(Verify(r), 403, "SignatureDoesNotMatch");
  SignedRequest p = PresignedExample();
  p.target += "&response-content-type=text%2Fhtml";
  ExpectError(Verify(p), 403, "SignatureDoesNotMatch");
}

TEST(SigV4Reject, UnknownKey) {
  SignedRequest r = GetObjectExample();
  SetHeader(r, "authorization",
            "AWS4-HMAC-SHA256 Credential=NOBODY/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" +
                std::string(64, '0'));
  ExpectError(Verify(r), 403, "InvalidAccessKeyId");
}

TEST(SigV4Reject, ClockSkew) {
  ExpectOk(Verify(GetObjectExample(), kNow + 900));
  ExpectOk(Verify(GetObjectExample(), kNow - 900));
  ExpectError(Verify(GetObjectExample(), kNow + 901), 403, "RequestTimeTooSkewed");
  ExpectError(Verify(GetObjectExample(), kNow - 901), 403, "RequestTimeTooSkewed");
}

TEST(SigV4Reject, PresignedExpiredOrNotYetValid) {
  S3Error e = Verify(PresignedExample(), kNow + 86401);
  ExpectError(e, 403, "AccessDenied");
  EXPECT_EQ(e.message, "Request has expired");
  ExpectError(Verify(PresignedExample(), kNow - 901), 403, "AccessDenied");
}

TEST(SigV4Reject, PresignedBadParameters) {
  auto with = [](const std::string& from, const std::string& to) {
    SignedRequest r = PresignedExample();
    size_t at = r.target.find(from);
    EXPECT_NE(at, std::string::npos);
    r.target.replace(at, from.size(), to);
    return r;
  };
  ExpectError(Verify(with("X-Amz-Expires=86400", "X-Amz-Expires=0")), 400,
              "AuthorizationQueryParametersError");
  ExpectError(Verify(with("X-Amz-Expires=86400", "X-Amz-Expires=604801")), 400,
              "AuthorizationQueryParametersError");
  ExpectError(Verify(with("X-Amz-Expires=86400", "X-Amz-Expires=1e3")), 400,
              "AuthorizationQueryParametersError");
  ExpectError(Verify(with("&X-Amz-Expires=86400", "")), 400, "AuthorizationQueryParametersError");
  ExpectError(Verify(with("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1")),
              400, "AuthorizationQueryParametersError");
  ExpectError(Verify(with("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130525T000000Z")), 400,
              "AuthorizationQueryParametersError");
  ExpectError(Verify(with("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=range")), 400,
              "AuthorizationQueryParametersError");
  ExpectError(Verify(with("%2Fs3%2F", "%2Fiam%2F")), 400, "AuthorizationQueryParametersError");
}

TEST(SigV4Reject, MalformedAuthorization) {
  auto with_auth = [](const std::string& auth) {
    SignedRequest r = GetObjectExample();
    SetHeader(r, "authorization", auth);
    return Verify(r);
  };
  const std::string sig = std::string(64, 'a');
  const std::string cred = std::string("Credential=") + kAk + "/20130524/us-east-1/s3/aws4_request";
  ExpectError(with_auth("AWS4-HMAC-SHA256"), 400, "AuthorizationHeaderMalformed");
  ExpectError(with_auth("AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host"), 400,
              "AuthorizationHeaderMalformed");
  ExpectError(with_auth("AWS4-HMAC-SHA256 " + cred + ",Signature=" + sig), 400,
              "AuthorizationHeaderMalformed");
  ExpectError(with_auth("AWS4-HMAC-SHA256 Credential=" + std::string(kAk) +
                        "/20130524/us-east-1/s3,SignedHeaders=host,Signature=" + sig),
              400, "AuthorizationHeaderMalformed");
  ExpectError(with_auth("AWS4-HMAC-SHA256 Credential=" + std::string(kAk) +
                        "/20130524/us-east-1/iam/aws4_request,SignedHeaders=host,Signature=" + sig),
              400, "AuthorizationHeaderMalformed");
  // The credential's date must be the request's.
  ExpectError(with_auth("AWS4-HMAC-SHA256 Credential=" + std::string(kAk) +
                        "/20130523/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig),
              400, "AuthorizationHeaderMalformed");
  // host must be signed.
  ExpectError(with_auth("AWS4-HMAC-SHA256 " + cred +
                        ",SignedHeaders=range;x-amz-content-sha256;x-amz-date,Signature=" + sig),
              400, "AuthorizationHeaderMalformed");
  ExpectError(with_auth("AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host;;range,Signature=" + sig),
              400, "AuthorizationHeaderMalformed");
  ExpectError(with_auth("AWS4-HMAC-SHA256 " + cred + ",Bogus,SignedHeaders=host,Signature=" + sig),
              400, "AuthorizationHeaderMalformed");
  ExpectError(with_auth("AWS4-ECDSA-P256-SHA256 " + cred + ",SignedHeaders=host,Signature=" + sig),
              400, "InvalidArgument");
  ExpectError(with_auth("Bearer xyz"), 400, "InvalidArgument");
}

TEST(SigV4Reject, SigV2AndAnonymous) {
  SignedRequest r = GetObjectExample();
  SetHeader(r, "authorization", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=");
  S3Error e = Verify(r);
  ExpectError(e, 400, "InvalidRequest");
  EXPECT_NE(e.message.find("AWS4-HMAC-SHA256"), std::string::npos);

  SignedRequest q{"GET",
                  "/test.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1141889120&Signature=vj"
                  "bybyMHmt%2BPmg%3D",
                  {{"host", kHost}}};
  ExpectError(Verify(q), 400, "InvalidRequest");

  SignedRequest anon{"GET", "/test.txt", {{"host", kHost}}};
  e = Verify(anon);
  ExpectError(e, 403, "AccessDenied");
  EXPECT_EQ(e.message, "Anonymous access is not allowed");
}

TEST(SigV4Reject, HeaderRules) {
  SignedRequest r = GetObjectExample();
  std::erase_if(r.headers, [](const auto& h) { return h.first == "x-amz-content-sha256"; });
  S3Error e = Verify(r);
  ExpectError(e, 400, "InvalidRequest");
  EXPECT_EQ(e.message, "Missing required header for this request: x-amz-content-sha256");

  r = GetObjectExample();
  SetHeader(r, "x-amz-content-sha256", "not-a-hash");
  ExpectError(Verify(r), 400, "InvalidArgument");

  r = GetObjectExample();
  std::erase_if(r.headers, [](const auto& h) { return h.first == "x-amz-date"; });
  ExpectError(Verify(r), 403, "AccessDenied");

  r = GetObjectExample();
  SetHeader(r, "x-amz-date", "2013-05-24T00:00:00Z");
  ExpectError(Verify(r), 403, "AccessDenied");

  // The date the signature covers must be signed; an unsigned one could be replayed.
  r = GetObjectExample();
  std::erase_if(r.headers, [](const auto& h) { return h.first == "x-amz-date"; });
  r.headers.emplace_back("date", "Fri, 24 May 2013 00:00:00 GMT");
  SetHeader(r, "authorization",
            AuthHeader("host;range;x-amz-content-sha256", std::string(64, '0')));
  ExpectError(Verify(r), 400, "AuthorizationHeaderMalformed");

  // An x-amz-* header the client did not sign could change what the request does.
  r = GetObjectExample();
  r.headers.emplace_back("x-amz-acl", "public-read");
  ExpectError(Verify(r), 403, "AccessDenied");
  // Other unsigned headers are fine (proxies add them).
  r = GetObjectExample();
  r.headers.emplace_back("user-agent", "curl/7.88.1");
  ExpectOk(Verify(r));

  r = GetObjectExample();
  r.headers.emplace_back("authorization", "AWS4-HMAC-SHA256 whatever");
  ExpectError(Verify(r), 400, "InvalidArgument");

  // Header and query authentication at once.
  r = GetObjectExample();
  r.target += std::string("?") + kPresignedQuery;
  ExpectError(Verify(r), 400, "InvalidArgument");

  r = GetObjectExample();
  r.target = "/test%zz.txt";
  ExpectError(Verify(r), 400, "InvalidURI");
}

}  // namespace
}  // namespace ccow::s3

namespace ccow::s3 {
namespace {

// The gateway hands the verifier the ParsedTarget its router reads: the canonical query
// comes from those pairs, so what is verified is what is routed.
TEST(SigV4Canonical, UsesTheRoutersParsedTarget) {
  SignedRequest r = ListObjectsExample();
  http::ParsedTarget parsed = http::ParseTarget(r.target);
  r.parsed = &parsed;
  ExpectOk(Verify(r));
  EXPECT_EQ(CanonicalRequest(r, {"host"}, kEmptySha, false),
            CanonicalRequest(SignedRequest{r.method, r.target, r.headers}, {"host"}, kEmptySha,
                             false));
  // Pairs the router would read differently from the signed ones fail the check.
  http::ParsedTarget other = http::ParseTarget("/?max-keys=2&prefix=K");
  r.parsed = &other;
  ExpectError(Verify(r), 403, "SignatureDoesNotMatch");
}

TEST(SigV4Canonical, PlusAndDuplicatesAsTheClientsSign) {
  // '+' is a literal plus (%2B), repeated names are all signed, sorted by value.
  SignedRequest r{"GET", "/b?tag=a+b&tag=a%20b&x=", {{"host", "h"}}};
  std::string canonical = CanonicalRequest(r, {"host"}, kEmptySha, false);
  EXPECT_NE(canonical.find("\ntag=a%20b&tag=a%2Bb&x=\n"), std::string::npos) << canonical;
  SignRequest(r, Credentials{kAk, kSecret, ""}, "us-east-1", kEmptySha, kNow);
  http::ParsedTarget parsed = http::ParseTarget(r.target);
  r.parsed = &parsed;
  ExpectOk(Verify(r));
}

}  // namespace
}  // namespace ccow::s3
