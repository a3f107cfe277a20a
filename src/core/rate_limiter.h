// Paces a background pass's I/O to a byte rate (the healer's repair traffic, the
// scrubber's reads, segment compaction's rewrite): the bytes admitted since the pass
// began may not run ahead of the rate. In core so that the chunk store's compaction and
// the target's jobs share one limiter.
//
// Two ways to wait: Wait() blocks on the caller's own condition variable (a thread that
// stops by setting a flag under its mutex and notifying), Pace() on a std::stop_token.
// Pace() reads and sleeps on the limiter's Time, which a test replaces by a fake clock
// whose sleeps advance it: pacing is then checked exactly, in no real time.
// Thread safety: one pass (one thread) per limiter.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

#include "core/check.h"

namespace ccow {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Where a limiter reads the time and sleeps.
  class Time {
   public:
    virtual ~Time() = default;
    virtual Clock::time_point Now() = 0;
    // Sleeps until t; returns false, early, once stop is requested (at once if it was).
    virtual bool SleepUntil(Clock::time_point t, const std::stop_token& stop) = 0;
  };
  // The steady clock; a sleep wakes as soon as its stop is requested.
  static Time& Steady() {
    static SteadyTime steady;
    return steady;
  }

  explicit RateLimiter(uint64_t bytes_per_second = 0, Time* time = nullptr)
      : rate_(bytes_per_second), time_(time ? time : &Steady()), start_(time_->Now()) {}

  // A new pass: the budget starts from now.
  void Restart() {
    start_ = time_->Now();
    bytes_ = 0;
  }
  // Counts `bytes` more and returns the time before which they must not go (now or
  // earlier when the pass is within its rate; always when the rate is 0: unlimited).
  Clock::time_point Due(uint64_t bytes) {
    bytes_ += bytes;
    if (rate_ == 0) return start_;
    return start_ + std::chrono::nanoseconds(static_cast<uint64_t>(static_cast<double>(bytes_) * 1e9 / rate_));
  }
  // Counts `bytes` and sleeps until they are due. False when stop was requested before
  // they were (the caller stops its pass).
  bool Pace(uint64_t bytes, const std::stop_token& stop = {}) {
    auto due = Due(bytes);
    if (stop.stop_requested()) return false;
    if (rate_ == 0 || due <= time_->Now()) return true;
    return time_->SleepUntil(due, stop);
  }
  // Counts `bytes` and waits on cv (under mu) until they are due, or until stop is set
  // (read under mu: the owner sets it under mu and notifies cv). The steady clock only:
  // the condition variable waits by it.
  void Wait(uint64_t bytes, std::mutex& mu, std::condition_variable& cv, const bool& stop) {
    CCOW_CHECK(time_ == &Steady());
    auto due = Due(bytes);
    std::unique_lock lock(mu);
    cv.wait_until(lock, due, [&] { return stop; });
  }
  uint64_t rate() const { return rate_; }

 private:
  class SteadyTime final : public Time {
   public:
    Clock::time_point Now() override { return Clock::now(); }
    bool SleepUntil(Clock::time_point t, const std::stop_token& stop) override {
      std::mutex mu;
      std::condition_variable_any cv;  // woken by a stop request (its stop_callback)
      std::unique_lock lock(mu);
      cv.wait_until(lock, stop, t, [] { return false; });
      return !stop.stop_requested();
    }
  };

  uint64_t rate_;
  Time* time_;
  Clock::time_point start_;
  uint64_t bytes_ = 0;
};

}  // namespace ccow
