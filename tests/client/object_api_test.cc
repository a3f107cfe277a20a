#include "client/object_api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

class ObjectApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(ObjectPolicy policy = SmallPolicy()) {
    api_.reset();
    auto backend = OpenLocalBackend(dir_.path());
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    ApiOptions opts;
    opts.default_policy = policy;
    api_ = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), opts);
  }

  // Small chunks and fan-out so that modest objects build multi-level trees.
  static ObjectPolicy SmallPolicy() {
    ObjectPolicy p;
    p.chunk_size = 4096;
    p.single_chunk_max = 4096;
    p.manifest_fanout = 4;
    return p;
  }

  ObjectInfo Put(const std::string& name, const std::string& data, PutStats* stats = nullptr,
                 PutOptions opts = {}) {
    StringSource src(data);
    auto info = api_->Put(name, src, opts, stats);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : ObjectInfo();
  }

  std::string Get(const std::string& name, VersionSelector which = {},
                  std::optional<ByteRange> range = std::nullopt) {
    StringSink sink;
    Status st = api_->Get(name, which, range, sink);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return sink.data();
  }

  ScratchDir dir_;
  std::unique_ptr<ObjectApi> api_;
};

TEST_F(ObjectApiTest, PutGetRoundTripsAcrossAMultiLevelTree) {
  std::string data = RandomBytes(200 * 4096 + 77, 1);  // 201 chunks, fan-out 4: 4 levels
  PutStats stats;
  ObjectInfo info = Put("S/T/B/big", data, &stats, {"application/x-test", {{"k", "v"}}, {}});
  EXPECT_EQ(info.size, data.size());
  EXPECT_EQ(stats.chunks, 201u);
  EXPECT_GT(stats.manifests, 50u);
  EXPECT_EQ(Get("S/T/B/big"), data);
  Reopen();
  EXPECT_EQ(Get("S/T/B/big"), data);
  auto stat = api_->Stat("S/T/B/big", {});
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->content_type, "application/x-test");
  EXPECT_EQ(stat->user_metadata.at("k"), "v");
}

TEST_F(ObjectApiTest, EtagIsTheMd5OfTheContent) {
  EXPECT_EQ(Put("S/T/B/abc", "abc").etag, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Put("S/T/B/empty", "").etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Get("S/T/B/empty"), "");
}

TEST_F(ObjectApiTest, RangeReadsReturnExactlyTheRequestedBytes) {
  std::string data = RandomBytes(50 * 4096 + 11, 2);
  Put("S/T/B/r", data);
  for (auto [off, len] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 1}, {4095, 2}, {4096, 4096}, {12345, 70000}, {data.size() - 5, 5}, {100, 0}}) {
    EXPECT_EQ(Get("S/T/B/r", {}, ByteRange{off, len}), data.substr(off, len)) << off << "+" << len;
  }
  EXPECT_EQ(Get("S/T/B/r", {}, ByteRange{1000, std::nullopt}), data.substr(1000));
  EXPECT_EQ(Get("S/T/B/r", {}, ByteRange{0, 1ull << 40}), data);  // clipped to the end
  StringSink sink;
  EXPECT_EQ(api_->Get("S/T/B/r", {}, ByteRange{data.size() + 1, 1}, sink).code(),
            Code::kInvalidArgument);
}

TEST_F(ObjectApiTest, RePutOfTheSameDataWritesNoPayload) {
  std::string data = RandomBytes(100 * 4096, 3);
  PutStats first, second;
  Put("S/T/B/a", data, &first);
  Put("S/T/B/a-copy", data, &second);
  EXPECT_EQ(first.new_payload_bytes, data.size());
  EXPECT_EQ(second.new_payload_bytes, 0u);
  EXPECT_EQ(second.new_chunks, 0u);
}

