// One VDEV: a local chunk store plus the name index (version lists) of the objects it
// holds. Chunks are immutable and keyed by CHID; putting a CHID that exists writes
// nothing (inline dedup); every read verifies the hash before returning a byte.
//
// Durability is explicit: Put() makes a chunk visible, Sync() makes everything put so
// far durable (one fdatasync plus one synced index write for any number of chunks and
// concurrent callers: group commit). Version list writes are durable on return.
//
// Space: RemoveChunk drops a chunk from the index; CompactSegments gives the bytes back
// (rewriting the live chunks of mostly-dead payload files and deleting those files), and
// CompactIndex drops the index's tombstones. Both may run while every other call runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/hash.h"
#include "core/rate_limiter.h"
#include "core/status.h"
#include "store/medium.h"

namespace ccow {

// Where chunk payloads live. Chosen when a store is created and recorded in it.
enum class PayloadLayout : uint8_t {
  kSegments = 1,  // append-only segment files; RocksDB holds only the index (default)
  kBlobDb = 2,    // RocksDB integrated blob files hold payloads
};
const char* PayloadLayoutName(PayloadLayout layout);
Result<PayloadLayout> ParsePayloadLayout(const std::string& name);

struct StoreOptions {
  std::string path;
  PayloadLayout layout = PayloadLayout::kSegments;  // for a new store only
  uint64_t segment_size = 1ull << 30;
  std::shared_ptr<Medium> medium;  // null: the POSIX file system
  bool create_if_missing = true;
};

struct StoreCapacity {
  uint64_t total_bytes = 0;    // of the file system holding the store
  uint64_t free_bytes = 0;     // available to the store
  uint64_t chunk_count = 0;    // distinct chunks stored
  uint64_t payload_bytes = 0;  // their logical size
  // Payload files: segment files (segments layout; small chunks live in the index and are
  // not counted) or RocksDB blob files (blobdb). Bytes they take on disk, and the payload
  // bytes of stored chunks in them. The rest is dead space (removed chunks; in segment
  // files also record headers and padding) that CompactSegments gives back. In blobdb,
  // removed chunks count as live until RocksDB compacts their keys away.
  uint64_t payload_file_bytes = 0;
  uint64_t payload_file_live_bytes = 0;
  double utilization() const {
    return total_bytes == 0 ? 0.0 : 1.0 - static_cast<double>(free_bytes) / total_bytes;
  }
  double payload_file_dead_fraction() const {
    if (payload_file_bytes == 0 || payload_file_live_bytes >= payload_file_bytes) return 0.0;
    return 1.0 - static_cast<double>(payload_file_live_bytes) / payload_file_bytes;
  }
};

struct CompactionOptions {
  // A sealed segment is compacted when at least this fraction of its file is dead.
  double min_dead_fraction = 0.25;
  // Stop after rewriting this many live payload bytes in one call (0: no limit); a
  // segment left half-moved is finished by a later call.
  uint64_t max_bytes = 0;
  // Rewrite at most this many live payload bytes per second (0: as fast as the disk;
  // segments layout only). The garbage collector's --gc-rate: compaction reads and
  // writes every live byte of a segment, and unpaced it takes the disk from the puts.
  uint64_t max_bytes_per_second = 0;
  // Stops the rewrite between two records once requested (a daemon shutting down, which
  // would otherwise wait out a long paced pass): the copies made so far are committed,
  // stopped_early is set, the index is not compacted, and a later call finishes.
  std::stop_token stop;
  // What the rate is paced by (null: the steady clock); tests give a fake clock.
  RateLimiter::Time* pace_time = nullptr;
  // Also run CompactIndex() at the end.
  bool compact_index = false;
  // The active segment too, when it holds at least 1 MiB and is that dead: appends move
  // on to a new segment first (the garbage collector: a store written once and mostly
  // deleted has all its garbage in the active segment, which may be 1 GiB).
  bool seal_active = false;
};

struct CompactionResult {
  uint64_t segments_examined = 0;   // sealed segment files considered
  uint64_t segments_compacted = 0;  // segments whose live chunks were (re)written elsewhere
  uint64_t segments_deleted = 0;    // files deleted (fully moved, or holding nothing live)
  uint64_t bytes_rewritten = 0;     // live payload bytes copied into the active segment
  uint64_t bytes_reclaimed = 0;     // size of the deleted files (blobdb: blob files shrank by)
  bool stopped_early = false;       // max_bytes reached, or stop requested, with candidates left
};

struct StoreStats {
  uint64_t chunks_written = 0;      // new chunks stored since open
  uint64_t payload_bytes_written = 0;
  uint64_t chunks_deduplicated = 0;  // puts of a CHID already present
  uint64_t verify_failures = 0;      // reads whose bytes did not match their CHID
  uint64_t syncs = 0;
};

// Where a chunk's payload bytes are stored (operators' offline tools: `ccow vdev chunk`).
struct StoredChunkPlace {
  bool in_index = false;  // small chunks (segments layout) live inside the RocksDB index
  std::string file;       // otherwise: the segment file
  uint64_t offset = 0;    // of the payload in it (after the record header)
  uint64_t length = 0;    // payload bytes
};

class ChunkStore {
 public:
  static Result<std::unique_ptr<ChunkStore>> Open(const StoreOptions& options);
  virtual ~ChunkStore() = default;

