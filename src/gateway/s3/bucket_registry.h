// S3 buckets and their settings, read from and written to the registry of record
// (cluster/registry.h): S3 bucket B of tenant T is the registry's SEGMENT/T/B, so a bucket
// made with `ccow bucket create` is an S3 bucket and back, and every gateway sees the same
// buckets with the same settings. Reads come from the registry's in-memory snapshot (no
// I/O per request); writes are registry commands.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/registry.h"
#include "core/status.h"

namespace ccow::s3 {

// A bucket as the S3 operations see it: its name and the registry's record of it.
struct BucketInfo {
  std::string tenant;
  std::string name;
  BucketRecord record;
  uint32_t tenant_replication_count = 0;  // the tenant's R (0: the cluster's)

  // The R new versions are put with: the bucket's, else the tenant's, else 0 (the
  // gateway's default, the cluster's).
  uint32_t replication_count() const {
    return record.replication_count ? record.replication_count : tenant_replication_count;
  }
  bool versioned() const { return record.versioning != Versioning::kUnversioned; }
  bool versioning_enabled() const { return record.versioning == Versioning::kEnabled; }
};

// S3 bucket naming rules: 3..63 chars of a-z 0-9 . -, starting and ending with a letter
// or digit, not an IP address.
Status ValidateS3BucketName(const std::string& name);

class BucketRegistry {
 public:
  BucketRegistry(Registry& registry, std::string segment) : registry_(registry), segment_(std::move(segment)) {}

  const std::string& segment() const { return segment_; }
  // "SEGMENT/TENANT/BUCKET": the bucket path under which its objects are named.
  std::string BucketPath(const std::string& tenant, const std::string& bucket) const {
    return segment_ + "/" + tenant + "/" + bucket;
  }

  // kNotFound when the tenant has no such bucket.
  Result<BucketInfo> Get(const std::string& tenant, const std::string& bucket);
  // The bucket an S3 request names, asked by `requester` (a tenant; "" = anonymous): the
  // requester's own bucket of that name, else the one tenant of the segment that holds
  // it (S3 bucket names are global per segment: CreateBucket refuses a held name). A name
  // held by several tenants (made with per-tenant names before format 4) resolves only
  // for its holders. kNotFound otherwise.
  Result<BucketInfo> Resolve(const std::string& requester, const std::string& bucket);
  // The tenants of the segment holding a bucket of that name, in name order.
  std::vector<std::string> Holders(const std::string& bucket);
  // The tenant's record (replication count, retention), if it has one.
  std::optional<TenantRecord> Tenant(const std::string& tenant);
  // kAlreadyExists when the tenant has it already, or any tenant of the segment holds the
  // name (also when another gateway made it first: exactly one CreateBucket of a name
  // wins, decided in the registry's log order).
  Status Create(const std::string& tenant, const std::string& bucket, BucketRecord record);
  // Read-modify-write of one bucket's settings: mutate runs on the current record and the
  // result is committed if nobody changed the bucket meanwhile; otherwise it runs again on
  // the newer record (a few times, then kConflict).
  Status Update(const std::string& tenant, const std::string& bucket,
                const std::function<Status(BucketRecord*)>& mutate);
  // Removes the record; the caller checks that the bucket is empty first.
  Status Delete(const std::string& tenant, const std::string& bucket);
  std::vector<BucketInfo> List(const std::string& tenant);
  // Every tenant of this gateway's segment with its buckets (lifecycle passes).
  std::vector<std::string> Tenants();

 private:
  Registry& registry_;
  std::string segment_;
};

}  // namespace ccow::s3
