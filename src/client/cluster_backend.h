// The object API's backend on a cluster (`--cluster DIR` or CCOW_CLUSTER): chunks and
// version lists travel through a Replicast initiator to the target daemons that FlexHash
// names. Nothing above the Backend interface changes.
#pragma once

#include <functional>
#include <memory>
#include <vector>
#include <string>

#include "client/backend.h"
#include "client/cluster_collection.h"
#include "client/read_repair.h"
#include "core/status.h"

namespace ccow {

namespace replicast {
class Initiator;
class Network;
}  // namespace replicast

// DIR/cluster.json as `ccow cluster up` writes it, with DIR/flexhash-checkpoint.json: the
// one loader of that file (the backend, the admin client and the gateways all read it here).
struct ClusterFile {
  struct Member {
    std::string name;
    std::string admin_address;  // HOST:PORT of its admin API (/admin/..., /metrics)
  };
  std::string dir;
  std::string transport = "udp";  // udp, multicast or tcp
  uint32_t replication_count = 3;
  uint16_t multicast_base_port = 0;
  std::string select_policy = "queue-latency";
  std::string flexhash_json;
  std::string admin_token;  // of every member's admin API
  std::vector<Member> targets;
  std::vector<std::string> AdminAddresses() const;
  static Result<ClusterFile> Load(const std::string& dir);
};

// The backend over an initiator; network, when given, is owned and outlives it. gc: how
// its collection() runs a garbage collection pass. read_repair: what it does with the
// stripes its degraded reads rebuilt from (client/read_repair.h; default: nothing, the
// erasure encoder's next check repairs them).
std::unique_ptr<Backend> NewClusterBackend(std::unique_ptr<replicast::Initiator> initiator,
                                           std::unique_ptr<replicast::Network> network = nullptr,
                                           const ClusterGcOptions& gc = {},
                                           const ReadRepairOptions& read_repair = {});

// Joins the cluster a cluster file describes: its transport, its FlexHash (refreshed from
// a target), R. `initiator`, when given, receives the backend's initiator (for its
// statistics; the backend owns it).
// flexhash_source, when given, is where the initiator takes FlexHash tables from (the
// registry of record) instead of the checkpoint file and the targets.
// gc: how its collection() runs a garbage collection pass. Read repair is on.
Result<std::unique_ptr<Backend>> OpenClusterBackend(const ClusterFile& file,
                                                    replicast::Initiator** initiator = nullptr,
                                                    std::function<Result<std::string>()> flexhash_source = {},
                                                    const ClusterGcOptions& gc = {});

}  // namespace ccow
