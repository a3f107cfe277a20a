// Fuzz target for ChunkManifest::Decode. Any input either fails with a Status or decodes
// to a manifest whose Encode() is exactly the input: a second encoding of one manifest
// would give it a second CHID (DESIGN.md invariant 2).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "model/chunk_manifest.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

namespace {

constexpr HashAlgo kAlgos[] = {HashAlgo::kSha256, HashAlgo::kSha3_256, HashAlgo::kSha3_512,
                               HashAlgo::kBlake2b256, HashAlgo::kXxh3_128};

}  // namespace

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  // One reference per hash algorithm and chunk kind.
  int i = 0;
  for (HashAlgo algo : kAlgos) {
    ChunkManifest cm;
    auto kind = static_cast<ChunkKind>(i++ % 3);
    cm.refs.push_back({0, 1 << 20, kind, HashBytes(algo, "chunk " + std::to_string(i))});
    seeds.push_back(cm.Encode());
  }
  // A lower-level manifest deep inside a large object: multi-byte varint offsets, mixed
  // kinds and lengths, so mutations can shift one reference against its neighbours.
  ChunkManifest deep;
  uint64_t offset = 5ull << 40;
  for (uint64_t len : {1ull << 20, 4096ull, 1ull, 300ull << 20, 127ull, 128ull}) {
    auto kind = len > (1 << 20) ? ChunkKind::kChunkManifest : ChunkKind::kPayload;
    deep.refs.push_back({offset, len, kind, HashBytes(HashAlgo::kSha256, std::to_string(len))});
    offset += len;
  }
  seeds.push_back(deep.Encode());
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<ccow::ChunkManifest>("chunk manifest", data, size);
}
