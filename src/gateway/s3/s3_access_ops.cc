// The S3 operations that read and change access settings: bucket ?acl, ?policy,
// ?policyStatus, ?publicAccessBlock, ?ownershipControls, and object ?acl. Bucket settings
// change by one registry update of the bucket's access document; an object's ACL by a new
// version sharing every chunk of the old one (versions are immutable).
#include "gateway/s3/bucket_policy.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_util.h"
#include "gateway/s3/s3_xml.h"

namespace ccow::s3 {
namespace {

S3Error AclsNotSupported() {
  return MakeError(400, "AccessControlListNotSupported", "The bucket does not allow ACLs");
}

// The ACL of a Put*Acl request: from its headers or its body, never both.
S3Error RequestedAcl(const HttpRequest& req, const std::string& body, const std::string& owner,
                     const std::string& bucket_owner, const AccountExists& exists, AccessControlList* out) {
  std::optional<AccessControlList> acl;
  S3_RETURN_IF_ERROR(AclFromHeaders(req.headers, owner, bucket_owner, exists, &acl));
  if (acl && !body.empty())
    return MakeError(400, "UnexpectedContent", "This request does not support content when ACL headers are given");
  if (acl) {
    *out = std::move(*acl);
    return S3Error::None();
  }
  if (body.empty())
    return MakeError(400, "MissingSecurityHeader", "Your request was missing a required header: x-amz-acl");
  return ParseAclXml(body, owner, exists, out);
}

}  // namespace

void S3Handler::BucketAccessRequest(RequestContext& ctx, const BucketInfo& bucket, const std::string& which) {
  const std::string& m = ctx.req.method;
  BucketAccess access = DecodeBucketAccess(bucket.record.access, bucket.tenant);
  bool enforced = access.ownership == ObjectOwnership::kBucketOwnerEnforced;
  auto exists = [this](std::string_view a) { return AccountExists(a); };
  auto check = [&](const char* action, AclScope scope = AclScope::kNone, uint8_t perm = 0) {
    S3Error e = Authorize(ctx, bucket, {action, scope, perm});
    if (!e.ok()) SendError(ctx, e);
    return e.ok();
  };
  auto read_body = [&](std::string* body) {
    Status st = ReadSmallBody(ctx, body);
    if (!st.ok()) SendError(ctx, ErrorFromStatus(st));
    return st.ok();
  };
  // One read-modify-write of the access document on the newest record.
  auto update = [&](int status, const std::function<S3Error(BucketAccess*)>& change) {
    S3Error refused;
    Status st = buckets_.Update(bucket.tenant, bucket.name, [&](BucketRecord* r) {
      BucketAccess a = DecodeBucketAccess(r->access, bucket.tenant);
      refused = change(&a);
      if (!refused.ok()) return Status::InvalidArgument(refused.message);
      r->access = EncodeBucketAccess(a);
      return Status::OK();
    });
    if (!refused.ok()) return SendError(ctx, refused);
    if (st.code() == Code::kConflict)
      return SendError(ctx, MakeError(409, "OperationAborted",
                                      "A conflicting conditional operation is currently in progress against this "
                                      "resource. Please try again."));
    if (!st.ok()) return SendError(ctx, ErrorFromStatus(st, "NoSuchBucket"));
    SendEmpty(ctx, status, {{"Content-Length", "0"}});
  };

  if (which == "acl" && m == "GET") {
    if (!check("s3:GetBucketAcl", AclScope::kBucket, kPermReadAcp)) return;
    return SendXml(ctx, 200, AclXml(enforced ? PrivateAcl(bucket.tenant) : access.acl));
  }
  if (which == "acl" && m == "PUT") {
    if (!check("s3:PutBucketAcl", AclScope::kBucket, kPermWriteAcp)) return;
    std::string body;
    if (!read_body(&body)) return;
    auto acl = std::make_shared<AccessControlList>();
    S3Error e = RequestedAcl(ctx.req, body, bucket.tenant, bucket.tenant, exists, acl.get());
    if (!e.ok()) return SendError(ctx, e);
    if (enforced && *acl != PrivateAcl(bucket.tenant)) return SendError(ctx, AclsNotSupported());
    if (access.public_access_block && access.public_access_block->block_public_acls && acl->IsPublic())
      return SendError(ctx, MakeError(403, "AccessDenied", "Access Denied: the bucket's PublicAccessBlock blocks public ACLs"));
    return update(200, [&](BucketAccess* a) {
      a->acl = *acl;
      return S3Error::None();
    });
  }
  if (which == "policy") {
    if (m == "GET") {
      if (!check("s3:GetBucketPolicy")) return;
      if (access.policy.empty())
        return SendError(ctx, MakeError(404, "NoSuchBucketPolicy", "The bucket policy does not exist"));
      HeaderList h{{"x-amz-request-id", ctx.request_id}, {"Content-Type", "application/json"}};
      for (auto& x : ctx.extra_headers) h.push_back(x);
      (void)ctx.ex.Respond(200, h, access.policy);
      return;
    }
    if (m == "PUT") {
      if (!check("s3:PutBucketPolicy")) return;
      std::string body;
      if (!read_body(&body)) return;
      auto parsed = BucketPolicy::Parse(body, bucket.name);
      if (!parsed.ok()) return SendError(ctx, ErrorFromStatus(parsed.status()));
      if (access.public_access_block && access.public_access_block->block_public_policy && parsed->IsPublic())
        return SendError(ctx, MakeError(403, "AccessDenied",
                                        "Access Denied: the bucket's PublicAccessBlock blocks public policies"));
      return update(204, [&](BucketAccess* a) {
        a->policy = body;
        return S3Error::None();
      });
    }
    if (m == "DELETE") {
      if (!check("s3:DeleteBucketPolicy")) return;
      return update(204, [](BucketAccess* a) {
        a->policy.clear();
        return S3Error::None();
      });
    }
  }
  if (which == "policyStatus" && m == "GET") {
    if (!check("s3:GetBucketPolicyStatus")) return;
    if (access.policy.empty())
      return SendError(ctx, MakeError(404, "NoSuchBucketPolicy", "The bucket policy does not exist"));
    auto policy = PolicyOf(bucket, access);
    XmlWriter w;
    w.Open("PolicyStatus", true);
    w.Element("IsPublic", policy && policy->IsPublic() ? "true" : "false");
    return SendXml(ctx, 200, w.Finish());
  }
  if (which == "publicAccessBlock") {
    if (m == "GET") {
      if (!check("s3:GetBucketPublicAccessBlock")) return;
      if (!access.public_access_block)
        return SendError(ctx, MakeError(404, "NoSuchPublicAccessBlockConfiguration",
                                        "The public access block configuration was not found"));
      return SendXml(ctx, 200, PublicAccessBlockXml(*access.public_access_block));
    }
    if (m == "PUT") {
      if (!check("s3:PutBucketPublicAccessBlock")) return;
      std::string body;
      if (!read_body(&body)) return;
      PublicAccessBlock pab;
      S3Error e = ParsePublicAccessBlock(body, &pab);
      if (!e.ok()) return SendError(ctx, e);
      return update(200, [&](BucketAccess* a) {
        a->public_access_block = pab;
        return S3Error::None();
      });
    }
    if (m == "DELETE") {
      if (!check("s3:PutBucketPublicAccessBlock")) return;
      return update(204, [](BucketAccess* a) {
        a->public_access_block.reset();
        return S3Error::None();
      });
    }
  }
  if (which == "ownershipControls") {
    if (m == "GET") {
      if (!check("s3:GetBucketOwnershipControls")) return;
      if (!access.ownership_set)
        return SendError(ctx, MakeError(404, "OwnershipControlsNotFoundError",
                                        "The bucket ownership controls were not found"));
      return SendXml(ctx, 200, OwnershipControlsXml(access.ownership));
    }
    if (m == "PUT") {
      if (!check("s3:PutBucketOwnershipControls")) return;
      std::string body;
      if (!read_body(&body)) return;
      ObjectOwnership o;
      S3Error e = ParseOwnershipControls(body, &o);
      if (!e.ok()) return SendError(ctx, e);
      return update(200, [&](BucketAccess* a) {
        // Enforcing ownership disables ACLs: one that grants others would silently stop
        // meaning anything, so AWS refuses until it is made private.
        if (o == ObjectOwnership::kBucketOwnerEnforced && a->acl != PrivateAcl(bucket.tenant))
          return MakeError(400, "InvalidBucketAclWithObjectOwnership",
                           "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting");
        a->ownership = o;
        a->ownership_set = true;
        return S3Error::None();
      });
    }
    if (m == "DELETE") {
      if (!check("s3:PutBucketOwnershipControls")) return;
      return update(204, [](BucketAccess* a) {
        a->ownership = ObjectOwnership::kObjectWriter;
        a->ownership_set = false;
        return S3Error::None();
      });
    }
  }
  SendError(ctx, MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource."));
}

void S3Handler::ObjectAclRequest(RequestContext& ctx, const BucketInfo& bucket) {
  const std::string& m = ctx.req.method;
  if (m != "GET" && m != "PUT")
    return SendError(ctx, MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource."));
  VersionSelector which;
  std::string name = ObjectName(ctx);
  auto info = VersionForSubresource(ctx, bucket, &which);
  if (!info) return;
  S3Error e;
  BucketAccess access = DecodeBucketAccess(bucket.record.access, bucket.tenant);
  bool enforced = access.ownership == ObjectOwnership::kBucketOwnerEnforced;
  bool versioned = ctx.req.HasQuery("versionId");
  AccessControlList current = enforced ? PrivateAcl(bucket.tenant) : ObjectAclOf(*info, bucket.tenant);
  if (m == "GET") {
    e = Authorize(ctx, bucket, {versioned ? "s3:GetObjectVersionAcl" : "s3:GetObjectAcl", AclScope::kObject, kPermReadAcp},
                  &*info);
    if (!e.ok()) return SendError(ctx, e);
    HeaderList h;
    if (bucket.versioned()) h.emplace_back("x-amz-version-id", S3VersionId(true, *info));
    return SendXml(ctx, 200, AclXml(current), h);
  }
  e = Authorize(ctx, bucket, {versioned ? "s3:PutObjectVersionAcl" : "s3:PutObjectAcl", AclScope::kObject, kPermWriteAcp},
                &*info);
  if (!e.ok()) return SendError(ctx, e);
  std::string body;
  Status st = ReadSmallBody(ctx, &body);
  if (!st.ok()) return SendError(ctx, ErrorFromStatus(st));
  auto exists = [this](std::string_view a) { return AccountExists(a); };
  auto acl = std::make_shared<AccessControlList>();
  e = RequestedAcl(ctx.req, body, current.owner, bucket.tenant, exists, acl.get());
  if (!e.ok()) return SendError(ctx, e);
  if (enforced && *acl != PrivateAcl(bucket.tenant)) return SendError(ctx, AclsNotSupported());
  if (access.public_access_block && access.public_access_block->block_public_acls && acl->IsPublic())
    return SendError(ctx, MakeError(403, "AccessDenied", "Access Denied: the bucket's PublicAccessBlock blocks public ACLs"));
  if (which.generation || which.null_version) {
    // The new version becomes the latest: for a noncurrent version that would roll the
    // object back to it, so refuse instead (as tagging does).
    auto latest = api_->Stat(name, {});
    if (!latest.ok() || latest->generation != info->generation)
      return SendError(ctx, MakeError(501, "NotImplemented", "ccow cannot change the ACL of a noncurrent version."));
  }
  PutOptions opts;
  opts.content_type = info->content_type;
  opts.user_metadata = info->user_metadata;
  opts.user_metadata.erase(kObjectAclKey);
  if (*acl != PrivateAcl(bucket.tenant)) opts.user_metadata[kObjectAclKey] = EncodeAcl(*acl);
  opts.slot = SlotForRewrite(bucket.versioned(), info->null_version);
  opts.lock = info->lock;  // the new current version keeps the object's Object Lock
  opts.storage_class = info->storage_class;  // and its storage class
  VersionSelector exact;
  exact.generation = info->generation;
  auto updated = api_->Compose(name, {ComposePart{name, exact}}, opts, info->etag);
  if (!updated.ok()) return SendError(ctx, ErrorFromStatus(updated.status()));
  HeaderList h{{"Content-Length", "0"}};
  if (bucket.versioned()) h.emplace_back("x-amz-version-id", S3VersionId(true, *updated));
  SendEmpty(ctx, 200, h);
}

}  // namespace ccow::s3
