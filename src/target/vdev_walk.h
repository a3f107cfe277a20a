// The resumable walk over one VDEV's chunks that the target's background jobs share (the
// healer, the scrubber): chunks in CHID key order through ChunkStore::ScanChunks, in
// bounded memory, with the last CHID finished kept in a cursor file in the VDEV's
// directory so that a restarted daemon continues where it stopped.
// Thread safety: the functions keep no state; one walk per cursor file at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/hash.h"
#include "core/status.h"
#include "store/chunk_store.h"

namespace ccow {

// A VDEV a background job walks.
struct LocalVdev {
  std::string id;
  std::string path;    // its directory: the cursor files live there
  ChunkStore* store;   // outlives the job
};

// What a cursor file holds (JSON): the epoch of the walk (the healer's FlexHash
// generation; the scrubber's pass start in wall-clock seconds) and the last CHID done
// (nullopt: none yet, or the walk finished).
struct WalkCursor {
  uint64_t epoch = 0;
  std::optional<HashId> last;
};

// A missing or unreadable file reads as {0, nullopt}: the walk starts over.
WalkCursor LoadWalkCursor(const std::string& file);
// Written atomically; a failure only means a restarted walk repeats some work.
void SaveWalkCursor(const std::string& file, const WalkCursor& cursor);

// Visits the chunks of vdev after `cursor->last` while fn returns true, saving *cursor to
// `file` every 64 chunks and at the end. Returns true when the walk reached the last
// chunk, false when fn stopped it. fn is called outside any store lock.
Result<bool> WalkChunks(const LocalVdev& vdev, const std::string& file, WalkCursor* cursor,
                        const std::function<bool(const HashId&)>& fn);

}  // namespace ccow
