// AWS Signature Version 2 verification for the S3 gateway, as AWS documents it
// ("Signing and authenticating REST requests", S3 API reference): the header form
//   Authorization: AWS AccessKeyId:Base64(HMAC-SHA1(secret, StringToSign))
// and the query form of presigned URLs (?AWSAccessKeyId=..&Signature=..&Expires=<unix>),
// which botocore 1.29 (Debian 12's boto3) still makes by default for a custom endpoint.
//   StringToSign = Verb \n Content-MD5 \n Content-Type \n Date \n
//                  CanonicalizedAmzHeaders CanonicalizedResource
// Date is the Date header, empty when x-amz-date is present (x-amz-date takes precedence
// and is signed among the x-amz-* headers), and Expires for a presigned URL. SigV2 does not
// sign the body, so aws-chunked bodies (their chunks chain from a SigV4 signature) are
// refused. The request and result types are s3_auth.h's; Authenticate calls this for the
// SigV2 forms. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/s3/s3_auth.h"
#include "gateway/s3/s3_error.h"

namespace ccow::s3 {

// Verifies a request signed with SigV2, in the Authorization header or in the query.
// Errors follow S3:
//   InvalidArgument (400)       "AWS" header not of the form AccessKeyId:Signature
//   AccessDenied (403)          no valid Date/x-amz-date; a query without all three
//                               parameters or with a bad Expires; "Request has expired"
//   RequestTimeTooSkewed (403)  header form, request time over 15 minutes off
//   InvalidRequest (400)        an aws-chunked (STREAMING-*) body, which needs SigV4;
//                               a SigV4 request (Authenticate sends those to VerifySigV4)
//   InvalidAccessKeyId (403), SignatureDoesNotMatch (403), and DetectAuthForm's.
// On success *out holds the credentials, signature_version 2 and the payload hash
// (UNSIGNED-PAYLOAD, or the hex SHA-256 a signed x-amz-content-sha256 header declares).
S3Error VerifySigV2(const SignedRequest& request, const CredentialLookup& lookup,
                    const VerifyOptions& options, AuthContext* out);

// The StringToSign of a request, header form (presigned false: Date or x-amz-date) or
// query form (presigned true: the Expires parameter in the Date position, and x-amz-*
// query parameters, where botocore moves a presigned request's x-amz-* headers, signed as
// headers). Exposed for AWS's published examples in the tests.
std::string SigV2StringToSign(const SignedRequest& request, bool presigned);

// CanonicalizedResource: "/" + host_bucket (virtual-hosted style), the path as received
// (not decoded), and the sub-resources among the query parameters (acl, uploadId,
// versionId, response-content-type, ...), sorted by name, with decoded values. A
// path-style request to a bucket alone ("/bucket") is "/bucket/", as a virtual-hosted one
// is and as the SDKs sign it (botocore, boto, the Java SDK); VerifySigV2 also accepts
// "/bucket", the page's rule read literally.
std::string SigV2CanonicalizedResource(const SignedRequest& request);

// Base64(HMAC-SHA1(key, data)): the signature as the header carries it.
std::string HmacSha1Base64(std::string_view key, std::string_view data);

// Signs a request the way a SigV2 client does (tests, fuzz seeds): adds a Date header
// (RFC 1123) unless there is an x-amz-date, and the Authorization header.
void SignRequestV2(SignedRequest& request, const Credentials& creds, int64_t now_unix);

}  // namespace ccow::s3
