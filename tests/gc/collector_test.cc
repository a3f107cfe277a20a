// The garbage collector on one node's store: what it frees is exactly what no version
// references (active, quarantined within retention, snapshotted, shared by clones,
// composes and dedup), and writes that deduplicate against chunks it is about to free
// never end referencing a freed chunk.
#include "gc/collector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "client/object_api.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(0); }

  void Open(uint64_t retention_ns) {
    collector_.reset();
    api_.reset();
    StoreOptions so;
    so.path = dir_.path() + "/store/vdev0";
    auto store = ChunkStore::Open(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store->get();
    auto backend = Result<std::unique_ptr<Backend>>(NewLocalBackend(std::move(*store)));
    ApiOptions opts;
    opts.default_policy.chunk_size = 4096;
    opts.default_policy.single_chunk_max = 4096;
    opts.default_policy.manifest_fanout = 4;  // multi-level trees from modest objects
    opts.quarantine_retention_ns = retention_ns;
    opts.clock = [this] { return now_.load(); };
    api_ = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), opts);
    CollectorOptions co;
    co.scratch_dir = dir_.path() + "/gc";
    co.page = 7;           // several scan pages
    co.clock = [this] { return now_.load(); };
    auto c = Collector::Create(api_.get(), co);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collector_ = std::move(*c);
  }

  Status Put(const std::string& name, const std::string& data, PutOptions opts = {}) {
    StringSource src(data);
    return api_->Put(name, src, opts).status();
  }
  Result<std::string> Get(const std::string& name, VersionSelector which = {}) {
    StringSink sink;
    CCOW_RETURN_IF_ERROR(api_->Get(name, which, std::nullopt, sink));
    return sink.data();
  }

  // Every chunk stored, and every chunk some version still references (walked through the
  // API's own Locate, not through the collector).
  std::set<std::string> Stored() {
    std::set<std::string> out;
    EXPECT_TRUE(store_->ScanChunks(std::nullopt, [&](const Chid& c) { return out.insert(c.ToString()), true; })
                    .ok());
    return out;
  }
  std::set<std::string> Referenced() {
    std::set<std::string> out;
    std::vector<VersionList> lists;
    EXPECT_TRUE(api_->backend()
                    .ScanVersionLists("", "", [&](const VersionList& vl) { return lists.push_back(vl), true; })
                    .ok());
    for (const auto& vl : lists) {
      std::vector<VersionEntry> all = vl.versions();
      for (const auto& q : vl.quarantine()) all.push_back(q.version);
      for (const auto& s : vl.snapshots()) all.push_back(s.version);
      for (const auto& v : all)
        for (const auto& c : LocateByVm(v.vm_chid)) out.insert(c);
    }
    return out;
  }
  std::vector<std::string> LocateByVm(const Chid& vm_chid) {
    std::vector<std::string> out{vm_chid.ToString()};
    std::string bytes;
    if (!api_->backend().GetChunk(vm_chid, &bytes).ok()) return out;
    auto vm = VersionManifest::Decode(bytes);
    if (!vm.ok()) return out;
    std::function<void(const ChunkRef&)> walk = [&](const ChunkRef& ref) {
      out.push_back(ref.chid.ToString());
      if (ref.kind != ChunkKind::kChunkManifest) return;
      std::string b;
      if (!api_->backend().GetChunk(ref.chid, &b).ok()) return;
      auto cm = ChunkManifest::Decode(b);
      if (cm.ok())
        for (const auto& child : cm->refs) walk(child);
    };
    for (const auto& ref : vm->root_refs) walk(ref);
    return out;
  }

  ScratchDir dir_;
  std::atomic<uint64_t> now_{1'000'000'000'000};
  ChunkStore* store_ = nullptr;  // owned by the backend under api_
  std::unique_ptr<ObjectApi> api_;
  std::unique_ptr<Collector> collector_;
};

