// Chunk references and chunk manifests: the inner nodes of a version's merkle tree.
//
// A reference names a chunk by CHID and says which byte range of the object it covers.
// Offsets are absolute object offsets at every level, so a range read descends only
// into the references that overlap it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/object_name.h"

namespace ccow {

enum class ChunkKind : uint8_t {
  kPayload = 0,        // raw object bytes
  kKeyValue = 1,       // sorted key/value records (model/kv_chunk.h)
  kChunkManifest = 2,  // a ChunkManifest: more references
};

struct ChunkRef {
  uint64_t offset = 0;  // first object byte covered
  uint64_t length = 0;  // bytes covered (for a manifest: all bytes below it)
  ChunkKind kind = ChunkKind::kPayload;
  Chid chid;

  friend bool operator==(const ChunkRef&, const ChunkRef&) = default;
};

void EncodeChunkRef(const ChunkRef& ref, class Encoder* enc);
ChunkRef DecodeChunkRef(class Decoder* dec);
// References must be contiguous, non-empty and in offset order starting at `base`.
Status ValidateRefs(const std::vector<ChunkRef>& refs, uint64_t base, const std::string& what);

struct ChunkManifest {
  static constexpr uint8_t kFormatVersion = 1;
  std::vector<ChunkRef> refs;

  std::string Encode() const;
  static Result<ChunkManifest> Decode(std::string_view bytes);
};

}  // namespace ccow
