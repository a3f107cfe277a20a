// A cluster on the seeded simulated network for tests: N targets ("t0".."tN-1", one
// failure domain each) with M VDEVs each over MemoryChunkStores, and one client (an
// initiator, the cluster backend and the object API) on the simulation's one thread.
// Targets crash (losing memory, keeping their stores) and restart.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "client/cluster_backend.h"
#include "client/object_api.h"
#include "flexhash/flexhash.h"
#include "replicast/initiator.h"
#include "replicast/sim_network.h"
#include "target/memory_chunk_store.h"
#include "target/repair_queue.h"
#include "target/target.h"

namespace ccow::testing {

class SimCluster {
 public:
  // tune, when given, adjusts the client's object API options before it is built;
  // target_options are every target's (multicast and read repair are set here).
  // read_repair: the client's (off by default; run_inline when on: one thread).
  SimCluster(const replicast::SimOptions& net, int targets, int vdevs, uint32_t replicas = 3,
             bool multicast = false, const std::function<void(ApiOptions*)>& tune = {},
             const ClusterGcOptions& gc = {}, const TargetOptions& target_options = {},
             const ReadRepairOptions& read_repair = {})
      : net_(net), targets_(targets), vdevs_(vdevs), multicast_(multicast), target_options_(target_options) {
    std::vector<VdevInfo> infos;
    for (int t = 0; t < targets; ++t)
      for (int v = 0; v < vdevs; ++v) {
        std::string id = "t" + std::to_string(t) + "/vdev" + std::to_string(v);
        infos.push_back({id, "t" + std::to_string(t), "", 1ull << 40, 0,
                         "t" + std::to_string(t) + ":" + std::to_string(v)});
        stores_.push_back(std::make_unique<MemoryChunkStore>());
      }
    auto table = FlexHashTable::Build(infos, 1);
    EXPECT_TRUE(table.ok());
    flexhash_json_ = table->ToJson();
    running_.resize(targets);
    for (int t = 0; t < targets; ++t) repairs_.push_back(std::make_shared<RepairQueue>());
    for (int t = 0; t < targets; ++t) StartTarget(t);
    replicast::InitiatorOptions o;
    o.replication_count = replicas;
    o.multicast = multicast;
    o.multicast_base_port = multicast ? 7000 : 0;
    o.txid_seed = net_.Random() | 1;
    auto initiator = replicast::Initiator::Create(&net_, "client:0", flexhash_json_, o);
    EXPECT_TRUE(initiator.ok()) << initiator.status().ToString();
    initiator_ = initiator->get();
    ApiOptions api;
    api.parallel_io = false;  // one thread: the simulation's
    api.clock = [this] { return net_.NowNs(); };
    api.default_policy.chunk_size = 16 << 10;
    api.default_policy.single_chunk_max = 32 << 10;
    if (tune) tune(&api);
    api_ = std::make_unique<ObjectApi>(NewClusterBackend(std::move(*initiator), nullptr, gc, read_repair), api);
  }

  void StartTarget(int t) {
    std::vector<TargetVdev> vdevs;
    for (int v = 0; v < vdevs_; ++v)
      vdevs.push_back({"t" + std::to_string(t) + "/vdev" + std::to_string(v),
                       "t" + std::to_string(t) + ":" + std::to_string(v),
                       stores_[t * vdevs_ + v].get()});
    TargetOptions o = target_options_;
    o.multicast_base_port = multicast_ ? 7000 : 0;
    o.on_corrupt_read = [q = repairs_[t]](const std::string& vdev, const HashId& chid) { q->Push(vdev, chid); };
    auto target = Target::Start(&net_, flexhash_json_, vdevs, o);
    ASSERT_TRUE(target.ok()) << target.status().ToString();
    running_[t] = std::move(*target);
    net_.Restart("t" + std::to_string(t));
  }
  // A crash loses the target's memory (bids, partial trains, GC pins) and what its
  // VDEVs had not synced, as a power cut does; the rest of its disks stays.
  void CrashTarget(int t) {
    net_.Crash("t" + std::to_string(t));
    running_[t].reset();
    for (int v = 0; v < vdevs_; ++v) stores_[t * vdevs_ + v]->LoseUnsynced();
  }
  bool running(int t) const { return running_[t] != nullptr; }

  replicast::SimNetwork& net() { return net_; }
  ObjectApi& api() { return *api_; }
  replicast::Initiator& initiator() { return *initiator_; }
  Target& target(int t) { return *running_[t]; }
  MemoryChunkStore& store(int t, int v) { return *stores_[t * vdevs_ + v]; }
  // The bad copies gets met on target t's VDEVs (read repair), as its daemon queues them.
  std::shared_ptr<RepairQueue> repairs(int t) { return repairs_[t]; }
  int targets() const { return targets_; }
  int vdevs() const { return vdevs_; }
  const std::string& flexhash_json() const { return flexhash_json_; }

 private:
  replicast::SimNetwork net_;
  int targets_, vdevs_;
  bool multicast_;
  TargetOptions target_options_;
  std::vector<std::unique_ptr<MemoryChunkStore>> stores_;
  std::vector<std::unique_ptr<Target>> running_;
  std::vector<std::shared_ptr<RepairQueue>> repairs_;
  std::string flexhash_json_;
  replicast::Initiator* initiator_ = nullptr;
  std::unique_ptr<ObjectApi> api_;
};

inline std::string Payload(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

inline Result<ObjectInfo> PutString(ObjectApi& api, const std::string& name, const std::string& data,
                                    PutOptions options = {}) {
  StringSource src(data);
  return api.Put(name, src, options);
}

inline Result<std::string> GetString(ObjectApi& api, const std::string& name, VersionSelector which = {}) {
  StringSink sink;
  CCOW_RETURN_IF_ERROR(api.Get(name, which, std::nullopt, sink));
  return sink.data();
}

}  // namespace ccow::testing
