// Read repair of erasure-coded stripes (issue 11 §3; docs/ARCHITECTURE.md "Erasure coding
// on a cluster"): a read that had to rebuild a payload chunk from its stripe (a degraded
// read, client/stripe_reader.h) reports the stripe here, and the stripe is made whole
// again (client/stripe_repair.h: each fragment back on its keeper, copied or rebuilt)
// without waiting for the erasure encoder's next check of every stripe (hourly).
//
// Reports are queued and repaired on a worker thread `delay` after the read: a VDEV whose
// own copy was found bad by that read sets it aside within a second (its scrubber's read
// repair, target/repair_queue.h), and only then does a put of the fragment store it there
// again; before that, the bad copy still counts as held. So a repair first reads the
// chunks the reads lost: one still failing its CHID where a VDEV claims to hold it is
// retried later (up to max_attempts times, each `delay` after the last). A repair that
// fails loses nothing: the encoder's next check does the same work.
//
// Bounded: at most max_queued stripes wait (a stripe already waiting is not queued twice);
// more are dropped and counted. The destructor repairs what is queued, waiting out the
// delays, for at most drain_timeout: a one-shot `ccow object get` that met damage
// leaves it repaired.
//
// run_inline repairs on the reporting thread at once (the deterministic simulation).
// Thread safety: Report and stats from any thread; Report never blocks on I/O unless
// run_inline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "client/backend.h"
#include "model/stripe_manifest.h"

namespace ccow {

struct ReadRepairOptions {
  bool enabled = false;
  std::chrono::milliseconds delay{2000};
  int max_attempts = 5;
  size_t max_queued = 256;
  std::chrono::milliseconds drain_timeout{30000};
  bool run_inline = false;
};


class ReadRepair {
 public:
  // backend: where repairs read and put; must outlive this object.
  ReadRepair(Backend* backend, ReadRepairOptions options);
  ~ReadRepair();
  ReadRepair(const ReadRepair&) = delete;
  ReadRepair& operator=(const ReadRepair&) = delete;

  // A read rebuilt chunk `lost` of `stripe`.
  void Report(const StripeManifest& stripe, const Chid& lost);
  ReadRepairStats stats() const;

 private:
  struct Item {
    std::chrono::steady_clock::time_point due;
    StripeManifest stripe;
    std::set<Chid> lost;  // the chunks reads rebuilt
    int attempts = 0;
  };
  void Loop();
  // False: a lost chunk still has a bad copy counted as held; try again later.
  bool Repair(const Item& item);

  Backend* backend_;
  const ReadRepairOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  std::set<Chid> queued_;  // by the stripe's first parity CHID
  bool stopping_ = false;
  ReadRepairStats stats_;
  std::thread worker_;  // last: started once the rest is built
};

}  // namespace ccow
