#include <set>
#include "store/chunk_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>
#include <vector>

#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

class ChunkStoreTest : public ::testing::TestWithParam<PayloadLayout> {
 protected:
  std::unique_ptr<ChunkStore> Open(std::shared_ptr<Medium> medium = nullptr) {
    StoreOptions o;
    o.path = dir_.path();
    o.layout = GetParam();
    o.segment_size = 4 << 20;  // small, so tests cross segment boundaries
    o.medium = std::move(medium);
    auto s = ChunkStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  HashId PutOne(ChunkStore* s, const std::string& bytes, bool* stored_new = nullptr) {
    HashId id = HashBytes(HashAlgo::kSha256, bytes);
    bool fresh = false;
    EXPECT_TRUE(s->Put(id, bytes, &fresh).ok());
    if (stored_new) *stored_new = fresh;
    return id;
  }

  ScratchDir dir_;
};

TEST_P(ChunkStoreTest, PutThenGetReturnsTheSameBytes) {
  auto s = Open();
  std::string data = RandomBytes(100000, 1);
  HashId id = PutOne(s.get(), data);
  std::string out;
  ASSERT_TRUE(s->Get(id, &out).ok());  // visible before sync
  EXPECT_EQ(out, data);
  ASSERT_TRUE(s->Sync().ok());
  ASSERT_TRUE(s->Get(id, &out).ok());
  EXPECT_EQ(out, data);
}

TEST_P(ChunkStoreTest, PuttingAnExistingChunkWritesNothing) {
  auto s = Open();
  std::string data = RandomBytes(50000, 2);
  bool fresh = false;
  PutOne(s.get(), data, &fresh);
  EXPECT_TRUE(fresh);
  ASSERT_TRUE(s->Sync().ok());
  PutOne(s.get(), data, &fresh);
  EXPECT_FALSE(fresh);
  EXPECT_EQ(s->Stats().chunks_written, 1u);
  EXPECT_EQ(s->Stats().chunks_deduplicated, 1u);
  EXPECT_EQ(s->Capacity().chunk_count, 1u);
  EXPECT_EQ(s->Capacity().payload_bytes, 50000u);
}

TEST_P(ChunkStoreTest, SyncedChunksSurviveReopen) {
  std::vector<std::pair<HashId, std::string>> chunks;
  {
    auto s = Open();
    for (int i = 0; i < 20; ++i) {
      std::string d = RandomBytes(300000 + i, 100 + i);  // crosses the 4 MiB segment size
      chunks.emplace_back(PutOne(s.get(), d), d);
    }
    ASSERT_TRUE(s->Sync().ok());
  }
  auto s = Open();
  for (const auto& [id, d] : chunks) {
    std::string out;
    ASSERT_TRUE(s->Get(id, &out).ok()) << id.ToString();
    EXPECT_EQ(out, d);
  }
  EXPECT_EQ(s->Capacity().chunk_count, 20u);
}

TEST_P(ChunkStoreTest, AStreamOfSmallChunksWithoutSyncsIsMadeDurableInBoundedBatches) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  // 48 MiB of 64 KiB chunks and no Sync: beyond 32 MiB waiting, a put commits them.
  std::vector<std::pair<HashId, std::string>> chunks;
  for (int i = 0; i < 768; ++i) {
    std::string bytes = RandomBytes(64 << 10, 1000 + i);
    chunks.emplace_back(PutOne(s.get(), bytes), bytes);
  }
  // (The segments layout holds small chunks in memory until a commit; the other writes
  // them to RocksDB at once.)
  if (GetParam() == PayloadLayout::kSegments) EXPECT_GE(s->Stats().syncs, 1u);
  ASSERT_TRUE(s->Sync().ok());
  s.reset();
  s = Open();
  ASSERT_NE(s, nullptr);
  for (const auto& [id, bytes] : chunks) {
    std::string out;
    ASSERT_TRUE(s->Get(id, &out).ok()) << id.ToString();
    ASSERT_EQ(out, bytes);
  }
}

