// The cluster data path (target + initiator + cluster backend + object API) over the
// seeded simulated network: loss, duplication, reordering, delay and crashed targets.
// Every run is deterministic: a failing seed replays with CCOW_SIM_SEED=N.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <filesystem>

#include "client/backend.h"
#include "client/cluster_backend.h"
#include "gc/referrers.h"
#include "target/scrubber.h"
#include "client/object_api.h"
#include "flexhash/flexhash.h"
#include "replicast/message.h"
#include "replicast/named_value.h"
#include "replicast/sim_network.h"
#include "target/sim_cluster.h"
#include "target/repair_queue.h"

namespace ccow {
namespace {

using replicast::SimOptions;
using testing::GetString;
using testing::Payload;
using testing::PutString;
using testing::SimCluster;
using testing::MemoryChunkStore;

TEST(ClusterSimTest, ObjectsWrittenThroughTheClusterReadBackIntact) {
  SimCluster c(SimOptions{}, 5, 2);
  std::mt19937_64 rng(1);
  std::vector<std::pair<std::string, std::string>> objects;
  for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{40000}, size_t{300000}}) {
    std::string name = "sim/ten/bkt/obj-" + std::to_string(size);
    objects.emplace_back(name, Payload(rng, size));
    auto put = PutString(c.api(), name, objects.back().second);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }
  for (const auto& [name, data] : objects) {
    auto got = GetString(c.api(), name);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(*got, data) << name;
  }
  // Listing merges the name indexes of every VDEV.
  ListOptions lo;
  lo.prefix = "sim/ten/bkt/";
  auto listed = c.api().List(lo);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->names.size(), objects.size());
}

TEST(ClusterSimTest, ListingPagesThroughNamesSpreadOverEveryVdev) {
  SimCluster c(SimOptions{}, 5, 2);
  std::set<std::string> names;
  for (int i = 0; i < 700; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "k%04d", i);
    names.insert(key);
    ASSERT_TRUE(PutString(c.api(), std::string("sim/ten/bkt/") + key, key).ok());
  }
  ASSERT_TRUE(PutString(c.api(), "sim/ten/other/x", "x").ok());  // outside the prefix
  std::set<std::string> listed;
  ListOptions lo;
  lo.prefix = "sim/ten/bkt/";
  lo.limit = 150;
  for (int page = 0; page < 10; ++page) {
    auto r = c.api().List(lo);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& n : r->names) EXPECT_TRUE(listed.insert(n.substr(lo.prefix.size())).second) << n;
    if (!r->truncated) break;
    lo.start_after = r->next_start_after;
  }
  EXPECT_EQ(listed, names);
}

TEST(ClusterSimTest, EveryChunkIsStoredOnThreeTargets) {
  SimCluster c(SimOptions{}, 5, 2);
  std::mt19937_64 rng(2);
  std::string data = Payload(rng, 20000);
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/one", data).ok());
  HashId chid = HashBytes(HashAlgo::kSha256, data);
  int holders = 0;
  std::set<int> targets;
  for (int t = 0; t < 5; ++t)
    for (int v = 0; v < 2; ++v)
      if (c.store(t, v).Has(chid)) {
        ++holders;
        targets.insert(t);
      }
  EXPECT_EQ(holders, 3);
  EXPECT_EQ(targets.size(), 3u) << "replicas must be in distinct failure domains";
}

// An idle row bids alike: chunks must still spread over all of it. Before bids were
// released, the VDEVs that lost one bid kept its reserved window for 100 ms, bid a longer
// queue next time and lost again, so back-to-back puts all went to the same R VDEVs (a
// 5-target cluster had no chunk at all on two of them).
TEST(ClusterSimTest, BackToBackPutsOnAnIdleClusterSpreadOverEveryVdev) {
  SimCluster c(SimOptions{}, 5, 1);
  std::mt19937_64 rng(3);
  std::vector<HashId> chids;
  for (int i = 0; i < 100; ++i) {
    std::string data = Payload(rng, 20000);
    ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/o" + std::to_string(i), data).ok());
    chids.push_back(HashBytes(HashAlgo::kSha256, data));
  }
  for (int t = 0; t < 5; ++t) {
    int held = 0;
    for (const HashId& chid : chids) held += c.store(t, 0).Has(chid) ? 1 : 0;
    // 300 replicas over 5 VDEVs: 60 each on average.
    EXPECT_GE(held, 35) << "target " << t << " holds " << held << " of the 100 payload chunks";
  }
}

// Holders of a chunk and the replication count each records, over every VDEV.
std::vector<uint32_t> RecordedCounts(SimCluster& c, const HashId& chid) {
  std::vector<uint32_t> out;
  for (int t = 0; t < c.targets(); ++t)
    for (int v = 0; v < 2; ++v)
      if (c.store(t, v).Has(chid)) out.push_back(*c.store(t, v).ReplicationCount(chid));
  return out;
}

