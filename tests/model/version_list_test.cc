#include "model/version_list.h"

#include <gtest/gtest.h>

#include <optional>

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

// Decodes vl's encoding and expects exactly vl back (bytes, versions, quarantine,
// snapshots); the decoded list, or nothing when it did not decode.
std::optional<VersionList> ExpectRoundTrips(const VersionList& vl) {
  auto decoded = VersionList::Decode(vl.Encode());
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  if (!decoded.ok()) return std::nullopt;
  EXPECT_EQ(decoded->Encode(), vl.Encode());
  EXPECT_EQ(decoded->versions(), vl.versions());
  EXPECT_EQ(decoded->quarantine(), vl.quarantine());
  EXPECT_EQ(decoded->snapshots(), vl.snapshots());
  return std::move(*decoded);
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
  ASSERT_TRUE(vl.DeleteSnapshot("s1", 300).ok());
  EXPECT_FALSE(vl.Empty()) << "the snapshot's tombstone keeps the list";
  ASSERT_EQ(vl.snapshot_tombstones().size(), 1u);
  EXPECT_EQ(vl.snapshot_tombstones()[0], (SnapshotTombstone{"s1", 100, 300}));
  vl.ExpireQuarantine(400, 100);
  EXPECT_TRUE(vl.Empty());
}

TEST(VersionListTest, SnapshotTombstonesRoundTripAndListsWithoutKeepTheirBytes) {
  VersionList vl = ListWith(2);
  const std::string before = vl.Encode();
  ASSERT_TRUE(vl.CreateSnapshot("b", {}, 10).ok());
  ASSERT_TRUE(vl.CreateSnapshot("a", {}, 20).ok());
  ASSERT_TRUE(vl.DeleteSnapshot("b", 30).ok());
  ASSERT_TRUE(vl.DeleteSnapshot("a", 40).ok());
  EXPECT_EQ(vl.Encode().substr(0, before.size() - 1), before.substr(0, before.size() - 1));
  auto decoded = ExpectRoundTrips(vl);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->snapshot_tombstones(), vl.snapshot_tombstones());
  ASSERT_EQ(vl.snapshot_tombstones().size(), 2u);
  EXPECT_EQ(vl.snapshot_tombstones()[0].name, "a");
  // Golden: the section follows the (empty) snapshots: count, then name, created, deleted.
  std::string tail = vl.Encode().substr(before.size());
  EXPECT_EQ(tail, std::string("\x02\x01" "a", 3) + std::string("\x14\x00\x00\x00\x00\x00\x00\x00", 8) +
                      std::string("\x28\x00\x00\x00\x00\x00\x00\x00", 8) + std::string("\x01" "b", 2) +
                      std::string("\x0a\x00\x00\x00\x00\x00\x00\x00", 8) +
                      std::string("\x1e\x00\x00\x00\x00\x00\x00\x00", 8));
  // An empty section is not canonical; unsorted tombstones are refused.
  EXPECT_EQ(VersionList::Decode(before + std::string(1, '\0')).status().code(), Code::kCorruption);
  std::string swapped = before + std::string("\x02", 1) + tail.substr(1 + 18) + tail.substr(1, 18);
  EXPECT_EQ(VersionList::Decode(swapped).status().code(), Code::kCorruption);
}

TEST(VersionListTest, CurrentAtIsTheVersionThatWasCurrentThen) {
  VersionList vl = ListWith(3);  // generations 1..3 written at 1000, 2000, 3000
  ASSERT_TRUE(vl.Delete(3, 3500).ok());
  ASSERT_TRUE(vl.Delete(2, 5000).ok());
  EXPECT_EQ(vl.CurrentAt(500).status().code(), Code::kNotFound) << "nothing written yet";
  EXPECT_EQ(vl.CurrentAt(1999)->generation, 1u);
  EXPECT_EQ(vl.CurrentAt(2000)->generation, 2u);
  EXPECT_EQ(vl.CurrentAt(3000)->generation, 3u);
  EXPECT_EQ(vl.CurrentAt(3500)->generation, 2u) << "3 was deleted at 3500";
  EXPECT_EQ(vl.CurrentAt(6000)->generation, 1u);
  VersionEntry marker = Entry(4);
  marker.flags = VersionEntry::kDeleteMarker;
  ASSERT_TRUE(vl.AddVersion(marker).ok());
  EXPECT_EQ(vl.CurrentAt(4000).status().code(), Code::kNotFound) << "a delete marker was current";
  VersionSelector at;
  at.as_of_ns = 3200;
  ASSERT_TRUE(vl.CreateSnapshot("then", at, 7000).ok()) << "a quarantined version can be pinned";
  VersionSelector snap;
  snap.snapshot = "then";
  EXPECT_EQ(vl.Resolve(snap)->generation, 3u);
}

