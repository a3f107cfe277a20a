// A volume's home (fs/volume.h): its checkpoint is a version of an object whose tree names
// every node and data chunk, so a garbage collection pass keeps all a volume holds and
// frees what it no longer does; a pass that begins while changes wait for a checkpoint
// waits for it, and keeps what they wrote.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

#include "fs/volume.h"
#include "gc/collector.h"
#include "store/store_test_util.h"

namespace ccow::fs {
namespace {

using ccow::testing::ScratchDir;

const std::string kHome = "ccow/default/.fs/bk1";

struct Fixture {
  Fixture() {
    auto backend = OpenLocalBackend(dir.path() + "/store");
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    // The default quarantine retention (7 days): a replaced checkpoint is not quarantined
    // but dropped (VersionSlot::kSupersedes), so it is garbage at the next pass all the same.
    api = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), ApiOptions{});
    auto c = Collector::Create(api.get(), CollectorOptions{});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    collector = std::move(*c);
  }
  std::unique_ptr<Volume> Open() {
    VolumeOptions o;
    o.btree.max_node_bytes = 2048;  // several levels of nodes
    o.block_bytes = 64 << 10;
    auto v = Volume::Open(*api, kHome, o);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(*v) : nullptr;
  }
  ScratchDir dir;
  std::unique_ptr<ObjectApi> api;
  std::unique_ptr<Collector> collector;
};

std::string Bytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

void ExpectFiles(Volume& v, const std::map<std::string, std::string>& files) {
  for (const auto& [name, data] : files) {
    auto n = v.Lookup(kRootIno, name);
    ASSERT_TRUE(n.ok()) << name << ": " << n.status().ToString();
    auto got = v.Read(n->ino, 0, data.size() + 1);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_TRUE(*got == data) << name;
  }
}

TEST(VolumeHomeTest, TheCollectorKeepsWhatAVolumeHoldsAndFreesWhatItDropped) {
  Fixture f;
  std::mt19937_64 rng(3);
  std::map<std::string, std::string> files;
  {
    auto v = f.Open();
    for (int i = 0; i < 40; ++i) {
      const std::string name = "f" + std::to_string(i);
      auto n = v->Create(kRootIno, name, 0644, 0, 0);
      ASSERT_TRUE(n.ok());
      files[name] = Bytes(rng, 1000 + rng() % 200'000);
      ASSERT_TRUE(v->Write(n->ino, 0, files[name]).ok());
    }
    ASSERT_TRUE(v->Checkpoint().ok());
    // Overwrites, a truncation and deletes: what they replace is garbage.
    for (int i = 0; i < 10; ++i) {
      const std::string name = "f" + std::to_string(i);
      auto n = v->Lookup(kRootIno, name);
      ASSERT_TRUE(n.ok());
      const std::string patch = Bytes(rng, 30'000);
      ASSERT_TRUE(v->Write(n->ino, 500, patch).ok());
      if (files[name].size() < 500 + patch.size()) files[name].resize(500 + patch.size());
      files[name].replace(500, patch.size(), patch);
    }
    for (int i = 30; i < 40; ++i) {
      ASSERT_TRUE(v->Unlink(kRootIno, "f" + std::to_string(i)).ok());
      files.erase("f" + std::to_string(i));
    }
    ASSERT_TRUE(v->Checkpoint().ok());
  }
  // One version, nothing quarantined: checkpoints do not pile up in the home's list.
  auto list = f.api->backend().GetVersionList(kHome);
  ASSERT_TRUE(list.ok() && list->has_value());
  EXPECT_EQ((*list)->versions().size(), 1u);
  EXPECT_TRUE((*list)->quarantine().empty());
  auto pass = f.collector->RunPass();
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_GT(pass->chunks_freed, 10u) << "what the volume dropped";
  EXPECT_GT(pass->chunks_marked, 40u);
  auto v = f.Open();
  ExpectFiles(*v, files);
  // Every file the volume dropped is gone, and a second pass frees nothing more.
  EXPECT_EQ(v->Lookup(kRootIno, "f35").status().posix_errno(), ENOENT);
  auto again = f.collector->RunPass();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->chunks_freed, 0u);
}

TEST(VolumeHomeTest, APassWaitsForTheCheckpointOfChangesUnderWay) {
  Fixture f;
  std::mt19937_64 rng(4);
  auto v = f.Open();
  ASSERT_TRUE(v->Checkpoint().ok());
  auto n = v->Create(kRootIno, "late", 0644, 0, 0);
  ASSERT_TRUE(n.ok());
  const std::string data = Bytes(rng, 300'000);
  ASSERT_TRUE(v->Write(n->ino, 0, data).ok());
  // The pass begins while those changes wait for a checkpoint: it waits for them.
  std::atomic<bool> done{false};
  Result<GcPassResult> pass = Status::Internal("not run");
  std::thread t([&] {
    pass = f.collector->RunPass();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(done) << "the pass did not wait for the volume's changes";
  ASSERT_TRUE(v->Checkpoint().ok());
  t.join();
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  v.reset();
  auto reopened = f.Open();
  ExpectFiles(*reopened, {{"late", data}});
}

// Two mounts of one volume (two processes on a cluster): the first checkpoint wins, and
// the other's is refused instead of replacing it; both new, or both opened from one
// checkpoint, alike.
TEST(VolumeHomeTest, TwoMountsOfOneVolumeNeverCheckpointOverEachOther) {
  Fixture f;
  auto a = f.Open(), b = f.Open();  // both find no home: two new volumes
  ASSERT_TRUE(a->Create(kRootIno, "from-a", 0644, 0, 0).ok());
  ASSERT_TRUE(b->Create(kRootIno, "from-b", 0644, 0, 0).ok());
  ASSERT_TRUE(a->Checkpoint().ok());
  auto refused = b->Checkpoint();
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition) << refused.status().ToString();
  auto c = f.Open(), d = f.Open();  // both from a's checkpoint
  ASSERT_TRUE(c->Lookup(kRootIno, "from-a").ok());
  EXPECT_EQ(c->Lookup(kRootIno, "from-b").status().posix_errno(), ENOENT) << "b's refused checkpoint landed";
  ASSERT_TRUE(c->Create(kRootIno, "from-c", 0644, 0, 0).ok());
  ASSERT_TRUE(d->Create(kRootIno, "from-d", 0644, 0, 0).ok());
  ASSERT_TRUE(d->Checkpoint().ok());
  EXPECT_EQ(c->Checkpoint().status().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(d->Create(kRootIno, "again-d", 0644, 0, 0).ok());
  ASSERT_TRUE(d->Checkpoint().ok()) << "a mount checkpoints over its own last checkpoint";
  auto e = f.Open();
  EXPECT_TRUE(e->Lookup(kRootIno, "from-d").ok());
  EXPECT_TRUE(e->Lookup(kRootIno, "again-d").ok());
  EXPECT_EQ(e->Lookup(kRootIno, "from-c").status().posix_errno(), ENOENT);
}

}  // namespace
}  // namespace ccow::fs