TEST(ClusterSimTest, APutKeepsItsPolicysReplicationCountAndADedupRaisesIt) {
  SimCluster c(SimOptions{}, 5, 2);
  std::mt19937_64 rng(7);
  std::string data = Payload(rng, 20000);
  HashId chid = HashBytes(HashAlgo::kSha256, data);
  auto put = [&](const std::string& name, uint8_t r) {
    PutOptions o;
    o.policy = c.api().options().default_policy;
    o.policy->replication_count = r;
    StringSource src(data);
    return c.api().Put(name, src, o);
  };
  ASSERT_TRUE(put("sim/ten/two/a", 2).ok());
  EXPECT_EQ(RecordedCounts(c, chid), (std::vector<uint32_t>{2, 2}));
  uint64_t before = c.initiator().stats().payload_bytes_sent;
  ASSERT_TRUE(put("sim/ten/four/a", 4).ok());
  // The two holders answered "stored" and recorded 4; only two new replicas got bytes.
  EXPECT_EQ(RecordedCounts(c, chid), (std::vector<uint32_t>{4, 4, 4, 4}));
  uint64_t sent = c.initiator().stats().payload_bytes_sent - before;
  EXPECT_GE(sent, 2 * data.size());
  EXPECT_LT(sent, 3 * data.size());
  ASSERT_TRUE(put("sim/ten/one/a", 1).ok());
  EXPECT_EQ(RecordedCounts(c, chid), (std::vector<uint32_t>{4, 4, 4, 4})) << "a lower R lowers nothing";
  auto located = c.api().Locate("sim/ten/four/a", VersionSelector{});
  ASSERT_TRUE(located.ok()) << located.status().ToString();
  ASSERT_EQ(located->size(), 2u);  // the version manifest and the one payload chunk
  EXPECT_EQ((*located)[0].kind, "version manifest");
  EXPECT_EQ((*located)[0].holders.size(), 4u);
  EXPECT_EQ((*located)[1].chid, chid);
  EXPECT_EQ((*located)[1].holders.size(), 4u);
}

TEST(ClusterSimTest, RePutOfStoredDataSendsNoPayload) {
  SimCluster c(SimOptions{}, 5, 2);
  std::mt19937_64 rng(3);
  std::string data = Payload(rng, 200000);
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/a", data).ok());
  uint64_t before = c.initiator().stats().payload_bytes_sent;
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/b", data).ok());
  uint64_t sent = c.initiator().stats().payload_bytes_sent - before;
  // Only the new version manifest and version list travel, not the 200 KB of payload.
  EXPECT_LT(sent, 4000u);
}

TEST(ClusterSimTest, AVersionListThatFitsAMessageTravelsInItsProposal) {
  SimCluster c(SimOptions{}, 5, 2);
  auto sum = [&](uint64_t TargetCounters::*field) {
    uint64_t n = 0;
    for (int t = 0; t < 5; ++t) n += c.target(t).counters().*field;
    return n;
  };
  const uint64_t bids = sum(&TargetCounters::bids), sent = c.initiator().stats().messages_sent;
  const std::string small(1000, 's');
  ASSERT_TRUE(c.initiator().PutNamed("sim/ten/bkt/small", 0, 1, small, replicast::Initiator::kNoNewReferences).ok());
  // The compare-and-swap at the first home replica, then the other two: three messages,
  // each answered by an ack, with no bid asked and no train sent.
  EXPECT_EQ(c.initiator().stats().messages_sent - sent, 3u);
  EXPECT_EQ(sum(&TargetCounters::bids), bids);
  EXPECT_EQ(sum(&TargetCounters::named_puts), 3u);
  // Still a compare-and-swap: a writer that read the name before is refused.
  EXPECT_EQ(c.initiator().PutNamed("sim/ten/bkt/small", 0, 1, "other", replicast::Initiator::kNoNewReferences).code(),
            Code::kConflict);
  // A value larger than a message is proposed, bid for and sent as a train, as before.
  const std::string big(200000, 'b');
  ASSERT_TRUE(c.initiator().PutNamed("sim/ten/bkt/big", 0, 1, big, replicast::Initiator::kNoNewReferences).ok());
  EXPECT_GT(sum(&TargetCounters::bids), bids);
  for (const auto& [name, value] : {std::pair{"sim/ten/bkt/small", small}, std::pair{"sim/ten/bkt/big", big}}) {
    auto got = c.initiator().GetNamed(name);
    ASSERT_TRUE(got.ok() && *got) << name;
    EXPECT_EQ((*got)->seq, 1u);
    EXPECT_EQ((*got)->value, value);
  }
}

