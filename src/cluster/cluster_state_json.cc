#include "cluster/cluster_state_json.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "model/version_signature.h"

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
      // "erasure_code" is the bucket's own setting ("" inherits, "none" opts out);
      // "erasure_code_in_force" what its versions get (ClusterState::ErasureCodeOf).
      for (const auto& [bucket, p] : ten.buckets)
        buckets[bucket] = {{"chunk_size", p.chunk_size}, {"chunking", ChunkingModeName(p.chunking)},
                           {"hash", HashAlgoName(p.hash)}, {"replication_count", p.replication_count},
                           {"erasure_code", p.erasure_code},
                           {"erasure_code_in_force", state.ErasureCodeOf(segment + "/" + tenant + "/" + bucket)},
                           {"versioning", VersioningName(p.versioning)},
                           {"quota_bytes", p.quota_bytes}, {"retention_ns", p.retention_ns},
                           {"created_ns", p.created_ns}, {"location", p.location}, {"tags", p.tags},
                           {"cors", !p.cors_xml.empty()}, {"lifecycle", !p.lifecycle_xml.empty()},
                           {"object_lock", p.object_lock.enabled}, {"default_encryption", !p.encryption_xml.empty()},
                           {"access_logging", !p.logging_xml.empty()}, {"file_volume", p.file_volume},
                           {"revision", p.revision}};
      tenants[tenant] = {{"replication_count", ten.replication_count}, {"retention_ns", ten.retention_ns},
                         {"erasure_code", ten.erasure_code}, {"revision", ten.revision}, {"buckets", buckets}};
    }
    j["clusters"][segment] = {{"tenants", tenants}};
  }
  // Key pairs without their secrets: status output travels and gets pasted.
  j["users"] = nlohmann::json::array();
  for (const auto& [key, u] : state.users())
    j["users"].push_back({{"access_key", key}, {"cluster", u.segment}, {"tenant", u.tenant}, {"created_ns", u.created_ns}});
  j["services"] = nlohmann::json::object();
  for (const auto& [name, s] : state.services()) {
    nlohmann::json config = nlohmann::json::object();
    for (const auto& key : ServiceSettingNames()) config[key] = ServiceSettingText(s.config, key);
    config["chunk-cache-size"] = s.config.chunk_cache_bytes;
    config["batch_interval_ns"] = s.config.batch_interval_ns;
    j["services"][name] = {{"type", s.type}, {"serves", s.serves}, {"config", config}, {"revision", s.revision}};
  }
  // As in S3 version ids of this segment's versions (VersionRef::ToString); "" when none.
  char site[16] = "";
  if (state.site_id()) std::snprintf(site, sizeof site, "%08x", state.site_id());
  j["site_id"] = site;
  // The public half of the signing key, as another site's trusted-keys setting takes it.
  j["site_key"] = state.site_key_seed().empty() ? "" : SiteKeyText(state.site_id(), SitePublicKey(state.site_key_seed()));
  return j.dump();
}

}  // namespace ccow
