#include "core/hash.h"

#include <gtest/gtest.h>

namespace ccow {
namespace {

// Published test vectors for "abc": a wrong algorithm or parameter block fails here.
TEST(HashTest, KnownVectorsForAbc) {
  EXPECT_EQ(HashBytes(HashAlgo::kSha256, "abc").ToString(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashBytes(HashAlgo::kSha3_256, "abc").ToString(),
            "sha3-256:3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
  EXPECT_EQ(HashBytes(HashAlgo::kSha3_512, "abc").ToString(),
            "sha3-512:b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192"
            "af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0");
  // BLAKE2b with a 32-byte digest (RFC 7693 parameter block), not truncated BLAKE2b-512.
  EXPECT_EQ(HashBytes(HashAlgo::kBlake2b256, "abc").ToString(),
            "blake2b-256:bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  EXPECT_EQ(HashBytes(HashAlgo::kXxh3_128, "").ToString(),
            "xxh3-128:99aa06d3014798d86001c324468d497f");
}

TEST(HashTest, StreamingEqualsOneShot) {
  std::string data(1 << 20, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + (i >> 9));
  for (HashAlgo algo : {HashAlgo::kSha256, HashAlgo::kSha3_256, HashAlgo::kSha3_512,
                        HashAlgo::kBlake2b256, HashAlgo::kXxh3_128}) {
    auto h = Hasher::Create(algo);
    h->Update(data.data(), 1000);
    h->Update(data.data() + 1000, data.size() - 1000);
    EXPECT_EQ(h->Final(), HashBytes(algo, data)) << HashAlgoName(algo);
    // Final() resets: the hasher is reusable.
    h->Update("abc", 3);
    EXPECT_EQ(h->Final(), HashBytes(algo, "abc")) << HashAlgoName(algo);
  }
}

TEST(HashTest, SameDigestUnderDifferentAlgorithmsIsADifferentId) {
  HashId a = HashBytes(HashAlgo::kSha256, "abc");
  HashId b(HashAlgo::kSha3_256, a.digest());
  EXPECT_NE(a, b);
  EXPECT_NE(a.ToKey(), b.ToKey());
}

TEST(HashTest, TextAndKeyFormsRoundTrip) {
  HashId id = HashBytes(HashAlgo::kBlake2b256, "hello");
  auto parsed = HashId::Parse(id.ToString());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, id);
  auto from_key = HashId::FromKey(id.ToKey());
  ASSERT_TRUE(from_key.ok());
  EXPECT_EQ(*from_key, id);
  EXPECT_FALSE(HashId::Parse("sha256:abcd").ok());
  EXPECT_FALSE(HashId::Parse("md4:abcd").ok());
  EXPECT_FALSE(HashId::FromKey(std::string("\x09xyz", 4)).ok());
}

TEST(HashTest, Md5MatchesS3Etag) {
  Md5 md5;
  md5.Update("", 0);
  EXPECT_EQ(md5.HexFinal(), "d41d8cd98f00b204e9800998ecf8427e");
  md5.Update("abc", 3);
  EXPECT_EQ(md5.HexFinal(), "900150983cd24fb0d6963f7d28e17f72");
}

}  // namespace
}  // namespace ccow
