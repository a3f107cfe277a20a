// What the object API needs from the layer below: chunks by CHID and version lists by
// name. The local backend implements it on one chunk store; the cluster backend will
// implement it with FlexHash placement and Replicast, with no change above this line.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "model/version_list.h"
#include "store/chunk_store.h"

namespace ccow {

class FlexHashTable;
struct StripeManifest;

// A VDEV holding a chunk, with the replication count it records for it (0: none).
struct ChunkHolder {
  std::string vdev_id;
  uint32_t replication_count = 0;
};

// What one write (a put, compose, clone) learned of the cluster garbage collector: the
// oldest pin epoch among the answers to its chunk puts and touches. Its version-list
// update presents it, and a VDEV fenced by a later pass refuses it (kFenced): those
// chunks may have been answered before that pass pinned anything (docs/ARCHITECTURE.md
// "Garbage collection on a cluster"). One local store ignores it. Any thread may observe.
class WriteFence {
 public:
  static constexpr uint64_t kNone = UINT64_MAX;  // nothing observed: no new references
  void Observe(uint64_t pin_epoch) {
    uint64_t cur = oldest_.load();
    while (pin_epoch < cur && !oldest_.compare_exchange_weak(cur, pin_epoch)) {
    }
  }
  uint64_t oldest() const { return oldest_.load(); }
  // Forgets the pin epochs observed (a write that touches its chunks again); what
  // waits for a sync stays.
  void Reset() { oldest_.store(kNone); }

  // Deferred sync. A writer whose commit goes through Backend::UpdateVersionList with this
  // fence may let its chunk puts return before they are durable: a cluster then syncs
  // each VDEV that took one once, before the commit, instead of each chunk on each
  // replica. A backend that makes every put durable ignores it.
  void DeferSync() { defer_sync_ = true; }
  bool defers_sync() const { return defer_sync_; }
  // Stores (a VDEV's address, and the incarnation that answered) holding this write's
  // chunks not durable yet: added by the puts, taken by the commit.
  using Unsynced = std::vector<std::pair<std::string, uint64_t>>;
  void AddUnsynced(const Unsynced& holders) {
    std::lock_guard lock(mu_);
    unsynced_.insert(unsynced_.end(), holders.begin(), holders.end());
  }
  Unsynced TakeUnsynced() {
    std::lock_guard lock(mu_);
    return std::exchange(unsynced_, {});
  }

