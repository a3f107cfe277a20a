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

TEST(ConfigTest, AcceptsEverySpellingOfABinaryUnit) {
  for (const char* text : {"256K", "256k", "256KB", "256kb", "256Ki", "256KiB", "256kib", " 256 K "})
    EXPECT_EQ(*ParseSize(text), 256u << 10) << text;
  EXPECT_EQ(*ParseSize("1MiB"), 1u << 20);
  EXPECT_EQ(*ParseSize("4GB"), 4ull << 30);  // binary, as documented
  EXPECT_EQ(*ParseSize("3T"), 3ull << 40);
  EXPECT_EQ(*ParseSize("512B"), 512u);
  EXPECT_EQ(*ParseSize("0"), 0u);
  EXPECT_EQ(*ParseSize("0T"), 0u);
}

TEST(ConfigTest, RefusesWhatIsNotASize) {
  for (const char* text : {"", " ", "K", "KiB", "B", "-1", "+1", "1.5M", "1e6", "4P", "4BB", "4IB",
                           "4KK", "4KiBB", "1M1", "0x10", "12Q", "ten"})
    EXPECT_FALSE(ParseSize(text).ok()) << "'" << text << "'";
  auto r = ParseSize("12Q");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'12Q'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("256K"), std::string::npos) << r.status().message();
}

TEST(ConfigTest, RefusesSizesAbove64Bits) {
  EXPECT_EQ(*ParseSize("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(ParseSize("18446744073709551616").ok());
  EXPECT_EQ(*ParseSize("16777215T"), 16777215ull << 40);
  EXPECT_FALSE(ParseSize("16777216T").ok());  // exactly 2^64
  EXPECT_FALSE(ParseSize("17179869184G").ok());
  auto r = ParseSize("99999999999T");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too large"), std::string::npos) << r.status().message();
}

TEST(ConfigTest, ConfigSizeErrorsNameTheKey) {
  auto c = Config::Parse(R"({"cache": {"size": "12Q"}})");
  ASSERT_TRUE(c.ok());
  auto r = c->GetSize("cache.size", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cache.size"), std::string::npos) << r.status().message();
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
