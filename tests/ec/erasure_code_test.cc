// The RS(K, M) codec: every listed policy recovers every pattern of up to M lost
// fragments (exhaustively for the listed policies, randomly for wide ones), parity is the
// Cauchy Reed-Solomon code docs/FORMAT.md describes (checked against a naive GF(2^8)
// implementation here, not ISA-L), more than M losses fail naming what is lost, and the
// decode cache stays bounded under concurrent use.
#include "ec/erasure_code.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/hash.h"

namespace ccow {
namespace {

const char* kListed[] = {"2:1:rs", "2:2:rs", "3:2:rs", "4:2:rs", "6:2:rs", "8:3:rs", "9:3:rs"};

std::unique_ptr<ErasureCode> MakeCode(const std::string& text) {
  auto policy = ErasurePolicy::Parse(text);
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  auto code = ErasureCode::Create(*policy);
  EXPECT_TRUE(code.ok()) << code.status().ToString();
  return std::move(code).value();
}

// K+M fragments of `len` bytes: K random data fragments and their parity.
struct Fragments {
  std::vector<std::string> f;
  Fragments(const ErasureCode& code, size_t len, uint32_t seed) {
    std::mt19937 rng(seed);
    f.resize(code.width());
    const uint8_t* data[ErasurePolicy::kMaxData];
    uint8_t* parity[ErasurePolicy::kMaxParity];
    for (int i = 0; i < code.width(); ++i) {
      f[i].resize(len);
      if (i < code.data_count()) {
        for (auto& c : f[i]) c = static_cast<char>(rng());
        data[i] = reinterpret_cast<const uint8_t*>(f[i].data());
      } else {
        parity[i - code.data_count()] = reinterpret_cast<uint8_t*>(f[i].data());
      }
    }
    Status st = code.Encode(len, {data, static_cast<size_t>(code.data_count())},
                            {parity, static_cast<size_t>(code.parity_count())});
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
};

// Loses the fragments in `lost` (a bitmask), rebuilds all of them, compares.
Status LoseAndRebuild(const ErasureCode& code, const Fragments& frags, uint64_t lost) {
  const size_t w = code.width(), len = frags.f[0].size();
  std::vector<const uint8_t*> in(w);
  std::vector<uint8_t*> out(w);
  std::vector<std::string> rebuilt(w);
  for (size_t i = 0; i < w; ++i) {
    if (lost & (uint64_t{1} << i)) {
      rebuilt[i].assign(len, '\x5a');  // not zeros: a no-op rebuild must not pass
      out[i] = reinterpret_cast<uint8_t*>(rebuilt[i].data());
    } else {
      in[i] = reinterpret_cast<const uint8_t*>(frags.f[i].data());
    }
  }
  CCOW_RETURN_IF_ERROR(code.Reconstruct(len, in, out));
  for (size_t i = 0; i < w; ++i)
    if (out[i] != nullptr && rebuilt[i] != frags.f[i])
      return Status::Internal("fragment " + std::to_string(i) + " rebuilt wrong, pattern " +
                              std::to_string(lost));
  return Status::OK();
}

TEST(ErasureCodeTest, EveryListedPolicyRecoversEveryPatternOfUpToMLosses) {
  for (const char* text : kListed) {
    auto code = MakeCode(text);
    const int w = code->width();
    // Lengths below, at and above ISA-L's 32-byte SIMD width, and not a multiple of it.
    for (size_t len : {size_t{1}, size_t{31}, size_t{32}, size_t{4097}}) {
      Fragments frags(*code, len, static_cast<uint32_t>(len * 31 + w));
      int patterns = 0;
      for (uint64_t lost = 1; lost < (uint64_t{1} << w); ++lost) {
        if (std::popcount(lost) > code->parity_count()) continue;
        Status st = LoseAndRebuild(*code, frags, lost);
        ASSERT_TRUE(st.ok()) << text << " len " << len << ": " << st.ToString();
        ++patterns;
      }
      EXPECT_GT(patterns, 0);
    }
  }
}

TEST(ErasureCodeTest, WidePoliciesRecoverRandomPatterns) {
  std::mt19937 rng(7);
  for (const char* text : {"16:4:rs", "20:8:rs", "32:16:rs", "12:12:rs"}) {
    auto code = MakeCode(text);
    Fragments frags(*code, 1000, 11);
    for (int round = 0; round < 200; ++round) {
      std::vector<int> idx(code->width());
      for (int i = 0; i < code->width(); ++i) idx[i] = i;
      std::shuffle(idx.begin(), idx.end(), rng);
      int n = 1 + static_cast<int>(rng() % code->parity_count());
      uint64_t lost = 0;
      for (int i = 0; i < n; ++i) lost |= uint64_t{1} << idx[i];
      Status st = LoseAndRebuild(*code, frags, lost);
      ASSERT_TRUE(st.ok()) << text << ": " << st.ToString();
    }
    EXPECT_LE(code->cached_plans(), ErasureCode::kDecodeCacheSize);
  }
}

// GF(2^8) with ISA-L's polynomial x^8 + x^4 + x^3 + x^2 + 1, written out so that the test
// does not check ISA-L against itself.
uint8_t GfMul(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  while (b) {
    if (b & 1) p ^= a;
    bool high = a & 0x80;
    a = static_cast<uint8_t>(a << 1);
    if (high) a ^= 0x1d;
    b >>= 1;
  }
  return p;
}
uint8_t GfInv(uint8_t a) {
  for (int b = 1; b < 256; ++b)
    if (GfMul(a, static_cast<uint8_t>(b)) == 1) return static_cast<uint8_t>(b);
  return 0;
}

TEST(ErasureCodeTest, ParityIsTheDocumentedCauchyCode) {
  for (const char* text : kListed) {
    auto code = MakeCode(text);
    const int k = code->data_count();
    Fragments frags(*code, 257, 3);
    for (int p = 0; p < code->parity_count(); ++p) {
      for (size_t b = 0; b < 257; ++b) {
        uint8_t want = 0;
        for (int j = 0; j < k; ++j)
          want ^=
              GfMul(GfInv(static_cast<uint8_t>((k + p) ^ j)), static_cast<uint8_t>(frags.f[j][b]));
        ASSERT_EQ(static_cast<uint8_t>(frags.f[k + p][b]), want)
            << text << " parity " << p << " byte " << b;
      }
    }
  }
}

// Parity bytes are part of the stored format: pin one stripe's parity.
TEST(ErasureCodeTest, ParityBytesArePinned) {
  auto code = MakeCode("4:2:rs");
  std::string data[4] = {"ccow", "erasure!", "coded", "stripe"};
  for (auto& d : data) d.resize(8, '\0');
  std::string parity[2] = {std::string(8, '\0'), std::string(8, '\0')};
  const uint8_t* in[4];
  uint8_t* out[2];
  for (int i = 0; i < 4; ++i) in[i] = reinterpret_cast<const uint8_t*>(data[i].data());
  for (int i = 0; i < 2; ++i) out[i] = reinterpret_cast<uint8_t*>(parity[i].data());
  ASSERT_TRUE(code->Encode(8, in, out).ok());
  EXPECT_EQ(ToHex(parity[0].data(), 8), "6695028abd0deafe");
  EXPECT_EQ(ToHex(parity[1].data(), 8), "805c0d44140d5e4f");
}

TEST(ErasureCodeTest, MoreThanMLostFailsNamingTheLostFragments) {
  auto code = MakeCode("4:2:rs");
  Fragments frags(*code, 64, 5);
  Status st = LoseAndRebuild(*code, frags, 0b010101);  // data 0, data 2, parity 0
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("3 of 6 fragments lost (data 0, data 2, parity 0)"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("4:2:rs"), std::string::npos);
  // Every pattern of M + 1 losses fails; none crashes or "succeeds".
  for (uint64_t lost = 1; lost < 64; ++lost) {
    if (std::popcount(lost) <= 2) continue;
    EXPECT_EQ(LoseAndRebuild(*code, frags, lost).code(), Code::kUnavailable);
  }
}

TEST(ErasureCodeTest, InvalidPoliciesAndArgumentsAreRefused) {
  for (auto [k, m] :
       std::vector<std::pair<int, int>>{{1, 1}, {0, 2}, {2, 0}, {33, 2}, {4, 17}, {255, 255}}) {
    ErasurePolicy p;
    p.data = static_cast<uint8_t>(k);
    p.parity = static_cast<uint8_t>(m);
    auto code = ErasureCode::Create(p);
    ASSERT_FALSE(code.ok()) << k << ":" << m;
    EXPECT_EQ(code.status().code(), Code::kInvalidArgument);
    EXPECT_NE(code.status().message().find("2 <= K <= 32"), std::string::npos);
  }
  auto code = MakeCode("3:2:rs");
  std::string buf(16, 'x');
  auto* p = reinterpret_cast<uint8_t*>(buf.data());
  const uint8_t* three[3] = {p, p, p};
  const uint8_t* two[2] = {p, p};
  uint8_t* outs[2] = {p, p};
  EXPECT_EQ(code->Encode(16, two, outs).code(), Code::kInvalidArgument);
  const uint8_t* with_null[3] = {p, nullptr, p};
  EXPECT_EQ(code->Encode(16, with_null, outs).code(), Code::kInvalidArgument);
  uint8_t* one_out[1] = {p};
  EXPECT_EQ(code->Encode(16, three, one_out).code(), Code::kInvalidArgument);
  // A present fragment cannot be rebuilt; slot counts must be K + M.
  const uint8_t* all[5] = {p, p, p, p, p};
  uint8_t* rebuild_present[5] = {nullptr, p, nullptr, nullptr, nullptr};
  EXPECT_EQ(code->Reconstruct(16, all, rebuild_present).code(), Code::kInvalidArgument);
  EXPECT_EQ(code->Reconstruct(16, three, outs).code(), Code::kInvalidArgument);
}

TEST(ErasureCodeTest, DecodeCacheIsBoundedAndSafeAcrossThreads) {
  auto code = MakeCode("32:16:rs");
  Fragments frags(*code, 256, 9);
  std::vector<std::thread> threads;
  std::vector<Status> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      for (int i = 0; i < 150 && results[t].ok(); ++i) {
        uint64_t lost = 0;
        while (std::popcount(lost) < 16) lost |= uint64_t{1} << (rng() % 48);
        results[t] = LoseAndRebuild(*code, frags, lost);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(code->cached_plans(), ErasureCode::kDecodeCacheSize);
}

}  // namespace
}  // namespace ccow
