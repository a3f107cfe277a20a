#include "model/kv_chunk.h"

#include <algorithm>

#include "model/encoding.h"

namespace ccow {

Result<KeyValueChunk> KeyValueChunk::FromUnsorted(
    std::vector<std::pair<std::string, std::string>> r) {
  std::sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < r.size(); ++i)
    if (r[i].first == r[i - 1].first)
      return Status::InvalidArgument("duplicate key '" + r[i].first + "' in key/value chunk");
  KeyValueChunk c;
  c.records = std::move(r);
  return c;
}

std::optional<std::string_view> KeyValueChunk::Find(std::string_view key) const {
  auto it = std::lower_bound(records.begin(), records.end(), key,
                             [](const auto& rec, std::string_view k) { return rec.first < k; });
  if (it == records.end() || it->first != key) return std::nullopt;
  return std::string_view(it->second);
}

std::string KeyValueChunk::Encode() const {
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(RecordKind::kKeyValueChunk));
  enc.PutU8(kFormatVersion);
  enc.PutVarint(records.size());
  for (const auto& [k, v] : records) {
    enc.PutBytes(k);
    enc.PutBytes(v);
  }
  return enc.Take();
}

Result<KeyValueChunk> KeyValueChunk::Decode(std::string_view bytes) {
  Decoder dec(bytes, "key/value chunk");
  dec.GetRecordHeader(RecordKind::kKeyValueChunk, kFormatVersion);
  KeyValueChunk c;
  uint64_t n = dec.GetCount(2);
  c.records.reserve(n);
  for (uint64_t i = 0; i < n && dec.status().ok(); ++i) {
    std::string k = dec.GetBytes();
    std::string v = dec.GetBytes();
    if (!c.records.empty() && dec.status().ok() && !(c.records.back().first < k))
      dec.Fail("keys not strictly increasing");
    c.records.emplace_back(std::move(k), std::move(v));
  }
  CCOW_RETURN_IF_ERROR(dec.Finish());
  return c;
}

}  // namespace ccow
