#include "gateway/s3/bucket_policy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ccow::s3 {
namespace {

using nlohmann::json;
using Context = std::map<std::string, std::vector<std::string>>;

constexpr char kBucket[] = "photos";
constexpr char kBucketArn[] = "arn:aws:s3:::photos";
constexpr char kObjectsArn[] = "arn:aws:s3:::photos/*";

json Statement(const std::string& effect, json principal, json action, json resource) {
  return {{"Effect", effect}, {"Principal", principal}, {"Action", action}, {"Resource", resource}};
}

json Doc(std::vector<json> statements, const char* version = "2012-10-17") {
  json doc = {{"Statement", statements}};
  if (version) doc["Version"] = version;
  return doc;
}

// Parses `doc`, reporting (not aborting) on failure; a failed parse yields an empty policy,
// which allows nothing, so the test's expectations then fail too.
BucketPolicy MustParse(const json& doc) {
  Result<BucketPolicy> p = BucketPolicy::Parse(doc.dump(), kBucket);
  EXPECT_TRUE(p.ok()) << p.status().ToString() << "\n" << doc.dump();
  return p.ok() ? *p : BucketPolicy();
}

void ExpectMalformedText(const std::string& text, const std::string& reason) {
  Result<BucketPolicy> p = BucketPolicy::Parse(text, kBucket);
  ASSERT_FALSE(p.ok()) << text;
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(p.status().message().starts_with("MalformedPolicy: " + reason))
      << "got: " << p.status().message() << "\nfor: " << text;
}
void ExpectMalformed(const json& doc, const std::string& reason) { ExpectMalformedText(doc.dump(), reason); }

PolicyRequest Request(std::string action, std::string key, std::string account = "", Context context = {}) {
  PolicyRequest r;
  r.action = std::move(action);
  r.resource = key.empty() ? std::string(kBucketArn) : std::string(kBucketArn) + "/" + key;
  r.account = std::move(account);
  r.context = std::move(context);
  return r;
}

// A policy allowing everyone s3:GetObject on the bucket's objects under `condition`.
BucketPolicy AllowGetIf(const json& condition, const char* version = "2012-10-17") {
  json st = Statement("Allow", "*", "s3:GetObject", kObjectsArn);
  st["Condition"] = condition;
  return MustParse(Doc({st}, version));
}
bool Allowed(const BucketPolicy& p, Context context, std::string key = "k") {
  return p.Evaluate(Request("s3:GetObject", std::move(key), "", std::move(context))) == PolicyEffect::kAllow;
}

// ---- Parse errors ----------------------------------------------------------------------

TEST(BucketPolicy, InvalidJsonIsMalformed) {
  ExpectMalformedText("{\"Statement\": [", "This policy contains invalid Json");
  ExpectMalformedText("[]", "This policy contains invalid Json");
  ExpectMalformedText("", "This policy contains invalid Json");
}

TEST(BucketPolicy, PolicyOver20KBIsRefused) {
  json doc = Doc({Statement("Allow", "*", "s3:GetObject", kObjectsArn)});
  doc["Id"] = "";
  const size_t base = doc.dump().size();
  doc["Id"] = std::string(20 * 1024 - base, 'x');
  ASSERT_EQ(doc.dump().size(), 20u * 1024);
  EXPECT_TRUE(BucketPolicy::Parse(doc.dump(), kBucket).ok());
  doc["Id"] = std::string(20 * 1024 - base + 1, 'x');
  ExpectMalformed(doc, "Policies must be less than 20 KB");
}

TEST(BucketPolicy, UnknownFieldsAndBadVersionAreMalformed) {
  json doc = Doc({Statement("Allow", "*", "s3:GetObject", kObjectsArn)});
  doc["Extra"] = 1;
  ExpectMalformed(doc, "Unknown field Extra");
  json st = Statement("Allow", "*", "s3:GetObject", kObjectsArn);
  st["Priority"] = 1;
  ExpectMalformed(Doc({st}), "Unknown field Priority");
  ExpectMalformed(Doc({Statement("Allow", "*", "s3:GetObject", kObjectsArn)}, "2020-01-01"), "Invalid policy version");
  EXPECT_TRUE(BucketPolicy::Parse(Doc({Statement("Allow", "*", "s3:GetObject", kObjectsArn)}, nullptr).dump(), kBucket).ok());
}

TEST(BucketPolicy, MissingRequiredFieldsAreNamed) {
  json st = Statement("Allow", "*", "s3:GetObject", kObjectsArn);
  for (const char* field : {"Principal", "Effect", "Action", "Resource"}) {
    json without = st;
    without.erase(field);
    ExpectMalformed(Doc({without}), std::string("Missing required field ") + field);
  }
  ExpectMalformed(json{{"Version", "2012-10-17"}}, "Missing required field Statement");
  ExpectMalformed(Doc({}), "Statement is not well formatted");
  json bad_effect = st;
  bad_effect["Effect"] = "Permit";
  ExpectMalformed(Doc({bad_effect}), "Invalid effect");
}

TEST(BucketPolicy, PrincipalAndNotPrincipalTogetherAreMalformed) {
  json st = Statement("Allow", "*", "s3:GetObject", kObjectsArn);
  st["NotPrincipal"] = {{"AWS", "acme"}};
  ExpectMalformed(Doc({st}), "Statement has both Principal and NotPrincipal");
}

TEST(BucketPolicy, StatementMayBeASingleObject) {
  json doc = {{"Version", "2012-10-17"}, {"Statement", Statement("Allow", "*", "s3:GetObject", kObjectsArn)}};
  BucketPolicy p = MustParse(doc);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a")), PolicyEffect::kAllow);
}

TEST(BucketPolicy, DuplicateSidsAreMalformed) {
  json a = Statement("Allow", "*", "s3:GetObject", kObjectsArn), b = a;
  a["Sid"] = "One";
  b["Sid"] = "One";
  ExpectMalformed(Doc({a, b}), "Statement IDs (SID) in a single policy must be unique");
  b["Sid"] = "Two";
  MustParse(Doc({a, b}));
}

TEST(BucketPolicy, UnsupportedPrincipalsAreInvalid) {
  for (const json& principal : {json{{"Service", "logging.s3.amazonaws.com"}}, json{{"Federated", "cognito"}},
                                json("acme"), json{{"AWS", "arn:aws:iam::*:root"}}, json{{"AWS", "not a tenant!"}},
                                json{{"AWS", "arn:aws:iam::acme:role/r"}}, json{{"AWS", json::array()}},
                                json::object(), json{{"CanonicalUser", "*"}}})
    ExpectMalformed(Doc({Statement("Allow", principal, "s3:GetObject", kObjectsArn)}), "Invalid principal in policy");
}

TEST(BucketPolicy, ResourcesOutsideTheBucketAreInvalid) {
  for (const char* r : {"arn:aws:s3:::other/*", "arn:aws:s3:::other", "arn:aws:s3:::", "arn:aws:s3:us-east-1::photos/*",
                        "arn:aws:iam::acme:root", "photos/*", "arn:aws:s3:::photo/x", "arn:aws:s3:::photoss/*"})
    ExpectMalformed(Doc({Statement("Allow", "*", "s3:*", r)}), "Policy has invalid resource");
  for (const char* r : {"*", "arn:aws:s3:::*", "arn:aws:s3:::pho*", "arn:aws:s3:::ph?tos/*", "arn:aws:s3:::*/a"})
    MustParse(Doc({Statement("Allow", "*", "s3:*", r)}));
}

TEST(BucketPolicy, NonS3OrUnknownActionsAreInvalid) {
  for (const json& a : {json("iam:PassRole"), json("s3:NoSuchAction"), json("s3:Frob*"), json(""), json("s3:"),
                        json(json::array()), json(42)})
    ExpectMalformed(Doc({Statement("Allow", "*", a, kObjectsArn)}), "Policy has invalid action");
}

TEST(BucketPolicy, ActionMustApplyToSomeResourceOfItsStatement) {
  const std::string reason = "Action does not apply to any resource(s) in statement";
  ExpectMalformed(Doc({Statement("Allow", "*", "s3:ListBucket", kObjectsArn)}), reason);
  ExpectMalformed(Doc({Statement("Allow", "*", "s3:GetObject", kBucketArn)}), reason);
  ExpectMalformed(Doc({Statement("Allow", "*", "s3:ListAllMyBuckets", "*")}), reason);
  ExpectMalformed(Doc({Statement("Allow", "*", {"s3:GetObject", "s3:ListBucket"}, kObjectsArn)}), reason);
  MustParse(Doc({Statement("Allow", "*", "s3:ListBucket", kBucketArn)}));
  MustParse(Doc({Statement("Allow", "*", {"s3:GetObject", "s3:ListBucket"}, {kBucketArn, kObjectsArn})}));
  MustParse(Doc({Statement("Allow", "*", "s3:Get*", kObjectsArn)}));  // some Get* act on objects
}

TEST(BucketPolicy, UnknownConditionKeyIsMalformed) {
  json st = Statement("Allow", "*", "s3:GetObject", kObjectsArn);
  for (const char* key : {"aws:NoSuchKey", "kms:ViaService", "s3:ExistingObjectTag/", "SourceIp"}) {
    st["Condition"] = {{"StringEquals", {{key, "x"}}}};
    ExpectMalformed(Doc({st}), "Policy has an invalid condition key");
  }
  for (const char* key : {"s3:ExistingObjectTag/color", "aws:PrincipalTag/team", "AWS:SOURCEIP", "s3:x-amz-acl"}) {
    st["Condition"] = {{"StringEquals", {{key, "1.2.3.4"}}}};
    MustParse(Doc({st}));
  }
}

TEST(BucketPolicy, UnknownConditionOperatorIsMalformed) {
  json st = Statement("Allow", "*", "s3:GetObject", kObjectsArn);
  for (const char* op : {"StringMatches", "NullIfExists", "ForAnyValue:Null", "ForSomeValues:StringEquals"}) {
    st["Condition"] = {{op, {{"aws:Referer", "true"}}}};
    ExpectMalformed(Doc({st}), std::string("Invalid Condition type : ") + op);
  }
}

TEST(BucketPolicy, UnparsableConditionValuesFailAtParse) {
  const std::vector<std::pair<const char*, json>> bad = {
      {"NumericLessThan", {{"s3:max-keys", "ten"}}},        {"DateGreaterThan", {{"aws:CurrentTime", "yesterday"}}},
      {"DateLessThan", {{"aws:CurrentTime", "2026-02-30"}}}, {"IpAddress", {{"aws:SourceIp", "10.0.0.0/33"}}},
      {"IpAddress", {{"aws:SourceIp", "300.1.1.1"}}},       {"NotIpAddress", {{"aws:SourceIp", "2001:db8::/129"}}},
      {"Bool", {{"aws:SecureTransport", "yes"}}},           {"Null", {{"aws:Referer", "maybe"}}},
      {"StringEquals", {{"aws:Referer", json::array()}}},    {"StringEquals", {{"aws:Referer", json::object()}}}};
  for (const auto& [op, block] : bad) {
    json st = Statement("Allow", "*", "s3:GetObject", kObjectsArn);
    st["Condition"] = {{op, block}};
    ExpectMalformed(Doc({st}), "Invalid Condition value");
  }
}

// ---- Evaluation ------------------------------------------------------------------------

TEST(BucketPolicy, DefaultPolicyGrantsNothing) {
  BucketPolicy p;
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a")), PolicyEffect::kNone);
  EXPECT_FALSE(p.IsPublic());
}

TEST(BucketPolicy, ExplicitDenyBeatsAllow) {
  BucketPolicy p = MustParse(Doc({Statement("Allow", {{"AWS", "acme"}}, "s3:*", {kBucketArn, kObjectsArn}),
                                  Statement("Deny", "*", "s3:DeleteObject", kObjectsArn)}));
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "acme")), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:DeleteObject", "a", "acme")), PolicyEffect::kDeny);
}

