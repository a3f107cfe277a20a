#include "gateway/s3/sigv4.h"

#include <openssl/evp.h>

#include <algorithm>

#include "gateway/s3/auth_common.h"

namespace ccow::s3 {

namespace {

using auth::FindHeader;
using auth::FindParam;
using auth::IEquals;
using auth::IsSpace;
using auth::kNeedDate;
using auth::kUnsignedPayload;
using auth::ToLower;
using auth::Trim;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr char kCredentialMalformed[] =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
    "aws4_request\".";
constexpr char kThreeComponents[] =
    "the authorization header requires three components: Credential, SignedHeaders, and "
    "Signature.";
constexpr char kUseV4[] =
    "The authorization mechanism you have provided is not supported. Please use "
    "AWS4-HMAC-SHA256.";

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

// SigV4's "Trimall": outer whitespace removed, inner runs of spaces folded to one.
std::string TrimAll(std::string_view s) {
  s = Trim(s);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsSpace(c) && !out.empty() && out.back() == ' ') continue;
    out += IsSpace(c) ? ' ' : c;
  }
  return out;
}

std::string CanonicalUri(const http::ParsedTarget& t) {
  if (t.raw_path.empty()) return "/";
  // S3 does not double-encode: the path is decoded once and encoded once (a malformed
  // path is encoded as received).
  return UriEncode(t.path, /*encode_slash=*/false);
}

// Each parameter's decoded name and value (as received where an escape is malformed),
// encoded again and sorted.
std::string CanonicalQuery(const http::QueryParams& params, bool presigned) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& p : params) {
    if (presigned && p.name == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncode(p.name, true), UriEncode(p.value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [n, v] : encoded) {
    if (!out.empty()) out += '&';
    out += n;
    out += '=';
    out += v;
  }
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string s(kAlgorithm);
  s += '\n';
  s.append(amz_date).append("\n").append(scope).append("\n");
  s += Sha256Hex(canonical_request);
  return s;
}

std::vector<std::string> SplitSignedHeaders(std::string_view list) {
  std::vector<std::string> out;
  while (true) {
    size_t semi = list.find(';');
    out.push_back(ToLower(list.substr(0, semi)));
    if (semi == std::string_view::npos) break;
    list.remove_prefix(semi + 1);
  }
  return out;
}

std::string JoinSignedHeaders(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ';';
    out += ToLower(n);
  }
  return out;
}

// ---- Verification.

// What the two forms (header, query) carry, once parsed.
struct Claim {
  std::string access_key;
  std::string date;  // YYYYMMDD, from the credential
  std::string region;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;  // the request time in ISO 8601 basic form, as signed
  std::string payload_hash;
  bool presigned = false;
};

S3Error HeaderMalformed(const std::string& why) {
  return MakeError(400, "AuthorizationHeaderMalformed",
                   "The authorization header is malformed; " + why);
}

S3Error QueryError(const std::string& why) {
  return MakeError(400, "AuthorizationQueryParametersError", why);
}

// "AK/20130524/us-east-1/s3/aws4_request". Parsed from the right: the four scope parts
// cannot contain '/', and an access key with one would still be found.
bool ParseCredential(std::string_view cred, Claim* claim, std::string* why) {
  std::string_view parts[4];
  for (int i = 3; i >= 0; --i) {
    size_t slash = cred.rfind('/');
    if (slash == std::string_view::npos) {
      *why = kCredentialMalformed;
      return false;
    }
    parts[i] = cred.substr(slash + 1);
    cred = cred.substr(0, slash);
  }
  int64_t ignored;
  if (cred.empty() || parts[0].size() != 8 || !auth::Digits(parts[0], &ignored) ||
      parts[1].empty() || parts[3] != "aws4_request") {
    *why = kCredentialMalformed;
    return false;
  }
  if (parts[2] != "s3") {
    *why = "incorrect service \"" + std::string(parts[2]) + "\". This endpoint belongs to \"s3\".";
    return false;
  }
  claim->access_key = std::string(cred);
  claim->date = std::string(parts[0]);
  claim->region = std::string(parts[1]);
  return true;
}

