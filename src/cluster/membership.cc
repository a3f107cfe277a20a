#include "cluster/membership.h"

#include <algorithm>

#include "flexhash/flexhash.h"

namespace ccow {

Result<std::string> NextFlexHashJson(const ClusterState& state) {
  if (state.flexhash_json().empty())
    return Status::InvalidArgument("the cluster has no FlexHash yet: run `ccow system init`");
  CCOW_ASSIGN_OR_RETURN(FlexHashTable current, FlexHashTable::FromJson(state.flexhash_json()));
  std::vector<VdevInfo> vdevs;
  for (const auto& [name, target] : state.targets()) {
    if (target.state == TargetState::kDead) continue;
    for (VdevInfo v : target.vdevs) {
      v.server = name;  // a target is its own server failure domain
      v.zone = target.zone;
      vdevs.push_back(std::move(v));
    }
  }
  if (vdevs.empty()) return Status::Unavailable("no target is alive: no FlexHash can be built");
  FlexHashOptions options = current.options();
  // A table whose rows hold every VDEV was clamped by a small membership: let it grow
  // back to the sizing rule's width rather than stay at the smaller one.
  if (options.vdevs_per_row >= current.vdevs().size())
    options.vdevs_per_row = std::max<uint32_t>(options.vdevs_per_row, DefaultVdevsPerRow(vdevs.size()));
  // And rows keep spanning every failure domain (up to 12) as domains join: erasure-coded
  // stripes stay placeable (MinRowWidth).
  options.vdevs_per_row = std::max(options.vdevs_per_row, MinRowWidth(vdevs, options.failure_domain));
  CCOW_ASSIGN_OR_RETURN(FlexHashTable next, FlexHashTable::Build(std::move(vdevs), state.flexhash_generation() + 1, options));
  return next.ToJson();
}

void FailureDetector::Reset(uint64_t now_ns) {
  reset_ns_ = now_ns;
  seen_.clear();
  first_judged_.clear();
}

void FailureDetector::Heard(const std::string& target, uint64_t now_ns) {
  Seen& s = seen_[target];
  if (s.last == 0 || now_ns - s.last > 3 * options_.heartbeat_ns) s.streak_start = now_ns;
  s.last = now_ns;
}

uint64_t FailureDetector::SilenceOf(const std::string& target, uint64_t now_ns) const {
  auto it = seen_.find(target);
  uint64_t last = it == seen_.end() ? reset_ns_ : std::max(it->second.last, reset_ns_);
  auto first = first_judged_.find(target);
  if (first != first_judged_.end()) last = std::max(last, first->second);
  return now_ns > last ? now_ns - last : 0;
}

std::vector<command::SetTargetState> FailureDetector::Decide(const ClusterState& state, uint64_t now_ns) {
  std::vector<command::SetTargetState> changes;
  for (const auto& [name, target] : state.targets()) {
    first_judged_.emplace(name, now_ns);  // a target that just joined gets a whole timeout
    uint64_t silence = SilenceOf(name, now_ns);
    if (target.state != TargetState::kDead) {
      if (silence > options_.dead_after_ns) changes.push_back({name, TargetState::kDead});
      continue;
    }
    auto it = seen_.find(name);
    if (it == seen_.end() || silence > 3 * options_.heartbeat_ns) continue;
    if (now_ns - it->second.streak_start >= options_.alive_after_ns)
      changes.push_back({name, TargetState::kAlive});
  }
  return changes;
}

}  // namespace ccow
