// What `ccow server`, `ccow gateway s3` and `ccow isgw` share (cli/serving.h).
#include "cli/serving.h"

#include <malloc.h>
#include <openssl/rand.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <spdlog/spdlog.h>

#include "cli/cli_common.h"
#include "client/chunk_cache.h"
#include "client/cluster_backend.h"
#include "cluster/master_keys.h"
#include "core/atomic_file.h"
#include "core/config.h"
#include "core/hash.h"
#include "daemon/migration.h"
#include "daemon/remote_registry.h"
#include "fs/volume_host.h"
#include "fs/volume.h"
#include "gateway/nfs/nfs_gateway.h"
#include "gateway/s3/user_registry.h"
#include "http/http_client.h"
#include "replicast/initiator.h"

namespace ccow::cli {

std::string MetricsText(Backend& backend) {
  StoreCapacity cap = backend.Capacity();
  StoreStats st = backend.Stats();
  std::ostringstream os;
  auto gauge = [&](const char* name, const char* help, double v) {
    os << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n"
       << name << "{vdev=\"0\"} " << v << "\n";
  };
  auto counter = [&](const char* name, const char* help, double v) {
    os << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
       << name << "{vdev=\"0\"} " << v << "\n";
  };
  gauge("ccow_vdev_capacity_bytes", "Size of the file system holding the VDEV.",
        static_cast<double>(cap.total_bytes));
  gauge("ccow_vdev_free_bytes", "Bytes available to the VDEV.", static_cast<double>(cap.free_bytes));
  gauge("ccow_vdev_utilization", "Fraction of the file system in use.", cap.utilization());
  gauge("ccow_vdev_chunks", "Distinct chunks stored.", static_cast<double>(cap.chunk_count));
  gauge("ccow_vdev_payload_bytes", "Logical bytes of stored chunks.",
        static_cast<double>(cap.payload_bytes));
  counter("ccow_vdev_chunks_written_total", "New chunks stored since start.",
          static_cast<double>(st.chunks_written));
  counter("ccow_vdev_payload_bytes_written_total", "Payload bytes stored since start.",
          static_cast<double>(st.payload_bytes_written));
  counter("ccow_vdev_chunks_deduplicated_total", "Puts of chunks already stored.",
          static_cast<double>(st.chunks_deduplicated));
  counter("ccow_vdev_verify_failures_total", "Reads whose bytes did not match their CHID.",
          static_cast<double>(st.verify_failures));
  counter("ccow_vdev_syncs_total", "Group commits (fdatasync + index sync).",
          static_cast<double>(st.syncs));
  // Read repair (a gateway over a cluster; zero on one node): stripes its degraded reads
  // rebuilt from, made whole again (client/read_repair.h).
  const ReadRepairStats rr = backend.read_repair_stats();
  auto plain = [&](const char* name, const char* help, uint64_t v) {
    os << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n" << name << " " << v << "\n";
  };
  plain("ccow_read_repair_degraded_reads_total", "Chunks reads rebuilt from their erasure-coded stripes.",
        rr.degraded_reads);
  plain("ccow_read_repair_stripes_repaired_total", "Stripes made whole again after a degraded read.",
        rr.stripes_repaired);
  plain("ccow_read_repair_stripes_failed_total",
        "Stripes a read repair could not make whole (left to the erasure encoder's next check).",
        rr.stripes_failed);
  plain("ccow_read_repair_stripes_dropped_total", "Degraded reads not queued for repair (queue full).",
        rr.stripes_dropped);
  plain("ccow_read_repair_fragments_rebuilt_total", "Fragments rebuilt and put back on their keepers by read repair.",
        rr.fragments_rebuilt);
  plain("ccow_read_repair_fragments_moved_total", "Fragments copied onto their keepers by read repair.",
        rr.fragments_moved);
  return os.str();
}

Result<std::pair<std::string, uint16_t>> ParseHostPort(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return Status::InvalidArgument("listen address '" + text + "' must be HOST:PORT");
  try {
    unsigned long port = std::stoul(text.substr(colon + 1));
    if (port > 65535) throw std::out_of_range("port");
    return std::make_pair(text.substr(0, colon), static_cast<uint16_t>(port));
  } catch (...) {
    return Status::InvalidArgument("listen address '" + text + "' has a bad port");
  }
}

std::string RandomToken() {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  return ToHex(raw, sizeof raw);
}

// Chunk buffers are about 1 MiB: above glibc's default mmap threshold every one would be
// a fresh mmap, page-faulted and zeroed by the kernel, then unmapped (measured: ~7% of the
// server's CPU on 16 MiB PUTs). Serving them from the heap lets freed buffers be reused;
// few arenas keep the per-connection threads from multiplying idle heap memory.
void TuneAllocatorForServing() {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_ARENA_MAX, 4);
}

