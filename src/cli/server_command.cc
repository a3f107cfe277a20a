// `ccow server` and `ccow gateway s3`: the all-in-one process (the local store, the S3
// gateway, /health, /metrics and the admin calls), and `ccow user create`.
#include <fcntl.h>
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
#include "cli/serving.h"
#include "cluster/master_keys.h"
#include "client/cluster_backend.h"
#include "core/atomic_file.h"
#include "daemon/gc_service.h"
#include "daemon/scrub_service.h"
#include "gc/referrers.h"
#include "daemon/admin_api.h"
#include "daemon/mount_service.h"
#include "gateway/nfs/nfs_gateway.h"
#include "daemon/snapview_admin.h"
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
  IsgwFlags isgw;
  NfsFlags nfs;
};

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
  auto locks = LinkEndLocks::Take(flags.isgw.services);
  if (!locks.ok()) return Fail(locks.status());
  auto opened = OpenServing(*retention, flags.isgw.services, std::to_string(s3hp->second));
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
  // The volumes this process serves, shared by its mounts, its NFS export and S3's writes
  // into file volume buckets (opened on demand only where the data directory is ours).
  auto volumes = std::make_shared<fs::VolumeHost>(*api, serving->registry.get());
  gw.volumes = volumes;
  gw.open_volumes = ClusterDir().empty();
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
  auto started = StartLinkEnds(flags.isgw, *serving);
  if (!started.ok()) return Fail(started.status());
  std::unique_ptr<isgw::LinkEndpoint> ends = std::move(*started);
  // `ccow mount` through this server: its mounts share the object API (stopped, and
  // checkpointed, before it is).
  daemon::MountService mounts(api, volumes);
  // --nfs-export: the volume over NFSv3, on a thread of its own beside S3.
  auto nfs_export = StartNfsExport(flags.nfs, *api, *volumes);
  if (!nfs_export.ok()) return Fail(nfs_export.status().WithContext("--nfs-export"));
  if (*nfs_export) mounts.Reserve(flags.nfs.bucket, "its NFS export");
  std::string token = RandomToken();
  daemon::AdminApi admin(
      token, serving->local.node.get(),
      [&gc, &scrub, &ends, &mounts]() -> std::string {
        nlohmann::json j = nlohmann::json::object();
        j["mounts"] = nlohmann::json::parse(mounts.StatusJson())["mounts"];
        if (gc) j["gc"] = nlohmann::json::parse(gc->StatusJson());
        if (scrub) j["scrub"] = nlohmann::json::parse(scrub->StatusJson());
        if (ends) {
          j["isgw"] = nlohmann::json::parse(ends->Of(nullptr)->StatusJson());
          for (const auto& l : ends->links()) j["isgw_links"][l->service()] = nlohmann::json::parse(l->StatusJson());
        }
        return j.dump();
      },
      [&gc, &scrub, &ends, &serving, &mounts](const std::string& method, const std::string& path,
                                              const http::ParsedTarget& target) {
        if (auto r = LinkEndsAdmin(ends.get(), method, path, target)) return *r;
        if (auto r = daemon::HandleSnapViewAdmin(*serving->api, method, path, target)) return *r;
        if (auto r = mounts.Handle(method, path, target)) return *r;
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
  if (ends) {
    std::cout << LinkEndsBanner(*ends, flags.isgw.listen.substr(0, flags.isgw.listen.rfind(':')));
    Status registered = RegisterLinkEnds(*ends, hp->first, (*server)->port(), token);
    if (!registered.ok()) spdlog::warn("isgw: the CLI will not find this link end: {}", registered.ToString());
  }
  if (*nfs_export) std::cout << "  NFS      " << (*nfs_export)->banner << "\n";
  std::cout << "Stop with Ctrl-C (SIGINT) or SIGTERM." << std::endl;
  int sig = (*server)->RunUntilSignal();
  // The NFS export and the mounts first, each with its last checkpoint, while the store is
  // whole.
  Status unmounted = *nfs_export ? (*nfs_export)->gateway->Stop() : Status::OK();
  if (Status s = mounts.StopAll(); unmounted.ok()) unmounted = s;
  (*gateway)->Stop();
  if (ends) {
    UnregisterLinkEnds(*ends);
    ends->Stop();
  }
  gc.reset();  // after the pass under way
  scrub.reset();  // stops at its next chunk; the cursor resumes the pass
  if (local) ::unlink(ServerInfoPath().c_str());
  if (!unmounted.ok()) {
    std::cout << "ccow server: stopping on signal " << sig
              << "; what a mount or the NFS export wrote since its last checkpoint is lost"
              << std::endl;
    return Fail(unmounted);
  }
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
    AddIsgwFlags(cmd, &flags.isgw, false);
    AddNfsFlags(cmd, &flags.nfs, false);
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
