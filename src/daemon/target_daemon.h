// A target daemon (`ccow target --config FILE`): the chunk store of each VDEV in its
// configuration, the Replicast target answering on each VDEV's address, and, when the
// configuration names an admin/metrics address, the admin API with /health and /metrics
// and the cluster side (Raft member, failure detection, FlexHash installation, healer).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace ccow::daemon {

struct TargetDaemonInfo {
  std::string server;
  uint64_t flexhash_generation = 0;
  std::string transport;
  struct Vdev {
    std::string id, address, path;
  };
  std::vector<Vdev> vdevs;
  std::string admin_address;  // "" when it serves no admin endpoint
  uint64_t raft_id = 0;
  std::string raft_address;
};

class TargetDaemon {
 public:
  static Result<std::unique_ptr<TargetDaemon>> Start(const std::string& config_path);
  virtual ~TargetDaemon() = default;
  virtual const TargetDaemonInfo& info() const = 0;
  // Serves until SIGINT or SIGTERM, then stops answering before the stores close;
  // returns the signal number.
  virtual int RunUntilSignal() = 0;
};

}  // namespace ccow::daemon
