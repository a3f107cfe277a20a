#include "gateway/s3/header_words.h"

#include <gtest/gtest.h>

namespace ccow::s3 {
namespace {

TEST(HeaderWords, EncodedWordsDecodeToTheirUtf8Text) {
  EXPECT_EQ(DecodeHeaderWords("=?UTF-8?B?Y2Fmw6k=?="), "caf\xc3\xa9");
  EXPECT_EQ(DecodeHeaderWords("=?utf-8?q?caf=C3=A9_au_lait?="), "caf\xc3\xa9 au lait");
  // Whitespace between two words goes; around them it stays.
  EXPECT_EQ(DecodeHeaderWords("x =?UTF-8?B?YQ==?= =?UTF-8?B?Yg==?= y"), "x ab y");
  EXPECT_EQ(DecodeHeaderWords("plain text"), "plain text");
}

TEST(HeaderWords, WhatIsNotAWellFormedWordStaysAsSent) {
  for (const char* v : {"=?", "=?UTF-8?B?", "=?UTF-8?X?abc?=", "=?ISO-8859-1?Q?caf=E9?=", "=?UTF-8?Q?=4?=",
                        "=?UTF-8?Q?=ZZ?=", "=?UTF-8?B?!!!?=", "a=?b", "=?UTF-8?B?a b?="})
    EXPECT_EQ(DecodeHeaderWords(v), v) << v;
}

TEST(HeaderWords, OnlyPrintableAsciiGoesOutAsIs) {
  EXPECT_EQ(EncodeHeaderValue("hello world\t!"), "hello world\t!");
  EXPECT_EQ(EncodeHeaderValue("caf\xc3\xa9"), "=?UTF-8?B?Y2Fmw6k=?=");
  EXPECT_EQ(EncodeHeaderValue(std::string("a\x01", 2)), "=?UTF-8?B?YQE=?=");
  // What goes out decodes back to what was stored.
  EXPECT_EQ(DecodeHeaderWords(EncodeHeaderValue("\xe2\x82\xac 5")), "\xe2\x82\xac 5");
}

}  // namespace
}  // namespace ccow::s3
