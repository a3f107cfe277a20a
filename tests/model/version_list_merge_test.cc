// VersionList::MergeRemote, the merge of two segments' lists of one object (issue 14): sites
// that exchange lists in any order and any number of times end with byte-equal lists; a
// deleted version never comes back; one null version stays active; what only this site
// knows of a version (erasure coding) stays; another object's list is refused.
#include "model/version_list.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace ccow {
namespace {

const char* kName = "S/T/B/o";

VersionList Empty() { return VersionList(kName, HashBytes(HashAlgo::kSha256, kName)); }

// A version written at `site` at time ts as generation gen.
VersionEntry Version(uint64_t gen, uint64_t ts, uint32_t site, uint32_t flags = 0) {
  VersionEntry e;
  e.generation = gen;
  e.uvid = {ts, site, 0};
  e.vm_chid = HashBytes(HashAlgo::kSha256, std::to_string(gen) + "/" + std::to_string(ts) + "/" + std::to_string(site));
  e.size = gen;
  e.etag = "e" + std::to_string(gen);
  e.flags = flags;
  return e;
}

VersionList Merged(VersionList into, const VersionList& from) {
  auto changed = into.MergeRemote(from);
  EXPECT_TRUE(changed.ok()) << changed.status().ToString();
  return into;
}

TEST(VersionListMergeTest, VersionsOfBothSitesAreKeptInOneOrder) {
  VersionList a = Empty(), b = Empty();
  ASSERT_TRUE(a.AddVersion(Version(1, 100, 1)).ok());
  b = Merged(b, a);  // b learnt v1
  ASSERT_TRUE(a.AddVersion(Version(2, 200, 1)).ok());
  ASSERT_TRUE(b.AddVersion(Version(2, 150, 2)).ok());  // concurrent with a's v2
  VersionList ab = Merged(a, b), ba = Merged(b, a);
  EXPECT_EQ(ab.Encode(), ba.Encode());
  ASSERT_EQ(ab.versions().size(), 3u);
  // Both generation 2: the later UVID is the current version at every site.
  EXPECT_EQ(ab.versions()[0].uvid.segment_id, 1u);
  EXPECT_EQ(ab.versions()[1].uvid.segment_id, 2u);
  EXPECT_EQ(ab.NextGeneration(), 3u);  // the next write at either site sorts after both
  // Idempotent: merging again changes nothing, and says so.
  auto again = ab.MergeRemote(ba);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto changed = a.MergeRemote(b);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
}

// Two sites' versions of one generation are told apart by their segment ids: reads, deletes,
// undeletes and Object Lock reach the one named, and a generation alone the newer.
TEST(VersionListMergeTest, AVersionRefNamesOneOfTwoSitesVersionsOfAGeneration) {
  VersionList a = Empty(), b = Empty();
  ASSERT_TRUE(a.AddVersion(Version(1, 200, 0xa)).ok());
  ASSERT_TRUE(b.AddVersion(Version(1, 100, 0xb)).ok());
  VersionList m = Merged(a, b);
  ASSERT_EQ(m.versions().size(), 2u);
  EXPECT_EQ(VersionRef::Of(m.versions()[0]).ToString(), "1-0000000a");
  EXPECT_EQ(VersionRef(1).ToString(), "1");
  EXPECT_EQ(VersionRef::Of(Version(3, 1, 0)).ToString(), "3");  // no site id: the generation alone
  VersionSelector which;
  which.generation = 1;
  EXPECT_EQ(m.Resolve(which)->uvid.segment_id, 0xau);  // the newer
  which.segment_id = 0xb;
  EXPECT_EQ(m.Resolve(which)->uvid.segment_id, 0xbu);
  which.segment_id = 0xc;
  EXPECT_EQ(m.Resolve(which).status().code(), Code::kNotFound);
  ASSERT_TRUE(m.SetLegalHold(VersionRef(1, 0xb), true).ok());
  EXPECT_FALSE(m.versions()[0].lock.legal_hold);
  EXPECT_TRUE(m.versions()[1].lock.legal_hold);
  ASSERT_TRUE(m.SetLegalHold(VersionRef(1, 0xb), false).ok());
  ASSERT_TRUE(m.Delete(VersionRef(1, 0xb), 300).ok());
  ASSERT_EQ(m.versions().size(), 1u);
  EXPECT_EQ(m.versions()[0].uvid.segment_id, 0xau);
  EXPECT_EQ(m.Delete(VersionRef(1, 0xb), 300).code(), Code::kNotFound);
  ASSERT_TRUE(m.Undelete(VersionRef(1, 0xb)).ok());
  EXPECT_EQ(m.versions().size(), 2u);
}

TEST(VersionListMergeTest, ADeleteIsStickyWhicheverWayTheListsTravel) {
  VersionList a = Empty();
  ASSERT_TRUE(a.AddVersion(Version(1, 100, 1)).ok());
  ASSERT_TRUE(a.AddVersion(Version(2, 200, 1)).ok());
  VersionList b = Merged(Empty(), a);
  ASSERT_TRUE(a.Delete(1, 300).ok());            // a deletes v1
  ASSERT_TRUE(b.AddVersion(Version(3, 250, 2)).ok());  // b writes meanwhile
  ASSERT_TRUE(b.Delete(std::nullopt, 400).ok());   // then deletes everything it has
  VersionList ab = Merged(a, b), ba = Merged(b, a);
  EXPECT_EQ(ab.Encode(), ba.Encode());
  EXPECT_FALSE(ab.HasActiveVersion()) << "nothing deleted comes back";
  ASSERT_EQ(ab.quarantine().size(), 3u);
  for (const auto& q : ab.quarantine())
    if (q.version.generation == 1) EXPECT_EQ(q.deleted_at_ns, 300u) << "deleted at the earlier time";
  // An old copy of a's list from before the deletes changes nothing either.
  VersionList stale = Empty();
  ASSERT_TRUE(stale.AddVersion(Version(1, 100, 1)).ok());
  EXPECT_EQ(Merged(ab, stale).Encode(), ab.Encode());
}

// Object Lock is each site's: a version locked here stays active when the other site
// deleted it (reported), until the lock has passed; without now_ns (a plain merge) the
// delete applies as before.
TEST(VersionListMergeTest, AVersionLockedHereOutlivesTheOtherSitesDelete) {
  VersionList a = Empty();
  ASSERT_TRUE(a.AddVersion(Version(1, 100, 1)).ok());
  ASSERT_TRUE(a.AddVersion(Version(2, 200, 1)).ok());
  VersionList b = Merged(Empty(), a);
  ASSERT_TRUE(b.SetRetention(1, LockMode::kCompliance, 10'000, 500, false).ok());
  ASSERT_TRUE(b.SetLegalHold(2, true).ok());
  ASSERT_TRUE(a.Delete(std::nullopt, 600).ok());  // a deletes both
  std::vector<Chid> kept;
  VersionList locked = b;
  auto changed = locked.MergeRemote(a, 700, &kept);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(locked.versions().size(), 2u) << "both locked here: both stay";
  EXPECT_EQ(kept.size(), 2u);
  // The retention has passed, the legal hold has not.
  kept.clear();
  VersionList later = b;
  ASSERT_TRUE(later.MergeRemote(a, 20'000, &kept).ok());
  ASSERT_EQ(later.versions().size(), 1u);
  EXPECT_EQ(later.versions()[0].generation, 2u);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0], later.versions()[0].vm_chid);
  VersionList plain = b;
  ASSERT_TRUE(plain.MergeRemote(a).ok());
  EXPECT_FALSE(plain.HasActiveVersion());
}

TEST(VersionListMergeTest, OneNullVersionStaysActiveTheNewest) {
  VersionList a = Empty(), b = Empty();
  ASSERT_TRUE(a.AddVersion(Version(1, 100, 1, VersionEntry::kNullVersion)).ok());
  ASSERT_TRUE(b.AddVersion(Version(1, 120, 2, VersionEntry::kNullVersion)).ok());
  VersionList ab = Merged(a, b), ba = Merged(b, a);
  EXPECT_EQ(ab.Encode(), ba.Encode());
  ASSERT_EQ(ab.versions().size(), 1u);
  EXPECT_EQ(ab.versions()[0].uvid.segment_id, 2u);
  ASSERT_EQ(ab.quarantine().size(), 1u);
  EXPECT_EQ(ab.quarantine()[0].deleted_at_ns, 120u);
}

TEST(VersionListMergeTest, ThreeSitesConvergeWhateverTheOrderOfExchanges) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 300; ++round) {
    VersionList sites[3] = {Empty(), Empty(), Empty()};
    uint64_t now = 1000;
    for (int step = 0; step < 30; ++step) {
      VersionList& s = sites[rng() % 3];
      now += 1 + rng() % 10;
      switch (rng() % 5) {
        case 0:
        case 1: {
          const uint32_t site = static_cast<uint32_t>(&s - sites);
          ASSERT_TRUE(s.AddVersion(Version(s.NextGeneration(), now, site, rng() % 3 == 0 ? VersionEntry::kNullVersion : 0)).ok());
          break;
        }
        case 2:
          if (s.HasActiveVersion()) ASSERT_TRUE(s.Delete(s.versions()[rng() % s.versions().size()].generation, now).ok());
          break;
        case 3: {
          // A snapshot of one of two names made, or removed, here.
          const std::string name = rng() % 2 ? "daily" : "weekly";
          bool has = false;
          for (const auto& snap : s.snapshots()) has |= snap.name == name;
          if (has)
            ASSERT_TRUE(s.DeleteSnapshot(name, now).ok());
          else if (s.HasActiveVersion())
            ASSERT_TRUE(s.CreateSnapshot(name, {}, now).ok());
          break;
        }
        default:
          s = Merged(s, sites[rng() % 3]);  // one site learns another's list
      }
    }
    // Anti-entropy in two different orders: everyone ends equal.
    VersionList x = Merged(Merged(sites[0], sites[1]), sites[2]);
    VersionList y = Merged(Merged(sites[2], sites[0]), sites[1]);
    VersionList z = Merged(Merged(sites[1], sites[2]), sites[0]);
    EXPECT_EQ(x.Encode(), y.Encode()) << "round " << round;
    EXPECT_EQ(x.Encode(), z.Encode()) << "round " << round;
    int nulls = 0;
    for (const auto& v : x.versions()) nulls += v.is_null_version();
    EXPECT_LE(nulls, 1);
    auto decoded = VersionList::Decode(x.Encode());
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  }
}

TEST(VersionListMergeTest, ThisSitesErasureCodingStaysAndAnotherObjectIsRefused) {
  VersionList a = Empty();
  ASSERT_TRUE(a.AddVersion(Version(1, 100, 1)).ok());
  VersionList b = Merged(Empty(), a);
  const Chid stripes = HashBytes(HashAlgo::kSha256, "stripe set at b");
  ASSERT_TRUE(b.SetErasureCoding(a.versions()[0].vm_chid, stripes).ok());
  VersionList coded_elsewhere = b;
  // b's list arriving at a new site c: the version comes replicated, not erasure coded.
  VersionList c = Merged(Empty(), coded_elsewhere);
  EXPECT_FALSE(c.versions()[0].erasure_coded());
  // a's list arriving at b: b's own coding stays.
  VersionList b2 = Merged(b, a);
  EXPECT_TRUE(b2.versions()[0].erasure_coded());
  EXPECT_EQ(b2.versions()[0].ec_chid, stripes);
  VersionList other("S/T/B/other", HashBytes(HashAlgo::kSha256, "S/T/B/other"));
  EXPECT_EQ(a.MergeRemote(other).status().code(), Code::kInvalidArgument);
}

TEST(VersionListMergeTest, SnapshotsJoinByName) {
  VersionList a = Empty();
  ASSERT_TRUE(a.AddVersion(Version(1, 100, 1)).ok());
  VersionList b = Merged(Empty(), a);
  ASSERT_TRUE(a.CreateSnapshot("daily", {}, 500).ok());
  ASSERT_TRUE(b.AddVersion(Version(2, 200, 2)).ok());
  ASSERT_TRUE(b.CreateSnapshot("daily", {}, 600).ok());
  ASSERT_TRUE(b.CreateSnapshot("weekly", {}, 700).ok());
  VersionList ab = Merged(a, b), ba = Merged(b, a);
  EXPECT_EQ(ab.Encode(), ba.Encode());
  ASSERT_EQ(ab.snapshots().size(), 2u);
  EXPECT_EQ(ab.snapshots()[0].created_ns, 600u) << "the newer snapshot of a name wins";
  EXPECT_EQ(ab.snapshots()[0].version.generation, 2u);
}

// A snapshot deleted at one site stays deleted whichever way the lists travel, also
// through a third site that still had it; one created again under the same name is
// another snapshot and survives the old one's tombstone.
TEST(VersionListMergeTest, ADeletedSnapshotNeverComesBack) {
  VersionList a = Empty();
  ASSERT_TRUE(a.AddVersion(Version(1, 100, 1)).ok());
  ASSERT_TRUE(a.CreateSnapshot("daily", {}, 500).ok());
  VersionList b = Merged(Empty(), a), c = Merged(Empty(), a);
  ASSERT_TRUE(a.DeleteSnapshot("daily", 900).ok());
  VersionList ab = Merged(a, b), ba = Merged(b, a);
  EXPECT_TRUE(ab.snapshots().empty()) << "the other site's copy brought it back";
  EXPECT_TRUE(ba.snapshots().empty());
  EXPECT_EQ(ab.Encode(), ba.Encode());
  EXPECT_TRUE(Merged(Merged(ba, c), ab).snapshots().empty()) << "a third site's copy brought it back";
  // Created again at b after it learnt of the deletion: a new snapshot.
  ASSERT_TRUE(ba.CreateSnapshot("daily", {}, 1000).ok());
  VersionList again = Merged(Merged(ab, c), ba);
  ASSERT_EQ(again.snapshots().size(), 1u);
  EXPECT_EQ(again.snapshots()[0].created_ns, 1000u);
  EXPECT_EQ(Merged(Merged(c, again), ab).Encode(), again.Encode());
  // The tombstone is forgotten with the bucket's deleted versions.
  EXPECT_FALSE(again.HasExpired(900 + 99, 100));
  EXPECT_TRUE(again.HasExpired(900 + 100, 100));
  again.ExpireQuarantine(900 + 100, 100);
  EXPECT_TRUE(again.snapshot_tombstones().empty());
}

}  // namespace
}  // namespace ccow