TEST_P(ChunkStoreTest, ScanChunksVisitsEachOnceAndResumesAfterACursor) {
  auto s = Open();
  std::set<HashId> put;
  for (int i = 0; i < 30; ++i) put.insert(PutOne(s.get(), RandomBytes(i < 15 ? 100 : 70000, 200 + i)));
  ASSERT_TRUE(s->Sync().ok());
  std::vector<HashId> first;
  ASSERT_TRUE(s->ScanChunks(std::nullopt, [&](const HashId& id) {
                   first.push_back(id);
                   return first.size() < 10;
                 }).ok());
  ASSERT_EQ(first.size(), 10u);
  std::vector<HashId> rest;
  ASSERT_TRUE(s->ScanChunks(first.back(), [&](const HashId& id) {
                   rest.push_back(id);
                   return true;
                 }).ok());
  std::set<HashId> seen(first.begin(), first.end());
  for (const auto& id : rest) EXPECT_TRUE(seen.insert(id).second) << "visited twice";
  EXPECT_EQ(seen, put);
}

TEST_P(ChunkStoreTest, RemovedChunkIsGoneAfterReopenAndCountsDrop) {
  HashId small, large;
  {
    auto s = Open();
    small = PutOne(s.get(), RandomBytes(100, 301));
    large = PutOne(s.get(), RandomBytes(80000, 302));
    ASSERT_TRUE(s->Sync().ok());
    ASSERT_TRUE(s->RemoveChunk(large).ok());
    ASSERT_TRUE(s->RemoveChunk(large).ok());  // removing an absent chunk is not an error
    EXPECT_EQ(s->Capacity().chunk_count, 1u);
    EXPECT_EQ(s->Capacity().payload_bytes, 100u);
  }
  auto s = Open();
  std::string out;
  EXPECT_TRUE(s->Get(large, &out).IsNotFound());
  EXPECT_TRUE(s->Get(small, &out).ok());
  EXPECT_EQ(s->Capacity().chunk_count, 1u);
}

TEST_P(ChunkStoreTest, ReplicationCountIsRecordedDurablyOnlyEverRaisedAndRemovedWithTheChunk) {
  HashId a, b;
  {
    auto s = Open();
    a = PutOne(s.get(), RandomBytes(100, 311));
    b = PutOne(s.get(), RandomBytes(80000, 312));
    EXPECT_EQ(*s->ReplicationCount(a), 0u) << "nothing recorded yet";
    EXPECT_TRUE(*s->RecordReplicationCount(a, 2));
    EXPECT_EQ(*s->ReplicationCount(a), 2u) << "a pending record is served before the sync";
    EXPECT_FALSE(*s->RecordReplicationCount(a, 1)) << "never lowered";
    EXPECT_TRUE(*s->RecordReplicationCount(a, 4));
    EXPECT_TRUE(*s->RecordReplicationCount(b, 3));
    ASSERT_TRUE(s->Sync().ok());
    EXPECT_FALSE(*s->RecordReplicationCount(a, 4)) << "equal is not a raise";
  }
  {
    auto s = Open();
    EXPECT_EQ(*s->ReplicationCount(a), 4u);
    EXPECT_EQ(*s->ReplicationCount(b), 3u);
    ASSERT_TRUE(s->RemoveChunk(b).ok());
    EXPECT_EQ(*s->ReplicationCount(b), 0u) << "a removed chunk keeps no record";
  }
  auto s = Open();
  EXPECT_EQ(*s->ReplicationCount(a), 4u);
  EXPECT_EQ(*s->ReplicationCount(b), 0u);
}

