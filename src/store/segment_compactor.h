// Internal to src/store: segment compaction for the segments payload layout (the engine
// behind ChunkStore::CompactSegments; see chunk_store.h for the contract and
// docs/FORMAT.md §4 for how it changes the files).
//
// Why it is safe while the store is in use:
// - Only sealed segments are compacted (ids below the active one, read after every put so
//   far was committed). Appends go to the active segment only, so a sealed segment never
//   gains a live record: its liveness only falls, and a record found dead stays dead.
// - Copies are appended to the active segment and made durable by the store's group
//   commit, whose synced index write also repoints the index at them. The repointing is a
//   compare-and-set evaluated inside that commit, when no RemoveChunk can run: a chunk
//   removed (or removed and put again) since it was copied keeps its new state.
// - A file is deleted only after a synced write both moved its last live record away and
//   dropped its `seg/` length record; a crash in between leaves a file with no record,
//   which the next open deletes. Reads racing the deletion re-read the index.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "store/chunk_store.h"
#include "store/segment_log.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace ccow {

// What compaction needs from the chunk store.
struct CompactionHost {
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* chunks = nullptr;
  SegmentLog* log = nullptr;
  // Commits every put so far and returns the segment that was active before: every lower
  // one is sealed and fully indexed.
  std::function<Result<uint32_t>()> seal;
  // Seals the active segment too (SegmentLog::Roll), commits, and returns the new active.
  std::function<Result<uint32_t>()> roll;
  // The store's group commit: makes all appends durable, then runs `extra` to add to the
  // synced index write. `extra` runs while no RemoveChunk can change the index.
  std::function<Status(const std::function<void(rocksdb::WriteBatch*)>& extra)> commit;
  // Counts a chunk whose stored bytes did not match its CHID (StoreStats).
  std::function<void()> count_verify_failure;
};

Result<CompactionResult> CompactSegmentFiles(const CompactionHost& host,
                                             const CompactionOptions& options);

// Blobdb layout: a forced compaction of the chunks column family with blob garbage
// collection of every blob file.
Result<CompactionResult> CompactBlobFiles(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks);

}  // namespace ccow
