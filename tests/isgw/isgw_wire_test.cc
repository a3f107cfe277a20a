// The ISGW link's wire format (isgw/isgw_wire.h): every body round-trips to the same bytes;
// truncated, trailing, mis-kinded and out-of-order input is refused; a hostile count is
// refused before anything is allocated for it.
#include "isgw/isgw_wire.h"

#include <gtest/gtest.h>

namespace ccow::isgw {
namespace {

HashId Id(const char* s) { return HashBytes(HashAlgo::kSha256, s); }

template <typename T, typename D>
void ExpectRoundTrip(const T& m, D decode) {
  const std::string bytes = Encode(m);
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
  EXPECT_EQ(Encode(*back), bytes);
  EXPECT_FALSE(decode(bytes + "x").ok()) << "trailing bytes";
  EXPECT_FALSE(decode(bytes.substr(0, bytes.size() - 1)).ok()) << "truncated";
  std::string other = bytes;
  other[1] = 9;
  EXPECT_FALSE(decode(other).ok()) << "unknown version";
}

TEST(IsgwWireTest, EveryBodyRoundTrips) {
  ExpectRoundTrip(DigestsRequest{"hawaii", "Hawaii/Cola/bk1", {{"Hawaii/Cola/bk1/a", Id("a")}, {"Hawaii/Cola/bk1/b", Id("b")}}},
                  DecodeDigestsRequest);
  ExpectRoundTrip(DigestsReply{{0, 3, 17}}, DecodeDigestsReply);
  ExpectRoundTrip(DigestsReply{{2}, 2}, DecodeDigestsReply);
  ExpectRoundTrip(FetchRequest{"hawaii", {Id("x"), HashBytes(HashAlgo::kBlake2b256, "z")}}, DecodeFetchRequest);
  ExpectRoundTrip(FetchRequest{"hawaii", {Id("x")}, kMaxFetchHops}, DecodeFetchRequest);
  ExpectRoundTrip(FetchReply{{"bytes of x", ""}}, DecodeFetchReply);
  ExpectRoundTrip(NamesRequest{"hawaii", "Hawaii/Cola/bk1", "Hawaii/Cola/bk1/a", 1000}, DecodeNamesRequest);
  ExpectRoundTrip(NamesReply{{{"Hawaii/Cola/bk1/b", Id("b")}, {"Hawaii/Cola/bk1/c", Id("c")}}, true}, DecodeNamesReply);
  ExpectRoundTrip(HaveRequest{"hawaii", {Id("x"), Id("y"), HashBytes(HashAlgo::kBlake2b256, "z")}}, DecodeHaveRequest);
  ExpectRoundTrip(HaveReply{{true, false, false, true, true, false, false, false, true}}, DecodeHaveReply);
  ExpectRoundTrip(ChunksRequest{"hawaii", "Hawaii/Cola/bk1", {{Id("c"), "bytes of c"}, {Id("d"), ""}}},
                  DecodeChunksRequest);
  ExpectRoundTrip(ChunksReply{3, 4}, DecodeChunksReply);
  ExpectRoundTrip(MergeRequest{"hawaii", "Hawaii/Cola/bk1", {"list one", "list two"}}, DecodeMergeRequest);
  ExpectRoundTrip(MergeReply{{{0, true, ""}, {5, false, "a chunk is missing"}}}, DecodeMergeReply);
}

TEST(IsgwWireTest, BadInputIsRefusedNeverMisread) {
  // Another kind of body.
  EXPECT_FALSE(DecodeHaveRequest(Encode(DigestsReply{{1}})).ok());
  // Names out of order (the sender lists them sorted) and indexes not increasing.
  EXPECT_FALSE(DecodeDigestsRequest(Encode(DigestsRequest{"s", "b", {{"b/2", Id("2")}, {"b/1", Id("1")}}})).ok());
  EXPECT_FALSE(DecodeDigestsReply(Encode(DigestsReply{{4, 4}})).ok());
  // A bit set past the last chunk of a want bitmap.
  std::string want = Encode(HaveReply{{true}});
  want.back() = static_cast<char>(0x03);
  EXPECT_FALSE(DecodeHaveReply(want).ok());
  // A hostile count: a million names claimed in a few bytes.
  std::string hostile = Encode(DigestsRequest{"s", "b", {}});
  hostile.back() = static_cast<char>(0xc0);
  hostile += std::string("\x84\x3d", 2);
  EXPECT_FALSE(DecodeDigestsRequest(hostile).ok());
  EXPECT_FALSE(DecodeMergeReply("").ok());
  // A metadata-only mode this release does not know; more chunks than a fetch may ask.
  std::string mode = Encode(DigestsReply{{1}, 2});
  mode.back() = 3;
  EXPECT_FALSE(DecodeDigestsReply(mode).ok());
  // A fetch may not ask to be forwarded further than kMaxFetchHops.
  EXPECT_EQ(DecodeFetchRequest(Encode(FetchRequest{"s", {Id("c")}, kMaxFetchHops + 1})).status().code(),
            Code::kInvalidArgument);
  FetchRequest many{"s", {}};
  many.chids.assign(kMaxChunksPerFetch + 1, Id("c"));
  EXPECT_FALSE(DecodeFetchRequest(Encode(many)).ok());
  EXPECT_FALSE(DecodeNamesRequest(Encode(NamesRequest{"s", "b", "", 0})).ok()) << "a page of no names";
  EXPECT_FALSE(DecodeNamesReply(Encode(NamesReply{{{"b/2", Id("2")}, {"b/1", Id("1")}}, false})).ok());
}

// Lists that merged equal compare equal, whatever each site keeps for itself; a version,
// a deletion or a snapshot more does not.
TEST(IsgwWireTest, TheListDigestCoversWhatMergesConvergeOnOnly) {
  const std::string name = "S/T/B/o";
  VersionList a(name, HashBytes(HashAlgo::kSha256, name));
  VersionEntry v;
  v.generation = 1;
  v.uvid = {100, 0, 0};
  v.vm_chid = Id("vm1");
  ASSERT_TRUE(a.AddVersion(v).ok());
  VersionList coded = a;
  ASSERT_TRUE(coded.SetErasureCoding(v.vm_chid, Id("stripes")).ok());
  ASSERT_TRUE(coded.SetStorageClass(v.vm_chid, StorageClass::kStandardIa).ok());
  ASSERT_TRUE(coded.SetLegalHold(1, true).ok());
  EXPECT_NE(coded.Encode(), a.Encode());
  EXPECT_EQ(ListDigest(coded), ListDigest(a));
  VersionList deleted = a;
  ASSERT_TRUE(deleted.Delete(1, 200).ok());
  EXPECT_NE(ListDigest(deleted), ListDigest(a));
  VersionList deleted_later = a;
  ASSERT_TRUE(deleted_later.Delete(1, 300).ok());
  EXPECT_NE(ListDigest(deleted_later), ListDigest(deleted));
  VersionList snap = a;
  ASSERT_TRUE(snap.CreateSnapshot("s", {}, 150).ok());
  EXPECT_NE(ListDigest(snap), ListDigest(a));
  // A deleted snapshot's tombstone counts: a list that differs by one alone must travel
  // (the site that still has the snapshot learns of its deletion through it).
  VersionList unsnapped = snap;
  ASSERT_TRUE(unsnapped.DeleteSnapshot("s", 160).ok());
  EXPECT_NE(ListDigest(unsnapped), ListDigest(a));
}

}  // namespace
}  // namespace ccow::isgw
