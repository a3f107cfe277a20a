// ChunkCache (client/chunk_cache.h): the bounded cache of chunks a metadata-only site
// fetched on demand. It never holds more bytes than its capacity; a chunk read again
// survives a scan of chunks read once (E-LRU); a damaged file reads as a miss and is
// dropped; a restart finds what the last run kept, trimmed to the new capacity.
#include "client/chunk_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

struct Chunk {
  HashId chid;
  std::string bytes;
};
Chunk MakeChunk(size_t size, uint64_t seed) {
  Chunk c{HashId(), RandomBytes(size, seed)};
  c.chid = HashBytes(HashAlgo::kSha256, c.bytes);
  return c;
}

TEST(ChunkCacheTest, NeverHoldsMoreThanItsCapacity) {
  ScratchDir dir;
  auto cache = ChunkCache::Open(dir.path() + "/cache", 10'000);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  for (uint64_t i = 0; i < 50; ++i) {
    Chunk c = MakeChunk(1000 + i * 37, i);
    ASSERT_TRUE((*cache)->Put(c.chid, c.bytes).ok());
    EXPECT_LE((*cache)->stats().bytes, 10'000u);
  }
  uint64_t on_disk = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/cache")) on_disk += e.file_size();
  EXPECT_EQ(on_disk, (*cache)->stats().bytes);
  EXPECT_GT((*cache)->stats().evictions, 30u);
  // A chunk larger than the whole cache is not kept, and evicts nothing.
  const uint64_t before = (*cache)->stats().chunks;
  Chunk big = MakeChunk(20'000, 99);
  ASSERT_TRUE((*cache)->Put(big.chid, big.bytes).ok());
  std::string out;
  EXPECT_TRUE((*cache)->Get(big.chid, &out).IsNotFound());
  EXPECT_EQ((*cache)->stats().chunks, before);
}

TEST(ChunkCacheTest, AChunkReadAgainOutlivesAScanOfChunksReadOnce) {
  ScratchDir dir;
  auto cache = ChunkCache::Open(dir.path(), 10'000);
  ASSERT_TRUE(cache.ok());
  Chunk hot = MakeChunk(1000, 1);
  ASSERT_TRUE((*cache)->Put(hot.chid, hot.bytes).ok());
  std::string out;
  ASSERT_TRUE((*cache)->Get(hot.chid, &out).ok());  // promoted
  EXPECT_EQ(out, hot.bytes);
  // A scan of 40 KiB of chunks read once: four times the capacity.
  for (uint64_t i = 0; i < 40; ++i) {
    Chunk c = MakeChunk(1000, 100 + i);
    ASSERT_TRUE((*cache)->Put(c.chid, c.bytes).ok());
  }
  EXPECT_TRUE((*cache)->Get(hot.chid, &out).ok()) << "a plain LRU would have evicted it";
  EXPECT_EQ(out, hot.bytes);
  // Without the second read, the same chunk would be gone.
  Chunk cold = MakeChunk(1000, 2);
  ASSERT_TRUE((*cache)->Put(cold.chid, cold.bytes).ok());
  for (uint64_t i = 0; i < 40; ++i) {
    Chunk c = MakeChunk(1000, 200 + i);
    ASSERT_TRUE((*cache)->Put(c.chid, c.bytes).ok());
  }
  EXPECT_TRUE((*cache)->Get(cold.chid, &out).IsNotFound());
}

TEST(ChunkCacheTest, ADamagedFileReadsAsAMissAndIsDropped) {
  ScratchDir dir;
  auto cache = ChunkCache::Open(dir.path(), 100'000);
  ASSERT_TRUE(cache.ok());
  Chunk c = MakeChunk(5000, 7);
  ASSERT_TRUE((*cache)->Put(c.chid, c.bytes).ok());
  std::string key = c.chid.ToKey();
  const std::string path = dir.path() + "/" + ToHex(key.data(), key.size());
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put(static_cast<char>(c.bytes[100] ^ 1));
  }
  std::string out;
  EXPECT_TRUE((*cache)->Get(c.chid, &out).IsNotFound());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ((*cache)->stats().chunks, 0u);
  EXPECT_EQ((*cache)->stats().bytes, 0u);
}

TEST(ChunkCacheTest, ARestartKeepsWhatFitsTheNewCapacity) {
  ScratchDir dir;
  std::vector<Chunk> chunks;
  {
    auto cache = ChunkCache::Open(dir.path(), 100'000);
    ASSERT_TRUE(cache.ok());
    for (uint64_t i = 0; i < 10; ++i) {
      chunks.push_back(MakeChunk(2000, 300 + i));
      ASSERT_TRUE((*cache)->Put(chunks.back().chid, chunks.back().bytes).ok());
    }
  }
  {
    std::ofstream(dir.path() + "/.leftover.7.tmp") << "a put cut short";
    std::ofstream(dir.path() + "/NOTES") << "an operator's file";
  }
  {
    // Reopened before the bound is known (a server starting): nothing trimmed, and
    // nothing new kept until it is.
    auto unknown = ChunkCache::Open(dir.path(), ChunkCache::kBoundUnknown);
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ((*unknown)->stats().chunks, 10u);
    Chunk extra = MakeChunk(2000, 400);
    ASSERT_TRUE((*unknown)->Put(extra.chid, extra.bytes).ok());
    EXPECT_EQ((*unknown)->stats().chunks, 10u);
  }
  auto cache = ChunkCache::Open(dir.path(), 9'000);
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ((*cache)->stats().chunks, 4u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/.leftover.7.tmp"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/NOTES")) << "not the cache's to delete";
  size_t found = 0;
  for (const auto& c : chunks) {
    std::string out;
    if ((*cache)->Get(c.chid, &out).ok()) {
      EXPECT_EQ(out, c.bytes);
      ++found;
    }
  }
  EXPECT_EQ(found, 4u);
  (*cache)->SetCapacity(0);
  EXPECT_EQ((*cache)->stats().bytes, 0u);
}

}  // namespace
}  // namespace ccow
