// The replication counts garbage collection marks carry on a cluster (docs/ARCHITECTURE.md
// "Garbage collection on a cluster"): a chunk is marked with the largest R of the versions
// that still reference it, and the sweep lowers what its holders record to that R unless a
// write pinned it in the window. Erasure coding's trimming rests on this: a fragment marked
// only on its keeper VDEV loses its other copies and keeps R=1 there.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "client/backend.h"
#include "gc/collector.h"
#include "replicast/initiator.h"
#include "target/sim_cluster.h"

namespace ccow {
namespace {

using replicast::SimOptions;
using testing::GetString;
using testing::Payload;
using testing::SimCluster;

constexpr int kTargets = 5;  // one VDEV each ("tN/vdev0"): rows of 4 in distinct domains

// What each VDEV holding a chunk records for it, by VDEV id, read from the stores.
std::map<std::string, uint32_t> Recorded(SimCluster& c, const HashId& chid) {
  std::map<std::string, uint32_t> out;
  for (int t = 0; t < c.targets(); ++t)
    if (c.store(t, 0).Has(chid)) out["t" + std::to_string(t) + "/vdev0"] = *c.store(t, 0).ReplicationCount(chid);
  return out;
}

std::vector<uint32_t> Counts(const std::map<std::string, uint32_t>& recorded) {
  std::vector<uint32_t> out;
  for (const auto& [id, r] : recorded) out.push_back(r);
  return out;
}

class GcReplicationTest : public ::testing::Test {
 protected:
  GcReplicationTest()
      : c_(SimOptions{}, kTargets, 1, 3, false,
           [](ApiOptions* o) {
             o->default_policy.chunk_size = 4 << 10;  // ten chunks and a manifest tree per object
             o->default_policy.single_chunk_max = 4 << 10;
             o->default_policy.manifest_fanout = 4;
             o->quarantine_retention_ns = 0;  // a deleted version goes with the next pass
           },
           [] {
             ClusterGcOptions g;
             g.fence_grace_ns = 5'000'000;
             return g;
           }()) {
    CollectorOptions co;
    co.clock = [this] { return c_.net().NowNs(); };
    co.on_phase = [this](const std::string& phase) {
      if (phase == "sweep" && before_sweep_) before_sweep_();
    };
    auto created = Collector::Create(&c_.api(), co);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    collector_ = std::move(*created);
  }

  Result<ObjectInfo> Put(const std::string& name, const std::string& data, uint8_t r) {
    PutOptions o;
    o.policy = c_.api().options().default_policy;
    o.policy->replication_count = r;
    StringSource src(data);
    return c_.api().Put(name, src, o);
  }
  // Every chunk of a version but its version manifest: payloads and chunk manifests.
  std::vector<Chid> TreeBelow(const std::string& name) {
    std::vector<Chid> out;
    auto located = c_.api().Locate(name, VersionSelector{});
    EXPECT_TRUE(located.ok()) << located.status().ToString();
    if (!located.ok()) return out;
    for (const auto& chunk : *located)
      if (chunk.kind != "version manifest") out.push_back(chunk.chid);
    return out;
  }
  GcPassResult Pass() {
    auto r = collector_->RunPass();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : GcPassResult{};
  }
  Backend& backend() { return c_.api().backend(); }