TEST(BucketPolicy, NoMatchingStatementIsImplicitNone) {
  BucketPolicy p = MustParse(Doc({Statement("Allow", {{"AWS", "acme"}}, "s3:GetObject", kObjectsArn)}));
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "globex")), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:PutObject", "a", "acme")), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "acme")), PolicyEffect::kAllow);
}

TEST(BucketPolicy, ActionWildcardsMatchCaseInsensitively) {
  BucketPolicy get = MustParse(Doc({Statement("Allow", "*", "s3:Get*", kObjectsArn)}));
  EXPECT_EQ(get.Evaluate(Request("s3:GetObject", "a")), PolicyEffect::kAllow);
  EXPECT_EQ(get.Evaluate(Request("s3:getobjectacl", "a")), PolicyEffect::kAllow);
  EXPECT_EQ(get.Evaluate(Request("s3:PutObject", "a")), PolicyEffect::kNone);
  BucketPolicy upper = MustParse(Doc({Statement("Allow", "*", "S3:GETOBJECT", kObjectsArn)}));
  EXPECT_EQ(upper.Evaluate(Request("s3:GetObject", "a")), PolicyEffect::kAllow);
  EXPECT_EQ(upper.Evaluate(Request("s3:GetObjectAcl", "a")), PolicyEffect::kNone);
  for (const char* all : {"s3:*", "*"}) {
    BucketPolicy p = MustParse(Doc({Statement("Allow", "*", all, kObjectsArn)}));
    EXPECT_EQ(p.Evaluate(Request("s3:DeleteObject", "a")), PolicyEffect::kAllow) << all;
  }
}

