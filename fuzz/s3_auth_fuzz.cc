// Fuzz target for S3 authentication (Authenticate: SigV4 and SigV2, header and query forms,
// and the virtual-hosted bucket the Host names): whatever request-target and headers
// arrive, verification ends in an S3Error or a complete AuthContext, never a crash. The
// input is the request as text:
//   METHOD\nTARGET\nname:value\nname:value...
// (the gateway hands the verifier exactly these pieces; the bucket of a Host under
// "localhost" is the virtual-hosted one). Alongside it, the URI coding must round-trip:
// UriDecode(UriEncode(x)) == x for any bytes x.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "gateway/s3/s3_addressing.h"
#include "gateway/s3/s3_auth.h"
#include "gateway/s3/sigv2.h"
#include "gateway/s3/sigv4.h"

namespace ccow::fuzz {

namespace {

using s3::Credentials;
using s3::SignedRequest;

constexpr char kAk[] = "AKIAFUZZ";
constexpr char kSecret[] = "fuzz/secret+key";
constexpr int64_t kNow = 1369353600;  // 2013-05-24T00:00:00Z

std::optional<Credentials> Lookup(std::string_view ak) {
  if (ak != kAk) return std::nullopt;
  return Credentials{kAk, kSecret, "tenant"};
}

std::string Serialize(const SignedRequest& r) {
  std::string out = r.method + "\n" + r.target;
  for (const auto& [k, v] : r.headers) out += "\n" + k + ":" + v;
  return out;
}

const std::vector<std::string> kDomains = {"localhost"};

SignedRequest Parse(std::string_view in) {
  SignedRequest r;
  size_t line = 0;
  while (true) {
    size_t nl = in.find('\n');
    std::string_view piece = in.substr(0, nl);
    if (line == 0) {
      r.method = std::string(piece);
    } else if (line == 1) {
      r.target = std::string(piece);
    } else {
      size_t colon = piece.find(':');
      r.headers.emplace_back(
          std::string(piece.substr(0, colon)),
          colon == std::string_view::npos ? std::string() : std::string(piece.substr(colon + 1)));
    }
    ++line;
    if (nl == std::string_view::npos) break;
    in.remove_prefix(nl + 1);
  }
  for (const auto& [k, v] : r.headers)
    if (k == "host") r.host_bucket = s3::BucketFromHost(v, kDomains);
  return r;
}

std::string Hex(const std::string& raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) out += {kDigits[c >> 4], kDigits[c & 15]};
  return out;
}

SignedRequest Signed(std::string method, std::string target,
                     std::vector<std::pair<std::string, std::string>> headers,
                     const std::string& payload_hash, const char* region = "us-east-1") {
  SignedRequest r{std::move(method), std::move(target), std::move(headers)};
  s3::SignRequest(r, Credentials{kAk, kSecret, "tenant"}, region, payload_hash, kNow);
  return r;
}

// A presigned GET of `path` (already encoded), signed for `host` only.
SignedRequest Presigned(const std::string& path, const std::string& extra_query) {
  std::string cred = std::string(kAk) + "/20130524/us-east-1/s3/aws4_request";
  SignedRequest r{
      "GET",
      path + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + s3::UriEncode(cred, true) +
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host" + extra_query,
      {{"host", "localhost:9000"}}};
  std::string canonical = s3::CanonicalRequest(r, {"host"}, "UNSIGNED-PAYLOAD", true);
  std::string sts = "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
                    s3::Sha256Hex(canonical);
  r.target +=
      "&X-Amz-Signature=" +
      Hex(s3::HmacSha256(s3::DeriveSigningKey(kSecret, "20130524", "us-east-1", "s3"), sts));
  return r;
}

SignedRequest SignedV2(std::string method, std::string target,
                       std::vector<std::pair<std::string, std::string>> headers) {
  SignedRequest r{std::move(method), std::move(target), std::move(headers)};
  for (const auto& [k, v] : r.headers)
    if (k == "host") r.host_bucket = s3::BucketFromHost(v, kDomains);
  s3::SignRequestV2(r, Credentials{kAk, kSecret, "tenant"}, kNow);
  return r;
}

// A SigV2 presigned URL, with an x-amz-* parameter and a response-* override as botocore
// makes them.
SignedRequest PresignedV2(const std::string& path) {
  SignedRequest r{"GET",
                  path +
                      "?response-content-type=text%2Fplain&x-amz-request-payer=requester"
                      "&AWSAccessKeyId=" +
                      std::string(kAk) + "&Expires=1369357200",
                  {{"host", "localhost:9000"}}};
  r.target += "&Signature=" +
              s3::UriEncode(s3::HmacSha1Base64(kSecret, s3::SigV2StringToSign(r, true)), true);
  return r;
}

}  // namespace

