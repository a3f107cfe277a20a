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

// A three-byte object in one payload chunk.
VersionManifest OneChunkManifest() {
  VersionManifest vm;
  vm.name = "a/b/c/d";
  vm.nhid = HashBytes(HashAlgo::kSha256, vm.name);
  vm.size = 3;
  vm.root_refs.push_back({0, 3, ChunkKind::kPayload, HashBytes(HashAlgo::kSha256, "abc")});
  return vm;
}

TEST(EncodingTest, EveryTruncationOfAManifestIsRejected) {
  VersionManifest vm = OneChunkManifest();
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

VersionManifest InlineManifest(std::string payload) {
  VersionManifest vm;
  vm.name = "a/b/c/d";
  vm.nhid = HashBytes(HashAlgo::kSha256, vm.name);
  vm.size = payload.size();
  vm.inline_payload = std::move(payload);
  return vm;
}

TEST(EncodingTest, AnInlineManifestRoundTripsAndEveryTruncationIsRejected) {
  std::string bytes = InlineManifest("hello").Encode();
  EXPECT_EQ(static_cast<uint8_t>(bytes[1]), VersionManifest::kFormatVersionExtended);
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(VersionManifest::Decode(bytes.substr(0, n)).ok()) << "length " << n;
  auto vm = VersionManifest::Decode(bytes);
  ASSERT_TRUE(vm.ok()) << vm.status().ToString();
  EXPECT_EQ(vm->inline_payload, "hello");
  EXPECT_EQ(vm->Encode(), bytes);
}

// Each rule that keeps one manifest to one encoding, or an inline payload consistent
// with its size, refuses a record an encoder of this release would never write.
TEST(EncodingTest, InlineManifestsThatBreakTheRulesAreRejected) {
  // Size and payload disagree.
  VersionManifest vm = InlineManifest("hello");
  vm.size = 6;
  EXPECT_TRUE(VersionManifest::Decode(vm.Encode()).status().IsCorruption());
  // Both an inline payload and chunk references.
  vm = InlineManifest("hello");
  vm.root_refs.push_back({0, 5, ChunkKind::kPayload, HashBytes(HashAlgo::kSha256, "hello")});
  EXPECT_TRUE(VersionManifest::Decode(vm.Encode()).status().IsCorruption());
  // Larger than the inline limit.
  vm = InlineManifest(std::string(VersionManifest::kInlinePayloadMax + 1, 'x'));
  EXPECT_TRUE(VersionManifest::Decode(vm.Encode()).status().IsCorruption());
  EXPECT_TRUE(VersionManifest::Decode(InlineManifest(std::string(VersionManifest::kInlinePayloadMax, 'x')).Encode()).ok());

  // Hand-made extension lists: version 1 bytes of an empty object, then version 2 + list.
  VersionManifest empty = InlineManifest("");
  std::string v1 = empty.Encode();
  ASSERT_EQ(static_cast<uint8_t>(v1[1]), VersionManifest::kFormatVersion);
  ASSERT_TRUE(VersionManifest::Decode(v1).ok());
  auto v2_with = [&](const std::vector<std::pair<uint64_t, std::string>>& ext) {
    std::string b = v1;
    b[1] = static_cast<char>(VersionManifest::kFormatVersionExtended);
    Encoder e;
    e.PutVarint(ext.size());
    for (const auto& [tag, value] : ext) {
      e.PutVarint(tag);
      e.PutBytes(value);
    }
    return b + e.Take();
  };
  EXPECT_TRUE(VersionManifest::Decode(v2_with({})).status().IsCorruption());          // no extensions
  EXPECT_TRUE(VersionManifest::Decode(v2_with({{1, ""}})).status().IsCorruption());   // empty payload
  EXPECT_TRUE(VersionManifest::Decode(v2_with({{9, "x"}})).status().IsCorruption());  // unknown tag
  EXPECT_TRUE(VersionManifest::Decode(v2_with({{1, "x"}, {1, "y"}})).status().IsCorruption());  // repeated
  EXPECT_TRUE(VersionManifest::Decode(v1 + "\x01").status().IsCorruption());  // version 1 with a tail
}

TEST(EncodingTest, AnObjectChecksumRoundTripsAndBadOnesAreRejected) {
  VersionManifest vm = OneChunkManifest();
  vm.checksum = {ObjectChecksum::Algo::kSha256, true, 3, std::string(32, 'd')};
  auto back = VersionManifest::Decode(vm.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->checksum, vm.checksum);
  EXPECT_EQ(back->Encode(), vm.Encode());

  auto rejected = [&](ObjectChecksum c) {
    VersionManifest bad = vm;
    bad.checksum = std::move(c);
    return VersionManifest::Decode(bad.Encode()).status().IsCorruption();
  };
  EXPECT_TRUE(rejected({ObjectChecksum::Algo::kCrc32, false, 0, std::string(8, 'x')}));  // digest length
  EXPECT_TRUE(rejected({ObjectChecksum::Algo::kCrc32, true, 0, std::string(4, 'x')}));   // composite of 0 parts
  EXPECT_TRUE(rejected({ObjectChecksum::Algo::kCrc32, false, 2, std::string(4, 'x')}));  // parts, not composite
  EXPECT_TRUE(rejected({static_cast<ObjectChecksum::Algo>(9), false, 0, std::string(4, 'x')}));
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
