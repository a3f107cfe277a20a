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

namespace ccow::fuzz {

size_t decoded = 0;

namespace {

void RequireSameBytes(const char* what, std::string_view in, const std::string& out) {
  if (out == in) return;
  size_t i = 0;
  while (i < in.size() && i < out.size() && in[i] == out[i]) ++i;
  std::fprintf(stderr,
               "%s: %zu input bytes decoded but re-encoded as %zu; first difference "
               "at byte %zu\n",
               what, in.size(), out.size(), i);
  std::abort();
}

}  // namespace

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  seeds.push_back(SegmentLocation{}.Encode());
  seeds.push_back(SegmentLocation{1, 28 + 32, 1 << 20}.Encode());
  seeds.push_back(SegmentLocation{0xfffffffe, (1ull << 40) + 7, 0xffffffff}.Encode());
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto loc = ccow::SegmentLocation::Decode(in);
  if (!loc.ok()) return 0;
  ++ccow::fuzz::decoded;
  ccow::fuzz::RequireSameBytes("segment location", in, loc->Encode());
  return 0;
}
