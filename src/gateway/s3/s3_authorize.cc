// Access control of S3 requests: who may do what, decided per request from the bucket's
// access document (owner, ACL, policy, PublicAccessBlock, Object Ownership) and the
// object's ACL, in the order AWS evaluates them:
//   1. an explicit Deny of the bucket policy refuses (the bucket owner keeps the right to
//      read and change the policy itself, so it can never lock itself out);
//   2. the owner acts: the bucket owner on the bucket, the object owner on its object;
//   3. a policy Allow grants (for objects the bucket owner owns, as AWS's bucket policies
//      reach only those); RestrictPublicBuckets limits a public policy to the owner;
//   4. the ACL grants, unless the bucket enforces bucket ownership (ACLs disabled);
//      IgnorePublicAcls drops the AllUsers and AuthenticatedUsers grants;
//   5. otherwise AccessDenied.
#include <ctime>

#include "gateway/s3/bucket_policy.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_util.h"

namespace ccow::s3 {
namespace {

S3Error Denied() { return MakeError(403, "AccessDenied", "Access Denied"); }

bool IsPolicyAction(std::string_view action) {
  return action == "s3:GetBucketPolicy" || action == "s3:PutBucketPolicy" || action == "s3:DeleteBucketPolicy" ||
         action == "s3:GetBucketPolicyStatus";
}

// The condition keys a policy may test, from the request as received.
PolicyRequest PolicyRequestOf(const RequestContext& ctx, const BucketInfo& bucket, const AccessCheck& check,
                              const ObjectInfo* object) {
  PolicyRequest p;
  p.action = check.action;
  p.resource = "arn:aws:s3:::" + bucket.name + (ctx.key.empty() ? "" : "/" + ctx.key);
  p.account = ctx.requester.account;
  const HttpRequest& req = ctx.req;
  auto& c = p.context;
  if (!req.remote_address.empty()) c["aws:SourceIp"] = {req.remote_address};
  c["aws:SecureTransport"] = {req.secure ? "true" : "false"};
  std::time_t now = std::time(nullptr);
  c["aws:EpochTime"] = {std::to_string(now)};
  std::tm tm{};
  gmtime_r(&now, &tm);
  char iso[32];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
  c["aws:CurrentTime"] = {iso};
  c["aws:PrincipalType"] = {ctx.requester.anonymous() ? "Anonymous" : "Account"};
  if (!ctx.requester.anonymous()) {
    c["aws:PrincipalAccount"] = {ctx.requester.account};
    c["aws:userid"] = {ctx.requester.account};
    c["aws:username"] = {ctx.requester.account};
  }
  if (const std::string* h = req.Header("user-agent")) c["aws:UserAgent"] = {*h};
  if (const std::string* h = req.Header("referer")) c["aws:Referer"] = {*h};
  if (!ctx.requester.anonymous()) {
    c["s3:signatureversion"] = {ctx.auth.signature_version == 2 ? "AWS" : "AWS4-HMAC-SHA256"};
    c["s3:authType"] = {ctx.auth.presigned ? "REST-QUERY-STRING" : "REST-HEADER"};
  }
  static const std::pair<const char*, const char*> kQueryKeys[] = {
      {"prefix", "s3:prefix"}, {"delimiter", "s3:delimiter"}, {"max-keys", "s3:max-keys"},
      {"versionId", "s3:VersionId"}};
  for (const auto& [q, key] : kQueryKeys)
    if (const std::string* v = req.Query(q)) c[key] = {*v};
  static const char* kHeaderKeys[] = {"x-amz-acl", "x-amz-content-sha256", "x-amz-copy-source",
                                      "x-amz-metadata-directive", "x-amz-server-side-encryption",
                                      "x-amz-storage-class", "x-amz-grant-read", "x-amz-grant-write",
                                      "x-amz-grant-read-acp", "x-amz-grant-write-acp",
                                      "x-amz-grant-full-control", "x-amz-object-ownership"};
  for (const char* h : kHeaderKeys)
    if (const std::string* v = req.Header(h)) c[std::string("s3:") + h] = {*v};
  if (const std::string* tags = req.Header("x-amz-tagging")) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : ParseTagQuery(*tags)) {
      c["s3:RequestObjectTag/" + k] = {v};
      keys.push_back(k);
    }
    c["aws:TagKeys"] = keys;
  }
  if (object) {
    auto it = object->user_metadata.find("x-amz-tagging");
    if (it != object->user_metadata.end())
      for (const auto& [k, v] : ParseTagQuery(it->second)) c["s3:ExistingObjectTag/" + k] = {v};
  }
  return p;
}

}  // namespace

AccessControlList ObjectAclOf(const ObjectInfo& info, const std::string& bucket_owner) {
  auto it = info.user_metadata.find(kObjectAclKey);
  if (it != info.user_metadata.end())
    if (auto acl = DecodeAcl(it->second)) return std::move(*acl);
  return PrivateAcl(bucket_owner);
}

bool S3Handler::AccountExists(std::string_view account) {
  if (account.empty()) return false;
  return buckets_.Tenant(std::string(account)).has_value() || account == kDefaultTenant;
}

