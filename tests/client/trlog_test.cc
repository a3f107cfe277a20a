// The trlog (client/trlog.h, issue 14): every change of a bucket an ISGW link sends from is
// recorded, durably, before it commits (puts, deletes, delete markers, snapshots, merges
// that change the list), and nothing else is (unserved buckets, Object Lock, a merge that
// changes nothing, the log's own objects); concurrent writers share flushes; a reader from
// a second on sees every record from there; trimming removes whole seconds and leaves the
// later ones; a record's decoder refuses what an encoder would not produce.
#include "client/trlog.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "client/byte_stream.h"
#include "client/object_api.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::ScratchDir;

constexpr char kServed[] = "S/T/served";

struct Site {
  Site() {
    auto backend = OpenLocalBackend(dir.path());
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    ApiOptions opts;
    opts.clock = [this] { return clock_ns.load(); };
    opts.trlog_records = [](const std::string& bucket) { return bucket == kServed; };
    api = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), opts);
  }
  void Put(const std::string& name, const std::string& data) {
    StringSource src(data);
    auto info = api->Put(name, src, PutOptions{});
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }
  // Every name the log of the served bucket holds from second `from` on, with how many
  // records each appeared in.
  std::map<std::string, int> Changed(uint64_t from = 0, std::vector<uint64_t>* seconds = nullptr) {
    std::map<std::string, int> out;
    Status s = ReadTrlog(*api, kServed, from, [&](const TrlogEntry& e) {
      for (const auto& n : e.names) out[n]++;
      if (seconds) seconds->push_back(e.second);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  ScratchDir dir;
  std::atomic<uint64_t> clock_ns{1'000'000'000'000ull};  // second 1000
  std::unique_ptr<ObjectApi> api;
};

TEST(TrlogTest, EveryChangeOfAServedBucketIsRecordedAndNothingElse) {
  Site site;
  site.Put("S/T/served/a", "one");
  site.Put("S/T/served/dir/b", "two");
  site.Put("S/T/other/c", "not served");
  EXPECT_EQ(site.Changed(), (std::map<std::string, int>{{"S/T/served/a", 1}, {"S/T/served/dir/b", 1}}));

  ASSERT_TRUE(site.api->Delete("S/T/served/a", std::nullopt).ok());
  ASSERT_TRUE(site.api->PutDeleteMarker("S/T/served/dir/b").ok());
  ASSERT_TRUE(site.api->CreateSnapshot("S/T/served/dir/b", "snap", {}).ok());
  // Object Lock and storage class stay at each segment: not recorded.
  ASSERT_TRUE(site.api->SetLegalHold("S/T/served/dir/b", 1, true).ok());
  ASSERT_TRUE(site.api->Delete("S/T/other/c", std::nullopt).ok());
  EXPECT_EQ(site.Changed(), (std::map<std::string, int>{{"S/T/served/a", 2}, {"S/T/served/dir/b", 3}}));

  // The log is objects of the internal bucket .trlog, one per second, none listed as the
  // bucket's own.
  ListOptions list;
  list.prefix = "S/T/served/";
  auto listed = site.api->List(list);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->names, (std::vector<std::string>{}));  // a deleted, b a delete marker
  list.prefix = "S/T/.trlog/";
  listed = site.api->List(list);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->names, (std::vector<std::string>{"S/T/.trlog/served/00000000000003e8"}));
}

TEST(TrlogTest, AMergeIsRecordedOnlyWhenItChangesTheList) {
  Site a, b;
  a.Put("S/T/served/x", "payload");
  auto list = a.api->Versions("S/T/served/x");
  ASSERT_TRUE(list.ok());
  // Ship the version's manifest (inline payload) to b, then merge there twice.
  std::string bytes;
  ASSERT_TRUE(a.api->backend().GetChunk(list->versions()[0].vm_chid, &bytes).ok());
  bool stored_new = false;
  ASSERT_TRUE(b.api->backend().PutChunk(list->versions()[0].vm_chid, bytes, 1, &stored_new, nullptr).ok());
  auto merged = b.api->MergeRemote(*list);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_TRUE(*merged);
  merged = b.api->MergeRemote(*list);
  ASSERT_TRUE(merged.ok());
  EXPECT_FALSE(*merged);
  EXPECT_EQ(b.Changed(), (std::map<std::string, int>{{"S/T/served/x", 1}}));
}

