// Bucket policy conditions: operators, their value types (strings, numbers, dates,
// booleans, CIDRs, ARNs), set prefixes and IfExists, and the policy-variable and
// wildcard matching the whole policy shares.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ranges>
#include <nlohmann/json.hpp>
#include <set>

#include "gateway/s3/bucket_policy.h"
#include "gateway/s3/iso_date.h"

namespace ccow::s3 {

using nlohmann::json;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IEquals(std::string_view a, std::string_view b) { return Lower(a) == Lower(b); }

Status Malformed(const std::string& what) { return Status::InvalidArgument("MalformedPolicy: " + what); }

// Greedy match with one backtrack point: '*' resumes one character later on a mismatch.
// `wild(i)` says whether a '*' or '?' at pattern[i] is a wildcard: substituted text is literal.
template <typename Wild>
bool MatchWith(std::string_view p, std::string_view t, Wild wild) {
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*' && wild(pi)) {
      star = pi++;
      mark = ti;
    } else if (pi < p.size() && ((p[pi] == '?' && wild(pi)) || p[pi] == t[ti])) {
      ++pi, ++ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*' && wild(pi)) ++pi;
  return pi == p.size();
}

// Expands ${...} into `out`, marking which characters of the result are wildcards.
bool Expand(std::string_view text, const PolicyRequest& req, std::string* out, std::vector<bool>* wild) {
  for (size_t i = 0; i < text.size();) {
    const size_t close = text.substr(i).starts_with("${") ? text.find('}', i) : std::string_view::npos;
    if (close == std::string_view::npos) {  // plain text, or an unterminated "${"
      out->push_back(text[i]);
      wild->push_back(text[i] == '*' || text[i] == '?');
      ++i;
      continue;
    }
    std::string_view name = text.substr(i + 2, close - i - 2);
    i = close + 1;
    std::string value;
    if (name == "*" || name == "?" || name == "$") {
      value = std::string(name);
    } else {
      std::optional<std::string> fallback;  // ${key, 'default'}
      if (size_t comma = name.find(','); comma != std::string_view::npos) {
        std::string_view d = name.substr(comma + 1);
        while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
        while (!d.empty() && d.back() == ' ') d.remove_suffix(1);
        if (d.size() >= 2 && d.front() == '\'' && d.back() == '\'') fallback = std::string(d.substr(1, d.size() - 2));
        name = name.substr(0, comma);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
      }
      const auto* values = req.Find(name);
      if (values && values->size() == 1) value = values->front();
      else if (fallback) value = *fallback;
      else return false;  // a variable with no single value matches nothing
    }
    out->append(value);
    wild->insert(wild->end(), value.size(), false);
  }
  return true;
}

// ---- Value types -----------------------------------------------------------------------

std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

struct IpRange {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};
  int bits = 0;
};

// "a.b.c.d[/n]" or an IPv6 address "[/n]"; a bare address is a /32 or /128.
std::optional<IpRange> ParseCidr(std::string_view s) {
  IpRange r;
  size_t slash = s.find('/');
  std::string host(s.substr(0, slash));
  r.v6 = host.find(':') != std::string::npos;
  if (inet_pton(r.v6 ? AF_INET6 : AF_INET, host.c_str(), r.addr.data()) != 1) return std::nullopt;
  const int max_bits = r.v6 ? 128 : 32;
  r.bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view b = s.substr(slash + 1);
    auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), r.bits);
    if (b.empty() || ec != std::errc() || end != b.data() + b.size() || r.bits < 0 || r.bits > max_bits)
      return std::nullopt;
  }
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it carries.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (r.v6 && r.bits >= 96 && std::equal(kMapped, kMapped + 12, r.addr.begin())) {
    std::copy(r.addr.begin() + 12, r.addr.end(), r.addr.begin());
    r.v6 = false;
    r.bits -= 96;
  }
  return r;
}

bool InRange(const IpRange& range, const IpRange& ip) {
  if (range.v6 != ip.v6) return false;
  for (int bit = 0; bit < range.bits; ++bit) {
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((range.addr[bit / 8] & mask) != (ip.addr[bit / 8] & mask)) return false;
  }
  return true;
}

