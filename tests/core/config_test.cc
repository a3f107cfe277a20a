#include "core/config.h"

#include <gtest/gtest.h>

namespace ccow {
namespace {

TEST(ConfigTest, ParsesSizesTheWayOperatorsWriteThem) {
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("64K"), 64u << 10);
  EXPECT_EQ(*ParseSize("64KiB"), 64u << 10);
  EXPECT_EQ(*ParseSize("1M"), 1u << 20);
  EXPECT_EQ(*ParseSize("2g"), 2ull << 30);
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_FALSE(ParseSize("12Q").ok());
  EXPECT_FALSE(ParseSize("M").ok());
  EXPECT_FALSE(ParseSize("99999999999999999999").ok());
  EXPECT_FALSE(ParseSize("99999999999T").ok());
}

TEST(ConfigTest, FormatsSizes) {
  EXPECT_EQ(FormatSize(1 << 20), "1 MiB");
  EXPECT_EQ(FormatSize(1536), "1.5 KiB");
}

TEST(ConfigTest, FlattensNestedJson) {
  auto c = Config::Parse(R"({"store": {"layout": "segments", "segment_size": "1G"}, "n": 3})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->GetString("store.layout", ""), "segments");
  EXPECT_EQ(*c->GetSize("store.segment_size", 0), 1ull << 30);
  EXPECT_EQ(c->GetString("n", ""), "3");
  EXPECT_EQ(*c->GetSize("missing", 7), 7u);
  EXPECT_FALSE(Config::Parse("[1,2]").ok());
  EXPECT_FALSE(Config::Parse("{bad json").ok());
}

}  // namespace
}  // namespace ccow
