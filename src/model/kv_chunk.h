// Key/value payload chunks: a sorted array of records, the payload kind used by
// key/value objects (S3X) and by name indexes. Keys are strictly increasing, which
// makes the encoding canonical and lookups a binary search.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ccow {

struct KeyValueChunk {
  static constexpr uint8_t kFormatVersion = 1;
  std::vector<std::pair<std::string, std::string>> records;  // strictly sorted by key

  // Sorts and rejects duplicate keys.
  static Result<KeyValueChunk> FromUnsorted(std::vector<std::pair<std::string, std::string>> r);
  std::optional<std::string_view> Find(std::string_view key) const;

  std::string Encode() const;
  static Result<KeyValueChunk> Decode(std::string_view bytes);
};

}  // namespace ccow
