// CCOW_CHECK: invariants that stay checked in every build, release included.
//
// An invariant is something the code itself guarantees (a counter never goes negative,
// a decoder never reads past what it bounds-checked, a lock-protected queue is not empty
// when its condition variable says so). When one fails, the process's state is already
// wrong; carrying on risks acknowledging data that was not stored or writing garbage to
// disk, so the process stops at once (std::abort, leaving a core) with the file, line
// and condition. Unlike assert(), the check does not depend on NDEBUG.
//
// Not for input validation: bad bytes from disk or the network, bad arguments from a
// user or a peer are expected and become Status errors (core/status.h).
//
// The header includes nothing heavy: the failure path lives out of line in check.cc.
#pragma once

namespace ccow::internal {

// Prints "ccow: invariant failed at FILE:LINE: EXPR MSG" to stderr (and the log) and
// aborts. msg may be null.
[[noreturn, gnu::cold, gnu::noinline]] void CheckFailed(const char* file, int line,
                                                        const char* expr, const char* msg);

}  // namespace ccow::internal

#define CCOW_CHECK(cond)                                                      \
  do {                                                                        \
    if (__builtin_expect(!(cond), 0))                                         \
      ::ccow::internal::CheckFailed(__FILE__, __LINE__, #cond, nullptr);      \
  } while (0)

// msg: anything convertible to const char* (a literal, or std::string::c_str()); it is
// evaluated only when the check fails.
#define CCOW_CHECK_MSG(cond, msg)                                             \
  do {                                                                        \
    if (__builtin_expect(!(cond), 0))                                         \
      ::ccow::internal::CheckFailed(__FILE__, __LINE__, #cond, (msg));        \
  } while (0)
