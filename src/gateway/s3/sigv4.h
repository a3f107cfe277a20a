// AWS Signature Version 4 verification for the S3 gateway: the Authorization header form,
// presigned URLs (query form), and the signing key that aws-chunked payloads continue to
// sign with. Independent of the HTTP library: callers pass what was received.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/s3/s3_error.h"
#include "http/query_string.h"

namespace ccow::s3 {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string tenant;  // whose buckets the key reaches
};

// Finds the credentials of an access key; nullopt when the key is unknown.
using CredentialLookup = std::function<std::optional<Credentials>(std::string_view access_key)>;

// A received request, as on the wire.
struct SignedRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // request-target as received: "/bucket/key%20x?uploads&partNumber=1"
  // Header names lower-cased, values as received (the verifier trims and folds spaces).
  // Repeated headers appear once per occurrence.
  std::vector<std::pair<std::string, std::string>> headers;
  // ParseTarget(target), when the caller has it: the gateway passes the HttpRequest's, so
  // the canonical query is built from the very pairs its router reads. Not owned; must
  // outlive the call. Null: the verifier parses `target` with the same parser.
  const http::ParsedTarget* parsed = nullptr;
};

// What a successful verification established.
struct AuthContext {
  Credentials credentials;
  bool presigned = false;
  // x-amz-content-sha256 as signed: a lower-case hex SHA-256 of the body,
  // "UNSIGNED-PAYLOAD", or a STREAMING-* mode for aws-chunked bodies.
  std::string payload_hash;
  // For aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): chunk signatures chain
  // from the request signature (the seed) and are made with the same key and scope.
  std::string seed_signature;  // hex
  std::string signing_key;     // 32 raw bytes
  std::string amz_date;        // "20130524T000000Z"
  std::string scope;           // "20130524/us-east-1/s3/aws4_request"
};

struct VerifyOptions {
  int64_t now_unix = 0;                  // seconds; the server clock
  int64_t max_skew_seconds = 15 * 60;    // header-signed requests (S3: 15 minutes)
  int64_t max_presign_seconds = 604800;  // X-Amz-Expires upper bound (S3: 7 days)
};

// Verifies a request signed with SigV4, in the Authorization header or in the query.
// Errors follow S3: InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed,
// AccessDenied ("Request has expired"), AuthorizationHeaderMalformed,
// AuthorizationQueryParametersError, and AccessDenied for anonymous or SigV2 requests.
S3Error VerifySigV4(const SignedRequest& request, const CredentialLookup& lookup,
                    const VerifyOptions& options, AuthContext* out);

// Building blocks, exposed for aws-chunked and for the tests (AWS's published vectors).
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service);
// S3's URI encoding: every byte except A-Za-z0-9-_.~ as %XX (upper case); '/' kept
// when encode_slash is false. (http::PercentEncode.)
std::string UriEncode(std::string_view in, bool encode_slash);
// Percent-decoding, '+' kept; nullopt on a malformed escape. (http::PercentDecode.)
std::optional<std::string> UriDecode(std::string_view in);
// The canonical request and string to sign of AWS's documentation, for tests and for
// the SignatureDoesNotMatch message (S3 returns the string to sign to help debugging).
std::string CanonicalRequest(const SignedRequest& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash, bool presigned);

// Signs a request the way a client does (used by `ccow bench s3` and tests).
// The caller supplies the host header; this adds x-amz-date, x-amz-content-sha256 and
// Authorization, signing every header present.
void SignRequest(SignedRequest& request, const Credentials& creds, std::string_view region,
                 std::string_view payload_hash, int64_t now_unix);

}  // namespace ccow::s3