TEST_F(ObjectApiTest, EveryPutIsANewGenerationAndOldOnesStayReadable) {
  Put("S/T/B/v", "one");
  Put("S/T/B/v", "two");
  ObjectInfo third = Put("S/T/B/v", "three");
  EXPECT_EQ(third.generation, 3u);
  EXPECT_EQ(Get("S/T/B/v"), "three");
  EXPECT_EQ(Get("S/T/B/v", {1, {}}), "one");
  auto vl = api_->Versions("S/T/B/v");
  ASSERT_TRUE(vl.ok());
  ASSERT_EQ(vl->versions().size(), 3u);
  EXPECT_EQ(vl->versions()[0].generation, 3u);
}

TEST_F(ObjectApiTest, DeleteQuarantinesAndUndeleteRestores) {
  Put("S/T/B/d", "data-1");
  Put("S/T/B/d", "data-2");
  ASSERT_TRUE(api_->Delete("S/T/B/d", std::nullopt).ok());
  StringSink sink;
  EXPECT_TRUE(api_->Get("S/T/B/d", {}, std::nullopt, sink).IsNotFound());
  auto listed = api_->List({"S/T/B/", "", "", 100});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->objects.empty());
  EXPECT_TRUE(api_->Delete("S/T/B/d", std::nullopt).IsNotFound());
  ASSERT_TRUE(api_->Undelete("S/T/B/d", std::nullopt).ok());
  EXPECT_EQ(Get("S/T/B/d"), "data-2");
  EXPECT_EQ(Get("S/T/B/d", {1, {}}), "data-1");
  // Deleting one generation leaves the others.
  ASSERT_TRUE(api_->Delete("S/T/B/d", 2).ok());
  EXPECT_EQ(Get("S/T/B/d"), "data-1");
  EXPECT_TRUE(api_->Delete("S/T/B/nope", std::nullopt).IsNotFound());
}

TEST_F(ObjectApiTest, SnapshotKeepsAVersionReadableAfterOverwriteAndDelete) {
  Put("S/T/B/s", "original");
  ASSERT_TRUE(api_->CreateSnapshot("S/T/B/s", "snap1", {}).ok());
  Put("S/T/B/s", "changed");
  ASSERT_TRUE(api_->Delete("S/T/B/s", std::nullopt).ok());
  VersionSelector snap;
  snap.snapshot = "snap1";
  EXPECT_EQ(Get("S/T/B/s", snap), "original");
  EXPECT_EQ(api_->CreateSnapshot("S/T/B/s", "snap1", {}).code(), Code::kAlreadyExists);
  EXPECT_EQ(api_->CreateSnapshot("S/T/B/s", "snap2", {}).code(), Code::kNotFound);  // no active
  ASSERT_TRUE(api_->DeleteSnapshot("S/T/B/s", "snap1").ok());
  StringSink sink;
  EXPECT_TRUE(api_->Get("S/T/B/s", snap, std::nullopt, sink).IsNotFound());
}

TEST_F(ObjectApiTest, CloneSharesChunksAndIsIndependentOfTheSource) {
  std::string data = RandomBytes(30 * 4096, 4);
  Put("S/T/B/src", data);
  uint64_t chunks_before = api_->backend().Capacity().chunk_count;
  auto clone = api_->Clone("S/T/B/src", {}, "S/T/C/dst");
  ASSERT_TRUE(clone.ok()) << clone.status().ToString();
  EXPECT_EQ(clone->origin, "S/T/B/src");
  // Only one new chunk: the clone's version manifest.
  EXPECT_EQ(api_->backend().Capacity().chunk_count, chunks_before + 1);
  Put("S/T/B/src", "overwritten");
  ASSERT_TRUE(api_->Delete("S/T/B/src", std::nullopt).ok());
  EXPECT_EQ(Get("S/T/C/dst"), data);
}

