#include "gateway/s3/sigv2.h"

#include <algorithm>
#include <map>
#include <vector>

#include "gateway/s3/base64.h"
#include "gateway/s3/auth_common.h"

namespace ccow::s3 {

namespace {

using auth::FindHeader;
using auth::FindParam;
using auth::Trim;

// The query parameters that are part of the resource signed: AWS's documented list (acl
// ... website, the response-* overrides, delete), and those botocore's HmacV1Auth and
// s3cmd add for newer sub-resources. A parameter a client signs and we do not (or the
// reverse) would fail every such request, so this is the union of theirs. Sorted.
constexpr std::string_view kSubresources[] = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

bool IsSubresource(std::string_view name) {
  return std::binary_search(std::begin(kSubresources), std::end(kSubresources), name);
}

constexpr char kQueryParamsMissing[] =
    "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
    "parameters";

// A header value as CanonicalizedAmzHeaders holds it: outer whitespace trimmed and a folded
// line (CR/LF with the whitespace around it) unfolded to one space.
std::string Unfold(std::string_view v) {
  v = Trim(v);
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\r' && v[i] != '\n') {
      out += v[i];
      continue;
    }
    while (!out.empty() && auth::IsSpace(out.back())) out.pop_back();
    while (i + 1 < v.size() && (v[i + 1] == '\r' || v[i + 1] == '\n' || auth::IsSpace(v[i + 1])))
      ++i;
    out += ' ';
  }
  return out;
}

// x-amz-* headers (and, for a presigned URL, x-amz-* query parameters), names lower-cased
// and sorted, repeated names joined by ',' in the order received, one "name:value\n" each.
std::string CanonicalizedAmzHeaders(const SignedRequest& r, const http::QueryParams* query) {
  std::map<std::string, std::vector<std::string>> amz;
  for (const auto& [k, v] : r.headers) {
    std::string name = auth::ToLower(k);
    if (name.starts_with("x-amz-")) amz[name].push_back(Unfold(v));
  }
  if (query != nullptr) {
    for (const auto& p : *query) {
      std::string name = auth::ToLower(p.name);
      if (name.starts_with("x-amz-")) amz[name].push_back(Unfold(p.value));
    }
  }
  std::string out;
  for (const auto& [name, values] : amz) {
    out += name;
    out += ':';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      out += values[i];
    }
    out += '\n';
  }
  return out;
}

std::string HeaderValue(const SignedRequest& r, std::string_view name) {
  const std::string* v = FindHeader(r.headers, name);
  return v == nullptr ? std::string() : std::string(Trim(*v));
}

// x-amz-content-sha256 under SigV2: absent or UNSIGNED-PAYLOAD leaves the body unsigned; a
// hex SHA-256 is checked as the body streams (the header is signed among the x-amz-*).
S3Error PayloadHash(const SignedRequest& r, std::string* out) {
  const std::string* declared = FindHeader(r.headers, "x-amz-content-sha256");
  *out = declared == nullptr ? std::string(auth::kUnsignedPayload) : std::string(Trim(*declared));
  if (auth::IsStreamingPayload(*out))
    return MakeError(400, "InvalidRequest",
                     "aws-chunked bodies (x-amz-content-sha256: " + *out +
                         ") are signed with AWS Signature Version 4 (AWS4-HMAC-SHA256) only.");
  if (!auth::ValidPayloadHash(*out)) return auth::BadPayloadHash();
  return S3Error::None();
}

// The request time of the header form: x-amz-date if present (RFC 1123, or ISO 8601 basic
// as SigV4 clients write it), else Date.
S3Error HeaderFormTime(const SignedRequest& r, const VerifyOptions& opt) {
  std::optional<int64_t> t;
  if (const std::string* amz = FindHeader(r.headers, "x-amz-date")) {
    t = auth::ParseHttpDate(*amz);
    if (!t) t = auth::ParseAmzDate(Trim(*amz));
  } else if (const std::string* date = FindHeader(r.headers, "date")) {
    t = auth::ParseHttpDate(*date);
  }
  if (!t) return MakeError(403, "AccessDenied", auth::kNeedDate);
  return auth::CheckSkew(*t, opt);
}

struct Claim {
  std::string access_key;
  std::string signature;  // base64, as sent
  bool presigned = false;
};

S3Error ParseHeader(const SignedRequest& r, const VerifyOptions& opt, Claim* claim) {
  std::string_view a = Trim(*FindHeader(r.headers, "authorization"));
  a = Trim(a.substr(3));        // after "AWS"
  size_t colon = a.rfind(':');  // base64 has no ':'
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == a.size())
    return MakeError(400, "InvalidArgument",
                     "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature");
  claim->access_key = std::string(a.substr(0, colon));
  claim->signature = std::string(a.substr(colon + 1));
  return HeaderFormTime(r, opt);
}

S3Error ParseQuery(const http::QueryParams& params, const VerifyOptions& opt, Claim* claim) {
  int n_key = 0, n_sig = 0, n_expires = 0;
  const std::string* key = FindParam(params, "AWSAccessKeyId", &n_key);
  const std::string* sig = FindParam(params, "Signature", &n_sig);
  const std::string* expires_text = FindParam(params, "Expires", &n_expires);
  if (n_key != 1 || n_sig != 1 || n_expires != 1 || key->empty() || sig->empty())
    return MakeError(403, "AccessDenied", kQueryParamsMissing);
  int64_t expires = 0;
  if (expires_text->size() > 12 || !auth::Digits(*expires_text, &expires))
    return MakeError(403, "AccessDenied",
                     "Invalid date (should be seconds since epoch): " + *expires_text);
  // As S3: a SigV2 URL has no upper bound on its lifetime (SigV4's is 7 days).
  if (opt.now_unix > expires) return MakeError(403, "AccessDenied", "Request has expired");
  claim->access_key = *key;
  claim->signature = *sig;
  claim->presigned = true;
  return S3Error::None();
}

}  // namespace

