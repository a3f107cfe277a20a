// `ccow cluster up --from DATA`: a single node grows into a cluster. The data directory's
// VDEV (its chunks and version lists) becomes the first VDEV of the first target, moved by
// a rename, not copied through S3; its registry (tenants, buckets with their settings, key
// pairs, services) is replayed into the cluster's Raft state; the healers then spread the
// chunks to their FlexHash rows in the background while every object stays readable with
// the same keys.
#pragma once

#include <string>

#include "cluster/cluster_state.h"
#include "core/status.h"

namespace ccow::cli {

// Reads the registry of a stopped single-node data directory and checks that it can be
// adopted (no server holds it). kBusy while a server runs on it.
Result<ClusterState> ReadSingleNodeRegistry(const std::string& data_dir);

// Moves DATA/vdev0 to vdev_path (the same file system: a rename) and leaves a note in
// DATA saying where it went, so the directory is not served twice.
Status AdoptVdev(const std::string& data_dir, const std::string& vdev_path, const std::string& cluster_dir);

// The commands that rebuild the registry part of `state` (segments, tenants, buckets with
// every setting, users, services) in another cluster state.
std::vector<ClusterCommand> RegistryCommands(const ClusterState& state);

}  // namespace ccow::cli