TEST(BucketPolicy, ResourceWildcardsAreCaseSensitive) {
  BucketPolicy p = MustParse(Doc({Statement("Allow", "*", "s3:GetObject",
                                            {"arn:aws:s3:::photos/2024/*.jpg", "arn:aws:s3:::photos/v?/index"})}));
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "2024/a.jpg")), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "2024/deep/b.jpg")), PolicyEffect::kAllow);  // '*' spans '/'
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "2024/a.JPG")), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "2024/a.png")), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "v1/index")), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "v10/index")), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "")), PolicyEffect::kNone);  // the bucket itself
}

TEST(BucketPolicy, NotActionAppliesToEveryOtherAction) {
  json st = Statement("Allow", "*", "s3:GetObject", {kBucketArn, kObjectsArn});
  st.erase("Action");
  st["NotAction"] = "s3:Delete*";
  BucketPolicy p = MustParse(Doc({st}));
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a")), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:ListBucket", "")), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:DeleteObject", "a")), PolicyEffect::kNone);
}

TEST(BucketPolicy, NotResourceAppliesToEveryOtherResource) {
  json st = Statement("Deny", "*", "s3:GetObject", "");
  st.erase("Resource");
  st["NotResource"] = "arn:aws:s3:::photos/public/*";
  BucketPolicy p = MustParse(Doc({st, Statement("Allow", "*", "s3:GetObject", kObjectsArn)}));
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "public/a")), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "private/a")), PolicyEffect::kDeny);
}

TEST(BucketPolicy, NotPrincipalAppliesToEveryoneElse) {
  json st = Statement("Deny", "", "s3:*", {kBucketArn, kObjectsArn});
  st.erase("Principal");
  st["NotPrincipal"] = {{"AWS", "arn:aws:iam::acme:root"}};
  BucketPolicy p = MustParse(Doc({st}));
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "acme")), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "globex")), PolicyEffect::kDeny);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "")), PolicyEffect::kDeny);
}

TEST(BucketPolicy, AccountPrincipalFormsNameTheTenant) {
  for (const json& principal : {json{{"AWS", "acme"}}, json{{"AWS", "arn:aws:iam::acme:root"}},
                                json{{"AWS", "arn:aws:iam::acme:user/alice"}}, json{{"CanonicalUser", "acme"}},
                                json{{"AWS", {"globex-2", "acme"}}}}) {
    BucketPolicy p = MustParse(Doc({Statement("Allow", principal, "s3:GetObject", kObjectsArn)}));
    EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "acme")), PolicyEffect::kAllow) << principal;
    EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "globex")), PolicyEffect::kNone) << principal;
    EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "")), PolicyEffect::kNone) << principal;
  }
}

