#include "daemon/pass_scheduler.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace ccow::daemon {

PassScheduler::PassScheduler(std::function<Status()> pass, PassSchedulerOptions options)
    : pass_(std::move(pass)), options_(std::move(options)) {
  next_ = std::chrono::steady_clock::now() + std::chrono::nanoseconds(options_.interval_ns);
  thread_ = std::thread([this] { Run(); });
}

PassScheduler::~PassScheduler() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t PassScheduler::Trigger() {
  std::lock_guard lock(mu_);
  // A pass under way may have read part of the names already: the request needs the next.
  requested_ = std::max(requested_, started_ + 1);
  cv_.notify_all();
  return requested_;
}

bool PassScheduler::WaitFor(uint64_t pass, uint64_t timeout_ms) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] {
                        // A request dropped (this process stopped driving) is not waited for.
                        return ended_ >= pass || stop_ || (requested_ < pass && !MayDrive().ok());
                      }) &&
         ended_ >= pass;
}

std::optional<Status> PassScheduler::OutcomeOf(uint64_t pass) const {
  std::lock_guard lock(mu_);
  for (const auto& [number, status] : outcomes_)
    if (number == pass) return status;
  return std::nullopt;
}

uint64_t PassScheduler::passes_started() const {
  std::lock_guard lock(mu_);
  return started_;
}

std::optional<double> PassScheduler::NextPassInSeconds() const {
  if (options_.interval_ns == 0 || !MayDrive().ok()) return std::nullopt;
  std::lock_guard lock(mu_);
  if (running_) return 0.0;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_ - std::chrono::steady_clock::now());
  return std::max(0.0, left.count() / 1000.0);
}

void PassScheduler::Run() {
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
          spdlog::info("{}: the requested pass does not run here: {}", options_.job, may.message());
          requested_ = started_;
        }
        next_ = now + std::chrono::nanoseconds(options_.interval_ns);
        cv_.notify_all();
        continue;
      }
    }
    ++started_;
    running_ = true;
    lock.unlock();
    if (options_.before_pass) options_.before_pass();
    Status outcome = pass_();  // the job logs and records its own failures
    lock.lock();
    running_ = false;
    ended_ = started_;
    outcomes_.emplace_back(ended_, outcome);
    if (outcomes_.size() > 16) outcomes_.pop_front();
    next_ = std::chrono::steady_clock::now() + std::chrono::nanoseconds(options_.interval_ns);
    cv_.notify_all();
  }
}

AdminReply PassScheduler::HandlePost(const http::ParsedTarget& target,
                                     const std::function<std::string()>& status_json) {
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
  auto j = nlohmann::json::parse(status_json());
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
