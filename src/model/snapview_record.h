// The record of a SnapView, a named view of a bucket as it was at one time
// (client/snapview.h): what a site needs to tell whether the whole view is there. It is
// the content of the view's system object in its bucket, so it travels with the bucket.
// Encoding (docs/FORMAT.md "SnapView record"): kind 0x0A, version 1, bytes name,
// u64 at_ns, u64 created_ns, varint members, HashId members_digest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/hash.h"
#include "core/status.h"

namespace ccow {

struct SnapViewRecord {
  static constexpr uint8_t kFormatVersion = 1;
  std::string name;         // the view's name (1..200 bytes of [A-Za-z0-9._-])
  uint64_t at_ns = 0;       // the time the view shows the bucket at
  uint64_t created_ns = 0;  // when it was taken
  uint64_t members = 0;     // objects in the view
  // SnapViewDigest of the members, in key order: what a receiving site compares.
  HashId members_digest;
  friend bool operator==(const SnapViewRecord&, const SnapViewRecord&) = default;
};

std::string EncodeSnapViewRecord(const SnapViewRecord& record);
// kCorruption naming what is wrong: another kind or version, truncated or trailing bytes,
// a bad name, a digest that is not SHA-256.
Result<SnapViewRecord> DecodeSnapViewRecord(std::string_view bytes);
// kInvalidArgument unless name is 1..200 bytes of letters, digits, '.', '_' and '-'.
Status ValidateSnapViewName(std::string_view name);

// The digest of a view's members: SHA-256 over, for each member in key order, `bytes key,
// HashId vm_chid` (the canonical encoding's). Feed members in key order, then Final.
class SnapViewDigest {
 public:
  SnapViewDigest();
  void Add(std::string_view key, const HashId& vm_chid);
  HashId Final();
  uint64_t count() const { return count_; }

 private:
  std::unique_ptr<Hasher> hasher_;
  uint64_t count_ = 0;
};

}  // namespace ccow
