// Fuzz target for the file layer's volume records (fs/inode.h, fs/file_block.h): the first
// input byte picks the record, the rest either fails to decode or decodes to a record
// whose Encode() is exactly those bytes (both encodings are canonical).
#include <string>
#include <string_view>
#include <vector>

#include "fs/file_block.h"
#include "fs/inode.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

namespace {
constexpr uint64_t kBlock = 1 << 20;
}

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  fs::Inode dir;
  dir.ino = 1;
  dir.type = fs::FileType::kDirectory;
  dir.nlink = 2;
  dir.parent = 1;
  seeds.push_back("i" + dir.Encode());
  fs::Inode link;
  link.ino = 1ull << 40;
  link.type = fs::FileType::kSymlink;
  link.target = "../a/b";
  link.mtime_ns = 1'700'000'000'000'000'000ull;
  seeds.push_back("i" + link.Encode());
  fs::FileBlock b;
  b.pieces = {{0, 4096, HashBytes(HashAlgo::kSha256, std::string("a")), 0, 4096},
              {8192, 100, HashBytes(HashAlgo::kBlake2b256, std::string("b")), 77, 1 << 20}};
  seeds.push_back("b" + b.Encode());
  seeds.push_back("b" + fs::FileBlock{}.Encode());
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ccow;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] == 'i') {
    auto n = fs::Inode::Decode(in);
    if (!n.ok()) return 0;
    ++fuzz::decoded;
    fuzz::RequireSameBytes("inode", in, n->Encode());
  } else if (data[0] == 'b') {
    auto b = fs::FileBlock::Decode(in, fuzz::kBlock);
    if (!b.ok()) return 0;
    ++fuzz::decoded;
    fuzz::RequireSameBytes("file block", in, b->Encode());
  }
  return 0;
}