TEST_F(ObjectApiTest, ListPaginatesAndRollsUpDelimiters) {
  for (const char* n : {"a.txt", "b/1", "b/2", "b/c/3", "c.txt", "d/1"}) Put(std::string("S/T/B/") + n, n);
  Put("S/T/Other/x", "x");
  auto all = api_->List({"S/T/B/", "", "", 100});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->names, (std::vector<std::string>{"S/T/B/a.txt", "S/T/B/b/1", "S/T/B/b/2",
                                                  "S/T/B/b/c/3", "S/T/B/c.txt", "S/T/B/d/1"}));
  auto top = api_->List({"S/T/B/", "", "/", 100});
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->names, (std::vector<std::string>{"S/T/B/a.txt", "S/T/B/c.txt"}));
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"S/T/B/b/", "S/T/B/d/"}));
  auto sub = api_->List({"S/T/B/b/", "", "/", 100});
  EXPECT_EQ(sub->names, (std::vector<std::string>{"S/T/B/b/1", "S/T/B/b/2"}));
  EXPECT_EQ(sub->common_prefixes, (std::vector<std::string>{"S/T/B/b/c/"}));
  // Pages of 2 visit everything once, in order.
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto r = api_->List({"S/T/B/", after, "/", 2});
    ASSERT_TRUE(r.ok());
    for (const auto& n : r->names) seen.push_back(n);
    for (const auto& cp : r->common_prefixes) seen.push_back(cp);
    if (!r->truncated) break;
    after = r->next_start_after;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"S/T/B/a.txt", "S/T/B/b/", "S/T/B/c.txt", "S/T/B/d/"}));
  EXPECT_EQ(api_->List({"S/T/", "", "", 10}).status().code(), Code::kInvalidArgument);
}

TEST_F(ObjectApiTest, ConcurrentWritersToOneNameLoseNoVersion) {
  constexpr int kThreads = 4, kPuts = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) {
        StringSource src("t" + std::to_string(t) + "-" + std::to_string(i));
        EXPECT_TRUE(api_->Put("S/T/B/hot", src, {}).ok());
      }
    });
  for (auto& th : threads) th.join();
  auto vl = api_->Versions("S/T/B/hot");
  ASSERT_TRUE(vl.ok());
  EXPECT_EQ(vl->versions().size(), static_cast<size_t>(kThreads * kPuts));
  EXPECT_EQ(vl->versions().front().generation, static_cast<uint64_t>(kThreads * kPuts));
}

TEST_F(ObjectApiTest, CorruptChunkFailsTheGetNamingTheChunk) {
  // Chunks above the store's inline limit, so that they live in the segment file.
  ObjectPolicy big = SmallPolicy();
  big.chunk_size = 128 << 10;
  big.single_chunk_max = 128 << 10;
  Reopen(big);
  std::string data = RandomBytes(10 * (128 << 10), 5);
  Put("S/T/B/c", data);
  api_.reset();
  std::string seg = dir_.path() + "/vdev0/segments/00000001.seg";
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);  // inside the first payload chunk
    f.put('\x5a');
    f.put('\xa5');
  }
  Reopen(big);
  StringSink sink;
  Status st = api_->Get("S/T/B/c", {}, std::nullopt, sink);
  EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find("sha256:"), std::string::npos);
  // The put pipeline may store chunks out of order, so the damaged one need not be the
  // first: what reached the sink must be an intact prefix, short of the whole object.
  EXPECT_LT(sink.data().size(), data.size());
  EXPECT_EQ(sink.data(), data.substr(0, sink.data().size()));
}

TEST_F(ObjectApiTest, BadNamesAreRejectedBeforeAnyWrite) {
  StringSource src("x");
  EXPECT_EQ(api_->Put("no-bucket", src, {}).status().code(), Code::kInvalidArgument);
  ObjectPolicy bad;
  bad.chunk_size = 10;
  PutOptions opts;
  opts.policy = bad;
  EXPECT_EQ(api_->Put("S/T/B/x", src, opts).status().code(), Code::kInvalidArgument);
}