TEST_F(CollectorTest, FreesExactlyWhatNoVersionReferences) {
  const std::string shared = RandomBytes(40000, 1), solo = RandomBytes(30000, 2);
  ASSERT_TRUE(Put("s/t/b/a", shared).ok());
  ASSERT_TRUE(Put("s/t/b/dedup-of-a", shared).ok());  // every chunk deduplicated
  ASSERT_TRUE(Put("s/t/b/solo", solo).ok());
  ASSERT_TRUE(api_->Clone("s/t/b/solo", {}, "s/t/b/clone-of-solo").ok());
  ASSERT_TRUE(Put("s/t/b/over", RandomBytes(50000, 3)).ok());
  PutOptions replace;
  replace.slot = VersionSlot::kReplaces;
  ASSERT_TRUE(Put("s/t/b/over", RandomBytes(20000, 4), replace).ok());  // old version to quarantine
  ASSERT_TRUE(Put("s/t/b/p1", RandomBytes(9000, 5)).ok());
  ASSERT_TRUE(Put("s/t/b/p2", RandomBytes(9000, 6)).ok());
  ASSERT_TRUE(api_->Compose("s/t/b/composed", {{"s/t/b/p1", {}}, {"s/t/b/p2", {}}}, {}, "etag").ok());
  ASSERT_TRUE(Put("s/t/b/snapped", RandomBytes(12000, 7)).ok());
  ASSERT_TRUE(api_->CreateSnapshot("s/t/b/snapped", "keep", {}).ok());
  ASSERT_TRUE(Put("s/t/b/gone", RandomBytes(25000, 8)).ok());
  for (const char* n : {"s/t/b/a", "s/t/b/solo", "s/t/b/p1", "s/t/b/p2", "s/t/b/snapped", "s/t/b/gone"})
    ASSERT_TRUE(api_->Delete(n, std::nullopt).ok()) << n;
  const auto before = Stored();

  auto r = collector_->RunPass();  // retention 0: every quarantined version expires
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->versions_expired, 5u);
  EXPECT_GT(r->chunks_freed, 0u);
  EXPECT_EQ(Stored(), Referenced()) << "freed something referenced, or kept something unreferenced";
  EXPECT_LT(Stored().size(), before.size());
  EXPECT_EQ(*Get("s/t/b/dedup-of-a"), shared);
  EXPECT_EQ(*Get("s/t/b/clone-of-solo"), solo);
  EXPECT_EQ(Get("s/t/b/composed")->size(), 18000u);
  VersionSelector snap;
  snap.snapshot = "keep";
  EXPECT_EQ(*Get("s/t/b/snapped", snap), RandomBytes(12000, 7)) << "a snapshot pins a deleted version";
  EXPECT_TRUE(Get("s/t/b/gone").status().IsNotFound());

  auto again = collector_->RunPass();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->chunks_freed, 0u) << "a second pass finds nothing more";
}

TEST_F(CollectorTest, QuarantinedVersionsStayRestorableUntilTheirRetentionPasses) {
  Open(60'000'000'000);  // one minute
  ASSERT_TRUE(Put("s/t/b/x", RandomBytes(30000, 9)).ok());
  ASSERT_TRUE(api_->Delete("s/t/b/x", std::nullopt).ok());
  auto r = collector_->RunPass();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->versions_expired, 0u);
  EXPECT_EQ(r->chunks_freed, 0u);
  ASSERT_TRUE(api_->Undelete("s/t/b/x", std::nullopt).ok()) << "restorable within the retention";
  EXPECT_EQ(*Get("s/t/b/x"), RandomBytes(30000, 9));
  ASSERT_TRUE(api_->Delete("s/t/b/x", std::nullopt).ok());
  now_ += 61'000'000'000;
  r = collector_->RunPass();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->versions_expired, 1u);
  EXPECT_EQ(r->lists_removed, 1u);
  EXPECT_TRUE(Stored().empty()) << "nothing references anything any more";
  EXPECT_TRUE(api_->Undelete("s/t/b/x", std::nullopt).IsNotFound()) << "gone after the retention";
}

TEST_F(CollectorTest, InternalBucketsKeepNoQuarantine) {
  Open(3600'000'000'000);
  ASSERT_TRUE(Put("s/t/.uploads/b/up1/part1", RandomBytes(20000, 10)).ok());
  ASSERT_TRUE(api_->Delete("s/t/.uploads/b/up1/part1", std::nullopt).ok());
  auto r = collector_->RunPass();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->versions_expired, 1u) << "an aborted upload's parts go at the next pass";
  EXPECT_TRUE(Stored().empty());
}

