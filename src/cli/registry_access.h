// How a `ccow` command reaches the registry of record: on a cluster (--cluster DIR) through
// the members' admin API; on one node through the running server's admin API
// (DATA/server.json says where), or, when no server runs, by opening the data
// directory's one-member registry in this process (migrating older records first).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "client/object_api.h"
#include "cluster/registry.h"

namespace ccow::cli {

struct OpenedRegistry {
  std::shared_ptr<Registry> registry;
  std::shared_ptr<void> keep;  // whatever the registry needs alive (store, Raft member)
};

// `local`, when given, is the command's own API on the data directory (which only one
// process may open): the one-member registry is opened on it instead of a second one.
Result<OpenedRegistry> OpenRegistry(ObjectApi* local = nullptr);

// For ApiOptions::keys of a command's API: opens SSE-S3 versions with the registry's
// master key ring, the registry opened at the first such version (most commands never
// meet one). `*api` is the API the resolver serves, set once it is open. Thread-safe.
KeyResolver LazyMasterKeys(std::shared_ptr<ObjectApi*> api);

// DATA/server.json: where a running `ccow server` listens and its admin token.
std::string ServerInfoPath();

// "A/B/C" -> its parts; kInvalidArgument ("not of the form `form`") unless exactly n
// non-empty parts.
Result<std::vector<std::string>> SplitPath(const std::string& path, size_t n, const char* form);
// Prints what was done (as {"ok":true,"done":...} with --json); returns exit code 0.
int PrintDone(const std::string& what);
// Proposes a command to the registry of record (OpenRegistry) and prints `what` once it
// is committed, or the state machine's refusal; returns the exit code.
int CommitCommand(const ClusterCommand& command, const std::string& what);

}  // namespace ccow::cli
