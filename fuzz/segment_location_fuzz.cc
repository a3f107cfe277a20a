// Fuzz target for SegmentLocation::Decode, the chunk store's index value for a payload in
// a segment file. Any input either fails with a Status or decodes to a location whose
// Encode() is exactly the input (a fixed 16-byte record).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "store/segment_log.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  seeds.push_back(SegmentLocation{}.Encode());
  seeds.push_back(SegmentLocation{1, 28 + 32, 1 << 20}.Encode());
  seeds.push_back(SegmentLocation{0xfffffffe, (1ull << 40) + 7, 0xffffffff}.Encode());
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<ccow::SegmentLocation>("segment location", data, size);
}
