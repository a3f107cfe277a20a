// Fuzz target for KeyValueChunk::Decode. Any input either fails with a Status or decodes
// to records whose Encode() is exactly the input: keys strictly increasing is what makes
// the encoding canonical, so a decoder that let unsorted or duplicate keys through would
// fail here.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "model/kv_chunk.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

namespace {

std::string MustEncode(std::vector<std::pair<std::string, std::string>> records) {
  auto chunk = KeyValueChunk::FromUnsorted(std::move(records));
  Must(chunk.status());
  return chunk->Encode();
}

}  // namespace

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  seeds.push_back(KeyValueChunk{}.Encode());
  seeds.push_back(MustEncode({{"a", "1"}}));
  // Keys that share prefixes and an empty key: ordering is bytewise, "" first.
  seeds.push_back(MustEncode({{"photos/b.jpg", "x"},
                              {"photos/a.jpg", ""},
                              {"", "root"},
                              {"photos/", "dir"},
                              {"photos/a.jpg.1", "older"}}));
  // Binary keys and a value long enough for a two-byte length varint.
  seeds.push_back(MustEncode({{std::string("\x00\x01", 2), std::string(200, 'v')},
                              {std::string("\xff\x80", 2), std::string("\x00", 1)},
                              {"\x7f", "m"}}));
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 40; ++i) many.emplace_back("key" + std::to_string(i), std::to_string(i * i));
  seeds.push_back(MustEncode(std::move(many)));
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<ccow::KeyValueChunk>("key/value chunk", data, size);
}
