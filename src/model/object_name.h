// Fully qualified object names: segment/tenant/bucket/object ("Hawaii/Cola/bk1/a/b.jpg").
// The NHID (name hash id) is the hash of this full name and places its version list.
#pragma once

#include <string>
#include <string_view>

#include "core/hash.h"
#include "core/status.h"

namespace ccow {

using Chid = HashId;  // content hash id of a chunk
using Nhid = HashId;  // name hash id of an object

struct ObjectName {
  std::string segment, tenant, bucket, object;

  // Validates: three non-empty path components without '/', then an object key of
  // 1..1024 bytes without NUL. Segment, tenant and bucket use [A-Za-z0-9._-].
  static Result<ObjectName> Parse(std::string_view full);
  std::string BucketPath() const { return segment + "/" + tenant + "/" + bucket; }
  std::string Full() const { return BucketPath() + "/" + object; }
  Nhid ComputeNhid(HashAlgo algo) const { return HashBytes(algo, Full()); }
};

// Validates a bucket path "segment/tenant/bucket" (used for listings).
Status ValidateBucketPath(std::string_view path);

// A bucket's system keys begin with byte 0xFF, as FoundationDB's system keyspace: objects
// ccow keeps inside a bucket for itself (a SnapView's record, client/snapview.h) so that
// they travel with it (ISGW links, verify) and are collected, repaired and erasure coded as
// any object. No S3 key is one (0xFF never occurs in UTF-8, and the S3 gateway refuses
// keys that are not UTF-8); they sort after every other key; listings leave them out.
inline constexpr char kSystemKeyPrefix = '\xff';
inline bool IsSystemKey(std::string_view key) { return !key.empty() && key.front() == kSystemKeyPrefix; }

}  // namespace ccow