  SimCluster c_;
  std::unique_ptr<Collector> collector_;
  std::function<void()> before_sweep_;  // runs inside a pass, its marks sent, before its sweep
};

// Versions of R=2 and R=4 share a whole tree (same content: same payload chunks and chunk
// manifests). The R=2 one is walked first (name order), so the tree is marked at 2 and then
// marked and walked again at 4: every holder keeps 4. Once the R=4 version is deleted and
// collected, every holder of the tree records 2; a chunk a put pinned during that pass
// keeps 4 until the next.
TEST_F(GcReplicationTest, ASharedTreeKeepsTheHigherCountUntilItsVersionIsCollectedThenEveryHolderLowers) {
  std::mt19937_64 rng(21);
  const std::string data = Payload(rng, 40000);
  ASSERT_TRUE(Put("sim/ten/r2/o", data, 2).ok());
  ASSERT_TRUE(Put("sim/ten/r4/o", data, 4).ok());
  const std::vector<Chid> tree = TreeBelow("sim/ten/r4/o");
  ASSERT_EQ(tree, TreeBelow("sim/ten/r2/o"));
  ASSERT_GT(tree.size(), 10u) << "payload chunks and chunk manifests";
  for (const Chid& chid : tree) ASSERT_EQ(Counts(Recorded(c_, chid)), (std::vector<uint32_t>{4, 4, 4, 4}));

  GcPassResult first = Pass();
  EXPECT_EQ(first.chunks_freed, 0u);
  EXPECT_EQ(first.chunks_lowered, 0u) << "the R=4 version still needs 4";
  for (const Chid& chid : tree)
    EXPECT_EQ(Counts(Recorded(c_, chid)), (std::vector<uint32_t>{4, 4, 4, 4})) << chid.ToString();

  ASSERT_TRUE(c_.api().Delete("sim/ten/r4/o", std::nullopt).ok());
  // During the next pass a put asks R=4 for one chunk of the tree (say, a write whose
  // version is not committed yet): that chunk is pinned and keeps its count.
  const Chid pinned = tree.front();
  std::string pinned_bytes;
  ASSERT_TRUE(backend().GetChunk(pinned, &pinned_bytes).ok());
  before_sweep_ = [&] {
    bool stored_new = false;
    Status s = backend().PutChunk(pinned, pinned_bytes, 4, &stored_new, nullptr);
    EXPECT_TRUE(s.ok()) << s.ToString();
  };
  GcPassResult second = Pass();
  before_sweep_ = nullptr;
  EXPECT_EQ(second.versions_expired, 1u);
  EXPECT_EQ(second.chunks_freed, 4u) << "the deleted version's manifest, on its 4 holders";
  EXPECT_EQ(second.chunks_lowered, 4 * (tree.size() - 1));
  for (const Chid& chid : tree) {
    const std::vector<uint32_t> want = chid == pinned ? std::vector<uint32_t>{4, 4, 4, 4} : std::vector<uint32_t>{2, 2, 2, 2};
    EXPECT_EQ(Counts(Recorded(c_, chid)), want) << chid.ToString() << (chid == pinned ? " (pinned)" : "");
  }

  GcPassResult third = Pass();
  EXPECT_EQ(third.chunks_freed, 0u);
  EXPECT_EQ(third.chunks_lowered, 4u) << "the chunk pinned last time, on its 4 holders";
  for (const Chid& chid : tree) EXPECT_EQ(Counts(Recorded(c_, chid)), (std::vector<uint32_t>{2, 2, 2, 2}));
  auto got = GetString(c_.api(), "sim/ten/r2/o");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
}

// The collection driven by hand, as erasure coding's trimming will: a chunk marked only on
// its keeper is removed from the row's other holders and kept there with the R given; one
// also marked on its whole row keeps every copy at the larger R; an unknown R (0) keeps the
// chunk and lowers nothing.
TEST_F(GcReplicationTest, AChunkMarkedOnlyOnItsKeeperIsSweptElsewhereAndKeptThereAtTheGivenCount) {
  std::mt19937_64 rng(22);
  std::vector<std::string> bytes;
  std::vector<Chid> chids;
  for (int i = 0; i < 3; ++i) {
    bytes.push_back(Payload(rng, 3000));
    chids.push_back(HashBytes(HashAlgo::kSha256, bytes.back()));
    bool stored_new = false;
    ASSERT_TRUE(backend().PutChunk(chids.back(), bytes.back(), 3, &stored_new, nullptr).ok());
    ASSERT_EQ(Counts(Recorded(c_, chids.back())), (std::vector<uint32_t>{3, 3, 3}));
  }
  const Chid fragment = chids[0], shared = chids[1], unknown = chids[2];
  auto keeper_of = [&](const Chid& chid) { return Recorded(c_, chid).begin()->first; };
  const std::string keeper = keeper_of(fragment);

  ChunkCollection* gc = backend().collection();
  ASSERT_TRUE(gc->OpenPinWindow().ok());
  ASSERT_TRUE(gc->FenceEarlierWrites().ok());
  ASSERT_TRUE(gc->MarkOn(fragment, keeper, 1).ok());
  ASSERT_TRUE(gc->Mark(shared, 3).ok());
  ASSERT_TRUE(gc->MarkOn(shared, keeper_of(shared), 1).ok());
  ASSERT_TRUE(gc->Mark(unknown, 0).ok());
  ASSERT_TRUE(gc->MarkOn(unknown, keeper_of(unknown), 1).ok());
  // A VDEV outside the chunk's row cannot keep it: the mark is refused, naming it.
  auto table = c_.initiator().flexhash();
  const auto& row = table->Row(table->RowOf(fragment));
  std::string outside;
  for (const VdevInfo& v : table->vdevs())
    if (std::none_of(row.begin(), row.end(), [&](uint32_t m) { return table->vdevs()[m].id == v.id; })) outside = v.id;
  Status refused = gc->MarkOn(fragment, outside, 1);
  EXPECT_EQ(refused.code(), Code::kInvalidArgument) << refused.ToString();
  EXPECT_NE(refused.message().find(outside), std::string::npos) << refused.ToString();
  auto swept = gc->Sweep({});
  gc->ClosePinWindow();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(swept->removed, 2u) << "the fragment's two surplus copies";
  EXPECT_EQ(swept->lowered, 1u) << "the fragment's keeper";

  EXPECT_EQ(Recorded(c_, fragment), (std::map<std::string, uint32_t>{{keeper, 1}}));
  EXPECT_EQ(Counts(Recorded(c_, shared)), (std::vector<uint32_t>{3, 3, 3})) << "the row's mark keeps every copy at 3";
  EXPECT_EQ(Counts(Recorded(c_, unknown)), (std::vector<uint32_t>{3, 3, 3})) << "an unknown R lowers nothing";
  std::string back;
  ASSERT_TRUE(backend().GetChunk(fragment, &back).ok());
  EXPECT_EQ(back, bytes[0]);
}

}  // namespace
}  // namespace ccow
