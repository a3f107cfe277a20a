// The garbage collector's access to a cluster (docs/ARCHITECTURE.md "Garbage collection on
// a cluster"): the ChunkCollection the cluster backend offers, which drives one pass, an
// epoch, through every VDEV of the FlexHash table with the initiator's GC messages
// (src/target/vdev_gc.h is the other side).
//
//  - OpenPinWindow: asks every VDEV where it is, picks the next epoch and opens its window
//    everywhere. A VDEV that does not answer, or has another epoch's window open (another
//    collector at work), fails the pass before anything is pinned.
//  - FenceEarlierWrites: waits the grace period (writes that began before the window and
//    finish within it commit before the mark starts), then fences every VDEV: from then a
//    version-list write whose chunks were answered before the window is refused, and its
//    writer touches them again.
//  - Mark: batches the CHIDs (each with the R its versions need) per row and sends them to
//    every VDEV of the row; each must acknowledge, or the pass fails (a VDEV that misses a
//    mark must not sweep). MarkOn batches per VDEV and sends to that one only.
//  - Sweep: checks that every VDEV still has this epoch's window open (one that restarted
//    lost its pins and marks: the pass fails before any sweep), then asks them all to
//    sweep at once and waits for each.
//    From here each VDEV's sweep is safe on its own; one that fails is reported.
//  - ClosePinWindow closes the window everywhere (best effort: a VDEV also closes when
//    another epoch opens).
// A FlexHash generation change during the pass fails it: rows moved under the marks.
//
// Thread safety: one pass at a time (the collector's thread).
#pragma once

#include <cstdint>
#include <memory>

#include "client/backend.h"

namespace ccow {

namespace replicast {
class Initiator;
}

struct ClusterGcOptions {
  // How long a write may run from its first chunk to its version-list update and still
  // commit across a pass without touching its chunks again.
  uint64_t fence_grace_ns = 300'000'000'000;
  uint64_t sweep_timeout_ns = 3'600'000'000'000;  // per VDEV
  size_t mark_batch = 1000;  // CHIDs per mark message at most (and at most ~60 KB of them)
};

std::unique_ptr<ChunkCollection> NewClusterCollection(replicast::Initiator* initiator,
                                                      const ClusterGcOptions& options);

}  // namespace ccow
