// Logging setup. Code that logs includes <spdlog/spdlog.h> in its .cc file (never in a
// header) so that the fmt/spdlog templates stay out of widely included headers.
#pragma once

#include <string>

#include "core/status.h"

namespace ccow {

// level: trace, debug, info, warn, error, off. Logs go to stderr so that stdout stays
// clean for data (`ccow object get NAME > file`) and for --json output.
Status InitLogging(const std::string& level);

}  // namespace ccow
