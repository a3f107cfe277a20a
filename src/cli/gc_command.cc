// `ccow system gc [--now [--wait]] [--json]`: the garbage collector's status, or a pass
// started now. With a running `ccow server` it goes through the server's admin API (the
// server holds the data directory); with none, --now runs a pass in this process. On a
// cluster (--cluster DIR) the Raft leader's target drives the passes (daemon/cluster_gc.h):
// the command shows its status, or asks it for a pass (docs/ARCHITECTURE.md "Garbage
// collection on a cluster").
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "cli/cli_common.h"
#include "cli/cluster_admin.h"
#include "cli/registry_access.h"
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
  std::string fence_grace;  // refused: a cluster's targets have theirs in their configuration
};

}  // namespace

namespace {

// "90 s", "5 min", "2 h", "7 d".
std::string Seconds(uint64_t s) {
  if (s < 120) return std::to_string(s) + " s";
  if (s < 2 * 3600) return std::to_string(s / 60) + " min";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " d";
}

}  // namespace

void PrintGcLines(const nlohmann::json& j, const std::string& indent) {
  const auto& last = j.value("last_pass", nlohmann::json::object());
  const auto& total = j.value("total", nlohmann::json::object());
  const uint64_t interval = j.value("interval_s", uint64_t{0});
  std::string schedule = interval == 0 ? "on demand only" : "every " + Seconds(interval);
  if (j.contains("next_pass_in_s"))
    schedule += ", next in " + Seconds(static_cast<uint64_t>(j.value("next_pass_in_s", 0.0) + 0.5));
  if (j.contains("rate_limit_bytes_per_second")) {
    const uint64_t rate = j.value("rate_limit_bytes_per_second", uint64_t{0});
    schedule += rate == 0 ? ", compaction unlimited" : ", compaction at most " + FormatSize(rate) + "/s";
  }
  if (j.contains("target")) schedule += "; driven by " + j.value("target", std::string()) + ", the Raft leader";
  std::cout << indent << "gc: "
            << (j.value("running", false) ? "running (" + j.value("phase", std::string()) + ")" : "idle") << ", "
            << j.value("passes_completed", 0) << " passes completed, " << j.value("passes_failed", 0) << " failed ("
            << schedule << ")\n"
            << indent << "  last pass: " << last.value("versions_expired", 0) << " versions expired, "
            << last.value("chunks_freed", 0) << " of " << last.value("chunks_scanned", 0) << " chunks freed ("
            << FormatSize(last.value("bytes_freed", uint64_t{0})) << "), "
            << FormatSize(last.value("file_bytes_reclaimed", uint64_t{0})) << " of files given back, "
            << last.value("seconds", 0.0) << " s\n"
            << indent << "  since start: " << total.value("versions_expired", 0) << " versions expired, "
            << total.value("chunks_freed", 0) << " chunks freed (" << FormatSize(total.value("bytes_freed", uint64_t{0}))
            << ")\n";
  if (!j.value("last_error", std::string()).empty())
    std::cout << indent << "  last error: " << j["last_error"].get<std::string>() << "\n";
}

namespace {

void PrintStatus(const nlohmann::json& j) {
  if (Globals().json)
    std::cout << j.dump(2) << std::endl;
  else
    PrintGcLines(j);
}

// The answer to a pass waited for: printed, and its failure as the exit code.
int PrintPass(const nlohmann::json& j) {
  PrintStatus(j);
  return ExitCodeOfPass(j);
}

}  // namespace

int ExitCodeOfPass(const nlohmann::json& j) {
  if (j.value("pass_ok", true)) return 0;
  return Fail(daemon::StatusOfReply(500, nlohmann::json{{"error", "the pass failed: " + j.value("pass_error", std::string())},
                                                         {"code", j.value("pass_error_code", std::string())}}
                                             .dump()));
}

