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
