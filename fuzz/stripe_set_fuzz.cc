// Fuzz target for StripeSet::Decode. Any input either fails with a Status or decodes to a
// set whose Encode() is exactly the input (DESIGN.md invariant 2); Encode() itself checks
// Validate(), so a decoded set that breaks a rule aborts here too.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "model/stripe_set.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  constexpr HashAlgo kAlgos[] = {HashAlgo::kSha256, HashAlgo::kSha3_256, HashAlgo::kSha3_512,
                                 HashAlgo::kBlake2b256, HashAlgo::kXxh3_128};
  // Every listed policy and hash algorithm; one stripe, a short (tail) stripe alone, and
  // several full stripes ending in a tail; lengths whose varints take one to four bytes.
  int n = 0;
  for (const char* text : {"2:1:rs", "2:2:rs", "3:2:rs", "4:2:rs", "6:2:rs", "8:3:rs", "9:3:rs"}) {
    for (int stripes : {1, 3}) {
      HashAlgo algo = kAlgos[n++ % 5];
      StripeSet set;
      set.vm_chid = HashBytes(algo, "vm" + std::to_string(n));
      for (int s = 0; s < stripes; ++s) {
        StripeManifest sm;
        sm.policy = ErasurePolicy::Parse(text).value();
        bool tail = s == stripes - 1 && stripes > 1;
        size_t members = tail ? 1 + sm.policy.data / 2 : sm.policy.data;
        uint64_t len = tail ? 100 : (1 << 20) >> (n % 3);
        for (size_t i = 0; i < members; ++i)
          sm.data.push_back({len - (i % 3) * (len / 4),
                             HashBytes(algo, std::to_string(n) + "d" + std::to_string(s) + "." +
                                                 std::to_string(i))});
        sm.fragment_length = len;
        for (int j = 0; j < sm.policy.parity; ++j)
          sm.parity.push_back(HashBytes(
              algo, std::to_string(n) + "p" + std::to_string(s) + "." + std::to_string(j)));
        set.stripes.push_back(std::move(sm));
      }
      Must(set.Validate());
      seeds.push_back(set.Encode());
    }
  }
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<ccow::StripeSet>("stripe set", data, size);
}
