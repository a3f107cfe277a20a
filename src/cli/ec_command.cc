// `ccow system ec [--now [--wait [--wait-for 10m]]] [--json] --cluster DIR`: erasure
// coding on a cluster (daemon/ec_service.h). The Raft leader's target runs the passes,
// every `ec_interval_s` of its configuration (`cluster up --ec-interval`): the command
// shows the leader's status (with raw bytes per logical byte of each bucket), or asks it
// for a pass now; with --wait the exit code says how the pass ended (7, unavailable,
// when it found stripes with fewer than K fragments left).
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/cluster_admin.h"
#include "core/config.h"

namespace ccow::cli {
namespace {

struct EcFlags {
  bool now = false, wait = false;
  std::string wait_for = "10m";
  std::string rest_age, min_size;  // refused: the targets' configuration holds them
};

std::string Ratio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", r);
  return buf;
}

int RunEc(const EcFlags& f) {
  if (ClusterDir().empty())
    return Fail(Status::Unsupported(
        "erasure coding places the fragments of a stripe on distinct failure domains: it runs on a cluster "
        "(--cluster DIR); one node keeps its replicas"));
  if (!f.rest_age.empty() || !f.min_size.empty())
    return Fail(Status::InvalidArgument(
        "--rest-age and --min-size are no flags of a pass: the leader's target uses its own (\"ec_rest_age_s\" and "
        "\"ec_min_object_bytes\" in each target.json: `ccow cluster up --ec-rest-age --ec-min-size`)"));
  auto wait = ParseDurationFlag("--wait-for", f.wait_for);
  if (!wait.ok()) return Fail(wait.status());
  auto admin = ClusterAdmin::Load(ClusterDir());
  if (!admin.ok()) return Fail(admin.status());
  std::string query;
  if (f.now) query = f.wait ? "now=1&wait=1&wait_ms=" + std::to_string(*wait / 1'000'000) : "now=1";
  auto j = admin->CallDriver("/admin/ec", query, (f.wait ? *wait / 1'000'000 : 0) + 8000);
  if (!j.ok()) return Fail(j.status());
  if (Globals().json)
    std::cout << j->dump(2) << std::endl;
  else
    PrintEcLines(*j);
  return ExitCodeOfPass(*j);
}

}  // namespace

void PrintEcLines(const nlohmann::json& j, const std::string& indent) {
  const auto& last = j.value("last_pass", nlohmann::json::object());
  const uint64_t interval = j.value("interval_s", uint64_t{0});
  std::cout << indent << "ec: " << (j.value("running", false) ? "running" : "idle") << ", "
            << j.value("passes_completed", uint64_t{0}) << " passes completed, " << j.value("passes_failed", uint64_t{0})
            << " failed; "
            << (interval == 0 ? std::string("on demand only") : "every " + std::to_string(interval) + " s")
            << ", versions at rest after " << j.value("rest_age_s", uint64_t{0}) << " s and of at least "
            << FormatSize(j.value("min_object_bytes", uint64_t{0}));
  if (j.contains("target")) std::cout << "; driven by " << j.value("target", std::string());
  std::cout << "\n"
            << indent << "  last pass: " << last.value("versions_encoded", uint64_t{0}) << " versions encoded in "
            << last.value("stripes_written", uint64_t{0}) << " stripes ("
            << FormatSize(last.value("parity_bytes_written", uint64_t{0})) << " of parity), "
            << last.value("versions_too_small", uint64_t{0}) << " too small, "
            << last.value("versions_not_at_rest", uint64_t{0}) << " not at rest, "
            << last.value("versions_standard_class", uint64_t{0}) << " kept replicated by their STANDARD class, "
            << last.value("versions_failed", uint64_t{0}) << " failed; " << last.value("stripes_checked", uint64_t{0})
            << " stripes checked, " << last.value("fragments_moved", uint64_t{0}) << " fragments moved, "
            << last.value("fragments_rebuilt", uint64_t{0}) << " rebuilt, " << last.value("stripes_lost", uint64_t{0})
            << " stripes lost\n";
  if (!j.value("last_error", std::string()).empty())
    std::cout << indent << "  last error: " << j.value("last_error", std::string()) << "\n";
  for (const auto& b : j.value("buckets", nlohmann::json::array()))
    std::cout << indent << "  " << b.value("bucket", std::string()) << ": " << b.value("versions", uint64_t{0})
              << " versions (" << b.value("encoded_versions", uint64_t{0}) << " encoded), "
              << FormatSize(b.value("logical_bytes", uint64_t{0})) << " logical, "
              << FormatSize(b.value("raw_bytes", uint64_t{0})) << " raw: " << Ratio(b.value("raw_per_logical", 0.0))
              << " raw bytes per logical byte\n";
}

void RegisterEcCommand(CLI::App* system, int* exit_code) {
  static EcFlags f;
  auto* ec = system->add_subcommand("ec", "erasure coding on a cluster: the leader's status, or a pass now (--now)");
  ec->add_flag("--now", f.now, "ask the leader for a pass now");
  ec->add_flag("--wait", f.wait, "with --now: return when the pass has ended");
  ec->add_option("--wait-for", f.wait_for, "with --wait: give up waiting after this long (default 10m)");
  ec->add_option("--rest-age", f.rest_age, "(refused: the targets take it from their configuration)")->group("");
  ec->add_option("--min-size", f.min_size, "(refused: the targets take it from their configuration)")->group("");
  ec->callback([exit_code] { *exit_code = RunEc(f); });
}

}  // namespace ccow::cli
