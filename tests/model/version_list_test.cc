#include "model/version_list.h"

#include <gtest/gtest.h>

namespace ccow {
namespace {

VersionEntry Entry(uint64_t gen) {
  return VersionEntry{gen, {gen * 1000, 0, 0}, HashBytes(HashAlgo::kSha256, std::to_string(gen)),
                      gen * 10, "etag" + std::to_string(gen)};
}

VersionList ListWith(int n) {
  VersionList vl("S/T/B/o", HashBytes(HashAlgo::kSha256, "S/T/B/o"));
  for (int g = 1; g <= n; ++g) EXPECT_TRUE(vl.AddVersion(Entry(g)).ok());
  return vl;
}

TEST(VersionListTest, NewestVersionIsLatest) {
  VersionList vl = ListWith(3);
  EXPECT_EQ(vl.Resolve({})->generation, 3u);
  EXPECT_EQ(vl.Resolve({2, {}})->size, 20u);
  EXPECT_TRUE(vl.Resolve({9, {}}).status().IsNotFound());
}

TEST(VersionListTest, StaleGenerationIsAConflict) {
  VersionList vl = ListWith(2);
  EXPECT_EQ(vl.AddVersion(Entry(2)).code(), Code::kConflict);
  EXPECT_TRUE(vl.AddVersion(Entry(3)).ok());
}

TEST(VersionListTest, DeleteMovesAllToQuarantineAndUndeleteRestores) {
  VersionList vl = ListWith(3);
  ASSERT_TRUE(vl.Delete(std::nullopt, 5000).ok());
  EXPECT_FALSE(vl.HasActiveVersion());
  EXPECT_EQ(vl.quarantine().size(), 3u);
  EXPECT_TRUE(vl.Resolve({}).status().IsNotFound());
  ASSERT_TRUE(vl.Undelete(std::nullopt).ok());
  EXPECT_EQ(vl.versions().size(), 3u);
  EXPECT_EQ(vl.Resolve({})->generation, 3u);
}

TEST(VersionListTest, GenerationsAreNeverReusedAfterDelete) {
  VersionList vl = ListWith(3);
  ASSERT_TRUE(vl.Delete(3, 5000).ok());
  EXPECT_EQ(vl.NextGeneration(), 4u);
  EXPECT_EQ(vl.Resolve({})->generation, 2u);
}

TEST(VersionListTest, UndeleteRestoresOnlyTheMostRecentDeletion) {
  VersionList vl = ListWith(3);
  ASSERT_TRUE(vl.Delete(1, 1000).ok());
  ASSERT_TRUE(vl.Delete(std::nullopt, 2000).ok());  // generations 2 and 3
  ASSERT_TRUE(vl.Undelete(std::nullopt).ok());
  EXPECT_EQ(vl.versions().size(), 2u);
  EXPECT_EQ(vl.quarantine().size(), 1u);
  EXPECT_EQ(vl.quarantine().front().version.generation, 1u);
  ASSERT_TRUE(vl.Undelete(1).ok());
  EXPECT_EQ(vl.versions().back().generation, 1u);
}

TEST(VersionListTest, QuarantineExpiresAfterRetention) {
  VersionList vl = ListWith(2);
  ASSERT_TRUE(vl.Delete(1, 1000).ok());
  EXPECT_TRUE(vl.ExpireQuarantine(1500, 1000).empty());
  auto dropped = vl.ExpireQuarantine(2000, 1000);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].generation, 1u);
  EXPECT_TRUE(vl.quarantine().empty());
}

TEST(VersionListTest, SnapshotPinsAVersionThroughDeletion) {
  VersionList vl = ListWith(2);
  ASSERT_TRUE(vl.CreateSnapshot("s1", {1, {}}, 100).ok());
  EXPECT_EQ(vl.CreateSnapshot("s1", {}, 100).code(), Code::kAlreadyExists);
  ASSERT_TRUE(vl.Delete(std::nullopt, 200).ok());
  vl.ExpireQuarantine(UINT64_MAX, 0);
  EXPECT_FALSE(vl.Empty());
  VersionSelector by_snapshot;
  by_snapshot.snapshot = "s1";
  EXPECT_EQ(vl.Resolve(by_snapshot)->generation, 1u);
  ASSERT_TRUE(vl.DeleteSnapshot("s1").ok());
  EXPECT_TRUE(vl.Empty());
}

TEST(VersionListTest, EncodingRoundTrips) {
  VersionList vl = ListWith(3);
  ASSERT_TRUE(vl.Delete(2, 777).ok());
  ASSERT_TRUE(vl.CreateSnapshot("b", {}, 1).ok());
  ASSERT_TRUE(vl.CreateSnapshot("a", {1, {}}, 2).ok());
  auto decoded = VersionList::Decode(vl.Encode());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->Encode(), vl.Encode());
  EXPECT_EQ(decoded->versions(), vl.versions());
  EXPECT_EQ(decoded->quarantine(), vl.quarantine());
  EXPECT_EQ(decoded->snapshots(), vl.snapshots());
}

}  // namespace
}  // namespace ccow
