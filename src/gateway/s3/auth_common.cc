#include "gateway/s3/auth_common.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>

namespace ccow::s3::auth {

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

const std::string* FindHeader(const NameValues& headers, std::string_view name, int* count) {
  const std::string* found = nullptr;
  int n = 0;
  for (const auto& [k, v] : headers) {
    if (!IEquals(k, name)) continue;
    if (found == nullptr) found = &v;
    ++n;
  }
  if (count != nullptr) *count = n;
  return found;
}

const std::string* FindParam(const http::QueryParams& params, std::string_view name, int* count) {
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

S3Error RequireVersion(const SignedRequest& r, int version, std::string_view other_version,
                       bool* presigned) {
  AuthForm form;
  S3Error err = DetectAuthForm(r, &form);
  if (!err.ok()) return err;
  if (form == AuthForm::kAnonymous)
    return MakeError(403, "AccessDenied", "Anonymous access is not allowed");
  bool v2 = form == AuthForm::kSigV2Header || form == AuthForm::kSigV2Query;
  if ((version == 2) != v2) return MakeError(400, "InvalidRequest", std::string(other_version));
  *presigned = form == AuthForm::kSigV2Query || form == AuthForm::kSigV4Query;
  return S3Error::None();
}

const http::ParsedTarget& TargetOf(const SignedRequest& r, std::optional<http::ParsedTarget>* own) {
  if (r.parsed != nullptr) return *r.parsed;
  return own->emplace(http::ParseTarget(r.target));
}

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

const EVP_MD* Sha1Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // A null key pointer means "no key" to OpenSSL, not "the empty key": never pass one.
  static const char kNoKey = 0;
  HMAC(md, key.empty() ? &kNoKey : key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

namespace {

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

}  // namespace

std::optional<int64_t> ParseAmzDate(std::string_view s) {
  int64_t y, mo, d, h, mi, sec;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  if (!Digits(s.substr(0, 4), &y) || !Digits(s.substr(4, 2), &mo) || !Digits(s.substr(6, 2), &d) ||
      !Digits(s.substr(9, 2), &h) || !Digits(s.substr(11, 2), &mi) ||
      !Digits(s.substr(13, 2), &sec))
    return std::nullopt;
  return ToUnix(y, mo, d, h, mi, sec);
}

std::optional<int64_t> ParseHttpDate(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  size_t comma = s.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  s = Trim(s.substr(comma + 1));  // "24 May 2013 00:00:00 GMT"
  if (s.size() < 21 || s[2] != ' ' || s[6] != ' ' || s[11] != ' ' || s[14] != ':' || s[17] != ':' ||
      s[20] != ' ')
    return std::nullopt;
  std::string_view zone = s.substr(21);
  if (zone != "GMT" && zone != "UTC" && zone != "+0000" && zone != "-0000") return std::nullopt;
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

namespace {

std::string FormatUtc(int64_t t, const char* format) {
  time_t tt = static_cast<time_t>(t);
  std::tm tm{};
  char buf[64] = "";
  if (gmtime_r(&tt, &tm) != nullptr) std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

}  // namespace

std::string FormatAmzDate(int64_t t) { return FormatUtc(t, "%Y%m%dT%H%M%SZ"); }

std::string FormatHttpDate(int64_t t) { return FormatUtc(t, "%a, %d %b %Y %H:%M:%S GMT"); }

S3Error CheckSkew(int64_t t, const VerifyOptions& opt) {
  if (t > opt.now_unix + opt.max_skew_seconds || t < opt.now_unix - opt.max_skew_seconds)
    return MakeError(403, "RequestTimeTooSkewed",
                     "The difference between the request time and the server's time is too "
                     "large.");
  return S3Error::None();
}

namespace {

bool IsLowerHex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

bool IsStreamingPayload(std::string_view v) {
  return v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" ||
         v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" ||
         v == "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
}

bool ValidPayloadHash(std::string_view v) {
  return IsLowerHex(v, 64) || v == kUnsignedPayload || IsStreamingPayload(v);
}

S3Error BadPayloadHash() {
  return MakeError(400, "InvalidArgument",
                   "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                   "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a lower-case hex SHA-256.");
}

S3Error UnknownAccessKey() {
  return MakeError(403, "InvalidAccessKeyId",
                   "The AWS Access Key Id you provided does not exist in our records.");
}

S3Error SignatureMismatch() {
  return MakeError(403, "SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you "
                   "provided. Check your key and signing method.");
}

bool SameSignature(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ccow::s3::auth
