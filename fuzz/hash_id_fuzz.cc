// Fuzz target for the two ways a HashId is read back: HashId::FromKey (the binary index
// key, tag byte + digest) and HashId::Parse (the text form, "sha256:9f86d0...").
//
// FromKey must be canonical: what decodes re-encodes to exactly the input. Parse reads
// what people type, so it accepts the algorithm aliases "blake2b" and "xxh3" and
// upper-case hex on purpose; for it the check is that ToString() equals the input with
// the canonical algorithm name and lower-case hex, and that Parse(ToString()) gives back
// the same id. Any other difference aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

namespace {

// The input as ToString() should print it: canonical algorithm name, lower-case hex.
std::string Normalized(std::string_view in, const HashId& id) {
  std::string out = HashAlgoName(id.algo());
  out += ':';
  for (char c : in.substr(in.find(':') + 1))
    out += (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

constexpr HashAlgo kAlgos[] = {HashAlgo::kSha256, HashAlgo::kSha3_256, HashAlgo::kSha3_512,
                               HashAlgo::kBlake2b256, HashAlgo::kXxh3_128};

}  // namespace

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  for (HashAlgo algo : kAlgos) {
    HashId id = HashBytes(algo, "seed");
    seeds.push_back(id.ToKey());
    seeds.push_back(id.ToString());
  }
  // The accepted aliases and upper-case hex, so mutants explore the lenient paths too.
  std::string b = HashBytes(HashAlgo::kBlake2b256, "alias").ToString();
  seeds.push_back("blake2b" + b.substr(b.find(':')));
  std::string x = HashBytes(HashAlgo::kXxh3_128, "alias").ToString();
  seeds.push_back("xxh3:" + std::string(x.begin() + x.find(':') + 1, x.end()));
  std::string upper = HashBytes(HashAlgo::kSha256, "upper").ToString();
  for (size_t i = upper.find(':'); i < upper.size(); ++i)
    if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] = static_cast<char>(upper[i] - 'a' + 'A');
  seeds.push_back(upper);
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ccow::HashId;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  bool any = false;

  auto key = HashId::FromKey(in);
  if (key.ok()) {
    any = true;
    ccow::fuzz::RequireSameBytes("hash id key", in, key->ToKey());
  }

  auto text = HashId::Parse(in);
  if (text.ok()) {
    any = true;
    std::string printed = text->ToString();
    ccow::fuzz::RequireSameBytes("hash id text", ccow::fuzz::Normalized(in, *text), printed);
    auto again = HashId::Parse(printed);
    if (!again.ok() || *again != *text) {
      std::fprintf(stderr, "hash id text: '%s' does not parse back to the same id\n",
                   printed.c_str());
      std::abort();
    }
  }
  if (any) ++ccow::fuzz::decoded;
  return 0;
}
