// The garbage collector of one node's store (issue 11; docs/ARCHITECTURE.md "Garbage
// collection"): a pass gives back what no version references any more.
//
//  1. Pin window: from here on every chunk put (new or deduplicated) or touched (clone,
//     compose) is pinned, and the sweep never frees a pinned chunk.
//  2. Drain: waits until every write that began before the window has ended, so that what
//     it referenced is already in a version list when the scan reads it.
//  3. Expire and mark: walks every version list in name order, a page at a time; drops
//     quarantined versions past their retention (ObjectApi::RetentionOf: the bucket's,
//     else the tenant's, else the node's), then marks the version manifest and the whole manifest tree of every
//     remaining version: active, quarantined and snapshotted, each chunk with the
//     replication count of the version (its policy's, else the backend's default): a
//     cluster's sweep lowers the R its holders record to the largest marked. Marks live
//     in a scratch RocksDB (memory stays bounded whatever the number of chunks); a subtree
//     already marked is walked again only for a version of a higher R (clones share them).
//  4. Sweep: every durable chunk neither marked nor pinned is removed, in batches.
//     A manifest that cannot be read leaves its subtree unknown: the pass then frees
//     nothing and says which manifest, rather than guess.
//  5. Compaction: segment files that are dead enough (the active one included) have their
//     live records rewritten and are deleted, and the index drops its tombstones
//     (ChunkStore::CompactSegments), so the freed bytes go back to the file system.
//
// Why a deduplicated put can never end referencing a freed chunk: a version V committed
// after the scan read its name belongs to a write that began after the window opened
// (earlier writes were drained first); every chunk of V was put or touched by that write,
// hence pinned, and a pin is taken before the store is asked, under the lock the sweep
// holds while it checks pins and removes. Either the pin came first (the chunk stays) or
// the removal did (the put finds it absent and stores it again; a touch fails, and so
// does the clone). A version committed before the scan read its name is marked.
//
// Thread safety: RunPass is called by one thread at a time (the GC service's); progress()
// from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <unordered_set>
#include <vector>

#include "client/object_api.h"
#include "client/stripe_placement.h"
#include "core/status.h"
#include "model/chunk_manifest.h"

namespace ccow {

struct CollectorOptions {
  // The marks of a pass (deleted and recreated per pass). Empty: in memory (simulations
  // and small stores; about 100 bytes per referenced chunk).
  std::string scratch_dir;
  uint64_t drain_timeout_ns = 600'000'000'000;
  size_t page = 512;          // version lists per scan page
  std::function<uint64_t()> clock;  // wall-clock ns; empty: the system clock
  bool compact = true;
  // Called as a pass enters each phase ("fence", "mark", "sweep") and after each page of
  // version lists marked ("mark-page"): the simulation runs writes, crashes and restarts
  // there, in the middle of a pass.
  std::function<void(const std::string& phase)> on_phase;
  // The compaction that ends a pass; its max_bytes_per_second is the node's --gc-rate
  // (0: unlimited). Its stop is the collector's own (Stop()).
  CompactionOptions compaction = [] {
    CompactionOptions c;
    c.seal_active = true;
    c.compact_index = true;
    return c;
  }();
};

struct GcPassResult {
  uint64_t lists_scanned = 0;
  uint64_t versions_expired = 0;
  uint64_t lists_removed = 0;   // became empty and were dropped
  uint64_t chunks_marked = 0;
  uint64_t chunks_pinned = 0;   // kept only because a write touched them during the pass
  uint64_t chunks_lowered = 0;  // marked chunks whose recorded R the sweep lowered (cluster)
  uint64_t chunks_scanned = 0;
  uint64_t chunks_freed = 0;
  uint64_t bytes_freed = 0;     // logical payload bytes
  uint64_t segments_compacted = 0, segments_deleted = 0;
  uint64_t bytes_rewritten = 0;        // live bytes compaction copied
  uint64_t file_bytes_reclaimed = 0;   // segment file bytes given back
  double seconds = 0;

  GcPassResult& operator+=(const GcPassResult& o) {
    lists_scanned += o.lists_scanned;
    versions_expired += o.versions_expired;
    lists_removed += o.lists_removed;
    chunks_marked += o.chunks_marked;
    chunks_pinned += o.chunks_pinned;
    chunks_lowered += o.chunks_lowered;
    chunks_scanned += o.chunks_scanned;
    chunks_freed += o.chunks_freed;
    bytes_freed += o.bytes_freed;
    segments_compacted += o.segments_compacted;
    segments_deleted += o.segments_deleted;
    bytes_rewritten += o.bytes_rewritten;
    file_bytes_reclaimed += o.file_bytes_reclaimed;
    seconds += o.seconds;
    return *this;
  }
};

struct GcProgress {
  bool running = false;
  std::string phase;  // "drain", "mark", "sweep", "" when idle
  uint64_t passes_completed = 0, passes_failed = 0;
  uint64_t last_started_ns = 0, last_finished_ns = 0;
  GcPassResult last;   // of the last completed pass
  GcPassResult total;  // summed over every completed pass since start
  std::string last_error;  // of the last pass (a failed one, or its compaction)
};

class Collector {
 public:
  // api must outlive the collector; its backend must offer collection().
  static Result<std::unique_ptr<Collector>> Create(ObjectApi* api, CollectorOptions options);
  ~Collector();

  Result<GcPassResult> RunPass();
  GcProgress progress() const;
  // The process is stopping: a compaction under way ends at its next record (what it
  // copied is kept; the next pass finishes), and later passes do not compact.
  void Stop() { stop_.request_stop(); }
  // Live bytes per second a pass's compaction rewrites at most (0: unlimited).
  uint64_t compaction_rate() const { return options_.compaction.max_bytes_per_second; }

 private:
  Collector(ObjectApi* api, CollectorOptions options);
  class Marks;
  Status ExpireAndMark(Marks& marks, GcPassResult* r);
  Status MarkVersion(Marks& marks, const Chid& vm_chid, GcPassResult* r);
  Status MarkRefs(Marks& marks, const std::vector<ChunkRef>& refs, uint8_t rc, int depth, GcPassResult* r);
  Status MarkEncodedVersion(Marks& marks, const VersionEntry& entry, GcPassResult* r);
  Status Sweep(Marks& marks, GcPassResult* r);
  void SetPhase(const std::string& phase);

  ObjectApi* api_;
  ChunkCollection* chunks_;
  CollectorOptions options_;
  // Erasure-coded versions marked in this pass (a cluster scans every copy of each list).
  std::unordered_set<Chid, HashIdHasher> encoded_marked_;
  // Where this pass found their fragments (client/stripe_placement.h).
  std::unique_ptr<PassLocator> locator_;
  std::stop_source stop_;
  mutable std::mutex mu_;
  GcProgress progress_;
};

}  // namespace ccow
