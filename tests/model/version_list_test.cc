#include "model/version_list.h"

#include <gtest/gtest.h>

#include "model/encoding.h"

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

Chid Ec(const std::string& what) { return HashBytes(HashAlgo::kSha256, "stripes-" + what); }

TEST(VersionListTest, ErasureCodedEntriesRoundTripInEveryPlace) {
  VersionList vl = ListWith(3);
  ASSERT_TRUE(vl.CreateSnapshot("s", {1, {}}, 5).ok());
  ASSERT_TRUE(vl.Delete(2, 777).ok());
  for (uint64_t g : {1, 2, 3})
    ASSERT_TRUE(vl.SetErasureCoding(Entry(g).vm_chid, Ec(std::to_string(g))).ok());
  auto decoded = VersionList::Decode(vl.Encode());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->Encode(), vl.Encode());
  EXPECT_EQ(decoded->versions(), vl.versions());
  EXPECT_EQ(decoded->quarantine(), vl.quarantine());
  EXPECT_EQ(decoded->snapshots(), vl.snapshots());
  EXPECT_TRUE(decoded->versions()[0].erasure_coded());
  EXPECT_EQ(decoded->versions()[0].ec_chid, Ec("3"));
  EXPECT_EQ(decoded->quarantine()[0].version.ec_chid, Ec("2"));
  EXPECT_EQ(decoded->snapshots()[0].version.ec_chid, Ec("1"));
}

// The entry layout before kErasureCoded existed: a list written then must decode to the
// same entries and re-encode to the same bytes (its CHID and replicas' values unchanged).
TEST(VersionListTest, ListsWrittenBeforeErasureCodingDecodeUnchanged) {
  Encoder enc;
  enc.PutU8(0x04);
  enc.PutU8(1);
  enc.PutBytes("S/T/B/o");
  enc.PutHashId(HashBytes(HashAlgo::kSha256, "S/T/B/o"));
  enc.PutVarint(1);
  VersionEntry e = Entry(1);
  enc.PutVarint(e.generation);
  enc.PutU64(e.uvid.timestamp_ns);
  enc.PutU32(e.uvid.segment_id);
  enc.PutU32(e.uvid.sequence);
  enc.PutHashId(e.vm_chid);
  enc.PutVarint(e.size);
  enc.PutBytes(e.etag);
  enc.PutVarint(VersionEntry::kDeleteMarker);
  enc.PutVarint(0);
  enc.PutVarint(0);
  std::string old = enc.Take();
  auto vl = VersionList::Decode(old);
  ASSERT_TRUE(vl.ok()) << vl.status().ToString();
  ASSERT_EQ(vl->versions().size(), 1u);
  EXPECT_FALSE(vl->versions()[0].erasure_coded());
  EXPECT_TRUE(vl->versions()[0].is_delete_marker());
  EXPECT_TRUE(vl->versions()[0].ec_chid.empty());
  EXPECT_EQ(vl->Encode(), old);
}

TEST(VersionListTest, DecoderRefusesUnknownFlagsAndAnErasureCodedEntryWithoutItsSet) {
  VersionList vl = ListWith(1);
  ASSERT_TRUE(vl.SetErasureCoding(Entry(1).vm_chid, Ec("1")).ok());
  std::string bytes = vl.Encode();
  // The entry's flags varint is the byte before the 33-byte ec_chid and the two empty
  // counts that end the list.
  const size_t flags_at = bytes.size() - 2 - 33 - 1;
  ASSERT_EQ(bytes[flags_at], char{VersionEntry::kErasureCoded});
  std::string unknown = bytes;
  unknown[flags_at] = 4;
  auto r = VersionList::Decode(unknown);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown version entry flags"), std::string::npos)
      << r.status().message();
  // The flag without the CHID after it: the list ends early.
  std::string without = bytes.substr(0, flags_at + 1) + std::string("\0\0", 2);
  r = VersionList::Decode(without);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  // A CHID of tag 0 ("none") is not a stripe set.
  std::string empty = bytes;
  empty[flags_at + 1] = 0;
  EXPECT_FALSE(VersionList::Decode(empty).ok());
}

TEST(VersionListTest, SetErasureCodingMarksActiveQuarantinedAndSnapshotEntries) {
  VersionList vl = ListWith(3);
  // Generation 1 is in all three places: snapshot "a", the quarantine (deleted), and
  // after a restore would be active again; generation 2 stays active.
  ASSERT_TRUE(vl.CreateSnapshot("a", {1, {}}, 10).ok());
  ASSERT_TRUE(vl.CreateSnapshot("b", {2, {}}, 11).ok());
  ASSERT_TRUE(vl.Delete(1, 20).ok());
  ASSERT_TRUE(vl.SetErasureCoding(Entry(1).vm_chid, Ec("1")).ok());
  EXPECT_TRUE(vl.quarantine()[0].version.erasure_coded());
  EXPECT_EQ(vl.quarantine()[0].version.ec_chid, Ec("1"));
  EXPECT_TRUE(vl.snapshots()[0].version.erasure_coded());
  EXPECT_EQ(vl.snapshots()[0].version.ec_chid, Ec("1"));
  EXPECT_FALSE(vl.snapshots()[1].version.erasure_coded());
  for (const auto& v : vl.versions()) EXPECT_FALSE(v.erasure_coded()) << v.generation;

  ASSERT_TRUE(vl.SetErasureCoding(Entry(2).vm_chid, Ec("2")).ok());
  EXPECT_EQ(vl.Resolve({2, {}})->ec_chid, Ec("2"));
  EXPECT_EQ(vl.snapshots()[1].version.ec_chid, Ec("2"));
  EXPECT_FALSE(vl.Resolve({3, {}})->erasure_coded());
}

TEST(VersionListTest, SetErasureCodingOfAVersionNoLongerListedIsNotFound) {
  VersionList vl = ListWith(2);
  ASSERT_TRUE(vl.Delete(1, 20).ok());
  vl.ExpireQuarantine(UINT64_MAX, 0);  // generation 1's retention passed
  std::string before = vl.Encode();
  Status st = vl.SetErasureCoding(Entry(1).vm_chid, Ec("1"));
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("S/T/B/o"), std::string::npos) << st.message();
  EXPECT_EQ(vl.Encode(), before);  // nothing changed
  EXPECT_EQ(vl.SetErasureCoding(Entry(2).vm_chid, Chid()).code(), Code::kInvalidArgument);
}

TEST(VersionListTest, ErasureCodingSurvivesDeleteUndeleteSnapshotAndExpiry) {
  VersionList vl = ListWith(2);
  ASSERT_TRUE(vl.SetErasureCoding(Entry(2).vm_chid, Ec("2")).ok());
  ASSERT_TRUE(vl.CreateSnapshot("s", {}, 5).ok());
  EXPECT_EQ(vl.snapshots()[0].version.ec_chid, Ec("2"));
  ASSERT_TRUE(vl.Delete(std::nullopt, 10).ok());
  EXPECT_EQ(vl.quarantine()[0].version.ec_chid, Ec("2"));
  ASSERT_TRUE(vl.Undelete(std::nullopt).ok());
  EXPECT_TRUE(vl.Resolve({})->erasure_coded());
  EXPECT_EQ(vl.Resolve({})->ec_chid, Ec("2"));
  ASSERT_TRUE(vl.Delete(2, 30).ok());
  auto dropped = vl.ExpireQuarantine(UINT64_MAX, 0);
  ASSERT_EQ(dropped.size(), 1u);  // what the collector frees carries its stripe set
  EXPECT_EQ(dropped[0].ec_chid, Ec("2"));
}

}  // namespace
}  // namespace ccow
