// S3's browser POST upload (POST Object): the form's signature over its policy document,
// and the policy's expiration and conditions checked against the form's fields.
//
// A signed form carries `policy` (base64 JSON: {"expiration": ISO date, "conditions": [...]})
// and either SigV4 fields (x-amz-algorithm AWS4-HMAC-SHA256, x-amz-credential
// AK/DATE/REGION/s3/aws4_request, x-amz-date, x-amz-signature = hex HMAC-SHA256 of the
// policy under the derived key) or SigV2 fields (AWSAccessKeyId, signature = base64
// HMAC-SHA1 of the policy). A form with neither is anonymous (the bucket's ACL or policy
// must then let everyone write). Conditions: {"field": "value"} and ["eq", "$field",
// "value"] (exact), ["starts-with", "$field", "prefix"], ["content-length-range", min,
// max]; every form field except policy, the signature fields, file and x-ignore-* must be
// named by one. Field names compare case-insensitively.
//
// Errors as S3 answers: 403 AccessDenied "Invalid according to Policy: ..." for an expired
// policy, a failed condition or an extra field; 403 SignatureDoesNotMatch /
// InvalidAccessKeyId; 400 InvalidPolicyDocument for a policy that is not such JSON; 400
// InvalidArgument for missing signature fields. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/s3/form_data.h"
#include "gateway/s3/s3_auth.h"

namespace ccow::s3 {

struct PostPolicy {
  struct Condition {
    enum class Kind { kEq, kStartsWith, kLengthRange } kind = Kind::kEq;
    std::string field;  // lower case, without '$'
    std::string value;  // kEq, kStartsWith
    uint64_t min = 0, max = 0;  // kLengthRange
  };
  int64_t expiration_ms = 0;  // since the epoch
  std::vector<Condition> conditions;
};

S3Error ParsePostPolicy(std::string_view policy_base64, PostPolicy* out);

// The value of a field (case-insensitive name); null when absent.
const std::string* FindField(const std::vector<FormField>& fields, std::string_view name);

// Verifies the form's signature over its policy. *out: anonymous without one; else the
// credentials (signature_version 2 or 4, payload UNSIGNED-PAYLOAD: a POST's file is not
// signed, the policy bounds it).
S3Error VerifyPostSignature(const std::vector<FormField>& fields, const CredentialLookup& lookup, AuthContext* out);

// The policy against the form: not expired at now_ms, every condition met by the fields
// (`bucket` is the request's bucket, `key` the key after ${filename} substitution), no
// field left uncovered. The content-length-range, if any, is returned in *length_range for
// the caller to apply to the file as it streams.
S3Error CheckPostPolicy(const PostPolicy& policy, const std::vector<FormField>& fields, std::string_view bucket,
                        std::string_view key, int64_t now_ms,
                        std::optional<std::pair<uint64_t, uint64_t>>* length_range);

}  // namespace ccow::s3