bool ValidSignedHeaders(const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (n.empty()) return false;
  return std::find(names.begin(), names.end(), "host") != names.end();
}

S3Error ParseHeaderForm(const SignedRequest& r, std::string_view header, const VerifyOptions& opt,
                        Claim* claim) {
  // Components are separated by ", " in AWS's examples, by "," in botocore's and by
  // " " in some others; none of their values holds a space or a comma, so split on both.
  std::string_view rest = header.substr(kAlgorithm.size());
  bool have_cred = false, have_headers = false, have_sig = false;
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(", \t");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find_first_of(", \t");
    std::string_view item = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return HeaderMalformed(kThreeComponents);
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    std::string why;
    if (key == "Credential") {
      if (!ParseCredential(value, claim, &why)) return HeaderMalformed(why);
      have_cred = true;
    } else if (key == "SignedHeaders") {
      claim->signed_headers = SplitSignedHeaders(value);
      have_headers = true;
    } else if (key == "Signature") {
      claim->signature = ToLower(value);
      have_sig = true;
    } else {
      return HeaderMalformed("unexpected component \"" + std::string(key) + "\".");
    }
  }
  if (!have_cred || !have_headers || !have_sig) return HeaderMalformed(kThreeComponents);
  if (!ValidSignedHeaders(claim->signed_headers))
    return HeaderMalformed("SignedHeaders must name host and no empty header.");

  const std::string* sha = FindHeader(r.headers, "x-amz-content-sha256");
  if (sha == nullptr)
    return MakeError(400, "InvalidRequest",
                     "Missing required header for this request: x-amz-content-sha256");
  claim->payload_hash = std::string(Trim(*sha));
  if (!auth::ValidPayloadHash(claim->payload_hash)) return auth::BadPayloadHash();

  int64_t t;
  if (const std::string* amz = FindHeader(r.headers, "x-amz-date")) {
    std::string_view v = Trim(*amz);
    auto parsed = auth::ParseAmzDate(v);
    if (!parsed) return MakeError(403, "AccessDenied", kNeedDate);
    t = *parsed;
    claim->amz_date = std::string(v);
  } else if (const std::string* date = FindHeader(r.headers, "date")) {
    auto parsed = auth::ParseHttpDate(*date);
    if (!parsed) return MakeError(403, "AccessDenied", kNeedDate);
    t = *parsed;
    claim->amz_date = auth::FormatAmzDate(t);
    // An unsigned date could be moved forward to replay a captured request at any time.
    // (x-amz-date is held to the same by the rule that every x-amz-* header is signed.)
    auto& names = claim->signed_headers;
    if (std::find(names.begin(), names.end(), "date") == names.end())
      return HeaderMalformed("the Date header must be signed when there is no x-amz-date.");
  } else {
    return MakeError(403, "AccessDenied", kNeedDate);
  }
  if (claim->amz_date.substr(0, 8) != claim->date)
    return HeaderMalformed("Invalid credential date. Date is not the same as X-Amz-Date.");
  return auth::CheckSkew(t, opt);
}