TEST(ClusterSimTest, ASmallObjectsVersionManifestGoesStraightToItsReplicas) {
  SimCluster c(SimOptions{}, 5, 2);
  auto bids = [&] {
    uint64_t n = 0;
    for (int t = 0; t < 5; ++t) n += c.target(t).counters().bids;
    return n;
  };
  const uint64_t before = bids();
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/small", std::string(4096, 'x')).ok());
  // The 4 KiB travel inside the version manifest, a new chunk: no proposal, so no bid, and
  // one train to each of R VDEVs in distinct failure domains (the version list goes
  // inline: no bid either).
  EXPECT_EQ(bids(), before);
  EXPECT_EQ(c.initiator().stats().chunk_puts_direct, 1u);
  auto located = c.api().Locate("sim/ten/bkt/small", VersionSelector{});
  ASSERT_TRUE(located.ok()) << located.status().ToString();
  ASSERT_EQ(located->size(), 1u);
  EXPECT_EQ((*located)[0].kind, "version manifest");
  std::set<std::string> servers;
  for (const auto& h : (*located)[0].holders) servers.insert(h.vdev_id.substr(0, h.vdev_id.find('/')));
  EXPECT_EQ((*located)[0].holders.size(), 3u);
  EXPECT_EQ(servers.size(), 3u) << "R replicas in R failure domains";
  auto got = GetString(c.api(), "sim/ten/bkt/small");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, std::string(4096, 'x'));

  // With a target down, puts whose direct choice includes it still land on R replicas
  // (the negotiation places what the direct put could not) and read back.
  c.CrashTarget(0);
  for (int i = 0; i < 12; ++i) {
    const std::string name = "sim/ten/bkt/down-" + std::to_string(i);
    ASSERT_TRUE(PutString(c.api(), name, "payload " + std::to_string(i)).ok()) << i;
    auto where = c.api().Locate(name, VersionSelector{});
    ASSERT_TRUE(where.ok()) << where.status().ToString();
    EXPECT_EQ((*where)[0].holders.size(), 3u) << i;
    for (const auto& h : (*where)[0].holders) EXPECT_NE(h.vdev_id.substr(0, h.vdev_id.find('/')), "t0") << i;
  }
}

TEST(ClusterSimTest, MulticastSendsEachChunkOnce) {
  SimCluster c(SimOptions{}, 5, 2, 3, /*multicast=*/true);
  std::mt19937_64 rng(4);
  std::string data = Payload(rng, 30000);  // one chunk
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/m", data).ok());
  auto got = GetString(c.api(), "sim/ten/bkt/m");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  // The payload chunk went once; the VM and version list are small.
  EXPECT_LT(c.initiator().stats().payload_bytes_sent, data.size() + 4000);
  int holders = 0;
  for (int t = 0; t < 5; ++t)
    for (int v = 0; v < 2; ++v) holders += c.store(t, v).Has(HashBytes(HashAlgo::kSha256, data));
  EXPECT_EQ(holders, 3);
}

TEST(ClusterSimTest, ACorruptReplicaIsSkippedAndCounted) {
  SimCluster c(SimOptions{}, 5, 1);
  std::mt19937_64 rng(5);
  std::string data = Payload(rng, 20000);
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/c", data).ok());
  HashId chid = HashBytes(HashAlgo::kSha256, data);
  for (int t = 0; t < 5; ++t)
    if (c.store(t, 0).Has(chid)) {
      c.store(t, 0).FlipFirstByte(chid);
      break;
    }
  for (int i = 0; i < 3; ++i) {
    auto got = GetString(c.api(), "sim/ten/bkt/c");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, data);
  }
}

TEST(ClusterSimTest, AnInitiatorWithAnOldGenerationRefetchesFlexHash) {
  SimCluster c(SimOptions{}, 5, 1);
  // The targets move to generation 2 (same VDEVs); the initiator still has 1.
  auto table = FlexHashTable::FromJson(c.flexhash_json());
  ASSERT_TRUE(table.ok());
  auto next = FlexHashTable::Build(table->vdevs(), 2);
  ASSERT_TRUE(next.ok());
  for (int t = 0; t < 5; ++t) ASSERT_TRUE(c.target(t).SetFlexHash(next->ToJson()).ok());
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/g", "after the change").ok());
  EXPECT_EQ(c.initiator().flexhash()->generation(), 2u);
  EXPECT_GE(c.initiator().stats().generation_refreshes, 1u);
  uint64_t refused = 0;
  for (int t = 0; t < 5; ++t) refused += c.target(t).counters().wrong_generation;
  EXPECT_GE(refused, 1u);
}

