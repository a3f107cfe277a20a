// Paces a background pass's I/O to a byte rate (the healer's repair traffic, the
// scrubber's reads): the bytes admitted since the pass began may not run ahead of the
// rate. Wait() blocks on the caller's own condition variable, so that a stop request
// still wakes it.
// Thread safety: one pass (one thread) per limiter.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace ccow {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(uint64_t bytes_per_second = 0) : rate_(bytes_per_second) {}
  // A new pass: the budget starts from now.
  void Restart() {
    start_ = Clock::now();
    bytes_ = 0;
  }
  // Counts `bytes` more and returns the time before which they must not go (now or
  // earlier when the pass is within its rate; always when the rate is 0: unlimited).
  Clock::time_point Due(uint64_t bytes) {
    bytes_ += bytes;
    if (rate_ == 0) return start_;
    return start_ + std::chrono::nanoseconds(static_cast<uint64_t>(static_cast<double>(bytes_) * 1e9 / rate_));
  }
  // Counts `bytes` and waits on cv (under mu) until they are due, or until stop is set
  // (read under mu: the owner sets it under mu and notifies cv).
  void Wait(uint64_t bytes, std::mutex& mu, std::condition_variable& cv, const bool& stop) {
    auto due = Due(bytes);
    std::unique_lock lock(mu);
    cv.wait_until(lock, due, [&] { return stop; });
  }
  uint64_t rate() const { return rate_; }

 private:
  uint64_t rate_;
  Clock::time_point start_ = Clock::now();
  uint64_t bytes_ = 0;
};

}  // namespace ccow
