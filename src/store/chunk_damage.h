// Offline fault injection on the payload bytes of one chunk of a stopped VDEV (operators'
// failure drills, `ccow vdev chunk damage`, and the scrub tests): what bit rot, a torn
// file and a lost extent do to a disk, done on purpose so that scrub and read repair can
// be shown to find and mend it. Works on segment files only: small chunks live inside
// the RocksDB index, whose own checksums guard them.
// Never run it on a VDEV a running target holds (ChunkStore::Open refuses: kBusy).
#pragma once

#include <string>

#include "core/status.h"
#include "store/chunk_store.h"

namespace ccow {

enum class DamageMode {
  kFlip,      // inverts one bit in the middle of the payload
  kTruncate,  // cuts the segment file in the middle of the payload: every record after it
              // in that file loses its bytes too
  kPunch,     // deallocates the payload's bytes (a hole: they read back as zeros), a lost extent
};
Result<DamageMode> ParseDamageMode(const std::string& name);  // flip, truncate, punch

// Damages the bytes at `placement` (ChunkStore::Locate). Returns what was done, for the
// operator. kInvalidArgument for a chunk held in the index.
Result<std::string> DamageStoredBytes(const StoredChunkPlace& placement, DamageMode mode);

}  // namespace ccow