// The garbage collector's sweep lowers counts to what the referencing versions need: set
// exactly (down as well as up), durably, in one write, after what was put or raised before
// the call is synced; absent chunks get no record; 0 removes the record.
TEST_P(ChunkStoreTest, SetReplicationCountsLowersDurablyAndLeavesAPendingRaiseAlone) {
  HashId a, b, c, absent = HashBytes(HashAlgo::kSha256, "never stored");
  {
    auto s = Open();
    a = PutOne(s.get(), RandomBytes(100, 321));
    b = PutOne(s.get(), RandomBytes(80000, 322));
    c = PutOne(s.get(), RandomBytes(300, 323));
    for (const HashId& id : {a, b, c}) EXPECT_TRUE(*s->RecordReplicationCount(id, 4));
    ASSERT_TRUE(s->Sync().ok());
    ASSERT_TRUE(s->SetReplicationCounts({{a, 1}, {b, 2}, {absent, 3}}).ok());
    EXPECT_EQ(*s->ReplicationCount(a), 1u);
    EXPECT_EQ(*s->ReplicationCount(b), 2u);
    EXPECT_EQ(*s->ReplicationCount(absent), 0u) << "no record for a chunk not stored";
    EXPECT_FALSE(*s->Contains(absent));
    EXPECT_TRUE(*s->RecordReplicationCount(a, 3)) << "a later put raises it again";
    ASSERT_TRUE(s->Sync().ok());
    ASSERT_TRUE(s->SetReplicationCount(c, 0).ok());
    EXPECT_EQ(*s->ReplicationCount(c), 0u) << "0 removes the record";
  }
  auto s = Open();
  EXPECT_EQ(*s->ReplicationCount(a), 3u);
  EXPECT_EQ(*s->ReplicationCount(b), 2u);
  EXPECT_EQ(*s->ReplicationCount(c), 0u);
  EXPECT_EQ(*s->ReplicationCount(absent), 0u);
}

// Group commits and removals both write the durable chunk counters; run them at once
// (the counters once raced: a commit read them unlocked while a removal wrote them, and
// the later of the two index writes dropped the other's update). Under `make tsan` the
// old code reports a data race here.
TEST_P(ChunkStoreTest, ConcurrentCommitsAndRemovalsKeepTheCountsRight) {
  constexpr int kRemoved = 40, kAdded = 40;
  std::vector<HashId> old_ids;
  uint64_t kept_bytes = 0;
  {
    auto s = Open();
    for (int i = 0; i < kRemoved; ++i) old_ids.push_back(PutOne(s.get(), RandomBytes(500 + i, 400 + i)));
    ASSERT_TRUE(s->Sync().ok());
    std::thread remover([&] {
      for (const auto& id : old_ids) EXPECT_TRUE(s->RemoveChunk(id).ok());
    });
    for (int i = 0; i < kAdded; ++i) {
      std::string bytes = RandomBytes(1000 + i, 900 + i);
      kept_bytes += bytes.size();
      PutOne(s.get(), bytes);
      if (i % 2 == 0)
        EXPECT_TRUE(s->Sync().ok());
      else
        EXPECT_TRUE(s->PutVersionList("t/b/o" + std::to_string(i), std::string_view("v")).ok());
    }
    remover.join();
    ASSERT_TRUE(s->Sync().ok());
    EXPECT_EQ(s->Capacity().chunk_count, uint64_t{kAdded});
    EXPECT_EQ(s->Capacity().payload_bytes, kept_bytes);
  }
  auto s = Open();  // the counters as they were written to the index
  EXPECT_EQ(s->Capacity().chunk_count, uint64_t{kAdded});
  EXPECT_EQ(s->Capacity().payload_bytes, kept_bytes);
}

TEST_P(ChunkStoreTest, MissingChunkIsNotFound) {
  auto s = Open();
  std::string out;
  EXPECT_TRUE(s->Get(HashBytes(HashAlgo::kSha256, "nope"), &out).IsNotFound());
  EXPECT_FALSE(*s->Contains(HashBytes(HashAlgo::kSha256, "nope")));
}