TEST(BucketPolicy, AnonymousMatchesOnlyEveryone) {
  for (const json& everyone : {json("*"), json{{"AWS", "*"}}}) {
    BucketPolicy p = MustParse(Doc({Statement("Allow", everyone, "s3:GetObject", kObjectsArn)}));
    EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "")), PolicyEffect::kAllow);
    EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "acme")), PolicyEffect::kAllow);
  }
}

TEST(BucketPolicy, WildcardMatchRules) {
  EXPECT_TRUE(PolicyWildcardMatch("*", ""));
  EXPECT_TRUE(PolicyWildcardMatch("", ""));
  EXPECT_FALSE(PolicyWildcardMatch("", "a"));
  EXPECT_TRUE(PolicyWildcardMatch("a?c", "abc"));
  EXPECT_FALSE(PolicyWildcardMatch("a?c", "ac"));
  EXPECT_TRUE(PolicyWildcardMatch("a*b*c", "aXbYbZc"));
  EXPECT_TRUE(PolicyWildcardMatch("*ab", "aab"));  // needs backtracking
  EXPECT_FALSE(PolicyWildcardMatch("*ab", "aba"));
  EXPECT_FALSE(PolicyWildcardMatch("ABC", "abc"));
}

// ---- Conditions ------------------------------------------------------------------------

TEST(BucketPolicy, StringOperators) {
  BucketPolicy eq = AllowGetIf({{"StringEquals", {{"s3:x-amz-acl", "public-read"}}}});
  EXPECT_TRUE(Allowed(eq, {{"s3:x-amz-acl", {"public-read"}}}));
  EXPECT_FALSE(Allowed(eq, {{"s3:x-amz-acl", {"Public-Read"}}}));
  BucketPolicy ne = AllowGetIf({{"StringNotEquals", {{"s3:x-amz-acl", "public-read"}}}});
  EXPECT_TRUE(Allowed(ne, {{"s3:x-amz-acl", {"private"}}}));
  EXPECT_FALSE(Allowed(ne, {{"s3:x-amz-acl", {"public-read"}}}));
  BucketPolicy ieq = AllowGetIf({{"StringEqualsIgnoreCase", {{"aws:UserAgent", "Rclone"}}}});
  EXPECT_TRUE(Allowed(ieq, {{"aws:UserAgent", {"RCLONE"}}}));
  EXPECT_FALSE(Allowed(ieq, {{"aws:UserAgent", {"curl"}}}));
  BucketPolicy ine = AllowGetIf({{"StringNotEqualsIgnoreCase", {{"aws:UserAgent", "Rclone"}}}});
  EXPECT_TRUE(Allowed(ine, {{"aws:UserAgent", {"curl"}}}));
  EXPECT_FALSE(Allowed(ine, {{"aws:UserAgent", {"rclone"}}}));
  BucketPolicy like = AllowGetIf({{"StringLike", {{"aws:Referer", {"https://www.example.com/*", "https://example.com/?"}}}}});
  EXPECT_TRUE(Allowed(like, {{"aws:Referer", {"https://www.example.com/page"}}}));
  EXPECT_TRUE(Allowed(like, {{"aws:Referer", {"https://example.com/x"}}}));
  EXPECT_FALSE(Allowed(like, {{"aws:Referer", {"https://evil.com/www.example.com/"}}}));
  BucketPolicy unlike = AllowGetIf({{"StringNotLike", {{"aws:Referer", "https://evil.*"}}}});
  EXPECT_TRUE(Allowed(unlike, {{"aws:Referer", {"https://good.com"}}}));
  EXPECT_FALSE(Allowed(unlike, {{"aws:Referer", {"https://evil.com"}}}));
}

TEST(BucketPolicy, NumericOperators) {
  const auto check = [](const char* op, json value, const char* hit, const char* miss) {
    BucketPolicy p = AllowGetIf({{op, {{"s3:max-keys", value}}}});
    EXPECT_TRUE(Allowed(p, {{"s3:max-keys", {hit}}})) << op << " " << hit;
    EXPECT_FALSE(Allowed(p, {{"s3:max-keys", {miss}}})) << op << " " << miss;
  };
  check("NumericEquals", "10", "10", "11");
  check("NumericEquals", 10, "10.0", "9");  // a JSON number is its text form
  check("NumericNotEquals", "10", "11", "10");
  check("NumericLessThan", "10", "9.5", "10");
  check("NumericLessThanEquals", 100, "100", "101");
  check("NumericGreaterThan", "10", "11", "10");
  check("NumericGreaterThanEquals", "-1.5", "-1.5", "-2");
  BucketPolicy p = AllowGetIf({{"NumericLessThan", {{"s3:max-keys", "10"}}}});
  EXPECT_FALSE(Allowed(p, {{"s3:max-keys", {"ten"}}}));  // an unparsable request value never matches
}

TEST(BucketPolicy, DateOperatorsAcceptIsoAndEpoch) {
  const auto check = [](const char* op, const char* value, const char* hit, const char* miss) {
    BucketPolicy p = AllowGetIf({{op, {{"aws:CurrentTime", value}}}});
    EXPECT_TRUE(Allowed(p, {{"aws:CurrentTime", {hit}}})) << op << " " << hit;
    EXPECT_FALSE(Allowed(p, {{"aws:CurrentTime", {miss}}})) << op << " " << miss;
  };
  check("DateGreaterThan", "2026-01-01T00:00:00Z", "2026-12-01T10:00:00Z", "2025-12-31T23:59:59Z");
  check("DateLessThan", "2026-01-01T00:00:00Z", "2025-12-31T23:59:59.999Z", "2026-01-01");
  check("DateEquals", "2026-01-01T00:00:00Z", "1767225600", "1767225601");            // epoch on the request side
  check("DateNotEquals", "1767225600", "2026-01-01T00:00:01Z", "2026-01-01T01:00:00+01:00");  // offsets apply
  check("DateLessThanEquals", "2026-06-01T12:00:00Z", "2026-06-01T12:00:00Z", "2026-06-01T12:00:01Z");
  check("DateGreaterThanEquals", "2026-06-01T12:00:00-0200", "2026-06-01T14:00:00Z", "2026-06-01T13:59:59Z");
}

