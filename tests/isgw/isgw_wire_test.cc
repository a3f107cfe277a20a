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
}

}  // namespace
}  // namespace ccow::isgw
