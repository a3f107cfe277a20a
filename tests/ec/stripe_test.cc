// Stripes: encode K payload chunks of unequal lengths (and short tail stripes) into parity
// and a manifest, rebuild any stored fragment from any K others, and never return bytes
// that do not match the CHID: corrupt or wrong-length fragments are found and skipped, or
// the rebuild is refused naming them.
#include "ec/stripe.h"

#include <gtest/gtest.h>

#include <bit>
#include <random>

namespace ccow {
namespace {

std::unique_ptr<ErasureCode> MakeCode(const std::string& text) {
  auto code = ErasureCode::Create(ErasurePolicy::Parse(text).value());
  EXPECT_TRUE(code.ok());
  return std::move(code).value();
}

struct Chunks {
  std::vector<std::string> bytes;
  std::vector<StripeInput> inputs;
  Chunks(std::vector<size_t> lengths, uint32_t seed) {
    std::mt19937 rng(seed);
    for (size_t len : lengths) {
      std::string b(len, '\0');
      for (auto& c : b) c = static_cast<char>(rng());
      bytes.push_back(std::move(b));
    }
    for (const auto& b : bytes) inputs.push_back({HashBytes(HashAlgo::kSha256, b), b});
  }
};

// Every stored fragment's bytes, fragment order (absent members: nullopt).
std::vector<std::optional<std::string_view>> Stored(const Chunks& c, const EncodedStripe& s) {
  std::vector<std::optional<std::string_view>> out(s.manifest.policy.width());
  for (size_t i = 0; i < c.bytes.size(); ++i) out[i] = c.bytes[i];
  for (size_t j = 0; j < s.parity.size(); ++j) out[s.manifest.policy.data + j] = s.parity[j];
  return out;
}

TEST(StripeTest, UnequalChunksRebuildUnderEveryPatternOfUpToMLosses) {
  auto code = MakeCode("4:2:rs");
  Chunks c({70000, 1000, 5, 69999}, 1);
  auto enc = EncodeStripe(*code, c.inputs, HashAlgo::kSha256);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  const StripeManifest& sm = enc->manifest;
  EXPECT_EQ(sm.fragment_length, 70000u);
  ASSERT_EQ(sm.data.size(), 4u);
  ASSERT_EQ(sm.parity.size(), 2u);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(sm.data[i], (StripeMember{c.bytes[i].size(), c.inputs[i].chid}));
  for (int j = 0; j < 2; ++j) {
    EXPECT_EQ(enc->parity[j].size(), 70000u);
    EXPECT_EQ(sm.parity[j], HashBytes(HashAlgo::kSha256, enc->parity[j]));
  }
  auto all = Stored(c, *enc);
  for (uint64_t lost = 1; lost < 64; ++lost) {
    if (std::popcount(lost) > 2) continue;
    auto views = all;
    for (int i = 0; i < 6; ++i)
      if (lost & (1u << i)) views[i].reset();
    for (int i = 0; i < 6; ++i) {
      if ((lost & (1u << i)) == 0) continue;
      auto got = RebuildFragment(*code, sm, i, views);
      ASSERT_TRUE(got.ok()) << "pattern " << lost << " fragment " << i << ": "
                            << got.status().ToString();
      EXPECT_EQ(*got, *all[i]) << "pattern " << lost << " fragment " << i;
    }
  }
}

TEST(StripeTest, ShortTailStripeKeepsKAndTreatsAbsentMembersAsZeros) {
  auto code = MakeCode("6:2:rs");
  Chunks c({4096, 100}, 2);
  auto enc = EncodeStripe(*code, c.inputs, HashAlgo::kSha256);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  EXPECT_EQ(enc->manifest.policy.ToString(), "6:2:rs");
  EXPECT_EQ(enc->manifest.data.size(), 2u);
  EXPECT_FALSE(enc->manifest.IsStored(2));
  EXPECT_TRUE(enc->manifest.IsStored(6));
  // Both data chunks lost: the two parity chunks and four absent zeros are K = 6 sources.
  auto views = Stored(c, *enc);
  views[0].reset();
  views[1].reset();
  for (int i = 0; i < 2; ++i) {
    auto got = RebuildFragment(*code, enc->manifest, i, views);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, c.bytes[i]);
  }
  // An absent member is not a fragment anyone can ask for.
  EXPECT_EQ(RebuildFragment(*code, enc->manifest, 3, views).status().code(),
            Code::kInvalidArgument);
  // Three stored fragments lost out of four: refused, naming them.
  views[6].reset();
  auto none = RebuildFragment(*code, enc->manifest, 0, views);
  EXPECT_EQ(none.status().code(), Code::kUnavailable);
  EXPECT_NE(none.status().message().find("lost: data 1, parity 0"), std::string::npos)
      << none.status().message();
}

TEST(StripeTest, ACorruptSourceIsSkippedWhenAnotherFragmentIsAvailable) {
  auto code = MakeCode("3:2:rs");
  Chunks c({5000, 5000, 4000}, 3);
  auto enc = EncodeStripe(*code, c.inputs, HashAlgo::kSha256);
  ASSERT_TRUE(enc.ok());
  auto views = Stored(c, *enc);
  std::string rotten(c.bytes[1]);
  rotten[1234] ^= 0x01;  // one flipped bit in a source the first attempt uses
  views[1] = rotten;
  views[0].reset();
  auto got = RebuildFragment(*code, enc->manifest, 0, views);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, c.bytes[0]);
}