std::vector<std::string> Seeds() {
  const std::string empty = s3::Sha256Hex("");
  std::vector<SignedRequest> requests = {
      Signed("GET", "/", {{"host", "localhost:9000"}}, empty),
      Signed("GET", "/bucket?list-type=2&prefix=a%20b&delimiter=%2F&max-keys=10",
             {{"host", "localhost:9000"}}, empty),
      Signed("PUT", "/bucket/" + s3::UriEncode("dir/a b+c%/\xc3\xbc", false),
             {{"host", "localhost:9000"},
              {"content-type", "text/plain"},
              {"x-amz-meta-note", "  spaced   out "},
              {"x-amz-meta-note", "twice"}},
             "UNSIGNED-PAYLOAD"),
      Signed("PUT", "/bucket/big?partNumber=3&uploadId=xyz",
             {{"host", "s3.example.com"},
              {"content-encoding", "aws-chunked"},
              {"x-amz-decoded-content-length", "66560"}},
             "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "eu-west-3"),
      Signed("POST", "/bucket?delete", {{"host", "localhost"}, {"content-md5", "abc=="}},
             s3::Sha256Hex("<Delete/>")),
      Presigned("/bucket/key.txt", ""),
      Presigned("/bucket/" + s3::UriEncode("x y/\xe2\x82\xac", false),
                "&response-content-disposition=attachment%3B%20filename%3D%22a.txt%22"),
      SignedV2("GET", "/bucket/key?versionId=3&acl", {{"host", "localhost:9000"}}),
      SignedV2("PUT", "/dir/a%20b",
               {{"host", "bucket.localhost:9000"},
                {"content-type", "text/plain"},
                {"content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="},
                {"x-amz-meta-a", " one "},
                {"x-amz-meta-a", "two"},
                {"x-amz-date", "Fri, 24 May 2013 00:00:00 GMT"}}),
      PresignedV2("/bucket/key.txt"),
  };
  std::vector<std::string> seeds;
  for (const auto& r : requests) seeds.push_back(Serialize(r));
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ccow::s3::SignedRequest r = ccow::fuzz::Parse(in);

  // The URI coding round-trips any bytes.
  for (bool slash : {false, true}) {
    auto back = ccow::s3::UriDecode(ccow::s3::UriEncode(r.target, slash));
    if (!back || *back != r.target) {
      std::fprintf(stderr, "s3_auth: UriDecode(UriEncode(target)) is not the target\n");
      std::abort();
    }
  }

  ccow::s3::VerifyOptions opt;
  opt.now_unix = ccow::fuzz::kNow;
  ccow::s3::AuthContext ctx;
  ccow::s3::S3Error e = ccow::s3::Authenticate(r, ccow::fuzz::Lookup, opt, &ctx);
  if (!e.ok()) {
    if (e.http_status < 400 || e.code.empty() || e.message.empty()) {
      std::fprintf(stderr, "s3_auth: an error without status, code or message\n");
      std::abort();
    }
    return 0;
  }
  if (ctx.anonymous) {
    // No credentials were presented: nothing may claim a key, a signature or a signed body.
    if (!ctx.credentials.access_key.empty() || !ctx.signing_key.empty() || !ctx.seed_signature.empty() ||
        ctx.payload_hash != "UNSIGNED-PAYLOAD") {
      std::fprintf(stderr, "s3_auth: an anonymous request that claims credentials or a signed body\n");
      std::abort();
    }
    return 0;
  }
  bool complete = ctx.payload_hash.size() > 0 && ctx.credentials.access_key == ccow::fuzz::kAk;
  if (ctx.signature_version == 4)
    complete = complete && ctx.signing_key.size() == 32 && ctx.seed_signature.size() == 64 &&
               ctx.scope.ends_with("/s3/aws4_request");
  else  // SigV2 signs no body chunks: nothing may claim to continue its signature.
    complete = complete && ctx.signature_version == 2 && ctx.signing_key.empty() &&
               !ctx.payload_hash.starts_with("STREAMING-");
  if (!complete) {
    std::fprintf(stderr, "s3_auth: an accepted request with an incomplete AuthContext\n");
    std::abort();
  }
  ++ccow::fuzz::decoded;
  return 0;
}
