// The stripe set (every stripe of one erasure-coded version): its pinned encoding, round
// trips, FindData, and every structural rule of docs/FORMAT.md "Stripe set" enforced by
// the decoder.
#include "model/stripe_set.h"

#include <gtest/gtest.h>

#include <optional>

#include "core/hash.h"
#include "model/encoding.h"

namespace ccow {
namespace {

Chid Sha(const std::string& text) { return HashBytes(HashAlgo::kSha256, text); }

// A 3:2:rs version of four chunks: one full stripe, then a tail stripe of one short chunk
// (members 1 and 2 absent).
StripeSet GoldenSet() {
  StripeSet set;
  set.vm_chid = Sha("vm-7");
  StripeManifest full;
  full.policy = ErasurePolicy::Parse("3:2:rs").value();
  full.fragment_length = 1048576;
  for (int i = 0; i < 3; ++i) full.data.push_back({1048576, Sha("chunk-" + std::to_string(i))});
  full.parity = {Sha("parity-0-0"), Sha("parity-0-1")};
  StripeManifest tail;
  tail.policy = full.policy;
  tail.fragment_length = 4096;
  tail.data = {{4096, Sha("chunk-3")}};
  tail.parity = {Sha("parity-1-0"), Sha("parity-1-1")};
  set.stripes = {full, tail};
  return set;
}

// Pinned like tests/model/golden_vectors_test.cc: if this fails, the encoding changed and
// every stored stripe set's CHID with it. Never edit these bytes; add a format version.
// (The bytes were computed from docs/FORMAT.md by an independent encoder, not by this one.)
TEST(StripeSetTest, EncodingIsPinned) {
  std::string bytes = GoldenSet().Encode();
  EXPECT_EQ(ToHex(bytes.data(), bytes.size()),
            "0701010baa211091a64766272a3cc1c250520b56c35a390948ef6958bd9a56fdaf6e0b010302"
            "028080400380804001b18efa847f7a3fa48fe0aafd4a6250aa5129740e05126859377af20ced"
            "afdeee808040012725aea2d2dea736fbe38e41ecb518f6098cb68ac77362c5e34faafb356567"
            "c580804001b6f3c15844fe12f966ad90db59da8332a9a6d9dfd198ac83949be2045ec6dc1e01"
            "b7e812b8e0db2cba54ca0aaa919f32cb7bc1e0ecf68c3f265f123126c60775810183300dfe15"
            "674dcf3a2391e58074fea6960586cc58628839e39ff2efb629e92b802001802001dfd3744075"
            "c1ae74c2350ff6344acbcc7de7b5559dda9f144cfb4cabd6a1e1dd01a4c840ba5269c8b7e877"
            "b39002c3a25e90efd3dd8f3e1310cd40ed00f3889a9601984f07d89bf00f4c975febf54e7ca6"
            "2de77853fe228e5e3c7ddb0f5ccb9083b5");
  EXPECT_EQ(HashBytes(HashAlgo::kSha256, bytes).ToString(),
            "sha256:76b2c6e2f828a45367e65e0263e6777edcefc2bb639d68992e8848e1d19323d7");
  auto back = StripeSet::Decode(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, GoldenSet());
}

TEST(StripeSetTest, FindDataNamesTheStripeAndFragmentIndexOfEachDataChunk) {
  StripeSet set = GoldenSet();
  int index = -1;
  const StripeManifest* s = set.FindData(Sha("chunk-2"), &index);
  ASSERT_EQ(s, &set.stripes[0]);
  EXPECT_EQ(index, 2);
  s = set.FindData(Sha("chunk-3"), &index);
  ASSERT_EQ(s, &set.stripes[1]);
  EXPECT_EQ(index, 0);
  // Parity chunks and strangers are not data members.
  EXPECT_EQ(set.FindData(Sha("parity-0-0"), &index), nullptr);
  EXPECT_EQ(set.FindData(Sha("chunk-9"), &index), nullptr);
  EXPECT_EQ(set.policy().ToString(), "3:2:rs");
}

TEST(StripeSetTest, RoundTripsEveryHashAlgorithmAndManyStripes) {
  for (HashAlgo algo : {HashAlgo::kSha256, HashAlgo::kSha3_256, HashAlgo::kSha3_512,
                        HashAlgo::kBlake2b256, HashAlgo::kXxh3_128}) {
    StripeSet set;
    set.vm_chid = HashBytes(algo, "vm");
    for (int s = 0; s < 300; ++s) {
      StripeManifest sm;
      sm.policy = ErasurePolicy::Parse("4:2:rs").value();
      for (int i = 0; i < 4; ++i)
        sm.data.push_back({uint64_t{65536} - i, HashBytes(algo, std::to_string(s * 4 + i))});
      sm.fragment_length = 65536;
      sm.parity = {HashBytes(algo, "p0-" + std::to_string(s)),
                   HashBytes(algo, "p1-" + std::to_string(s))};
      set.stripes.push_back(sm);
    }
    auto back = StripeSet::Decode(set.Encode());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, set);
    int index = -1;
    EXPECT_EQ(back->FindData(HashBytes(algo, "1197"), &index), &back->stripes[299]);
    EXPECT_EQ(index, 1);
  }
}

TEST(StripeSetTest, DecoderRejectsEveryTruncationAndTrailingByte) {
  std::string bytes = GoldenSet().Encode();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = StripeSet::Decode(bytes.substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), Code::kCorruption);
  }
  auto r = StripeSet::Decode(bytes + '\0');
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
}

