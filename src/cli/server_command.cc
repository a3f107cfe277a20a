// `ccow server` and `ccow gateway s3`: the all-in-one process (the local store, the S3
// gateway, /health, /metrics and the admin calls), and `ccow user create`.
#include <fcntl.h>
#include <malloc.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <atomic>
#include <spdlog/spdlog.h>

#include "cli/cli_common.h"
#include "cli/registry_access.h"
#include "cluster/master_keys.h"
#include "client/cluster_backend.h"
#include "core/atomic_file.h"
#include "daemon/gc_service.h"
#include "daemon/scrub_service.h"
#include "gc/referrers.h"
#include "daemon/admin_api.h"
#include "daemon/migration.h"
#include "daemon/node_registry.h"
#include "daemon/remote_registry.h"
#include "replicast/initiator.h"
#include "core/config.h"
#include "core/hash.h"
#include "gateway/s3/s3_gateway.h"
#include "gateway/s3/user_registry.h"
#include "http/http_server.h"
#include "cluster/service_config.h"
#include "isgw/link_endpoint.h"
#include "server/admin_http.h"

namespace ccow::cli {
namespace {

struct ServerFlags {
  std::string s3_listen = "127.0.0.1:9000";
  std::string admin_listen = "127.0.0.1:9001";
  std::string access_key, secret_key;
  std::string tls_cert, tls_key;
  std::string region = "us-east-1";
  std::vector<std::string> domains;  // virtual-hosted style: BUCKET.DOMAIN
  int lifecycle_interval = 3600;
  int64_t lifecycle_day_seconds = 86400;
  std::string quarantine_retention = "7d";
  std::string gc_interval = "1h";
  // The GC pass's compaction rewrite rate (target.json's gc_rate_mb has the same default).
  std::string gc_rate = "16M";
  std::string scrub_interval = "7d";
  std::string scrub_rate = "25M";
  std::string access_log_spool;  // "" = DATA (or the cluster directory)/s3-access-log-spool-PORT
  int access_log_flush = 60;
  // Inter-Segment Gateway link ends (issue 14): the registry services (one link each:
  // a site linked with several others runs one per link), where their one receiving
  // endpoint listens, and the token the ends share.
  std::vector<std::string> isgw_services;
  std::string isgw_listen, isgw_token;
  std::string isgw_tls_cert, isgw_tls_key, isgw_tls_ca;
};

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
  // object API's backend, when the server runs a link.
  std::shared_ptr<FetchingBackend> on_demand;