 private:
  std::atomic<uint64_t> oldest_{kNone};
  std::atomic<bool> defer_sync_{false};
  std::mutex mu_;
  Unsynced unsynced_;
};

// What a sweep did.
struct SweepResult {
  uint64_t scanned = 0;  // chunks looked at (every VDEV's, on a cluster)
  uint64_t removed = 0, bytes_removed = 0;
  uint64_t pinned = 0;   // unmarked chunks kept because a write touched them in the window
  uint64_t lowered = 0;  // marked chunks whose recorded replication count was lowered
};

// What the garbage collector (src/gc/collector.h) needs of a backend whose chunks it
// frees: one local store, or a cluster's VDEVs (docs/ARCHITECTURE.md "Garbage
// collection"). A pass calls, in order: OpenPinWindow; FenceEarlierWrites (after the
// collector drained its own process's writes); Mark or MarkOn for each referenced chunk;
// Sweep; ClosePinWindow (also after a failure); Compact.
//
// The pin window is the dedup guard: while it is open every chunk put (stored anew or
// found stored) or touched is pinned, and the sweep never removes a pinned chunk. Pinning
// happens before the store is asked, under the lock the sweep holds while it checks pins
// and removes, so a put either pins first (the sweep keeps the chunk) or finds it already
// removed (and stores it again).
class ChunkCollection {
 public:
  virtual ~ChunkCollection() = default;
  virtual Status OpenPinWindow() = 0;  // clears the pins of any earlier window
  // Whether the collector must drain its own process's writes (one node, whose writes
  // carry no fence); a cluster's fences guard every writer, the collector's process too,
  // whose writes may even run a pass themselves.
  virtual bool drains_writes() const = 0;
  // Writes that began before the window must not commit a version unseen by the mark:
  // one node has drained them (ObjectApi::DrainEarlierWrites) and does nothing here; a
  // cluster waits its grace period and then fences every VDEV.
  virtual Status FenceEarlierWrites() = 0;
  // A chunk referenced by a version the pass keeps, on every VDEV of its row.
  // replication_count: the largest R a kept version referencing it needs (0: unknown). The
  // sweep lowers the R a holder records to it where that is lower (a deleted version of a
  // higher R, a replica trimmed by erasure coding), unless a write pinned the chunk in the
  // window; 0 keeps the chunk and never lowers anything. Called once per chunk and pass,
  // or again with a higher R when a later version needs more (the largest one counts).
  virtual Status Mark(const Chid& chid, uint32_t replication_count) = 0;
  // Like Mark, but on that one VDEV only (an erasure-coded fragment's keeper, which must
  // be in the chunk's row, else kInvalidArgument): the row's other copies are swept unless
  // pinned or marked otherwise. A backend of one store has one VDEV and marks it.
  virtual Status MarkOn(const Chid& chid, const std::string& vdev_id, uint32_t replication_count) {
    (void)vdev_id;
    return Mark(chid, replication_count);
  }
  // Removes every chunk neither marked nor pinned. is_marked answers from the collector's
  // own marks (one node); a cluster's VDEVs decide from the marks sent to them.
  virtual Result<SweepResult> Sweep(const std::function<bool(const Chid&)>& is_marked) = 0;
  virtual void ClosePinWindow() = 0;
  // Gives the space of removed chunks back to the file system (ChunkStore::CompactSegments;
  // a cluster's VDEVs compact after their sweep and this does nothing).
  virtual Result<CompactionResult> Compact(const CompactionOptions& options) = 0;
};

// Counters of read repair (client/read_repair.h); all zero where there is none.
struct ReadRepairStats {
  uint64_t degraded_reads = 0;     // chunks rebuilt by reads from their stripes
  uint64_t stripes_queued = 0;
  uint64_t stripes_dropped = 0;    // queue full, or the backend stopping
  uint64_t stripes_repaired = 0;   // whole again (fragments put, or nothing to do)
  uint64_t stripes_failed = 0;     // lost, unplaceable, or a put failed: the encoder retries
  uint64_t fragments_moved = 0;    // copied onto their keeper from another holder
  uint64_t fragments_rebuilt = 0;  // rebuilt from their stripe
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Stores a chunk unless present (inline dedup). Not durable until a version list
  // update or SyncChunks(). replication_count: the R the object's policy asks (a cluster
  // keeps that many replicas; one local store ignores it). fence (may be null) observes
  // the pin epoch of the answers.
  virtual Status PutChunk(const Chid& chid, std::string_view bytes, uint32_t replication_count,
                          bool* stored_new, WriteFence* fence) = 0;
  // PutChunk of a chunk the caller knows no store holds yet (a version manifest names its
  // own generation and UVID): a cluster sends a small one straight to R VDEVs rather than
  // first asking who has it (Initiator::PutNewChunk). Same guarantees as PutChunk.
  virtual Status PutNewChunk(const Chid& chid, std::string_view bytes, uint32_t replication_count,
                             WriteFence* fence) {
    bool stored_new = false;
    return PutChunk(chid, bytes, replication_count, &stored_new, fence);
  }
  // Stores a chunk on one chosen VDEV of its row and nowhere else (an erasure-coded
  // fragment's placement): durable there on return, which records at least
  // replication_count (0: the default; a VDEV that already holds it keeps the larger of
  // the two). kInvalidArgument when the VDEV is not in the chunk's row, kUnavailable when
  // it does not answer. A backend of one store has one VDEV: it answers like PutChunk.
  virtual Status PutChunkOn(const Chid& chid, std::string_view bytes, const std::string& vdev_id,
                            uint32_t replication_count, WriteFence* fence) {
    (void)chid, (void)bytes, (void)replication_count, (void)fence;
    return Status::Unsupported("this backend cannot place a chunk on VDEV " + vdev_id);
  }
  virtual Status SyncChunks() = 0;
  // Reads a chunk, verified against its CHID.
  virtual Status GetChunk(const Chid& chid, std::string* out) = 0;
  // A read rebuilt chunk lost_chid of `stripe` (client/stripe_reader.h): a repair should follow
  // (a cluster queues the stripe for read repair, client/read_repair.h). Called on the
  // reading thread (any thread), once per rebuild, after the rebuilt bytes verified; it
  // must not block. Nothing to do by default (one local store has no other copy to
  // repair from).
  virtual void OnDegradedRead(const StripeManifest& stripe, const Chid& lost_chid) { (void)stripe, (void)lost_chid; }
  // What degraded reads and their repairs did since the backend opened.
  virtual ReadRepairStats read_repair_stats() const { return {}; }
  // Where a stored chunk lives (operators' `object stat --replicas`, tests).
  virtual Result<std::vector<ChunkHolder>> LocateChunk(const Chid& chid) = 0;
  // Makes a stored chunk kept at replication_count or more replicas: a new version that
  // references chunks of an object of a lower R (a copy or compose into a bucket of a
  // higher R) raises them. Reads and re-puts the chunk only when its holders fall short.
  virtual Status RaiseReplication(const Chid& chid, uint32_t replication_count) = 0;
  // A version about to be committed references this stored chunk without putting it (a
  // clone, a compose): keep it through any collection under way. kNotFound if it is gone.
  // replication_count: the version's R (0: none asked); holders record the largest asked,
  // so that a sweep that lowered the chunk's count before the touch pinned it does not
  // leave the version short of replicas.
  virtual Status TouchChunk(const Chid& chid, uint32_t replication_count, WriteFence* fence) = 0;
  // The garbage collector's access.
  virtual ChunkCollection* collection() = 0;
  // The one chunk store of a local backend (one node's scrubber walks it), null elsewhere.
  virtual ChunkStore* local_store() { return nullptr; }
  // How a cluster places chunks over failure domains (erasure coding puts each fragment
  // of a stripe in a domain of its own); null for one local store, which has one domain.
  virtual std::shared_ptr<const FlexHashTable> placement() { return nullptr; }