TEST_P(ChunkStoreTest, ChunkStoredUnderAWrongIdFailsVerificationNamingIt) {
  auto s = Open();
  HashId claimed = HashBytes(HashAlgo::kSha256, "what the caller said");
  bool fresh = false;
  ASSERT_TRUE(s->Put(claimed, "different bytes", &fresh).ok());
  std::string out;
  Status st = s->Get(claimed, &out);
  EXPECT_TRUE(st.IsCorruption());
  EXPECT_NE(st.message().find(claimed.ToString()), std::string::npos) << st.message();
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s->Stats().verify_failures, 1u);
}

TEST_P(ChunkStoreTest, VersionListsAreOrderedAndDurable) {
  {
    auto s = Open();
    for (const char* n : {"S/T/B/b", "S/T/B/a", "S/T/C/a", "S/T/B/c"})
      ASSERT_TRUE(s->PutVersionList(n, std::string("v-") + n).ok());
    ASSERT_TRUE(s->PutVersionList("S/T/B/c", std::nullopt).ok());
  }
  auto s = Open();
  std::vector<std::string> names;
  ASSERT_TRUE(s->ScanVersionLists("S/T/B/", "", [&](std::string_view n, std::string_view v) {
                 names.emplace_back(n);
                 EXPECT_EQ(v, "v-" + std::string(n));
                 return true;
               }).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"S/T/B/a", "S/T/B/b"}));
  names.clear();
  ASSERT_TRUE(s->ScanVersionLists("S/T/B/", "a", [&](std::string_view n, std::string_view) {
                 names.emplace_back(n);
                 return true;
               }).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"S/T/B/b"}));
  EXPECT_FALSE(s->GetVersionList("S/T/B/c")->has_value());
}

TEST_P(ChunkStoreTest, ReportsCapacityAndUtilization) {
  auto s = Open();
  PutOne(s.get(), RandomBytes(4096, 3));
  StoreCapacity c = s->Capacity();
  EXPECT_GT(c.total_bytes, 0u);
  EXPECT_LE(c.free_bytes, c.total_bytes);
  EXPECT_GT(c.utilization(), 0.0);
  EXPECT_LT(c.utilization(), 1.0);
  EXPECT_EQ(c.payload_bytes, 4096u);
}

TEST_P(ChunkStoreTest, SecondOpenOfTheSameDirectoryIsBusy) {
  auto s = Open();
  StoreOptions o;
  o.path = dir_.path();
  auto second = ChunkStore::Open(o);
  EXPECT_EQ(second.status().code(), Code::kBusy) << second.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Layouts, ChunkStoreTest,
                         ::testing::Values(PayloadLayout::kSegments, PayloadLayout::kBlobDb),
                         [](const auto& info) { return std::string(PayloadLayoutName(info.param)); });

// On-disk damage to segment files: the bytes live in files we can break directly.
class SegmentDamageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.path = dir_.path();
    auto s = ChunkStore::Open(o);
    ASSERT_TRUE(s.ok());
    for (int i = 0; i < 3; ++i) {
      data_[i] = RandomBytes(100000, 50 + i);  // above the inline limit: in the segment
      ids_[i] = HashBytes(HashAlgo::kSha256, data_[i]);
      bool fresh;
      ASSERT_TRUE((*s)->Put(ids_[i], data_[i], &fresh).ok());
    }
    ASSERT_TRUE((*s)->Sync().ok());
  }

  std::unique_ptr<ChunkStore> Reopen() {
    StoreOptions o;
    o.path = dir_.path();
    auto s = ChunkStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::string Segment() const { return dir_.path() + "/segments/00000001.seg"; }

  ScratchDir dir_;
  std::string data_[3];
  HashId ids_[3];
};

