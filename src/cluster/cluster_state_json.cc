#include "cluster/cluster_state_json.h"

#include <nlohmann/json.hpp>

namespace ccow {

std::string ClusterStateJson(const ClusterState& state) {
  nlohmann::json j;
  j["flexhash_generation"] = state.flexhash_generation();
  j["commands_applied"] = state.commands_applied();
  j["targets"] = nlohmann::json::array();
  for (const auto& [name, t] : state.targets()) {
    nlohmann::json vdevs = nlohmann::json::array();
    for (const auto& v : t.vdevs)
      vdevs.push_back({{"id", v.id}, {"address", v.address}, {"capacity_bytes", v.capacity_bytes}});
    j["targets"].push_back({{"name", name}, {"zone", t.zone}, {"address", t.address},
                            {"state", TargetStateName(t.state)}, {"vdevs", vdevs}});
  }
  j["clusters"] = nlohmann::json::object();
  for (const auto& [segment, seg] : state.segments()) {
    nlohmann::json tenants = nlohmann::json::object();
    for (const auto& [tenant, ten] : seg.tenants) {
      nlohmann::json buckets = nlohmann::json::object();
      for (const auto& [bucket, p] : ten.buckets)
        buckets[bucket] = {{"chunk_size", p.chunk_size}, {"chunking", ChunkingModeName(p.chunking)},
                           {"hash", HashAlgoName(p.hash)}, {"erasure_code", p.erasure_code},
                           {"versioning", p.versioning}, {"quota_bytes", p.quota_bytes}};
      tenants[tenant] = {{"replication_count", ten.replication_count}, {"buckets", buckets}};
    }
    j["clusters"][segment] = {{"tenants", tenants}};
  }
  j["services"] = nlohmann::json::object();
  for (const auto& [name, s] : state.services()) j["services"][name] = {{"type", s.type}, {"serves", s.serves}};
  return j.dump();
}

}  // namespace ccow