std::string HmacSha1Base64(std::string_view key, std::string_view data) {
  return Base64Encode(auth::Hmac(auth::Sha1Md(), key, data));  // of 20 bytes
}

namespace {

// A path-style request to a bucket alone: "/bucket", no key and no trailing '/'.
bool BareBucketPath(const SignedRequest& r, std::string_view raw_path) {
  return r.host_bucket.empty() && raw_path.size() > 1 &&
         raw_path.find('/', 1) == std::string_view::npos;
}

std::string Resource(const SignedRequest& request, bool literal_path) {
  std::optional<http::ParsedTarget> own;
  const http::ParsedTarget& t = auth::TargetOf(request, &own);
  std::string out;
  if (!request.host_bucket.empty()) out = "/" + request.host_bucket;
  out += t.raw_path.empty() ? "/" : t.raw_path;
  if (!literal_path && BareBucketPath(request, t.raw_path)) out += '/';
  std::vector<const http::QueryParam*> sub;
  for (const auto& p : t.query)
    if (IsSubresource(p.name)) sub.push_back(&p);
  // By name only, repeated names in the order received (botocore sorts the same way).
  std::stable_sort(sub.begin(), sub.end(),
                   [](const auto* a, const auto* b) { return a->name < b->name; });
  for (size_t i = 0; i < sub.size(); ++i) {
    out += i == 0 ? '?' : '&';
    out += sub[i]->name;
    if (sub[i]->has_value) out += "=" + sub[i]->value;
  }
  return out;
}

std::string StringToSign(const SignedRequest& request, bool presigned, bool literal_path) {
  std::optional<http::ParsedTarget> own;
  const http::ParsedTarget& t = auth::TargetOf(request, &own);
  std::string date;
  if (presigned) {
    const std::string* expires = FindParam(t.query, "Expires");
    if (expires != nullptr) date = *expires;
  } else if (FindHeader(request.headers, "x-amz-date") == nullptr) {
    date = HeaderValue(request, "date");
  }
  std::string out = request.method + "\n";
  out += HeaderValue(request, "content-md5") + "\n";
  out += HeaderValue(request, "content-type") + "\n";
  out += date + "\n";
  out += CanonicalizedAmzHeaders(request, presigned ? &t.query : nullptr);
  out += Resource(request, literal_path);
  return out;
}

}  // namespace

std::string SigV2CanonicalizedResource(const SignedRequest& request) {
  return Resource(request, /*literal_path=*/false);
}

std::string SigV2StringToSign(const SignedRequest& request, bool presigned) {
  return StringToSign(request, presigned, /*literal_path=*/false);
}

S3Error VerifySigV2(const SignedRequest& request, const CredentialLookup& lookup,
                    const VerifyOptions& options, AuthContext* out) {
  bool presigned = false;
  S3Error err = auth::RequireVersion(
      request, 2, "This verifier takes AWS Signature Version 2 requests only.", &presigned);
  if (!err.ok()) return err;
  Claim claim;
  if (presigned) {
    std::optional<http::ParsedTarget> own;
    err = ParseQuery(auth::TargetOf(request, &own).query, options, &claim);
  } else {
    err = ParseHeader(request, options, &claim);
  }
  if (!err.ok()) return err;
  std::string payload_hash;
  err = PayloadHash(request, &payload_hash);
  if (!err.ok()) return err;

  std::optional<Credentials> creds = lookup ? lookup(claim.access_key) : std::nullopt;
  if (!creds) return auth::UnknownAccessKey();
  std::string expected =
      HmacSha1Base64(creds->secret_key, StringToSign(request, claim.presigned, false));
  bool match = auth::SameSignature(claim.signature, expected);
  if (!match) {
    // "/bucket" as sent, as the page's rule reads literally; the SDKs sign "/bucket/".
    std::optional<http::ParsedTarget> own;
    if (BareBucketPath(request, auth::TargetOf(request, &own).raw_path))
      match = auth::SameSignature(
          claim.signature,
          HmacSha1Base64(creds->secret_key, StringToSign(request, claim.presigned, true)));
  }
  if (!match) return auth::SignatureMismatch();

  if (out != nullptr) {
    *out = AuthContext{};
    out->credentials = std::move(*creds);
    out->signature_version = 2;
    out->presigned = claim.presigned;
    out->payload_hash = std::move(payload_hash);
  }
  return S3Error::None();
}

void SignRequestV2(SignedRequest& request, const Credentials& creds, int64_t now_unix) {
  std::erase_if(request.headers,
                [](const auto& h) { return auth::IEquals(h.first, "authorization"); });
  if (FindHeader(request.headers, "x-amz-date") == nullptr &&
      FindHeader(request.headers, "date") == nullptr)
    request.headers.emplace_back("date", auth::FormatHttpDate(now_unix));
  request.headers.emplace_back(
      "authorization", "AWS " + creds.access_key + ":" +
                           HmacSha1Base64(creds.secret_key, SigV2StringToSign(request, false)));
}

}  // namespace ccow::s3
