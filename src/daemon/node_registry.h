// The registry of record (cluster/registry.h) held by a Raft member in this process: a
// target daemon, or `ccow server`, whose one-member group lives in DATA/raft so that one
// node and a cluster run the same registry code.
#pragma once

#include <memory>
#include <string>

#include "cluster/cluster_node.h"
#include "cluster/registry.h"

namespace ccow::daemon {

// A Registry over a member; node must outlive it. Propose waits (bounded) for a leader:
// a one-member group elects itself within moments of starting.
std::unique_ptr<Registry> NewNodeRegistry(ClusterNode* node);

// The one-member Raft group of a single-node data directory (DATA/raft), started and
// leading; its Raft listener binds an ephemeral port on 127.0.0.1, for it has no peers.
// The caller holds the data directory (its store is open), so no other process runs it.
struct ServerRegistry {
  std::unique_ptr<ClusterNode> node;
  std::unique_ptr<Registry> registry;
};
Result<ServerRegistry> OpenServerRegistry(const std::string& data_dir);

}  // namespace ccow::daemon
