// The configuration file of a target daemon (`ccow target --config FILE`), JSON:
//   {"server": "node1", "zone": "rack1", "transport": "udp", "multicast_base_port": 0,
//    "flexhash": "/path/flexhash-checkpoint.json", "metrics_listen": "127.0.0.1:0",
//    "vdevs": [{"id": "node1/vdev0", "path": "/data/node1/vdev0", "address": "10.0.0.1:7100"}]}
// Relative paths are taken from the directory of the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace ccow {

struct TargetVdevConfig {
  std::string id, path, address;
};

struct TargetConfig {
  std::string server, zone;
  std::string transport = "udp";
  uint16_t multicast_base_port = 0;
  std::string flexhash_path;
  std::string metrics_listen;  // empty: no HTTP endpoint
  std::vector<TargetVdevConfig> vdevs;

  static Result<TargetConfig> Load(const std::string& path);
  std::string ToJson() const;
};

}  // namespace ccow