TEST(ClusterSimTest, ProposalsHoldNoMemoryAndTrainsStayWithinTheBufferBound) {
  // Every put needs all 3 targets. Proposals that claim 16 MiB values and never send them
  // must not use up the bound on what trains hold (they once allocated their claim at once).
  TargetOptions bounded;
  bounded.max_buffered_bytes = 8 << 20;
  SimCluster c(SimOptions{}, 3, 1, 3, false, {}, {}, bounded);
  auto probe = c.net().Bind("evil:0", [](const std::string&, std::string_view) {});
  ASSERT_TRUE(probe.ok());
  auto table = FlexHashTable::FromJson(c.flexhash_json());
  ASSERT_TRUE(table.ok());
  uint64_t txid = 100;
  for (int t = 0; t < 3; ++t)
    for (int i = 0; i < 4; ++i) {
      std::string name = "sim/ten/bkt/claim-" + std::to_string(t) + "-" + std::to_string(i);
      HashId nhid = replicast::NameHashOf(name);
      replicast::NamedPutProposal p{nhid, HashBytes(HashAlgo::kSha256, name), 16 << 20, name, 0, 1};
      ASSERT_TRUE((*probe)->Send("t" + std::to_string(t) + ":0",
                                 replicast::Message{{txid++, table->RowOf(nhid), 1}, p}.Encode()).ok());
    }
  c.net().SleepFor(10'000'000);
  std::mt19937_64 rng(3);
  std::string data = Payload(rng, 100'000);
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/real", data).ok());
  auto got = GetString(c.api(), "sim/ten/bkt/real");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  // A train whose first piece would take more than the bound is refused, unallocated.
  HashId id = HashBytes(HashAlgo::kSha256, "too big");
  ASSERT_TRUE((*probe)->Send("t0:0", replicast::Message{{txid++, table->RowOf(id), 1},
                                                        replicast::RendezvousTransfer{id, 9 << 20, 0, 0, "x"}}
                                         .Encode()).ok());
  c.net().SleepFor(10'000'000);
  EXPECT_EQ(c.target(0).counters().dropped_trains, 1u);
}

TEST(ClusterSimTest, MalformedAndHostileDatagramsAreDroppedAndCounted) {
  SimCluster c(SimOptions{}, 5, 1);
  std::vector<std::string> got;
  auto probe = c.net().Bind("evil:0", [&](const std::string&, std::string_view m) {
    got.emplace_back(m);
  });
  ASSERT_TRUE(probe.ok());
  std::mt19937_64 rng(6);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE((*probe)->Send("t0:0", Payload(rng, rng() % 300)).ok());
  // A well-formed message of an unknown opcode, a wrong generation, a reply-type message,
  // a truncated one, and a row t0 does not serve.
  std::string unknown = replicast::Message{{1, 0, 1}, replicast::ServerListGet{}}.Encode();
  unknown[3] = 99;
  ASSERT_TRUE((*probe)->Send("t0:0", unknown).ok());
  HashId id = HashBytes(HashAlgo::kSha256, "x");
  auto table = FlexHashTable::FromJson(c.flexhash_json());
  uint32_t row = table->RowOf(id);
  ASSERT_TRUE((*probe)->Send("t0:0", replicast::Message{{2, row, 99}, replicast::UnnamedGet{id}}.Encode()).ok());
  ASSERT_TRUE((*probe)->Send("t0:0", replicast::Message{{3, row, 1}, replicast::PayloadAck{id}}.Encode()).ok());
  std::string truncated = replicast::Message{{4, row, 1}, replicast::UnnamedGet{id}}.Encode();
  ASSERT_TRUE((*probe)->Send("t0:0", truncated.substr(0, truncated.size() - 3)).ok());
  ASSERT_TRUE((*probe)->Send("t0:0", replicast::Message{{5, row + 1, 1}, replicast::UnnamedGet{id}}.Encode()).ok());
  // A train claiming an absurd size is refused without allocating it.
  ASSERT_TRUE((*probe)->Send("t0:0", replicast::Message{{6, row, 1}, replicast::RendezvousTransfer{
                                                            id, 1ull << 40, 0, 0, "x"}}.Encode()).ok());
  c.net().SleepFor(10'000'000);
  TargetCounters counters = c.target(0).counters();
  EXPECT_EQ(counters.dropped_trains, 1u);
  EXPECT_GE(counters.malformed, 200u);  // random bytes, the unknown opcode, the truncated one
  EXPECT_EQ(counters.wrong_generation, 1u);
  EXPECT_EQ(counters.unexpected, 1u);
  EXPECT_EQ(counters.wrong_row, 1u);
  // The generation mismatch was answered; and the target still serves.
  ASSERT_FALSE(got.empty());
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/after", "still serving").ok());
}

// One seeded run: a stream of puts under a lossy network with one target crashed at a
// random moment; afterwards every acknowledged object must read back and verify.
void RunSeed(uint64_t seed, int puts) {
  SimOptions o;
  o.seed = seed;
  o.loss = 0.02;
  o.duplication = 0.02;
  o.min_delay_ns = 10'000;
  o.max_delay_ns = 2'000'000;
  SimCluster c(o, 5, 1);
  std::mt19937_64 rng(seed);
  int crash_at = static_cast<int>(rng() % puts);
  int victim = static_cast<int>(rng() % 5);
  // Per name: the last acknowledged data, then any later put that failed (a failed put
  // may or may not have taken effect, as with any store; an acknowledged one must).
  std::map<std::string, std::vector<std::string>> allowed;
  int acked = 0;
  for (int i = 0; i < puts; ++i) {
    if (i == crash_at) c.CrashTarget(victim);
    static const size_t kSizes[] = {0, 1, 100, 5000, 33000, 70000};
    std::string name = "sim/ten/bkt/o" + std::to_string(i % (puts - 2));  // some overwrites
    std::string data = Payload(rng, kSizes[rng() % 6] + rng() % 100);
    auto put = PutString(c.api(), name, data);
    if (put.ok()) {
      ++acked;
      allowed[name] = {data};
    } else if (allowed.count(name)) {
      allowed[name].push_back(data);
    }
  }
  ASSERT_GE(acked, puts / 2) << "seed " << seed << ": most puts must succeed with one target down";
  for (const auto& [name, candidates] : allowed) {
    auto got = GetString(c.api(), name);
    if (!got.ok()) {
      for (int t = 0; t < 5; ++t)
        std::fprintf(stderr, "target %d%s holds %zu chunks\n", t, t == victim ? " (crashed)" : "",
                     c.store(t, 0).chunk_count());
    }
    ASSERT_TRUE(got.ok()) << "seed " << seed << " (reproduce with CCOW_SIM_SEED=" << seed
                          << "): " << name << ": " << got.status().ToString();
    ASSERT_TRUE(std::find(candidates.begin(), candidates.end(), *got) != candidates.end())
        << "seed " << seed << " (reproduce with CCOW_SIM_SEED=" << seed << "): " << name
        << " reads back data that no acknowledged put wrote";
  }
}

TEST(ClusterSimTest, AThousandSeededRunsLoseNoAcknowledgedObject) {
  if (const char* one = std::getenv("CCOW_SIM_SEED")) {
    RunSeed(std::strtoull(one, nullptr, 10), 12);
    return;
  }
  const char* runs_env = std::getenv("CCOW_SIM_RUNS");
  uint64_t runs = runs_env ? std::strtoull(runs_env, nullptr, 10) : 1000;
  for (uint64_t seed = 1; seed <= runs; ++seed) {
    RunSeed(seed, 12);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(ClusterSimTest, ReplayedTransfersStoreAChunkOnceAndAreAckedAgain) {
  SimCluster c(SimOptions{}, 5, 1);
  std::vector<replicast::Message> replies;
  auto probe = c.net().Bind("replayer:0", [&](const std::string&, std::string_view m) {
    auto msg = replicast::Message::Decode(m);
    if (msg.ok()) replies.push_back(*msg);
  });
  ASSERT_TRUE(probe.ok());
  std::string data = "a chunk sent twice";
  HashId chid = HashBytes(HashAlgo::kSha256, data);
  auto table = FlexHashTable::FromJson(c.flexhash_json());
  uint32_t row = table->RowOf(chid);
  const VdevInfo& first = table->vdevs()[table->Row(row)[0]];
  int t = first.server[1] - '0';
  std::string piece = replicast::Message{{9, row, 1}, replicast::RendezvousTransfer{
                                                          chid, data.size(), 0, 0, data}}.Encode();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*probe)->Send(first.address, piece).ok());
  c.net().SleepFor(10'000'000);
  EXPECT_EQ(c.target(t).counters().chunks_stored, 1u);
  int acks = 0;
  for (const auto& m : replies) acks += std::holds_alternative<replicast::PayloadAck>(m.body);
  EXPECT_EQ(acks, 3);
  EXPECT_TRUE(c.store(t, 0).Has(chid));
}

TEST(ClusterSimTest, ASeedReplaysExactly) {
  auto fingerprint = [](uint64_t seed) {
    SimOptions o;
    o.seed = seed;
    o.loss = 0.05;
    o.duplication = 0.05;
    SimCluster c(o, 5, 1);
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 5; ++i)
      (void)PutString(c.api(), "sim/ten/bkt/r" + std::to_string(i), Payload(rng, 40000));
    auto s = c.net().stats();
    return std::to_string(c.net().NowNs()) + "/" + std::to_string(s.sent) + "/" +
           std::to_string(s.lost) + "/" + std::to_string(s.duplicated);
  };
  EXPECT_EQ(fingerprint(77), fingerprint(77));
  EXPECT_NE(fingerprint(77), fingerprint(78));
}


