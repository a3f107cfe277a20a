// `ccow system gc [--now [--wait]] [--json]`: the garbage collector's status, or a pass
// started now. With a running `ccow server` it goes through the server's admin API (the
// server holds the data directory); with none, --now runs a pass in this process. On a
// cluster (--cluster DIR) --now runs a pass from this process through every target
// (docs/ARCHITECTURE.md "Garbage collection on a cluster").
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/registry_access.h"
#include "client/cluster_backend.h"
#include "core/config.h"
#include "daemon/admin_api.h"
#include "daemon/gc_service.h"
#include "daemon/migration.h"
#include "gateway/s3/user_registry.h"
#include "gc/collector.h"
#include "http/http_client.h"

namespace ccow::cli {
namespace {

struct GcFlags {
  bool now = false, wait = false;
  std::string wait_for = "10m";
  std::string retention = "7d";  // a pass run here (no server): the node-wide default
  CLI::Option* retention_opt = nullptr;
  std::string fence_grace = "5m";  // a cluster pass: how long writes under way may take
};

}  // namespace

void PrintGcLines(const nlohmann::json& j) {
  const auto& last = j.value("last_pass", nlohmann::json::object());
  const auto& total = j.value("total", nlohmann::json::object());
  std::cout << "gc: " << (j.value("running", false) ? "running (" + j.value("phase", std::string()) + ")" : "idle")
            << ", " << j.value("passes_completed", 0) << " passes completed, " << j.value("passes_failed", 0)
            << " failed\n"
            << "  last pass: " << last.value("versions_expired", 0) << " versions expired, "
            << last.value("chunks_freed", 0) << " of " << last.value("chunks_scanned", 0) << " chunks freed ("
            << FormatSize(last.value("bytes_freed", uint64_t{0})) << "), "
            << FormatSize(last.value("file_bytes_reclaimed", uint64_t{0})) << " of files given back, "
            << last.value("seconds", 0.0) << " s\n"
            << "  since start: " << total.value("versions_expired", 0) << " versions expired, "
            << total.value("chunks_freed", 0) << " chunks freed (" << FormatSize(total.value("bytes_freed", uint64_t{0}))
            << ")\n";
  if (!j.value("last_error", std::string()).empty()) std::cout << "  last error: " << j["last_error"].get<std::string>() << "\n";
}

namespace {

void PrintStatus(const nlohmann::json& j) {
  if (Globals().json)
    std::cout << j.dump(2) << std::endl;
  else
    PrintGcLines(j);
}

}  // namespace

// The running server's admin endpoint, from DATA/server.json.
Result<nlohmann::json> CallServerAdmin(const std::string& method, const std::string& target, uint64_t wait_ns) {
  std::ifstream in(ServerInfoPath());
  auto info = nlohmann::json::parse(in, nullptr, false);
  if (info.is_discarded() || !info.is_object())
    return Status::Busy("the data directory is in use and " + ServerInfoPath() + " does not say where its server listens");
  http::ClientTimeouts t;
  t.total = std::chrono::milliseconds(wait_ns / 1'000'000 + 8000);
  CCOW_ASSIGN_OR_RETURN(auto resp, http::Request(info.value("admin_host", "127.0.0.1"),
                                                 static_cast<uint16_t>(info.value("admin_port", 9001)), method, target,
                                                 {{"authorization", "Bearer " + info.value("admin_token", "")}}, {}, t));
  CCOW_RETURN_IF_ERROR(daemon::StatusOfReply(resp.status, resp.body));
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded()) return Status::IOError("the server's answer is not JSON: " + resp.body.substr(0, 200));
  return j;
}

Result<nlohmann::json> GcStatusFromServer() { return CallServerAdmin("GET", "/admin/gc", 0); }

