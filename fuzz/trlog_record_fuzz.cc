// Fuzz target for a trlog record (client/trlog.h): records are stored objects that any
// gateway of the segment writes and every ISGW link reads, so any input must be refused
// with a Status or decode to a record that re-encodes to exactly the input.
#include <cstdint>
#include <string>
#include <vector>

#include "client/trlog.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  return {EncodeTrlogRecord(TrlogRecord{}), EncodeTrlogRecord(TrlogRecord{{"a"}}),
          EncodeTrlogRecord(TrlogRecord{{"dir/a.txt", "dir/b.txt", "z"}})};
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = ccow::DecodeTrlogRecord(in);
  if (r.ok()) {
    ++ccow::fuzz::decoded;
    ccow::fuzz::RequireSameBytes("trlog record", in, ccow::EncodeTrlogRecord(*r));
  }
  return 0;
}
