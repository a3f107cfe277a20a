// Deferred sync (replicast protocol 7): a write of several chunks lets its chunk puts
// return before they are durable, and syncs each VDEV that took one once before its commit.
// Over the simulated network, whose stores lose what they had not synced when their target
// crashes: an acknowledged write survives a crash of every target; a holder that restarted
// between a put and the writer's sync fails the write instead of letting it commit; and a
// put or touch that finds such a chunk stored is answered only once the chunk is durable.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "replicast/initiator.h"
#include "target/sim_cluster.h"

namespace ccow {
namespace {

using replicast::DeferredHolder;
using replicast::SimOptions;
using testing::GetString;
using testing::Payload;
using testing::PutString;
using testing::SimCluster;

constexpr int kTargets = 5, kVdevs = 2;

uint64_t SyncRequests(SimCluster& c) {
  uint64_t n = 0;
  for (int t = 0; t < c.targets(); ++t)
    if (c.running(t)) n += c.target(t).counters().sync_requests;
  return n;
}

// The targets whose stores hold the chunk, and whether any of those copies is not synced.
std::vector<int> HoldersOf(SimCluster& c, const HashId& chid, bool* any_unsynced = nullptr) {
  std::vector<int> out;
  if (any_unsynced) *any_unsynced = false;
  for (int t = 0; t < c.targets(); ++t)
    for (int v = 0; v < c.vdevs(); ++v)
      if (c.store(t, v).Has(chid)) {
        out.push_back(t);
        if (any_unsynced && c.store(t, v).HasUnsynced()) *any_unsynced = true;
      }
  return out;
}

void CrashAndRestartAll(SimCluster& c) {
  for (int t = 0; t < c.targets(); ++t) c.CrashTarget(t);
  for (int t = 0; t < c.targets(); ++t) c.StartTarget(t);
}

TEST(DeferredSyncTest, AnAcknowledgedWriteOfManyChunksSurvivesAPowerCutOfEveryTarget) {
  for (bool multicast : {false, true}) {
    SimCluster c(SimOptions{}, kTargets, kVdevs, 3, multicast);
    std::mt19937_64 rng(7);
    const std::string data = Payload(rng, 300 << 10);  // 16 KiB chunks: ~19 of them
    auto put = PutString(c.api(), "S/T/B/big", data);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    // One sync per VDEV that took a chunk, not one per chunk and replica.
    const uint64_t syncs = SyncRequests(c);
    EXPECT_GE(syncs, 3u);
    EXPECT_LE(syncs, static_cast<uint64_t>(kTargets * kVdevs));
    for (int t = 0; t < c.targets(); ++t)
      for (int v = 0; v < c.vdevs(); ++v) EXPECT_FALSE(c.store(t, v).HasUnsynced()) << t << "/" << v;
    CrashAndRestartAll(c);
    auto got = GetString(c.api(), "S/T/B/big");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, data);
  }
}

TEST(DeferredSyncTest, OneChunkObjectsAreDurableWhenPutWithoutASyncRound) {
  SimCluster c(SimOptions{}, kTargets, kVdevs);
  auto put = PutString(c.api(), "S/T/B/small", "a few bytes");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  std::mt19937_64 rng(8);
  const std::string one_chunk = Payload(rng, 12 << 10);
  ASSERT_TRUE(PutString(c.api(), "S/T/B/one", one_chunk).ok());
  EXPECT_EQ(SyncRequests(c), 0u) << "a write of one chunk is synced as it is put";
  CrashAndRestartAll(c);
  auto got = GetString(c.api(), "S/T/B/one");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, one_chunk);
}

TEST(DeferredSyncTest, AHolderThatRestartedBeforeTheSyncFailsTheWrite) {
  SimCluster c(SimOptions{}, kTargets, kVdevs);
  std::mt19937_64 rng(9);
  const std::string bytes = Payload(rng, 20000);
  const HashId chid = HashBytes(HashAlgo::kSha256, bytes);
  std::vector<DeferredHolder> deferred;
  bool stored_new = false;
  ASSERT_TRUE(c.initiator().PutChunk(chid, bytes, &stored_new, 3, nullptr, &deferred).ok());
  EXPECT_TRUE(stored_new);
  ASSERT_EQ(deferred.size(), 3u) << "each holder answers with its incarnation";
  bool unsynced = false;
  std::vector<int> holders = HoldersOf(c, chid, &unsynced);
  ASSERT_EQ(holders.size(), 3u);
  EXPECT_TRUE(unsynced) << "a deferred put is not synced by its holders";
  // A power cut at one holder: the chunk it had not synced is gone, and after its restart
  // it is another incarnation, which refuses the sync.
  c.CrashTarget(holders[0]);
  c.StartTarget(holders[0]);
  EXPECT_EQ(HoldersOf(c, chid).size(), 2u);
  Status s = c.initiator().SyncDeferred(deferred);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("restarted"), std::string::npos) << s.ToString();
  // The same holders without the restarted one sync fine.
  std::vector<DeferredHolder> others;
  for (const auto& d : deferred)
    if (d.address.rfind("t" + std::to_string(holders[0]) + ":", 0) != 0) others.push_back(d);
  ASSERT_EQ(others.size(), 2u);
  EXPECT_TRUE(c.initiator().SyncDeferred(others).ok());
  EXPECT_FALSE(HoldersOf(c, chid, &unsynced).empty());
  EXPECT_FALSE(unsynced);
}

TEST(DeferredSyncTest, APutOrTouchThatFindsAnUnsyncedChunkIsAnsweredOnceItIsDurable) {
  for (bool touch : {false, true}) {
    SimCluster c(SimOptions{}, kTargets, kVdevs);
    std::mt19937_64 rng(touch ? 10 : 11);
    const std::string bytes = Payload(rng, 20000);
    const HashId chid = HashBytes(HashAlgo::kSha256, bytes);
    std::vector<DeferredHolder> deferred;
    bool stored_new = false;
    ASSERT_TRUE(c.initiator().PutChunk(chid, bytes, &stored_new, 3, nullptr, &deferred).ok());
    bool unsynced = false;
    ASSERT_EQ(HoldersOf(c, chid, &unsynced).size(), 3u);
    ASSERT_TRUE(unsynced);
    // Another write, which syncs as it goes, meets the chunk stored (dedup) or touches it:
    // it may commit at once, so the answer must mean durable.
    if (touch) {
      ASSERT_TRUE(c.initiator().TouchChunk(chid, 3).ok());
    } else {
      ASSERT_TRUE(c.initiator().PutChunk(chid, bytes, &stored_new, 3).ok());
      EXPECT_FALSE(stored_new) << "deduplicated";
    }
    CrashAndRestartAll(c);  // never synced by the first write
    EXPECT_EQ(HoldersOf(c, chid).size(), 3u) << (touch ? "touch" : "put");
  }
}

}  // namespace
}  // namespace ccow
