#include "gateway/s3/s3_auth.h"

#include "gateway/s3/auth_common.h"
#include "gateway/s3/sigv2.h"
#include "gateway/s3/sigv4.h"

namespace ccow::s3 {

using auth::FindHeader;
using auth::FindParam;

S3Error DetectAuthForm(const SignedRequest& request, AuthForm* form) {
  std::optional<http::ParsedTarget> own;
  const http::ParsedTarget& t = auth::TargetOf(request, &own);
  if (!t.well_formed()) return MakeError(400, "InvalidURI", "Couldn't parse the specified URI.");
  const http::QueryParams& params = t.query;

  int auth_count = 0;
  const std::string* header = FindHeader(request.headers, "authorization", &auth_count);
  bool query_v4 = FindParam(params, "X-Amz-Algorithm") || FindParam(params, "X-Amz-Signature") ||
                  FindParam(params, "X-Amz-Credential");
  // "Expires" alone is no claim: it is an ordinary word, and SigV2 needs all three.
  bool query_v2 = FindParam(params, "AWSAccessKeyId") || FindParam(params, "Signature");
  if (auth_count > 1)
    return MakeError(400, "InvalidArgument", "Only one Authorization header is allowed");
  if ((header != nullptr) + query_v4 + query_v2 > 1)
    return MakeError(400, "InvalidArgument",
                     "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                     "parameter, Signature query string parameter or the Authorization header "
                     "should be specified");

  if (header != nullptr) {
    std::string_view a = auth::Trim(*header);
    auto scheme = [&](std::string_view name) {
      return a.starts_with(name) && (a.size() == name.size() || auth::IsSpace(a[name.size()]));
    };
    if (scheme("AWS4-HMAC-SHA256")) {
      *form = AuthForm::kSigV4Header;
    } else if (scheme("AWS")) {
      *form = AuthForm::kSigV2Header;
    } else {
      return MakeError(400, "InvalidArgument", "Unsupported Authorization Type");
    }
  } else if (query_v4) {
    *form = AuthForm::kSigV4Query;
  } else if (query_v2) {
    *form = AuthForm::kSigV2Query;
  } else {
    *form = AuthForm::kAnonymous;
  }
  return S3Error::None();
}

S3Error Authenticate(const SignedRequest& request, const CredentialLookup& lookup,
                     const VerifyOptions& options, AuthContext* out) {
  AuthForm form;
  S3Error err = DetectAuthForm(request, &form);
  if (!err.ok()) return err;
  switch (form) {
    case AuthForm::kSigV4Header:
    case AuthForm::kSigV4Query:
      return VerifySigV4(request, lookup, options, out);
    case AuthForm::kSigV2Header:
    case AuthForm::kSigV2Query:
      return VerifySigV2(request, lookup, options, out);
    case AuthForm::kAnonymous:
      break;
  }
  *out = AuthContext{};
  out->anonymous = true;
  out->payload_hash = "UNSIGNED-PAYLOAD";
  return S3Error::None();
}

}  // namespace ccow::s3