  virtual Result<std::optional<VersionList>> GetVersionList(const std::string& name) = 0;
  // The version list as read for a conditional update (UpdateVersionList's `read`): what
  // GetVersionList answers, with the backend's revision of it where it has one (a
  // cluster: the named value's sequence).
  struct VersionListRead {
    std::optional<VersionList> list;
    uint64_t revision = 0;
    bool has_revision = false;
  };
  virtual Result<VersionListRead> ReadVersionList(const std::string& name) {
    CCOW_ASSIGN_OR_RETURN(auto list, GetVersionList(name));
    return VersionListRead{std::move(list), 0, false};
  }
  // Whether each call costs network round trips (a cluster): callers then overlap calls
  // that do not depend on each other (a put reads the version list while its chunk is
  // being stored). False for one local store, where a thread costs more than it saves.
  virtual bool network_bound() const { return false; }
  // Atomically applies `mutate` to the version list of `name` (a new empty list when there
  // is none) and stores the result durably, together with every chunk put so far. If
  // mutate fails nothing changes. A list left Empty() is removed. fence: the write's, when
  // the mutation adds a version referencing chunks it put or touched; null when it adds
  // no reference (a delete, an undelete, a snapshot, an expiry). kFenced: see WriteFence.
  // The write's chunks left waiting for a sync (WriteFence::TakeUnsynced) are synced first;
  // when that fails nothing is committed (kUnavailable, or kNoSpace).
  virtual Status UpdateVersionList(const std::string& name, const Nhid& nhid,
                                   const std::function<Status(VersionList*)>& mutate,
                                   WriteFence* fence) = 0;
  // The same, whose first attempt may start from `read` (from ReadVersionList) instead of
  // reading the list again: a cluster saves a round trip, and a read that has gone stale
  // costs one failed compare-and-swap and a fresh read. By default `read` is not used.
  virtual Status UpdateVersionList(const std::string& name, const Nhid& nhid,
                                   const std::function<Status(VersionList*)>& mutate,
                                   WriteFence* fence, const VersionListRead* read) {
    (void)read;
    return UpdateVersionList(name, nhid, mutate, fence);
  }
  // Visits version lists whose names start with prefix, in name order, after start_after.
  virtual Status ScanVersionLists(const std::string& prefix, const std::string& start_after,
                                  const std::function<bool(const VersionList&)>& fn) = 0;
  // The garbage collector's scan: every copy of every version list after start_after, in
  // name order. A cluster has one per replica, and a stale one (a replica that missed a
  // write) still names versions whose chunks must stay until it converges: fn sees each
  // distinct copy, and the scan fails unless every VDEV answers. One store has one copy.
  virtual Status ScanVersionListCopies(const std::string& start_after,
                                       const std::function<bool(const VersionList&)>& fn) = 0;

  // The R of a put whose policy does not name one: a cluster's, 1 for one local store.
  virtual uint32_t default_replication_count() const = 0;

  virtual StoreCapacity Capacity() = 0;
  virtual StoreStats Stats() = 0;
};

// A backend on one local chunk store (`ccow server` and the CLI with --data).
std::unique_ptr<Backend> NewLocalBackend(std::unique_ptr<ChunkStore> store);

// Opens the chunk store of a data directory (DIR/vdev0) and wraps it in a local backend.
Result<std::unique_ptr<Backend>> OpenLocalBackend(const std::string& data_dir,
                                                  StoreOptions options = {});

}  // namespace ccow