TEST_F(ObjectApiTest, EveryHashAlgorithmAndChunkingModeRoundTrips) {
  std::string data = RandomBytes(300 << 10, 6);
  for (HashAlgo algo : {HashAlgo::kSha256, HashAlgo::kSha3_256, HashAlgo::kSha3_512,
                        HashAlgo::kBlake2b256, HashAlgo::kXxh3_128})
    for (ChunkingMode mode : {ChunkingMode::kFixed, ChunkingMode::kCdc}) {
      PutOptions opts;
      ObjectPolicy p;
      p.hash = algo;
      p.chunking = mode;
      p.chunk_size = 16 << 10;
      p.single_chunk_max = 16 << 10;
      opts.policy = p;
      std::string name = std::string("S/T/B/") + HashAlgoName(algo) + ChunkingModeName(mode);
      ObjectInfo info = Put(name, data, nullptr, opts);
      EXPECT_EQ(info.vm_chid.algo(), algo);
      EXPECT_EQ(Get(name), data) << name;
    }
}

TEST_F(ObjectApiTest, ComposeReferencesThePartsChunksWithoutWritingPayload) {
  std::string a = RandomBytes(5 * 4096 + 100, 11), b = RandomBytes(70 * 4096 + 7, 12);
  Put("S/T/B/part1", a);
  Put("S/T/B/part2", b);
  uint64_t written_before = api_->backend().Stats().payload_bytes_written;
  auto info = api_->Compose("S/T/B/whole", {{"S/T/B/part1", {}}, {"S/T/B/part2", {}}}, {}, "abc-2");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, a.size() + b.size());
  EXPECT_EQ(info->etag, "abc-2");
  // Only manifests were written: every payload chunk is shared with the parts.
  uint64_t new_bytes = api_->backend().Stats().payload_bytes_written - written_before;
  EXPECT_LT(new_bytes, 4096u * 8) << "payload copied";
  StringSink whole;
  ASSERT_TRUE(api_->Get("S/T/B/whole", {}, std::nullopt, whole).ok());
  EXPECT_EQ(whole.data(), a + b);
  StringSink middle;  // a range across the seam reads from both parts
  ASSERT_TRUE(api_->Get("S/T/B/whole", {}, ByteRange{a.size() - 10, 20}, middle).ok());
  EXPECT_EQ(middle.data(), (a + b).substr(a.size() - 10, 20));
}

// A small object is one chunk, its version manifest, holding the bytes: a put stores
// one chunk, not two, and every read (whole, ranges, older versions) comes from it.
TEST_F(ObjectApiTest, ASmallObjectTravelsInsideItsVersionManifest) {
  const std::string data = RandomBytes(VersionManifest::kInlinePayloadMax, 21);
  const uint64_t chunks_before = api_->backend().Capacity().chunk_count;
  PutStats stats;
  ObjectInfo info = Put("S/T/B/small", data, &stats);
  EXPECT_EQ(stats.inline_bytes, data.size());
  EXPECT_EQ(stats.chunks, 0u);
  EXPECT_EQ(stats.new_payload_bytes, 0u);
  EXPECT_EQ(api_->backend().Capacity().chunk_count, chunks_before + 1) << "a payload chunk besides the manifest";
  EXPECT_EQ(Get("S/T/B/small"), data);
  EXPECT_EQ(Get("S/T/B/small", {}, ByteRange{100, 50}), data.substr(100, 50));
  EXPECT_EQ(Get("S/T/B/small", {}, ByteRange{4000, std::nullopt}), data.substr(4000));
  // Its bytes are covered by the manifest's CHID: the version's chunk is the manifest.
  std::string vm_bytes;
  ASSERT_TRUE(api_->backend().GetChunk(info.vm_chid, &vm_bytes).ok());
  EXPECT_NE(vm_bytes.find(data), std::string::npos);

  // One byte more is a chunk of its own, as before.
  PutStats big;
  Put("S/T/B/bigger", data + "x", &big);
  EXPECT_EQ(big.inline_bytes, 0u);
  EXPECT_EQ(big.new_payload_bytes, data.size() + 1);

  // An older version of a small object stays readable after overwrites.
  Put("S/T/B/small", "v2");
  EXPECT_EQ(Get("S/T/B/small"), "v2");
  EXPECT_EQ(Get("S/T/B/small", VersionSelector{info.generation, {}}), data);
}