TEST(BucketPolicy, BoolOperator) {
  BucketPolicy p = AllowGetIf({{"Bool", {{"aws:SecureTransport", true}}}});  // a JSON boolean
  EXPECT_TRUE(Allowed(p, {{"aws:SecureTransport", {"true"}}}));
  EXPECT_TRUE(Allowed(p, {{"aws:SecureTransport", {"TRUE"}}}));
  EXPECT_FALSE(Allowed(p, {{"aws:SecureTransport", {"false"}}}));
  EXPECT_FALSE(Allowed(p, {}));
}

TEST(BucketPolicy, IpAddressOperatorsOnIpv4) {
  BucketPolicy p = AllowGetIf({{"IpAddress", {{"aws:SourceIp", {"192.0.2.0/24", "203.0.113.7"}}}}});
  EXPECT_TRUE(Allowed(p, {{"aws:SourceIp", {"192.0.2.200"}}}));
  EXPECT_TRUE(Allowed(p, {{"aws:SourceIp", {"203.0.113.7"}}}));   // a bare address is a /32
  EXPECT_FALSE(Allowed(p, {{"aws:SourceIp", {"203.0.113.8"}}}));
  EXPECT_FALSE(Allowed(p, {{"aws:SourceIp", {"192.0.3.1"}}}));
  EXPECT_TRUE(Allowed(p, {{"aws:SourceIp", {"::ffff:192.0.2.9"}}}));  // IPv4-mapped IPv6
  EXPECT_FALSE(Allowed(p, {{"aws:SourceIp", {"garbage"}}}));
  BucketPolicy not_ip = AllowGetIf({{"NotIpAddress", {{"aws:SourceIp", "10.0.0.0/8"}}}});
  EXPECT_TRUE(Allowed(not_ip, {{"aws:SourceIp", {"11.0.0.1"}}}));
  EXPECT_FALSE(Allowed(not_ip, {{"aws:SourceIp", {"10.255.0.1"}}}));
}

TEST(BucketPolicy, IpAddressOperatorsOnIpv6) {
  BucketPolicy p = AllowGetIf({{"IpAddress", {{"aws:SourceIp", "2001:DB8:1234:5678::/64"}}}});
  EXPECT_TRUE(Allowed(p, {{"aws:SourceIp", {"2001:db8:1234:5678::1"}}}));
  EXPECT_FALSE(Allowed(p, {{"aws:SourceIp", {"2001:db8:1234:5679::1"}}}));
  EXPECT_FALSE(Allowed(p, {{"aws:SourceIp", {"192.0.2.1"}}}));  // families never match each other
  BucketPolicy wide = AllowGetIf({{"IpAddress", {{"aws:SourceIp", "2001:db8::/32"}}}});
  EXPECT_TRUE(Allowed(wide, {{"aws:SourceIp", {"2001:db8:ffff::1"}}}));
  EXPECT_FALSE(Allowed(wide, {{"aws:SourceIp", {"2001:db9::1"}}}));
  BucketPolicy mapped = AllowGetIf({{"IpAddress", {{"aws:SourceIp", "::ffff:192.0.2.0/120"}}}});
  EXPECT_TRUE(Allowed(mapped, {{"aws:SourceIp", {"192.0.2.77"}}}));  // an IPv4 /24 written as IPv6
  EXPECT_FALSE(Allowed(mapped, {{"aws:SourceIp", {"192.0.3.77"}}}));
}

TEST(BucketPolicy, NullOperatorTestsPresence) {
  BucketPolicy absent = AllowGetIf({{"Null", {{"s3:x-amz-server-side-encryption", "true"}}}});
  EXPECT_TRUE(Allowed(absent, {}));
  EXPECT_FALSE(Allowed(absent, {{"s3:x-amz-server-side-encryption", {"AES256"}}}));
  BucketPolicy present = AllowGetIf({{"Null", {{"s3:x-amz-server-side-encryption", false}}}});
  EXPECT_TRUE(Allowed(present, {{"s3:x-amz-server-side-encryption", {"AES256"}}}));
  EXPECT_FALSE(Allowed(present, {}));
}

