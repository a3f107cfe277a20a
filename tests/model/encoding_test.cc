#include "model/encoding.h"

#include <gtest/gtest.h>

#include "model/chunk_manifest.h"
#include "model/kv_chunk.h"
#include "model/version_manifest.h"

namespace ccow {
namespace {

TEST(EncodingTest, VarintsRoundTripAtEveryWidth) {
  for (uint64_t v : std::vector<uint64_t>{0, 1, 127, 128, 16383, 16384, (1ull << 35) + 3,
                     UINT64_MAX}) {
    Encoder e;
    e.PutVarint(v);
    Decoder d(e.data(), "t");
    EXPECT_EQ(d.GetVarint(), v);
    EXPECT_TRUE(d.Finish().ok());
  }
}

TEST(EncodingTest, NonShortestVarintIsRejected) {
  std::string padded("\x81\x00", 2);  // 1 encoded in two bytes
  Decoder d(padded, "t");
  d.GetVarint();
  EXPECT_TRUE(d.Finish().IsCorruption());
}

TEST(EncodingTest, OverlongVarintIsRejected) {
  std::string eleven(11, '\xff');
  Decoder d(eleven, "t");
  d.GetVarint();
  EXPECT_TRUE(d.Finish().IsCorruption());
}

TEST(EncodingTest, TrailingBytesAreRejected) {
  ChunkManifest cm;
  cm.refs.push_back({0, 5, ChunkKind::kPayload, HashBytes(HashAlgo::kSha256, "x")});
  std::string bytes = cm.Encode() + "!";
  EXPECT_TRUE(ChunkManifest::Decode(bytes).status().IsCorruption());
}

TEST(EncodingTest, EveryTruncationOfAManifestIsRejected) {
  VersionManifest vm;
  vm.name = "a/b/c/d";
  vm.nhid = HashBytes(HashAlgo::kSha256, vm.name);
  vm.size = 3;
  vm.root_refs.push_back({0, 3, ChunkKind::kPayload, HashBytes(HashAlgo::kSha256, "abc")});
  std::string bytes = vm.Encode();
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(VersionManifest::Decode(bytes.substr(0, n)).ok()) << "length " << n;
  EXPECT_TRUE(VersionManifest::Decode(bytes).ok());
}

TEST(EncodingTest, HostileCountDoesNotAllocate) {
  // A chunk manifest claiming 2^60 references in a few bytes must fail fast.
  Encoder e;
  e.PutU8(static_cast<uint8_t>(RecordKind::kChunkManifest));
  e.PutU8(1);
  e.PutVarint(1ull << 60);
  EXPECT_TRUE(ChunkManifest::Decode(e.data()).status().IsCorruption());
}

TEST(EncodingTest, ManifestWhoseRefsDoNotCoverItsSizeIsRejected) {
  VersionManifest vm;
  vm.name = "a/b/c/d";
  vm.nhid = HashBytes(HashAlgo::kSha256, vm.name);
  vm.size = 10;
  vm.root_refs.push_back({0, 3, ChunkKind::kPayload, HashBytes(HashAlgo::kSha256, "abc")});
  EXPECT_TRUE(VersionManifest::Decode(vm.Encode()).status().IsCorruption());
}

TEST(EncodingTest, KeyValueChunkRejectsDuplicateAndUnsortedKeys) {
  EXPECT_FALSE(KeyValueChunk::FromUnsorted({{"a", "1"}, {"a", "2"}}).ok());
  Encoder e;
  e.PutU8(static_cast<uint8_t>(RecordKind::kKeyValueChunk));
  e.PutU8(1);
  e.PutVarint(2);
  e.PutBytes("b");
  e.PutBytes("1");
  e.PutBytes("a");
  e.PutBytes("2");
  EXPECT_TRUE(KeyValueChunk::Decode(e.data()).status().IsCorruption());
  auto kv = KeyValueChunk::FromUnsorted({{"b", "2"}, {"a", "1"}});
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(*kv->Find("b"), "2");
  EXPECT_FALSE(kv->Find("c").has_value());
}

}  // namespace
}  // namespace ccow
