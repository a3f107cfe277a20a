// RateLimiter (core/rate_limiter.h): bytes are due at start + bytes / rate, a rate of 0
// never waits, and a stop request ends a wait at once (on the fake clock and the real one).
#include "core/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/fake_pace_time.h"

namespace ccow {
namespace {

using testing::FakePaceTime;
using Clock = RateLimiter::Clock;

TEST(RateLimiterTest, BytesAreDueAtTheirShareOfTheRateSinceTheStart) {
  FakePaceTime time;
  RateLimiter limiter(1'000'000, &time);  // 1 MB/s
  EXPECT_EQ(limiter.Due(500'000) - time.Now(), std::chrono::milliseconds(500));
  EXPECT_EQ(limiter.Due(1'500'000) - time.Now(), std::chrono::seconds(2));  // counts accumulate
}

TEST(RateLimiterTest, PaceSleepsUntilDueSoAPassTakesItsBytesOverTheRate) {
  FakePaceTime time;
  RateLimiter limiter(4 << 20, &time);
  limiter.Restart();
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(limiter.Pace(1 << 20));
  EXPECT_DOUBLE_EQ(time.seconds(), 4.0);  // 16 MiB at 4 MiB/s
  EXPECT_EQ(time.sleeps(), 16u);
}

TEST(RateLimiterTest, PaceDoesNotSleepWhenTheWorkItselfWasSlowerThanTheRate) {
  FakePaceTime time;
  RateLimiter limiter(1 << 20, &time);
  limiter.Restart();
  time.Advance(std::chrono::seconds(2));  // reading and writing 1 MiB took 2 s
  ASSERT_TRUE(limiter.Pace(1 << 20));     // due at 1 s: already past
  EXPECT_EQ(time.sleeps(), 0u);
  EXPECT_DOUBLE_EQ(time.seconds(), 2.0);
}

TEST(RateLimiterTest, RateZeroIsUnlimitedAndNeverSleeps) {
  FakePaceTime time;
  RateLimiter limiter(0, &time);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(limiter.Pace(1ull << 30));
  EXPECT_EQ(time.sleeps(), 0u);
  EXPECT_EQ(time.seconds(), 0.0);
}

TEST(RateLimiterTest, PaceAnswersFalseOnceStopIsRequested) {
  FakePaceTime time;
  std::stop_source stop;
  time.StopAtSleep(&stop, 3);
  RateLimiter limiter(1 << 20, &time);
  EXPECT_TRUE(limiter.Pace(1 << 20, stop.get_token()));
  EXPECT_TRUE(limiter.Pace(1 << 20, stop.get_token()));
  EXPECT_FALSE(limiter.Pace(1 << 20, stop.get_token()));  // stopped during its sleep
  EXPECT_FALSE(limiter.Pace(0, stop.get_token()));        // and from then on, without sleeping
  EXPECT_EQ(time.sleeps(), 3u);
}

TEST(RateLimiterTest, SteadyClockSleepWakesAtOnceOnAStopRequest) {
  RateLimiter limiter(1);  // 1 byte/s: a 60-byte pace would sleep a minute
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.request_stop();
  });
  auto start = Clock::now();
  EXPECT_FALSE(limiter.Pace(60, stop.get_token()));
  stopper.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST(RateLimiterTest, SteadyClockPaceTakesAtLeastItsBytesOverTheRate) {
  RateLimiter limiter(1 << 20);
  auto start = Clock::now();
  limiter.Restart();
  ASSERT_TRUE(limiter.Pace(100 << 10));  // ~98 ms
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(97));
}

}  // namespace
}  // namespace ccow
