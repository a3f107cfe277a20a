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

// An object checksum a client asked for and the gateway verified (S3's x-amz-checksum-*),
// kept so that a read can return it. composite: a checksum of the parts' checksums (an
// S3 multipart upload's), over `parts` parts; otherwise of the whole object's bytes.
struct ObjectChecksum {
  enum class Algo : uint8_t { kNone = 0, kCrc32 = 1, kCrc32c = 2, kCrc64Nvme = 3, kSha1 = 4, kSha256 = 5 };
  Algo algo = Algo::kNone;
  bool composite = false;
  uint32_t parts = 0;   // composite only; 0 otherwise
  std::string digest;   // raw bytes: 4 (CRC32, CRC32C), 8 (CRC64NVME), 20 (SHA1), 32 (SHA256)

  bool empty() const { return algo == Algo::kNone; }
  static size_t DigestSize(Algo algo);  // 0 for kNone or an unknown value
  friend bool operator==(const ObjectChecksum&, const ObjectChecksum&) = default;
};

// How a version's bytes are encrypted (model/object_cipher.h), or empty: its payload
// chunks and inline payload are sealed with a data key kept here wrapped by a
// key-encryption key the reader must hold.
struct ObjectEncryption {
  enum class KeySource : uint8_t {
    kNone = 0,
    kMasterKey = 1,    // S3 SSE-S3: a master key of the segment (the registry's key ring)
    kCustomerKey = 2,  // S3 SSE-C: a key the client gives with every request, never stored
  };
  KeySource source = KeySource::kNone;
  bool convergent = false;     // the data key is the tenant's convergent key (kMasterKey only)
  uint32_t master_key_id = 0;  // kMasterKey: which master key wraps the data key; else 0
  std::string wrapped_key;     // WrapDataKey(key-encryption key, data key)

  bool empty() const { return source == KeySource::kNone; }
  // Extra stored bytes per sealed chunk or inline payload (0 when not encrypted).
  size_t overhead() const;
  friend bool operator==(const ObjectEncryption&, const ObjectEncryption&) = default;
};

struct VersionManifest {
  // Version 1 is every manifest without extensions (their bytes, and so their CHIDs, are
  // what they always were); version 2 adds the extension fields after the root refs.
  static constexpr uint8_t kFormatVersion = 1;
  static constexpr uint8_t kFormatVersionExtended = 2;
  // Objects of at most this many bytes travel inside their manifest (inline_payload):
  // no payload chunk, so a put stores one chunk fewer (on a cluster one durable write
  // fewer per replica, and no negotiation for it) and a get reads one fewer. One page:
  // large enough for the small files and metadata objects that dominate small-object
  // workloads, small enough that a HEAD, which reads the manifest, stays cheap. What it
  // gives up: two equal small objects are not deduplicated (4 KiB each at most).
  static constexpr uint64_t kInlinePayloadMax = 4096;
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
  std::vector<ChunkRef> root_refs;  // cover [0, size) contiguously, or are empty when inline
  // The object's bytes when it is stored inline (see kInlinePayloadMax): then root_refs
  // is empty and inline_payload.size() == size (+ encryption.overhead(): sealed). Empty
  // otherwise.
  std::string inline_payload;
  ObjectChecksum checksum;  // empty unless the writer verified one
  ObjectEncryption encryption;  // empty unless the version's bytes are sealed
  // The ed25519 signature (kSignatureBytes) of the site that wrote the version, over the
  // manifest's encoding without it (model/version_signature.h), so that a linked site
  // can tell a version its peers wrote from a forged or altered one; empty when the
  // segment has no signing key (never linked).
  static constexpr size_t kSignatureBytes = 64;
  std::string signature;

  bool is_inline() const { return !inline_payload.empty(); }

  std::string Encode() const;
  static Result<VersionManifest> Decode(std::string_view bytes);
};

}  // namespace ccow
