// The target: the Replicast server side of the VDEVs one daemon owns (DESIGN.md §2). Each
// VDEV listens on its own address and answers, for the FlexHash rows it belongs to:
//  - unnamed put proposals with a bid (a rendezvous window from its queue), "content
//    already stored" (inline dedup), or "not now"; then receives the train, verifies the
//    chunk hash, stores it durably and acks;
//  - named puts of version lists, ordered by a per-name sequence (compare-and-swap on the
//    first home replica, "if newer" on the others);
//  - probes and fetches of chunks, named gets and name scans.
// A message of another FlexHash generation is refused with the current one; malformed
// ones are dropped and counted, never trusted.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "flexhash/flexhash.h"
#include "replicast/network.h"
#include "store/chunk_store.h"

namespace ccow {

struct TargetVdev {
  std::string id;       // as in the FlexHash table
  std::string address;  // where it listens
  ChunkStore* store;    // owned by the caller, outlives the target
  // Where a GC pass keeps this VDEV's pins and marks (target/vdev_gc.h; wiped at each
  // pass). Empty: in memory (the simulation, tests).
  std::string scratch_dir = {};
};

struct TargetOptions {
  // What a VDEV is assumed to absorb, to turn its queue into a rendezvous window.
  uint64_t vdev_bytes_per_second = 400'000'000;
  uint32_t max_queued_transfers = 64;        // beyond: "not now"
  uint64_t reservation_ns = 100'000'000;     // a bid not followed by a transfer expires
  uint64_t train_timeout_ns = 5'000'000'000;  // an incomplete train is dropped
  uint64_t max_buffered_bytes = 1ull << 30;  // trains being reassembled, all VDEVs
  uint16_t multicast_base_port = 0;          // join row groups when the network multicasts
  // Threads that store completed trains and serve fetches, so that a receive thread keeps
  // answering proposals while chunks are fsynced (concurrent syncs share one group
  // commit). 0: on the receive thread, as the one-threaded simulation needs.
  uint32_t worker_threads = 0;
  // Live bytes per second each VDEV's compaction after a GC sweep rewrites at most (0:
  // unlimited). It runs on a worker; the target's destruction stops it at its next record.
  uint64_t gc_rate_bytes_per_second = 0;
  // Read repair: called when a get finds a VDEV's own copy of a chunk bad (missing,
  // truncated or wrong bytes), after answering "corrupt". Must not block (the scrubber's
  // RepairQueue::Push). Empty: nothing is queued.
  std::function<void(const std::string& vdev_id, const HashId& chid)> on_corrupt_read;
};

// Counters a target exposes (metrics, tests): every refused or dropped input is counted.
struct TargetCounters {
  uint64_t messages = 0;
  uint64_t malformed = 0;          // undecodable datagrams
  uint64_t wrong_generation = 0;   // refused with a generation mismatch
  uint64_t wrong_row = 0;          // an id outside the row, or a row this VDEV is not in
  uint64_t unexpected = 0;         // a reply-type message sent to a target
  uint64_t bids = 0, dedup_accepts = 0, not_now = 0;
  uint64_t chunks_stored = 0, payload_bytes_stored = 0;
  uint64_t hash_mismatches = 0;    // trains whose bytes did not hash to their CHID
  uint64_t named_puts = 0, named_conflicts = 0;
  uint64_t gets_served = 0, corrupt_reads = 0;
  uint64_t dropped_trains = 0;     // incomplete past the timeout, or over the memory bound
  uint64_t sync_requests = 0;      // deferred-sync writers asking their chunks durable
};

class Target {
 public:
  // Binds every VDEV's address on the network and starts answering.
  static Result<std::unique_ptr<Target>> Start(replicast::Network* network, std::string flexhash_json,
                                               std::vector<TargetVdev> vdevs,
                                               const TargetOptions& options = {});
  virtual ~Target() = default;

  // Installs another FlexHash generation (from a checkpoint); messages of the old one are
  // refused from now on.
  virtual Status SetFlexHash(const std::string& flexhash_json) = 0;
  virtual uint64_t generation() const = 0;
  virtual std::string flexhash_json() const = 0;
  // The addresses actually bound (port 0 resolved), in VDEV order.
  virtual std::vector<std::string> addresses() const = 0;
  virtual TargetCounters counters() const = 0;
};

}  // namespace ccow
