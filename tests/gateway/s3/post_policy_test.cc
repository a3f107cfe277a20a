#include "gateway/s3/post_policy.h"

#include <gtest/gtest.h>

#include "client/byte_stream.h"
#include "gateway/s3/base64.h"
#include "gateway/s3/form_data.h"
#include "gateway/s3/sigv2.h"
#include "gateway/s3/sigv4.h"
#include "core/hash.h"

namespace ccow::s3 {
namespace {

const char* kPolicy =
    R"({"expiration":"2030-01-01T00:00:00.000Z","conditions":[{"bucket":"pics"},)"
    R"(["starts-with","$key","user/"],["eq","$Content-Type","image/png"],["content-length-range",1,1024]]})";
constexpr int64_t kNowMs = 1'900'000'000'000;  // 2030-03: after the expiration
constexpr int64_t kBeforeMs = 1'800'000'000'000;

std::optional<Credentials> Lookup(std::string_view ak) {
  if (ak != "AK") return std::nullopt;
  return Credentials{"AK", "secret", "acme"};
}

// The file part's bytes, read `chunk` bytes at a time, up to its end or the first error
// (left in *st).
std::string ReadFile(FormDataReader& reader, size_t chunk, Status* st) {
  std::string file, buf(chunk, '\0');
  for (;;) {
    auto got = reader.file().Read(buf.data(), buf.size());
    if (!got.ok()) {
      *st = got.status();
      return file;
    }
    if (*got == 0) return file;
    file.append(buf.data(), *got);
  }
}

TEST(PostPolicy, ConditionsDecideAndEveryFieldMustBeNamed) {
  PostPolicy policy;
  ASSERT_TRUE(ParsePostPolicy(Base64Encode(kPolicy), &policy).ok());
  std::vector<FormField> fields{{"key", "user/a.png"}, {"Content-Type", "image/png"}, {"policy", "x"},
                                {"x-ignore-trace", "1"}};
  std::optional<std::pair<uint64_t, uint64_t>> range;
  EXPECT_TRUE(CheckPostPolicy(policy, fields, "pics", "user/a.png", kBeforeMs, &range).ok());
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(*range, std::make_pair(uint64_t{1}, uint64_t{1024}));
  S3Error e = CheckPostPolicy(policy, fields, "other", "user/a.png", kBeforeMs, &range);
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_NE(e.message.find("$bucket"), std::string::npos) << e.message;
  EXPECT_EQ(CheckPostPolicy(policy, fields, "pics", "admin/a.png", kBeforeMs, &range).code, "AccessDenied");
  fields.push_back({"x-amz-meta-extra", "1"});
  e = CheckPostPolicy(policy, fields, "pics", "user/a.png", kBeforeMs, &range);
  EXPECT_NE(e.message.find("Extra input fields: x-amz-meta-extra"), std::string::npos) << e.message;
  fields.pop_back();
  e = CheckPostPolicy(policy, fields, "pics", "user/a.png", kNowMs, &range);
  EXPECT_EQ(e.message, "Invalid according to Policy: Policy expired.");
}

TEST(PostPolicy, MalformedDocumentsAreInvalidPolicyDocument) {
  PostPolicy p;
  for (const char* bad : {"not json", "[]", R"({"conditions":[]})", R"({"expiration":"soon","conditions":[]})",
                          R"({"expiration":"2030-01-01T00:00:00Z"})",
                          R"({"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",5,1]]})",
                          R"({"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","key","x"]]})",
                          R"({"expiration":"2030-01-01T00:00:00Z","conditions":[["in","$key","x"]]})"})
    EXPECT_EQ(ParsePostPolicy(Base64Encode(bad), &p).code, "InvalidPolicyDocument") << bad;
  EXPECT_EQ(ParsePostPolicy("!!!", &p).code, "InvalidPolicyDocument");
}

TEST(PostPolicy, SignaturesOfBothVersionsAreVerified) {
  std::string policy = Base64Encode(kPolicy);
  std::string key = DeriveSigningKey("secret", "20291231", "us-east-1", "s3");
  std::string mac = HmacSha256(key, policy);
  std::vector<FormField> v4{{"policy", policy},
                            {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
                            {"x-amz-credential", "AK/20291231/us-east-1/s3/aws4_request"},
                            {"x-amz-date", "20291231T000000Z"},
                            {"x-amz-signature", ToHex(mac.data(), mac.size())}};
  AuthContext auth;
  ASSERT_TRUE(VerifyPostSignature(v4, Lookup, &auth).ok());
  EXPECT_FALSE(auth.anonymous);
  EXPECT_EQ(auth.credentials.tenant, "acme");
  EXPECT_EQ(auth.signature_version, 4);
  v4[0].value = Base64Encode("{}");
  EXPECT_EQ(VerifyPostSignature(v4, Lookup, &auth).code, "SignatureDoesNotMatch");
  std::vector<FormField> v2{{"policy", policy}, {"AWSAccessKeyId", "AK"}, {"signature", HmacSha1Base64("secret", policy)}};
  ASSERT_TRUE(VerifyPostSignature(v2, Lookup, &auth).ok());
  EXPECT_EQ(auth.signature_version, 2);
  v2[1].value = "NOPE";
  EXPECT_EQ(VerifyPostSignature(v2, Lookup, &auth).code, "InvalidAccessKeyId");
  ASSERT_TRUE(VerifyPostSignature({{"key", "k"}}, Lookup, &auth).ok());
  EXPECT_TRUE(auth.anonymous);
  EXPECT_EQ(VerifyPostSignature({{"AWSAccessKeyId", "AK"}}, Lookup, &auth).code, "InvalidArgument");
}

TEST(FormData, FieldsThenTheFileUpToItsDelimiter) {
  EXPECT_EQ(FormBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(FormBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_EQ(FormBoundary("multipart/mixed; boundary=abc"), "");
  EXPECT_EQ(FormBoundary("multipart/form-data"), "");
  std::string body =
      "--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuser/${filename}\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
      "bytes\r\n--A near\r\n-B delimiters\r\n--B--\r\n";
  StringSource src(body);
  FormDataReader reader(src, "B");
  std::vector<FormField> fields;
  std::string filename, type;
  ASSERT_TRUE(reader.ReadFields(&fields, &filename, &type).ok());
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].name, "key");
  EXPECT_EQ(fields[0].value, "user/${filename}");
  EXPECT_EQ(filename, "a.png");
  EXPECT_EQ(type, "image/png");
  Status st;
  std::string file = ReadFile(reader, 3, &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(file, "bytes\r\n--A near\r\n-B delimiters");
}

TEST(FormData, AFormCutShortIsAnErrorNotAShorterFile) {
  std::string body =
      "--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n0123456789";
  StringSource src(body);
  FormDataReader reader(src, "B");
  std::vector<FormField> fields;
  std::string filename, type;
  ASSERT_TRUE(reader.ReadFields(&fields, &filename, &type).ok());
  Status st;
  ReadFile(reader, 64, &st);
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << "the truncated file ended as if complete";
  StringSource no_file("--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--B--\r\n");
  FormDataReader r2(no_file, "B");
  EXPECT_EQ(r2.ReadFields(&fields, &filename, &type).code, "InvalidArgument");
  StringSource junk("hello");
  FormDataReader r3(junk, "B");
  EXPECT_EQ(r3.ReadFields(&fields, &filename, &type).code, "MalformedPOSTRequest");
}

}  // namespace
}  // namespace ccow::s3
