// The one request-target and query parser: what routing and SigV4 both read.
#include "http/query_string.h"

#include <gtest/gtest.h>

namespace ccow::http {
namespace {

TEST(HttpQueryString, KeepsOrderAndDuplicates) {
  QueryParams q = ParseQuery("b=2&a=1&b=3");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].name, "b");
  EXPECT_EQ(q[0].value, "2");
  EXPECT_EQ(q[1].name, "a");
  EXPECT_EQ(q[1].value, "1");
  EXPECT_EQ(q[2].name, "b");
  EXPECT_EQ(q[2].value, "3");
  ParsedTarget t = ParseTarget("/x?b=2&a=1&b=3");
  ASSERT_NE(t.Find("b"), nullptr);
  EXPECT_EQ(*t.Find("b"), "2");  // the first one
  EXPECT_EQ(t.Find("c"), nullptr);
}

TEST(HttpQueryString, EmptyValuesAndEmptyPieces) {
  QueryParams q = ParseQuery("uploads&x=&&=v&y=1&");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].name, "uploads");
  EXPECT_EQ(q[0].value, "");
  EXPECT_FALSE(q[0].has_value);
  EXPECT_EQ(q[1].name, "x");
  EXPECT_EQ(q[1].value, "");
  EXPECT_TRUE(q[1].has_value);
  EXPECT_EQ(q[2].name, "");
  EXPECT_EQ(q[2].value, "v");
  EXPECT_EQ(q[3].name, "y");
  EXPECT_TRUE(ParseQuery("").empty());
  EXPECT_TRUE(ParseQuery("&&&").empty());
  // Only the first '=' splits.
  q = ParseQuery("a=b=c");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].value, "b=c");
}

TEST(HttpQueryString, PercentDecodingKeepsTheRawForm) {
  QueryParams q = ParseQuery("prefix=a%20b%2Fc&k%C3%BC=%e2%82%ac&d=%2F%2f");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].raw_name, "prefix");
  EXPECT_EQ(q[0].raw_value, "a%20b%2Fc");
  EXPECT_EQ(q[0].value, "a b/c");
  EXPECT_EQ(q[1].name, "k\xc3\xbc");
  EXPECT_EQ(q[1].raw_name, "k%C3%BC");
  EXPECT_EQ(q[1].value, "\xe2\x82\xac");
  EXPECT_EQ(q[2].value, "//");
  for (const auto& p : q) EXPECT_TRUE(p.well_formed);
  // An escaped '&' or '=' is data, not a separator.
  q = ParseQuery("a=x%26y%3Dz");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].value, "x&y=z");
  // NUL bytes survive.
  q = ParseQuery("n=%00");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].value, std::string(1, '\0'));
}

TEST(HttpQueryString, MalformedEscapeKeptAsSentAndFlagged) {
  for (const char* bad : {"a=%zz", "a=%2", "a=%", "%g1=v", "a=1%"}) {
    QueryParams q = ParseQuery(bad);
    ASSERT_EQ(q.size(), 1u) << bad;
    EXPECT_FALSE(q[0].well_formed) << bad;
    EXPECT_EQ(q[0].name + (q[0].has_value ? "=" : "") + q[0].value, bad);
  }
  ParsedTarget t = ParseTarget("/b?ok=1&bad=%zz&after=2");
  EXPECT_FALSE(t.well_formed());
  EXPECT_TRUE(t.path_well_formed);
  ASSERT_EQ(t.query.size(), 3u);
  EXPECT_EQ(*t.Find("bad"), "%zz");
  EXPECT_EQ(*t.Find("after"), "2");
  t = ParseTarget("/b%zz/k?x=1");
  EXPECT_FALSE(t.path_well_formed);
  EXPECT_FALSE(t.well_formed());
  EXPECT_EQ(t.path, "/b%zz/k");
  EXPECT_FALSE(PercentDecode("%zz").has_value());
}

TEST(HttpQueryString, PlusIsKeptUnlessFormEncoded) {
  QueryParams q = ParseQuery("a+b=c+d&e=%2B");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].name, "a+b");
  EXPECT_EQ(q[0].value, "c+d");
  EXPECT_EQ(q[1].value, "+");
  EXPECT_EQ(*PercentDecode("x+y"), "x+y");
  // SigV4 re-encodes a literal '+' as %2B, as the clients sign it.
  EXPECT_EQ(PercentEncode(q[0].value, true), "c%2Bd");
  q = ParseQuery("a+b=c+d&e=%2B", {.plus_is_space = true});
  EXPECT_EQ(q[0].name, "a b");
  EXPECT_EQ(q[0].value, "c d");
  EXPECT_EQ(q[1].value, "+");
}

TEST(HttpQueryString, TargetPathAndQuery) {
  ParsedTarget t = ParseTarget("/bucket/a%20key?uploadId=u1&partNumber=3");
  EXPECT_EQ(t.raw_path, "/bucket/a%20key");
  EXPECT_EQ(t.path, "/bucket/a key");
  EXPECT_EQ(t.raw_query, "uploadId=u1&partNumber=3");
  EXPECT_EQ(*t.Find("partNumber"), "3");
  EXPECT_TRUE(t.well_formed());
  // Only the first '?' splits; later ones are data.
  t = ParseTarget("/k?a=b?c");
  EXPECT_EQ(*t.Find("a"), "b?c");
  t = ParseTarget("/k?");
  EXPECT_EQ(t.raw_path, "/k");
  EXPECT_TRUE(t.query.empty());
  t = ParseTarget("/k");
  EXPECT_TRUE(t.raw_query.empty());
  // Query names are case-sensitive.
  t = ParseTarget("/?Uploads");
  EXPECT_EQ(t.Find("uploads"), nullptr);
}

TEST(HttpQueryString, AbsoluteFormTarget) {
  ParsedTarget t = ParseTarget("http://example.com:9000/bucket/key?versionId=4");
  EXPECT_EQ(t.raw_path, "/bucket/key");
  EXPECT_EQ(*t.Find("versionId"), "4");
  t = ParseTarget("https://example.com");
  EXPECT_EQ(t.raw_path, "/");
  EXPECT_TRUE(t.query.empty());
  t = ParseTarget("http://example.com?list-type=2&prefix=a/b");
  EXPECT_EQ(t.raw_path, "/");
  EXPECT_EQ(*t.Find("prefix"), "a/b");
}

TEST(HttpQueryString, EncodeDecodeRoundTrip) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (bool slash : {false, true}) EXPECT_EQ(*PercentDecode(PercentEncode(all, slash)), all);
  EXPECT_EQ(PercentEncode("a b/c~_-.", false), "a%20b/c~_-.");
  EXPECT_EQ(PercentEncode("a b/c", true), "a%20b%2Fc");
}

}  // namespace
}  // namespace ccow::http
