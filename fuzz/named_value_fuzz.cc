// Fuzz target for replicast::NamedValue::Decode: how a target stores a version list with
// its sequence in a cluster. A stored value read back must either be refused or re-encode
// to exactly its bytes (a non-canonical sequence varint is refused).
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "replicast/named_value.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  using replicast::NamedValue;
  return {NamedValue{1, "list"}.Encode(), NamedValue{300, std::string(200, 'x')}.Encode(),
          NamedValue{7, ""}.Encode()};
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<ccow::replicast::NamedValue>("named value", data, size);
}
