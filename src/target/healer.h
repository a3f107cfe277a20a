// The healer of a target daemon (issue 5, DESIGN.md §2 "healing"): after every FlexHash
// generation change, and every interval, it walks the chunks and version lists of each
// local VDEV and makes the cluster hold R replicas of each in its current row:
//  - a chunk whose row holds it in fewer than R failure domains is put again from this
//    copy (Replicast proposes it to the row; VDEVs that hold it answer "content stored",
//    so only the missing replicas receive bytes). One holder repairs: the lowest VDEV id
//    among the row's holders, or every holder outside the row when the row has none;
//  - a chunk this VDEV holds outside its row is removed here once its row holds R
//    replicas (rebalancing when a target joins: never below R during the move);
//  - a version list is offered "if newer" to its home replicas.
// Repairs are rate-limited (bytes per second) and the walk is resumable: the last CHID
// finished is kept in a cursor file per VDEV, so a restarted daemon continues the pass.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "replicast/initiator.h"
#include "store/chunk_store.h"
#include "target/vdev_walk.h"

namespace ccow {

// A VDEV the healer walks; its cursor file is heal-cursor.json in the VDEV's directory.
using HealerVdev = LocalVdev;

struct HealerOptions {
  uint32_t replication_count = 3;
  uint64_t rate_bytes_per_second = 100'000'000;  // repair traffic, all VDEVs together
  uint64_t interval_ns = 60'000'000'000;         // a pass even without a generation change
};

// Progress of the current (or last) pass, for `ccow system status` and /metrics.
struct HealProgress {
  uint64_t generation = 0;      // the FlexHash generation the pass works for
  bool running = false;
  uint64_t passes_completed = 0;
  uint64_t completed_generation = 0;  // generation of the last completed pass
  uint64_t chunks_scanned = 0;
  uint64_t under_replicated = 0;  // found below R (by this target as the repairing holder)
  uint64_t repaired = 0;          // of those, brought back to R
  uint64_t moved = 0;             // removed here after their new row held R
  uint64_t failed = 0;            // repairs that did not reach R (retried next pass)
  uint64_t bytes_repaired = 0;    // payload bytes of the repairs
  uint64_t names_scanned = 0, names_below_r = 0;
  uint64_t rate_bytes_per_second = 0;
  double last_pass_seconds = 0;
  // Below R right now, as far as this target knows: found and not yet repaired.
  uint64_t remaining() const { return under_replicated - repaired; }
};

class Healer {
 public:
  // initiator: this daemon's own, with the table in force; the healer installs each new
  // generation in it.
  static std::unique_ptr<Healer> Start(replicast::Initiator* initiator, std::vector<HealerVdev> vdevs,
                                       const HealerOptions& options);
  virtual ~Healer() = default;
  // A new FlexHash generation: the pass under way stops and a new one starts.
  virtual void OnFlexHash(const std::string& flexhash_json) = 0;
  virtual HealProgress progress() const = 0;
};

}  // namespace ccow
