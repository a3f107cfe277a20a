#include "daemon/gc_service.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "daemon/metrics_text.h"

namespace ccow::daemon {

GcService::GcService(std::unique_ptr<Collector> collector, GcServiceOptions options)
    : collector_(std::move(collector)), options_(std::move(options)) {
  next_ = std::chrono::steady_clock::now() + std::chrono::nanoseconds(options_.interval_ns);
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
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] {
                        // A request dropped (this process stopped driving) is not waited for.
                        return ended_ >= pass || stop_ || (requested_ < pass && !MayDrive().ok());
                      }) &&
         ended_ >= pass;
}

void GcService::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    const bool due = options_.interval_ns > 0 && now >= next_;
    if (requested_ <= started_ && !due) {
      if (options_.interval_ns > 0)
        cv_.wait_until(lock, next_);
      else
        cv_.wait(lock);
      continue;
    }
    if (options_.may_drive) {
      lock.unlock();
      Status may = MayDrive();
      lock.lock();
      if (!may.ok()) {
        // Another process drives (a cluster's leader): the schedule starts over, and a
        // request that came in before this process stopped driving is dropped.
        if (requested_ > started_) {
          spdlog::info("gc: the requested pass does not run here: {}", may.message());
          requested_ = started_;
        }
        next_ = now + std::chrono::nanoseconds(options_.interval_ns);
        cv_.notify_all();
        continue;
      }
    }
    ++started_;
    lock.unlock();
    if (options_.before_pass) options_.before_pass();
    auto result = collector_->RunPass();  // the collector logs and records failures
    lock.lock();
    ended_ = started_;
    outcomes_.emplace_back(ended_, result.status());
    if (outcomes_.size() > 16) outcomes_.pop_front();
    next_ = std::chrono::steady_clock::now() + std::chrono::nanoseconds(options_.interval_ns);
    cv_.notify_all();
  }
}

std::optional<Status> GcService::OutcomeOf(uint64_t pass) const {
  std::lock_guard lock(mu_);
  for (const auto& [number, status] : outcomes_)
    if (number == pass) return status;
  return std::nullopt;
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
  Status may = MayDrive();
  nlohmann::json j = {{"running", p.running},
                      {"phase", p.phase},
                      {"passes_completed", p.passes_completed},
                      {"passes_failed", p.passes_failed},
                      {"last_started_ns", p.last_started_ns},
                      {"last_finished_ns", p.last_finished_ns},
                      {"last_pass", ResultJson(p.last)},
                      {"total", ResultJson(p.total)},
                      {"last_error", p.last_error},
                      {"interval_s", options_.interval_ns / 1'000'000'000},
                      {"driving", may.ok()}};
  if (!may.ok()) j["not_driving"] = may.message();
  if (!options_.name.empty()) j["target"] = options_.name;
  std::lock_guard lock(mu_);
  j["passes_started"] = started_;
  // Seconds until the next periodic pass (0: due now or running); absent when passes run
  // only on demand or another process drives them.
  if (options_.interval_ns > 0 && may.ok()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_ - std::chrono::steady_clock::now());
    j["next_pass_in_s"] = p.running ? 0.0 : std::max(0.0, left.count() / 1000.0);
  }
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
  line("ccow_gc_driving", "gauge", "1 where passes are driven (one node; a cluster's Raft leader).",
       MayDrive().ok() ? 1.0 : 0.0);
  return out;
}

std::optional<AdminReply> GcService::Handle(const std::string& method, const std::string& path,
                                            const http::ParsedTarget& target) {
  if (path != "/admin/gc") return std::nullopt;
  if (method == "GET") return AdminReply{200, StatusJson()};
  if (method != "POST") return ReplyOf(Status::InvalidArgument("/admin/gc takes GET or POST"));
  if (Status may = MayDrive(); !may.ok()) {
    AdminReply r = ReplyOf(may);
    auto j = nlohmann::json::parse(r.body);
    j["driving"] = false;  // not a failure of the pass: another process drives them
    r.body = j.dump();
    return r;
  }
  uint64_t pass = Trigger();
  if (auto error = WaitForPassReply(target, pass, [this](uint64_t p, uint64_t ms) { return WaitFor(p, ms); }))
    return *error;
  auto j = nlohmann::json::parse(StatusJson());
  j["pass"] = pass;
  if (auto outcome = OutcomeOf(pass)) {  // waited for: how it ended
    j["pass_ok"] = outcome->ok();
    if (!outcome->ok()) {
      j["pass_error"] = outcome->message();
      j["pass_error_code"] = CodeName(outcome->code());
    }
  }
  return AdminReply{200, j.dump()};
}

}  // namespace ccow::daemon
