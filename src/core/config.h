// Configuration values: sizes written the way operators write them, and JSON config files.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ccow {

// "4096", "4096B", "64K", "64k", "64Ki", "64KB", "64KiB", "1M", "2G", "1T" -> bytes. K, M,
// G and T are powers of 1024 whether or not an "i" is written (4GB is 4 GiB); case and
// blanks do not matter. An error (kInvalidArgument) names the text and the accepted forms.
Result<uint64_t> ParseSize(std::string_view text);
// 1048576 -> "1 MiB"; exact multiples print without decimals.
std::string FormatSize(uint64_t bytes);
// "90" (seconds), "90s", "500ms", "10m", "2h", "7d" -> nanoseconds. An error
// (kInvalidArgument) starts with the quoted text and names the accepted forms.
Result<uint64_t> ParseDuration(std::string_view text);
// Nanoseconds in the largest unit that is exact ("7d", "90s", "500ms"), as ParseDuration
// reads them back; "1500us"-like values print as nanoseconds ("1500000ns").
std::string FormatDuration(uint64_t ns);

// A flat view of a JSON config file: nested keys are joined with dots ("store.layout").
// Unknown keys are kept so that a newer file is readable by an older binary.
class Config {
 public:
  static Result<Config> LoadFile(const std::string& path);
  static Result<Config> Parse(std::string_view json_text);

  bool Has(const std::string& key) const { return values_.count(key) != 0; }
  std::string GetString(const std::string& key, const std::string& fallback) const;
  Result<uint64_t> GetSize(const std::string& key, uint64_t fallback) const;
  void Set(const std::string& key, std::string value) { values_[key] = std::move(value); }
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace ccow
