// Fuzz target for the access-control decoders (gateway/s3/s3_acl.h, s3_bucket_access.h,
// bucket_policy.h). The first byte picks the decoder, the rest is its input. Anything must
// be refused with an error or decode; nothing may crash, and what decodes must survive our
// own writers: an ACL document written by AclXml parses back to the same ACL, a stored ACL
// re-encodes to an equal ACL, a stored access document never decodes as public unless it
// says so, and a policy that parses evaluates without failing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "gateway/s3/bucket_policy.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/s3/s3_bucket_access.h"

namespace ccow::fuzz {
namespace {

enum Decoder : uint8_t { kAclXml, kGrantHeader, kStoredAcl, kBucketAccess, kPolicy, kDecoders };

void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "s3 access: %s\n", what);
  std::abort();
}

bool Known(std::string_view a) { return a == "alice" || a == "bob"; }

void CheckAclRewrite(const s3::AccessControlList& acl) {
  s3::AccessControlList again;
  Require(s3::ParseAclXml(s3::AclXml(acl), acl.owner, Known, &again).ok(), "rewritten ACL refused");
  Require(again == acl, "rewritten ACL differs");
  auto stored = s3::DecodeAcl(s3::EncodeAcl(acl));
  Require(stored && *stored == acl, "stored ACL differs");
}

bool Decode(Decoder d, std::string_view in) {
  switch (d) {
    case kAclXml: {
      s3::AccessControlList acl;
      if (!s3::ParseAclXml(in, "alice", Known, &acl).ok()) return false;
      Require(acl.owner == "alice" && acl.grants.size() <= 100, "owner or grant count");
      CheckAclRewrite(acl);
      return true;
    }
    case kGrantHeader: {
      std::optional<s3::AccessControlList> acl;
      size_t cut = in.find('\n');
      std::string name = cut == std::string_view::npos ? "x-amz-grant-read" : std::string(in.substr(0, cut));
      std::string value(cut == std::string_view::npos ? in : in.substr(cut + 1));
      if (!s3::AclFromHeaders({{name, value}}, "alice", "bob", Known, &acl).ok()) return false;
      if (acl) CheckAclRewrite(*acl);
      return true;
    }
    case kStoredAcl: {
      auto acl = s3::DecodeAcl(in);
      if (!acl) return false;
      auto again = s3::DecodeAcl(s3::EncodeAcl(*acl));
      Require(again && *again == *acl, "stored ACL does not round-trip");
      return true;
    }
    case kBucketAccess: {
      s3::BucketAccess a = s3::DecodeBucketAccess(in, "alice");
      s3::BucketAccess b = s3::DecodeBucketAccess(s3::EncodeBucketAccess(a), "someone");
      Require(a.acl == b.acl && a.policy == b.policy && a.public_access_block == b.public_access_block &&
                  a.ownership == b.ownership && a.ownership_set == b.ownership_set,
              "access document does not round-trip");
      return true;
    }
    case kPolicy: {
      auto p = s3::BucketPolicy::Parse(in, "bucket");
      if (!p.ok()) {
        Require(p.status().code() == Code::kInvalidArgument &&
                    p.status().message().rfind("MalformedPolicy: ", 0) == 0,
                "a refused policy is not MalformedPolicy");
        return false;
      }
      s3::PolicyRequest r;
      r.action = "s3:GetObject";
      r.resource = "arn:aws:s3:::bucket/key";
      r.account = "bob";
      r.context = {{"aws:SourceIp", {"10.1.2.3"}}, {"aws:SecureTransport", {"false"}},
                   {"aws:CurrentTime", {"2026-12-01T10:00:00Z"}}, {"s3:prefix", {"a/"}}};
      (void)p->Evaluate(r);
      r.account.clear();
      (void)p->Evaluate(r);
      (void)p->IsPublic();
      return true;
    }
    default:
      return false;
  }
}

std::string Seed(Decoder d, const std::string& body) { return std::string(1, static_cast<char>(d)) + body; }

}  // namespace

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  s3::AccessControlList acl;
  (void)s3::CannedAcl("public-read-write", "alice", "alice", &acl);
  acl.grants.push_back({s3::GranteeKind::kAccount, "bob", s3::kPermReadAcp});
  acl.grants.push_back({s3::GranteeKind::kLogDelivery, "", s3::kPermWrite});
  seeds.push_back(Seed(kAclXml, s3::AclXml(acl)));
  seeds.push_back(Seed(kAclXml,
                       "<AccessControlPolicy><Owner><ID>alice</ID></Owner><AccessControlList><Grant><Grantee>"
                       "<ID>bob</ID></Grantee><Permission>WRITE</Permission></Grant></AccessControlList>"
                       "</AccessControlPolicy>"));
  seeds.push_back(Seed(kGrantHeader, "x-amz-grant-full-control\nid=\"bob\", uri=\"http://acs.amazonaws.com/groups/"
                                     "global/AuthenticatedUsers\""));
  seeds.push_back(Seed(kGrantHeader, "x-amz-acl\nbucket-owner-read"));
  seeds.push_back(Seed(kStoredAcl, s3::EncodeAcl(acl)));
  s3::BucketAccess a;
  a.acl = acl;
  a.policy = R"({"Version":"2012-10-17","Statement":[]})";
  a.public_access_block = s3::PublicAccessBlock{true, false, true, false};
  a.ownership = s3::ObjectOwnership::kBucketOwnerPreferred;
  a.ownership_set = true;
  seeds.push_back(Seed(kBucketAccess, s3::EncodeBucketAccess(a)));
  seeds.push_back(Seed(kPolicy, R"({"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow",)"
                                R"("Principal":{"AWS":["arn:aws:iam::bob:root","alice"]},"Action":["s3:Get*"],)"
                                R"("Resource":"arn:aws:s3:::bucket/${aws:username}/*","Condition":{)"
                                R"("IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},)"
                                R"("StringLikeIfExists":{"s3:prefix":"a*"},"DateLessThan":{"aws:CurrentTime":)"
                                R"("2030-01-01T00:00:00Z"}}},{"Effect":"Deny","NotPrincipal":{"AWS":"alice"},"NotAction":)"
                                R"("s3:ListBucket","NotResource":"arn:aws:s3:::bucket/pub/*","Condition":)"
                                R"({"Bool":{"aws:SecureTransport":"false"},"ForAnyValue:StringEquals":)"
                                R"({"aws:TagKeys":["a","b"]},"Null":{"s3:x-amz-acl":"true"}}}]})"));
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ccow::fuzz;
  if (size == 0) return 0;
  auto d = static_cast<Decoder>(data[0] % kDecoders);
  if (Decode(d, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1))) ++decoded;
  return 0;
}
