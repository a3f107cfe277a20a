// Bucket policy documents: the statement grammar, principals, actions and resources, and
// evaluation (conditions are in bucket_policy_condition.cc).
#include "gateway/s3/bucket_policy.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>

namespace ccow::s3 {

using nlohmann::json;

namespace {

// AWS: "Policies must be less than 20 KB" (20,480 bytes of document text).
constexpr size_t kMaxPolicyBytes = 20 * 1024;
constexpr std::string_view kS3ArnPrefix = "arn:aws:s3:::";
constexpr std::string_view kIamArnPrefix = "arn:aws:iam::";

Status Malformed(const std::string& what) { return Status::InvalidArgument("MalformedPolicy: " + what); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// What an action acts on, as a bit set so a wildcard action can name several kinds.
enum Scope : uint8_t { kBucketScope = 1, kObjectScope = 2, kAccountScope = 4 };

struct KnownAction {
  std::string_view name;  // lower case, without "s3:"
  uint8_t scope;
};

// S3's actions (AWS Service Authorization Reference) and the resource each applies to. An
// action must exist here (or a wildcard match one) to be valid, and must act on some
// resource of its statement: s3:ListBucket with only "bucket/*" is refused, as in AWS.
// Account-level actions are valid names that apply to no bucket resource.
constexpr KnownAction kActions[] = {
    {"abortmultipartupload", kObjectScope}, {"bypassgovernanceretention", kObjectScope},
    {"deleteobject", kObjectScope}, {"deleteobjecttagging", kObjectScope},
    {"deleteobjectversion", kObjectScope}, {"deleteobjectversiontagging", kObjectScope},
    {"getobject", kObjectScope}, {"getobjectacl", kObjectScope}, {"getobjectattributes", kObjectScope},
    {"getobjectlegalhold", kObjectScope}, {"getobjectretention", kObjectScope},
    {"getobjecttagging", kObjectScope}, {"getobjecttorrent", kObjectScope},
    {"getobjectversion", kObjectScope}, {"getobjectversionacl", kObjectScope},
    {"getobjectversionattributes", kObjectScope}, {"getobjectversionforreplication", kObjectScope},
    {"getobjectversiontagging", kObjectScope}, {"getobjectversiontorrent", kObjectScope},
    {"initiatereplication", kObjectScope}, {"listmultipartuploadparts", kObjectScope},
    {"objectowneroverridetobucketowner", kObjectScope}, {"putobject", kObjectScope},
    {"putobjectacl", kObjectScope}, {"putobjectlegalhold", kObjectScope},
    {"putobjectretention", kObjectScope}, {"putobjecttagging", kObjectScope},
    {"putobjectversionacl", kObjectScope}, {"putobjectversiontagging", kObjectScope},
    {"replicatedelete", kObjectScope}, {"replicateobject", kObjectScope},
    {"replicatetags", kObjectScope}, {"restoreobject", kObjectScope},
    {"createbucket", kBucketScope}, {"createsession", kBucketScope}, {"deletebucket", kBucketScope},
    {"deletebucketownershipcontrols", kBucketScope}, {"deletebucketpolicy", kBucketScope},
    {"deletebucketwebsite", kBucketScope}, {"getaccelerateconfiguration", kBucketScope}, {"getanalyticsconfiguration", kBucketScope},
    {"getbucketacl", kBucketScope}, {"getbucketcors", kBucketScope}, {"getbucketlocation", kBucketScope},
    {"getbucketlogging", kBucketScope}, {"getbucketnotification", kBucketScope},
    {"getbucketobjectlockconfiguration", kBucketScope}, {"getbucketownershipcontrols", kBucketScope},
    {"getbucketpolicy", kBucketScope}, {"getbucketpolicystatus", kBucketScope},
    {"getbucketpublicaccessblock", kBucketScope}, {"getbucketrequestpayment", kBucketScope},
    {"getbuckettagging", kBucketScope}, {"getbucketversioning", kBucketScope},
    {"getbucketwebsite", kBucketScope}, {"getencryptionconfiguration", kBucketScope},
    {"getintelligenttieringconfiguration", kBucketScope}, {"getinventoryconfiguration", kBucketScope},
    {"getlifecycleconfiguration", kBucketScope}, {"getmetricsconfiguration", kBucketScope},
    {"getreplicationconfiguration", kBucketScope}, {"listbucket", kBucketScope},
    {"listbucketmultipartuploads", kBucketScope}, {"listbucketversions", kBucketScope},
    {"putaccelerateconfiguration", kBucketScope}, {"putanalyticsconfiguration", kBucketScope},
    {"putbucketacl", kBucketScope}, {"putbucketcors", kBucketScope}, {"putbucketlogging", kBucketScope},
    {"putbucketnotification", kBucketScope}, {"putbucketobjectlockconfiguration", kBucketScope},
    {"putbucketownershipcontrols", kBucketScope}, {"putbucketpolicy", kBucketScope},
    {"putbucketpublicaccessblock", kBucketScope}, {"putbucketrequestpayment", kBucketScope},
    {"putbuckettagging", kBucketScope}, {"putbucketversioning", kBucketScope},
    {"putbucketwebsite", kBucketScope}, {"putencryptionconfiguration", kBucketScope},
    {"putintelligenttieringconfiguration", kBucketScope}, {"putinventoryconfiguration", kBucketScope},
    {"putlifecycleconfiguration", kBucketScope}, {"putmetricsconfiguration", kBucketScope},
    {"putreplicationconfiguration", kBucketScope},
    {"listallmybuckets", kAccountScope}, {"getaccountpublicaccessblock", kAccountScope},
    {"putaccountpublicaccessblock", kAccountScope}, {"createjob", kAccountScope},
    {"describejob", kAccountScope}, {"listjobs", kAccountScope}, {"updatejobpriority", kAccountScope},
    {"updatejobstatus", kAccountScope}, {"listaccesspoints", kAccountScope},
    {"createaccesspoint", kAccountScope}, {"getaccesspoint", kAccountScope},
    {"deleteaccesspoint", kAccountScope},
};

bool ValidTenant(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::ranges::all_of(s, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// A string, or a non-empty array of strings; nullopt otherwise.
std::optional<std::vector<std::string>> Strings(const json& v) {
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  if (!v.is_array() || v.empty()) return std::nullopt;
  std::vector<std::string> out;
  for (const json& e : v) {
    if (!e.is_string()) return std::nullopt;
    out.push_back(e.get<std::string>());
  }
  return out;
}

struct Principals {
  bool everyone = false;
  std::vector<std::string> accounts;  // tenant names

  bool Matches(std::string_view account) const {
    if (everyone) return true;
    return !account.empty() && std::ranges::find(accounts, account) != accounts.end();
  }
};

// "ACCOUNT", "arn:aws:iam::ACCOUNT:root" or "arn:aws:iam::ACCOUNT:user/NAME" -> ACCOUNT.
std::optional<std::string> AwsPrincipalAccount(std::string_view p) {
  if (ValidTenant(p)) return std::string(p);
  if (!p.starts_with(kIamArnPrefix)) return std::nullopt;
  p.remove_prefix(kIamArnPrefix.size());
  const size_t colon = p.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view account = p.substr(0, colon), rest = p.substr(colon + 1);
  const bool user = rest.starts_with("user/") && rest.size() > 5 && rest.find_first_of("*?") == std::string_view::npos;
  if (!ValidTenant(account) || (rest != "root" && !user)) return std::nullopt;
  return std::string(account);
}

Result<Principals> ParsePrincipal(const json& v) {
  const Status invalid = Malformed("Invalid principal in policy");
  Principals out;
  if (v.is_string()) {
    if (v.get<std::string>() != "*") return invalid;
    out.everyone = true;
    return out;
  }
  if (!v.is_object() || v.empty()) return invalid;
  for (const auto& [kind, ids] : v.items()) {
    std::optional<std::vector<std::string>> list = Strings(ids);
    if (!list || (kind != "AWS" && kind != "CanonicalUser")) return invalid;  // Service, Federated, ...
    for (const std::string& id : *list) {
      if (kind == "AWS" && id == "*") {
        out.everyone = true;
        continue;
      }
      std::optional<std::string> account = kind == "AWS" ? AwsPrincipalAccount(id) : std::nullopt;
      if (kind == "CanonicalUser" && ValidTenant(id)) account = id;
      if (!account) return invalid;
      out.accounts.push_back(*account);
    }
  }
  return out;
}

// The scopes of the known actions a (lower-case) action pattern names; 0 if none.
uint8_t ActionScopes(const std::string& pattern) {
  if (pattern == "*") return kBucketScope | kObjectScope | kAccountScope;
  uint8_t scopes = 0;
  const std::string_view name = std::string_view(pattern).substr(3);  // after "s3:"
  for (const KnownAction& a : kActions)
    if (PolicyWildcardMatch(name, a.name)) scopes |= a.scope;
  return scopes;
}

// The scopes an "arn:aws:s3:::..." pattern can name within `bucket`: the bucket itself,
// its objects, both, or neither (then it is "invalid": it names some other bucket).
// Variables may stand for anything here, so they are checked as '*'.
uint8_t ResourceScopes(std::string_view pattern, std::string_view bucket, bool variables) {
  if (pattern == "*") return kBucketScope | kObjectScope;
  std::string p(pattern.substr(kS3ArnPrefix.size()));
  for (size_t at; variables && (at = p.find("${")) != std::string::npos;) {
    const size_t close = p.find('}', at);
    if (close == std::string::npos) break;
    p.replace(at, close + 1 - at, "*");
  }
  uint8_t scopes = PolicyWildcardMatch(p, bucket) ? kBucketScope : 0;
  // Some "bucket/..." matches iff some prefix of the pattern matches "bucket/" (what
  // follows that prefix can always be satisfied by choosing the rest of the key).
  const std::string objects = std::string(bucket) + "/";
  for (size_t n = 0; n <= p.size() && !(scopes & kObjectScope); ++n)
    if (PolicyWildcardMatch(std::string_view(p).substr(0, n), objects)) scopes |= kObjectScope;
  return scopes;
}

}  // namespace

struct BucketPolicy::Statement {
  std::string sid;
  bool allow = false;
  bool not_principal = false;
  Principals principals;
  bool not_action = false;
  std::vector<std::string> actions;  // lower case: action names compare case-insensitively
  bool not_resource = false;
  std::vector<std::string> resources;  // "*" or "arn:aws:s3:::pattern"
  PolicyCondition condition;
};

namespace {

using Statement = BucketPolicy::Statement;

// Reads one of a pair of mutually exclusive fields ("Action"/"NotAction"), exactly one required.
Result<const json*> OneOf(const json& st, const char* field, const char* not_field, bool* negated) {
  const bool has = st.contains(field), has_not = st.contains(not_field);
  if (has && has_not) return Malformed(std::string("Statement has both ") + field + " and " + not_field);
  if (!has && !has_not) return Malformed(std::string("Missing required field ") + field);
  *negated = has_not;
  return &st[has ? field : not_field];
}

Status ParseActions(const json& v, Statement* s) {
  std::optional<std::vector<std::string>> list = Strings(v);
  if (!list) return Malformed("Policy has invalid action");
  for (const std::string& raw : *list) {
    std::string a = Lower(raw);
    const bool syntax = a == "*" || (a.starts_with("s3:") && a.size() > 3 &&
                                     std::all_of(a.begin() + 3, a.end(), [](char c) {
                                       return std::isalnum(static_cast<unsigned char>(c)) || c == '*' || c == '?';
                                     }));
    if (!syntax || ActionScopes(a) == 0) return Malformed("Policy has invalid action");
    s->actions.push_back(std::move(a));
  }
  return Status::OK();
}

Result<uint8_t> ParseResources(const json& v, std::string_view bucket, bool variables, Statement* s) {
  std::optional<std::vector<std::string>> list = Strings(v);
  if (!list) return Malformed("Policy has invalid resource");
  uint8_t scopes = 0;
  for (std::string& r : *list) {
    const bool arn = r == "*" || (r.starts_with(kS3ArnPrefix) && r.size() > kS3ArnPrefix.size());
    const uint8_t named = arn ? ResourceScopes(r, bucket, variables) : 0;
    if (named == 0) return Malformed("Policy has invalid resource");
    scopes |= named;
    s->resources.push_back(std::move(r));
  }
  return scopes;
}

Result<Statement> ParseStatement(const json& st, std::string_view bucket, bool variables) {
  static const std::set<std::string, std::less<>> kFields = {
      "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"};
  if (!st.is_object()) return Malformed("Statement is not well formatted");
  for (const auto& [field, value] : st.items())
    if (!kFields.contains(field)) return Malformed("Unknown field " + field);
  Statement s;
  if (st.contains("Sid")) {
    if (!st["Sid"].is_string()) return Malformed("Sid must be a string");
    s.sid = st["Sid"].get<std::string>();
  }
  if (!st.contains("Effect")) return Malformed("Missing required field Effect");
  const json& effect = st["Effect"];
  if (effect != "Allow" && effect != "Deny") return Malformed("Invalid effect: " + effect.dump());
  s.allow = effect == "Allow";

  CCOW_ASSIGN_OR_RETURN(const json* principal, OneOf(st, "Principal", "NotPrincipal", &s.not_principal));
  CCOW_ASSIGN_OR_RETURN(s.principals, ParsePrincipal(*principal));
  CCOW_ASSIGN_OR_RETURN(const json* action, OneOf(st, "Action", "NotAction", &s.not_action));
  CCOW_RETURN_IF_ERROR(ParseActions(*action, &s));
  CCOW_ASSIGN_OR_RETURN(const json* resource, OneOf(st, "Resource", "NotResource", &s.not_resource));
  CCOW_ASSIGN_OR_RETURN(uint8_t resource_scopes, ParseResources(*resource, bucket, variables, &s));
  // Each action must act on some listed resource (only when both lists are positive:
  // NotAction/NotResource name what is left out, not what is covered).
  if (!s.not_action && !s.not_resource) {
    for (const std::string& a : s.actions)
      if ((ActionScopes(a) & resource_scopes) == 0)
        return Malformed("Action does not apply to any resource(s) in statement");
  }
  if (st.contains("Condition")) {
    CCOW_ASSIGN_OR_RETURN(s.condition, PolicyCondition::Parse(st["Condition"], variables));
  }
  return s;
}

// Version: "2012-10-17" turns on policy variables; "2008-10-17" or absent does not.
Result<bool> ParseVersion(const json& doc) {
  if (!doc.contains("Version")) return false;
  const json& v = doc["Version"];
  if (v == "2012-10-17") return true;
  if (v == "2008-10-17") return false;
  return Malformed("Invalid policy version: " + v.dump());
}

bool Applies(const Statement& s, const PolicyRequest& req, bool variables) {
  if (s.principals.Matches(req.account) == s.not_principal) return false;
  const std::string action = Lower(req.action);
  const bool action_hit = std::ranges::any_of(s.actions, [&](const std::string& a) { return PolicyWildcardMatch(a, action); });
  if (action_hit == s.not_action) return false;
  const PolicyRequest* vars = variables ? &req : nullptr;
  const bool resource_hit = std::ranges::any_of(s.resources, [&](const std::string& r) {
    return r == "*" || PolicyPatternMatch(r, req.resource, vars);
  });
  if (resource_hit == s.not_resource) return false;
  return s.condition.Holds(req);
}

}  // namespace

Result<BucketPolicy> BucketPolicy::Parse(std::string_view text, std::string_view bucket) {
  if (text.size() > kMaxPolicyBytes) return Malformed("Policies must be less than 20 KB");
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Malformed("This policy contains invalid Json");
  for (const auto& [field, value] : doc.items())
    if (field != "Version" && field != "Id" && field != "Statement") return Malformed("Unknown field " + field);
  if (doc.contains("Id") && !doc["Id"].is_string()) return Malformed("Id must be a string");
  CCOW_ASSIGN_OR_RETURN(bool variables, ParseVersion(doc));
  if (!doc.contains("Statement")) return Malformed("Missing required field Statement");
  const json& list = doc["Statement"];
  if (list.is_array() ? list.empty() : !list.is_object()) return Malformed("Statement is not well formatted");

  auto statements = std::make_shared<std::vector<Statement>>();
  std::set<std::string> sids;
  for (const json& st : list.is_array() ? list : json::array({list})) {
    CCOW_ASSIGN_OR_RETURN(Statement s, ParseStatement(st, bucket, variables));
    if (st.contains("Sid") && !sids.insert(s.sid).second)
      return Malformed("Statement IDs (SID) in a single policy must be unique");
    statements->push_back(std::move(s));
  }
  BucketPolicy policy;
  policy.statements_ = std::move(statements);
  policy.variables_ = variables;
  return policy;
}

PolicyEffect BucketPolicy::Evaluate(const PolicyRequest& request) const {
  bool allowed = false;
  if (!statements_) return PolicyEffect::kNone;
  for (const Statement& s : *statements_) {
    if (!Applies(s, request, variables_)) continue;
    if (!s.allow) return PolicyEffect::kDeny;  // an explicit deny wins whatever else applies
    allowed = true;
  }
  return allowed ? PolicyEffect::kAllow : PolicyEffect::kNone;
}

bool BucketPolicy::IsPublic() const {
  if (!statements_) return false;
  return std::ranges::any_of(*statements_, [](const Statement& s) {
    // NotPrincipal grants to everyone but those listed (unless it lists everyone).
    const bool everyone = s.not_principal ? !s.principals.everyone : s.principals.everyone;
    return s.allow && everyone && !s.condition.LimitsToFixedValues();
  });
}

bool BucketPolicy::AllowsAccount(std::string_view account) const {
  if (!statements_) return false;
  return std::ranges::any_of(*statements_, [&](const Statement& s) {
    return s.allow && !s.not_principal && std::ranges::find(s.principals.accounts, account) != s.principals.accounts.end();
  });
}

}  // namespace ccow::s3
