// A fake clock for RateLimiter (core/rate_limiter.h): time stands still until a paced
// caller sleeps, and a sleep moves it to the wake-up time at once. Pacing is then exact
// and takes no real time. It can also request a stop at its Nth sleep, so that "stopped
// mid-pass" happens at a chosen point.
#pragma once

#include <cstdint>
#include <stop_token>

#include "core/rate_limiter.h"

namespace ccow::testing {

class FakePaceTime final : public RateLimiter::Time {
 public:
  using Clock = RateLimiter::Clock;

  Clock::time_point Now() override { return now_; }
  bool SleepUntil(Clock::time_point t, const std::stop_token& stop) override {
    ++sleeps_;
    if (stop_source_ && sleeps_ == stop_at_sleep_) stop_source_->request_stop();
    if (stop.stop_requested()) return false;
    if (t > now_) now_ = t;
    return true;
  }

  // Requests a stop of `source` at the nth sleep (which then returns false).
  void StopAtSleep(std::stop_source* source, uint64_t n) {
    stop_source_ = source;
    stop_at_sleep_ = n;
  }
  // Time spent on something else than sleeping (the caller's own work).
  void Advance(Clock::duration d) { now_ += d; }
  // How far time has moved since the start.
  double seconds() const { return std::chrono::duration<double>(now_ - Clock::time_point()).count(); }
  uint64_t sleeps() const { return sleeps_; }

 private:
  Clock::time_point now_{};  // the epoch of the steady clock: time 0
  uint64_t sleeps_ = 0;
  std::stop_source* stop_source_ = nullptr;
  uint64_t stop_at_sleep_ = 0;
};

}  // namespace ccow::testing