Serving::~Serving() {
  retention_registry->store(nullptr);
  registry.reset();  // its follower thread may touch the initiator
  api.reset();
  local = {};
}

namespace {
// A service name becomes a file and directory name: letters, digits, '.', '_', '-', not
// starting with '.'.
Status CheckServiceName(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 64 && name[0] != '.' &&
                  name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                      std::string::npos;
  if (ok) return Status::OK();
  return Status::InvalidArgument("service " + name +
                                 ": a service name is 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'");
}

// A bucket's quarantine retention from the registry: its record's, else its tenant's.
std::function<uint64_t(const std::string&)> BucketRetention(std::shared_ptr<std::atomic<Registry*>> slot) {
  return [slot](const std::string& bucket_path) -> uint64_t {
    Registry* r = slot->load();
    return r ? r->current()->QuarantineRetentionOf(bucket_path) : 0;
  };
}
}  // namespace


Result<std::unique_ptr<Serving>> OpenServing(uint64_t retention_ns, const std::vector<std::string>& isgw_services,
                                             const std::string& cache_tag) {
  auto s = std::make_unique<Serving>();
  // A link end may keep only metadata (the service's metadata-only setting): reads of
  // chunks absent here are fetched from the remote into a cache beside the data (its
  // size is the service's chunk-cache-size, 0 until the link reads it).
  BackendWrapper wrap;
  for (const std::string& name : isgw_services) CCOW_RETURN_IF_ERROR(CheckServiceName(name));
  if (!isgw_services.empty()) {
    // One cache, named by the first service (whose chunk-cache-size bounds it). Gateways
    // of one cluster each keep their own (by S3 port).
    const std::string& isgw_service = isgw_services.front();
    const std::string cache_dir = ClusterDir().empty() ? DataDir() + "/isgw-cache/" + isgw_service
                                                       : ClusterDir() + "/isgw-cache/" + isgw_service + "-" + cache_tag;
    wrap = [s = s.get(), cache_dir](std::shared_ptr<Backend> inner) -> std::shared_ptr<Backend> {
      // Its bound is the service's chunk-cache-size, which the link applies once it reads
      // the registry: until then nothing kept from an earlier run is trimmed.
      auto cache = ChunkCache::Open(cache_dir, ChunkCache::kBoundUnknown);
      if (!cache.ok()) spdlog::warn("isgw: no chunk cache: {}", cache.status().ToString());
      s->on_demand = std::make_shared<FetchingBackend>(std::move(inner),
                                                       cache.ok() ? std::move(*cache) : nullptr);
      return s->on_demand;
    };
  }
  ApiOptions base;
  base.quarantine_retention_ns = retention_ns;
  // CCOW_CLOCK_OFFSET ("-5m", "+90s"): this server's clock runs that far off the host's,
  // for tests of sites whose clocks disagree (version timestamps, retention, lifecycle).
  if (const char* env = std::getenv("CCOW_CLOCK_OFFSET"); env && *env) {
    std::string_view text(env);
    const bool behind = text[0] == '-';
    if (text[0] == '-' || text[0] == '+') text.remove_prefix(1);
    auto offset = ParseDuration(text);
    if (!offset.ok()) return offset.status().WithContext("CCOW_CLOCK_OFFSET");
    const int64_t skew = behind ? -static_cast<int64_t>(*offset) : static_cast<int64_t>(*offset);
    spdlog::warn("this server's clock is offset by {} s from the host's (CCOW_CLOCK_OFFSET={})", skew / 1'000'000'000,
                 env);
    base.clock = [skew] { return static_cast<uint64_t>(static_cast<int64_t>(NowNs()) + skew); };
  }
  base.bucket_retention = BucketRetention(s->retention_registry);
  base.trlog_records = [slot = s->retention_registry](const std::string& bucket_path) {
    Registry* r = slot->load();
    return r && r->current()->TrlogRecords(bucket_path);
  };
  base.site_id = [slot = s->retention_registry]() -> uint32_t {
    Registry* r = slot->load();
    return r ? r->current()->site_id() : 0;
  };
  base.site_key_seed = [slot = s->retention_registry]() -> std::string {
    Registry* r = slot->load();
    return r ? r->current()->site_key_seed() : std::string();
  };
  // SSE-S3 versions open with the registry's master key ring, once there is a registry.
  base.keys = MasterKeyResolver([slot = s->retention_registry] { return slot->load(); });
  std::string dir = ClusterDir();
  if (dir.empty()) {
    if (::access((DataDir() + "/MOVED-TO-CLUSTER.txt").c_str(), F_OK) == 0)
      return Status::InvalidArgument("data directory " + DataDir() + " became the first target of a cluster (" +
                                     DataDir() + "/MOVED-TO-CLUSTER.txt says which): serve it with "
                                     "`ccow gateway s3 --cluster DIR`");
    CCOW_ASSIGN_OR_RETURN(auto api, OpenApi(base, wrap));
    s->api = std::move(api);
    CCOW_ASSIGN_OR_RETURN(s->local, daemon::OpenSingleNodeRegistry(DataDir(), *s->api, s3::kDefaultSegment));
    s->registry = std::shared_ptr<Registry>(s->local.registry.get(), [](Registry*) {});
    s->retention_registry->store(s->registry.get());
    return s;
  }
  CCOW_ASSIGN_OR_RETURN(ClusterFile file, ClusterFile::Load(dir));
  auto initiator = s->initiator;
  daemon::RemoteRegistryOptions ro;
  ro.endpoints = file.AdminAddresses();
  ro.token = file.admin_token;
  ro.on_change = [initiator](const ClusterState& state) {
    replicast::Initiator* i = initiator->load();
    if (i && !state.flexhash_json().empty()) {
      Status st = i->SetFlexHash(state.flexhash_json());
      if (!st.ok()) spdlog::warn("gateway: FlexHash generation {} not installed: {}", state.flexhash_generation(), st.ToString());
    }
  };
  CCOW_ASSIGN_OR_RETURN(auto registry, daemon::OpenRemoteRegistry(std::move(ro)));
  s->registry = std::move(registry);
  std::shared_ptr<Registry> reg = s->registry;
  std::string checkpoint = file.flexhash_json;
  std::weak_ptr<Registry> weak = reg;
  auto source = [weak, checkpoint]() -> Result<std::string> {
    auto r = weak.lock();
    if (!r) return Status::Unavailable("the gateway is stopping");
    std::string json = r->current()->flexhash_json();
    return json.empty() ? checkpoint : json;  // a cluster not initialised yet
  };
  replicast::Initiator* raw = nullptr;
  CCOW_ASSIGN_OR_RETURN(auto backend, OpenClusterBackend(file, &raw, source));
  initiator->store(raw);
  std::shared_ptr<Backend> shared(std::move(backend));
  if (wrap) shared = wrap(std::move(shared));
  s->api = std::make_shared<ObjectApi>(std::move(shared), base);
  s->retention_registry->store(s->registry.get());
  return s;
}


