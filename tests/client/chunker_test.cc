#include "client/chunker.h"

#include <gtest/gtest.h>

#include <set>

#include "core/hash.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;

std::vector<std::string> Cut(const std::string& data, const ObjectPolicy& p) {
  StringSource src(data);
  auto chunker = Chunker::Create(p, &src);
  std::vector<std::string> out;
  std::string c;
  while (true) {
    auto more = chunker->Next(&c);
    EXPECT_TRUE(more.ok());
    if (!*more) break;
    out.push_back(c);
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += p;
  return s;
}

ObjectPolicy Cdc(uint32_t avg) {
  ObjectPolicy p;
  p.chunking = ChunkingMode::kCdc;
  p.chunk_size = avg;
  return p;
}

TEST(ChunkerTest, EmptyStreamHasNoChunks) {
  EXPECT_TRUE(Cut("", ObjectPolicy()).empty());
  EXPECT_TRUE(Cut("", Cdc(64 << 10)).empty());
}

TEST(ChunkerTest, SmallObjectsAreOneChunk) {
  ObjectPolicy p;
  p.chunk_size = 64 << 10;  // smaller than the 256 KiB single-chunk limit
  std::string data = RandomBytes(256 << 10, 1);
  EXPECT_EQ(Cut(data, p).size(), 1u);
  EXPECT_EQ(Cut(data, Cdc(64 << 10)).size(), 1u);
  EXPECT_EQ(Cut(data + "x", p).size(), 5u);  // one byte more: cut normally
}

TEST(ChunkerTest, FixedChunksAreChunkSizeExceptTheLast) {
  ObjectPolicy p;
  std::string data = RandomBytes((3 << 20) + 123, 2);
  auto chunks = Cut(data, p);
  ASSERT_EQ(chunks.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(chunks[i].size(), 1u << 20);
  EXPECT_EQ(chunks[3].size(), 123u);
  EXPECT_EQ(Join(chunks), data);
}

TEST(ChunkerTest, CdcChunksRespectBoundsAndReassemble) {
  std::string data = RandomBytes(8 << 20, 3);
  auto chunks = Cut(data, Cdc(64 << 10));
  EXPECT_EQ(Join(chunks), data);
  for (size_t i = 0; i + 1 < chunks.size(); ++i) {
    EXPECT_GE(chunks[i].size(), 16u << 10);
    EXPECT_LE(chunks[i].size(), 256u << 10);
  }
  double mean = static_cast<double>(data.size()) / chunks.size();
  EXPECT_GT(mean, 40 << 10);
  EXPECT_LT(mean, 100 << 10);
}

TEST(ChunkerTest, CdcInsertionInTheMiddleChangesOnlyNearbyChunks) {
  std::string data = RandomBytes(16 << 20, 4);
  std::string edited = data;
  edited.insert(edited.size() / 2, "X");
  auto before = Cut(data, Cdc(64 << 10));
  auto after = Cut(edited, Cdc(64 << 10));
  std::set<HashId> old_ids;
  for (const auto& c : before) old_ids.insert(HashBytes(HashAlgo::kSha256, c));
  uint64_t new_bytes = 0;
  for (const auto& c : after)
    if (!old_ids.count(HashBytes(HashAlgo::kSha256, c))) new_bytes += c.size();
  EXPECT_LT(new_bytes, 3u * (64 << 10)) << "new bytes after a 1-byte insertion";
}

TEST(ChunkerTest, FixedChunkingShiftsEverythingAfterAnInsertion) {
  // The contrast that motivates CDC: with fixed cuts, every later chunk changes.
  std::string data = RandomBytes(8 << 20, 5);
  std::string edited = data;
  edited.insert(edited.size() / 2, "X");
  ObjectPolicy p;
  auto before = Cut(data, p), after = Cut(edited, p);
  std::set<HashId> old_ids;
  for (const auto& c : before) old_ids.insert(HashBytes(HashAlgo::kSha256, c));
  int changed = 0;
  for (const auto& c : after) changed += !old_ids.count(HashBytes(HashAlgo::kSha256, c));
  EXPECT_GE(changed, 4);
}

}  // namespace
}  // namespace ccow
