// S3 buckets and their settings (versioning, tags, CORS, lifecycle), kept as small JSON
// objects in the store itself: SEGMENT/TENANT/.buckets/BUCKET. Storing them through the
// object API makes them durable, versioned and, later, replicated like any object; the
// Raft-managed namespace registry (issue 5) takes them over. Reads are served from a
// cache that this process keeps coherent, as it is the only writer.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "client/object_api.h"
#include "core/status.h"

namespace ccow::s3 {

struct BucketInfo {
  std::string tenant;
  std::string name;
  uint64_t created_ns = 0;
  std::string location;    // LocationConstraint given at creation ("" = us-east-1)
  std::string versioning;  // "" (never enabled), "Enabled" or "Suspended"
  std::vector<std::pair<std::string, std::string>> tags;
  std::string cors_xml;       // as put (validated), "" when none
  std::string lifecycle_xml;  // as put (validated), "" when none

  std::string ToJson() const;
  static Result<BucketInfo> FromJson(const std::string& json);
};

// S3 bucket naming rules: 3..63 chars of a-z 0-9 . -, starting and ending with a letter
// or digit, not an IP address.
Status ValidateS3BucketName(const std::string& name);

class BucketRegistry {
 public:
  BucketRegistry(ObjectApi& api, std::string segment) : api_(api), segment_(std::move(segment)) {}

  const std::string& segment() const { return segment_; }
  // "SEGMENT/TENANT/BUCKET": the bucket path under which its objects are named.
  std::string BucketPath(const std::string& tenant, const std::string& bucket) const {
    return segment_ + "/" + tenant + "/" + bucket;
  }

  Result<BucketInfo> Get(const std::string& tenant, const std::string& bucket);
  // kAlreadyExists when the tenant has it already.
  Status Create(const BucketInfo& info);
  Status Update(const BucketInfo& info);
  // Removes the record; the caller checks that the bucket is empty first.
  Status Delete(const std::string& tenant, const std::string& bucket);
  Result<std::vector<BucketInfo>> List(const std::string& tenant);

 private:
  std::string RecordName(const std::string& tenant, const std::string& bucket) const {
    return segment_ + "/" + tenant + "/.buckets/" + bucket;
  }
  Status Store(const BucketInfo& info);

  ObjectApi& api_;
  std::string segment_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, BucketInfo> cache_;
};

}  // namespace ccow::s3
