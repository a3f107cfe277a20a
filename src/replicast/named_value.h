// How a version list is held on a target in a cluster: the encoded list (empty for a
// deleted list's tombstone, which stays so that a stale replica cannot bring the list
// back) with the per-name sequence that orders updates across replicas.
// Encoding: varint seq, then the value bytes to the end (docs/FORMAT.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/hash.h"
#include "core/status.h"
#include "model/encoding.h"

namespace ccow::replicast {

// Where a version list lives: SHA-256 of the full object name, whatever hash the object's
// policy uses (puts of one name may change algorithm).
inline HashId NameHashOf(std::string_view name) { return HashBytes(HashAlgo::kSha256, name); }

struct NamedValue {
  uint64_t seq = 0;
  std::string value;

  bool is_tombstone() const { return value.empty(); }
  // What a named put or get names the value by, and what the initiator verifies.
  HashId ValueChid() const { return HashBytes(HashAlgo::kSha256, value); }

  std::string Encode() const {
    Encoder e;
    e.PutVarint(seq);
    std::string out = e.Take();
    out += value;
    return out;
  }
  static Result<NamedValue> Decode(std::string_view bytes) {
    Decoder d(bytes, "named value");
    NamedValue v;
    v.seq = d.GetVarint();
    CCOW_RETURN_IF_ERROR(d.status());
    v.value = std::string(bytes.substr(bytes.size() - d.remaining()));
    return v;
  }
};

}  // namespace ccow::replicast
