// What a chunk's holders record as its replication count (the R the healer keeps): the
// train of a put carries the R, so a receiver whose bid expired while the initiator waited
// for the other bids still records it; a touch (clone, compose) carries its version's R.
#include <gtest/gtest.h>

#include <random>
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

// One VDEV of the chunk's row is cut off from the client: the initiator waits the whole
// reply timeout (250 ms) for its bid, longer than the others hold theirs (100 ms past
// their window), before sending the trains. Each receiver must still record R=3.
TEST(ReplicationCountTest, ABidThatExpiredWhileTheInitiatorWaitedStillRecordsTheCountItsTrainCarries) {
  SimCluster c(SimOptions{}, 5, 1);
  std::mt19937_64 rng(31);
  const std::string bytes = Payload(rng, 20000);
  const HashId chid = HashBytes(HashAlgo::kSha256, bytes);
  auto table = c.initiator().flexhash();
  const uint32_t cut = table->Row(table->RowOf(chid)).back();
  const std::string node = table->vdevs()[cut].server;  // "tN", the node of its address
  c.net().Partition("client", node);
  bool stored_new = false;
  Status s = c.api().backend().PutChunk(chid, bytes, 3, &stored_new, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  c.net().Heal();
  std::vector<uint32_t> recorded;
  for (int t = 0; t < c.targets(); ++t)
    if (c.store(t, 0).Has(chid)) recorded.push_back(*c.store(t, 0).ReplicationCount(chid));
  EXPECT_EQ(recorded, (std::vector<uint32_t>{3, 3, 3}));
}

// A clone or compose references chunks it does not put: its touch carries the version's R,
// which holders record when larger (a collector's sweep may have lowered the count before
// the touch pinned the chunk), and a lower R lowers nothing.
TEST(ReplicationCountTest, ATouchRecordsTheCountOfTheVersionAboutToReferenceTheChunk) {
  SimCluster c(SimOptions{}, 5, 1);
  std::mt19937_64 rng(23);
  const std::string bytes = Payload(rng, 3000);
  const HashId chid = HashBytes(HashAlgo::kSha256, bytes);
  auto recorded = [&] {
    std::vector<uint32_t> out;
    for (int t = 0; t < c.targets(); ++t)
      if (c.store(t, 0).Has(chid)) out.push_back(*c.store(t, 0).ReplicationCount(chid));
    return out;
  };
  bool stored_new = false;
  ASSERT_TRUE(c.api().backend().PutChunk(chid, bytes, 2, &stored_new, nullptr).ok());
  ASSERT_EQ(recorded(), (std::vector<uint32_t>{2, 2}));
  WriteFence fence;
  ASSERT_TRUE(c.api().backend().TouchChunk(chid, 4, &fence).ok());
  EXPECT_EQ(recorded(), (std::vector<uint32_t>{4, 4}));
  EXPECT_NE(fence.oldest(), WriteFence::kNone);
  ASSERT_TRUE(c.api().backend().TouchChunk(chid, 1, &fence).ok());
  ASSERT_TRUE(c.api().backend().TouchChunk(chid, 0, &fence).ok());
  EXPECT_EQ(recorded(), (std::vector<uint32_t>{4, 4}));
}

}  // namespace
}  // namespace ccow
