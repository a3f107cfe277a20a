// Authentication of S3 requests: what a verifier is given and what it establishes, and the
// one place that picks the verifier by the form a request is signed in. Two signature
// versions are served, each in two forms:
//   SigV4  Authorization: AWS4-HMAC-SHA256 ...       (sigv4.h)
//          ?X-Amz-Algorithm=AWS4-HMAC-SHA256&...     presigned URL
//   SigV2  Authorization: AWS AccessKeyId:Signature  (sigv2.h)
//          ?AWSAccessKeyId=..&Signature=..&Expires=..  presigned URL
// Independent of the HTTP library: callers pass what was received. Stateless and
// thread-safe; the credential lookup is called on the caller's thread.
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
  // Header names lower-cased, values as received (the verifiers trim and fold spaces).
  // Repeated headers appear once per occurrence.
  std::vector<std::pair<std::string, std::string>> headers;
  // ParseTarget(target), when the caller has it: the gateway passes the HttpRequest's, so
  // the canonical query is built from the very pairs its router reads. Not owned; must
  // outlive the call. Null: the verifier parses `target` with the same parser.
  const http::ParsedTarget* parsed = nullptr;
  // The bucket the Host header names (virtual-hosted style, s3_addressing.h); empty for
  // path style. SigV2 signs "/" + host_bucket + path; SigV4 signs the path and the Host
  // header as sent, so it needs nothing more.
  std::string host_bucket{};
};

// What a successful verification established.
struct AuthContext {
  // No signature at all: the caller decides what an anonymous request may do (ACLs and
  // policies that grant AllUsers); credentials are empty.
  bool anonymous = false;
  Credentials credentials;
  int signature_version = 4;  // 2 or 4
  bool presigned = false;
  // The body as signed: a lower-case hex SHA-256 of it, "UNSIGNED-PAYLOAD", or (SigV4
  // only) a STREAMING-* mode for aws-chunked bodies. SigV2 does not sign bodies: it is
  // UNSIGNED-PAYLOAD unless a (signed) x-amz-content-sha256 header declares a hash.
  std::string payload_hash;
  // SigV4 only. For aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): chunk
  // signatures chain from the request signature (the seed) with the same key and scope.
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

enum class AuthForm {
  kAnonymous,  // no Authorization header, no signature in the query
  kSigV4Header,
  kSigV4Query,
  kSigV2Header,
  kSigV2Query,
};

// Which form a request is signed in. Errors as S3 answers them: InvalidURI (a malformed
// escape), InvalidArgument (two Authorization headers, a header and a query signature at
// once, an Authorization scheme that is neither "AWS4-HMAC-SHA256" nor "AWS").
S3Error DetectAuthForm(const SignedRequest& request, AuthForm* form);

// The one dispatch point: verifies the request with the verifier of its form (VerifySigV4
// or VerifySigV2) and fills *out on success. An anonymous request succeeds with
// out->anonymous set and an unsigned payload: authorization is the caller's.
S3Error Authenticate(const SignedRequest& request, const CredentialLookup& lookup,
                     const VerifyOptions& options, AuthContext* out);

}  // namespace ccow::s3