namespace {

// A pass over a cluster, run from here: retention from the registry of record.
int RunClusterGc(const GcFlags& f, uint64_t retention) {
  if (!f.now) {
    std::cout << "gc: a cluster collects when asked: `ccow system gc --now --cluster " << ClusterDir()
              << "` runs a pass through every target" << std::endl;
    return 0;
  }
  auto grace = ParseDurationFlag("--fence-grace", f.fence_grace);
  if (!grace.ok()) return Fail(grace.status());
  auto file = ClusterFile::Load(ClusterDir());
  if (!file.ok()) return Fail(file.status());
  ClusterGcOptions g;
  g.fence_grace_ns = *grace;
  auto backend = OpenClusterBackend(*file, nullptr, {}, g);
  if (!backend.ok()) return Fail(backend.status());
  auto registry = OpenRegistry();
  if (!registry.ok()) return Fail(registry.status());
  ApiOptions base;
  base.quarantine_retention_ns = retention;
  std::shared_ptr<Registry> reg = registry->registry;
  base.bucket_retention = [reg](const std::string& bucket_path) { return reg->current()->QuarantineRetentionOf(bucket_path); };
  ObjectApi api(std::shared_ptr<Backend>(std::move(*backend)), base);
  auto collector = Collector::Create(&api, CollectorOptions{});  // marks in memory, walk dedup
  if (!collector.ok()) return Fail(collector.status());
  auto r = (*collector)->RunPass();
  if (!r.ok()) return Fail(r.status());
  daemon::GcService printer(std::move(*collector), daemon::GcServiceOptions{0});
  PrintStatus(nlohmann::json::parse(printer.StatusJson()));
  return 0;
}

int RunGc(const GcFlags& f) {
  auto wait = ParseDurationFlag("--wait-for", f.wait_for);
  if (!wait.ok()) return Fail(wait.status());
  auto retention = ParseDurationFlag("--quarantine-retention", f.retention);
  if (!retention.ok()) return Fail(retention.status());
  if (!ClusterDir().empty()) return RunClusterGc(f, *retention);
  // A pass run here reads each bucket's retention from the data directory's registry, as
  // the server does; the slot is filled once the registry is open.
  auto slot = std::make_shared<std::atomic<Registry*>>(nullptr);
  ApiOptions base;
  base.quarantine_retention_ns = *retention;
  base.bucket_retention = [slot](const std::string& bucket_path) -> uint64_t {
    Registry* r = slot->load();
    return r ? r->current()->QuarantineRetentionOf(bucket_path) : 0;
  };
  auto api = OpenApi(base);
  if (!api.ok() && api.status().code() != Code::kBusy) return Fail(api.status());
  if (!api.ok()) {  // a server holds the data directory: ask it
    if (f.retention_opt && f.retention_opt->count() > 0)
      return Fail(Status::InvalidArgument("--quarantine-retention applies to a pass run here; the running server "
                                          "uses its own (ccow server --quarantine-retention)"));
    std::string target = "/admin/gc";
    if (f.now) target += f.wait ? "?now=1&wait=1&wait_ms=" + std::to_string(*wait / 1'000'000) : "?now=1";
    auto j = CallServerAdmin(f.now ? "POST" : "GET", target, f.wait ? *wait : 0);
    if (!j.ok()) return Fail(j.status());
    PrintStatus(*j);
    return 0;
  }
  // No server: run a pass here (only with --now; there is no status to show otherwise).
  if (!f.now) {
    std::cout << "gc: no server runs on " << DataDir() << "; `ccow system gc --now` runs a pass here" << std::endl;
    return 0;
  }
  auto registry = daemon::OpenSingleNodeRegistry(DataDir(), **api, s3::kDefaultSegment);
  if (!registry.ok()) return Fail(registry.status());
  slot->store(registry->registry.get());
  CollectorOptions co;
  co.scratch_dir = DataDir() + "/gc";
  auto collector = Collector::Create(api->get(), co);
  if (!collector.ok()) return Fail(collector.status());
  auto r = (*collector)->RunPass();
  slot->store(nullptr);
  if (!r.ok()) return Fail(r.status());
  daemon::GcService printer(std::move(*collector), daemon::GcServiceOptions{0});
  PrintStatus(nlohmann::json::parse(printer.StatusJson()));
  return 0;
}

}  // namespace

void RegisterGcCommand(CLI::App* system, int* exit_code) {
  static GcFlags f;
  auto* gc = system->add_subcommand("gc", "garbage collection: status, or a pass now (--now)");
  AddDataOption(gc);
  gc->add_flag("--now", f.now, "start a pass now");
  gc->add_flag("--wait", f.wait, "with --now: return when the pass has ended");
  gc->add_option("--wait-for", f.wait_for, "with --wait: give up waiting after this long (default 10m)");
  f.retention_opt = gc->add_option("--quarantine-retention", f.retention,
                                   "a pass run here, with no server: how long deleted versions stay restorable "
                                   "unless their bucket or tenant says otherwise (default 7d)");
  gc->add_option("--fence-grace", f.fence_grace,
                 "a cluster pass: how long a write under way may take and still commit without touching "
                 "its chunks again (default 5m)");
  gc->callback([exit_code] { *exit_code = RunGc(f); });
}

}  // namespace ccow::cli