void AddIsgwFlags(CLI::App* cmd, IsgwFlags* flags, bool standalone) {
  const std::string p = standalone ? "--" : "--isgw-";
  auto* services =
      cmd->add_option(standalone ? "--service" : "--isgw", flags->services,
                      "be an end of this inter-segment gateway service (ccow service create isgw NAME): ship its "
                      "buckets to its remote; repeat (or comma-separate) for a site linked with several others");
  services->delimiter(',')->allow_extra_args(false)->take_all();
  if (standalone) services->required();
  cmd->add_option(p + "listen", flags->listen, "HOST:PORT where the link receives from the other site");
  cmd->add_option(p + "tls-cert", flags->tls_cert,
                  "PEM certificate chain this end of the link presents (mutual TLS, with " + p + "tls-key and " + p +
                      "tls-ca; without them the link is plain HTTP, for a lab)");
  cmd->add_option(p + "tls-key", flags->tls_key, "PEM private key of " + p + "tls-cert");
  cmd->add_option(p + "tls-ca", flags->tls_ca,
                  "PEM CA the other end's certificate must chain to (it must also name the remote's host)");
  cmd->add_option(p + "token", flags->token,
                  "the secret both ends of the link share (or CCOW_ISGW_TOKEN); none: a lab on loopback only");
}

