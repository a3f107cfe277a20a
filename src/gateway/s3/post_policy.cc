#include "gateway/s3/post_policy.h"

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "gateway/s3/auth_common.h"
#include "gateway/s3/base64.h"
#include "gateway/s3/iso_date.h"
#include "gateway/s3/sigv2.h"
#include "gateway/s3/sigv4.h"

namespace ccow::s3 {

using namespace auth;

namespace {

S3Error BadPolicy(const std::string& why) {
  return MakeError(400, "InvalidPolicyDocument", "Invalid Policy: " + why);
}

S3Error Denied(const std::string& why) {
  return MakeError(403, "AccessDenied", "Invalid according to Policy: " + why);
}

bool Exempt(const std::string& lower) {
  return lower == "policy" || lower == "x-amz-signature" || lower == "signature" || lower == "awsaccesskeyid" ||
         lower == "file" || lower.starts_with("x-ignore-");
}

bool ToLength(const nlohmann::json& j, uint64_t* out) {
  if (j.is_number_unsigned()) {
    *out = j.get<uint64_t>();
    return true;
  }
  if (j.is_number_integer()) {
    if (j.get<int64_t>() < 0) return false;
    *out = static_cast<uint64_t>(j.get<int64_t>());
    return true;
  }
  int64_t v = 0;
  if (j.is_string() && Digits(j.get<std::string>(), &v)) {
    *out = static_cast<uint64_t>(v);
    return true;
  }
  return false;
}

std::string FieldName(const std::string& ref) {
  return ToLower(ref.starts_with("$") ? std::string_view(ref).substr(1) : std::string_view(ref));
}

}  // namespace

S3Error ParsePostPolicy(std::string_view policy_base64, PostPolicy* out) {
  auto text = Base64Decode(policy_base64);
  if (!text) return BadPolicy("the policy is not base64");
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return BadPolicy("the policy is not a JSON object");
  auto exp = doc.find("expiration");
  if (exp == doc.end() || !exp->is_string()) return BadPolicy("Policy missing expiration.");
  auto when = ParseAwsDate(exp->get<std::string>());
  if (!when) return BadPolicy("Invalid 'expiration' value: '" + exp->get<std::string>() + "'");
  *out = PostPolicy();
  out->expiration_ms = *when;
  auto conds = doc.find("conditions");
  if (conds == doc.end() || !conds->is_array()) return BadPolicy("Policy missing conditions.");
  for (const auto& c : *conds) {
    PostPolicy::Condition cond;
    if (c.is_object()) {
      for (auto it = c.begin(); it != c.end(); ++it) {
        if (!it.value().is_string()) return BadPolicy("a condition's value is not a string");
        cond.kind = PostPolicy::Condition::Kind::kEq;
        cond.field = FieldName(it.key());
        cond.value = it.value().get<std::string>();
        out->conditions.push_back(cond);
      }
      continue;
    }
    if (!c.is_array() || c.size() != 3 || !c[0].is_string()) return BadPolicy("a condition is neither an object nor a 3-element list");
    std::string op = ToLower(c[0].get<std::string>());
    if (op == "content-length-range") {
      cond.kind = PostPolicy::Condition::Kind::kLengthRange;
      if (!ToLength(c[1], &cond.min) || !ToLength(c[2], &cond.max) || cond.min > cond.max)
        return BadPolicy("Invalid content-length-range");
    } else if (op == "eq" || op == "starts-with") {
      if (!c[1].is_string() || !c[2].is_string()) return BadPolicy("a condition's field or value is not a string");
      std::string ref = c[1].get<std::string>();
      if (!ref.starts_with("$")) return BadPolicy("a condition's field does not begin with '$': " + ref);
      cond.kind = op == "eq" ? PostPolicy::Condition::Kind::kEq : PostPolicy::Condition::Kind::kStartsWith;
      cond.field = FieldName(ref);
      cond.value = c[2].get<std::string>();
    } else {
      return BadPolicy("Invalid Condition: unknown operation " + c[0].get<std::string>());
    }
    out->conditions.push_back(cond);
  }
  return S3Error::None();
}

const std::string* FindField(const std::vector<FormField>& fields, std::string_view name) {
  for (const auto& f : fields)
    if (IEquals(f.name, name)) return &f.value;
  return nullptr;
}

S3Error VerifyPostSignature(const std::vector<FormField>& fields, const CredentialLookup& lookup, AuthContext* out) {
  *out = AuthContext();
  const std::string* policy = FindField(fields, "policy");
  const std::string* v4_sig = FindField(fields, "x-amz-signature");
  const std::string* v2_sig = FindField(fields, "signature");
  const std::string* v2_key = FindField(fields, "AWSAccessKeyId");
  if (!policy && !v4_sig && !v2_sig && !v2_key) {
    out->anonymous = true;
    out->payload_hash = "UNSIGNED-PAYLOAD";
    return S3Error::None();
  }
  if (!policy)
    return MakeError(400, "InvalidArgument", "Bucket POST must contain a field named 'policy' when it is signed.");
  out->payload_hash = "UNSIGNED-PAYLOAD";
  if (v4_sig) {
    const std::string* algorithm = FindField(fields, "x-amz-algorithm");
    const std::string* credential = FindField(fields, "x-amz-credential");
    const std::string* date = FindField(fields, "x-amz-date");
    if (!algorithm || !credential || !date)
      return MakeError(400, "InvalidArgument",
                       "Bucket POST signed with x-amz-signature must contain x-amz-algorithm, x-amz-credential "
                       "and x-amz-date fields.");
    if (*algorithm != "AWS4-HMAC-SHA256")
      return MakeError(400, "InvalidArgument", "Only AWS4-HMAC-SHA256 is supported as x-amz-algorithm.");
    // AK/DATE/REGION/s3/aws4_request
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      size_t slash = credential->find('/', start);
      parts.push_back(credential->substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (parts.size() != 5 || parts[3] != "s3" || parts[4] != "aws4_request" || parts[1].size() != 8 ||
        !date->starts_with(parts[1]))
      return MakeError(400, "InvalidArgument", "x-amz-credential is not AK/YYYYMMDD/REGION/s3/aws4_request "
                                               "dated as x-amz-date: " + *credential);
    auto creds = lookup(parts[0]);
    if (!creds) return UnknownAccessKey();
    std::string key = DeriveSigningKey(creds->secret_key, parts[1], parts[2], "s3");
    std::string mac = HmacSha256(key, *policy);
    if (!SameSignature(ToHex(mac.data(), mac.size()), ToLower(*v4_sig))) return SignatureMismatch();
    out->credentials = *creds;
    out->signature_version = 4;
    out->signing_key = key;
    out->amz_date = *date;
    out->scope = parts[1] + "/" + parts[2] + "/s3/aws4_request";
    return S3Error::None();
  }
  if (!v2_sig || !v2_key)
    return MakeError(400, "InvalidArgument", "Bucket POST must contain AWSAccessKeyId and signature fields, or "
                                             "the x-amz-* fields of a SigV4 signature.");
  auto creds = lookup(*v2_key);
  if (!creds) return UnknownAccessKey();
  if (!SameSignature(HmacSha1Base64(creds->secret_key, *policy), *v2_sig)) return SignatureMismatch();
  out->credentials = *creds;
  out->signature_version = 2;
  return S3Error::None();
}

S3Error CheckPostPolicy(const PostPolicy& policy, const std::vector<FormField>& fields, std::string_view bucket,
                        std::string_view key, int64_t now_ms,
                        std::optional<std::pair<uint64_t, uint64_t>>* length_range) {
  if (now_ms >= policy.expiration_ms) return Denied("Policy expired.");
  std::vector<bool> covered(fields.size(), false);
  length_range->reset();
  for (const auto& c : policy.conditions) {
    using Kind = PostPolicy::Condition::Kind;
    if (c.kind == Kind::kLengthRange) {
      *length_range = std::make_pair(c.min, c.max);
      continue;
    }
    std::string value;
    if (c.field == "bucket") {
      value = std::string(bucket);
    } else if (c.field == "key") {
      value = std::string(key);
    } else if (const std::string* v = FindField(fields, c.field)) {
      value = *v;
    }
    for (size_t i = 0; i < fields.size(); ++i)
      if (ToLower(fields[i].name) == c.field) covered[i] = true;
    bool met = c.kind == Kind::kEq ? value == c.value : std::string_view(value).starts_with(c.value);
    if (!met)
      return Denied("Policy Condition failed: [\"" + std::string(c.kind == Kind::kEq ? "eq" : "starts-with") +
                    "\", \"$" + c.field + "\", \"" + c.value + "\"]");
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string lower = ToLower(fields[i].name);
    if (!covered[i] && !Exempt(lower)) return Denied("Extra input fields: " + fields[i].name);
  }
  return S3Error::None();
}

}  // namespace ccow::s3
