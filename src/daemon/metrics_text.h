// One Prometheus metric in the text exposition format (HELP, TYPE, one sample), as the
// daemons' background services write their lines on /metrics.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace ccow::daemon {

inline std::string MetricText(std::string_view name, std::string_view type, std::string_view help, double value) {
  std::ostringstream os;
  os << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << value << "\n";
  return os.str();
}

}  // namespace ccow::daemon
