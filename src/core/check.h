// CCOW_CHECK: invariants that stay checked in release builds (never compiled out, unlike
// assert): a broken invariant stops the process before it can corrupt data.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace ccow::internal {
[[noreturn]] inline void CheckFailed(const char* file, int line, const char* expr, const char* msg) {
  std::fprintf(stderr, "ccow: invariant failed at %s:%d: %s %s\n", file, line, expr, msg ? msg : "");
  std::abort();
}
}  // namespace ccow::internal

#define CCOW_CHECK(cond) \
  ((cond) ? (void)0 : ::ccow::internal::CheckFailed(__FILE__, __LINE__, #cond, nullptr))
#define CCOW_CHECK_MSG(cond, msg) \
  ((cond) ? (void)0 : ::ccow::internal::CheckFailed(__FILE__, __LINE__, #cond, (msg)))
