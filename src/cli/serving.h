// What the serving processes share (`ccow server`, `ccow gateway s3`, `ccow isgw`): the
// object API and registry they serve, the link ends of the Inter-Segment Gateway services
// they run (with their flags, admin calls and the file through which the CLI finds them),
// and small helpers of listening daemons.
//
// Threads: OpenServing and StartLinkEnds on the main thread before serving; the admin and
// metrics callbacks from the admin endpoint's connection threads.
#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/fetching_backend.h"
#include "client/object_api.h"
#include "cluster/registry.h"
#include "core/status.h"
#include "daemon/admin_api.h"
#include "daemon/node_registry.h"
#include "isgw/link_endpoint.h"

namespace CLI {
class App;
}
namespace ccow::replicast {
class Initiator;
}
namespace ccow::fs {
struct SharedVolume;
class VolumeHost;
}
namespace ccow::nfs {
class NfsGateway;
}

namespace ccow::cli {

// The registry and the object API a server or gateway serves: on one node the data
// directory's one-member registry (older records migrated into it first); on a cluster
// the members' registry, followed by push, which also brings every new FlexHash
// generation to the initiator.
struct Serving {
  std::shared_ptr<ObjectApi> api;
  std::shared_ptr<Registry> registry;
  // What the object API's bucket_retention and trlog_records read the registry through (set once it is
  // open, cleared before it closes).
  std::shared_ptr<std::atomic<Registry*>> retention_registry = std::make_shared<std::atomic<Registry*>>(nullptr);
  daemon::ServerRegistry local;  // one node: the Raft member
  std::shared_ptr<std::atomic<replicast::Initiator*>> initiator = std::make_shared<std::atomic<replicast::Initiator*>>();
  // An ISGW link end's reads of chunks this segment lacks (a metadata-only link): the
  // object API's backend, when the process runs a link.
  std::shared_ptr<FetchingBackend> on_demand;

  ~Serving();
};

// Opens what a serving process serves: the data directory, or the cluster of --cluster.
// isgw_services: the link ends it will run (their on-demand reads need a chunk cache,
// CLUSTER/isgw-cache/SERVICE-cache_tag on a cluster, where several processes may run).
// kInvalidArgument for a bad service name or CCOW_CLOCK_OFFSET; what opening answers.
Result<std::unique_ptr<Serving>> OpenServing(uint64_t retention_ns, const std::vector<std::string>& isgw_services,
                                             const std::string& cache_tag);

// The flags of a process's link ends. `ccow server` and `ccow gateway s3` spell them
// --isgw, --isgw-listen, --isgw-tls-cert...; `ccow isgw` --service, --listen, --tls-cert...
struct IsgwFlags {
  std::vector<std::string> services;
  std::string listen, token;
  std::string tls_cert, tls_key, tls_ca;
};
void AddIsgwFlags(CLI::App* cmd, IsgwFlags* flags, bool standalone);

// Starts the link ends of flags (null when it names no service; kInvalidArgument for a
// listen address without one) and, on a cluster, lets the CLI find them (RegisterLinkEnds).
Result<std::unique_ptr<isgw::LinkEndpoint>> StartLinkEnds(const IsgwFlags& flags, Serving& serving);

// The flags of an NFS export (gateway/nfs/nfs_gateway.h). `ccow gateway nfs` spells them
// --export, --listen, --allow, --read-only...; `ccow server` and `ccow gateway s3`
// --nfs-export, --nfs-listen, --nfs-allow, --nfs-read-only...
struct NfsFlags {
  std::string bucket, listen = "127.0.0.1:2049", allow, checkpoint_interval = "10s";
  bool read_only = false, no_root_squash = false, all_squash = false, async = false;
  uint32_t anon_uid = 65534, anon_gid = 65534;
};
void AddNfsFlags(CLI::App* cmd, NfsFlags* flags, bool standalone);

// An export served: its volume and the gateway serving it (Stop before the object API goes).
struct NfsExport {
  std::shared_ptr<fs::SharedVolume> volume;
  std::unique_ptr<nfs::NfsGateway> gateway;
  std::string banner;  // what it serves, where, and a client command to try
  ~NfsExport();
};
// The export flags name, served on api (null when they name none), its volume opened by
// the process's host (which shares it with the process's other gateways and makes the
// bucket a file volume: fs/volume_host.h). kInvalidArgument for a bad flag, what opening
// the volume or listening answers.
Result<std::unique_ptr<NfsExport>> StartNfsExport(const NfsFlags& flags, ObjectApi& api, fs::VolumeHost& volumes);

// GET /admin/isgw[?service=NAME] (the link's status) and GET /admin/isgw/verify (both
// sites compared), or nullopt for another call.
std::optional<daemon::AdminReply> LinkEndsAdmin(isgw::LinkEndpoint* ends, const std::string& method,
                                                const std::string& path, const http::ParsedTarget& target);
// The banner's lines of the link ends ("  isgw     service NAME, receiving on ...").
std::string LinkEndsBanner(const isgw::LinkEndpoint& ends, const std::string& listen_host);

// On a cluster one process runs a service's link end: CLUSTER/isgw/SERVICE.lock, held
// (flock) for the process's life, refuses a second (kBusy naming the service). Nothing on
// one node (the data directory is the server's alone already). Call before StartLinkEnds.
class LinkEndLocks {
 public:
  static Result<std::unique_ptr<LinkEndLocks>> Take(const std::vector<std::string>& services);
  ~LinkEndLocks();

 private:
  std::vector<int> fds_;
};

// On a cluster the CLI finds the process running a service's link end through
// CLUSTER/isgw/SERVICE.json (its pid, admin address and token, readable by the owner
// only): `service show -s` and `service verify` call it. Unregister removes only the
// files that still name this process.
Status RegisterLinkEnds(const isgw::LinkEndpoint& ends, const std::string& admin_host, uint16_t admin_port,
                        const std::string& admin_token);
void UnregisterLinkEnds(const isgw::LinkEndpoint& ends);
// A GET admin call on the process registered for `service` on the cluster: kNotFound
// when none is (or it died); wait_ns: how long the call may take beyond the usual.
Result<nlohmann::json> CallLinkEndAdmin(const std::string& service, const std::string& target, uint64_t wait_ns);

// The Prometheus text of the backend's VDEV and read repair counters.
std::string MetricsText(Backend& backend);
Result<std::pair<std::string, uint16_t>> ParseHostPort(const std::string& text);
std::string RandomToken();  // 32 hex digits
// Allocator settings for processes that move chunk-sized buffers (see the .cc).
void TuneAllocatorForServing();

}  // namespace ccow::cli
