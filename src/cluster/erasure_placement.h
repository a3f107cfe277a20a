// Whether the cluster can place the stripes of an erasure-code policy: each of a stripe's
// K + M fragments needs a failure domain of its own (client/stripe_placement.h), and the
// FlexHash in force says which domains exist. `ccow bucket|tenant create|update` refuse a
// policy this refuses, so that a bucket never holds versions its encoder cannot place.
#pragma once

#include <string>

#include "cluster/cluster_state.h"
#include "core/status.h"

namespace ccow {

// OK for "" and "none" (no erasure coding); kInvalidArgument for an invalid policy, or one
// wider than the failure domains of `state`'s FlexHash (one node: one domain), saying how
// many it needs and how many there are.
Status CheckErasurePlacement(const ClusterState& state, const std::string& erasure_code);

}  // namespace ccow