  // Stores a chunk unless its CHID is present. The caller computed chid from bytes; the
  // store trusts that here and verifies on every read. *stored_new tells which happened.
  // Durable at the next Sync, or earlier: small chunks wait in memory, and once 32 MiB of
  // them wait a Put syncs them itself, so that memory stays bounded without syncs.
  virtual Status Put(const HashId& chid, std::string_view bytes, bool* stored_new) = 0;
  // Makes every Put that returned before this call durable.
  virtual Status Sync() = 0;
  // Whether a Put that returned is not durable yet (Sync would write): a VDEV that answers
  // "this chunk is stored" as durable syncs first (the chunk may be another write's, not
  // synced yet), and skips that when nothing waits.
  virtual bool HasUnsynced() = 0;
  // Reads and verifies a chunk. kNotFound if absent; kCorruption naming the CHID when
  // the stored bytes are missing, truncated or do not hash to it.
  virtual Status Get(const HashId& chid, std::string* out) = 0;
  virtual Result<bool> Contains(const HashId& chid) = 0;

  // Visits the durably indexed chunks in CHID key order, starting after `start_after`
  // (nullopt: from the first), while fn returns true. Healing and rebalancing walk a VDEV
  // with it and resume from the last CHID they finished.
  virtual Status ScanChunks(const std::optional<HashId>& start_after,
                            const std::function<bool(const HashId&)>& fn) = 0;
  // The replication count recorded for a chunk: the largest R any put of it asked for
  // (0: none recorded, the cluster default applies). The healer keeps that many replicas,
  // so a chunk shared by objects of R=2 and R=4 buckets keeps 4. Recording never lowers
  // the count and is durable with the next Sync() (a put's own group commit); only
  // SetReplicationCounts lowers it.
  virtual Result<uint32_t> ReplicationCount(const HashId& chid) = 0;
  // Returns whether the recorded count rose (the caller then syncs before answering).
  virtual Result<bool> RecordReplicationCount(const HashId& chid, uint32_t replication_count) = 0;
  // Sets the recorded counts to exactly the given values, lowering as well as raising: the
  // garbage collector's sweep lowers a chunk's R to what the versions still referencing it
  // need (an erasure-coded fragment's keeper records 1). 0 removes the record (the cluster
  // default applies). Puts and raises made before the call are synced first; chunks not
  // stored get no record, and a raise recorded while the call runs (a put racing it asked
  // for that count) is kept. One synced index write for the whole batch, durable on
  // return.
  virtual Status SetReplicationCounts(const std::vector<std::pair<HashId, uint32_t>>& counts) = 0;
  Status SetReplicationCount(const HashId& chid, uint32_t replication_count) {
    return SetReplicationCounts({{chid, replication_count}});
  }
  // Removes a chunk from this VDEV, durably (rebalancing, once the chunk's new row holds
  // its replicas; garbage collection). Its payload bytes stay in their segment file until
  // CompactSegments rewrites or deletes that file.
  virtual Status RemoveChunk(const HashId& chid) = 0;

  // Removes many chunks in one synced index write (the garbage collector's sweep);
  // absent ones are skipped. Adds the logical bytes removed to *bytes_removed.
  virtual Status RemoveChunks(const std::vector<HashId>& chids, uint64_t* bytes_removed) = 0;
  // Gives back the space of removed chunks. Segments layout: every sealed segment file
  // whose dead fraction is at least options.min_dead_fraction has its live chunks appended
  // again (verified, through the group commit), the index repointed at the copies in the
  // same synced write (only where it still points at the old place: a chunk removed
  // meanwhile stays removed), and then the file is deleted. Files with nothing live are
  // deleted outright. Blobdb layout: a full RocksDB compaction with forced blob garbage
  // collection (the options other than compact_index do not apply). One call at a time;
  // every other call keeps working meanwhile. kNoSpace (naming the segment) when the
  // disk fills: that segment is kept whole and the store stays writable.
  virtual Result<CompactionResult> CompactSegments(const CompactionOptions& options) = 0;
  // Compacts the index (the chunks and attrs column families), dropping the tombstones
  // that removals leave.
  virtual Status CompactIndex() = 0;

  // Name index. Values are encoded version lists, keys fully qualified object names.
  virtual Result<std::optional<std::string>> GetVersionList(std::string_view name) = 0;
  // Writes (or with nullopt removes) a version list durably.
  virtual Status PutVersionList(std::string_view name, std::optional<std::string_view> value) = 0;
  // Visits names >= prefix+start_after... in order while fn returns true; names equal
  // to start_after are skipped.
  virtual Status ScanVersionLists(
      std::string_view prefix, std::string_view start_after,
      const std::function<bool(std::string_view name, std::string_view value)>& fn) = 0;

  // Small records a VDEV's owner keeps with its data (the garbage collector's epochs),
  // apart from the store's own. PutMeta is durable on return.
  virtual Result<std::optional<std::string>> GetMeta(std::string_view key) = 0;
  virtual Status PutMeta(std::string_view key, std::string_view value) = 0;
  // Where a durably indexed chunk's bytes are. kNotFound if absent; kUnsupported for the
  // blobdb layout (RocksDB places blob bytes itself).
  virtual Result<StoredChunkPlace> Locate(const HashId& chid) {
    return Status::Unsupported("this chunk store does not report where chunks live");
  }

  virtual StoreCapacity Capacity() = 0;
  virtual StoreStats Stats() = 0;
  virtual PayloadLayout layout() const = 0;
};

}  // namespace ccow
