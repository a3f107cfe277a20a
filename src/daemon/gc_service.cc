#include "daemon/gc_service.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "daemon/metrics_text.h"

namespace ccow::daemon {

GcService::GcService(std::unique_ptr<Collector> collector, GcServiceOptions options)
    : collector_(std::move(collector)), name_(options.name) {
  PassSchedulerOptions so;
  so.interval_ns = options.interval_ns;
  so.may_drive = std::move(options.may_drive);
  so.before_pass = std::move(options.before_pass);
  so.job = "gc";
  // The collector logs and records a failed pass itself.
  scheduler_ = std::make_unique<PassScheduler>([this] { return collector_->RunPass().status(); }, std::move(so));
}

GcService::~GcService() {
  collector_->Stop();  // a paced compaction would otherwise hold the stop up for its whole pass
  scheduler_.reset();
}

namespace {
nlohmann::json ResultJson(const GcPassResult& r) {
  return {{"lists_scanned", r.lists_scanned},   {"versions_expired", r.versions_expired},
          {"lists_removed", r.lists_removed},   {"chunks_marked", r.chunks_marked},
          {"chunks_pinned", r.chunks_pinned},   {"chunks_scanned", r.chunks_scanned},
          {"chunks_freed", r.chunks_freed},     {"bytes_freed", r.bytes_freed},
          {"segments_compacted", r.segments_compacted}, {"segments_deleted", r.segments_deleted},
          {"bytes_rewritten", r.bytes_rewritten}, {"file_bytes_reclaimed", r.file_bytes_reclaimed},
          {"seconds", r.seconds}};
}
}  // namespace

std::string GcService::StatusJson() const {
  GcProgress p = collector_->progress();
  Status may = scheduler_->MayDrive();
  nlohmann::json j = {{"running", p.running},
                      {"phase", p.phase},
                      {"passes_completed", p.passes_completed},
                      {"passes_failed", p.passes_failed},
                      {"last_started_ns", p.last_started_ns},
                      {"last_finished_ns", p.last_finished_ns},
                      {"last_pass", ResultJson(p.last)},
                      {"total", ResultJson(p.total)},
                      {"last_error", p.last_error},
                      {"interval_s", scheduler_->interval_ns() / 1'000'000'000},
                      {"rate_limit_bytes_per_second", collector_->compaction_rate()},
                      {"driving", may.ok()}};
  if (!may.ok()) j["not_driving"] = may.message();
  if (!name_.empty()) j["target"] = name_;
  j["passes_started"] = scheduler_->passes_started();
  // Seconds until the next periodic pass (0: due now or running); absent when passes run
  // only on demand or another process drives them.
  if (auto next = scheduler_->NextPassInSeconds()) j["next_pass_in_s"] = p.running ? 0.0 : *next;
  return j.dump();
}

std::string GcService::MetricsText() const {
  GcProgress p = collector_->progress();
  std::string out;
  auto line = [&](const char* name, const char* type, const char* help, double v) {
    out += MetricText(name, type, help, v);
  };
  line("ccow_gc_passes_total", "counter", "Garbage collection passes completed.", double(p.passes_completed));
  line("ccow_gc_passes_failed_total", "counter", "Passes that stopped early and freed nothing more.",
       double(p.passes_failed));
  line("ccow_gc_versions_expired_total", "counter", "Quarantined versions dropped after their retention.",
       double(p.total.versions_expired));
  line("ccow_gc_chunks_freed_total", "counter", "Chunks freed (no version referenced them).",
       double(p.total.chunks_freed));
  line("ccow_gc_bytes_reclaimed_total", "counter", "Logical payload bytes of the chunks freed.",
       double(p.total.bytes_freed));
  line("ccow_gc_segments_compacted_total", "counter", "Segment files rewritten or deleted by compaction.",
       double(p.total.segments_compacted + p.total.segments_deleted));
  line("ccow_gc_file_bytes_reclaimed_total", "counter", "Segment file bytes given back to the file system.",
       double(p.total.file_bytes_reclaimed));
  line("ccow_gc_pass_seconds", "gauge", "Duration of the last completed pass.", p.last.seconds);
  line("ccow_gc_rate_limit_bytes_per_second", "gauge",
       "Live bytes per second a pass's segment compaction rewrites at most (0: unlimited).",
       double(collector_->compaction_rate()));
  line("ccow_gc_running", "gauge", "1 while a pass runs.", p.running ? 1.0 : 0.0);
  line("ccow_gc_driving", "gauge", "1 where passes are driven (one node; a cluster's Raft leader).",
       scheduler_->MayDrive().ok() ? 1.0 : 0.0);
  return out;
}

std::optional<AdminReply> GcService::Handle(const std::string& method, const std::string& path,
                                            const http::ParsedTarget& target) {
  if (path != "/admin/gc") return std::nullopt;
  if (method == "GET") return AdminReply{200, StatusJson()};
  if (method != "POST") return ReplyOf(Status::InvalidArgument("/admin/gc takes GET or POST"));
  return scheduler_->HandlePost(target, [this] { return StatusJson(); });
}

}  // namespace ccow::daemon