TEST(VersionListTest, EncodingRoundTrips) {
  VersionList vl = ListWith(3);
  ASSERT_TRUE(vl.Delete(2, 777).ok());
  ASSERT_TRUE(vl.CreateSnapshot("b", {}, 1).ok());
  ASSERT_TRUE(vl.CreateSnapshot("a", {1, {}}, 2).ok());
  auto decoded = ExpectRoundTrips(vl);
  ASSERT_TRUE(decoded.has_value());
}

Chid Ec(const std::string& what) { return HashBytes(HashAlgo::kSha256, "stripes-" + what); }

TEST(VersionListTest, ErasureCodedEntriesRoundTripInEveryPlace) {
  VersionList vl = ListWith(3);
  ASSERT_TRUE(vl.CreateSnapshot("s", {1, {}}, 5).ok());
  ASSERT_TRUE(vl.Delete(2, 777).ok());
  for (uint64_t g : {1, 2, 3})
    ASSERT_TRUE(vl.SetErasureCoding(Entry(g).vm_chid, Ec(std::to_string(g))).ok());
  auto decoded = ExpectRoundTrips(vl);
  ASSERT_TRUE(decoded.has_value());
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

TEST(VersionListTest, TheNullVersionRoundTripsAndIsWhatVersionIdNullNames) {
  VersionList vl = ListWith(2);
  VersionSelector null_version;
  null_version.null_version = true;
  EXPECT_TRUE(vl.Resolve(null_version).status().IsNotFound());
  VersionEntry null_entry = Entry(3);
  null_entry.flags |= VersionEntry::kNullVersion;
  ASSERT_TRUE(vl.AddVersion(null_entry).ok());
  ASSERT_TRUE(vl.AddVersion(Entry(4)).ok());
  auto back = VersionList::Decode(vl.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->Encode(), vl.Encode());
  auto found = back->Resolve(null_version);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->generation, 3u);
  EXPECT_TRUE(found->is_null_version());
  EXPECT_FALSE(back->Resolve({})->is_null_version());
  // Deleted, it is no longer what versionId=null names.
  ASSERT_TRUE(vl.Delete(3, 5'000'000'000).ok());
  EXPECT_TRUE(vl.Resolve(null_version).status().IsNotFound());
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
  unknown[flags_at] = 64;
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

constexpr uint64_t kSec = 1'000'000'000;

TEST(VersionListTest, ObjectLocksRoundTripInEveryPlaceAndUnlockedEntriesKeepTheirBytes) {
  VersionList vl = ListWith(3);
  const std::string unlocked = vl.Encode();
  ASSERT_TRUE(vl.SetRetention(1, LockMode::kCompliance, 100 * kSec, 1, false).ok());
  ASSERT_TRUE(vl.SetLegalHold(2, true).ok());
  ASSERT_TRUE(vl.SetRetention(3, LockMode::kGovernance, 50 * kSec, 1, false).ok());
  ASSERT_TRUE(vl.SetErasureCoding(Entry(3).vm_chid, Ec("3")).ok());
  ASSERT_TRUE(vl.CreateSnapshot("s", {1, {}}, 5).ok());
  ASSERT_TRUE(vl.Delete(3, 60 * kSec).ok()) << "a GOVERNANCE retention that has passed still held";
  auto decoded = ExpectRoundTrips(vl);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->snapshots()[0].version.lock, (ObjectLock{LockMode::kCompliance, 100 * kSec, false}));
  EXPECT_TRUE(decoded->versions()[0].lock.legal_hold);
  EXPECT_EQ(decoded->quarantine()[0].version.lock.mode, LockMode::kGovernance);
  EXPECT_TRUE(decoded->quarantine()[0].version.erasure_coded());
  // Lifting every lock gives back the bytes of a list that never had one.
  VersionList again = ListWith(3);
  ASSERT_TRUE(again.SetLegalHold(2, true).ok());
  ASSERT_TRUE(again.SetLegalHold(2, false).ok());
  EXPECT_EQ(again.Encode(), unlocked);
}

TEST(VersionListTest, LockedVersionsCannotBeDeletedUntilTheRetentionPassesOrTheHoldIsLifted) {
  VersionList vl = ListWith(3);
  ASSERT_TRUE(vl.SetRetention(1, LockMode::kCompliance, 100 * kSec, 1, false).ok());
  ASSERT_TRUE(vl.SetRetention(2, LockMode::kGovernance, 100 * kSec, 1, false).ok());
  ASSERT_TRUE(vl.SetLegalHold(3, true).ok());
  const std::string before = vl.Encode();
  // Compliance: not even bypassing governance; deleting everything moves nothing.
  EXPECT_EQ(vl.Delete(1, 10 * kSec, true).code(), Code::kLocked);
  EXPECT_EQ(vl.Delete(std::nullopt, 10 * kSec, true).code(), Code::kLocked);
  // Governance: only bypassing it. A legal hold: whatever the caller may bypass.
  EXPECT_EQ(vl.Delete(2, 10 * kSec, false).code(), Code::kLocked);
  EXPECT_EQ(vl.Delete(3, 10 * kSec, true).code(), Code::kLocked);
  EXPECT_EQ(vl.Encode(), before) << "a refused delete changed the list";
  EXPECT_TRUE(vl.Delete(2, 10 * kSec, true).ok());
  ASSERT_TRUE(vl.SetLegalHold(3, false).ok());
  EXPECT_TRUE(vl.Delete(3, 10 * kSec, false).ok());
  // Once its retention has passed, a compliance version goes like any other.
  EXPECT_TRUE(vl.Delete(1, 100 * kSec, false).ok());
  EXPECT_FALSE(vl.HasActiveVersion());
}

TEST(VersionListTest, QuarantineExpiryKeepsWhatIsStillLockedWhateverTheRetention) {
  VersionList vl = ListWith(2);
  // A bypassed governance retention does not hold a deleted version back: its deleter chose.
  ASSERT_TRUE(vl.SetRetention(1, LockMode::kGovernance, 100 * kSec, 1, false).ok());
  ASSERT_TRUE(vl.Delete(1, 2 * kSec, true).ok());
  // A quarantined entry naming a version that is then held (here a later generation
  // naming the same manifest) is held too, and expiry is the backstop that keeps GC off it.
  ASSERT_TRUE(vl.Delete(2, 2 * kSec).ok());
  VersionEntry same = Entry(2);
  same.generation = 3;
  ASSERT_TRUE(vl.AddVersion(same).ok());
  ASSERT_TRUE(vl.SetLegalHold(3, true).ok());
  // Newest first: generation 2, then 1.
  ASSERT_TRUE(vl.quarantine().size() == 2 && vl.quarantine()[0].version.generation == 2);
  EXPECT_TRUE(vl.quarantine()[0].version.lock.legal_hold);
  EXPECT_FALSE(vl.quarantine()[1].version.lock.legal_hold);
  auto dropped = vl.ExpireQuarantine(50 * kSec, 1 * kSec);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].generation, 1u);
  ASSERT_EQ(vl.quarantine().size(), 1u);
  EXPECT_EQ(vl.quarantine()[0].version.generation, 2u);
  ASSERT_TRUE(vl.SetLegalHold(3, false).ok());
  EXPECT_EQ(vl.ExpireQuarantine(50 * kSec, 1 * kSec).size(), 1u);
}