TEST(BucketPolicy, ArnOperatorsMatchPerComponent) {
  BucketPolicy like = AllowGetIf({{"ArnLike", {{"aws:SourceArn", "arn:aws:sns:*:111122223333:topic-*"}}}});
  EXPECT_TRUE(Allowed(like, {{"aws:SourceArn", {"arn:aws:sns:us-east-1:111122223333:topic-a"}}}));
  EXPECT_FALSE(Allowed(like, {{"aws:SourceArn", {"arn:aws:sns:us-east-1:444455556666:topic-a"}}}));
  // A '*' stands for part of one component: it cannot swallow the region and account.
  EXPECT_FALSE(Allowed(like, {{"aws:SourceArn", {"arn:aws:sns:us-east-1:9:111122223333:topic-a"}}}));
  EXPECT_FALSE(Allowed(like, {{"aws:SourceArn", {"not-an-arn"}}}));
  BucketPolicy eq = AllowGetIf({{"ArnEquals", {{"aws:SourceArn", "arn:aws:s3:::logs"}}}});
  EXPECT_TRUE(Allowed(eq, {{"aws:SourceArn", {"arn:aws:s3:::logs"}}}));
  EXPECT_FALSE(Allowed(eq, {{"aws:SourceArn", {"arn:aws:s3:::logs2"}}}));
  for (const char* op : {"ArnNotEquals", "ArnNotLike"}) {
    BucketPolicy ne = AllowGetIf({{op, {{"aws:SourceArn", "arn:aws:s3:::logs"}}}});
    EXPECT_TRUE(Allowed(ne, {{"aws:SourceArn", {"arn:aws:s3:::other"}}})) << op;
    EXPECT_FALSE(Allowed(ne, {{"aws:SourceArn", {"arn:aws:s3:::logs"}}})) << op;
  }
}

TEST(BucketPolicy, IfExistsHoldsWhenTheKeyIsAbsent) {
  BucketPolicy p = AllowGetIf({{"StringEqualsIfExists", {{"s3:x-amz-acl", "private"}}}});
  EXPECT_TRUE(Allowed(p, {}));
  EXPECT_TRUE(Allowed(p, {{"s3:x-amz-acl", {"private"}}}));
  EXPECT_FALSE(Allowed(p, {{"s3:x-amz-acl", {"public-read"}}}));
  BucketPolicy plain = AllowGetIf({{"StringEquals", {{"s3:x-amz-acl", "private"}}}});
  EXPECT_FALSE(Allowed(plain, {}));  // a positive operator on a missing key fails
  BucketPolicy ip = AllowGetIf({{"IpAddressIfExists", {{"aws:SourceIp", "10.0.0.0/8"}}}});
  EXPECT_TRUE(Allowed(ip, {}));
  EXPECT_FALSE(Allowed(ip, {{"aws:SourceIp", {"11.0.0.1"}}}));
}

TEST(BucketPolicy, NegatedOperatorsHoldOnAbsentKeys) {
  for (const json& cond : {json{{"StringNotEquals", {{"s3:x-amz-acl", "public-read"}}}},
                           json{{"NotIpAddress", {{"aws:SourceIp", "10.0.0.0/8"}}}},
                           json{{"StringNotLike", {{"aws:Referer", "*"}}}},
                           json{{"ArnNotLike", {{"aws:SourceArn", "arn:*:*:*:*:*"}}}}}) {
    EXPECT_TRUE(Allowed(AllowGetIf(cond), {})) << cond;
  }
}

TEST(BucketPolicy, ForAnyValueNeedsOneMatchingValue) {
  BucketPolicy p = AllowGetIf({{"ForAnyValue:StringEquals", {{"aws:TagKeys", {"team", "cost"}}}}});
  EXPECT_TRUE(Allowed(p, {{"aws:TagKeys", {"owner", "cost"}}}));
  EXPECT_FALSE(Allowed(p, {{"aws:TagKeys", {"owner", "env"}}}));
  EXPECT_FALSE(Allowed(p, {}));  // no values: none matches
  BucketPolicy ne = AllowGetIf({{"ForAnyValue:StringNotEquals", {{"aws:TagKeys", "team"}}}});
  EXPECT_TRUE(Allowed(ne, {{"aws:TagKeys", {"team", "env"}}}));
  EXPECT_FALSE(Allowed(ne, {{"aws:TagKeys", {"team"}}}));
}

TEST(BucketPolicy, ForAllValuesNeedsEveryValueToMatch) {
  BucketPolicy p = AllowGetIf({{"ForAllValues:StringEquals", {{"aws:TagKeys", {"team", "cost", "env"}}}}});
  EXPECT_TRUE(Allowed(p, {{"aws:TagKeys", {"team", "env"}}}));
  EXPECT_FALSE(Allowed(p, {{"aws:TagKeys", {"team", "owner"}}}));
  EXPECT_TRUE(Allowed(p, {}));  // vacuously true, as in AWS
  BucketPolicy like = AllowGetIf({{"ForAllValues:StringLike", {{"s3:RequestObjectTagKeys", "app-*"}}}});
  EXPECT_TRUE(Allowed(like, {{"s3:RequestObjectTagKeys", {"app-a", "app-b"}}}));
  EXPECT_FALSE(Allowed(like, {{"s3:RequestObjectTagKeys", {"app-a", "b"}}}));
}

TEST(BucketPolicy, MultiValuedKeysWithoutSetPrefix) {
  BucketPolicy eq = AllowGetIf({{"StringEquals", {{"aws:TagKeys", "team"}}}});
  EXPECT_TRUE(Allowed(eq, {{"aws:TagKeys", {"env", "team"}}}));  // any value matching is enough
  EXPECT_FALSE(Allowed(eq, {{"aws:TagKeys", {"env", "cost"}}}));
  BucketPolicy ne = AllowGetIf({{"StringNotEquals", {{"aws:TagKeys", "team"}}}});
  EXPECT_FALSE(Allowed(ne, {{"aws:TagKeys", {"env", "team"}}}));  // no value may match
  EXPECT_TRUE(Allowed(ne, {{"aws:TagKeys", {"env", "cost"}}}));
}

