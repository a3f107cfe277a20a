#include "core/check.h"

#include <gtest/gtest.h>

#include <string>

#include "core/status.h"

namespace ccow {
namespace {

// The death tests run in a forked child; "threadsafe" re-executes the binary for it, which
// is what gtest recommends once threads may exist (and what ThreadSanitizer tolerates).
class CheckDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(CheckDeathTest, PassingCheckDoesNothing) {
  int evaluated = 0;
  CCOW_CHECK(++evaluated == 1);
  CCOW_CHECK_MSG(evaluated == 1, "never printed");
  EXPECT_EQ(evaluated, 1);  // the condition is evaluated exactly once
}

TEST_F(CheckDeathTest, FailingCheckAbortsWithFileLineAndExpression) {
  int three = 3;
  EXPECT_DEATH(CCOW_CHECK(three == 4),
               "ccow: invariant failed at .*check_test.cc:[0-9]+: three == 4");
}

TEST_F(CheckDeathTest, FailingCheckPrintsItsMessage) {
  std::string why = "the queue was empty";
  EXPECT_DEATH(CCOW_CHECK_MSG(why.empty(), why.c_str()),
               "invariant failed at .*: why.empty\\(\\) the queue was empty");
}

// This binary is built like a release (RelWithDebInfo defines NDEBUG, which compiles
// assert() out); the check must fire all the same.
TEST_F(CheckDeathTest, StaysOnWithNdebug) {
#ifndef NDEBUG
  GTEST_SKIP() << "built without NDEBUG; the release-build property is not exercised";
#endif
  EXPECT_DEATH(CCOW_CHECK(false), "invariant failed");
}

TEST_F(CheckDeathTest, ResultValueOfAnErrorAborts) {
  Result<int> r = Status::NotFound("no such chunk");
  EXPECT_DEATH((void)r.value(), "invariant failed at .*status.h:[0-9]+: ok\\(\\) not found: no such chunk");
}

TEST_F(CheckDeathTest, ResultFromOkStatusAborts) {
  EXPECT_DEATH(Result<int>{Status::OK()}, "Result built from an OK status");
}

}  // namespace
}  // namespace ccow