// The six colon-separated parts of an ARN; the last keeps any further colons.
std::optional<std::array<std::string_view, 6>> ArnParts(std::string_view arn) {
  std::array<std::string_view, 6> parts;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    parts[i] = arn.substr(0, colon);
    arn.remove_prefix(colon + 1);
  }
  parts[5] = arn;
  return parts;
}

// ---- Operators -------------------------------------------------------------------------

enum class Family { kString, kStringIgnoreCase, kStringLike, kNumeric, kDate, kBool, kIp, kArn, kBinary, kNull };
enum class Cmp { kEq, kLt, kLe, kGt, kGe };
enum class SetOp { kNone, kForAnyValue, kForAllValues };

struct Operator {
  std::string_view name;
  Family family;
  Cmp cmp;
  bool negated;  // true when the operator holds for the values the positive one refuses
};

constexpr Operator kOperators[] = {
    {"StringEquals", Family::kString, Cmp::kEq, false},
    {"StringNotEquals", Family::kString, Cmp::kEq, true},
    {"StringEqualsIgnoreCase", Family::kStringIgnoreCase, Cmp::kEq, false},
    {"StringNotEqualsIgnoreCase", Family::kStringIgnoreCase, Cmp::kEq, true},
    {"StringLike", Family::kStringLike, Cmp::kEq, false},
    {"StringNotLike", Family::kStringLike, Cmp::kEq, true},
    {"NumericEquals", Family::kNumeric, Cmp::kEq, false},
    {"NumericNotEquals", Family::kNumeric, Cmp::kEq, true},
    {"NumericLessThan", Family::kNumeric, Cmp::kLt, false},
    {"NumericLessThanEquals", Family::kNumeric, Cmp::kLe, false},
    {"NumericGreaterThan", Family::kNumeric, Cmp::kGt, false},
    {"NumericGreaterThanEquals", Family::kNumeric, Cmp::kGe, false},
    {"DateEquals", Family::kDate, Cmp::kEq, false},
    {"DateNotEquals", Family::kDate, Cmp::kEq, true},
    {"DateLessThan", Family::kDate, Cmp::kLt, false},
    {"DateLessThanEquals", Family::kDate, Cmp::kLe, false},
    {"DateGreaterThan", Family::kDate, Cmp::kGt, false},
    {"DateGreaterThanEquals", Family::kDate, Cmp::kGe, false},
    {"Bool", Family::kBool, Cmp::kEq, false},
    {"BinaryEquals", Family::kBinary, Cmp::kEq, false},
    {"IpAddress", Family::kIp, Cmp::kEq, false},
    {"NotIpAddress", Family::kIp, Cmp::kEq, true},
    {"ArnEquals", Family::kArn, Cmp::kEq, false},  // AWS gives ArnEquals wildcards too
    {"ArnLike", Family::kArn, Cmp::kEq, false},
    {"ArnNotEquals", Family::kArn, Cmp::kEq, true},
    {"ArnNotLike", Family::kArn, Cmp::kEq, true},
    {"Null", Family::kNull, Cmp::kEq, false},
};

template <typename T>
bool Compare(Cmp cmp, T request, T policy) {
  switch (cmp) {
    case Cmp::kEq: return request == policy;
    case Cmp::kLt: return request < policy;
    case Cmp::kLe: return request <= policy;
    case Cmp::kGt: return request > policy;
    case Cmp::kGe: return request >= policy;
  }
  return false;
}

// Whether a policy value (variables already substituted) is well formed for its family.
bool ValidValue(Family family, const std::string& v) {
  switch (family) {
    case Family::kNumeric: return ParseNumber(v).has_value();
    case Family::kDate: return ParseAwsDate(v).has_value();
    case Family::kIp: return ParseCidr(v).has_value();
    case Family::kBool: case Family::kNull: return IEquals(v, "true") || IEquals(v, "false");
    default: return true;
  }
}

// ---- Condition keys --------------------------------------------------------------------