TEST(StripeTest, ARebuildThatDoesNotVerifyIsRefused) {
  auto code = MakeCode("4:2:rs");
  Chunks c({3000, 3000, 3000, 2000}, 4);
  auto enc = EncodeStripe(*code, c.inputs, HashAlgo::kSha256);
  ASSERT_TRUE(enc.ok());
  // Exactly K fragments left and one of them wrong: no correct answer exists.
  auto views = Stored(c, *enc);
  views[0].reset();
  views[2].reset();
  std::string rotten(enc->parity[0]);
  rotten[0] ^= 0x80;
  views[4] = rotten;
  auto got = RebuildFragment(*code, enc->manifest, 0, views);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kCorruption);
  EXPECT_NE(got.status().message().find("corrupt: parity 0"), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find(c.inputs[0].chid.ToString()), std::string::npos);
  // A fragment of the wrong length is wrong bytes too.
  views = Stored(c, *enc);
  views[0].reset();
  views[2].reset();
  std::string truncated = enc->parity[1].substr(1);
  views[5] = truncated;
  EXPECT_EQ(RebuildFragment(*code, enc->manifest, 0, views).status().code(), Code::kCorruption);
  // A manifest that does not describe these chunks: every source verifies, the result not.
  StripeManifest lying = enc->manifest;
  lying.data[0].chid = HashBytes(HashAlgo::kSha256, "something else");
  views = Stored(c, *enc);
  views[0].reset();
  auto wrong = RebuildFragment(*code, lying, 0, views);
  EXPECT_EQ(wrong.status().code(), Code::kCorruption);
  EXPECT_NE(wrong.status().message().find("does not match its CHID"), std::string::npos);
}

TEST(StripeTest, ParityFragmentsRebuildForHealing) {
  auto code = MakeCode("8:3:rs");
  Chunks c({1 << 16, 1 << 16, 1 << 16, 1 << 16, 1 << 16, 1 << 16, 1 << 16, 777}, 5);
  auto enc = EncodeStripe(*code, c.inputs, HashAlgo::kBlake2b256);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->manifest.parity[0].algo(), HashAlgo::kBlake2b256);
  auto views = Stored(c, *enc);
  views[8].reset();
  views[10].reset();
  views[3].reset();
  for (int i : {8, 10, 3}) {
    auto got = RebuildFragment(*code, enc->manifest, i, views);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, *Stored(c, *enc)[i]);
  }
}

TEST(StripeTest, EncodeRefusesBadInput) {
  auto code = MakeCode("2:1:rs");
  Chunks c({10, 20, 30}, 6);
  // More than K chunks.
  EXPECT_EQ(EncodeStripe(*code, c.inputs, HashAlgo::kSha256).status().code(),
            Code::kInvalidArgument);
  // None.
  EXPECT_EQ(EncodeStripe(*code, {}, HashAlgo::kSha256).status().code(), Code::kInvalidArgument);
  // An empty chunk.
  std::vector<StripeInput> empty = {{HashBytes(HashAlgo::kSha256, ""), ""}};
  EXPECT_EQ(EncodeStripe(*code, empty, HashAlgo::kSha256).status().code(), Code::kInvalidArgument);
  // Bytes that are not what the CHID names.
  std::vector<StripeInput> lying = {c.inputs[0], {c.inputs[0].chid, c.bytes[1]}};
  auto st = EncodeStripe(*code, lying, HashAlgo::kSha256).status();
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find(c.inputs[0].chid.ToString()), std::string::npos);
  // A codec for another policy.
  auto enc = EncodeStripe(*code, std::span(c.inputs).first(2), HashAlgo::kSha256);
  ASSERT_TRUE(enc.ok());
  auto other = MakeCode("2:2:rs");
  std::vector<std::optional<std::string_view>> views(4);
  EXPECT_EQ(RebuildFragment(*other, enc->manifest, 0, views).status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace ccow
