// Fuzz target for a SnapView record (model/snapview_record.h): records arrive from other
// sites over ISGW links inside ordinary objects, so any input must be refused with a Status
// or decode to a record that re-encodes to exactly the input.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "model/snapview_record.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  SnapViewRecord r;
  r.name = "monday";
  r.at_ns = 1700000000000000000ull;
  r.created_ns = 1700000000123456789ull;
  r.members = 20;
  r.members_digest = HashBytes(HashAlgo::kSha256, "members");
  SnapViewRecord empty = r;
  empty.name = "empty.bucket_view-1";
  empty.members = 0;
  empty.members_digest = SnapViewDigest().Final();
  return {EncodeSnapViewRecord(r), EncodeSnapViewRecord(empty)};
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = ccow::DecodeSnapViewRecord(in);
  if (r.ok()) {
    ++ccow::fuzz::decoded;
    ccow::fuzz::RequireSameBytes("snapview record", in, ccow::EncodeSnapViewRecord(*r));
  }
  return 0;
}
