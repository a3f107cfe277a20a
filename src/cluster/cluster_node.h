// One member of the Raft group that replicates the cluster state (DESIGN.md §2 "cluster
// state"), as the target daemons run it: libraft over raft_uv (the log and snapshots in a
// directory on disk, TCP between members) on a libuv loop of its own thread. Every call
// here is thread-safe: it is handed to the loop thread, which alone touches libraft.
//
// 3 or 5 members vote; the others are standbys that replicate the log without counting
// towards a quorum, so every target holds the state and learns each change as it commits.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "core/status.h"

namespace ccow {

struct RaftMember {
  uint64_t id = 0;       // 1.., unique and never reused
  std::string address;   // HOST:PORT of its Raft TCP listener
  bool voter = true;     // false: a standby
};

struct ClusterNodeOptions {
  uint64_t id = 0;
  std::string address;
  std::string dir;  // the Raft log, metadata and snapshots; created if missing
  // The configuration written on the very first start (every member bootstraps the same
  // one); ignored once the directory holds Raft state.
  std::vector<RaftMember> members;
  unsigned election_timeout_ms = 1000;
  unsigned heartbeat_timeout_ms = 100;
  unsigned snapshot_threshold = 1024;  // entries between snapshots
  unsigned snapshot_trailing = 128;    // entries kept behind a snapshot
};

// What a member knows of the group (status output, tests).
struct RaftInfo {
  uint64_t id = 0;
  std::string role;  // "leader", "follower", "candidate", "unavailable"
  uint64_t leader_id = 0;  // 0: none known
  std::string leader_address;
  uint64_t term = 0, commit_index = 0, last_applied = 0;
};

// The voters of a group of n targets: all of them up to 3, then 3 for 4, 5 from 5 on
// (an odd number, so that a quorum survives the loss of one, or two, of them).
size_t VoterCount(size_t members);

class ClusterNode {
 public:
  // Opens (or bootstraps) the Raft state in options.dir and joins the group.
  static Result<std::unique_ptr<ClusterNode>> Start(const ClusterNodeOptions& options);
  virtual ~ClusterNode() = default;

  // Commits a command through this member, which must be the leader; otherwise
  // kUnavailable naming the leader it knows. Waits up to `timeout` for the commit; the
  // command's own outcome (name exists, not found, ...) is returned as it applied.
  virtual Status Propose(const ClusterCommand& command,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) = 0;
  // Adds a member to the Raft configuration (this member must lead): as a voter while
  // fewer than 5 vote, else as a standby. Adding a member that is there already is OK.
  virtual Status AddMember(uint64_t id, const std::string& address) = 0;
  virtual RaftInfo info() = 0;
  // A copy of the state as applied on this member.
  virtual ClusterState state() = 0;
  // The state as applied on this member, as an immutable snapshot that is replaced (not
  // changed) on every change: cheap enough to call per request. Never null.
  virtual std::shared_ptr<const ClusterState> current() = 0;
  // Waits until the state is newer than `after` (its commands_applied()) or the timeout
  // passes, and returns the current state either way: how watchers follow changes.
  virtual std::shared_ptr<const ClusterState> WaitNewer(uint64_t after, std::chrono::milliseconds timeout) = 0;
};

}  // namespace ccow
