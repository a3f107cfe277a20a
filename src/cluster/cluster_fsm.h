// The cluster state as libraft's finite state machine: a Raft log entry is one encoded
// command (cluster_state.h), a Raft snapshot is the state's canonical snapshot. The same
// binding serves the target daemons (raft_uv: disk log, TCP) and the tests (libraft's
// deterministic fixture with partitions and crashes).
#pragma once

#include <functional>
#include <string>

#include "cluster/cluster_state.h"
#include "core/status.h"

struct raft_fsm;
struct raft;

namespace ccow {

class ClusterFsm {
 public:
  ClusterFsm();
  ~ClusterFsm();
  ClusterFsm(const ClusterFsm&) = delete;
  ClusterFsm& operator=(const ClusterFsm&) = delete;

  raft_fsm* fsm() { return fsm_; }
  const ClusterState& state() const { return state_; }
  // Called after each committed entry is applied (the command and its outcome: a command
  // that fails validation is applied as a no-op on every replica alike).
  void OnApplied(std::function<void(const ClusterCommand&, const Status&)> fn) { on_applied_ = std::move(fn); }
  // Called whenever the state changed: a command applied successfully, or a snapshot
  // installed. Runs on the thread that drives libraft.
  void OnChanged(std::function<void()> fn) { on_changed_ = std::move(fn); }
  // The outcome of the entry applied last (libraft hands it to the leader's callback).
  const Status& last_status() const { return last_status_; }

 private:
  static int Apply(raft_fsm* fsm, const void* bytes, size_t len, void** result);
  friend struct FsmCallbacks;

  raft_fsm* fsm_;
  ClusterState state_;
  Status last_status_;
  std::function<void(const ClusterCommand&, const Status&)> on_applied_;
  std::function<void()> on_changed_;
};

// Proposes a command on r (which must be the leader). done runs once the entry is
// committed and applied, with its outcome, or with the reason it was not (not the
// leader any more, shutting down).
Status ProposeCommand(raft* r, const ClusterCommand& command, std::function<void(const Status&)> done);

}  // namespace ccow
