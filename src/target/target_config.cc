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
  return j.dump(2);
}

}  // namespace ccow
