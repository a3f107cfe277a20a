// What a bucket's registry record asks of every write into it: the object policy new
// versions are cut, hashed and replicated with (chunk size, chunking, hash, the bucket's
// or tenant's replication count), and the bucket quota.
//
// Quota usage is the sum of the sizes of the bucket's active versions, counted by a scan
// that each gateway caches for up to one second: puts through several gateways within
// that second can overshoot a quota by what they carry (as Ceph RGW's quota, which also
// syncs bucket statistics periodically). A write refused for quota stores nothing
// visible: the check runs before the body is read when its length is known, and again
// before the version commits.
#include <algorithm>
#include <chrono>

#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_util.h"

namespace ccow::s3 {

namespace {
constexpr uint64_t kUsageCacheNs = 1'000'000'000;
}

ObjectPolicy S3Handler::PolicyFor(const BucketInfo& bucket) const {
  ObjectPolicy p = api_->options().default_policy;
  p.chunk_size = bucket.record.chunk_size;
  p.chunking = bucket.record.chunking;
  p.hash = bucket.record.hash;
  if (uint32_t r = bucket.replication_count(); r > 0) p.replication_count = static_cast<uint8_t>(std::min<uint32_t>(r, 255));
  return p;
}

std::string S3Handler::StorageClassOf(const BucketInfo& bucket, StorageClass c) const {
  if (c != StorageClass::kDefault) return StorageClassName(c);
  const bool has_code = !registry_->current()->ErasureCodeOf(buckets_.BucketPath(bucket.tenant, bucket.name)).empty();
  return ReportedStorageClass(c, has_code);
}

Result<uint64_t> S3Handler::BucketUsage(const BucketInfo& bucket) {
  const std::string base = buckets_.BucketPath(bucket.tenant, bucket.name) + "/";
  const uint64_t now = NowNs();
  {
    std::lock_guard lock(usage_mu_);
    auto it = usage_.find(base);
    if (it != usage_.end() && now - it->second.second < kUsageCacheNs) return it->second.first;
  }
  uint64_t bytes = 0;
  ListOptions opts;
  opts.prefix = base;
  opts.include_delete_markers = true;
  opts.with_version_lists = true;
  for (;;) {
    CCOW_ASSIGN_OR_RETURN(ListResult page, api_->List(opts));
    for (const auto& vl : page.version_lists)
      for (const auto& v : vl.versions()) bytes += v.size;
    if (!page.truncated) break;
    opts.start_after = page.next_start_after;
  }
  std::lock_guard lock(usage_mu_);
  usage_[base] = {bytes, now};
  return bytes;
}

Status S3Handler::CheckQuota(const BucketInfo& bucket, uint64_t adding) {
  const uint64_t quota = bucket.record.quota_bytes;
  if (quota == 0) return Status::OK();
  CCOW_ASSIGN_OR_RETURN(uint64_t used, BucketUsage(bucket));
  if (used + adding <= quota) return Status::OK();
  return Status::NoSpace("QuotaExceeded: bucket " + bucket.name + " holds " + std::to_string(used) +
                         " bytes of its " + std::to_string(quota) + "-byte quota; this write of " +
                         std::to_string(adding) + " bytes would exceed it");
}

Status S3Handler::ApplyBucketPolicy(const BucketInfo& bucket, uint64_t declared_length, PutOptions* opts) {
  opts->policy = PolicyFor(bucket);
  if (bucket.record.quota_bytes == 0) return Status::OK();
  CCOW_RETURN_IF_ERROR(CheckQuota(bucket, declared_length));
  // Again at the end, when the size is certain (chunked bodies carry no length up front).
  auto before = std::move(opts->before_commit);
  opts->before_commit = [this, bucket, before](VersionManifest& vm) -> Status {
    if (before) CCOW_RETURN_IF_ERROR(before(vm));
    return CheckQuota(bucket, vm.size);
  };
  return Status::OK();
}

void S3Handler::ForgetUsage(const BucketInfo& bucket) {
  std::lock_guard lock(usage_mu_);
  usage_.erase(buckets_.BucketPath(bucket.tenant, bucket.name) + "/");
}

}  // namespace ccow::s3
