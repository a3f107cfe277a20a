// Version-list writes (named puts) when home replicas are suspected: the initiator stops
// waiting for a VDEV that did not answer, for 3 s, but a write needs R home replicas, so
// it lets the suspicion lapse and tries them again rather than fail.
#include <gtest/gtest.h>

#include <string>

#include "replicast/initiator.h"
#include "replicast/named_value.h"
#include "target/sim_cluster.h"

namespace ccow {
namespace {

using replicast::SimOptions;
using testing::SimCluster;

// Found by the cluster GC simulation (seed 3484 of 5000): the lapse set the suspicion to
// end a nanosecond later, and on the simulation's clock the next attempt ran at the same
// instant and skipped the replicas again. Every lapse cost an attempt, and with a few
// lost datagrams a quiet collection pass failed to write a version list although every
// target was up.
TEST(NamedPutTest, AWriteWithTwoHomeReplicasSuspectedLetsTheSuspicionLapseInOneRetry) {
  SimCluster c(SimOptions{}, 4, 1);  // one row of the 4 VDEVs
  const std::string name = "sim/ten/bkt/suspected";
  auto table = c.initiator().flexhash();
  const auto& row = table->Row(table->RowOf(replicast::NameHashOf(name)));
  // A read while two of the row's four VDEVs are cut off from the client makes them
  // suspect (they do not answer): only two of the three home replicas R needs are left.
  c.net().Partition("client", table->vdevs()[row[0]].server);
  c.net().Partition("client", table->vdevs()[row[1]].server);
  ASSERT_TRUE(c.initiator().GetNamed(name).ok());
  c.net().Heal();
  const uint64_t retries = c.initiator().stats().retries;
  const uint64_t start = c.net().NowNs();
  Status s = c.initiator().PutNamed(name, 0, 1, "value", replicast::Initiator::kNoNewReferences);
  ASSERT_TRUE(s.ok()) << s.ToString();
  // One attempt finds two of three home replicas, waits a reply timeout and lets their
  // suspicion lapse; the next one writes (it took two retries, and lost attempts to loss
  // could exhaust them).
  EXPECT_EQ(c.initiator().stats().retries - retries, 1u);
  EXPECT_LT(c.net().NowNs() - start, 400'000'000u);
  auto got = c.initiator().GetNamed(name);
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_EQ((*got)->value, "value");
}

}  // namespace
}  // namespace ccow