  ~Serving() {
    retention_registry->store(nullptr);
    registry.reset();  // its follower thread may touch the initiator
    api.reset();
    local = {};
  }
};

// A bucket's quarantine retention from the registry: its record's, else its tenant's.
std::function<uint64_t(const std::string&)> BucketRetention(std::shared_ptr<std::atomic<Registry*>> slot) {
  return [slot](const std::string& bucket_path) -> uint64_t {
    Registry* r = slot->load();
    return r ? r->current()->QuarantineRetentionOf(bucket_path) : 0;
  };
}


Result<std::unique_ptr<Serving>> OpenServing(uint64_t retention_ns, const std::vector<std::string>& isgw_services,
                                             const std::string& cache_tag) {
  auto s = std::make_unique<Serving>();
  // A link end may keep only metadata (the service's metadata-only setting): reads of
  // chunks absent here are fetched from the remote into a cache beside the data (its
  // size is the service's chunk-cache-size, 0 until the link reads it).
  BackendWrapper wrap;
  for (const std::string& name : isgw_services) {
    // A service name becomes a directory name: letters, digits, '.', '_', '-', not
    // starting with '.'.
    const bool name_ok = !name.empty() && name.size() <= 64 && name[0] != '.' &&
                         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                             std::string::npos;
    if (!name_ok)
      return Status::InvalidArgument("--isgw " + name +
                                     ": a service name is 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'");
  }
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

// ", virtual-hosted BUCKET.a.example, BUCKET.b.example" for the startup banner.
std::string VirtualHostNote(const std::vector<std::string>& domains) {
  std::string out;
  for (const auto& d : domains) out += (out.empty() ? ", virtual-hosted BUCKET." : ", BUCKET.") + d;
  return out;
}

int RunServer(const ServerFlags& flags) {
  TuneAllocatorForServing();
  auto s3hp = ParseHostPort(flags.s3_listen);
  if (!s3hp.ok()) return Fail(s3hp.status());
  auto hp = ParseHostPort(flags.admin_listen);
  if (!hp.ok()) return Fail(hp.status());
  if (flags.access_key.empty() != flags.secret_key.empty())
    return Fail(Status::InvalidArgument("give both --access-key and --secret-key, or neither"));
  auto retention = ParseDurationFlag("--quarantine-retention", flags.quarantine_retention);
  if (!retention.ok()) return Fail(retention.status());
  auto gc_interval = ParseDurationFlag("--gc-interval", flags.gc_interval);
  if (!gc_interval.ok()) return Fail(gc_interval.status());
  auto gc_rate = ParseSizeFlag("--gc-rate", flags.gc_rate);
  if (!gc_rate.ok()) return Fail(gc_rate.status());
  auto scrub_interval = ParseDurationFlag("--scrub-interval", flags.scrub_interval);
  if (!scrub_interval.ok()) return Fail(scrub_interval.status());
  auto scrub_rate = ParseSizeFlag("--scrub-rate", flags.scrub_rate);
  if (!scrub_rate.ok()) return Fail(scrub_rate.status());
  auto opened = OpenServing(*retention, flags.isgw_services, std::to_string(s3hp->second));
  if (!opened.ok()) return Fail(opened.status());
  std::unique_ptr<Serving> serving = std::move(*opened);
  std::shared_ptr<ObjectApi> api = serving->api;
  Backend& backend = api->backend();

  s3::S3GatewayOptions gw;
  gw.host = s3hp->first;
  gw.port = s3hp->second;
  gw.tls_cert_file = flags.tls_cert;
  gw.tls_key_file = flags.tls_key;
  gw.region = flags.region;
  gw.domains = flags.domains;
  gw.default_credentials = {flags.access_key.empty() ? s3::kDefaultAccessKey : flags.access_key,
                            flags.secret_key.empty() ? s3::kDefaultSecretKey : flags.secret_key,
                            s3::kDefaultTenant};
  gw.lifecycle_interval_seconds = flags.lifecycle_interval;
  gw.lifecycle_day_seconds = flags.lifecycle_day_seconds;
  gw.access_log_dir = !flags.access_log_spool.empty() ? flags.access_log_spool
                      : ClusterDir().empty()          ? DataDir() + "/s3-access-log-spool"
                                                      : ClusterDir() + "/s3-access-log-spool-" + std::to_string(gw.port);
  gw.access_log_flush_seconds = flags.access_log_flush;
  auto gateway = s3::S3Gateway::Start(api, serving->registry, gw);
  if (!gateway.ok()) return Fail(gateway.status());

  // One node: the admin API of the registry member, behind a token only the owner of the
  // data directory can read (server.json). A gateway on a cluster serves status only;
  // the cluster is administered through its targets.
  const bool local = ClusterDir().empty();
  // One node: the garbage collector runs here (on a cluster it belongs to the targets).
  std::unique_ptr<daemon::GcService> gc;
  if (local) {
    CollectorOptions co;
    co.scratch_dir = DataDir() + "/gc";
    co.compaction.max_bytes_per_second = *gc_rate;
    auto collector = Collector::Create(api.get(), co);
    if (!collector.ok()) return Fail(collector.status());
    gc = std::make_unique<daemon::GcService>(std::move(*collector), daemon::GcServiceOptions{.interval_ns = *gc_interval, .may_drive = {}, .before_pass = {}, .name = {}});
  }
  // One node: the scrubber verifies the one VDEV; a bad chunk has no other copy, so it is
  // reported with the objects that reference it.
  std::unique_ptr<daemon::ScrubService> scrub;
  if (local && backend.local_store()) {
    ScrubberOptions so;
    so.rate_bytes_per_second = *scrub_rate;
    so.interval_ns = *scrub_interval;
    so.find_objects = [&backend](const HashId& chid, size_t max) { return FindReferrers(backend, chid, max); };
    std::vector<LocalVdev> vdevs{{"vdev0", DataDir() + "/vdev0", backend.local_store()}};
    scrub = std::make_unique<daemon::ScrubService>(std::make_unique<Scrubber>(vdevs, nullptr, std::move(so)));
  }
  // ISGW link ends: each sends rounds to its service's remote, and all receive on one
  // endpoint (another port of the one HTTP stack) when --isgw-listen is given.
  std::unique_ptr<isgw::LinkEndpoint> ends;
  if (!flags.isgw_services.empty()) {
    isgw::EndpointOptions eo;
    eo.services = flags.isgw_services;
    if (!flags.isgw_listen.empty()) {
      auto lhp = ParseHostPort(flags.isgw_listen);
      if (!lhp.ok()) return Fail(lhp.status().WithContext("--isgw-listen"));
      eo.listen = true;
      eo.listen_host = lhp->first;
      eo.listen_port = lhp->second;
    }
    const char* env_token = std::getenv("CCOW_ISGW_TOKEN");
    eo.token = !flags.isgw_token.empty() ? flags.isgw_token : env_token ? env_token : "";
    eo.tls_cert = flags.isgw_tls_cert;
    eo.tls_key = flags.isgw_tls_key;
    eo.tls_ca = flags.isgw_tls_ca;
    eo.registry = serving->registry;
    eo.on_demand = serving->on_demand;
    auto started = isgw::LinkEndpoint::Start(api, std::move(eo));
    if (!started.ok()) return Fail(started.status());
    ends = std::move(*started);
  } else if (!flags.isgw_listen.empty()) {
    return Fail(Status::InvalidArgument("--isgw-listen needs --isgw SERVICE"));
  }
  std::string token = RandomToken();
  daemon::AdminApi admin(
      token, serving->local.node.get(),
      [&gc, &scrub, &ends]() -> std::string {
        nlohmann::json j = nlohmann::json::object();
        if (gc) j["gc"] = nlohmann::json::parse(gc->StatusJson());
        if (scrub) j["scrub"] = nlohmann::json::parse(scrub->StatusJson());
        if (ends) {
          j["isgw"] = nlohmann::json::parse(ends->Of(nullptr)->StatusJson());
          for (const auto& l : ends->links()) j["isgw_links"][l->service()] = nlohmann::json::parse(l->StatusJson());
        }
        return j.dump();
      },
      [&gc, &scrub, &ends](const std::string& method, const std::string& path, const http::ParsedTarget& target) {
        if (ends && method == "GET" && (path == "/admin/isgw" || path == "/admin/isgw/verify")) {
          // The link of a service (?service=NAME), else the first.
          isgw::IsgwLink* l = ends->Of(target.Find("service"));
          if (!l)
            return daemon::ReplyOf(Status::NotFound("this server runs no link of service " +
                                                    *target.Find("service")));
          if (path == "/admin/isgw") return daemon::AdminReply{200, l->StatusJson()};
          auto report = l->VerifyJson();
          return report.ok() ? daemon::AdminReply{200, *report} : daemon::ReplyOf(report.status());
        }
        if (gc)
          if (auto r = gc->Handle(method, path, target)) return *r;
        if (scrub)
          if (auto r = scrub->Handle(method, path, target)) return *r;
        return daemon::ReplyOf(Status::NotFound("no admin call " + method + " " + path +
                                                (gc ? "" : " here (garbage collection runs on one node only, today)")));
      });
  AdminHttpOptions opts;
  opts.host = hp->first;
  opts.port = hp->second;
  s3::S3Gateway* g = gateway->get();
  opts.metrics = [&backend, g, &gc, &scrub, &ends] {
    std::string text = MetricsText(backend);
    if (gc) text += gc->MetricsText();
    if (ends) text += ends->MetricsText();
    if (scrub) text += scrub->MetricsText();
    s3::S3GatewayStats st = g->stats();
    text += "# TYPE ccow_s3_requests_total counter\nccow_s3_requests_total " +
            std::to_string(st.requests) + "\n# TYPE ccow_s3_errors_total counter\nccow_s3_errors_total " +
            std::to_string(st.errors) + "\n# TYPE ccow_s3_bytes_in_total counter\nccow_s3_bytes_in_total " +
            std::to_string(st.bytes_in) + "\n# TYPE ccow_s3_bytes_out_total counter\nccow_s3_bytes_out_total " +
            std::to_string(st.bytes_out) + "\n";
    return text;
  };
  opts.health = [&backend] {
    StoreCapacity cap = backend.Capacity();
    if (cap.total_bytes > 0 && cap.free_bytes == 0) return Status::NoSpace("the VDEV is full");
    return Status::OK();
  };
  opts.admin = [&admin](const std::string& method, const std::string& target,
                        const std::string& auth) -> std::pair<int, std::string> {
    daemon::AdminReply r = admin.Handle(method, target, auth);
    return {r.http_status, std::move(r.body)};
  };
  auto server = AdminHttpServer::Bind(opts);
  if (!server.ok()) return Fail(server.status());
  std::string base = "http://" + hp->first + ":" + std::to_string((*server)->port());
  std::string s3url = std::string((*gateway)->tls() ? "https" : "http") + "://" + s3hp->first +
                      ":" + std::to_string((*gateway)->port());
  if (local) {
    nlohmann::json info = {{"pid", ::getpid()},
                           {"s3", s3url},
                           {"admin_host", hp->first},
                           {"admin_port", (*server)->port()},
                           {"admin_token", token}};
    Status written = WriteFileAtomically(ServerInfoPath(), info.dump(2) + "\n", 0600);
    if (!written.ok()) return Fail(written);
  }
  StoreCapacity cap = backend.Capacity();
  std::string where = local ? "data directory " + DataDir() + " (1 VDEV, " : "cluster " + ClusterDir() + " (";
  std::cout << "ccow server: " << where << FormatSize(cap.free_bytes) << " free)\n"
            << "  S3       " << s3url << "  (region " << flags.region << ", path-style"
            << VirtualHostNote(flags.domains) << ")\n"
            << "           access key " << gw.default_credentials.access_key << "\n"
            << "           secret key " << gw.default_credentials.secret_key
            << (flags.access_key.empty() ? "  (the documented default: pass --access-key and --secret-key)" : "")
            << "\n"
            << "           buckets live in " << s3::kDefaultSegment << "/" << s3::kDefaultTenant << "/BUCKET\n"
            << "  health   " << base << "/health\n"
            << "  metrics  " << base << "/metrics\n";
  if (ends)
    for (const auto& l : ends->links())
      std::cout << "  isgw     service " << l->service()
                << (ends->listening() ? ", receiving on " + flags.isgw_listen.substr(0, flags.isgw_listen.rfind(':')) +
                                            ":" + std::to_string(ends->port())
                                      : std::string(", sending only"))
                << (ends->tls() ? " (mutual TLS)" : "") << "\n";
  std::cout << "Stop with Ctrl-C (SIGINT) or SIGTERM." << std::endl;
  int sig = (*server)->RunUntilSignal();
  (*gateway)->Stop();
  if (ends) ends->Stop();
  gc.reset();  // after the pass under way
  scrub.reset();  // stops at its next chunk; the cursor resumes the pass
  if (local) ::unlink(ServerInfoPath().c_str());
  std::cout << "ccow server: stopping on signal " << sig << ", store closed cleanly" << std::endl;
  return 0;
}

int RunSystemStatus() {
  if (!ClusterDir().empty()) return RunClusterStatus();
  auto api = OpenApi();
  if (!api.ok() && api.status().code() == Code::kBusy) {
    // The server holds the data directory: its metrics say what the VDEV holds.
    auto gc = GcStatusFromServer();
    if (!gc.ok()) return Fail(api.status());
    auto scrub = CallServerAdmin("GET", "/admin/scrub", 0);
    if (Globals().json) {
      nlohmann::json j = {{"data_dir", DataDir()}, {"server", "running"}, {"gc", *gc}};
      if (scrub.ok()) j["scrub"] = *scrub;
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << "data directory " << DataDir() << " (served by a running ccow server; its /metrics has the "
                << "VDEV's figures)\n";
      PrintGcLines(*gc);
      if (scrub.ok()) PrintScrubLines(*scrub);
    }
    return 0;
  }
  if (!api.ok()) return Fail(api.status());
  StoreCapacity cap = (*api)->backend().Capacity();
  if (Globals().json) {
    nlohmann::json j = {{"data_dir", DataDir()},
                        {"vdevs",
                         {{{"id", 0},
                           {"capacity_bytes", cap.total_bytes},
                           {"free_bytes", cap.free_bytes},
                           {"utilization", cap.utilization()},
                           {"chunks", cap.chunk_count},
                           {"payload_bytes", cap.payload_bytes}}}}};
    std::cout << j.dump(2) << std::endl;
    return 0;
  }
  std::cout << "data directory " << DataDir() << "\n"
            << "vdev 0: " << FormatSize(cap.total_bytes) << " capacity, "
            << FormatSize(cap.free_bytes) << " free (" << static_cast<int>(cap.utilization() * 100)
            << "% used), " << cap.chunk_count << " chunks, " << FormatSize(cap.payload_bytes)
            << " of payload" << std::endl;
  return 0;
}

}  // namespace

void RegisterServerCommand(CLI::App& app, int* exit_code) {
  static ServerFlags flags;
  auto* server = app.add_subcommand("server", "run the all-in-one server on a data directory");
  AddDataOption(server);
  auto add_flags = [](CLI::App* cmd) {
    cmd->add_option("--s3-listen", flags.s3_listen, "HOST:PORT of the S3 endpoint");
    cmd->add_option("--admin-listen", flags.admin_listen, "HOST:PORT for /health, /metrics and admin calls");
    cmd->add_option("--access-key", flags.access_key, "S3 access key of the default tenant");
    cmd->add_option("--secret-key", flags.secret_key, "S3 secret key of the default tenant");
    cmd->add_option("--tls-cert", flags.tls_cert, "PEM certificate chain: serve S3 over HTTPS");
    cmd->add_option("--tls-key", flags.tls_key, "PEM private key for --tls-cert");
    cmd->add_option("--region", flags.region, "region reported to S3 clients");
    cmd->add_option("--domain", flags.domains,
                    "serve virtual-hosted-style requests: Host BUCKET.DOMAIN addresses BUCKET "
                    "(repeatable, or a comma list; path style is always served)")
        ->delimiter(',');
    cmd->add_option("--lifecycle-interval", flags.lifecycle_interval,
                    "seconds between lifecycle passes")->check(CLI::PositiveNumber);
    cmd->add_option("--lifecycle-day-seconds", flags.lifecycle_day_seconds,
                    "length of a lifecycle 'day' in seconds (tests shorten it)")->check(CLI::PositiveNumber);
    cmd->add_option("--access-log-spool", flags.access_log_spool,
                    "directory where S3 server access log records wait for delivery (default DATA/"
                    "s3-access-log-spool, or CLUSTER/s3-access-log-spool-PORT)");
    cmd->add_option("--access-log-flush", flags.access_log_flush,
                    "seconds between deliveries of S3 server access logs into their target buckets (default 60)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--quarantine-retention", flags.quarantine_retention,
                    "how long deleted versions stay restorable unless the bucket or tenant says otherwise: "
                    "seconds or 90s, 10m, 2h, 7d (default 7d)");
    cmd->add_option("--gc-interval", flags.gc_interval,
                    "time between garbage collection passes (default 1h; 0: only `ccow system gc --now`)");
    cmd->add_option("--gc-rate", flags.gc_rate,
                    "live bytes per second a garbage collection pass rewrites at most when it compacts "
                    "segment files, e.g. 32M (default 32M; 0: unlimited, which can slow puts by a third)");
    cmd->add_option("--scrub-interval", flags.scrub_interval,
                    "time between the starts of scrub passes, which re-read and verify every chunk "
                    "(default 7d; 0: only `ccow system scrub --now`)");
    cmd->add_option("--isgw", flags.isgw_services,
                    "be an end of this inter-segment gateway service (ccow service create isgw NAME): ship its "
                    "buckets to its remote; repeat (or comma-separate) for a site linked with several others")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->take_all();
    cmd->add_option("--isgw-listen", flags.isgw_listen, "HOST:PORT where the link receives from the other site");
    cmd->add_option("--isgw-tls-cert", flags.isgw_tls_cert,
                    "PEM certificate chain this end of the link presents (mutual TLS, with --isgw-tls-key and "
                    "--isgw-tls-ca; without them the link is plain HTTP, for a lab)");
    cmd->add_option("--isgw-tls-key", flags.isgw_tls_key, "PEM private key of --isgw-tls-cert");
    cmd->add_option("--isgw-tls-ca", flags.isgw_tls_ca,
                    "PEM CA the other end's certificate must chain to (it must also name the remote's host)");
    cmd->add_option("--isgw-token", flags.isgw_token,
                    "the secret both ends of the link share (or CCOW_ISGW_TOKEN); none: a lab on loopback only");
    cmd->add_option("--scrub-rate", flags.scrub_rate,
                    "scrub read rate in bytes per second, e.g. 25M (default 25M; 0: unlimited)");
  };
  add_flags(server);
  server->callback([exit_code] {
    if (!ClusterDir().empty()) {
      *exit_code = Fail(Status::InvalidArgument(
          "`ccow server` is the one-process case; on a cluster run `ccow gateway s3 --cluster DIR`"));
      return;
    }
    *exit_code = RunServer(flags);
  });
  auto* gateway = app.add_subcommand("gateway", "run one gateway");
  gateway->require_subcommand(1);
  auto* gw_s3 = gateway->add_subcommand(
      "s3", "the S3 gateway (on one node today the same process as `ccow server`)");
  AddDataOption(gw_s3);
  add_flags(gw_s3);
  gw_s3->callback([exit_code] { *exit_code = RunServer(flags); });

}

void RegisterSystemCommands(CLI::App& app, int* exit_code) {
  auto* system = app.add_subcommand("system", "cluster and VDEV state");
  system->require_subcommand(1);
  auto* status = system->add_subcommand("status", "capacity and utilization of each VDEV");
  AddDataOption(status);
  status->callback([exit_code] { *exit_code = RunSystemStatus(); });
  RegisterFhtableCommand(system, exit_code);
  RegisterGcCommand(system, exit_code);
  RegisterScrubCommand(system, exit_code);
  RegisterEcCommand(system, exit_code);
}

}  // namespace ccow::cli
