// The cluster's garbage collector as the target daemons run it (docs/ARCHITECTURE.md
// "Garbage collection on a cluster", "Who drives a pass"). Every target daemon that is a
// Raft member runs one GcService over a Collector on a cluster backend of its own (its own
// initiator; FlexHash and each bucket's retention from its Raft member's committed
// state). Only the Raft leader's drives passes: every `gc_interval_s` and on
// `POST /admin/gc?now=1` (`ccow system gc --now --cluster DIR` finds the leader); the
// others answer status, and refuse a pass naming why (kUnavailable, so the CLI asks on).
//
// Leadership moving is safe at every point, because a VDEV sweeps only inside its own
// open window of the pass's epoch, after every VDEV acknowledged the pass's marks
// (target/vdev_gc.h):
//  - before each pass the leader installs the newest committed FlexHash and closes every
//    pin window left open on a VDEV (by a leader killed mid-pass, or a close that was
//    lost). Closing a window ends that epoch at that VDEV as a finished pass would: it
//    will not sweep in that epoch, and its later answers carry that epoch, which the next
//    pass's fence refuses. A VDEV still sweeping refuses the close; the pass then fails
//    ("another collector is at work") and the next one tries again.
//  - the grace period is waited here: it ends early, failing the pass before its fence,
//    when this target stops or no longer leads. A deposed leader past its grace finishes
//    its pass (a pass is safe whoever drives it) unless the new leader's first pass
//    closes its windows first: its next call on such a VDEV then answers kUnknownEpoch
//    and its pass fails, with nothing freed at the VDEVs that had not begun to sweep.
//
// Thread safety: service() may be used from any thread.
#pragma once

#include <memory>
#include <string>

#include "cluster/cluster_node.h"
#include "core/status.h"
#include "daemon/ec_service.h"
#include "daemon/gc_service.h"
#include "target/target_config.h"

namespace ccow::daemon {

class ClusterGc {
 public:
  // node (the target's Raft member) outlives this; flexhash_json: the table the target
  // runs now (the first table of the collector's initiator). Settings from the target's
  // configuration: gc_interval_s, gc_fence_grace_s, quarantine_retention_s, gc_scratch_dir.
  static Result<std::unique_ptr<ClusterGc>> Start(const TargetConfig& config, ClusterNode* node,
                                                  const std::string& flexhash_json);
  virtual ~ClusterGc() = default;  // a pass in its grace period stops at once; a later one ends first

  virtual GcService& service() = 0;
  // The erasure encoder's service (daemon/ec_service.h), driven by the same leader over
  // the same backend on a schedule of its own: ec_interval_s, ec_rest_age_s,
  // ec_min_object_bytes of the target's configuration.
  virtual EcService& ec() = 0;
};

}  // namespace ccow::daemon