TEST(BucketPolicy, ConditionsAreAndedAcrossOperatorsAndKeys) {
  BucketPolicy p = AllowGetIf({{"StringEquals", {{"s3:x-amz-acl", "private"}, {"aws:UserAgent", {"a", "b"}}}},
                               {"Bool", {{"aws:SecureTransport", "true"}}}});
  const Context ok = {{"s3:x-amz-acl", {"private"}}, {"aws:UserAgent", {"b"}}, {"aws:SecureTransport", {"true"}}};
  EXPECT_TRUE(Allowed(p, ok));
  for (const char* key : {"s3:x-amz-acl", "aws:UserAgent", "aws:SecureTransport"}) {
    Context bad = ok;
    bad[key] = {"other"};
    EXPECT_FALSE(Allowed(p, bad)) << key;
  }
}

TEST(BucketPolicy, ConditionKeyNamesAreCaseInsensitive) {
  BucketPolicy p = AllowGetIf({{"IpAddress", {{"AWS:sourceip", "10.0.0.0/8"}}}});
  EXPECT_TRUE(Allowed(p, {{"aws:SourceIp", {"10.1.2.3"}}}));
  EXPECT_FALSE(Allowed(p, {{"aws:SOURCEIP", {"11.1.2.3"}}}));
}

// ---- Policy variables ------------------------------------------------------------------

TEST(BucketPolicy, PolicyVariablesInResources) {
  BucketPolicy p = MustParse(Doc({Statement("Allow", "*", "s3:*", "arn:aws:s3:::photos/home/${aws:username}/*")}));
  const Context alice = {{"aws:username", {"alice"}}};
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "home/alice/a", "acme", alice)), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "home/bob/a", "acme", alice)), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "home/${aws:username}/a", "acme")), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "home//a", "acme")), PolicyEffect::kNone);  // missing: no match
}

TEST(BucketPolicy, Version2008HasNoPolicyVariables) {
  BucketPolicy p = MustParse(Doc({Statement("Allow", "*", "s3:*", "arn:aws:s3:::photos/home/${aws:username}/*")}, "2008-10-17"));
  const Context alice = {{"aws:username", {"alice"}}};
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "home/alice/a", "acme", alice)), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "home/${aws:username}/a", "acme", alice)), PolicyEffect::kAllow);
}

TEST(BucketPolicy, EscapeVariablesAreLiteral) {
  BucketPolicy p = MustParse(Doc({Statement("Allow", "*", "s3:GetObject", "arn:aws:s3:::photos/${*}${?}${$}")}));
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "*?$")), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "ab$")), PolicyEffect::kNone);
}

TEST(BucketPolicy, PolicyVariablesInConditionValues) {
  BucketPolicy p = AllowGetIf({{"StringLike", {{"s3:prefix", {"home/${aws:username}/*", "shared/${aws:userid, 'all'}"}}}}});
  EXPECT_TRUE(Allowed(p, {{"s3:prefix", {"home/alice/x"}}, {"aws:username", {"alice"}}}));
  EXPECT_FALSE(Allowed(p, {{"s3:prefix", {"home/bob/x"}}, {"aws:username", {"alice"}}}));
  EXPECT_TRUE(Allowed(p, {{"s3:prefix", {"shared/all"}}}));  // the default stands in
  EXPECT_FALSE(Allowed(p, {{"s3:prefix", {"shared/all"}}, {"aws:userid", {"u1"}}}));
  BucketPolicy eq = AllowGetIf({{"StringEquals", {{"aws:Referer", "${aws:SourceIp}"}}}});
  EXPECT_TRUE(Allowed(eq, {{"aws:Referer", {"10.0.0.1"}}, {"aws:SourceIp", {"10.0.0.1"}}}));
  EXPECT_FALSE(Allowed(eq, {{"aws:Referer", {"10.0.0.1"}}, {"aws:SourceIp", {"10.0.0.2"}}}));
}

TEST(BucketPolicy, ExpandPolicyVariablesSubstitutesSingleValues) {
  PolicyRequest r;
  r.context = {{"aws:username", {"alice"}}, {"aws:TagKeys", {"a", "b"}}};
  EXPECT_EQ(ExpandPolicyVariables("home/${aws:USERNAME}/${*}", r), "home/alice/*");
  EXPECT_EQ(ExpandPolicyVariables("${aws:userid, 'anon'}", r), "anon");
  EXPECT_EQ(ExpandPolicyVariables("${aws:TagKeys}", r), std::nullopt);  // multi-valued
  EXPECT_EQ(ExpandPolicyVariables("${aws:userid}", r), std::nullopt);
  EXPECT_EQ(ExpandPolicyVariables("unterminated ${x", r), "unterminated ${x");
}

// ---- IsPublic and AllowsAccount --------------------------------------------------------

