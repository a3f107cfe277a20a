// A put directed at chosen VDEVs (Initiator::PutChunkTo, Backend::PutChunkOn): where an
// erasure-coded fragment's keeper copy is placed. Over the simulated network: it lands on
// exactly the named VDEV, refuses a VDEV outside the chunk's row, fails while the named
// VDEV is down, and sends nothing to a VDEV that holds the chunk already. Also: an ordinary
// put of a chunk held by one VDEV of its row (a trimmed fragment) tops it up to its R.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "client/backend.h"
#include "replicast/initiator.h"
#include "target/sim_cluster.h"

namespace ccow {
namespace {

using replicast::SimOptions;
using testing::Payload;
using testing::SimCluster;

constexpr int kTargets = 13;  // one VDEV each ("tN/vdev0"): rows of 12, so one is outside each

int TargetOf(const std::string& vdev_id) { return std::stoi(vdev_id.substr(1, vdev_id.find('/') - 1)); }

// The VDEVs of a chunk's row, and one VDEV outside it.
struct Placement {
  std::vector<std::string> row;
  std::string outside;
};
Placement PlacementOf(SimCluster& c, const HashId& chid) {
  auto table = c.initiator().flexhash();
  Placement p;
  for (uint32_t v : table->Row(table->RowOf(chid))) p.row.push_back(table->vdevs()[v].id);
  for (const VdevInfo& v : table->vdevs())
    if (std::find(p.row.begin(), p.row.end(), v.id) == p.row.end()) p.outside = v.id;
  return p;
}

// Every VDEV that stores the chunk, with the R it records, read from the stores themselves.
std::vector<ChunkHolder> StoredOn(SimCluster& c, const HashId& chid) {
  std::vector<ChunkHolder> out;
  for (int t = 0; t < c.targets(); ++t)
    if (c.store(t, 0).Has(chid)) out.push_back({"t" + std::to_string(t) + "/vdev0", *c.store(t, 0).ReplicationCount(chid)});
  return out;
}

struct Fixture {
  explicit Fixture(bool multicast = false) : c(SimOptions{}, kTargets, 1, 3, multicast) {
    std::mt19937_64 rng(multicast ? 12 : 11);
    bytes = Payload(rng, 20000);
    chid = HashBytes(HashAlgo::kSha256, bytes);
    place = PlacementOf(c, chid);
  }
  Backend& backend() { return c.api().backend(); }
  SimCluster c;
  std::string bytes;
  HashId chid;
  Placement place;
};

void ExpectLandsOnlyOn(Fixture& f, const std::string& keeper, uint32_t r) {
  auto stored = StoredOn(f.c, f.chid);
  ASSERT_EQ(stored.size(), 1u) << "a directed put stores on the named VDEV only";
  EXPECT_EQ(stored[0].vdev_id, keeper);
  EXPECT_EQ(stored[0].replication_count, r);
  auto located = f.backend().LocateChunk(f.chid);
  ASSERT_TRUE(located.ok()) << located.status().ToString();
  ASSERT_EQ(located->size(), 1u);
  EXPECT_EQ((*located)[0].vdev_id, keeper);
  EXPECT_EQ((*located)[0].replication_count, r);
}

TEST(DirectedPutTest, LandsExactlyOnTheNamedVdevRecordingItsReplicationCount) {
  Fixture f;
  const std::string keeper = f.place.row[1];
  WriteFence fence;
  Status s = f.backend().PutChunkOn(f.chid, f.bytes, keeper, 1, &fence);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectLandsOnlyOn(f, keeper, 1);
  EXPECT_NE(fence.oldest(), WriteFence::kNone) << "the keeper's answer carries a pin epoch";
  std::string back;
  ASSERT_TRUE(f.backend().GetChunk(f.chid, &back).ok());
  EXPECT_EQ(back, f.bytes);
}

TEST(DirectedPutTest, MulticastLandsOnlyOnTheNamedVdevToo) {
  Fixture f(/*multicast=*/true);
  const std::string keeper = f.place.row[2];
  Status s = f.backend().PutChunkOn(f.chid, f.bytes, keeper, 1, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectLandsOnlyOn(f, keeper, 1);
}

TEST(DirectedPutTest, SeveralNamedVdevsEachHoldItDurably) {
  Fixture f;
  std::vector<std::string> named = {f.place.row[0], f.place.row[3]};
  Status s = f.c.initiator().PutChunkTo(f.chid, f.bytes, named, 2);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto stored = StoredOn(f.c, f.chid);
  ASSERT_EQ(stored.size(), 2u);
  std::set<std::string> got = {stored[0].vdev_id, stored[1].vdev_id};
  EXPECT_EQ(got, std::set<std::string>(named.begin(), named.end()));
  for (const auto& h : stored) EXPECT_EQ(h.replication_count, 2u);
}

TEST(DirectedPutTest, AVdevOutsideTheChunksRowIsRefusedByName) {
  Fixture f;
  ASSERT_FALSE(f.place.outside.empty());
  Status s = f.backend().PutChunkOn(f.chid, f.bytes, f.place.outside, 1, nullptr);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(f.place.outside), std::string::npos) << s.ToString();
  // One bad name among good ones refuses the whole put before anything is sent.
  s = f.c.initiator().PutChunkTo(f.chid, f.bytes, {f.place.row[0], "t9/vdev7"}, 1);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("t9/vdev7"), std::string::npos) << s.ToString();
  EXPECT_TRUE(StoredOn(f.c, f.chid).empty());
}

TEST(DirectedPutTest, ANamedVdevThatIsDownFailsItUnavailable) {
  Fixture f;
  const std::string keeper = f.place.row[0];
  f.c.CrashTarget(TargetOf(keeper));
  Status s = f.backend().PutChunkOn(f.chid, f.bytes, keeper, 1, nullptr);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find(keeper), std::string::npos) << s.ToString();
  EXPECT_TRUE(StoredOn(f.c, f.chid).empty()) << "no other VDEV took it instead";
  // Back up (and still suspected by the initiator, which waits for it anyway), the same
  // put succeeds.
  f.c.StartTarget(TargetOf(keeper));
  s = f.backend().PutChunkOn(f.chid, f.bytes, keeper, 1, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectLandsOnlyOn(f, keeper, 1);
}

TEST(DirectedPutTest, AVdevHoldingTheChunkAnswersWithoutATransferAndKeepsTheLargerCount) {
  Fixture f;
  const std::string keeper = f.place.row[2];
  ASSERT_TRUE(f.backend().PutChunkOn(f.chid, f.bytes, keeper, 2, nullptr).ok());
  uint64_t before = f.c.initiator().stats().payload_bytes_sent;
  Status s = f.backend().PutChunkOn(f.chid, f.bytes, keeper, 1, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(f.c.initiator().stats().payload_bytes_sent, before) << "no payload for a chunk already there";
  ExpectLandsOnlyOn(f, keeper, 2);  // a lower R lowers nothing
  ASSERT_TRUE(f.backend().PutChunkOn(f.chid, f.bytes, keeper, 3, nullptr).ok());
  EXPECT_EQ(f.c.initiator().stats().payload_bytes_sent, before);
  ExpectLandsOnlyOn(f, keeper, 3);  // a higher one is recorded
}

// What erasure coding's trimming relies on: a chunk left on one VDEV of its row with R=1
// (a fragment's keeper) is put again by a replicated version with R=3. The put must end
// with 3 durable replicas in distinct failure domains, each recording 3, sending bytes
// only to the two VDEVs that lacked it.
TEST(DirectedPutTest, AnOrdinaryPutOfAChunkHeldOnOneVdevTopsItUpToItsReplicationCount) {
  Fixture f;
  const std::string keeper = f.place.row[3];
  ASSERT_TRUE(f.backend().PutChunkOn(f.chid, f.bytes, keeper, 1, nullptr).ok());
  uint64_t before = f.c.initiator().stats().payload_bytes_sent;
  bool stored_new = false;
  Status s = f.backend().PutChunk(f.chid, f.bytes, 3, &stored_new, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto stored = StoredOn(f.c, f.chid);
  ASSERT_EQ(stored.size(), 3u);
  std::set<int> domains;
  for (const auto& h : stored) {
    domains.insert(TargetOf(h.vdev_id));
    EXPECT_EQ(h.replication_count, 3u) << h.vdev_id;
  }
  EXPECT_EQ(domains.size(), 3u) << "replicas in distinct failure domains";
  EXPECT_TRUE(std::any_of(stored.begin(), stored.end(), [&](const ChunkHolder& h) { return h.vdev_id == keeper; }));
  uint64_t sent = f.c.initiator().stats().payload_bytes_sent - before;
  EXPECT_GE(sent, 2 * f.bytes.size());
  EXPECT_LT(sent, 3 * f.bytes.size());
}

}  // namespace
}  // namespace ccow