S3Error ParseQueryForm(const http::QueryParams& params, const VerifyOptions& opt, Claim* claim) {
  static constexpr std::string_view kRequired[] = {"X-Amz-Algorithm",     "X-Amz-Credential",
                                                   "X-Amz-Signature",     "X-Amz-Date",
                                                   "X-Amz-SignedHeaders", "X-Amz-Expires"};
  for (std::string_view name : kRequired) {
    int count = 0;
    FindParam(params, name, &count);
    if (count != 1)
      return QueryError(
          "Query-string authentication version 4 requires the X-Amz-Algorithm, "
          "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
          "and X-Amz-Expires parameters (each once).");
  }
  if (*FindParam(params, "X-Amz-Algorithm") != kAlgorithm)
    return QueryError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  std::string why;
  if (!ParseCredential(*FindParam(params, "X-Amz-Credential"), claim, &why))
    return QueryError("Error parsing the X-Amz-Credential parameter; " + why);
  claim->signed_headers = SplitSignedHeaders(*FindParam(params, "X-Amz-SignedHeaders"));
  if (!ValidSignedHeaders(claim->signed_headers))
    return QueryError("X-Amz-SignedHeaders must name host and no empty header.");
  claim->signature = ToLower(*FindParam(params, "X-Amz-Signature"));
  claim->amz_date = *FindParam(params, "X-Amz-Date");
  auto t = auth::ParseAmzDate(claim->amz_date);
  if (!t)
    return QueryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (claim->amz_date.substr(0, 8) != claim->date)
    return QueryError("Invalid credential date \"" + claim->date +
                      "\". This date is not the same as X-Amz-Date: \"" +
                      claim->amz_date.substr(0, 8) + "\".");
  const std::string& expires_text = *FindParam(params, "X-Amz-Expires");
  int64_t expires = 0;
  if (expires_text.size() > 12 || !auth::Digits(expires_text, &expires))
    return QueryError("X-Amz-Expires should be a number");
  if (expires < 1) return QueryError("X-Amz-Expires must be positive");
  if (expires > opt.max_presign_seconds)
    return QueryError("X-Amz-Expires must be less than a week (in seconds) that is; " +
                      std::to_string(opt.max_presign_seconds));
  if (const std::string* sha = FindParam(params, "X-Amz-Content-Sha256")) {
    claim->payload_hash = *sha;
    if (!auth::ValidPayloadHash(claim->payload_hash)) return auth::BadPayloadHash();
  } else {
    claim->payload_hash = std::string(kUnsignedPayload);
  }
  if (*t > opt.now_unix + opt.max_skew_seconds)
    return MakeError(403, "AccessDenied", "Request is not valid yet");
  if (opt.now_unix > *t + expires) return MakeError(403, "AccessDenied", "Request has expired");
  claim->presigned = true;
  return S3Error::None();
}

// An x-amz-* header outside the signature could change what the request does (an ACL,
// a copy source, a storage class) without the key holder having asked for it.
S3Error CheckAmzHeadersSigned(const SignedRequest& r, const std::vector<std::string>& signed_) {
  std::string missing;
  for (const auto& [k, v] : r.headers) {
    std::string name = ToLower(k);
    if (!name.starts_with("x-amz-")) continue;
    if (std::find(signed_.begin(), signed_.end(), name) != signed_.end()) continue;
    if (!missing.empty()) missing += ", ";
    missing += name;
  }
  if (missing.empty()) return S3Error::None();
  return MakeError(403, "AccessDenied",
                   "There were headers present in the request which were not signed: " + missing);
}

S3Error CheckSignature(const SignedRequest& r, const Claim& claim, const CredentialLookup& lookup,
                       AuthContext* out) {
  std::optional<Credentials> creds = lookup ? lookup(claim.access_key) : std::nullopt;
  if (!creds) return auth::UnknownAccessKey();
  S3Error unsigned_headers = CheckAmzHeadersSigned(r, claim.signed_headers);
  if (!unsigned_headers.ok()) return unsigned_headers;

  std::string scope = claim.date + "/" + claim.region + "/s3/aws4_request";
  std::string canonical =
      CanonicalRequest(r, claim.signed_headers, claim.payload_hash, claim.presigned);
  std::string key = DeriveSigningKey(creds->secret_key, claim.date, claim.region, "s3");
  std::string raw = HmacSha256(key, StringToSign(claim.amz_date, scope, canonical));
  std::string expected = Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  // Constant time, so that response timing does not reveal how much of a guess matched.
  if (!auth::SameSignature(claim.signature, expected)) return auth::SignatureMismatch();

  if (out != nullptr) {
    out->credentials = std::move(*creds);
    out->signature_version = 4;
    out->presigned = claim.presigned;
    out->payload_hash = claim.payload_hash;
    out->seed_signature = expected;
    out->signing_key = std::move(key);
    out->amz_date = claim.amz_date;
    out->scope = std::move(scope);
  }
  return S3Error::None();
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, auth::Sha256Md(), nullptr);
  return Hex(md, len);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  return auth::Hmac(auth::Sha256Md(), key, data);
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service) {
  std::string k = HmacSha256("AWS4" + std::string(secret), date);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, "aws4_request");
}

