// AWS Signature Version 4 verification for the S3 gateway: the Authorization header form,
// presigned URLs (query form), and the signing key that aws-chunked payloads continue to
// sign with. The request and result types are s3_auth.h's; Authenticate (s3_auth.h) calls
// this for the SigV4 forms. Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/s3/s3_auth.h"
#include "gateway/s3/s3_error.h"

namespace ccow::s3 {

// Verifies a request signed with SigV4, in the Authorization header or in the query.
// Errors follow S3: InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed,
// AccessDenied ("Request has expired"), AuthorizationHeaderMalformed,
// AuthorizationQueryParametersError, InvalidRequest for a SigV2 request (Authenticate
// sends those to VerifySigV2), AccessDenied for an anonymous one, and DetectAuthForm's.
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