// Encodes a set without the encoder's validity check, with the header and counts given,
// to feed the decoder records the encoder would never write.
struct Raw {
  uint8_t kind = 0x07, version = 1;
  ErasurePolicy policy = ErasurePolicy::Parse("3:2:rs").value();
  std::optional<uint64_t> stripe_count;  // default: the real count
  std::string Encode(const StripeSet& set) const {
    Encoder enc;
    enc.PutU8(kind);
    enc.PutU8(version);
    enc.PutHashId(set.vm_chid);
    enc.PutU8(static_cast<uint8_t>(policy.algorithm));
    enc.PutU8(policy.data);
    enc.PutU8(policy.parity);
    enc.PutVarint(stripe_count.value_or(set.stripes.size()));
    for (const auto& s : set.stripes) {
      enc.PutVarint(s.fragment_length);
      enc.PutVarint(s.data.size());
      for (const auto& d : s.data) {
        enc.PutVarint(d.length);
        enc.PutHashId(d.chid);
      }
      for (const auto& p : s.parity) enc.PutHashId(p);
    }
    return enc.Take();
  }
};

void ExpectBad(const std::string& bytes, const char* why, const char* says) {
  auto r = StripeSet::Decode(bytes);
  ASSERT_FALSE(r.ok()) << why;
  EXPECT_EQ(r.status().code(), Code::kCorruption) << why;
  EXPECT_NE(r.status().message().find("stripe set"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(says), std::string::npos)
      << why << ": " << r.status().message();
}

TEST(StripeSetTest, DecoderEnforcesTheStructuralRules) {
  ASSERT_TRUE(StripeSet::Decode(Raw{}.Encode(GoldenSet())).ok());
  Raw raw;
  raw.kind = 0x06;
  ExpectBad(raw.Encode(GoldenSet()), "a stripe manifest's kind", "not a stripe set");
  raw = Raw{};
  raw.version = 2;
  ExpectBad(raw.Encode(GoldenSet()), "an unknown format version", "unsupported format version");
  raw = Raw{};
  raw.policy.algorithm = static_cast<ErasureAlgorithm>(2);
  ExpectBad(raw.Encode(GoldenSet()), "an unknown algorithm", "algorithm");
  raw = Raw{};
  raw.policy.data = 1;
  ExpectBad(raw.Encode(GoldenSet()), "K below 2", "K:M:rs");

  StripeSet set = GoldenSet();
  set.stripes.clear();
  ExpectBad(Raw{}.Encode(set), "no stripes", "0 stripes");
  raw = Raw{};
  raw.stripe_count = 3;
  ExpectBad(raw.Encode(GoldenSet()), "a count above the stripes present", "truncated");
  raw.stripe_count = 1;
  ExpectBad(raw.Encode(GoldenSet()), "a count below the stripes present", "trailing");

  set = GoldenSet();
  set.stripes[1].data.push_back({4096, Sha("x")});
  set.stripes[1].data.push_back({4096, Sha("y")});
  set.stripes[1].data.push_back({4096, Sha("z")});
  ExpectBad(Raw{}.Encode(set), "more data members than K", "4 data members where 1..3");
  set = GoldenSet();
  set.stripes[0].fragment_length = 1048577;
  ExpectBad(Raw{}.Encode(set), "a fragment length above the longest member", "stripe 0");
  set = GoldenSet();
  set.stripes[1].data[0].length = 0;
  ExpectBad(Raw{}.Encode(set), "an empty data member", "stripe 1");
  set = GoldenSet();
  set.vm_chid = HashId();
  ExpectBad(Raw{}.Encode(set), "no version manifest CHID", "hash algorithm tag 0");
}

TEST(StripeSetTest, DecoderRefusesMoreThanTheMaximumStripes) {
  StripeSet set;
  set.vm_chid = Sha("vm");
  StripeManifest sm;
  sm.policy = ErasurePolicy::Parse("2:1:rs").value();
  sm.fragment_length = 1;
  sm.data = {{1, HashBytes(HashAlgo::kXxh3_128, "d")}};
  sm.parity = {HashBytes(HashAlgo::kXxh3_128, "p")};
  set.stripes.assign(StripeSet::kMaxStripes, sm);
  ASSERT_TRUE(set.Validate().ok());
  ASSERT_TRUE(StripeSet::Decode(set.Encode()).ok());
  set.stripes.push_back(sm);
  EXPECT_EQ(set.Validate().code(), Code::kCorruption);
  Raw raw;
  raw.policy = sm.policy;
  ExpectBad(raw.Encode(set), "65537 stripes", "65537 stripes where 1..65536");
}

TEST(StripeSetTest, ValidateRefusesStripesOfTwoPolicies) {
  StripeSet set = GoldenSet();
  ASSERT_TRUE(set.Validate().ok());
  StripeManifest other;
  other.policy = ErasurePolicy::Parse("2:1:rs").value();
  other.fragment_length = 10;
  other.data = {{10, Sha("chunk-4")}};
  other.parity = {Sha("parity-2-0")};
  set.stripes.push_back(other);
  Status st = set.Validate();
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find("stripe 2 is 2:1:rs but stripe 0 is 3:2:rs"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace ccow
