// What the micro-benchmarks share: the one flag most of them take.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ccow::bench {

// `PROGRAM [--seconds N]`: the time per measurement, `fallback` when absent or not
// positive; -1 after printing the usage line for anything else (exit with 2).
inline double SecondsFlag(int argc, char** argv, double fallback) {
  double seconds = fallback;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::strtod(argv[++i], nullptr);
    } else {
      std::fprintf(stderr, "usage: %s [--seconds N]\n", argv[0]);
      return -1;
    }
  }
  return seconds > 0 ? seconds : fallback;
}

}  // namespace ccow::bench