void AddNfsFlags(CLI::App* cmd, NfsFlags* flags, bool standalone) {
  const std::string p = standalone ? "--" : "--nfs-";
  auto* exported = cmd->add_option(p + "export", flags->bucket,
                                   "serve this bucket's file layer volume over NFSv3: CLUSTER/TENANT/BUCKET (clients "
                                   "mount /CLUSTER/TENANT/BUCKET)");
  if (standalone) exported->required();
  cmd->add_option(p + "listen", flags->listen, "HOST:PORT of NFS and MOUNT (default 127.0.0.1:2049; port 0: any)");
  cmd->add_option(p + "allow", flags->allow, "NFS client networks, CIDR, comma-separated (default 127.0.0.0/8)");
  cmd->add_flag(p + "read-only", flags->read_only, "export read-only");
  cmd->add_flag(p + "no-root-squash", flags->no_root_squash, "let NFS uid 0 act as root (default: as the anon uid)");
  cmd->add_flag(p + "all-squash", flags->all_squash, "every NFS caller acts as the anon uid and gid");
  cmd->add_option(p + "anon-uid", flags->anon_uid, "uid of squashed NFS callers (default 65534)");
  cmd->add_option(p + "anon-gid", flags->anon_gid, "gid of squashed NFS callers (default 65534)");
  cmd->add_flag(p + "async", flags->async,
                "answer NFS namespace changes before they are checkpointed (faster; a crash loses the last ones)");
  cmd->add_option(p + "checkpoint-interval", flags->checkpoint_interval,
                  "time between checkpoints of the exported volume (default 10s; COMMIT and stable writes "
                  "checkpoint at once)");
}

NfsExport::~NfsExport() {
  if (gateway) (void)gateway->Stop();
}

Result<std::unique_ptr<NfsExport>> StartNfsExport(const NfsFlags& flags, ObjectApi& api, fs::VolumeHost& volumes) {
  if (flags.bucket.empty()) return std::unique_ptr<NfsExport>();
  CCOW_ASSIGN_OR_RETURN(uint64_t interval, ParseDurationFlag("checkpoint interval", flags.checkpoint_interval));
  if (interval == 0) return Status::InvalidArgument("the NFS checkpoint interval must be more than 0");
  nfs::NfsOptions o;
  CCOW_ASSIGN_OR_RETURN(auto listen, ParseHostPort(flags.listen));
  o.host = listen.first;
  o.port = listen.second;
  o.export_path = "/" + flags.bucket;
  o.sync = !flags.async;
  o.checkpoint_interval_ns = interval;
  o.rules.read_only = flags.read_only;
  o.rules.root_squash = !flags.no_root_squash;
  o.rules.all_squash = flags.all_squash;
  o.rules.anon_uid = flags.anon_uid;
  o.rules.anon_gid = flags.anon_gid;
  std::stringstream networks(flags.allow);
  for (std::string cidr; std::getline(networks, cidr, ',');) {
    if (cidr.empty()) continue;
    auto n = nfs::ParseNetwork(cidr);
    if (!n.ok()) return n.status().WithContext("NFS client networks");
    o.rules.allowed.push_back(*n);
  }
  auto served = std::make_unique<NfsExport>();
  std::string note;
  CCOW_ASSIGN_OR_RETURN(served->volume, volumes.Open(flags.bucket, &note));
  if (!note.empty()) spdlog::warn("{}", note);
  Backend& backend = api.backend();
  o.capacity = [&backend] { return backend.Capacity(); };
  CCOW_ASSIGN_OR_RETURN(served->gateway, nfs::NfsGateway::Start(served->volume, o));
  std::string networks_text;
  for (const auto& n : o.rules.allowed) networks_text += (networks_text.empty() ? "" : ",") + n.ToString();
  const std::string& host = o.host;
  const std::string port = std::to_string(served->gateway->port());
  served->banner = o.export_path + " on " + host + ":" + port + " (NFSv3 and MOUNT on this one port; " +
                   (o.rules.read_only ? "read-only" : "read-write") + ", " + (o.sync ? "sync" : "async") + ", " +
                   (o.rules.all_squash ? "all_squash" : o.rules.root_squash ? "root_squash" : "no_root_squash") +
                   ", clients from " + (networks_text.empty() ? "127.0.0.0/8" : networks_text) +
                   "; checkpoint every " + FormatDuration(interval) + ")\n           try: nfs-ls 'nfs://" + host +
                   o.export_path + "?nfsport=" + port + "&mountport=" + port + "&version=3'";
  return served;
}

Result<std::unique_ptr<isgw::LinkEndpoint>> StartLinkEnds(const IsgwFlags& flags, Serving& serving) {
  if (flags.services.empty()) {
    if (!flags.listen.empty()) return Status::InvalidArgument("--isgw-listen needs --isgw SERVICE");
    return std::unique_ptr<isgw::LinkEndpoint>();
  }
  isgw::EndpointOptions eo;
  eo.services = flags.services;
  if (!flags.listen.empty()) {
    auto lhp = ParseHostPort(flags.listen);
    if (!lhp.ok()) return lhp.status().WithContext("the link's listen address");
    eo.listen = true;
    eo.listen_host = lhp->first;
    eo.listen_port = lhp->second;
  }
  const char* env_token = std::getenv("CCOW_ISGW_TOKEN");
  eo.token = !flags.token.empty() ? flags.token : env_token ? env_token : "";
  eo.tls_cert = flags.tls_cert;
  eo.tls_key = flags.tls_key;
  eo.tls_ca = flags.tls_ca;
  eo.registry = serving.registry;
  eo.on_demand = serving.on_demand;
  return isgw::LinkEndpoint::Start(serving.api, std::move(eo));
}