TEST(VersionListTest, RetentionRulesFollowAws) {
  VersionList vl = ListWith(4);
  const uint64_t now = 10 * kSec;
  // Compliance: extended in the same mode only, never shortened, removed or weakened.
  ASSERT_TRUE(vl.SetRetention(1, LockMode::kCompliance, 100 * kSec, now, false).ok());
  EXPECT_EQ(vl.SetRetention(1, LockMode::kCompliance, 50 * kSec, now, true).code(), Code::kLocked);
  EXPECT_EQ(vl.SetRetention(1, LockMode::kNone, 0, now, true).code(), Code::kLocked);
  EXPECT_EQ(vl.SetRetention(1, LockMode::kGovernance, 200 * kSec, now, true).code(), Code::kLocked);
  EXPECT_TRUE(vl.SetRetention(1, LockMode::kCompliance, 200 * kSec, now, false).ok());
  EXPECT_EQ(vl.Resolve({1, {}})->lock.retain_until_ns, 200 * kSec);
  // Governance: extended freely; shortened, removed or changed only bypassing it.
  ASSERT_TRUE(vl.SetRetention(2, LockMode::kGovernance, 100 * kSec, now, false).ok());
  EXPECT_TRUE(vl.SetRetention(2, LockMode::kGovernance, 150 * kSec, now, false).ok());
  EXPECT_EQ(vl.SetRetention(2, LockMode::kGovernance, 50 * kSec, now, false).code(), Code::kLocked);
  EXPECT_EQ(vl.SetRetention(2, LockMode::kNone, 0, now, false).code(), Code::kLocked);
  EXPECT_EQ(vl.SetRetention(2, LockMode::kCompliance, 300 * kSec, now, false).code(), Code::kLocked);
  EXPECT_TRUE(vl.SetRetention(2, LockMode::kNone, 0, now, true).ok());
  EXPECT_TRUE(vl.Resolve({2, {}})->lock.empty());
  // A retention that has passed is replaced freely; one already past is refused.
  ASSERT_TRUE(vl.SetRetention(3, LockMode::kCompliance, 20 * kSec, now, false).ok());
  EXPECT_TRUE(vl.SetRetention(3, LockMode::kGovernance, 40 * kSec, 30 * kSec, false).ok());
  EXPECT_EQ(vl.SetRetention(4, LockMode::kGovernance, now, now, false).code(), Code::kInvalidArgument);
  EXPECT_TRUE(vl.SetRetention(9, LockMode::kGovernance, 100 * kSec, now, false).IsNotFound());
  // Every entry naming the version gets the lock: a snapshot of it too.
  ASSERT_TRUE(vl.CreateSnapshot("s", {4, {}}, now).ok());
  ASSERT_TRUE(vl.SetLegalHold(4, true).ok());
  EXPECT_TRUE(vl.snapshots()[0].version.lock.legal_hold);
}

}  // namespace
}  // namespace ccow
