// zstd frames (core/compression.h): what compresses comes back exactly; what is not one
// frame, or claims more than the limit (a decompression bomb), is refused before any
// allocation of its claimed size.
#include "core/compression.h"

#include <gtest/gtest.h>

#include <random>

namespace ccow {
namespace {

TEST(CompressionTest, AFrameComesBackExactlyAndTextShrinks) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "S/T/bk1/object-" + std::to_string(i) + "\n";
  std::string frame = ZstdCompress(text);
  EXPECT_LT(frame.size(), text.size() / 4);
  auto back = ZstdDecompress(frame, text.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, text);
  auto empty = ZstdDecompress(ZstdCompress(""), 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST(CompressionTest, WhatIsNotOneFrameOrTooLargeIsRefused) {
  std::string text(1 << 20, 'a');  // a megabyte of one byte: a bomb of a few dozen bytes
  std::string frame = ZstdCompress(text);
  ASSERT_LT(frame.size(), 1000u);
  EXPECT_EQ(ZstdDecompress(frame, (1 << 20) - 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ZstdDecompress("not zstd at all", 100).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ZstdDecompress(frame.substr(0, frame.size() - 1), 1 << 20).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ZstdDecompress(frame + "x", 1 << 20).status().code(), Code::kInvalidArgument);
  // A flipped byte anywhere in the frame: refused (its checksum), or harmless; never other bytes.
  std::mt19937 rng(7);
  std::string random(4096, '\0');
  for (auto& c : random) c = static_cast<char>(rng());
  std::string mixed = random + text.substr(0, 4096);
  std::string good = ZstdCompress(mixed);
  size_t refused = 0;
  for (size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] ^= 0x40;
    auto r = ZstdDecompress(bad, 1 << 20);
    if (r.ok()) EXPECT_EQ(*r, mixed) << "a flip at byte " << at << " read back as other bytes";
    refused += !r.ok();
  }
  EXPECT_GT(refused, good.size() * 9 / 10);
}

}  // namespace
}  // namespace ccow
