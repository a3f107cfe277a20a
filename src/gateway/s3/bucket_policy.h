// S3 bucket policies: the AWS IAM policy language as S3 applies it to one bucket, parsed
// and validated the way PutBucketPolicy does, and evaluated the way S3 authorizes.
//
// Parse refuses what AWS refuses, with AWS's words: an InvalidArgument whose message is
// "MalformedPolicy: <reason>" so the gateway can answer 400 MalformedPolicy. Evaluation
// never fails: a policy that parsed can be asked anything, and reads nothing but the
// request (the caller fills aws:CurrentTime, aws:SourceIp, ... into its context).
//
// ccow's identities: an AWS account id and a canonical user id are both the tenant name.
// ccow has no IAM users, so a principal arn:aws:iam::ACCOUNT:user/NAME grants to every
// request of tenant ACCOUNT, the same as ACCOUNT or arn:aws:iam::ACCOUNT:root.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ccow::s3 {

enum class PolicyEffect { kNone, kAllow, kDeny };  // kNone: no statement matched (implicit deny)

// What one request asks, as the authorizer sees it.
struct PolicyRequest {
  std::string action;    // "s3:GetObject", "s3:ListBucket", ...
  std::string resource;  // "arn:aws:s3:::BUCKET" or "arn:aws:s3:::BUCKET/KEY"
  std::string account;   // the requester's tenant; "" = anonymous
  // Condition keys and their values, e.g. {"aws:SourceIp", {"10.1.2.3"}},
  // {"aws:SecureTransport", {"false"}}, {"s3:prefix", {"home/"}},
  // {"aws:CurrentTime", {"2026-12-01T10:00:00Z"}}, {"s3:ExistingObjectTag/color", {"red"}}.
  // A key absent (or with no values) is "not present".
  std::map<std::string, std::vector<std::string>> context;

  // The values of a condition key; key names compare case-insensitively, as in AWS.
  // Null when the key is absent.
  const std::vector<std::string>* Find(std::string_view key) const;
};

// IAM wildcard match: '*' any run (also empty), '?' one character; case-sensitive.
bool PolicyWildcardMatch(std::string_view pattern, std::string_view text);

// Policy variables (Version 2012-10-17 only): ${key} becomes the key's single value from
// the request, ${key, 'default'} falls back to default, ${*} ${?} ${$} are a literal * ? $.
// Nullopt when a variable has no single value and no default: the text then matches nothing.
std::optional<std::string> ExpandPolicyVariables(std::string_view text, const PolicyRequest& request);
// PolicyWildcardMatch after substituting variables from `variables` (null: none, as in
// 2008-10-17 policies). Substituted text is literal: a '*' from ${*} or from a value
// matches only a '*'.
bool PolicyPatternMatch(std::string_view pattern, std::string_view text,
                        const PolicyRequest* variables);

// One statement's Condition block (bucket_policy_condition.cc): every operator must hold,
// every key within an operator must hold, a key's policy values are OR'ed.
class PolicyCondition {
 public:
  // `block` is the JSON object under "Condition"; `variables`: substitute ${...} in values.
  // Unknown operators, unknown keys and values that cannot be numbers/dates/CIDRs/booleans
  // for their operator are MalformedPolicy here, never at evaluation.
  static Result<PolicyCondition> Parse(const nlohmann::json& block, bool variables);
  PolicyCondition() = default;  // no condition: always holds

  bool Holds(const PolicyRequest& request) const;
  // True when some clause admits only fixed values (no wildcards, no variables, no /0 CIDR;
  // a positive operator without IfExists or ForAllValues) of a key AWS counts as limiting
  // a grant to known parties: aws:SourceIp, aws:SourceArn, aws:SourceVpc, aws:SourceVpce,
  // aws:SourceOwner, aws:SourceAccount, aws:userid, aws:PrincipalOrgID,
  // aws:PrincipalAccount, aws:PrincipalArn, s3:DataAccessPointAccount,
  // s3:DataAccessPointArn, s3:x-amz-server-side-encryption-aws-kms-key-id.
  // Such a grant to "*" is not public.
  bool LimitsToFixedValues() const;

  struct Clause;  // defined in bucket_policy_condition.cc

 private:
  std::shared_ptr<const std::vector<Clause>> clauses_;
  bool variables_ = false;
};

class BucketPolicy {
 public:
  // Parses and validates a policy document for bucket `bucket` (at most 20 KB; Version
  // 2012-10-17, 2008-10-17 or absent, which means 2008: no policy variables). As AWS:
  // actions must be S3 actions ccow knows by name (or wildcards naming some), each action
  // must act on some listed resource (s3:ListBucket needs the bucket, s3:GetObject an
  // object pattern), resources must name this bucket or its objects, Sids are unique.
  static Result<BucketPolicy> Parse(std::string_view json, std::string_view bucket);
  BucketPolicy() = default;  // no statements: grants and denies nothing

  // Explicit Deny beats Allow; kNone when no statement applies.
  PolicyEffect Evaluate(const PolicyRequest& request) const;
  // AWS's "public" (PolicyStatus IsPublic, BlockPublicPolicy): some Allow statement grants
  // to everyone (Principal "*", {"AWS":"*"}, or NotPrincipal) without a condition that
  // limits it to fixed values (PolicyCondition::LimitsToFixedValues).
  bool IsPublic() const;
  // True when some Allow statement names `account` as principal (not merely via "*").
  bool AllowsAccount(std::string_view account) const;

  struct Statement;  // defined in bucket_policy.cc

 private:
  std::shared_ptr<const std::vector<Statement>> statements_;
  bool variables_ = false;
};

}  // namespace ccow::s3
