#include "daemon/scrub_service.h"

#include <nlohmann/json.hpp>

#include "daemon/metrics_text.h"


namespace ccow::daemon {
namespace {

nlohmann::json CountsJson(const ScrubCounts& c) {
  return {{"chunks", c.chunks},     {"bytes", c.bytes},           {"corrupt", c.corrupt},
          {"repaired", c.repaired}, {"unrepairable", c.unrepairable}, {"read_repairs", c.read_repairs}};
}

}  // namespace

std::string ScrubStatusJson(const ScrubProgress& p) {
  nlohmann::json findings = nlohmann::json::array();
  for (const ScrubFinding& f : p.unrepairable)
    findings.push_back({{"vdev", f.vdev_id}, {"chid", f.chid}, {"error", f.error}, {"objects", f.objects},
                        {"found_ns", f.found_ns}});
  nlohmann::json j = {{"running", p.running},
                      {"passes_started", p.passes_started},
                      {"passes_completed", p.passes_completed},
                      {"pass_started_ns", p.pass_started_ns},
                      {"last_finished_ns", p.last_finished_ns},
                      {"last_pass_seconds", p.last_pass_seconds},
                      {"pass_chunks_estimate", p.pass_chunks_estimate},
                      {"pass", CountsJson(p.pass)},
                      {"total", CountsJson(p.total)},
                      {"read_repairs_queued", p.read_repairs_queued},
                      {"read_repairs_dropped", p.read_repairs_dropped},
                      {"read_repairs_waiting", p.read_repairs_waiting},
                      {"unrepairable", findings},
                      {"rate_bytes_per_second", p.rate_bytes_per_second},
                      {"interval_s", p.interval_ns / 1'000'000'000}};
  return j.dump();
}

ScrubService::ScrubService(std::unique_ptr<Scrubber> scrubber) : scrubber_(std::move(scrubber)) {
  scrubber_->Start();
}

ScrubService::~ScrubService() = default;

std::string ScrubService::StatusJson() const { return ScrubStatusJson(scrubber_->progress()); }

std::string ScrubService::MetricsText() const {
  ScrubProgress p = scrubber_->progress();
  std::string out;
  auto line = [&](const char* name, const char* type, const char* help, double v) {
    out += MetricText(name, type, help, v);
  };
  line("ccow_scrub_passes_total", "counter", "Scrub passes completed.", double(p.passes_completed));
  line("ccow_scrub_chunks_total", "counter", "Chunk copies read back and verified.", double(p.total.chunks));
  line("ccow_scrub_bytes_total", "counter", "Bytes read back and verified.", double(p.total.bytes));
  line("ccow_scrub_corrupt_total", "counter", "Bad copies found (missing, truncated or wrong bytes), by scrub or reads.",
       double(p.total.corrupt));
  line("ccow_scrub_repaired_total", "counter", "Bad copies replaced by a verified healthy copy.",
       double(p.total.repaired));
  line("ccow_scrub_unrepairable_total", "counter", "Bad copies with no healthy copy anywhere.",
       double(p.total.unrepairable));
  line("ccow_scrub_read_repairs_total", "counter", "Bad copies reported by reads and confirmed.",
       double(p.total.read_repairs));
  line("ccow_scrub_read_repairs_dropped_total", "counter", "Read repairs not queued (queue full; the next pass finds them).",
       double(p.read_repairs_dropped));
  line("ccow_scrub_running", "gauge", "1 while a pass runs.", p.running ? 1.0 : 0.0);
  line("ccow_scrub_pass_chunks", "gauge", "Chunks verified by the pass under way (or the last).", double(p.pass.chunks));
  line("ccow_scrub_pass_chunks_estimate", "gauge", "Chunks on the VDEVs when the pass began.",
       double(p.pass_chunks_estimate));
  line("ccow_scrub_pass_seconds", "gauge", "Duration of the last pass.", p.last_pass_seconds);
  line("ccow_scrub_rate_limit_bytes_per_second", "gauge", "Configured scrub read rate (0: unlimited).",
       double(p.rate_bytes_per_second));
  return out;
}

std::optional<AdminReply> ScrubService::Handle(const std::string& method, const std::string& path,
                                               const http::ParsedTarget& target) {
  if (path != "/admin/scrub") return std::nullopt;
  if (method == "GET") return AdminReply{200, StatusJson()};
  if (method != "POST") return ReplyOf(Status::InvalidArgument("/admin/scrub takes GET or POST"));
  uint64_t pass = scrubber_->Trigger();
  if (auto error =
          WaitForPassReply(target, pass, [this](uint64_t p, uint64_t ms) { return scrubber_->WaitFor(p, ms); }))
    return *error;
  auto j = nlohmann::json::parse(StatusJson());
  j["requested_pass"] = pass;  // "pass" holds the counts of the pass under way or the last one
  return AdminReply{200, j.dump()};
}

}  // namespace ccow::daemon
