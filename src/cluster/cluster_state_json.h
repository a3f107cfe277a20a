// The cluster state as JSON for operators (`ccow system status --json`, `ccow cluster
// show`): membership, the FlexHash generation, the namespace registry and services. Kept
// apart from cluster_state.h so that the state machine itself has no JSON dependency.
#pragma once

#include <string>

#include "cluster/cluster_state.h"

namespace ccow {

std::string ClusterStateJson(const ClusterState& state);

}  // namespace ccow
