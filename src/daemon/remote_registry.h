// The registry of record (cluster/registry.h) as a process outside the Raft group sees it:
// a gateway on a cluster or the CLI. It reaches the members' admin API (daemon/admin_api.h):
// the state by long poll on the leader (so a change committed anywhere is here within
// about a round trip), proposals through whichever member leads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/registry.h"

namespace ccow::daemon {

struct RemoteRegistryOptions {
  std::vector<std::string> endpoints;  // admin HOST:PORT of the members
  std::string token;                   // their admin token
  // Follow changes on a thread of its own (gateways); off, the state is fetched once at
  // open and after each proposal (one-shot CLI commands).
  bool follow = true;
  // Called on the follower thread after each newer state is installed (gateways install
  // a new FlexHash generation from it).
  std::function<void(const ClusterState&)> on_change;
};

// Opens it with a first fetch of the state: kUnavailable when no member answers.
Result<std::unique_ptr<Registry>> OpenRemoteRegistry(RemoteRegistryOptions options);

}  // namespace ccow::daemon