// The global and S3 condition keys AWS accepts in a bucket policy (lower case); any other
// key is "an invalid condition key". Tag keys take a name after the slash.
const std::set<std::string, std::less<>>& KnownKeys() {
  static const std::set<std::string, std::less<>> keys = {
      "aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:currenttime", "aws:epochtime",
      "aws:federatedprovider", "aws:multifactorauthage", "aws:multifactorauthpresent",
      "aws:principalaccount", "aws:principalarn", "aws:principalisawsservice", "aws:principalorgid",
      "aws:principalorgpaths", "aws:principalservicename", "aws:principalservicenameslist",
      "aws:principaltype", "aws:referer", "aws:requestedregion", "aws:resourceaccount",
      "aws:resourceorgid", "aws:resourceorgpaths", "aws:securetransport", "aws:sourceaccount",
      "aws:sourcearn", "aws:sourceidentity", "aws:sourceip", "aws:sourceorgid", "aws:sourceorgpaths",
      "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcevpcarn", "aws:tagkeys",
      "aws:tokenissuetime", "aws:useragent", "aws:userid", "aws:username", "aws:viaawsservice",
      "aws:vpcsourceip", "aws:ec2instancesourceprivateipv4", "aws:ec2instancesourcevpc",
      "aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths",
      "s3:accesspointnetworkorigin", "s3:authtype", "s3:dataaccesspointaccount",
      "s3:dataaccesspointarn", "s3:delimiter", "s3:if-match", "s3:if-none-match",
      "s3:locationconstraint", "s3:max-keys", "s3:objectcreationoperation",
      "s3:object-lock-legal-hold", "s3:object-lock-mode", "s3:object-lock-remaining-retention-days",
      "s3:object-lock-retain-until-date", "s3:prefix", "s3:requestobjecttagkeys", "s3:resourceaccount",
      "s3:signatureage", "s3:signatureversion", "s3:tlsversion", "s3:versionid", "s3:x-amz-acl",
      "s3:x-amz-content-sha256", "s3:x-amz-copy-source", "s3:x-amz-grant-full-control",
      "s3:x-amz-grant-read", "s3:x-amz-grant-read-acp", "s3:x-amz-grant-write",
      "s3:x-amz-grant-write-acp", "s3:x-amz-metadata-directive", "s3:x-amz-object-ownership",
      "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id",
      "s3:x-amz-server-side-encryption-customer-algorithm", "s3:x-amz-storage-class",
      "s3:x-amz-website-redirect-location"};
  return keys;
}

bool ValidKey(std::string_view key) {
  const std::string k = Lower(key);
  if (KnownKeys().contains(k)) return true;
  for (std::string_view prefix : {"aws:principaltag/", "aws:requesttag/", "aws:resourcetag/",
                                  "s3:existingobjecttag/", "s3:requestobjecttag/"})
    if (k.size() > prefix.size() && k.starts_with(prefix)) return true;
  return false;
}

// Keys that, pinned to fixed values, make a grant to "*" non-public (AWS "The meaning of
// public"): the request must come from a known network, source, organization or principal.
constexpr std::string_view kLimitingKeys[] = {
    "aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner",
    "aws:sourceaccount", "aws:userid", "aws:principalorgid", "aws:principalaccount",
    "aws:principalarn", "s3:dataaccesspointaccount", "s3:dataaccesspointarn",
    "s3:x-amz-server-side-encryption-aws-kms-key-id"};

// One values list from JSON: a string, number or boolean, or a non-empty array of them.
Result<std::vector<std::string>> ConditionValues(const json& v) {
  std::vector<std::string> out;
  const auto one = [&](const json& e) {
    if (e.is_string()) out.push_back(e.get<std::string>());
    else if (e.is_boolean() || e.is_number()) out.push_back(e.dump());
    else return false;
    return true;
  };
  if (v.is_array()) {
    if (v.empty()) return Malformed("Invalid Condition value: empty list");
    for (const json& e : v)
      if (!one(e)) return Malformed("Invalid Condition value: " + e.dump());
  } else if (!one(v)) {
    return Malformed("Invalid Condition value: " + v.dump());
  }
  return out;
}

}  // namespace