// Scrub and read repair (issue 11 §2): one scrubber per target, as each daemon runs.
class ScrubSim {
 public:
  explicit ScrubSim(SimCluster& c) : c_(c) {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("scrub-sim-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    for (int t = 0; t < c.targets(); ++t) {
      std::vector<LocalVdev> vdevs;
      for (int v = 0; v < c.vdevs(); ++v) {
        std::string id = "t" + std::to_string(t) + "/vdev" + std::to_string(v);
        std::string path = (dir_ / ("t" + std::to_string(t) + "-" + std::to_string(v))).string();
        std::filesystem::create_directories(path);
        vdevs.push_back({id, path, &c.store(t, v)});
      }
      ScrubberOptions o;
      o.rate_bytes_per_second = 0;
      o.fetch_healthy_copy = [&c](const HashId& chid, std::string* out) { return c.initiator().GetChunk(chid, out); };
      scrubbers_.push_back(std::make_unique<Scrubber>(vdevs, c.repairs(t), o));
    }
  }
  ~ScrubSim() { std::filesystem::remove_all(dir_); }
  // One pass on every target; the counts summed.
  ScrubCounts Pass() {
    ScrubCounts sum;
    for (auto& s : scrubbers_) sum += s->RunPass();
    return sum;
  }
  Scrubber& scrubber(int t) { return *scrubbers_[t]; }