std::optional<daemon::AdminReply> LinkEndsAdmin(isgw::LinkEndpoint* ends, const std::string& method,
                                                const std::string& path, const http::ParsedTarget& target) {
  if (!ends || method != "GET" || (path != "/admin/isgw" && path != "/admin/isgw/verify")) return std::nullopt;
  // The link of a service (?service=NAME), else the first.
  isgw::IsgwLink* l = ends->Of(target.Find("service"));
  if (!l) return daemon::ReplyOf(Status::NotFound("this process runs no link of service " + *target.Find("service")));
  if (path == "/admin/isgw") return daemon::AdminReply{200, l->StatusJson()};
  auto report = l->VerifyJson();
  return report.ok() ? daemon::AdminReply{200, *report} : daemon::ReplyOf(report.status());
}

std::string LinkEndsBanner(const isgw::LinkEndpoint& ends, const std::string& listen_host) {
  std::string out;
  for (const auto& l : ends.links())
    out += "  isgw     service " + l->service() +
           (ends.listening() ? ", receiving on " + listen_host + ":" + std::to_string(ends.port())
                             : std::string(", sending only")) +
           (ends.tls() ? " (mutual TLS)" : "") + "\n";
  return out;
}

namespace {
std::string LinkEndFile(const std::string& service) { return ClusterDir() + "/isgw/" + service + ".json"; }
}  // namespace

Result<std::unique_ptr<LinkEndLocks>> LinkEndLocks::Take(const std::vector<std::string>& services) {
  auto locks = std::unique_ptr<LinkEndLocks>(new LinkEndLocks());
  if (ClusterDir().empty() || services.empty()) return locks;
  const std::string dir = ClusterDir() + "/isgw";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IOError("cannot create " + dir + ": " + std::strerror(errno));
  for (const std::string& service : services) CCOW_RETURN_IF_ERROR(CheckServiceName(service));
  for (const std::string& service : services) {
    const std::string path = dir + "/" + service + ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::FromErrno(errno, "opening " + path);
    locks->fds_.push_back(fd);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK)
        return Status::Busy("another process of this cluster runs the link end of service " + service + " (" +
                            LinkEndFile(service) + " says where): one per service");
      return Status::FromErrno(errno, "locking " + path);
    }
  }
  return locks;
}

LinkEndLocks::~LinkEndLocks() {
  for (int fd : fds_) ::close(fd);
}

Status RegisterLinkEnds(const isgw::LinkEndpoint& ends, const std::string& admin_host, uint16_t admin_port,
                        const std::string& admin_token) {
  if (ClusterDir().empty()) return Status::OK();  // one node: DATA/server.json says where the server is
  const std::string dir = ClusterDir() + "/isgw";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IOError("cannot create " + dir + ": " + std::strerror(errno));
  for (const auto& l : ends.links()) {
    nlohmann::json info = {{"pid", ::getpid()},
                           {"admin_host", admin_host},
                           {"admin_port", admin_port},
                           {"admin_token", admin_token}};
    CCOW_RETURN_IF_ERROR(WriteFileAtomically(LinkEndFile(l->service()), info.dump(2) + "\n", 0600));
  }
  return Status::OK();
}

void UnregisterLinkEnds(const isgw::LinkEndpoint& ends) {
  if (ClusterDir().empty()) return;
  for (const auto& l : ends.links()) {
    std::ifstream in(LinkEndFile(l->service()));
    auto info = nlohmann::json::parse(in, nullptr, false);
    if (info.is_object() && info.value("pid", 0) == ::getpid()) ::unlink(LinkEndFile(l->service()).c_str());
  }
}

Result<nlohmann::json> CallLinkEndAdmin(const std::string& service, const std::string& target, uint64_t wait_ns) {
  const std::string path = LinkEndFile(service);
  std::ifstream in(path);
  auto info = nlohmann::json::parse(in, nullptr, false);
  const int pid = info.is_object() ? info.value("pid", 0) : 0;
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH))
    return Status::NotFound("no process of this cluster runs a link end of service " + service + " (" + path +
                            " names none alive): start one with `ccow --cluster " + ClusterDir() +
                            " isgw --service " + service + " --listen HOST:PORT`");
  return CallAdminOf(info, "GET", target, wait_ns);
}

}  // namespace ccow::cli