struct PolicyCondition::Clause {
  Operator op;
  SetOp set = SetOp::kNone;
  bool if_exists = false;
  std::string key;
  std::vector<std::string> values;
};

namespace {

// "ForAnyValue:StringLikeIfExists" -> its parts; nullopt for an unknown operator.
std::optional<PolicyCondition::Clause> ParseOperator(std::string_view name) {
  PolicyCondition::Clause c;
  const std::string lower = Lower(name);
  std::string_view rest = lower;
  if (rest.starts_with("foranyvalue:")) c.set = SetOp::kForAnyValue, rest.remove_prefix(12);
  else if (rest.starts_with("forallvalues:")) c.set = SetOp::kForAllValues, rest.remove_prefix(13);
  if (rest.ends_with("ifexists")) c.if_exists = true, rest.remove_suffix(8);
  for (const Operator& op : kOperators) {
    if (Lower(op.name) != rest) continue;
    // Null asks whether a key exists: IfExists and set prefixes make no sense on it.
    if (op.family == Family::kNull && (c.if_exists || c.set != SetOp::kNone)) return std::nullopt;
    c.op = op;
    return c;
  }
  return std::nullopt;
}

// Whether one request value satisfies the positive form of the clause for some policy value.
bool ValueMatches(const PolicyCondition::Clause& c, const std::string& req, const PolicyRequest* vars,
                  const PolicyRequest& request) {
  for (const std::string& raw : c.values) {
    const bool has_var = vars && raw.find("${") != std::string::npos;
    if (c.op.family == Family::kStringLike) {
      if (PolicyPatternMatch(raw, req, vars)) return true;
      continue;
    }
    if (c.op.family == Family::kArn) {
      auto p = ArnParts(raw), r = ArnParts(req);
      if (p && r && std::ranges::all_of(std::views::iota(0, 6), [&](int i) {
            return PolicyPatternMatch((*p)[i], (*r)[i], vars);
          }))
        return true;
      continue;
    }
    std::optional<std::string> expanded = has_var ? ExpandPolicyVariables(raw, request) : raw;
    if (!expanded) continue;
    const std::string& v = *expanded;
    bool hit = false;
    switch (c.op.family) {
      case Family::kString: case Family::kBinary: hit = req == v; break;
      case Family::kStringIgnoreCase: case Family::kBool: hit = IEquals(req, v); break;
      case Family::kNumeric: {
        auto a = ParseNumber(req), b = ParseNumber(v);
        hit = a && b && Compare(c.op.cmp, *a, *b);
        break;
      }
      case Family::kDate: {
        auto a = ParseAwsDate(req), b = ParseAwsDate(v);
        hit = a && b && Compare(c.op.cmp, *a, *b);
        break;
      }
      case Family::kIp: {
        auto range = ParseCidr(v), ip = ParseCidr(req);
        hit = range && ip && InRange(*range, *ip);
        break;
      }
      default: break;
    }
    if (hit) return true;
  }
  return false;
}

bool ClauseHolds(const PolicyCondition::Clause& c, const PolicyRequest& request, bool variables) {
  const std::vector<std::string>* values = request.Find(c.key);
  const bool present = values && !values->empty();
  if (c.op.family == Family::kNull) {
    return std::ranges::any_of(c.values, [&](const std::string& v) { return IEquals(v, "true") != present; });
  }
  if (!present) {
    if (c.if_exists || c.set == SetOp::kForAllValues) return true;
    if (c.set == SetOp::kForAnyValue) return false;
    return c.op.negated;  // "StringNotEquals" on a missing key holds, as in AWS
  }
  const PolicyRequest* vars = variables ? &request : nullptr;
  const auto holds = [&](const std::string& v) { return ValueMatches(c, v, vars, request) != c.op.negated; };
  switch (c.set) {
    case SetOp::kForAnyValue: return std::ranges::any_of(*values, holds);
    case SetOp::kForAllValues: return std::ranges::all_of(*values, holds);
    case SetOp::kNone: break;
  }
  // A multi-valued key without a set prefix: positive operators need one value to match,
  // negated ones need no value to match the positive form.
  const bool any = std::ranges::any_of(*values, [&](const std::string& v) { return ValueMatches(c, v, vars, request); });
  return any != c.op.negated;
}

}  // namespace

