// How a `ccow` command reaches the registry of record: on a cluster (--cluster DIR) through
// the members' admin API; on one node through the running server's admin API
// (DATA/server.json says where), or, when no server runs, by opening the data
// directory's one-member registry in this process (migrating older records first).
#pragma once

#include <memory>
#include <string>

#include "client/object_api.h"
#include "cluster/registry.h"

namespace ccow::cli {

struct OpenedRegistry {
  std::shared_ptr<Registry> registry;
  std::shared_ptr<void> keep;  // whatever the registry needs alive (store, Raft member)
};

Result<OpenedRegistry> OpenRegistry();

// DATA/server.json: where a running `ccow server` listens and its admin token.
std::string ServerInfoPath();

}  // namespace ccow::cli