// Multipart parts and clones that are small objects: the composed object makes a small
// part a chunk of its own tree, and a clone carries the bytes in its own manifest.
TEST_F(ObjectApiTest, ComposeAndCloneOfSmallObjectsKeepTheirBytes) {
  const std::string a = RandomBytes(3 * 4096 + 5, 22), tail = "the last part is small";
  Put("S/T/B/p1", a);
  Put("S/T/B/p2", tail);
  auto whole = api_->Compose("S/T/B/whole", {{"S/T/B/p1", {}}, {"S/T/B/p2", {}}}, {}, "x-2");
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(Get("S/T/B/whole"), a + tail);
  EXPECT_EQ(Get("S/T/B/whole", {}, ByteRange{a.size() - 2, 6}), (a + tail).substr(a.size() - 2, 6));
  // Parts that were small are still readable, and the composed object does not need them.
  ASSERT_TRUE(api_->Delete("S/T/B/p2", std::nullopt).ok());
  EXPECT_EQ(Get("S/T/B/whole"), a + tail);

  auto clone = api_->Clone("S/T/B/whole", {}, "S/T/B/whole-clone");
  ASSERT_TRUE(clone.ok());
  Put("S/T/B/tiny", "tiny");
  auto tiny_clone = api_->Clone("S/T/B/tiny", {}, "S/T/C/tiny");
  ASSERT_TRUE(tiny_clone.ok()) << tiny_clone.status().ToString();
  ASSERT_TRUE(api_->Delete("S/T/B/tiny", std::nullopt).ok());
  EXPECT_EQ(Get("S/T/C/tiny"), "tiny");
}

// S3's conditional writes: the condition is checked inside the version-list update that
// commits, so it cannot be raced past; a refused write leaves the object as it was.
TEST_F(ObjectApiTest, ConditionalWritesHoldAtomicallyWithTheCommit) {
  PutOptions only_new;
  only_new.condition.must_not_exist = true;
  Put("S/T/B/c", "first", nullptr, only_new);
  StringSource again("second");
  EXPECT_EQ(api_->Put("S/T/B/c", again, only_new).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Get("S/T/B/c"), "first");

  const std::string etag = api_->Stat("S/T/B/c", {})->etag;
  PutOptions match;
  match.condition.etag = etag;
  Put("S/T/B/c", "third", nullptr, match);  // names the current version: commits
  StringSource lost("lost update");
  EXPECT_EQ(api_->Put("S/T/B/c", lost, match).status().code(), Code::kFailedPrecondition);
  StringSource absent("x");
  EXPECT_TRUE(api_->Put("S/T/B/none", absent, match).status().IsNotFound());
  EXPECT_EQ(Get("S/T/B/c"), "third");

  // Deletes: a stale ETag deletes nothing; a delete marker ends "current".
  WriteCondition stale;
  stale.etag = etag;
  EXPECT_EQ(api_->Delete("S/T/B/c", std::nullopt, stale).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Get("S/T/B/c"), "third");
  WriteCondition current;
  current.etag = api_->Stat("S/T/B/c", {})->etag;
  ASSERT_TRUE(api_->PutDeleteMarker("S/T/B/c", current).ok());
  EXPECT_TRUE(api_->PutDeleteMarker("S/T/B/c", current).status().IsNotFound());
  Put("S/T/B/c", "after the marker", nullptr, only_new);

  // Racing creators of one name: exactly one commits.
  std::vector<std::thread> writers;
  std::atomic<int> won{0}, refused{0};
  for (int i = 0; i < 8; ++i)
    writers.emplace_back([&, i] {
      StringSource src(RandomBytes(3 * 4096 + i, 30 + i));  // multi-chunk, not inline
      auto r = api_->Put("S/T/B/race", src, only_new);
      if (r.ok()) won++;
      else if (r.status().code() == Code::kFailedPrecondition) refused++;
    });
  for (auto& w : writers) w.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), 7);
  EXPECT_EQ(api_->Versions("S/T/B/race")->versions().size(), 1u);
}