 private:
  static inline int counter_ = 0;
  SimCluster& c_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<Scrubber>> scrubbers_;
};

std::vector<HashId> ChunksOf(MemoryChunkStore& store) {
  std::vector<HashId> out;
  EXPECT_TRUE(store.ScanChunks(std::nullopt, [&](const HashId& chid) {
    out.push_back(chid);
    return true;
  }).ok());
  return out;
}

TEST(ClusterSimTest, OneScrubPassRepairsEveryDamagedReplicaAndReadsServeAroundThem) {
  SimCluster c(SimOptions{}, 5, 2);
  std::mt19937_64 rng(11);
  std::vector<std::pair<std::string, std::string>> objects;
  for (int i = 0; i < 12; ++i) {
    objects.emplace_back("sim/ten/bkt/s" + std::to_string(i), Payload(rng, 20000 + 9000 * i));
    ASSERT_TRUE(PutString(c.api(), objects.back().first, objects.back().second).ok());
  }
  // Damage a random sample of replicas: bits flipped, bytes cut short, bytes lost. At most
  // one replica of a chunk, so that a healthy copy always remains.
  std::set<HashId> damaged_chids;
  uint64_t injected = 0;
  for (int t = 0; t < c.targets(); ++t)
    for (int v = 0; v < c.vdevs(); ++v)
      for (const HashId& chid : ChunksOf(c.store(t, v))) {
        if (rng() % 3 != 0 || !damaged_chids.insert(chid).second) continue;
        switch (injected++ % 3) {
          case 0: c.store(t, v).FlipFirstByte(chid); break;
          case 1: c.store(t, v).TruncateBytes(chid); break;
          default: c.store(t, v).DropBytes(chid); break;
        }
      }
  ASSERT_GE(injected, 20u);
  // During the damage every object reads back correct, and the bad replicas the reads
  // met were queued for read repair by the targets that hold them.
  for (const auto& [name, data] : objects) {
    auto got = GetString(c.api(), name);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(*got, data) << name;
  }
  uint64_t queued = 0;
  for (int t = 0; t < c.targets(); ++t) queued += c.repairs(t)->size();
  EXPECT_GT(queued, 0u) << "no get met a bad replica and queued its repair";

  ScrubSim scrub(c);
  ScrubCounts first = scrub.Pass();
  EXPECT_EQ(first.corrupt, injected);
  EXPECT_EQ(first.repaired, injected);
  EXPECT_EQ(first.unrepairable, 0u);
  EXPECT_EQ(first.read_repairs, queued) << "every queued read repair is confirmed and repaired once";
  // Every replica verifies now, keeping its recorded replication count, and a second pass
  // finds nothing.
  for (int t = 0; t < c.targets(); ++t)
    for (int v = 0; v < c.vdevs(); ++v)
      for (const HashId& chid : ChunksOf(c.store(t, v))) {
        std::string bytes;
        EXPECT_TRUE(c.store(t, v).Get(chid, &bytes).ok()) << chid.ToString();
      }
  uint64_t copies = 0;
  for (int t = 0; t < c.targets(); ++t)
    for (int v = 0; v < c.vdevs(); ++v) copies += ChunksOf(c.store(t, v)).size();
  ScrubCounts second = scrub.Pass();
  EXPECT_EQ(second.corrupt, 0u);
  EXPECT_EQ(second.chunks, copies) << "every copy verified";
  for (const auto& [name, data] : objects) {
    auto got = GetString(c.api(), name);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(*got, data) << name;
  }
}

