// The garbage collector's part at one VDEV of a cluster (docs/ARCHITECTURE.md "Garbage
// collection on a cluster"). A coordinator (src/gc/collector.h over the cluster backend)
// drives each pass, an epoch, through every VDEV of the table:
//
//   open   the pin window of epoch E: from now on every chunk this VDEV answers for (a put
//          proposal, a train, a touch) is pinned, and answers carry E (the pin epoch);
//   fence  named puts whose writer holds a pin epoch older than E are refused (kFenced):
//          their chunks may have been answered before any pin of this pass, so their
//          version must not be committed unseen by the mark; the writer touches its
//          chunks again (pinning them) and retries;
//   mark   chunks referenced by the versions the coordinator walks are marked, each with
//          the largest replication count those versions need (0: unknown);
//   sweep  every chunk of this VDEV's rows neither marked nor pinned is removed, and a
//          marked one that is not pinned has its recorded R lowered to the marked R when
//          that is lower (the replicas an erasure-coded fragment no longer needs, or those
//          of a deleted version of a higher R); a pinned one keeps its R, since a write
//          in the window may have asked for more; once the sweep is reported done, the
//          segment files are compacted on the same worker, paced, outside the pass;
//   close  the window closes and the marks are dropped.
//
// The epoch and the fence are recorded in the store (ChunkStore::PutMeta) before they are
// acknowledged, so a VDEV that restarts keeps refusing what its fence refused. Pins and
// marks are a pass's working set, in a scratch table (store/scratch_table.h: on disk in
// the VDEV's scratch directory, a few MiB of memory whatever the number of chunks; in
// memory without one): a VDEV that restarted mid-pass has lost them, answers
// kUnknownEpoch to the pass's marks and sweep and removes nothing in it. A pin that could
// not be recorded (a full disk) fails this pass's sweep: nothing is removed.
//
// Pins are taken under the lock the sweep holds while it checks and removes a batch: a put
// either pins first (the sweep keeps the chunk) or finds it removed and stores it again.
//
// Thread safety: every method may be called from any thread (the target's receive and
// worker threads).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stop_token>
#include <string>

#include "core/hash.h"
#include "core/status.h"
#include "replicast/message.h"
#include "store/chunk_store.h"
#include "store/scratch_table.h"

namespace ccow {

class VdevGc {
 public:
  // Loads the recorded epoch and fence of the VDEV's store. The compaction after a sweep
  // rewrites at most compaction_rate live bytes per second (0: unlimited). scratch_dir:
  // where a pass keeps its pins and marks (wiped; empty: in memory).
  static Result<std::unique_ptr<VdevGc>> Open(ChunkStore* store, std::string vdev_id,
                                              uint64_t compaction_rate = 0,
                                              const std::string& scratch_dir = {});
  // The daemon is stopping: a compaction under way ends at its next record (what it
  // copied is kept; the next pass finishes), and later sweeps do not compact.
  void Stop() { stop_.request_stop(); }

  // Pins a chunk in the open window (nothing when none is open) and returns the pin epoch
  // to answer with. Call before asking the store whether the chunk is there.
  uint64_t Pin(const HashId& chid);

  // Admission of a named put: while the returned guard lives, the fence cannot advance, so
  // a put admitted here commits before any later fence is acknowledged.
  class Admission {
   public:
    bool allowed() const { return allowed_; }
   private:
    friend class VdevGc;
    std::shared_lock<std::shared_mutex> lock_;
    bool allowed_ = false;
  };
  Admission AdmitNamedPut(uint64_t min_pin_epoch);

  // The coordinator's messages. in_rows tells whether a chunk belongs to a row this VDEV
  // serves (the sweep leaves the others to the healer, which moves them). A sweep runs
  // through `run` (a worker; inline in the simulation) and the reply says whether it has
  // finished: the coordinator asks again until it has.
  using Executor = std::function<void(std::function<void()>)>;
  replicast::GcReply OnControl(const replicast::GcControl& control,
                               const std::function<bool(const HashId&)>& in_rows, const Executor& run);
  replicast::GcReply OnMark(const replicast::GcMark& mark);

  uint64_t epoch() const;
  uint64_t fence_epoch() const;

 private:
  VdevGc(ChunkStore* store, std::string vdev_id, uint64_t compaction_rate)
      : store_(store), vdev_id_(std::move(vdev_id)), compaction_rate_(compaction_rate) {}
  replicast::GcReply ReplyLocked(replicast::GcReplyStatus status, std::string message = {}) const;
  Status Sweep(const std::function<bool(const HashId&)>& in_rows);
  Status ClearPassLocked();  // a new window, or a closed one: no pins, no marks

  ChunkStore* const store_;
  const std::string vdev_id_;
  const uint64_t compaction_rate_;
  std::stop_source stop_;
  mutable std::mutex mu_;  // everything below but fence_; held by the sweep per batch
  uint64_t epoch_ = 0;     // the last window opened (recorded)
  bool window_open_ = false;
  bool swept_ = false, sweeping_ = false;
  // Keys "p" + CHID: touched during the window. "m" + CHID: referenced, from the
  // coordinator, with the R to keep (one byte); several marks of one chunk keep the
  // largest, and an unknown one (0) wins, so that it never lowers anything.
  std::unique_ptr<ScratchTable> pass_;
  uint64_t pinned_ = 0, marked_ = 0;  // distinct chunks
  std::string pin_error_;             // a pin not recorded: this pass sweeps nothing
  uint64_t scanned_ = 0, removed_ = 0, bytes_removed_ = 0, kept_pinned_ = 0, lowered_ = 0;
  std::string sweep_error_;
  mutable std::shared_mutex fence_mu_;  // shared: named puts committing; unique: a fence
  uint64_t fence_ = 0;                  // (recorded)
};

}  // namespace ccow
