// The configuration file of a target daemon (`ccow target --config FILE`), JSON:
//   {"server": "node1", "zone": "rack1", "transport": "udp", "multicast_base_port": 0,
//    "flexhash": "/path/flexhash-checkpoint.json", "metrics_listen": "127.0.0.1:0",
//    "vdevs": [{"id": "node1/vdev0", "path": "/data/node1/vdev0", "address": "10.0.0.1:7100"}],
//    "replication_count": 3, "heal_rate_mb": 100, "scrub_rate_mb": 25,
//    "scrub_interval_s": 604800, "dead_timeout_ms": 5000, "admin_token": "...",
//    "gc_interval_s": 3600, "gc_fence_grace_s": 300, "quarantine_retention_s": 604800, "gc_rate_mb": 16,
//    "gc_scratch_dir": "/data/node1/gc", "ec_interval_s": 3600, "ec_rest_age_s": 3600,
//    "ec_min_object_bytes": 4194304,
//    "raft": {"id": 1, "address": "10.0.0.1:7200", "dir": "raft",
//             "members": [{"id": 1, "address": "10.0.0.1:7200", "voter": true}, ...]}}
// "raft" makes the daemon a member of the Raft group that replicates the cluster state;
// "members" is the configuration every initial member bootstraps with (a target that
// joins later has none: the leader adds it).
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
  uint32_t replication_count = 3;
  uint64_t heal_rate_mb = 100;  // MB/s of repair traffic
  uint64_t heal_interval_s = 600;
  // The scrubber (target/scrubber.h): verify reads at this rate (0: unlimited), a pass
  // every interval (0: only `ccow system scrub --now`).
  uint64_t scrub_rate_mb = 25;
  uint64_t scrub_interval_s = 7 * 24 * 3600;
  uint64_t dead_timeout_ms = 5000;
  // Cluster garbage collection (daemon/cluster_gc.h), driven by the Raft leader: a pass
  // every interval (0: only `ccow system gc --now`); the grace a write under way has
  // before the fence; how long deleted versions stay restorable unless their bucket or
  // tenant says otherwise; where the pass keeps its marks (empty: in memory).
  uint64_t gc_interval_s = 3600;
  uint64_t gc_fence_grace_s = 300;
  uint64_t quarantine_retention_s = 7 * 24 * 3600;
  std::string gc_scratch_dir;
  // MB/s of live data each VDEV's compaction after a sweep rewrites at most (0:
  // unlimited): unpaced, it takes the disk from the puts (bench/background_jobs_bench.sh).
  uint64_t gc_rate_mb = 16;
  // Erasure coding at rest (daemon/ec_service.h), driven by the Raft leader: a pass every
  // interval (0: only `ccow system ec --now`) encodes versions of buckets with an
  // erasure-code policy unchanged for rest_age and of at least min_object_bytes.
  uint64_t ec_interval_s = 3600;
  uint64_t ec_rest_age_s = 3600;
  uint64_t ec_min_object_bytes = 4ull << 20;
  std::string admin_token;  // required in the Authorization header of /admin/ calls
  struct RaftMemberConfig {
    uint64_t id = 0;
    std::string address;
    bool voter = true;
  };
  uint64_t raft_id = 0;  // 0: not a Raft member (the cluster state is then the static file)
  std::string raft_address, raft_dir;
  std::vector<RaftMemberConfig> raft_members;

  static Result<TargetConfig> Load(const std::string& path);
  std::string ToJson() const;
};

}  // namespace ccow
