// Private to the S3 signature verifiers (s3_auth.cc, sigv2.cc, sigv4.cc): the pieces both
// signature versions read the same way (header and query lookup, request times, the
// clock-skew rule, the errors S3 answers for an unknown key or a wrong signature), so the
// two versions cannot drift apart on them.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/s3/s3_auth.h"
#include "gateway/s3/s3_error.h"
#include "http/query_string.h"

namespace ccow::s3::auth {

using NameValues = std::vector<std::pair<std::string, std::string>>;

inline constexpr char kNeedDate[] = "AWS authentication requires a valid Date or x-amz-date header";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

char Lower(char c);
std::string ToLower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);
bool IsSpace(char c);  // ' ' or '\t'
std::string_view Trim(std::string_view s);
// Non-empty decimal digits only; no sign, no overflow check beyond the caller's length cap.
bool Digits(std::string_view s, int64_t* out);

// The first value of a header (any case of name) and, in *count, how many there are.
const std::string* FindHeader(const NameValues& headers, std::string_view name,
                              int* count = nullptr);
// The first decoded value of a query parameter (decoded name, exact case) and, in *count,
// how many parameters have that name.
const std::string* FindParam(const http::QueryParams& params, std::string_view name,
                             int* count = nullptr);

// For the verifier of one signature version (2 or 4): whether the request is signed in
// that version's query form (*presigned true) or header form (false). Errors:
// DetectAuthForm's; 400 InvalidRequest `other_version` for the other version's forms;
// 403 AccessDenied for an anonymous request.
S3Error RequireVersion(const SignedRequest& r, int version, std::string_view other_version,
                       bool* presigned);

// The request's parsed target: the caller's (the gateway passes the one its router
// reads), else parsed into *own by the same parser.
const http::ParsedTarget& TargetOf(const SignedRequest& r, std::optional<http::ParsedTarget>* own);

// ---- Crypto (OpenSSL). The digests are fetched once: EVP_sha256() and the like cost a
// provider lookup per call in OpenSSL 3, and a SigV4 request needs seven HMACs.
const EVP_MD* Sha256Md();
const EVP_MD* Sha1Md();
// HMAC(md, key, data): the raw MAC.
std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data);

// ---- Time. UTC throughout (timegm, gmtime_r): the server's time zone cannot matter.
// ISO 8601 basic, as SigV4 carries it: "20130524T000000Z".
std::optional<int64_t> ParseAmzDate(std::string_view s);
// RFC 1123, the Date header: "Fri, 24 May 2013 00:00:00 GMT"; the zone may also be
// written "UTC", "+0000" or "-0000" (AWS's SigV2 examples and s3cmd use "+0000").
std::optional<int64_t> ParseHttpDate(std::string_view s);
std::string FormatAmzDate(int64_t unix_seconds);   // "20130524T000000Z"
std::string FormatHttpDate(int64_t unix_seconds);  // "Fri, 24 May 2013 00:00:00 GMT"
// 403 RequestTimeTooSkewed when t is more than max_skew_seconds from the server's clock.
S3Error CheckSkew(int64_t t, const VerifyOptions& options);

// ---- Payload declarations (x-amz-content-sha256).
// What a body may be declared as: lower-case hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-*
// mode (aws-chunked; SigV4 only, the chunk signatures chain from a SigV4 signature).
bool ValidPayloadHash(std::string_view v);
bool IsStreamingPayload(std::string_view v);
S3Error BadPayloadHash();

// ---- Errors both versions answer with, in S3's words.
S3Error UnknownAccessKey();
S3Error SignatureMismatch();
// Equal strings, compared in constant time (response timing must not reveal how much of a
// guessed signature matched).
bool SameSignature(std::string_view a, std::string_view b);

}  // namespace ccow::s3::auth
