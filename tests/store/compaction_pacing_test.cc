// Paced segment compaction (CompactionOptions::max_bytes_per_second, the garbage
// collector's --gc-rate, and CompactionOptions::stop): the rewrite never runs ahead of
// its rate, and one stopped mid-way loses nothing and is finished by the next call.
// On a fake clock (tests/core/fake_pace_time.h): exact, and in no real time.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "core/fake_pace_time.h"
#include "store/chunk_store.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::FakePaceTime;
using testing::RandomBytes;
using testing::ScratchDir;

using Chunk = testing::TestChunk;
using testing::MakeSegmentChunk;
constexpr uint64_t kMaxChunk = 250 << 10;

// The POSIX medium, noting for every write the fake time it was made at and how many
// bytes were written before it.
class TimedMedium : public Medium {
 public:
  explicit TimedMedium(FakePaceTime* time) : time_(time) {}
  struct Write {
    double at_seconds;
    uint64_t bytes_before;
  };
  Result<int> Open(const std::string& path, bool create) override { return base_->Open(path, create); }
  Result<int> OpenDirect(const std::string& path) override { return base_->OpenDirect(path); }
  Status Close(int fd) override { return base_->Close(fd); }
  Status WriteAt(int fd, const struct iovec* iov, int iovcnt, uint64_t offset) override {
    uint64_t n = 0;
    for (int i = 0; i < iovcnt; ++i) n += iov[i].iov_len;
    {
      std::lock_guard lock(mu_);
      writes_.push_back({time_->seconds(), written_});
      written_ += n;
    }
    return base_->WriteAt(fd, iov, iovcnt, offset);
  }
  Status ReadAt(int fd, void* buf, size_t n, uint64_t offset) override { return base_->ReadAt(fd, buf, n, offset); }
  Status Sync(int fd) override { return base_->Sync(fd); }
  Status Truncate(int fd, uint64_t size) override { return base_->Truncate(fd, size); }
  Result<uint64_t> FileSize(int fd) override { return base_->FileSize(fd); }
  Status SyncDirectory(const std::string& dir) override { return base_->SyncDirectory(dir); }
  Status Remove(const std::string& path) override { return base_->Remove(path); }

  void Reset() {
    std::lock_guard lock(mu_);
    writes_.clear();
    written_ = 0;
  }
  std::vector<Write> writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }

 private:
  FakePaceTime* time_;
  std::shared_ptr<Medium> base_ = PosixMedium();
  std::mutex mu_;
  std::vector<Write> writes_;
  uint64_t written_ = 0;
};

class CompactionPacingTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChunkStore> Open() {
    StoreOptions o;
    o.path = dir_.path();
    o.segment_size = 1 << 20;  // small, so a few MiB span many segments
    o.medium = medium_;
    auto s = ChunkStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Puts n chunks and removes every other one: each segment is about half dead.
  void Fill(ChunkStore* s, int n) {
    for (int i = 0; i < n; ++i) {
      Chunk c = MakeSegmentChunk(7000 + i);
      bool fresh = false;
      ASSERT_TRUE(s->Put(c.id, c.data, &fresh).ok());
      (i % 2 == 0 ? kept_ : removed_).push_back(std::move(c));
    }
    ASSERT_TRUE(s->Sync().ok());
    for (const Chunk& c : removed_) ASSERT_TRUE(s->RemoveChunk(c.id).ok());
  }

  void ExpectKeptReadableAndRemovedGone(ChunkStore* s) {
    for (const Chunk& c : kept_) {
      std::string out;
      Status st = s->Get(c.id, &out);
      ASSERT_TRUE(st.ok()) << c.id.ToString() << ": " << st.ToString();
      ASSERT_EQ(out, c.data);
    }
    for (const Chunk& c : removed_) {
      std::string out;
      EXPECT_TRUE(s->Get(c.id, &out).IsNotFound()) << c.id.ToString();
    }
    EXPECT_EQ(s->Capacity().chunk_count, kept_.size());
  }

  ScratchDir dir_;
  FakePaceTime time_;
  std::shared_ptr<TimedMedium> medium_ = std::make_shared<TimedMedium>(&time_);
  std::vector<Chunk> kept_, removed_;
};

