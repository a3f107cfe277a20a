// Fuzz target for fs::BtreeNode::Decode: any input either fails with a Status or decodes to
// a node whose Encode() is exactly the input (keys strictly increasing and the first
// child's empty low key make the encoding canonical).
#include <string>
#include <string_view>
#include <vector>

#include "fs/btree_node.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  seeds.push_back(fs::BtreeNode{}.Encode());
  fs::BtreeNode leaf;
  leaf.records = {{"", "root"}, {"dir/a", std::string(200, 'v')}, {"dir/b", ""}};
  seeds.push_back(leaf.Encode());
  fs::BtreeNode inner;
  inner.level = 3;
  inner.children = {{"", HashBytes(HashAlgo::kSha256, std::string("a")), HashBytes(HashAlgo::kSha256, std::string("as")), 1},
                    {"k", HashBytes(HashAlgo::kBlake2b256, std::string("b")), HashBytes(HashAlgo::kSha256, std::string("bs")), 300},
                    {"z", HashBytes(HashAlgo::kSha256, std::string("c")), HashBytes(HashAlgo::kSha256, std::string("cs")), 1ull << 40}};
  seeds.push_back(inner.Encode());
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<ccow::fs::BtreeNode>("B+tree node", data, size);
}
