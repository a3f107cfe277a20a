#include "target/target_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace ccow {

Result<TargetConfig> TargetConfig::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("target configuration " + path + " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::InvalidArgument(path + " is not a JSON object");
  std::filesystem::path base = std::filesystem::path(path).parent_path();
  auto resolve = [&](const std::string& p) {
    return std::filesystem::path(p).is_absolute() || base.empty() ? p : (base / p).string();
  };
  TargetConfig c;
  try {
    c.server = j.at("server").get<std::string>();
    c.zone = j.value("zone", "");
    c.transport = j.value("transport", "udp");
    c.multicast_base_port = j.value("multicast_base_port", 0);
    c.flexhash_path = resolve(j.at("flexhash").get<std::string>());
    c.metrics_listen = j.value("metrics_listen", "");
    for (const auto& v : j.at("vdevs"))
      c.vdevs.push_back({v.at("id").get<std::string>(), resolve(v.at("path").get<std::string>()),
                         v.at("address").get<std::string>()});
    c.replication_count = j.value("replication_count", 3u);
    c.heal_rate_mb = j.value("heal_rate_mb", uint64_t{100});
    c.heal_interval_s = j.value("heal_interval_s", uint64_t{600});
    c.scrub_rate_mb = j.value("scrub_rate_mb", c.scrub_rate_mb);
    c.scrub_interval_s = j.value("scrub_interval_s", c.scrub_interval_s);
    c.dead_timeout_ms = j.value("dead_timeout_ms", uint64_t{5000});
    c.admin_token = j.value("admin_token", "");
    c.gc_interval_s = j.value("gc_interval_s", c.gc_interval_s);
    c.gc_fence_grace_s = j.value("gc_fence_grace_s", c.gc_fence_grace_s);
    c.quarantine_retention_s = j.value("quarantine_retention_s", c.quarantine_retention_s);
    if (std::string scratch = j.value("gc_scratch_dir", ""); !scratch.empty()) c.gc_scratch_dir = resolve(scratch);
    c.gc_rate_mb = j.value("gc_rate_mb", c.gc_rate_mb);
    c.ec_interval_s = j.value("ec_interval_s", c.ec_interval_s);
    c.ec_rest_age_s = j.value("ec_rest_age_s", c.ec_rest_age_s);
    c.ec_min_object_bytes = j.value("ec_min_object_bytes", c.ec_min_object_bytes);
    if (j.contains("raft")) {
      const auto& r = j.at("raft");
      c.raft_id = r.at("id").get<uint64_t>();
      c.raft_address = r.at("address").get<std::string>();
      c.raft_dir = resolve(r.value("dir", "raft"));
      for (const auto& m : r.value("members", nlohmann::json::array()))
        c.raft_members.push_back({m.at("id").get<uint64_t>(), m.at("address").get<std::string>(),
                                  m.value("voter", true)});
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
  if (c.vdevs.empty()) return Status::InvalidArgument(path + ": a target needs at least one VDEV");
  return c;
}

std::string TargetConfig::ToJson() const {
  nlohmann::json j;
  j["server"] = server;
  j["zone"] = zone;
  j["transport"] = transport;
  j["multicast_base_port"] = multicast_base_port;
  j["flexhash"] = flexhash_path;
  j["metrics_listen"] = metrics_listen;
  j["vdevs"] = nlohmann::json::array();
  for (const auto& v : vdevs) j["vdevs"].push_back({{"id", v.id}, {"path", v.path}, {"address", v.address}});
  j["replication_count"] = replication_count;
  j["heal_rate_mb"] = heal_rate_mb;
  j["heal_interval_s"] = heal_interval_s;
  j["scrub_rate_mb"] = scrub_rate_mb;
  j["scrub_interval_s"] = scrub_interval_s;
  j["dead_timeout_ms"] = dead_timeout_ms;
  j["admin_token"] = admin_token;
  j["gc_interval_s"] = gc_interval_s;
  j["gc_fence_grace_s"] = gc_fence_grace_s;
  j["quarantine_retention_s"] = quarantine_retention_s;
  if (!gc_scratch_dir.empty()) j["gc_scratch_dir"] = gc_scratch_dir;
  j["gc_rate_mb"] = gc_rate_mb;
  j["ec_interval_s"] = ec_interval_s;
  j["ec_rest_age_s"] = ec_rest_age_s;
  j["ec_min_object_bytes"] = ec_min_object_bytes;
  if (raft_id != 0) {
    nlohmann::json members = nlohmann::json::array();
    for (const auto& m : raft_members) members.push_back({{"id", m.id}, {"address", m.address}, {"voter", m.voter}});
    j["raft"] = {{"id", raft_id}, {"address", raft_address}, {"dir", raft_dir}, {"members", members}};
  }
  return j.dump(2);
}

}  // namespace ccow
