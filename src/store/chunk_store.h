// One VDEV: a local chunk store plus the name index (version lists) of the objects it
// holds. Chunks are immutable and keyed by CHID; putting a CHID that exists writes
// nothing (inline dedup); every read verifies the hash before returning a byte.
//
// Durability is explicit: Put() makes a chunk visible, Sync() makes everything put so
// far durable (one fdatasync plus one synced index write for any number of chunks and
// concurrent callers: group commit). Version list writes are durable on return.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
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
  double utilization() const {
    return total_bytes == 0 ? 0.0 : 1.0 - static_cast<double>(free_bytes) / total_bytes;
  }
};

struct StoreStats {
  uint64_t chunks_written = 0;      // new chunks stored since open
  uint64_t payload_bytes_written = 0;
  uint64_t chunks_deduplicated = 0;  // puts of a CHID already present
  uint64_t verify_failures = 0;      // reads whose bytes did not match their CHID
  uint64_t syncs = 0;
};

class ChunkStore {
 public:
  static Result<std::unique_ptr<ChunkStore>> Open(const StoreOptions& options);
  virtual ~ChunkStore() = default;

  // Stores a chunk unless its CHID is present. The caller computed chid from bytes; the
  // store trusts that here and verifies on every read. *stored_new tells which happened.
  virtual Status Put(const HashId& chid, std::string_view bytes, bool* stored_new) = 0;
  // Makes every Put that returned before this call durable.
  virtual Status Sync() = 0;
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
  // the count and is durable with the next Sync() (a put's own group commit).
  virtual Result<uint32_t> ReplicationCount(const HashId& chid) = 0;
  // Returns whether the recorded count rose (the caller then syncs before answering).
  virtual Result<bool> RecordReplicationCount(const HashId& chid, uint32_t replication_count) = 0;
  // Removes a chunk from this VDEV, durably (rebalancing, once the chunk's new row holds
  // its replicas). Its payload bytes in a segment are reclaimed with the segment.
  virtual Status RemoveChunk(const HashId& chid) = 0;

  // Removes many chunks in one synced index write (the garbage collector's sweep);
  // absent ones are skipped. Adds the logical bytes removed to *bytes_removed.
  virtual Status RemoveChunks(const std::vector<HashId>& chids, uint64_t* bytes_removed) = 0;

  // Name index. Values are encoded version lists, keys fully qualified object names.
  virtual Result<std::optional<std::string>> GetVersionList(std::string_view name) = 0;
  // Writes (or with nullopt removes) a version list durably.
  virtual Status PutVersionList(std::string_view name, std::optional<std::string_view> value) = 0;
  // Visits names >= prefix+start_after... in order while fn returns true; names equal
  // to start_after are skipped.
  virtual Status ScanVersionLists(
      std::string_view prefix, std::string_view start_after,
      const std::function<bool(std::string_view name, std::string_view value)>& fn) = 0;

  virtual StoreCapacity Capacity() = 0;
  virtual StoreStats Stats() = 0;
  virtual PayloadLayout layout() const = 0;
};

}  // namespace ccow
