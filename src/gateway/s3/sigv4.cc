#include "gateway/s3/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace ccow::s3 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr char kCredentialMalformed[] =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
    "aws4_request\".";
constexpr char kThreeComponents[] =
    "the authorization header requires three components: Credential, SignedHeaders, and "
    "Signature.";
constexpr char kUseV4[] =
    "The authorization mechanism you have provided is not supported. Please use "
    "AWS4-HMAC-SHA256.";
constexpr char kNeedDate[] = "AWS authentication requires a valid Date or x-amz-date header";
constexpr char kSignatureMismatch[] =
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.";

// Fetching an EVP_MD is expensive in OpenSSL 3 (a provider lookup per call with
// EVP_sha256()); a request needs seven HMACs and a digest, so fetch it once.
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
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

bool IsLowerHex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// ---- Time. timegm and gmtime_r work in UTC, so the server's time zone cannot matter.

std::string FormatAmzDate(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  std::tm tm{};
  char buf[32] = "";
  if (gmtime_r(&tt, &tm) != nullptr) std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

bool Digits(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::optional<int64_t> ToUnix(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s) {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = static_cast<int>(y - 1900);
  tm.tm_mon = static_cast<int>(mo - 1);
  tm.tm_mday = static_cast<int>(d);
  tm.tm_hour = static_cast<int>(h);
  tm.tm_min = static_cast<int>(mi);
  tm.tm_sec = static_cast<int>(s);
  return static_cast<int64_t>(timegm(&tm));
}

// ISO 8601 basic, as x-amz-date and X-Amz-Date carry it: "20130524T000000Z".
std::optional<int64_t> ParseAmzDate(std::string_view s) {
  int64_t y, mo, d, h, mi, sec;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  if (!Digits(s.substr(0, 4), &y) || !Digits(s.substr(4, 2), &mo) || !Digits(s.substr(6, 2), &d) ||
      !Digits(s.substr(9, 2), &h) || !Digits(s.substr(11, 2), &mi) ||
      !Digits(s.substr(13, 2), &sec))
    return std::nullopt;
  return ToUnix(y, mo, d, h, mi, sec);
}

// RFC 1123, the Date header: "Fri, 24 May 2013 00:00:00 GMT".
std::optional<int64_t> ParseHttpDate(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  size_t comma = s.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  s = Trim(s.substr(comma + 1));  // "24 May 2013 00:00:00 GMT"
  if (s.size() != 24 || s.substr(20) != " GMT" || s[2] != ' ' || s[6] != ' ' || s[11] != ' ' ||
      s[14] != ':' || s[17] != ':')
    return std::nullopt;
  int64_t mo = 0;
  for (int i = 0; i < 12; ++i)
    if (s.substr(3, 3) == kMonths[i]) mo = i + 1;
  int64_t y, d, h, mi, sec;
  if (mo == 0 || !Digits(s.substr(0, 2), &d) || !Digits(s.substr(7, 4), &y) ||
      !Digits(s.substr(12, 2), &h) || !Digits(s.substr(15, 2), &mi) ||
      !Digits(s.substr(18, 2), &sec))
    return std::nullopt;
  return ToUnix(y, mo, d, h, mi, sec);
}

// ---- Request-target pieces: http::ParseTarget, the parser routing uses too.

// The request's parsed target: the caller's (the gateway passes the one its router
// reads), else parsed here by the same parser.
const http::ParsedTarget& TargetOf(const SignedRequest& r, std::optional<http::ParsedTarget>* own) {
  if (r.parsed != nullptr) return *r.parsed;
  return own->emplace(http::ParseTarget(r.target));
}

using NameValues = std::vector<std::pair<std::string, std::string>>;

// The first value under `name` (any case for headers, exact for query parameters) and,
// in *count, how many there are.
const std::string* Find(const NameValues& list, std::string_view name, bool any_case,
                        int* count = nullptr) {
  const std::string* found = nullptr;
  int n = 0;
  for (const auto& [k, v] : list) {
    if (any_case ? !IEquals(k, name) : k != name) continue;
    if (found == nullptr) found = &v;
    ++n;
  }
  if (count != nullptr) *count = n;
  return found;
}

// The first decoded value of a query parameter (exact case) and, in *count, how many
// parameters have that name.
const std::string* Find(const http::QueryParams& params, std::string_view name, bool /*any_case*/,
                        int* count = nullptr) {
  const std::string* found = nullptr;
  int n = 0;
  for (const auto& p : params) {
    if (p.name != name) continue;
    if (found == nullptr) found = &p.value;
    ++n;
  }
  if (count != nullptr) *count = n;
  return found;
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
  if (cred.empty() || parts[0].size() != 8 || !Digits(parts[0], &ignored) || parts[1].empty() ||
      parts[3] != "aws4_request") {
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

// x-amz-content-sha256: what a body may be declared as. AuthContext promises lower-case hex.
bool ValidPayloadHash(std::string_view v) {
  return IsLowerHex(v, 64) || v == kUnsignedPayload || v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" ||
         v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" ||
         v == "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
}

S3Error BadPayloadHash() {
  return MakeError(400, "InvalidArgument",
                   "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                   "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a lower-case hex SHA-256.");
}

S3Error ParseHeaderForm(const SignedRequest& r, std::string_view auth, const VerifyOptions& opt,
                        Claim* claim) {
  // Components are separated by ", " in AWS's examples, by "," in botocore's and by
  // " " in some others; none of their values holds a space or a comma, so split on both.
  std::string_view rest = auth.substr(kAlgorithm.size());
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

  const std::string* sha = Find(r.headers, "x-amz-content-sha256", true);
  if (sha == nullptr)
    return MakeError(400, "InvalidRequest",
                     "Missing required header for this request: x-amz-content-sha256");
  claim->payload_hash = std::string(Trim(*sha));
  if (!ValidPayloadHash(claim->payload_hash)) return BadPayloadHash();

  int64_t t;
  if (const std::string* amz = Find(r.headers, "x-amz-date", true)) {
    std::string_view v = Trim(*amz);
    auto parsed = ParseAmzDate(v);
    if (!parsed) return MakeError(403, "AccessDenied", kNeedDate);
    t = *parsed;
    claim->amz_date = std::string(v);
  } else if (const std::string* date = Find(r.headers, "date", true)) {
    auto parsed = ParseHttpDate(*date);
    if (!parsed) return MakeError(403, "AccessDenied", kNeedDate);
    t = *parsed;
    claim->amz_date = FormatAmzDate(t);
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
  if (t > opt.now_unix + opt.max_skew_seconds || t < opt.now_unix - opt.max_skew_seconds)
    return MakeError(403, "RequestTimeTooSkewed",
                     "The difference between the request time and the server's time is too "
                     "large.");
  return S3Error::None();
}

S3Error ParseQueryForm(const http::QueryParams& params, const VerifyOptions& opt, Claim* claim) {
  static constexpr std::string_view kRequired[] = {"X-Amz-Algorithm",     "X-Amz-Credential",
                                                   "X-Amz-Signature",     "X-Amz-Date",
                                                   "X-Amz-SignedHeaders", "X-Amz-Expires"};
  for (std::string_view name : kRequired) {
    int count = 0;
    Find(params, name, false, &count);
    if (count != 1)
      return QueryError(
          "Query-string authentication version 4 requires the X-Amz-Algorithm, "
          "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
          "and X-Amz-Expires parameters (each once).");
  }
  if (*Find(params, "X-Amz-Algorithm", false) != kAlgorithm)
    return QueryError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  std::string why;
  if (!ParseCredential(*Find(params, "X-Amz-Credential", false), claim, &why))
    return QueryError("Error parsing the X-Amz-Credential parameter; " + why);
  claim->signed_headers = SplitSignedHeaders(*Find(params, "X-Amz-SignedHeaders", false));
  if (!ValidSignedHeaders(claim->signed_headers))
    return QueryError("X-Amz-SignedHeaders must name host and no empty header.");
  claim->signature = ToLower(*Find(params, "X-Amz-Signature", false));
  claim->amz_date = *Find(params, "X-Amz-Date", false);
  auto t = ParseAmzDate(claim->amz_date);
  if (!t)
    return QueryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (claim->amz_date.substr(0, 8) != claim->date)
    return QueryError("Invalid credential date \"" + claim->date +
                      "\". This date is not the same as X-Amz-Date: \"" +
                      claim->amz_date.substr(0, 8) + "\".");
  const std::string& expires_text = *Find(params, "X-Amz-Expires", false);
  int64_t expires = 0;
  if (expires_text.size() > 12 || !Digits(expires_text, &expires))
    return QueryError("X-Amz-Expires should be a number");
  if (expires < 1) return QueryError("X-Amz-Expires must be positive");
  if (expires > opt.max_presign_seconds)
    return QueryError("X-Amz-Expires must be less than a week (in seconds) that is; " +
                      std::to_string(opt.max_presign_seconds));
  if (const std::string* sha = Find(params, "X-Amz-Content-Sha256", false)) {
    claim->payload_hash = *sha;
    if (!ValidPayloadHash(claim->payload_hash)) return BadPayloadHash();
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
  if (!creds)
    return MakeError(403, "InvalidAccessKeyId",
                     "The AWS Access Key Id you provided does not exist in our records.");
  S3Error unsigned_headers = CheckAmzHeadersSigned(r, claim.signed_headers);
  if (!unsigned_headers.ok()) return unsigned_headers;

  std::string scope = claim.date + "/" + claim.region + "/s3/aws4_request";
  std::string canonical =
      CanonicalRequest(r, claim.signed_headers, claim.payload_hash, claim.presigned);
  std::string key = DeriveSigningKey(creds->secret_key, claim.date, claim.region, "s3");
  std::string raw = HmacSha256(key, StringToSign(claim.amz_date, scope, canonical));
  std::string expected = Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  // Constant time, so that response timing does not reveal how much of a guess matched.
  if (claim.signature.size() != expected.size() ||
      CRYPTO_memcmp(claim.signature.data(), expected.data(), expected.size()) != 0)
    return MakeError(403, "SignatureDoesNotMatch", kSignatureMismatch);

  if (out != nullptr) {
    out->credentials = std::move(*creds);
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
  EVP_Digest(data.data(), data.size(), md, &len, Sha256Md(), nullptr);
  return Hex(md, len);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // A null key pointer means "no key" to OpenSSL, not "the empty key": never pass one.
  static const char kNoKey = 0;
  HMAC(Sha256Md(), key.empty() ? &kNoKey : key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
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
  const http::ParsedTarget& t = TargetOf(request, &own);
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
  std::optional<http::ParsedTarget> own;
  const http::ParsedTarget& t = TargetOf(request, &own);
  if (!t.well_formed()) return MakeError(400, "InvalidURI", "Couldn't parse the specified URI.");
  const http::QueryParams& params = t.query;

  int auth_count = 0;
  const std::string* auth = Find(request.headers, "authorization", true, &auth_count);
  bool query_v4 = Find(params, "X-Amz-Algorithm", false) ||
                  Find(params, "X-Amz-Signature", false) || Find(params, "X-Amz-Credential", false);
  bool query_v2 = Find(params, "AWSAccessKeyId", false) && Find(params, "Signature", false);
  if (auth_count > 1)
    return MakeError(400, "InvalidArgument", "Only one Authorization header is allowed");
  if (auth != nullptr && (query_v4 || query_v2))
    return MakeError(400, "InvalidArgument",
                     "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                     "parameter, Signature query string parameter or the Authorization header "
                     "should be specified");

  Claim claim;
  if (auth != nullptr) {
    std::string_view a = Trim(*auth);
    if (a.starts_with("AWS ")) return MakeError(400, "InvalidRequest", kUseV4);
    if (!a.starts_with(kAlgorithm) ||
        (a.size() > kAlgorithm.size() && !IsSpace(a[kAlgorithm.size()])))
      return MakeError(400, "InvalidArgument", "Unsupported Authorization Type");
    S3Error err = ParseHeaderForm(request, a, options, &claim);
    if (!err.ok()) return err;
  } else if (query_v4) {
    S3Error err = ParseQueryForm(params, options, &claim);
    if (!err.ok()) return err;
  } else if (query_v2) {
    return MakeError(400, "InvalidRequest", kUseV4);
  } else {
    return MakeError(403, "AccessDenied", "Anonymous access is not allowed");
  }
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
  std::string amz_date = FormatAmzDate(now_unix);
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