// The running server's admin endpoint, from DATA/server.json.
Result<nlohmann::json> CallAdminOf(const nlohmann::json& info, const std::string& method, const std::string& target,
                                   uint64_t wait_ns) {
  http::ClientTimeouts t;
  t.total = std::chrono::milliseconds(wait_ns / 1'000'000 + 8000);
  const std::string host = info.value("admin_host", "127.0.0.1");
  const auto port = static_cast<uint16_t>(info.value("admin_port", 9001));
  CCOW_ASSIGN_OR_RETURN(auto resp, http::Request(host, port, method, target,
                                                 {{"authorization", "Bearer " + info.value("admin_token", "")}}, {}, t));
  CCOW_RETURN_IF_ERROR(daemon::StatusOfReply(resp.status, resp.body));
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded())
    return Status::IOError("the answer of " + host + ":" + std::to_string(port) + " is not JSON: " + resp.body.substr(0, 200));
  return j;
}

Result<nlohmann::json> CallServerAdmin(const std::string& method, const std::string& target, uint64_t wait_ns) {
  std::ifstream in(ServerInfoPath());
  auto info = nlohmann::json::parse(in, nullptr, false);
  if (info.is_discarded() || !info.is_object())
    return Status::Busy("the data directory is in use and " + ServerInfoPath() + " does not say where its server listens");
  return CallAdminOf(info, method, target, wait_ns);
}

Result<nlohmann::json> GcStatusFromServer() { return CallServerAdmin("GET", "/admin/gc", 0); }

namespace {

// On a cluster: the status of the target that drives the passes (the Raft leader), or a
// pass it runs now. The leader is the target whose GET /admin/gc says "driving"; a POST
// that reaches a target which stopped leading meanwhile answers "driving": false, and the
// command looks again (up to 15 s, as for any change committed through the leader).
int RunClusterGc(const GcFlags& f, uint64_t wait_ns) {
  if (f.retention_opt && f.retention_opt->count() > 0)
    return Fail(Status::InvalidArgument(
        "--quarantine-retention applies to a pass run here on one node; a cluster's targets use their own "
        "(\"quarantine_retention_s\" in each target.json: `ccow cluster up --quarantine-retention`), and each "
        "bucket's or tenant's retention"));
  auto admin = ClusterAdmin::Load(ClusterDir());
  if (!admin.ok()) return Fail(admin.status());
  std::string query;
  if (f.now) query = f.wait ? "now=1&wait=1&wait_ms=" + std::to_string(wait_ns / 1'000'000) : "now=1";
  auto j = admin->CallDriver("/admin/gc", query, (f.wait ? wait_ns / 1'000'000 : 0) + 8000);
  if (!j.ok()) return Fail(j.status());
  if (!f.now) {
    PrintStatus(*j);
    return 0;
  }
  return PrintPass(*j);
}

int RunGc(const GcFlags& f) {
  if (!f.fence_grace.empty())
    return Fail(Status::InvalidArgument(
        "--fence-grace is no flag of a pass: a cluster's targets use their own (\"gc_fence_grace_s\" in each "
        "target.json: `ccow cluster up --gc-fence-grace`), and one node needs none"));
  auto wait = ParseDurationFlag("--wait-for", f.wait_for);
  if (!wait.ok()) return Fail(wait.status());
  auto retention = ParseDurationFlag("--quarantine-retention", f.retention);
  if (!retention.ok()) return Fail(retention.status());
  if (!ClusterDir().empty()) return RunClusterGc(f, *wait);
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
    return PrintPass(*j);
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
  daemon::GcServiceOptions printer_options;
  printer_options.interval_ns = 0;
  daemon::GcService printer(std::move(*collector), std::move(printer_options));
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
  gc->add_option("--fence-grace", f.fence_grace, "(refused: a cluster's targets take it from their configuration)")
      ->group("");
  gc->callback([exit_code] { *exit_code = RunGc(f); });
}

}  // namespace ccow::cli
