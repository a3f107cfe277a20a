// The cluster side of a target daemon (issue 5): its Raft member of the cluster state,
// the watcher that installs each committed FlexHash generation in the target and the
// healer, the scrubber, and, while this member leads, the failure detector that heartbeats every
// target and publishes a new generation when one dies or returns, and the garbage
// collector's passes (daemon/cluster_gc.h). Its admin calls (/admin/status,
// /admin/command, /admin/join, /admin/scrub, /admin/gc) are how `ccow` administers the
// cluster.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "target/healer.h"
#include "target/repair_queue.h"
#include "target/target.h"
#include "target/target_config.h"

namespace ccow::daemon {

class TargetAgent {
 public:
  // admin_address: where this daemon's admin endpoint listens (the target's address in
  // the cluster state). repairs: the bad copies the target's gets met (read repair), for
  // the scrubber.
  static Result<std::unique_ptr<TargetAgent>> Start(const TargetConfig& config, Target* target,
                                                    std::vector<LocalVdev> vdevs,
                                                    const std::string& admin_address,
                                                    std::shared_ptr<RepairQueue> repairs);
  virtual ~TargetAgent() = default;
  // An /admin/ request: method, target (path and query), Authorization header.
  virtual std::pair<int, std::string> HandleAdmin(const std::string& method, const std::string& target,
                                                  const std::string& authorization) = 0;
  // Prometheus lines for healing, scrub and Raft.
  virtual std::string Metrics() = 0;
};

}  // namespace ccow::daemon
