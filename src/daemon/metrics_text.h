// One Prometheus metric in the text exposition format (HELP, TYPE, one sample), as the
// daemons' background services write their lines on /metrics.
#pragma once

#include <cmath>
#include <cstdint>
#include <iomanip>
#include <sstream>
#include <string>
#include <string_view>

namespace ccow::daemon {

inline std::string MetricText(std::string_view name, std::string_view type, std::string_view help, double value) {
  std::ostringstream os;
  os << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " ";
  // Whole numbers (counts, bytes, rates) exactly, others to 15 digits: the stream's
  // default 6 printed 33554432 as 3.35544e+07.
  if (value > -9e15 && value < 9e15 && value == std::trunc(value))
    os << static_cast<int64_t>(value);
  else
    os << std::setprecision(15) << value;
  os << "\n";
  return os.str();
}

}  // namespace ccow::daemon