TEST_F(CollectorTest, AnUnreadableManifestStopsThePassBeforeItFreesAnything) {
  ASSERT_TRUE(Put("s/t/b/live", RandomBytes(40000, 11)).ok());
  ASSERT_TRUE(Put("s/t/b/dead", RandomBytes(40000, 12)).ok());
  ASSERT_TRUE(api_->Delete("s/t/b/dead", std::nullopt).ok());
  auto info = api_->Stat("s/t/b/live", {});
  ASSERT_TRUE(info.ok());
  ASSERT_TRUE(store_->RemoveChunk(info->vm_chid).ok());
  const auto before = Stored();
  auto r = collector_->RunPass();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(info->vm_chid.ToString()), std::string::npos) << r.status().ToString();
  EXPECT_EQ(Stored(), before) << "a pass that cannot see all references frees nothing";
  EXPECT_EQ(collector_->progress().passes_failed, 1u);
}

// Writers that deduplicate against, clone and compose the very chunks a collector running
// at the same time is freeing (retention 0, passes back to back). Each name belongs to one
// writer, which knows its content. Afterwards every object reads back as written, and two
// quiet passes leave exactly the referenced chunks.
TEST_F(CollectorTest, ConcurrentDedupingWritesNeverEndReferencingAFreedChunk) {
  const uint64_t seed = std::getenv("CCOW_GC_SEED") ? std::stoull(std::getenv("CCOW_GC_SEED")) : 1;
  std::vector<std::string> pool;
  for (int i = 0; i < 6; ++i) pool.push_back(RandomBytes(4096 * (1 + i * 3) + i, 100 + i));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> passes{0}, freed{0};
  std::thread gc([&] {
    while (!stop) {
      auto r = collector_->RunPass();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      passes++;
      freed += r->chunks_freed;
    }
  });
  constexpr int kWriters = 3, kOps = 150;
  std::vector<std::map<std::string, std::string>> expect(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      std::mt19937_64 rng(seed * 1000 + w);
      auto& mine = expect[w];
      for (int op = 0; op < kOps; ++op) {
        std::string name = "s/t/b/w" + std::to_string(w) + "-" + std::to_string(rng() % 8);
        switch (rng() % 5) {
          case 0:
          case 1: {  // put (often a dedup of chunks just freed or about to be)
            const std::string& data = pool[rng() % pool.size()];
            PutOptions o;
            o.slot = VersionSlot::kReplaces;
            ASSERT_TRUE(Put(name, data, o).ok());
            mine[name] = data;
            break;
          }
          case 2:  // delete: its chunks become garbage unless shared
            if (mine.count(name)) {
              ASSERT_TRUE(api_->Delete(name, std::nullopt).ok());
              mine.erase(name);
            }
            break;
          case 3: {  // clone one of mine, then drop the source
            if (!mine.count(name)) break;
            std::string dest = name + "-c";
            auto c = api_->Clone(name, {}, dest);
            ASSERT_TRUE(c.ok()) << c.status().ToString();
            mine[dest] = mine[name];
            ASSERT_TRUE(api_->Delete(name, std::nullopt).ok());
            mine.erase(name);
            break;
          }
          case 4: {  // compose two of mine into a third, then drop the parts
            std::string a = "s/t/b/w" + std::to_string(w) + "-" + std::to_string(rng() % 8);
            if (!mine.count(name) || !mine.count(a) || a == name) break;
            std::string dest = name + "-k";
            auto c = api_->Compose(dest, {{name, {}}, {a, {}}}, {}, "e");
            ASSERT_TRUE(c.ok()) << c.status().ToString();
            mine[dest] = mine[name] + mine[a];
            ASSERT_TRUE(api_->Delete(a, std::nullopt).ok());
            mine.erase(a);
            break;
          }
        }
      }
    });
  for (auto& t : writers) t.join();
  stop = true;
  gc.join();
  EXPECT_GT(passes.load(), 1u);
  EXPECT_GT(freed.load(), 0u) << "the collector freed nothing: the test would prove nothing";
  for (const auto& mine : expect)
    for (const auto& [name, data] : mine) {
      auto got = Get(name);
      ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString() << " (seed " << seed << ")";
      EXPECT_EQ(*got, data) << name;
    }
  ASSERT_TRUE(collector_->RunPass().ok());
  ASSERT_TRUE(collector_->RunPass().ok());
  EXPECT_EQ(Stored(), Referenced()) << "after two quiet passes exactly the referenced chunks remain";
}

}  // namespace
}  // namespace ccow
