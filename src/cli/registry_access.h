// How a `ccow` command reaches the registry of record: on a cluster (--cluster DIR) through
// the members' admin API; on one node through the running server's admin API
// (DATA/server.json says where), or, when no server runs, by opening the data
// directory's one-member registry in this process (migrating older records first).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
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

// The registry of a command's API, opened when it is first needed (most commands never
// need it). `*api` is the API it serves, set once that is open. Thread-safe; the first
// attempt's outcome is kept.
class LazyRegistry {
 public:
  explicit LazyRegistry(std::shared_ptr<ObjectApi*> api) : api_(std::move(api)) {}
  // The registry, or why it did not open; kBusy when asked again while opening (the
  // opening itself writes through the API).
  Result<std::shared_ptr<Registry>> Get();
  // The registry if it is open already, else null (never opens it).
  std::shared_ptr<Registry> IfOpen();

 private:
  // Recursive: opening the registry may write through the API, whose writes ask again on
  // the same thread (and are answered kUnavailable meanwhile).
  std::recursive_mutex mu_;
  std::shared_ptr<ObjectApi*> api_;
  bool opening_ = false;
  std::optional<Result<OpenedRegistry>> opened_;
};

// For ApiOptions::keys of a command's API: opens SSE-S3 versions with the registry's
// master key ring.
KeyResolver LazyMasterKeys(std::shared_ptr<LazyRegistry> registry);
// For ApiOptions::trlog_records of a command's API: whether a link sends the bucket's
// changes (ClusterState::TrlogRecords). A registry that does not open records nothing,
// with a warning: the link's next whole-bucket comparison finds the change.
std::function<bool(const std::string&)> LazyTrlogRecords(std::shared_ptr<LazyRegistry> registry);
// For ApiOptions::site_id: the registry's site id once something else opened it (0 until
// then, or while it has none). Never opens it: a write to a bucket a link serves opens it
// first (LazyTrlogRecords), and one to a bucket no link serves cannot meet a version of
// another segment; opening the registry of a data directory of an older release migrates
// its records, which must not happen in the middle of writing one.
std::function<uint32_t()> LazySiteId(std::shared_ptr<LazyRegistry> registry);
// For ApiOptions::site_key_seed, the same way: versions are signed once the registry is open.
std::function<std::string()> LazySiteKeySeed(std::shared_ptr<LazyRegistry> registry);

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
