#include "core/check.h"

#include <cstdio>
#include <cstdlib>

namespace ccow::internal {

// Writes straight to stderr rather than through spdlog: the daemons' log already goes to
// stderr (core/logging.h), so the line lands in the same place, and a check that fails
// while its thread is inside spdlog (holding a sink's mutex) cannot deadlock here.
// One fprintf call per line keeps concurrent failures from interleaving mid-line.
void CheckFailed(const char* file, int line, const char* expr, const char* msg) {
  std::fprintf(stderr, "ccow: invariant failed at %s:%d: %s%s%s\n", file, line, expr,
               msg ? " " : "", msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace ccow::internal
