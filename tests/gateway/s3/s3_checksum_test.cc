#include "gateway/s3/s3_checksum.h"

#include <gtest/gtest.h>

#include "core/hash.h"

namespace ccow::s3 {
namespace {

std::string Digest(ChecksumAlgo algo, std::string_view data, size_t split) {
  auto sum = Checksummer::Create(algo);
  sum->Update(data.data(), split);  // in two pieces: the streaming state carries over
  sum->Update(data.data() + split, data.size() - split);
  return ToHex(sum->Final().data(), ObjectChecksum::DigestSize(algo));
}

// The catalogue check values of "123456789" (CRC RevEng: CRC-32/ISO-HDLC, CRC-32/ISCSI,
// CRC-64/NVME) and the SHA test vectors: S3's algorithms, big-endian as S3 sends them.
TEST(S3ChecksumTest, EveryAlgorithmMatchesItsPublishedCheckValue) {
  for (size_t split : {0, 4, 9}) {
    EXPECT_EQ(Digest(ChecksumAlgo::kCrc32, "123456789", split), "cbf43926");
    EXPECT_EQ(Digest(ChecksumAlgo::kCrc32c, "123456789", split), "e3069283");
    EXPECT_EQ(Digest(ChecksumAlgo::kCrc64Nvme, "123456789", split), "ae8b14860a799888");
    EXPECT_EQ(Digest(ChecksumAlgo::kSha1, "abc", split > 3 ? 3 : split), "a9993e364706816aba3e25717850c26c9cd0d89d");
  }
  EXPECT_EQ(Digest(ChecksumAlgo::kSha256, "abc", 1), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Checksummer::Create(ChecksumAlgo::kNone), nullptr);
}

TEST(S3ChecksumTest, NamesAndHeadersMapBothWays) {
  for (auto algo : {ChecksumAlgo::kCrc32, ChecksumAlgo::kCrc32c, ChecksumAlgo::kCrc64Nvme, ChecksumAlgo::kSha1,
                    ChecksumAlgo::kSha256}) {
    EXPECT_EQ(ChecksumAlgoFromName(ChecksumName(algo)), algo);
    EXPECT_EQ(ChecksumAlgoFromHeader(ChecksumHeader(algo)), algo);
  }
  EXPECT_EQ(ChecksumHeader(ChecksumAlgo::kCrc64Nvme), "x-amz-checksum-crc64nvme");
  EXPECT_EQ(ChecksumAlgoFromName("crc32c"), ChecksumAlgo::kCrc32c);
  EXPECT_EQ(ChecksumAlgoFromHeader("x-amz-checksum-mode"), ChecksumAlgo::kNone);
  EXPECT_EQ(ChecksumAlgoFromName("MD5"), ChecksumAlgo::kNone);
}

TEST(S3ChecksumTest, Base64IsCanonicalBothWays) {
  EXPECT_EQ(Base64Encode(std::string("\xcb\xf4\x39\x26", 4)), "y/Q5Jg==");
  EXPECT_EQ(Base64Decode("y/Q5Jg=="), std::string("\xcb\xf4\x39\x26", 4));
  EXPECT_EQ(Base64Decode("YWJj"), "abc");
  for (const char* bad : {"", "y/Q5Jg=", "y/Q5J===", "y/Q5Jh==", "y/Q5Jg==AAAA", "y/Q5 g==", "!!!!"})
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
}

TEST(S3ChecksumTest, CompositeValuesCarryThePartCount) {
  ObjectChecksum c{ChecksumAlgo::kCrc32, true, 3, std::string("\xcb\xf4\x39\x26", 4)};
  EXPECT_EQ(ChecksumValue(c), "y/Q5Jg==-3");
  http::HeaderList h;
  AddChecksumHeaders(c, &h);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].first, "x-amz-checksum-crc32");
  EXPECT_EQ(h[1].second, "COMPOSITE");
  h.clear();
  AddChecksumHeaders(ObjectChecksum{}, &h);
  EXPECT_TRUE(h.empty());
}

}  // namespace
}  // namespace ccow::s3

namespace ccow::s3 {
namespace {

// The CRC of two parts, combined from theirs, equals the CRC computed over both: for each
// CRC, lengths from 0 to past a chunk, and many parts folded in order.
TEST(S3ChecksumTest, CombinedCrcsEqualTheCrcOfTheWhole) {
  std::string data;
  for (int i = 0; i < 300000; ++i) data.push_back(static_cast<char>((i * 2654435761u) >> 13));
  auto crc = [](ChecksumAlgo algo, std::string_view bytes) {
    auto s = Checksummer::Create(algo);
    s->Update(bytes.data(), bytes.size());
    return s->Final();
  };
  for (ChecksumAlgo algo : {ChecksumAlgo::kCrc32, ChecksumAlgo::kCrc32c, ChecksumAlgo::kCrc64Nvme}) {
    for (size_t split : {size_t{0}, size_t{1}, size_t{7}, size_t{4096}, size_t{123457}, data.size()}) {
      auto combined = CombineCrc(algo, crc(algo, std::string_view(data).substr(0, split)),
                                 crc(algo, std::string_view(data).substr(split)), data.size() - split);
      ASSERT_TRUE(combined.ok());
      EXPECT_EQ(*combined, crc(algo, data)) << ChecksumName(algo) << " split at " << split;
    }
    std::string running = crc(algo, "");
    for (size_t at = 0; at < data.size(); at += 70001) {
      std::string_view part = std::string_view(data).substr(at, 70001);
      running = *CombineCrc(algo, running, crc(algo, part), part.size());
    }
    EXPECT_EQ(running, crc(algo, data)) << ChecksumName(algo) << " folded";
  }
  EXPECT_EQ(CombineCrc(ChecksumAlgo::kSha256, "", "", 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(CombineCrc(ChecksumAlgo::kCrc32, "abc", "abcd", 1).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace ccow::s3