TEST_F(CompactionPacingTest, RewriteNeverRunsAheadOfItsRate) {
  auto s = Open();
  Fill(s.get(), 60);  // ~9.5 MiB over ~10 segments, half of it removed
  medium_->Reset();
  CompactionOptions paced;
  paced.min_dead_fraction = 0.25;
  paced.max_bytes_per_second = 1 << 20;
  paced.pace_time = &time_;
  auto r = s->CompactSegments(paced);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GT(r->bytes_rewritten, 2u << 20);
  EXPECT_FALSE(r->stopped_early);

  // The pass took exactly its bytes over the rate: not faster, and no slower either.
  EXPECT_NEAR(time_.seconds(), static_cast<double>(r->bytes_rewritten) / paced.max_bytes_per_second, 1e-3);
  // At every write, what was written before it fits the rate so far, give or take the
  // record being paced (written before its sleep) and each record's header and padding.
  auto writes = medium_->writes();
  ASSERT_GT(writes.size(), 10u);
  for (size_t i = 0; i < writes.size(); ++i) {
    double allowed = writes[i].at_seconds * paced.max_bytes_per_second + kMaxChunk + (i + 1) * 4160.0;
    EXPECT_LE(writes[i].bytes_before, allowed) << "write " << i << " at " << writes[i].at_seconds << " s";
  }
  ExpectKeptReadableAndRemovedGone(s.get());
}

TEST_F(CompactionPacingTest, UnlimitedRewriteNeverSleeps) {
  auto s = Open();
  Fill(s.get(), 30);
  CompactionOptions unpaced;
  unpaced.pace_time = &time_;  // max_bytes_per_second 0: unlimited
  auto r = s->CompactSegments(unpaced);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GT(r->bytes_rewritten, 0u);
  EXPECT_EQ(time_.sleeps(), 0u);
  ExpectKeptReadableAndRemovedGone(s.get());
}

TEST_F(CompactionPacingTest, CompactionStoppedMidPassLosesNothingAndTheNextCallFinishes) {
  uint64_t files_before = 0;
  {
    auto s = Open();
    Fill(s.get(), 60);
    files_before = s->Capacity().payload_file_bytes;
    std::stop_source stop;
    time_.StopAtSleep(&stop, 5);  // a daemon stopping while the fifth copy is paced
    CompactionOptions paced;
    paced.max_bytes_per_second = 1 << 20;
    paced.pace_time = &time_;
    paced.stop = stop.get_token();
    paced.compact_index = true;
    auto r = s->CompactSegments(paced);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->stopped_early);
    EXPECT_EQ(time_.sleeps(), 5u) << "no record is copied after the stop";
    EXPECT_GE(r->bytes_rewritten, 5u * (70 << 10));
    EXPECT_LE(r->bytes_rewritten, 5 * kMaxChunk);
    ExpectKeptReadableAndRemovedGone(s.get());
  }
  // As after a restart: everything is where the index says, and the next compaction
  // (unlimited) gives the rest back.
  auto s = Open();
  ASSERT_NE(s, nullptr);
  ExpectKeptReadableAndRemovedGone(s.get());
  auto rest = s->CompactSegments({});
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_FALSE(rest->stopped_early);
  uint64_t live = 0;
  for (const Chunk& c : kept_) live += c.data.size();
  EXPECT_LT(s->Capacity().payload_file_bytes, files_before);
  EXPECT_LE(s->Capacity().payload_file_bytes, live * 11 / 10 + (1 << 20) + (64 << 10));
  ExpectKeptReadableAndRemovedGone(s.get());
}

TEST_F(CompactionPacingTest, AStopRequestEndsASlowRealTimeCompactionAtOnce) {
  auto s = Open();
  Fill(s.get(), 40);  // ~3 MiB live to rewrite: at 64 KiB/s, about 50 s
  std::stop_source stop;
  CompactionOptions slow;
  slow.max_bytes_per_second = 64 << 10;
  slow.stop = stop.get_token();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  auto r = s->CompactSegments(slow);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stopper.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stopped_early);
  EXPECT_LT(seconds, 10.0);
  ExpectKeptReadableAndRemovedGone(s.get());
}

}  // namespace
}  // namespace ccow