std::string UriEncode(std::string_view in, bool encode_slash) {
  return http::PercentEncode(in, encode_slash);
}

// '+' stays '+' (http/query_string.h): the AWS SDKs, s3cmd and rclone send a space as %20
// and a plus as %2B, and a literal '+' then canonicalizes to %2B as those clients sign it.
std::optional<std::string> UriDecode(std::string_view in) { return http::PercentDecode(in); }

std::string CanonicalRequest(const SignedRequest& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash, bool presigned) {
  std::optional<http::ParsedTarget> own;
  const http::ParsedTarget& t = auth::TargetOf(request, &own);
  std::string out = request.method + "\n";
  out += CanonicalUri(t) + "\n";
  out += CanonicalQuery(t.query, presigned) + "\n";
  for (const auto& name : signed_headers) {
    out += ToLower(name);
    out += ':';
    bool first = true;
    // Repeated headers: their values in the order received, joined by ','.
    for (const auto& [k, v] : request.headers) {
      if (!IEquals(k, name)) continue;
      if (!first) out += ',';
      out += TrimAll(v);
      first = false;
    }
    out += '\n';
  }
  out += '\n';
  out += JoinSignedHeaders(signed_headers);
  out += '\n';
  out.append(payload_hash);
  return out;
}

S3Error VerifySigV4(const SignedRequest& request, const CredentialLookup& lookup,
                    const VerifyOptions& options, AuthContext* out) {
  bool presigned = false;
  S3Error err = auth::RequireVersion(request, 4, kUseV4, &presigned);
  if (!err.ok()) return err;
  Claim claim;
  if (presigned) {
    std::optional<http::ParsedTarget> own;
    err = ParseQueryForm(auth::TargetOf(request, &own).query, options, &claim);
  } else {
    err = ParseHeaderForm(request, Trim(*FindHeader(request.headers, "authorization")), options,
                          &claim);
  }
  if (!err.ok()) return err;
  return CheckSignature(request, claim, lookup, out);
}

void SignRequest(SignedRequest& request, const Credentials& creds, std::string_view region,
                 std::string_view payload_hash, int64_t now_unix) {
  // Re-signing replaces what an earlier signing added. The host header is the caller's:
  // only it knows the endpoint the request goes to.
  std::erase_if(request.headers, [](const auto& h) {
    return IEquals(h.first, "x-amz-date") || IEquals(h.first, "x-amz-content-sha256") ||
           IEquals(h.first, "authorization");
  });
  std::string amz_date = auth::FormatAmzDate(now_unix);
  request.headers.emplace_back("x-amz-date", amz_date);
  request.headers.emplace_back("x-amz-content-sha256", std::string(payload_hash));

  std::vector<std::string> names;
  for (const auto& [k, v] : request.headers) names.push_back(ToLower(k));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + std::string(region) + "/s3/aws4_request";
  std::string canonical = CanonicalRequest(request, names, payload_hash, false);
  std::string key = DeriveSigningKey(creds.secret_key, date, region, "s3");
  std::string raw = HmacSha256(key, StringToSign(amz_date, scope, canonical));
  request.headers.emplace_back(
      "authorization", std::string(kAlgorithm) + " Credential=" + creds.access_key + "/" + scope +
                           ", SignedHeaders=" + JoinSignedHeaders(names) + ", Signature=" +
                           Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
}

}  // namespace ccow::s3