const std::vector<std::string>* PolicyRequest::Find(std::string_view key) const {
  if (auto it = context.find(std::string(key)); it != context.end()) return &it->second;
  for (const auto& [k, v] : context)
    if (IEquals(k, key)) return &v;
  return nullptr;
}

bool PolicyWildcardMatch(std::string_view pattern, std::string_view text) {
  return MatchWith(pattern, text, [](size_t) { return true; });
}

std::optional<std::string> ExpandPolicyVariables(std::string_view text, const PolicyRequest& request) {
  std::string out;
  std::vector<bool> wild;
  if (!Expand(text, request, &out, &wild)) return std::nullopt;
  return out;
}

bool PolicyPatternMatch(std::string_view pattern, std::string_view text, const PolicyRequest* variables) {
  if (!variables || pattern.find("${") == std::string_view::npos) return PolicyWildcardMatch(pattern, text);
  std::string expanded;
  std::vector<bool> wild;
  if (!Expand(pattern, *variables, &expanded, &wild)) return false;
  return MatchWith(expanded, text, [&](size_t i) { return wild[i]; });
}

Result<PolicyCondition> PolicyCondition::Parse(const json& block, bool variables) {
  if (!block.is_object()) return Malformed("Condition must be an object");
  auto clauses = std::make_shared<std::vector<Clause>>();
  for (const auto& [name, keys] : block.items()) {
    std::optional<Clause> op = ParseOperator(name);
    if (!op) return Malformed("Invalid Condition type : " + name);
    if (!keys.is_object()) return Malformed("Invalid Condition block for " + name);
    for (const auto& [key, value] : keys.items()) {
      if (!ValidKey(key)) return Malformed("Policy has an invalid condition key");
      Clause c = *op;
      c.key = key;
      CCOW_ASSIGN_OR_RETURN(c.values, ConditionValues(value));
      for (const std::string& v : c.values) {
        const bool deferred = variables && v.find("${") != std::string::npos;  // checked once substituted
        if (!deferred && !ValidValue(c.op.family, v))
          return Malformed("Invalid Condition value for " + name + " " + key + ": " + v);
      }
      clauses->push_back(std::move(c));
    }
  }
  PolicyCondition cond;
  cond.clauses_ = std::move(clauses);
  cond.variables_ = variables;
  return cond;
}

bool PolicyCondition::Holds(const PolicyRequest& request) const {
  if (!clauses_) return true;
  return std::ranges::all_of(*clauses_, [&](const Clause& c) { return ClauseHolds(c, request, variables_); });
}

// A clause limits a grant when every request it admits carries one of a few fixed values
// of a limiting key: a positive, non-IfExists, non-ForAllValues operator (those admit
// requests without the key), values without wildcards or variables, and no /0 CIDR.
bool PolicyCondition::LimitsToFixedValues() const {
  if (!clauses_) return false;
  const auto fixed = [](const Clause& c) {
    if (c.op.negated || c.if_exists || c.set == SetOp::kForAllValues) return false;
    const std::string key = Lower(c.key);
    if (std::ranges::find(kLimitingKeys, key) == std::end(kLimitingKeys)) return false;
    const Family f = c.op.family;
    if (f != Family::kString && f != Family::kStringIgnoreCase && f != Family::kStringLike &&
        f != Family::kArn && f != Family::kIp)
      return false;
    return std::ranges::none_of(c.values, [&](const std::string& v) {
      if (v.find_first_of("*?") != std::string::npos || v.find("${") != std::string::npos) return true;
      auto range = f == Family::kIp ? ParseCidr(v) : std::nullopt;
      return range && range->bits == 0;
    });
  };
  return std::ranges::any_of(*clauses_, fixed);
}

}  // namespace ccow::s3
