// Erasure policies ("K:M:rs": one spelling, one set of bounds, placement against failure
// domains) and the stripe manifest's canonical encoding: round trips, and every
// structural rule of docs/FORMAT.md enforced by the decoder.
#include "model/stripe_manifest.h"

#include <gtest/gtest.h>

#include "core/hash.h"
#include "model/encoding.h"

namespace ccow {
namespace {

TEST(ErasurePolicyTest, ParsesTheListedPoliciesAndPrintsThemBack) {
  for (const char* text :
       {"2:1:rs", "2:2:rs", "3:2:rs", "4:2:rs", "6:2:rs", "8:3:rs", "9:3:rs", "32:16:rs"}) {
    auto p = ErasurePolicy::Parse(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status().ToString();
    EXPECT_EQ(p->ToString(), text);
    EXPECT_TRUE(p->Validate().ok());
  }
  auto p = ErasurePolicy::Parse("6:2:rs").value();
  EXPECT_EQ(p.data, 6);
  EXPECT_EQ(p.parity, 2);
  EXPECT_EQ(p.width(), 8);
  EXPECT_DOUBLE_EQ(p.RawPerLogical(), 8.0 / 6.0);
}

TEST(ErasurePolicyTest, RefusesInvalidAndNonCanonicalText) {
  for (const char* text :
       {"",        "rs",      "4:2",     "4:2:",    "4:2:RS",    "4:2:xor",        "04:2:rs",
        "4:02:rs", "+4:2:rs", "4:2:rs ", " 4:2:rs", "4::rs",     "a:b:rs",         "1:1:rs",
        "0:2:rs",  "33:2:rs", "4:0:rs",  "4:17:rs", "4:2:rs:rs", "4294967300:2:rs"}) {
    auto p = ErasurePolicy::Parse(text);
    ASSERT_FALSE(p.ok()) << "'" << text << "'";
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
    EXPECT_NE(p.status().message().find("K:M:rs"), std::string::npos) << p.status().message();
  }
}

TEST(ErasurePolicyTest, PlacementNeedsKPlusMFailureDomains) {
  auto p = ErasurePolicy::Parse("4:2:rs").value();
  EXPECT_TRUE(CheckPlacement(p, 6).ok());
  EXPECT_TRUE(CheckPlacement(p, 60).ok());
  Status st = CheckPlacement(p, 5, "servers");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("4:2:rs cannot be placed: a stripe needs 6 distinct servers"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("has 5"), std::string::npos);
}

StripeManifest Sample(int data_members) {
  StripeManifest sm;
  sm.policy = ErasurePolicy::Parse("4:2:rs").value();
  for (int i = 0; i < data_members; ++i)
    sm.data.push_back({uint64_t{1000} + i, HashBytes(HashAlgo::kSha256, "d" + std::to_string(i))});
  sm.fragment_length = 1000 + data_members - 1;
  for (int j = 0; j < 2; ++j)
    sm.parity.push_back(HashBytes(HashAlgo::kSha256, "p" + std::to_string(j)));
  return sm;
}

TEST(StripeManifestTest, RoundTripsFullAndShortStripes) {
  for (int n = 1; n <= 4; ++n) {
    StripeManifest sm = Sample(n);
    ASSERT_TRUE(sm.Validate().ok()) << sm.Validate().ToString();
    auto back = StripeManifest::Decode(sm.Encode());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, sm);
    EXPECT_EQ(back->DataIndex(sm.data[n - 1].chid), n - 1);
    EXPECT_EQ(back->DataIndex(sm.parity[0]), -1);
    EXPECT_EQ(back->IsStored(n), n == 4);  // the first absent member, or parity 0
    EXPECT_TRUE(back->IsStored(5));
    EXPECT_EQ(back->StoredLength(4), sm.fragment_length);
    EXPECT_EQ(back->FragmentChid(5), sm.parity[1]);
  }
}

TEST(StripeManifestTest, DecoderRejectsEveryTruncationAndTrailingByte) {
  std::string bytes = Sample(3).Encode();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = StripeManifest::Decode(bytes.substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), Code::kCorruption);
  }
  EXPECT_FALSE(StripeManifest::Decode(bytes + '\0').ok());
}

// Re-encodes a manifest without the encoder's validity check, to feed the decoder
// records the encoder would never write.
std::string Raw(const StripeManifest& sm, uint8_t kind = 0x06, uint8_t version = 1) {
  Encoder enc;
  enc.PutU8(kind);
  enc.PutU8(version);
  enc.PutU8(static_cast<uint8_t>(sm.policy.algorithm));
  enc.PutU8(sm.policy.data);
  enc.PutU8(sm.policy.parity);
  enc.PutVarint(sm.fragment_length);
  enc.PutVarint(sm.data.size());
  for (const auto& d : sm.data) {
    enc.PutVarint(d.length);
    enc.PutHashId(d.chid);
  }
  for (const auto& p : sm.parity) enc.PutHashId(p);
  return enc.Take();
}

TEST(StripeManifestTest, DecoderEnforcesTheStructuralRules) {
  ASSERT_TRUE(StripeManifest::Decode(Raw(Sample(4))).ok());
  auto expect_bad = [](const std::string& bytes, const char* why) {
    auto r = StripeManifest::Decode(bytes);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().code(), Code::kCorruption) << why;
    EXPECT_NE(r.status().message().find("stripe manifest"), std::string::npos)
        << r.status().message();
  };
  expect_bad(Raw(Sample(4), 0x02), "another record kind");
  expect_bad(Raw(Sample(4), 0x06, 2), "an unknown format version");
  StripeManifest sm = Sample(4);
  sm.policy.algorithm = static_cast<ErasureAlgorithm>(2);
  expect_bad(Raw(sm), "an unknown algorithm");
  sm = Sample(4);
  sm.policy.data = 1;
  expect_bad(Raw(sm), "K below 2");
  sm = Sample(4);
  sm.policy.data = 3;
  expect_bad(Raw(sm), "more data members than K");
  sm = Sample(4);
  sm.data.clear();
  expect_bad(Raw(sm), "no data members");
  sm = Sample(4);
  sm.parity.pop_back();
  expect_bad(Raw(sm), "fewer parity members than M");
  sm = Sample(4);
  sm.fragment_length += 1;
  expect_bad(Raw(sm), "fragment length above the longest member");
  sm = Sample(4);
  sm.data[0].length = 0;
  expect_bad(Raw(sm), "an empty data member");
  sm = Sample(4);
  sm.data[1].length = sm.fragment_length + 1;
  expect_bad(Raw(sm), "a member longer than the fragment");
}

}  // namespace
}  // namespace ccow
