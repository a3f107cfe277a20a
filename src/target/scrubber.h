// The scrubber (issue 11 §2, docs/ARCHITECTURE.md "Scrub and read repair"): a background,
// rate-limited pass that re-reads every chunk of every local VDEV through
// ChunkStore::Get, which verifies the bytes against the CHID. A copy whose bytes are
// missing, truncated or hash to something else is bad:
//  - with a source of healthy copies (a cluster: the other replicas, fetched through the
//    initiator, which verifies them and skips replicas that answer corrupt), the local
//    copy is replaced: removed, put again from the healthy bytes, its recorded
//    replication count kept, synced and read back verified. Counted as repaired;
//  - with none (one node), or when no replica holds a healthy copy, it is unrepairable:
//    kept in the findings with its CHID and, where known, the names of the objects that
//    reference it (bounded); on a cluster the bad copy is set aside so that healing or
//    its stripe can replace it (ScrubberOptions::set_aside_unrepairable).
// Read repair: the bad copies that gets met wait in a RepairQueue (the target pushes
// them); the scrubber repairs them between chunks of a pass and while idle.
//
// The walk is resumable: each VDEV has scrub-cursor.json in its directory (the pass's
// start time and the last CHID done), so a restarted daemon finishes the pass under way
// and keeps the schedule (a pass every interval, counted from the start of the last one).
//
// Thread safety: Start() runs passes on the scrubber's own thread; without it (the
// simulation tests) RunPass and RepairQueued run on the caller's thread. Trigger,
// WaitFor and progress may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/hash.h"
#include "core/rate_limiter.h"
#include "core/status.h"
#include "target/repair_queue.h"
#include "target/vdev_walk.h"

namespace ccow {

struct ScrubberOptions {
  // Verify reads, all VDEVs together: 10 TB in about 5 days, under a week's interval.
  uint64_t rate_bytes_per_second = 25'000'000;
  uint64_t interval_ns = 7ull * 24 * 3600 * 1'000'000'000;  // between pass starts; 0: on demand only
  size_t max_findings = 32;       // unrepairable copies listed in the status
  size_t max_object_names = 4;    // names listed per unrepairable chunk
  // A verified healthy copy from elsewhere (a cluster's replicas). Empty: none exists.
  std::function<Status(const HashId& chid, std::string* out)> fetch_healthy_copy;
  // Up to `max` names ("bucket path/key @ version") of objects that reference a chunk.
  // Empty: unknown (a cluster: the version lists live on other targets).
  std::function<std::vector<std::string>(const HashId& chid, size_t max)> find_objects;
  // A cluster: a copy that is bad (kCorruption: missing, truncated or wrong bytes) with
  // no healthy copy anywhere is set aside, removed from its VDEV's index (the bytes stay
  // in their segment file until compaction). A bad copy kept would count as held and
  // block every repair: set aside, the chunk is missing there, so the replica healer
  // copies it back from a replica that returns, and the erasure encoder's next pass
  // rebuilds an erasure-coded fragment from its stripe. Still reported as unrepairable.
  bool set_aside_unrepairable = false;
  std::function<uint64_t()> wall_clock_ns;  // empty: the system clock
};

// A bad copy that could not be repaired.
struct ScrubFinding {
  std::string vdev_id;
  std::string chid;
  std::string error;                 // why no healthy copy was found
  std::vector<std::string> objects;  // that reference it, where known
  uint64_t found_ns = 0;             // wall clock
};

struct ScrubCounts {
  uint64_t chunks = 0, bytes = 0;  // verified (read back whole)
  uint64_t corrupt = 0;            // bad copies found (missing, truncated or wrong bytes)
  uint64_t repaired = 0;           // of those, replaced by a verified healthy copy
  uint64_t unrepairable = 0;       // no healthy copy anywhere, or the replacement failed
  uint64_t read_repairs = 0;       // bad copies reported by reads and confirmed here
  ScrubCounts& operator+=(const ScrubCounts& o) {
    chunks += o.chunks;
    bytes += o.bytes;
    corrupt += o.corrupt;
    repaired += o.repaired;
    unrepairable += o.unrepairable;
    read_repairs += o.read_repairs;
    return *this;
  }
};

struct ScrubProgress {
  bool running = false;
  uint64_t passes_started = 0, passes_completed = 0;
  uint64_t pass_started_ns = 0;     // wall clock, of the pass under way or the last one
  uint64_t last_finished_ns = 0;
  double last_pass_seconds = 0;
  uint64_t pass_chunks_estimate = 0;  // chunks on the VDEVs when the pass began
  ScrubCounts pass;    // the pass under way (or the last one when idle)
  ScrubCounts total;   // since the daemon started, passes and read repairs
  uint64_t read_repairs_queued = 0, read_repairs_dropped = 0, read_repairs_waiting = 0;
  std::vector<ScrubFinding> unrepairable;  // most recent first, at most max_findings
  uint64_t rate_bytes_per_second = 0, interval_ns = 0;
};

class Scrubber {
 public:
  // queue: where reads report bad copies (shared with the target); may be null.
  Scrubber(std::vector<LocalVdev> vdevs, std::shared_ptr<RepairQueue> queue, ScrubberOptions options);
  ~Scrubber();  // stops the thread (a pass under way stops at the next chunk)

  // Runs passes in the background: when one is due, when triggered, and read repairs.
  void Start();
  // Starts a pass now (or notes that one is wanted while one runs); returns its number.
  uint64_t Trigger();
  // Waits until pass `pass` has ended, up to timeout_ms; true if it has.
  bool WaitFor(uint64_t pass, uint64_t timeout_ms);

  // One pass over every VDEV, on the caller's thread; resume: continue the cursors left
  // by an interrupted pass. Returns the pass's counts.
  ScrubCounts RunPass(bool resume = false);
  // Repairs the queued read repairs on the caller's thread; returns how many were handled.
  size_t RepairQueued();

  ScrubProgress progress() const;
  const ScrubberOptions& options() const { return options_; }

 private:
  enum class Verdict { kHealthy, kGone, kRepaired, kUnrepairable };
  void Loop();
  // Verifies one local copy and repairs it if bad.
  Verdict Check(const LocalVdev& vdev, const HashId& chid, ScrubCounts* counts);
  Verdict Repair(const LocalVdev& vdev, const HashId& chid, const Status& damage);
  void RecordFinding(const LocalVdev& vdev, const HashId& chid, const std::string& error);
  bool Stopping();
  void Throttle(uint64_t bytes);
  template <typename F>
  void Update(F f) {
    std::lock_guard lock(mu_);
    f(progress_);
  }
  uint64_t NowNs() const;
  const LocalVdev* VdevById(const std::string& id) const;

  std::vector<LocalVdev> vdevs_;
  std::shared_ptr<RepairQueue> queue_;
  ScrubberOptions options_;
  RateLimiter limiter_;  // the pass's thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool resume_ = false;         // Start found a pass left unfinished
  uint64_t next_due_ns_ = 0;    // wall clock: the start of the last pass plus the interval
  uint64_t requested_ = 0;  // passes asked for by Trigger, by number
  ScrubProgress progress_;
  // Copies found unrepairable since the current pass began: a read (or this scrubber's own
  // fetch, which meets the bad local copy) queues them again at once, and retrying them
  // before the next pass would only loop. Bounded by max_known_bad.
  std::set<RepairQueue::Item> known_bad_;
  std::thread thread_;
};

}  // namespace ccow
