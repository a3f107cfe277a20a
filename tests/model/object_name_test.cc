#include "model/object_name.h"

#include <gtest/gtest.h>

namespace ccow {
namespace {

TEST(ObjectNameTest, ParsesFourPartsKeepingSlashesInTheKey) {
  auto n = ObjectName::Parse("Hawaii/Cola/bk1/photos/2024/a.jpg");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->segment, "Hawaii");
  EXPECT_EQ(n->tenant, "Cola");
  EXPECT_EQ(n->bucket, "bk1");
  EXPECT_EQ(n->object, "photos/2024/a.jpg");
  EXPECT_EQ(n->Full(), "Hawaii/Cola/bk1/photos/2024/a.jpg");
}

TEST(ObjectNameTest, RejectsMalformedNames) {
  for (const char* bad : {"", "a", "a/b", "a/b/c", "a/b/c/", "/b/c/d", "a//c/d", "a/b c/d/e",
                          "a/b/c\xff/d"})
    EXPECT_EQ(ObjectName::Parse(bad).status().code(), Code::kInvalidArgument) << bad;
  EXPECT_FALSE(ObjectName::Parse("a/b/c/" + std::string(1025, 'k')).ok());
  EXPECT_FALSE(ObjectName::Parse(std::string("a/b/c/x\0y", 9)).ok());
}

TEST(ObjectNameTest, NhidDependsOnTheFullName) {
  auto a = ObjectName::Parse("Hawaii/Cola/bk1/x");
  auto b = ObjectName::Parse("Hawaii/Cola/bk2/x");
  EXPECT_NE(a->ComputeNhid(HashAlgo::kSha256), b->ComputeNhid(HashAlgo::kSha256));
  EXPECT_EQ(a->ComputeNhid(HashAlgo::kSha256), HashBytes(HashAlgo::kSha256, "Hawaii/Cola/bk1/x"));
}

}  // namespace
}  // namespace ccow
