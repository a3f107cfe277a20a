// How an object version is cut into chunks and hashed. Recorded in every version
// manifest so that readers and background jobs never depend on the current defaults.
#pragma once

#include <cstdint>
#include <string>

#include "core/hash.h"
#include "core/status.h"

namespace ccow {

enum class ChunkingMode : uint8_t {
  kFixed = 0,  // cut every chunk_size bytes
  kCdc = 1,    // content-defined (FastCDC gear hash), chunk_size is the average
};

const char* ChunkingModeName(ChunkingMode mode);
Result<ChunkingMode> ParseChunkingMode(const std::string& name);

struct ObjectPolicy {
  HashAlgo hash = HashAlgo::kSha256;
  ChunkingMode chunking = ChunkingMode::kFixed;
  uint32_t chunk_size = 1 << 20;          // fixed size, or CDC average
  uint32_t single_chunk_max = 256 << 10;  // objects up to this size are one chunk
  uint32_t manifest_fanout = 1024;        // references per chunk manifest
  // Replicas of every chunk of the version. 0 (only before a put resolves it): the
  // store's default, a cluster's R or 1 on one node. A version manifest records the
  // resolved count.
  uint8_t replication_count = 0;

  // Bounds that keep memory and manifests sane: chunk 4 KiB..16 MiB, fan-out 2..65536.
  Status Validate() const;
};

}  // namespace ccow
