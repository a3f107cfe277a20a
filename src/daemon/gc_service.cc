#include "daemon/gc_service.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "daemon/metrics_text.h"

namespace ccow::daemon {

GcService::GcService(std::unique_ptr<Collector> collector, GcServiceOptions options)
    : collector_(std::move(collector)), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

GcService::~GcService() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t GcService::Trigger() {
  std::lock_guard lock(mu_);
  // A pass under way may have read part of the names already: the request needs the next.
  requested_ = std::max(requested_, started_ + 1);
  cv_.notify_all();
  return requested_;
}

bool GcService::WaitFor(uint64_t pass, uint64_t timeout_ms) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return ended_ >= pass || stop_; }) &&
         ended_ >= pass;
}

void GcService::Run() {
  std::unique_lock lock(mu_);
  auto next = std::chrono::steady_clock::now() + std::chrono::nanoseconds(options_.interval_ns);
  while (!stop_) {
    bool due = options_.interval_ns > 0 && std::chrono::steady_clock::now() >= next;
    if (requested_ <= started_ && !due) {
      if (options_.interval_ns > 0)
        cv_.wait_until(lock, next);
      else
        cv_.wait(lock);
      continue;
    }
    ++started_;
    lock.unlock();
    (void)collector_->RunPass();  // the collector logs and records failures
    lock.lock();
    ended_ = started_;
    next = std::chrono::steady_clock::now() + std::chrono::nanoseconds(options_.interval_ns);
    cv_.notify_all();
  }
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
  nlohmann::json j = {{"running", p.running},
                      {"phase", p.phase},
                      {"passes_completed", p.passes_completed},
                      {"passes_failed", p.passes_failed},
                      {"last_started_ns", p.last_started_ns},
                      {"last_finished_ns", p.last_finished_ns},
                      {"last_pass", ResultJson(p.last)},
                      {"total", ResultJson(p.total)},
                      {"last_error", p.last_error},
                      {"interval_s", options_.interval_ns / 1'000'000'000}};
  std::lock_guard lock(mu_);
  j["passes_started"] = started_;
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
  line("ccow_gc_running", "gauge", "1 while a pass runs.", p.running ? 1.0 : 0.0);
  return out;
}

std::optional<AdminReply> GcService::Handle(const std::string& method, const std::string& path,
                                            const http::ParsedTarget& target) {
  if (path != "/admin/gc") return std::nullopt;
  if (method == "GET") return AdminReply{200, StatusJson()};
  if (method != "POST") return ReplyOf(Status::InvalidArgument("/admin/gc takes GET or POST"));
  uint64_t pass = Trigger();
  if (auto error = WaitForPassReply(target, pass, [this](uint64_t p, uint64_t ms) { return WaitFor(p, ms); }))
    return *error;
  auto j = nlohmann::json::parse(StatusJson());
  j["pass"] = pass;
  return AdminReply{200, j.dump()};
}

}  // namespace ccow::daemon
