// The version manifest (VM): the root of one object version's merkle tree. Its CHID
// names the version; it records everything needed to read the version without
// consulting current defaults.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/chunk_manifest.h"
#include "model/object_policy.h"

namespace ccow {

// Unique version id. Versions of one object are totally ordered by
// (generation, uvid); see DESIGN.md invariant 6.
struct Uvid {
  uint64_t timestamp_ns = 0;  // wall clock at the writer
  uint32_t segment_id = 0;    // which segment wrote it
  uint32_t sequence = 0;      // tie-breaker within a writer

  auto operator<=>(const Uvid&) const = default;
  std::string ToString() const;  // "1700000000123456789.0.7"
};

struct VersionManifest {
  static constexpr uint8_t kFormatVersion = 1;
  static constexpr uint32_t kFlagClone = 1;         // created by clone, not by a write
  static constexpr uint32_t kFlagDeleteMarker = 2;  // S3 delete marker: no payload

  std::string name;  // fully qualified: segment/tenant/bucket/object
  Nhid nhid;
  uint64_t generation = 0;
  Uvid uvid;
  uint64_t size = 0;
  std::string etag;  // S3 ETag without quotes (MD5 hex for simple puts)
  std::string content_type;
  std::map<std::string, std::string> user_metadata;  // encoded in key order
  ObjectPolicy policy;
  uint32_t flags = 0;
  std::string origin;  // for a clone: the full name it was cloned from
  std::vector<ChunkRef> root_refs;  // cover [0, size) contiguously

  std::string Encode() const;
  static Result<VersionManifest> Decode(std::string_view bytes);
};

}  // namespace ccow