TEST(TrlogTest, ReadsFromASecondOnAndTrimsWholeSeconds) {
  Site site;
  for (uint64_t s = 0; s < 5; ++s) {
    site.clock_ns = (1000 + s * 10) * 1'000'000'000ull;
    site.Put("S/T/served/k" + std::to_string(s), "v");
    site.Put("S/T/served/again" + std::to_string(s), "v");  // a second version of the second's log
  }
  std::vector<uint64_t> seconds;
  auto changed = site.Changed(1020, &seconds);
  EXPECT_EQ(seconds, (std::vector<uint64_t>{1020, 1020, 1030, 1030, 1040, 1040}));
  EXPECT_EQ(changed.size(), 6u);
  EXPECT_TRUE(changed.count("S/T/served/k2") && changed.count("S/T/served/again4"));
  EXPECT_FALSE(changed.count("S/T/served/k1"));

  auto oldest = OldestTrlogSecond(*site.api, kServed);
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(*oldest, 1000u);
  uint64_t removed = 0;
  ASSERT_TRUE(TrimTrlog(*site.api, kServed, 1030, &removed).ok());
  EXPECT_EQ(removed, 3u);
  seconds.clear();
  changed = site.Changed(0, &seconds);
  EXPECT_EQ(seconds, (std::vector<uint64_t>{1030, 1030, 1040, 1040}));
  oldest = OldestTrlogSecond(*site.api, kServed);
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(*oldest, 1030u);
  // The trimmed seconds are gone from the name index, not left as deleted lists.
  auto gone = site.api->backend().GetVersionList("S/T/.trlog/served/00000000000003e8");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST(TrlogTest, ConcurrentWritersShareFlushesAndLoseNoChange) {
  Site site;
  constexpr int kThreads = 8, kPuts = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) site.Put("S/T/served/t" + std::to_string(t) + "-" + std::to_string(i), "v");
    });
  for (auto& th : threads) th.join();
  size_t records = 0;
  std::set<std::string> names;
  ASSERT_TRUE(ReadTrlog(*site.api, kServed, 0, [&](const TrlogEntry& e) {
                records++;
                names.insert(e.names.begin(), e.names.end());
                return true;
              }).ok());
  EXPECT_EQ(names.size(), size_t{kThreads * kPuts});
  EXPECT_LE(records, size_t{kThreads * kPuts});
}

TEST(TrlogTest, RecordDecoderRefusesWhatNoEncoderWrites) {
  TrlogRecord r{{"a", "b/c"}};
  auto back = DecodeTrlogRecord(EncodeTrlogRecord(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  std::string bytes = EncodeTrlogRecord(r);
  EXPECT_FALSE(DecodeTrlogRecord(bytes.substr(0, bytes.size() - 1)).ok());  // truncated
  EXPECT_FALSE(DecodeTrlogRecord(bytes + "x").ok());                        // trailing
  EXPECT_FALSE(DecodeTrlogRecord(EncodeTrlogRecord(TrlogRecord{{"b", "a"}})).ok());  // out of order
  EXPECT_FALSE(DecodeTrlogRecord(EncodeTrlogRecord(TrlogRecord{{"a", "a"}})).ok());  // repeated
  EXPECT_FALSE(DecodeTrlogRecord(EncodeTrlogRecord(TrlogRecord{{""}})).ok());        // empty key
  bytes[0] = 0x04;
  EXPECT_EQ(DecodeTrlogRecord(bytes).status().code(), Code::kCorruption);  // another kind
  EXPECT_FALSE(TrlogPrefix("not-a-bucket").ok());
  EXPECT_EQ(*TrlogPrefix("S/T/b"), "S/T/.trlog/b/");
}

}  // namespace
}  // namespace ccow
