#include "gateway/s3/s3_object_parts.h"

#include <gtest/gtest.h>

namespace ccow::s3 {
namespace {

TEST(S3ObjectParts, PartSizesTravelAsRunsAndComeBackExactly) {
  std::vector<uint64_t> sizes(9999, 5u << 20);
  sizes.push_back(17);
  std::string text = EncodePartSizes(sizes);
  EXPECT_EQ(text, "5242880*9999,17");
  EXPECT_EQ(DecodePartSizes(text), sizes);
  std::vector<uint64_t> mixed{3, 3, 1, 3};
  EXPECT_EQ(EncodePartSizes(mixed), "3*2,1,3");
  EXPECT_EQ(DecodePartSizes("3*2,1,3"), mixed);
  EXPECT_EQ(DecodePartSizes("0"), std::vector<uint64_t>{0});
}

TEST(S3ObjectParts, AMalformedListIsNoListAtAll) {
  for (const char* bad : {"", ",", "1,", ",1", "1*0", "1*", "*2", "x", "1*2*3", "-1", "+1", "1 ",
                          "12345678901234567890", "1*10001", "1*10000,1"})
    EXPECT_FALSE(DecodePartSizes(bad).has_value()) << bad;
  EXPECT_TRUE(DecodePartSizes("1*10000").has_value());
}

TEST(S3ObjectParts, PartNumbersAreOneToTenThousand) {
  uint32_t n = 0;
  EXPECT_TRUE(ParsePartNumber("1", &n).ok());
  EXPECT_EQ(n, 1u);
  EXPECT_TRUE(ParsePartNumber("10000", &n).ok());
  EXPECT_EQ(n, 10000u);
  for (const char* bad : {"0", "10001", "", "-1", "1.5", "a", "99999999999999999999"}) {
    S3Error e = ParsePartNumber(bad, &n);
    EXPECT_EQ(e.http_status, 400) << bad;
    EXPECT_EQ(e.code, "InvalidArgument") << bad;
  }
}

TEST(S3ObjectParts, APartIsWhereTheSizesBeforeItEnd) {
  PartSpan span;
  std::vector<uint64_t> sizes{10, 10, 4};
  ASSERT_TRUE(PartOf(sizes, 24, 3, &span).ok());
  EXPECT_EQ(span.offset, 20u);
  EXPECT_EQ(span.length, 4u);
  S3Error beyond = PartOf(sizes, 24, 4, &span);
  EXPECT_EQ(beyond.http_status, 416);
  EXPECT_EQ(beyond.code, "InvalidPartNumber");
  // A version that was not a multipart upload is its own part 1.
  ASSERT_TRUE(PartOf({}, 7, 1, &span).ok());
  EXPECT_EQ(span.offset, 0u);
  EXPECT_EQ(span.length, 7u);
  EXPECT_EQ(PartOf({}, 7, 2, &span).code, "InvalidPartNumber");
}

TEST(S3ObjectParts, APartChecksumIsFoundByItsNumberAndDamageGivesNone) {
  using Algo = ObjectChecksum::Algo;
  const ObjectChecksum crc32{Algo::kCrc32, true, 2, "...."}, crc64{Algo::kCrc64Nvme, false, 0, "........"},
      sha1{Algo::kSha1, true, 2, std::string(20, '.')}, none;
  std::map<std::string, std::string> md{{kPartChecksumsKey, "0a0b0c0d" "01020304"}};
  EXPECT_EQ(PartChecksumOf(md, crc32, 1), (ObjectChecksum{Algo::kCrc32, false, 0, "\x0a\x0b\x0c\x0d"}));
  EXPECT_EQ(PartChecksumOf(md, crc32, 2), (ObjectChecksum{Algo::kCrc32, false, 0, "\x01\x02\x03\x04"}));
  EXPECT_FALSE(PartChecksumOf(md, crc32, 3));  // beyond the parts
  EXPECT_FALSE(PartChecksumOf(md, crc32, 0));
  EXPECT_FALSE(PartChecksumOf(md, crc64, 2));  // not a whole number of 8-byte digests at part 2
  EXPECT_FALSE(PartChecksumOf(md, sha1, 1));   // 16 hex digits are no list of 20-byte digests
  EXPECT_FALSE(PartChecksumOf(md, none, 1));   // a version without a checksum has no part's
  EXPECT_FALSE(PartChecksumOf({}, crc32, 1));
  md[kPartChecksumsKey] = "0a0b0c0z";
  EXPECT_FALSE(PartChecksumOf(md, crc32, 1));
}

TEST(S3ObjectParts, TheMultipartEtagIsTheMd5OfThePartMd5s) {
  std::string etag;
  // Two parts whose MD5s are those of "" and of "a": the pinned value is MD5 of their
  // concatenated binary digests, with "-2".
  ASSERT_TRUE(MultipartEtag({"d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661"}, &etag).ok());
  EXPECT_EQ(etag, "68083ea43d0307eecfa2b4749f19df15-2");
  std::string again;
  ASSERT_TRUE(MultipartEtag({"d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661"}, &again).ok());
  EXPECT_EQ(etag, again);
  ASSERT_TRUE(MultipartEtag({"0cc175b9c0f1b6a831c399e269772661", "d41d8cd98f00b204e9800998ecf8427e"}, &again).ok());
  EXPECT_NE(etag, again);
  EXPECT_EQ(MultipartEtag({"xyz"}, &etag).code, "InvalidPart");
}

}  // namespace
}  // namespace ccow::s3