TEST_F(SegmentDamageTest, FlippedBitIsDetectedAndNamesTheChunk) {
  {
    std::fstream f(Segment(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-5000, std::ios::end);  // inside the last chunk's payload
    char c;
    f.get(c);
    f.seekp(-5000, std::ios::end);
    f.put(static_cast<char>(c ^ 0x10));
  }
  auto s = Reopen();
  std::string out;
  Status st = s->Get(ids_[2], &out);
  EXPECT_TRUE(st.IsCorruption());
  EXPECT_NE(st.message().find(ids_[2].ToString()), std::string::npos) << st.message();
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(s->Get(ids_[0], &out).ok());  // neighbours unaffected
  EXPECT_EQ(out, data_[0]);
}

TEST_F(SegmentDamageTest, TruncatedSegmentIsDetectedOnReadAndStoreStaysWritable) {
  std::filesystem::resize_file(Segment(), std::filesystem::file_size(Segment()) - 3000);
  auto s = Reopen();
  std::string out;
  Status st = s->Get(ids_[2], &out);
  EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find(ids_[2].ToString()), std::string::npos);
  ASSERT_TRUE(s->Get(ids_[0], &out).ok());
  // New writes go to a fresh segment, never into the damaged one.
  std::string fresh_data = RandomBytes(70000, 99);
  HashId fresh_id = HashBytes(HashAlgo::kSha256, fresh_data);
  bool fresh;
  ASSERT_TRUE(s->Put(fresh_id, fresh_data, &fresh).ok());
  ASSERT_TRUE(s->Sync().ok());
  ASSERT_TRUE(s->Get(fresh_id, &out).ok());
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/segments/00000002.seg"));
}

TEST_F(SegmentDamageTest, MissingSegmentFileIsReportedPerChunk) {
  std::filesystem::remove(Segment());
  auto s = Reopen();
  std::string out;
  for (const auto& id : ids_) {
    Status st = s->Get(id, &out);
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
    EXPECT_NE(st.message().find(id.ToString()), std::string::npos);
  }
}

TEST(ChunkStoreFaultTest, FullDiskFailsThePutAndKeepsTheStoreConsistent) {
  ScratchDir dir;
  auto medium = std::make_shared<LimitedMedium>(1 << 20);
  StoreOptions o;
  o.path = dir.path();
  o.medium = medium;
  std::vector<std::pair<HashId, std::string>> kept;
  {
    auto s = ChunkStore::Open(o);
    ASSERT_TRUE(s.ok());
    Status st;
    for (int i = 0; i < 100 && st.ok(); ++i) {
      std::string d = RandomBytes(100000, 200 + i);
      HashId id = HashBytes(HashAlgo::kSha256, d);
      bool fresh;
      st = (*s)->Put(id, d, &fresh);
      if (st.ok()) kept.emplace_back(id, d);
    }
    EXPECT_EQ(st.code(), Code::kNoSpace) << st.ToString();
    EXPECT_GE(kept.size(), 9u);
    ASSERT_TRUE((*s)->Sync().ok());  // what was accepted is still committable
    std::string out;
    for (const auto& [id, d] : kept) ASSERT_TRUE((*s)->Get(id, &out).ok());
  }
  medium->set_capacity(UINT64_MAX);
  auto s = ChunkStore::Open(o);
  ASSERT_TRUE(s.ok());
  std::string out;
  for (const auto& [id, d] : kept) {
    ASSERT_TRUE((*s)->Get(id, &out).ok());
    EXPECT_EQ(out, d);
  }
}

TEST(ChunkStoreFaultTest, FailedSyncStopsFurtherWrites) {
  ScratchDir dir;
  auto medium = std::make_shared<LimitedMedium>(UINT64_MAX);
  StoreOptions o;
  o.path = dir.path();
  o.medium = medium;
  auto s = ChunkStore::Open(o);
  ASSERT_TRUE(s.ok());
  bool fresh;
  std::string big = RandomBytes(100000, 7);  // a segment record, so the sync touches the medium
  ASSERT_TRUE((*s)->Put(HashBytes(HashAlgo::kSha256, big), big, &fresh).ok());
  medium->FailNextSync();
  EXPECT_FALSE((*s)->Sync().ok());
  EXPECT_FALSE((*s)->Put(HashBytes(HashAlgo::kSha256, "b"), "b", &fresh).ok());
  EXPECT_FALSE((*s)->PutVersionList("S/T/B/x", "v").ok());
}

}  // namespace
}  // namespace ccow
