// The registry of record as one process sees it (DESIGN.md §2 "cluster state"): tenants,
// buckets with every setting, users and their keys, membership and the FlexHash
// generation, all in the Raft-replicated cluster state. Gateways read it per request
// from an immutable snapshot and change it only by proposing commands, so every gateway
// and the CLI share one namespace.
//
// Two kinds of process hold one: a member of the Raft group (a target daemon, or `ccow
// server`, which runs a one-member group in-process), and a follower of one over the admin
// API (a gateway on a cluster, the CLI). Both give read-your-writes: once Propose returns
// OK, current() shows the change. A follower sees changes made elsewhere by push (a
// long-poll on the admin API), within about a round trip of their commit.
//
// Thread-safe: every call may come from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "cluster/cluster_state.h"
#include "core/status.h"

namespace ccow {

class Registry {
 public:
  virtual ~Registry() = default;
  // The newest state this process has: an immutable snapshot, never null.
  virtual std::shared_ptr<const ClusterState> current() = 0;
  // Waits until the state is newer than `after` (its commands_applied()) or the timeout
  // passes; returns the current state either way.
  virtual std::shared_ptr<const ClusterState> WaitNewer(uint64_t after, std::chrono::milliseconds timeout) = 0;
  // Commits a command through the Raft leader and returns its outcome as the state
  // machine decided it (kAlreadyExists, kNotFound, kConflict, kInvalidArgument...), or
  // kUnavailable when no leader committed it in time.
  virtual Status Propose(const ClusterCommand& command) = 0;
};

}  // namespace ccow
