// Compaction's copies and the puts' group commit (ChunkStore::Commit): a commit pays the
// segment fdatasync only for bytes it indexes. While compaction has copies appended and
// not yet committed, a version-list write whose chunks were all deduplicated syncs no
// segment file; a put of a new chunk still does, and everything stays readable after a
// reopen.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "store/chunk_store.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

using Chunk = testing::TestChunk;
using testing::MakeSegmentChunk;

// The POSIX medium, counting writes and syncs; a hook runs (once) at the first read after
// a write, where compaction has appended a copy and not committed it.
class CountingMedium : public Medium {
 public:
  Result<int> Open(const std::string& path, bool create) override { return base_->Open(path, create); }
  Result<int> OpenDirect(const std::string& path) override { return base_->OpenDirect(path); }
  Status Close(int fd) override { return base_->Close(fd); }
  Status WriteAt(int fd, const struct iovec* iov, int iovcnt, uint64_t offset) override {
    ++writes;
    return base_->WriteAt(fd, iov, iovcnt, offset);
  }
  Status ReadAt(int fd, void* buf, size_t n, uint64_t offset) override {
    if (on_read_after_write && writes > armed_at) {
      auto hook = std::move(on_read_after_write);
      on_read_after_write = nullptr;
      hook();
    }
    return base_->ReadAt(fd, buf, n, offset);
  }
  Status Sync(int fd) override {
    ++syncs;
    return base_->Sync(fd);
  }
  Status Truncate(int fd, uint64_t size) override { return base_->Truncate(fd, size); }
  Result<uint64_t> FileSize(int fd) override { return base_->FileSize(fd); }
  Status SyncDirectory(const std::string& dir) override { return base_->SyncDirectory(dir); }
  Status Remove(const std::string& path) override { return base_->Remove(path); }

  void Arm(std::function<void()> hook) {
    armed_at = writes.load();
    on_read_after_write = std::move(hook);
  }

  std::atomic<uint64_t> writes{0}, syncs{0};

 private:
  std::function<void()> on_read_after_write;
  uint64_t armed_at = 0;
  std::shared_ptr<Medium> base_ = PosixMedium();
};

class CompactionCommitTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChunkStore> Open() {
    StoreOptions o;
    o.path = dir_.path();
    o.segment_size = 1 << 20;
    o.medium = medium_;
    auto s = ChunkStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  ScratchDir dir_;
  std::shared_ptr<CountingMedium> medium_ = std::make_shared<CountingMedium>();
};

TEST_F(CompactionCommitTest, DedupedPutCommitDoesNotSyncCopiesCompactionHasNotCommitted) {
  std::vector<Chunk> kept;
  const Chunk fresh = MakeSegmentChunk(99);
  {
    auto s = Open();
    for (int i = 0; i < 30; ++i) {
      Chunk c = MakeSegmentChunk(500 + i);
      bool stored = false;
      ASSERT_TRUE(s->Put(c.id, c.data, &stored).ok());
      if (i % 2 == 0) kept.push_back(c);
    }
    ASSERT_TRUE(s->Sync().ok());
    for (int i = 1; i < 30; i += 2) ASSERT_TRUE(s->RemoveChunk(MakeSegmentChunk(500 + i).id).ok());

    uint64_t deduped_syncs = 0, new_put_syncs = 0;
    bool ran = false;
    medium_->Arm([&] {
      ran = true;
      // A put whose chunk is stored already, then its version list: nothing appended.
      bool stored = true;
      ASSERT_TRUE(s->Put(kept[0].id, kept[0].data, &stored).ok());
      ASSERT_FALSE(stored);
      uint64_t before = medium_->syncs;
      ASSERT_TRUE(s->PutVersionList("ccow/t/b/deduped", "v1").ok());
      deduped_syncs = medium_->syncs - before;
      // A put of a new chunk must still reach the disk before its version list commits.
      ASSERT_TRUE(s->Put(fresh.id, fresh.data, &stored).ok());
      ASSERT_TRUE(stored);
      before = medium_->syncs;
      ASSERT_TRUE(s->PutVersionList("ccow/t/b/fresh", "v1").ok());
      new_put_syncs = medium_->syncs - before;
    });
    auto r = s->CompactSegments({});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(ran) << "compaction copied nothing";
    ASSERT_GT(r->bytes_rewritten, 0u);
    EXPECT_EQ(deduped_syncs, 0u) << "the deduplicated put's commit synced compaction's copies";
    EXPECT_GE(new_put_syncs, 1u) << "the new chunk's commit did not sync its segment";
  }
  // Reopened (the unsynced tails cut back): every chunk and both lists are there.
  auto s = Open();
  ASSERT_NE(s, nullptr);
  kept.push_back(fresh);
  for (const Chunk& c : kept) {
    std::string out;
    ASSERT_TRUE(s->Get(c.id, &out).ok()) << c.id.ToString();
    EXPECT_EQ(out, c.data);
  }
  for (const char* name : {"ccow/t/b/deduped", "ccow/t/b/fresh"}) {
    auto v = s->GetVersionList(name);
    ASSERT_TRUE(v.ok() && v->has_value()) << name;
    EXPECT_EQ(**v, "v1");
  }
}

}  // namespace
}  // namespace ccow
