// Read repair of erasure-coded stripes (client/read_repair.h) on the simulated cluster:
// a read that rebuilds a lost fragment from its stripe puts it back on its keeper, so the
// stripe is whole again before the encoder's next check; a fragment whose bad copy is
// still counted as held is not called repaired.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "client/read_repair.h"
#include "gc/collector.h"
#include "gc/erasure_encoder.h"
#include "target/sim_cluster.h"

namespace ccow {
namespace {

using replicast::SimOptions;
using testing::GetString;
using testing::Payload;
using testing::PutString;
using testing::SimCluster;

constexpr uint64_t kChunk = 4 << 10;

class ReadRepairTest : public ::testing::Test {
 protected:
  ReadRepairTest()
      : cluster_(SimOptions{}, 5, 1, 3, false,
                 [](ApiOptions* o) {
                   o->default_policy.chunk_size = kChunk;
                   o->default_policy.single_chunk_max = kChunk;
                 },
                 {}, {}, [] {
                   ReadRepairOptions r;
                   r.enabled = true;
                   r.run_inline = true;  // the simulation's one thread
                   return r;
                 }()) {}

  // One 2:1 stripe (two data chunks and a parity), each fragment trimmed to one copy on
  // its keeper.
  void PutAndEncode() {
    std::mt19937_64 rng(11);
    data_ = Payload(rng, 2 * kChunk);
    ASSERT_TRUE(PutString(cluster_.api(), kName, data_).ok());
    ErasureEncoderOptions eo;
    eo.rest_age_ns = 0;
    eo.min_object_bytes = 1;
    eo.clock = [this] { return cluster_.net().NowNs(); };
    eo.bucket_policy = [](const std::string&) { return std::optional<ErasurePolicy>(*ErasurePolicy::Parse("2:1:rs")); };
    ErasureEncoder encoder(&cluster_.api(), eo);
    auto encoded = encoder.RunPass();
    ASSERT_TRUE(encoded.ok() && encoded->versions_encoded == 1) << encoded.status().ToString();
    CollectorOptions co;
    co.clock = [this] { return cluster_.net().NowNs(); };
    auto collector = Collector::Create(&cluster_.api(), co);
    ASSERT_TRUE(collector.ok() && (*collector)->RunPass().ok());
    auto located = cluster_.api().Locate(kName, VersionSelector{});
    ASSERT_TRUE(located.ok()) << located.status().ToString();
    for (const auto& chunk : *located)
      if (chunk.kind == "payload" && lost_ == Chid()) lost_ = chunk.chid;
    auto holders = backend().LocateChunk(lost_);
    ASSERT_TRUE(holders.ok());
    ASSERT_EQ(holders->size(), 1u) << "encoded and trimmed: one copy of each fragment";
    holder_ = holders->front().vdev_id;
    holder_target_ = std::stoi(holder_.substr(1, holder_.find('/') - 1));
  }

  ccow::Backend& backend() { return cluster_.api().backend(); }
  testing::MemoryChunkStore& HolderStore() { return cluster_.store(holder_target_, 0); }

  const std::string kName = "sim/ten/ec/a";
  SimCluster cluster_;
  std::string data_;
  Chid lost_;
  std::string holder_;
  int holder_target_ = -1;
};

TEST_F(ReadRepairTest, ADegradedReadPutsTheLostFragmentBackOnAKeeper) {
  PutAndEncode();
  ASSERT_TRUE(HolderStore().RemoveChunk(lost_).ok());  // a lost disk, or a bad copy set aside

  auto read = GetString(cluster_.api(), kName);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, data_);
  ReadRepairStats s = backend().read_repair_stats();
  EXPECT_EQ(s.degraded_reads, 1u);
  EXPECT_EQ(s.stripes_repaired, 1u);
  EXPECT_EQ(s.fragments_rebuilt, 1u);
  EXPECT_EQ(s.stripes_failed, 0u);
  auto holders = backend().LocateChunk(lost_);
  ASSERT_TRUE(holders.ok());
  EXPECT_EQ(holders->size(), 1u) << "rebuilt once, onto a keeper";

  // Whole again: the next read rebuilds nothing, and the encoder's check finds nothing to do.
  read = GetString(cluster_.api(), kName);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, data_);
  EXPECT_EQ(backend().read_repair_stats().degraded_reads, 1u);
  ErasureEncoderOptions eo;
  eo.bucket_policy = [](const std::string&) { return std::optional<ErasurePolicy>(*ErasurePolicy::Parse("2:1:rs")); };
  eo.clock = [this] { return cluster_.net().NowNs(); };
  ErasureEncoder checker(&cluster_.api(), eo);
  auto checked = checker.RunPass();
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(checked->stripes_checked, 1u);
  EXPECT_EQ(checked->fragments_rebuilt + checked->fragments_moved, 0u);
}

TEST_F(ReadRepairTest, ABadCopyStillCountedAsHeldIsNotCalledRepairedUntilItIsSetAside) {
  PutAndEncode();
  HolderStore().FlipFirstByte(lost_);

  auto read = GetString(cluster_.api(), kName);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, data_) << "served around the bad copy";
  ReadRepairStats s = backend().read_repair_stats();
  EXPECT_EQ(s.degraded_reads, 1u);
  EXPECT_EQ(s.stripes_repaired, 0u) << "a put would have been answered by the bad copy";
  EXPECT_EQ(s.stripes_failed, 1u);
  EXPECT_EQ(cluster_.repairs(holder_target_)->size(), 1u) << "the holder queued its own bad copy";

  // What the holder's scrubber does with it (no replica to copy from): set it aside.
  ASSERT_TRUE(HolderStore().RemoveChunk(lost_).ok());
  read = GetString(cluster_.api(), kName);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  s = backend().read_repair_stats();
  EXPECT_EQ(s.stripes_repaired, 1u);
  EXPECT_EQ(s.fragments_rebuilt, 1u);
  std::string bytes;
  EXPECT_TRUE(backend().GetChunk(lost_, &bytes).ok()) << "the fragment reads whole again";
}

}  // namespace
}  // namespace ccow
