// Membership decisions the Raft leader takes (issue 5): which targets are dead or back,
// judged from heartbeats, and the FlexHash generation that follows a membership change.
// Pure logic over the cluster state and a clock, so that tests drive it with virtual time;
// the target daemon feeds it heartbeats and proposes what it decides.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "core/status.h"

namespace ccow {

// The FlexHash checkpoint of the next generation: the VDEVs of every target that is not
// dead, with the current table's rows, VDEVs per row and failure domain (so that only the
// rows where a VDEV joins or leaves change). kInvalidArgument when the state has no table.
Result<std::string> NextFlexHashJson(const ClusterState& state);

struct FailureDetectorOptions {
  uint64_t dead_after_ns = 5'000'000'000;   // an alive target unheard this long is dead
  uint64_t alive_after_ns = 2'000'000'000;  // a dead target heard steadily this long is back
  uint64_t heartbeat_ns = 500'000'000;      // heartbeats are expected this often
};

class FailureDetector {
 public:
  explicit FailureDetector(FailureDetectorOptions options = {}) : options_(options) {}

  // Starts judging afresh (a member that just became the leader): every target counts as
  // heard now, so that nobody is declared dead before a whole timeout passes.
  void Reset(uint64_t now_ns);
  // A heartbeat answer from a target.
  void Heard(const std::string& target, uint64_t now_ns);
  // The state changes due now: alive or read-only targets unheard for dead_after become
  // dead; dead targets heard without a gap for alive_after become alive.
  std::vector<command::SetTargetState> Decide(const ClusterState& state, uint64_t now_ns);
  // Nanoseconds since a target was last heard (0 if never tracked).
  uint64_t SilenceOf(const std::string& target, uint64_t now_ns) const;

 private:
  struct Seen {
    uint64_t last = 0;          // last heartbeat answer
    uint64_t streak_start = 0;  // first answer after the last gap
  };
  FailureDetectorOptions options_;
  uint64_t reset_ns_ = 0;
  std::map<std::string, Seen> seen_;
  std::map<std::string, uint64_t> first_judged_;  // when Decide first saw each target
};

}  // namespace ccow