TEST_F(ObjectApiTest, DeleteMarkerHidesTheObjectButKeepsOlderVersions) {
  Put("S/T/B/v", "one");
  auto marker = api_->PutDeleteMarker("S/T/B/v");
  ASSERT_TRUE(marker.ok());
  StringSink sink;
  EXPECT_TRUE(api_->Get("S/T/B/v", {}, std::nullopt, sink).IsNotFound());
  VersionSelector first;
  first.generation = 1;
  ASSERT_TRUE(api_->Get("S/T/B/v", first, std::nullopt, sink).ok());
  EXPECT_EQ(sink.data(), "one");
  auto listed = api_->List({"S/T/B/", "", "", 10});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->names.empty());
  ListOptions all{"S/T/B/", "", "", 10};
  all.include_delete_markers = true;
  all.with_version_lists = true;
  listed = api_->List(all);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->version_lists.size(), 1u);
  EXPECT_TRUE(listed->version_lists[0].versions().front().is_delete_marker());
  // Removing the marker brings the object back.
  ASSERT_TRUE(api_->Delete("S/T/B/v", marker->generation).ok());
  StringSink again;
  ASSERT_TRUE(api_->Get("S/T/B/v", {}, std::nullopt, again).ok());
  EXPECT_EQ(again.data(), "one");
}

TEST_F(ObjectApiTest, ReplacePreviousLeavesOneActiveVersion) {
  PutOptions opts;
  opts.slot = VersionSlot::kReplaces;
  Put("S/T/B/r", "a", nullptr, opts);
  Put("S/T/B/r", "b", nullptr, opts);
  auto vl = api_->Versions("S/T/B/r");
  ASSERT_TRUE(vl.ok());
  EXPECT_EQ(vl->versions().size(), 1u);
  EXPECT_EQ(vl->quarantine().size(), 1u);  // the old one is recoverable, not gone
}

TEST_F(ObjectApiTest, BeforeCommitFailureLeavesNothingVisible) {
  PutOptions opts;
  opts.before_commit = [](const VersionManifest&) { return Status::InvalidArgument("BadDigest: no"); };
  StringSource src("payload");
  EXPECT_EQ(api_->Put("S/T/B/x", src, opts).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(api_->Stat("S/T/B/x", {}).status().IsNotFound());
}

TEST_F(ObjectApiTest, ReadLetsTheCallerPickTheRangeAfterSeeingTheVersion) {
  Put("S/T/B/rd", "0123456789");
  StringSink sink;
  Status st = api_->Read("S/T/B/rd", {}, [](const ObjectInfo& info) -> Result<std::optional<ByteRange>> {
    return std::optional<ByteRange>(ByteRange{info.size - 3, 3});
  }, sink);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(sink.data(), "789");
}

TEST_F(ObjectApiTest, StartAfterInsideACommonPrefixStillReportsIt) {
  Put("S/T/B/a/1", "x");
  Put("S/T/B/a/2", "x");
  Put("S/T/B/b", "x");
  ListOptions opts{"S/T/B/", "S/T/B/a/1", "/", 10};
  auto page = api_->List(opts);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"S/T/B/a/"});
  EXPECT_EQ(page->names, std::vector<std::string>{"S/T/B/b"});
  opts.start_after = "S/T/B/a/";  // continuing after a page that ended on the prefix
  page = api_->List(opts);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->common_prefixes.empty());
}

}  // namespace
}  // namespace ccow
