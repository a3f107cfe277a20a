// S3 Object Lock over the object API: a bucket's ?object-lock configuration, a version's
// ?retention and ?legal-hold, the lock a new version gets (its request's headers, else
// the bucket's default retention), and who may bypass GOVERNANCE retention. The rules
// themselves (what a lock refuses) live in the version list (model/version_list.h), so
// every path that deletes, expires or collects a version obeys them, not only S3's.
#include <strings.h>

#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_lock.h"
#include "gateway/s3/s3_object_util.h"

namespace ccow::s3 {
namespace {

S3Error MissingLockConfiguration() {
  return MakeError(400, "InvalidRequest", "Bucket is missing Object Lock Configuration");
}

}  // namespace

void S3Handler::BucketObjectLock(RequestContext& ctx, const BucketInfo& bucket) {
  const std::string& m = ctx.req.method;
  const ObjectLockConfig& config = bucket.record.object_lock;
  if (m == "GET") {
    if (!config.enabled)
      return SendError(ctx, MakeError(404, "ObjectLockConfigurationNotFoundError",
                                      "Object Lock configuration does not exist for this bucket"));
    return SendXml(ctx, 200, ObjectLockConfigurationXml(config));
  }
  if (m != "PUT")
    return SendError(ctx, MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource."));
  std::string body;
  Status st = ReadSmallBody(ctx, &body);
  if (!st.ok()) return SendError(ctx, ErrorFromStatus(st));
  ObjectLockConfig next;
  S3Error e = ParseObjectLockConfiguration(body, &next);
  if (!e.ok()) return SendError(ctx, e);
  // AWS lets a versioned bucket turn Object Lock on; nothing turns it off.
  if (!config.enabled && !bucket.versioning_enabled())
    return SendError(ctx, MakeError(409, "InvalidBucketState",
                                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"));
  st = buckets_.Update(ctx.tenant, ctx.bucket, [&](BucketRecord* r) {
    if (r->versioning != Versioning::kEnabled)
      return Status::FailedPrecondition("versioning was suspended meanwhile");
    r->object_lock = next;
    return Status::OK();
  });
  if (st.code() == Code::kFailedPrecondition || st.code() == Code::kConflict)
    return SendError(ctx, MakeError(409, "OperationAborted",
                                    "A conflicting conditional operation is currently in progress against this "
                                    "resource. Please try again."));
  if (!st.ok()) return SendError(ctx, ErrorFromStatus(st, "NoSuchBucket"));
  SendEmpty(ctx, 200, {{"Content-Length", "0"}});
}

void S3Handler::ObjectLockRequest(RequestContext& ctx, const BucketInfo& bucket, bool legal_hold) {
  const std::string& m = ctx.req.method;
  if (m != "GET" && m != "PUT")
    return SendError(ctx, MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource."));
  VersionSelector which;
  std::string name = ObjectName(ctx);
  auto info = VersionForSubresource(ctx, bucket, &which);
  if (!info) return;
  const char* action = legal_hold ? (m == "GET" ? "s3:GetObjectLegalHold" : "s3:PutObjectLegalHold")
                                  : (m == "GET" ? "s3:GetObjectRetention" : "s3:PutObjectRetention");
  S3Error e = Authorize(ctx, bucket, {action, AclScope::kObject, 0}, &*info);
  if (!e.ok()) return SendError(ctx, e);
  if (!bucket.record.object_lock.enabled) return SendError(ctx, MissingLockConfiguration());
  if (m == "GET") {
    if (legal_hold) return SendXml(ctx, 200, LegalHoldXml(info->lock.legal_hold));
    if (info->lock.mode == LockMode::kNone)
      return SendError(ctx, MakeError(404, "NoSuchObjectLockConfiguration",
                                      "The specified object does not have a ObjectLock configuration"));
    return SendXml(ctx, 200, RetentionXml(info->lock.mode, info->lock.retain_until_ns));
  }
  std::string body;
  Status st = ReadSmallBody(ctx, &body);
  if (!st.ok()) return SendError(ctx, ErrorFromStatus(st));
  if (legal_hold) {
    bool on = false;
    e = ParseLegalHold(body, &on);
    if (!e.ok()) return SendError(ctx, e);
    st = api_->SetLegalHold(name, VersionRef::Of(info->generation, info->uvid), on);
  } else {
    LockMode mode = LockMode::kNone;
    uint64_t until = 0;
    e = ParseRetention(body, &mode, &until);
    if (!e.ok()) return SendError(ctx, e);
    if (mode != LockMode::kNone && until <= NowNs())
      return SendError(ctx, MakeError(400, "InvalidArgument", "The retain until date must be in the future!"));
    st = api_->SetRetention(name, VersionRef::Of(info->generation, info->uvid), mode, until, BypassGovernance(ctx, bucket, &*info));
  }
  if (!st.ok()) return SendError(ctx, ErrorFromStatus(st, which.generation ? "NoSuchVersion" : "NoSuchKey"));
  HeaderList h{{"Content-Length", "0"}};
  if (which.generation || which.null_version)
    h.emplace_back("x-amz-version-id", S3VersionId(true, *info));
  SendEmpty(ctx, 200, h);
}

S3Error S3Handler::ApplyObjectLock(RequestContext& ctx, const BucketInfo& bucket, PutOptions* opts) {
  const uint64_t now = NowNs();
  ObjectLock lock;
  bool given = false;
  S3_RETURN_IF_ERROR(LockFromHeaders(ctx.req, now, &lock, &given));
  const ObjectLockConfig& config = bucket.record.object_lock;
  if (given && !config.enabled) return MissingLockConfiguration();
  if (!config.enabled) return S3Error::None();
  if (lock.mode != LockMode::kNone)
    S3_RETURN_IF_ERROR(Authorize(ctx, bucket, {"s3:PutObjectRetention", AclScope::kObject, 0}));
  if (lock.legal_hold) S3_RETURN_IF_ERROR(Authorize(ctx, bucket, {"s3:PutObjectLegalHold", AclScope::kObject, 0}));
  if (lock.mode == LockMode::kNone) {
    ObjectLock def = DefaultRetention(config, now);
    lock.mode = def.mode;
    lock.retain_until_ns = def.retain_until_ns;
  }
  opts->lock = lock;
  return S3Error::None();
}

bool S3Handler::BypassGovernance(RequestContext& ctx, const BucketInfo& bucket, const ObjectInfo* object) {
  const std::string* h = ctx.req.Header("x-amz-bypass-governance-retention");
  if (!h || strcasecmp(h->c_str(), "true") != 0) return false;
  // Without the permission the header is ignored: a GOVERNANCE lock then refuses as usual.
  return Authorize(ctx, bucket, {"s3:BypassGovernanceRetention", AclScope::kObject, 0}, object).ok();
}

}  // namespace ccow::s3