std::shared_ptr<const BucketPolicy> S3Handler::PolicyOf(const BucketInfo& bucket, const BucketAccess& access) {
  if (access.policy.empty()) return nullptr;
  std::string path = buckets_.BucketPath(bucket.tenant, bucket.name);
  std::lock_guard lock(policy_mu_);
  auto& slot = policies_[path];
  if (slot.first != access.policy || !slot.second) {
    auto parsed = BucketPolicy::Parse(access.policy, bucket.name);
    // A stored policy was valid when put; one that no longer parses grants nothing, and
    // as it cannot deny either, only the owner's own rights remain.
    slot = {access.policy, parsed.ok() ? std::make_shared<const BucketPolicy>(std::move(*parsed)) : nullptr};
  }
  return slot.second;
}

S3Error S3Handler::Authorize(RequestContext& ctx, const BucketInfo& bucket, const AccessCheck& check,
                             const ObjectInfo* object) {
  BucketAccess access = DecodeBucketAccess(bucket.record.access, bucket.tenant);
  const std::string& bucket_owner = bucket.tenant;
  const Requester& who = ctx.requester;
  bool is_bucket_owner = !who.anonymous() && who.account == bucket_owner;
  // Fast path: the owner of a bucket with no policy, on the bucket or on objects it owns.
  std::shared_ptr<const BucketPolicy> policy = PolicyOf(bucket, access);
  bool enforced = access.ownership == ObjectOwnership::kBucketOwnerEnforced;
  AccessControlList object_acl;
  if (check.scope == AclScope::kObject && object) object_acl = ObjectAclOf(*object, bucket_owner);
  const std::string& owner =
      check.scope == AclScope::kObject && object && !enforced ? object_acl.owner : bucket_owner;

  PolicyEffect effect = PolicyEffect::kNone;
  if (policy) effect = policy->Evaluate(PolicyRequestOf(ctx, bucket, check, object));
  if (effect == PolicyEffect::kDeny && !(is_bucket_owner && IsPolicyAction(check.action))) return Denied();
  if (!who.anonymous() && who.account == owner) return S3Error::None();
  if (effect == PolicyEffect::kAllow && owner == bucket_owner) {
    bool restricted = access.public_access_block && access.public_access_block->restrict_public_buckets &&
                      policy->IsPublic() && !is_bucket_owner;
    if (!restricted) return S3Error::None();
  }
  if (check.scope == AclScope::kNone || check.permission == 0 || enforced) return Denied();
  const AccessControlList& acl = check.scope == AclScope::kObject ? object_acl : access.acl;
  if (check.scope == AclScope::kObject && !object) return Denied();
  AccessControlList effective = acl;
  if (access.public_access_block && access.public_access_block->ignore_public_acls)
    std::erase_if(effective.grants, [](const Grant& g) {
      return g.kind == GranteeKind::kAllUsers || g.kind == GranteeKind::kAuthenticatedUsers;
    });
  if ((effective.PermissionsOf(who) & check.permission) == check.permission) return S3Error::None();
  return Denied();
}

S3Error S3Handler::MissingObjectError(RequestContext& ctx, const BucketInfo& bucket, const S3Error& not_found) {
  AccessCheck list{"s3:ListBucket", AclScope::kBucket, kPermRead};
  std::string key = std::move(ctx.key);  // s3:ListBucket's resource is the bucket
  ctx.key.clear();
  S3Error e = Authorize(ctx, bucket, list);
  ctx.key = std::move(key);
  return e.ok() ? not_found : e;
}

S3Error S3Handler::ApplyObjectAcl(RequestContext& ctx, const BucketInfo& bucket, PutOptions* opts) {
  BucketAccess access = DecodeBucketAccess(bucket.record.access, bucket.tenant);
  const std::string& bucket_owner = bucket.tenant;
  // Anonymous writes (a public-read-write bucket) belong to the bucket owner.
  std::string writer = ctx.requester.anonymous() ? bucket_owner : ctx.requester.account;
  opts->user_metadata.erase(kObjectAclKey);
  const std::string* canned = ctx.req.Header("x-amz-acl");
  if (access.ownership == ObjectOwnership::kBucketOwnerEnforced) {
    // ACLs are disabled: only the ACLs that say "the bucket owner owns it" are accepted.
    bool grants = false;
    for (const auto& [name, value] : ctx.req.headers) grants = grants || name.starts_with("x-amz-grant-");
    if (grants || (canned && *canned != "bucket-owner-full-control" && *canned != "private"))
      return MakeError(400, "AccessControlListNotSupported", "The bucket does not allow ACLs");
    return S3Error::None();  // no stored ACL: the bucket owner owns it, privately
  }
  std::string owner = writer;
  if (access.ownership == ObjectOwnership::kBucketOwnerPreferred && canned && *canned == "bucket-owner-full-control")
    owner = bucket_owner;
  std::optional<AccessControlList> acl;
  S3Error e = AclFromHeaders(ctx.req.headers, owner, bucket_owner,
                             [this](std::string_view a) { return AccountExists(a); }, &acl);
  if (!e.ok()) return e;
  if (!acl) acl = PrivateAcl(owner);
  if (access.public_access_block && access.public_access_block->block_public_acls && acl->IsPublic())
    return MakeError(403, "AccessDenied", "Access Denied: the bucket's PublicAccessBlock blocks public ACLs");
  // The default (private to the bucket owner) is what no stored ACL means: store nothing.
  if (*acl != PrivateAcl(bucket_owner)) opts->user_metadata[kObjectAclKey] = EncodeAcl(*acl);
  return S3Error::None();
}

}  // namespace ccow::s3
