// `ccow system scrub [--now [--wait]] [--json]`: the scrubber's status, or a pass started
// now. On one node it goes through the running `ccow server`'s admin API (with no server,
// --now runs a pass here); on a cluster it asks every target at once (each scrubs its own
// VDEVs and repairs from the other replicas).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/cluster_admin.h"
#include "cli/registry_access.h"
#include "core/config.h"
#include "daemon/scrub_service.h"
#include "gc/referrers.h"

namespace ccow::cli {

void PrintScrubLines(const nlohmann::json& j, const std::string& indent) {
  const auto& pass = j.value("pass", nlohmann::json::object());
  const auto& total = j.value("total", nlohmann::json::object());
  std::cout << indent << "scrub: "
            << (j.value("running", false) ? "running, " + std::to_string(pass.value("chunks", uint64_t{0})) + " of ~" +
                                                std::to_string(j.value("pass_chunks_estimate", uint64_t{0})) +
                                                " chunks verified"
                                          : std::string("idle"))
            << ", " << j.value("passes_completed", 0) << " passes completed (every "
            << j.value("interval_s", uint64_t{0}) / 3600 << " h, "
            << FormatSize(j.value("rate_bytes_per_second", uint64_t{0})) << "/s)\n"
            << indent << "  last pass: " << pass.value("chunks", 0) << " chunks ("
            << FormatSize(pass.value("bytes", uint64_t{0})) << ") verified in " << j.value("last_pass_seconds", 0.0)
            << " s, " << pass.value("corrupt", 0) << " bad copies, " << pass.value("repaired", 0) << " repaired, "
            << pass.value("unrepairable", 0) << " unrepairable\n"
            << indent << "  since start: " << total.value("chunks", 0) << " chunks ("
            << FormatSize(total.value("bytes", uint64_t{0})) << ") verified, " << total.value("corrupt", 0)
            << " bad copies (" << total.value("read_repairs", 0) << " met by reads), " << total.value("repaired", 0)
            << " repaired, " << total.value("unrepairable", 0) << " unrepairable\n";
  for (const auto& f : j.value("unrepairable", nlohmann::json::array())) {
    std::cout << indent << "  unrepairable: " << f.value("chid", "") << " on " << f.value("vdev", "") << ": "
              << f.value("error", "") << "\n";
    for (const auto& name : f.value("objects", nlohmann::json::array()))
      std::cout << indent << "    referenced by " << name.get<std::string>() << "\n";
  }
}

namespace {

struct ScrubFlags {
  bool now = false, wait = false;
  std::string wait_for = "10m";
};

std::string ScrubCall(const ScrubFlags& f, uint64_t wait_ns) {
  if (!f.now) return "/admin/scrub";
  return f.wait ? "/admin/scrub?now=1&wait=1&wait_ms=" + std::to_string(wait_ns / 1'000'000) : "/admin/scrub?now=1";
}

int RunOnCluster(const ScrubFlags& f, uint64_t wait_ns) {
  auto admin = ClusterAdmin::Load(ClusterDir());
  if (!admin.ok()) return Fail(admin.status());
  auto all = admin->CallAll(f.now ? "POST" : "GET", ScrubCall(f, wait_ns), wait_ns / 1'000'000 + 8000);
  nlohmann::json out = nlohmann::json::array();
  bool all_answered = true;
  for (size_t i = 0; i < all.size(); ++i) {
    out.push_back({{"target", admin->targets()[i].first}, {"scrub", all[i]}});
    all_answered &= all[i].is_object();
  }
  if (Globals().json) {
    std::cout << out.dump(2) << std::endl;
  } else {
    for (const auto& t : out) {
      std::cout << t["target"].get<std::string>() << (t["scrub"].is_object() ? "\n" : "  (not answering)\n");
      if (t["scrub"].is_object()) PrintScrubLines(t["scrub"], "  ");
    }
  }
  return all_answered ? 0 : Fail(Status::Unavailable("some targets did not answer (or their pass did not end in time)"));
}

void Print(const nlohmann::json& j) {
  if (Globals().json)
    std::cout << j.dump(2) << std::endl;
  else
    PrintScrubLines(j);
}

// No server holds the data directory: a pass here, at full speed.
int RunHere() {
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  Backend& backend = (*api)->backend();
  ScrubberOptions so;
  so.rate_bytes_per_second = 0;
  so.interval_ns = 0;
  so.find_objects = [&backend](const HashId& chid, size_t max) { return FindReferrers(backend, chid, max); };
  Scrubber scrubber({{"vdev0", DataDir() + "/vdev0", backend.local_store()}}, nullptr, std::move(so));
  ScrubCounts c = scrubber.RunPass();
  Print(nlohmann::json::parse(daemon::ScrubStatusJson(scrubber.progress())));
  return c.unrepairable ? Fail(Status::Corruption(std::to_string(c.unrepairable) + " unrepairable chunk copies"))
                        : 0;
}

int RunScrub(const ScrubFlags& f) {
  auto wait = ParseDurationFlag("--wait-for", f.wait_for);
  if (!wait.ok()) return Fail(wait.status());
  if (!ClusterDir().empty()) return RunOnCluster(f, *wait);
  auto j = CallServerAdmin(f.now ? "POST" : "GET", ScrubCall(f, *wait), f.wait ? *wait : 0);
  if (j.ok()) {
    Print(*j);
    return 0;
  }
  if (::access(ServerInfoPath().c_str(), F_OK) == 0) return Fail(j.status());  // a server runs: its answer
  // No server answers: with --now, a pass here (OpenApi says so if the directory is busy).
  if (!f.now) {
    std::cout << "scrub: no server runs on " << DataDir() << "; `ccow system scrub --now` runs a pass here"
              << std::endl;
    return 0;
  }
  return RunHere();
}

}  // namespace

void RegisterScrubCommand(CLI::App* system, int* exit_code) {
  static ScrubFlags f;
  auto* scrub = system->add_subcommand("scrub", "scrub (re-read and verify every chunk): status, or a pass now (--now)");
  AddDataOption(scrub);
  scrub->add_flag("--now", f.now, "start a pass now");
  scrub->add_flag("--wait", f.wait, "with --now: return when the pass has ended");
  scrub->add_option("--wait-for", f.wait_for, "with --wait: give up waiting after this long (default 10m)");
  scrub->callback([exit_code] { *exit_code = RunScrub(f); });
}

}  // namespace ccow::cli