TEST(ClusterSimTest, AReadRepairIsQueuedByTheTargetAndMendedWithoutAPass) {
  SimCluster c(SimOptions{}, 5, 1);
  std::mt19937_64 rng(12);
  std::string data = Payload(rng, 20000);
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/rr", data).ok());
  HashId chid = HashBytes(HashAlgo::kSha256, data);
  // Damage every replica but one, so that a get is sure to meet a bad one.
  int damaged = 0, bad_target = -1;
  for (int t = 0; t < 5 && damaged < 2; ++t)
    if (c.store(t, 0).Has(chid)) {
      c.store(t, 0).DropBytes(chid);
      damaged++;
      bad_target = t;
    }
  ASSERT_EQ(damaged, 2);
  // Reads are served by whichever replica answers first; read until one met a bad copy.
  size_t queued = 0;
  for (int i = 0; i < 20 && queued == 0; ++i) {
    auto got = GetString(c.api(), "sim/ten/bkt/rr");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, data);
    for (int t = 0; t < 5; ++t) queued += c.repairs(t)->size();
  }
  ASSERT_GT(queued, 0u) << "twenty reads never met one of two bad replicas of three";
  ScrubSim scrub(c);
  size_t repaired = 0;
  for (int t = 0; t < 5; ++t) repaired += scrub.scrubber(t).RepairQueued();
  EXPECT_GE(repaired, 1u);
  std::string bytes;
  uint64_t healthy = 0;
  for (int t = 0; t < 5; ++t) healthy += c.store(t, 0).Has(chid) && c.store(t, 0).Get(chid, &bytes).ok();
  EXPECT_EQ(healthy, 1u + repaired);
  // A pass mends what no read met; together every bad replica was repaired once.
  ScrubCounts pass = scrub.Pass();
  EXPECT_EQ(pass.corrupt, 2u - repaired);
  uint64_t total_repaired = 0;
  for (int t = 0; t < 5; ++t) total_repaired += scrub.scrubber(t).progress().total.repaired;
  EXPECT_EQ(total_repaired, 2u);
  EXPECT_GE(scrub.scrubber(bad_target).progress().total.corrupt, 1u);
}

TEST(ClusterSimTest, AChunkWithNoHealthyReplicaIsUnrepairableAndNamed) {
  SimCluster c(SimOptions{}, 5, 1);
  std::mt19937_64 rng(13);
  std::string data = Payload(rng, 20000);
  ASSERT_TRUE(PutString(c.api(), "sim/ten/bkt/lost", data).ok());
  HashId chid = HashBytes(HashAlgo::kSha256, data);
  for (int t = 0; t < 5; ++t)
    if (c.store(t, 0).Has(chid)) c.store(t, 0).FlipFirstByte(chid);
  auto got = GetString(c.api(), "sim/ten/bkt/lost");
  EXPECT_FALSE(got.ok()) << "a read with every replica bad fails, never returns wrong bytes";
  ScrubSim scrub(c);
  ScrubCounts counts = scrub.Pass();
  EXPECT_EQ(counts.corrupt, 3u);
  EXPECT_EQ(counts.unrepairable, 3u);
  EXPECT_EQ(counts.repaired, 0u);
  int findings = 0;
  for (int t = 0; t < 5; ++t)
    for (const ScrubFinding& f : scrub.scrubber(t).progress().unrepairable) {
      EXPECT_EQ(f.chid, chid.ToString());
      findings++;
    }
  EXPECT_EQ(findings, 3);
}

// One node: no other copy; the finding names the objects that reference the chunk.
TEST(ClusterSimTest, OneNodeReportsABadChunkWithTheObjectsThatReferenceIt) {
  auto owned = std::make_unique<MemoryChunkStore>();
  MemoryChunkStore* store = owned.get();
  ApiOptions ao;
  ao.default_policy.chunk_size = 16 << 10;
  ao.default_policy.single_chunk_max = 32 << 10;
  ObjectApi api(NewLocalBackend(std::move(owned)), ao);
  std::mt19937_64 rng(14);
  std::string shared = Payload(rng, 16 << 10);
  ASSERT_TRUE(PutString(api, "one/ten/bkt/a", shared + Payload(rng, 40000)).ok());
  ASSERT_TRUE(PutString(api, "one/ten/bkt/b", shared + Payload(rng, 40000)).ok());
  ASSERT_TRUE(PutString(api, "one/ten/bkt/c", Payload(rng, 40000)).ok());
  HashId bad = HashBytes(HashAlgo::kSha256, shared);
  ASSERT_TRUE(store->Has(bad));
  store->FlipFirstByte(bad);
  auto dir = std::filesystem::path(::testing::TempDir()) / ("scrub-one-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ScrubberOptions o;
  o.rate_bytes_per_second = 0;
  o.find_objects = [&api](const HashId& chid, size_t max) { return FindReferrers(api.backend(), chid, max); };
  Scrubber scrubber({{"vdev0", dir.string(), store}}, nullptr, o);
  ScrubCounts counts = scrubber.RunPass();
  std::filesystem::remove_all(dir);
  EXPECT_EQ(counts.corrupt, 1u);
  EXPECT_EQ(counts.unrepairable, 1u);
  auto findings = scrubber.progress().unrepairable;
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].chid, bad.ToString());
  ASSERT_EQ(findings[0].objects.size(), 2u);
  EXPECT_EQ(findings[0].objects[0].rfind("one/ten/bkt/a (generation", 0), 0u) << findings[0].objects[0];
  EXPECT_EQ(findings[0].objects[1].rfind("one/ten/bkt/b (generation", 0), 0u) << findings[0].objects[1];
}

