// The administration client of a cluster (issue 5): reaches the target daemons that
// DIR/cluster.json lists through their admin endpoints, finds the Raft leader by asking
// in turn (a follower refuses naming the leader), and commits cluster-state commands.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "core/status.h"

namespace ccow::cli {

class ClusterAdmin {
 public:
  static Result<ClusterAdmin> Load(const std::string& dir);

  // Commits a command through the leader; waits up to 15 s for one to be elected.
  // kUnavailable ("no quorum") when none commits it.
  Status Propose(const ClusterCommand& command) const;
  // An admin call on whichever target is the leader (join, publish).
  Status CallLeader(const std::string& path_and_query) const;
  // /admin/status of every target, in cluster.json order; null where a target does not
  // answer.
  std::vector<nlohmann::json> StatusOfAll() const;
  // One admin call on every target at once, each bounded by timeout_ms; the JSON answers
  // in cluster.json order, null where a target did not answer 200.
  std::vector<nlohmann::json> CallAll(const std::string& method, const std::string& path_and_query,
                                      uint64_t timeout_ms) const;
  // One admin call on one target (an address of targets()), bounded by timeout_ms: its
  // HTTP status and body.
  Result<std::pair<int, std::string>> CallTarget(const std::string& address, const std::string& method,
                                                 const std::string& path_and_query, uint64_t timeout_ms) const;
  // A background job the Raft leader's target drives (daemon/pass_scheduler.h: GET and
  // POST on `path`, e.g. "/admin/gc"): the leader's status, or with post_query its answer
  // to "POST path?post_query" (bounded by timeout_ms). The leader is the target whose
  // status says "driving"; one that stopped leading meanwhile answers "driving": false
  // and is passed over. Looks for up to 15 s; kUnavailable naming why when none drives.
  Result<nlohmann::json> CallDriver(const std::string& path, const std::string& post_query,
                                    uint64_t timeout_ms) const;
  // The cluster state as the leader (else any reachable member) holds it.
  Result<nlohmann::json> State() const;

  // Target names and admin addresses, in cluster.json order.
  const std::vector<std::pair<std::string, std::string>>& targets() const { return targets_; }

 private:
  Result<std::pair<int, std::string>> Call(const std::string& address, const std::string& method,
                                           const std::string& path_and_query) const;
  // Posts to each target until one that leads accepts; retries while no leader is known.
  Status PostToLeader(const std::string& path_and_query) const;

  std::string dir_;
  std::string token_;
  std::vector<std::pair<std::string, std::string>> targets_;
};

// `ccow system init` on a cluster: every target in cluster.json joins the membership and
// the FlexHash checkpoint in DIR becomes the first generation. kAlreadyExists when the
// cluster is initialised.
Status InitCluster(const std::string& dir);

}  // namespace ccow::cli
