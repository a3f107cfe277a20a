#include "core/config.h"

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ccow {

namespace {

// The multiplier of a size unit already upper-cased: "" or "B" is bytes; K, M, G, T with
// an optional "I" and/or "B" (K, KB, KI, KIB) are powers of 1024, because chunk sizes,
// quotas and caches are counted in binary units everywhere else in ccow.
uint64_t UnitMultiplier(std::string unit) {
  if (unit.empty() || unit == "B") return 1;
  if (unit.size() >= 2 && unit.back() == 'B') unit.pop_back();
  if (unit.size() >= 2 && unit.back() == 'I') unit.pop_back();
  if (unit.size() != 1) return 0;
  switch (unit[0]) {
    case 'K': return 1ull << 10;
    case 'M': return 1ull << 20;
    case 'G': return 1ull << 30;
    case 'T': return 1ull << 40;
    default: return 0;
  }
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text) {
  // Messages start with the quoted text so that callers can prefix the flag or config key.
  const std::string quoted = "'" + std::string(text) + "'";
  const Status not_a_size =
      Status::InvalidArgument(quoted + ": expected bytes or a size such as 256K, 4M, 1G");
  const Status too_large = Status::InvalidArgument(quoted + ": too large (sizes go up to 16 EiB)");
  std::string t;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) t.push_back(c);
  size_t i = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  if (i == 0) return not_a_size;
  uint64_t value = 0;
  for (size_t k = 0; k < i; ++k) {
    uint64_t digit = static_cast<uint64_t>(t[k] - '0');
    if (value > (UINT64_MAX - digit) / 10) return too_large;
    value = value * 10 + digit;
  }
  std::string unit = t.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  uint64_t mult = UnitMultiplier(unit);
  if (mult == 0) return not_a_size;
  if (value != 0 && mult > UINT64_MAX / value) return too_large;
  return value * mult;
}

Result<uint64_t> ParseDuration(std::string_view text) {
  const Status bad = Status::InvalidArgument("'" + std::string(text) +
                                             "': expected seconds or a duration such as 500ms, 90s, 10m, 2h, 7d");
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 19) return bad;
  uint64_t n = 0;
  for (size_t k = 0; k < i; ++k) n = n * 10 + static_cast<uint64_t>(text[k] - '0');
  const std::string_view unit = text.substr(i);
  const uint64_t scale = unit.empty() || unit == "s" ? 1'000'000'000ull
                         : unit == "ms"              ? 1'000'000ull
                         : unit == "m"               ? 60'000'000'000ull
                         : unit == "h"               ? 3'600'000'000'000ull
                         : unit == "d"               ? 86'400'000'000'000ull
                                                     : 0;
  if (scale == 0 || n > UINT64_MAX / scale) return bad;
  return n * scale;
}

std::string FormatDuration(uint64_t ns) {
  static constexpr std::pair<const char*, uint64_t> kUnits[] = {
      {"d", 86'400'000'000'000ull}, {"h", 3'600'000'000'000ull}, {"m", 60'000'000'000ull},
      {"s", 1'000'000'000ull},      {"ms", 1'000'000ull}};
  for (const auto& [unit, scale] : kUnits)
    if (ns != 0 && ns % scale == 0) return std::to_string(ns / scale) + unit;
  return ns == 0 ? "0s" : std::to_string(ns) + "ns";
}

std::string FormatSize(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = static_cast<double>(bytes);
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::ostringstream os;
  if (v == static_cast<double>(static_cast<uint64_t>(v)))
    os << static_cast<uint64_t>(v) << ' ' << kUnits[u];
  else {
    os.precision(1);
    os << std::fixed << v << ' ' << kUnits[u];
  }
  return os.str();
}

namespace {
void Flatten(const nlohmann::json& j, const std::string& prefix,
             std::map<std::string, std::string>* out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      Flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else if (j.is_string()) {
    (*out)[prefix] = j.get<std::string>();
  } else {
    (*out)[prefix] = j.dump();
  }
}
}  // namespace

Result<Config> Config::Parse(std::string_view json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::InvalidArgument("config is not a JSON object");
  Config c;
  Flatten(j, "", &c.values_);
  return c;
}

Result<Config> Config::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("config file " + path + " cannot be opened");
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = Parse(ss.str());
  if (!c.ok()) return c.status().WithContext(path);
  return c;
}

std::string Config::GetString(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

Result<uint64_t> Config::GetSize(const std::string& key, uint64_t fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  auto r = ParseSize(it->second);
  if (!r.ok()) return r.status().WithContext("config key " + key);
  return r;
}

}  // namespace ccow