TEST(BucketPolicy, IsPublicFollowsAwsDefinition) {
  const auto with = [](json principal, json condition, const char* effect = "Allow") {
    json st = Statement(effect, principal, "s3:GetObject", kObjectsArn);
    if (!condition.is_null()) st["Condition"] = condition;
    return MustParse(Doc({st})).IsPublic();
  };
  EXPECT_TRUE(with("*", nullptr));
  EXPECT_TRUE(with({{"AWS", "*"}}, nullptr));
  EXPECT_FALSE(with("*", nullptr, "Deny"));
  EXPECT_FALSE(with({{"AWS", "acme"}}, nullptr));
  EXPECT_FALSE(with("*", {{"IpAddress", {{"aws:SourceIp", "10.0.0.0/8"}}}}));
  EXPECT_TRUE(with("*", {{"IpAddress", {{"aws:SourceIp", "0.0.0.0/0"}}}}));
  EXPECT_TRUE(with("*", {{"IpAddress", {{"aws:SourceIp", {"10.0.0.0/8", "::/0"}}}}}));
  EXPECT_TRUE(with("*", {{"NotIpAddress", {{"aws:SourceIp", "10.0.0.0/8"}}}}));
  EXPECT_TRUE(with("*", {{"IpAddressIfExists", {{"aws:SourceIp", "10.0.0.0/8"}}}}));
  EXPECT_FALSE(with("*", {{"StringEquals", {{"aws:SourceVpce", "vpce-1a2b3c4d"}}}}));
  EXPECT_FALSE(with("*", {{"StringEquals", {{"aws:PrincipalOrgID", "o-abc"}}}}));
  EXPECT_TRUE(with("*", {{"StringLike", {{"aws:SourceArn", "arn:aws:sns:*:1:t"}}}}));
  EXPECT_TRUE(with("*", {{"StringEquals", {{"aws:UserAgent", "fixed"}}}}));  // not a limiting key
  EXPECT_TRUE(with("*", {{"StringEquals", {{"aws:SourceAccount", "${aws:username}"}}}}));
}

TEST(BucketPolicy, NotPrincipalAllowIsPublic) {
  json st = Statement("Allow", "", "s3:GetObject", kObjectsArn);
  st.erase("Principal");
  st["NotPrincipal"] = {{"AWS", "acme"}};
  EXPECT_TRUE(MustParse(Doc({st})).IsPublic());
}

TEST(BucketPolicy, AllowsAccountOnlyWhenNamed) {
  BucketPolicy named = MustParse(Doc({Statement("Allow", {{"AWS", "arn:aws:iam::acme:root"}}, "s3:GetObject", kObjectsArn)}));
  EXPECT_TRUE(named.AllowsAccount("acme"));
  EXPECT_FALSE(named.AllowsAccount("globex"));
  EXPECT_FALSE(MustParse(Doc({Statement("Allow", "*", "s3:GetObject", kObjectsArn)})).AllowsAccount("acme"));
  EXPECT_FALSE(MustParse(Doc({Statement("Deny", {{"AWS", "acme"}}, "s3:GetObject", kObjectsArn)})).AllowsAccount("acme"));
  EXPECT_FALSE(named.AllowsAccount(""));
}

// ---- AWS documentation examples ---------------------------------------------------------

TEST(BucketPolicy, AwsExampleReadOnlyForAnonymous) {
  BucketPolicy p = MustParse(json::parse(R"({
    "Version": "2012-10-17",
    "Statement": [{
      "Sid": "PublicRead",
      "Effect": "Allow",
      "Principal": "*",
      "Action": ["s3:GetObject", "s3:GetObjectVersion"],
      "Resource": ["arn:aws:s3:::photos/*"]
    }]})"));
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "cat.jpg")), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObjectVersion", "cat.jpg")), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:PutObject", "cat.jpg")), PolicyEffect::kNone);
  EXPECT_EQ(p.Evaluate(Request("s3:ListBucket", "")), PolicyEffect::kNone);
  EXPECT_TRUE(p.IsPublic());
}

TEST(BucketPolicy, AwsExampleRestrictToIpRanges) {
  BucketPolicy p = MustParse(json::parse(R"({
    "Id": "PolicyId2",
    "Version": "2012-10-17",
    "Statement": [{
      "Sid": "AllowIPmix",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::photos", "arn:aws:s3:::photos/*"],
      "Condition": {
        "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:DB8:1234:5678::/64"]}
      }
    }]})"));
  const auto from = [&](const char* ip) {
    return p.Evaluate(Request("s3:GetObject", "a", "acme", {{"aws:SourceIp", {ip}}}));
  };
  EXPECT_EQ(from("192.0.2.10"), PolicyEffect::kNone);
  EXPECT_EQ(from("2001:db8:1234:5678:abcd::1"), PolicyEffect::kNone);
  EXPECT_EQ(from("198.51.100.1"), PolicyEffect::kDeny);
  EXPECT_EQ(from("2001:db8:1234:5679::1"), PolicyEffect::kDeny);
  EXPECT_FALSE(p.IsPublic());  // a Deny grants nothing
}

TEST(BucketPolicy, AwsExampleDenyInsecureTransport) {
  BucketPolicy p = MustParse(json::parse(R"({
    "Version": "2012-10-17",
    "Statement": [
      {"Sid": "RestrictToTLSRequestsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
       "Resource": ["arn:aws:s3:::photos", "arn:aws:s3:::photos/*"],
       "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
      {"Sid": "TenantRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::acme:root"},
       "Action": ["s3:GetObject", "s3:ListBucket"],
       "Resource": ["arn:aws:s3:::photos", "arn:aws:s3:::photos/*"]}
    ]})"));
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "acme", {{"aws:SecureTransport", {"true"}}})), PolicyEffect::kAllow);
  EXPECT_EQ(p.Evaluate(Request("s3:ListBucket", "", "acme", {{"aws:SecureTransport", {"false"}}})), PolicyEffect::kDeny);
  EXPECT_EQ(p.Evaluate(Request("s3:GetObject", "a", "globex", {{"aws:SecureTransport", {"true"}}})), PolicyEffect::kNone);
  EXPECT_FALSE(p.IsPublic());
  EXPECT_TRUE(p.AllowsAccount("acme"));
}

}  // namespace
}  // namespace ccow::s3