// A daemon stopped mid-pass resumes it from the cursor files when it starts again: the
// two runs verify every chunk exactly once between them.
TEST(ScrubberTest, AnInterruptedPassResumesFromItsCursorAfterARestart) {
  MemoryChunkStore store;
  std::mt19937_64 rng(15);
  for (int i = 0; i < 200; ++i) {
    std::string bytes = Payload(rng, 100);
    bool stored_new = false;
    ASSERT_TRUE(store.Put(HashBytes(HashAlgo::kSha256, bytes), bytes, &stored_new).ok());
  }
  auto dir = std::filesystem::path(::testing::TempDir()) / ("scrub-resume-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<LocalVdev> vdevs{{"vdev0", dir.string(), &store}};
  ScrubberOptions slow;
  slow.rate_bytes_per_second = 4000;  // 40 chunks a second
  uint64_t first_run = 0;
  {
    Scrubber a(vdevs, nullptr, slow);
    a.Start();
    a.Trigger();
    for (int i = 0; i < 500 && a.progress().pass.chunks < 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    first_run = a.progress().pass.chunks;
  }  // stopped mid-pass
  ASSERT_GE(first_run, 10u);
  ASSERT_LT(first_run, 200u);
  ScrubberOptions fast;
  fast.rate_bytes_per_second = 0;
  Scrubber b(vdevs, nullptr, fast);
  b.Start();  // finds the pass unfinished and resumes it at once
  ASSERT_TRUE(b.WaitFor(1, 10000));
  ScrubProgress p = b.progress();
  EXPECT_EQ(p.passes_completed, 1u);
  // The first run verified at least first_run chunks (it went on a little after we looked).
  EXPECT_LE(p.pass.chunks + first_run, 200u) << "chunks verified twice: the cursor lagged";
  EXPECT_LE(p.pass.chunks, 190u) << "the pass started over instead of resuming";
  EXPECT_GT(p.pass.chunks, 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ccow

namespace ccow {
namespace {

// On a cluster a bad copy with no healthy copy anywhere is set aside (removed from the
// index), so that it counts as missing and the healer or its stripe can replace it; a
// copy that merely could not be read for another reason, or one node's only copy, stays.
TEST(ScrubberTest, ACorruptCopyWithNoHealthyReplicaIsSetAsideOnlyWhereTheClusterCanReplaceIt) {
  std::mt19937_64 rng(16);
  for (bool set_aside : {false, true}) {
    testing::MemoryChunkStore store;
    std::string data = testing::Payload(rng, 30000);
    HashId chid = HashBytes(HashAlgo::kSha256, data);
    bool stored_new = false;
    ASSERT_TRUE(store.Put(chid, data, &stored_new).ok());
    ASSERT_TRUE(store.RecordReplicationCount(chid, 1).ok());
    store.FlipFirstByte(chid);
    auto dir = std::filesystem::path(::testing::TempDir()) /
               ("scrub-aside-" + std::to_string(::getpid()) + (set_aside ? "-1" : "-0"));
    std::filesystem::create_directories(dir);
    ScrubberOptions o;
    o.rate_bytes_per_second = 0;
    o.fetch_healthy_copy = [](const HashId&, std::string*) { return Status::NotFound("no holder answered healthy"); };
    o.set_aside_unrepairable = set_aside;
    Scrubber scrubber({{"vdev0", dir.string(), &store}}, nullptr, o);
    ScrubCounts counts = scrubber.RunPass();
    std::filesystem::remove_all(dir);
    EXPECT_EQ(counts.corrupt, 1u);
    EXPECT_EQ(counts.unrepairable, 1u);
    EXPECT_EQ(store.Has(chid), !set_aside) << "set_aside " << set_aside;
    auto findings = scrubber.progress().unrepairable;
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].error.find("set aside") != std::string::npos, set_aside) << findings[0].error;
  }
}

}  // namespace
}  // namespace ccow
