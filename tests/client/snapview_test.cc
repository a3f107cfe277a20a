// SnapView (client/snapview.h): a bucket as it was at one time, kept whole by its pins,
// reported incomplete while a member is missing, restored and cloned without copying.
#include "client/snapview.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "client/byte_stream.h"
#include "gc/collector.h"
#include "model/object_name.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

const std::string kBucket = "S/T/b";
const uint64_t kRetention = 1'000'000;

class SnapViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = OpenLocalBackend(dir_.path());
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    ApiOptions opts;
    opts.default_policy.chunk_size = 4096;
    opts.default_policy.single_chunk_max = 4096;
    opts.quarantine_retention_ns = kRetention;
    opts.clock = [this] { return now_.fetch_add(1000); };  // every call a microsecond later
    api_ = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), opts);
    views_ = std::make_unique<SnapViews>(api_.get());
  }

  void Put(const std::string& key, const std::string& data, VersionSlot slot = VersionSlot::kAdded) {
    StringSource src(data);
    PutOptions o;
    o.slot = slot;
    auto info = api_->Put(kBucket + "/" + key, src, o);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }
  Result<std::string> Get(const std::string& bucket_key, const VersionSelector& which = {}) {
    StringSink sink;
    CCOW_RETURN_IF_ERROR(api_->Get(bucket_key, which, std::nullopt, sink));
    return sink.data();
  }
  static VersionSelector In(const std::string& view) {
    VersionSelector s;
    s.snapshot = SnapViewPin(view);
    return s;
  }
  std::map<std::string, std::string> Members(const std::string& view) {
    std::map<std::string, std::string> out;
    Status s = views_->Members(kBucket, view, [&](const SnapViewMember& m) {
      auto bytes = Get(kBucket + "/" + m.key, In(view));
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      out[m.key] = bytes.ok() ? *bytes : "";
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  ScratchDir dir_;
  std::atomic<uint64_t> now_{1'000'000'000};
  std::unique_ptr<ObjectApi> api_;
  std::unique_ptr<SnapViews> views_;
};

TEST_F(SnapViewTest, AViewShowsTheBucketAsItWasWhateverHappensAfter) {
  Put("a", "a1");
  Put("b", "b1");
  Put("dir/c", RandomBytes(10000, 1));
  auto taken = views_->Create(kBucket, "monday");
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->record->members, 3u);
  Put("a", "a2");
  ASSERT_TRUE(api_->Delete(kBucket + "/b", std::nullopt).ok());
  Put("d", "d1");
  auto members = Members("monday");
  EXPECT_EQ(members, (std::map<std::string, std::string>{{"a", "a1"}, {"b", "b1"}, {"dir/c", RandomBytes(10000, 1)}}));
  EXPECT_EQ(*Get(kBucket + "/a"), "a2") << "the bucket itself moved on";
  auto stat = views_->Stat(kBucket, "monday");
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_TRUE(stat->complete);
  EXPECT_EQ(stat->present, 3u);
  // The record is a system key: in no listing unless asked for.
  ListOptions lo;
  lo.prefix = kBucket + "/";
  auto listed = api_->List(lo);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->names, (std::vector<std::string>{kBucket + "/a", kBucket + "/d", kBucket + "/dir/c"}));
  lo.include_system_keys = true;
  listed = api_->List(lo);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->names.size(), 4u);
  EXPECT_TRUE(IsSystemKey(std::string_view(listed->names.back()).substr(kBucket.size() + 1)));
  EXPECT_EQ(views_->Create(kBucket, "monday").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(views_->Create(kBucket, "bad/name").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(views_->Create(kBucket, "future", now_.load() + 60'000'000'000ull).status().code(),
            Code::kInvalidArgument);
}

TEST_F(SnapViewTest, AViewAtAnEarlierTimeTakesTheVersionsCurrentThenFromTheQuarantine) {
  Put("a", "a1", VersionSlot::kReplaces);
  Put("b", "b1", VersionSlot::kReplaces);
  const uint64_t then = now_.load();
  Put("a", "a2", VersionSlot::kReplaces);  // a1 moves to the quarantine
  ASSERT_TRUE(api_->Delete(kBucket + "/b", std::nullopt).ok());
  Put("c", "c1");
  ASSERT_TRUE(views_->Create(kBucket, "then", then).ok());
  EXPECT_EQ(Members("then"), (std::map<std::string, std::string>{{"a", "a1"}, {"b", "b1"}}));
}

TEST_F(SnapViewTest, TheCollectorKeepsAViewsVersionsUntilTheViewIsRemoved) {
  const std::string data = RandomBytes(20000, 7);
  Put("big", data);
  ASSERT_TRUE(views_->Create(kBucket, "keep").ok());
  auto versions = api_->Versions(kBucket + "/big");
  ASSERT_TRUE(versions.ok());
  std::vector<ChunkPlacement> chunks;
  {
    auto located = api_->Locate(kBucket + "/big", {});
    ASSERT_TRUE(located.ok()) << located.status().ToString();
    chunks = *located;
  }
  ASSERT_TRUE(api_->Delete(kBucket + "/big", std::nullopt).ok());
  CollectorOptions co;
  co.clock = [this] { return now_.load(); };
  auto collector = Collector::Create(api_.get(), co);
  ASSERT_TRUE(collector.ok()) << collector.status().ToString();
  now_ += 2 * kRetention;  // the deleted version has expired from the quarantine
  ASSERT_TRUE((*collector)->RunPass().ok());
  EXPECT_EQ(*Get(kBucket + "/big", In("keep")), data) << "a view's version was collected";
  ASSERT_TRUE(views_->Remove(kBucket, "keep").ok());
  EXPECT_EQ(views_->Stat(kBucket, "keep").status().code(), Code::kNotFound);
  EXPECT_EQ(Get(kBucket + "/big", In("keep")).status().code(), Code::kNotFound);
  now_ += 2 * kRetention;  // and the pin's tombstone, and the record, have expired too
  ASSERT_TRUE((*collector)->RunPass().ok());
  std::string bytes;
  size_t gone = 0;
  for (const auto& c : chunks) gone += api_->backend().GetChunk(c.chid, &bytes).code() == Code::kNotFound;
  EXPECT_EQ(gone, chunks.size()) << "the removed view's version is still stored";
  auto list = api_->backend().GetVersionList(kBucket + "/big");
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE(list->has_value()) << "the list outlived its tombstone";
}

TEST_F(SnapViewTest, AViewMissingAMemberIsIncompleteAndServesNoListingCloneOrRestore) {
  Put("a", "a1");
  Put("b", "b1");
  ASSERT_TRUE(views_->Create(kBucket, "v").ok());
  // As at a site where b's pin has not arrived yet.
  ASSERT_TRUE(api_->DeleteSnapshot(kBucket + "/b", SnapViewPin("v")).ok());
  auto stat = views_->Stat(kBucket, "v");
  ASSERT_TRUE(stat.ok());
  EXPECT_FALSE(stat->complete);
  EXPECT_EQ(stat->present, 1u);
  EXPECT_EQ(views_->Members(kBucket, "v", [](const SnapViewMember&) { return true; }).code(), Code::kUnavailable);
  EXPECT_EQ(views_->Clone(kBucket, "v", "S/T/other").status().code(), Code::kUnavailable);
  EXPECT_EQ(views_->Restore(kBucket, "v").status().code(), Code::kUnavailable);
  // Another member with another version than the record's is incomplete too.
  ASSERT_TRUE(views_->Remove(kBucket, "v").ok());
  ASSERT_TRUE(views_->Create(kBucket, "w").ok());
  Put("b", "b2");
  ASSERT_TRUE(api_->DeleteSnapshot(kBucket + "/b", SnapViewPin("w")).ok());
  ASSERT_TRUE(api_->CreateSnapshot(kBucket + "/b", SnapViewPin("w"), {}).ok());
  stat = views_->Stat(kBucket, "w");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->present, 2u);
  EXPECT_FALSE(stat->complete) << "a member pinned at another version passed the digest";
}

TEST_F(SnapViewTest, RestoreBringsTheViewBackAndLosesNothing) {
  Put("a", "a1");
  Put("b", "b1");
  Put("c", "c1");
  ASSERT_TRUE(views_->Create(kBucket, "good").ok());
  Put("a", "ransom");
  ASSERT_TRUE(api_->PutDeleteMarker(kBucket + "/b").ok());
  Put("d", "new");
  auto restored = views_->Restore(kBucket, "good");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->restored, 2u);
  EXPECT_EQ(restored->unchanged, 1u);
  EXPECT_EQ(restored->hidden, 1u);
  EXPECT_EQ(*Get(kBucket + "/a"), "a1");
  EXPECT_EQ(*Get(kBucket + "/b"), "b1");
  EXPECT_EQ(*Get(kBucket + "/c"), "c1");
  EXPECT_EQ(Get(kBucket + "/d").status().code(), Code::kNotFound);
  auto d = api_->Versions(kBucket + "/d");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->versions().size(), 2u) << "the hidden object's version is kept under a delete marker";
  VersionSelector second;
  second.generation = 2;
  EXPECT_EQ(*Get(kBucket + "/a", second), "ransom") << "the version the restore replaced is kept";
  auto again = views_->Restore(kBucket, "good");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->restored, 0u);
  EXPECT_EQ(again->unchanged, 3u);
  EXPECT_EQ(again->hidden, 0u);
}

TEST_F(SnapViewTest, CloneMakesAnotherBucketOfTheViewWithoutCopying) {
  Put("a", "a1");
  Put("x/y", RandomBytes(9000, 3));
  ASSERT_TRUE(views_->Create(kBucket, "v").ok());
  Put("a", "a2");
  auto cloned = views_->Clone(kBucket, "v", "S/T/copy");
  ASSERT_TRUE(cloned.ok()) << cloned.status().ToString();
  EXPECT_EQ(*cloned, 2u);
  EXPECT_EQ(*Get("S/T/copy/a"), "a1");
  EXPECT_EQ(*Get("S/T/copy/x/y"), RandomBytes(9000, 3));
  auto views = views_->List(kBucket);
  ASSERT_TRUE(views.ok());
  ASSERT_EQ(views->size(), 1u);
  EXPECT_EQ(views->front().name, "v");
  auto none = views_->List("S/T/copy");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty()) << "a clone is not a view";
}

TEST_F(SnapViewTest, ATakeDropsPinsLeftForObjectsNotInTheView) {
  Put("a", "a1");
  Put("b", "b1");
  // As an interrupted take left it: a pinned, then a deleted before the view's time.
  ASSERT_TRUE(api_->CreateSnapshot(kBucket + "/a", SnapViewPin("v"), {}).ok());
  ASSERT_TRUE(api_->Delete(kBucket + "/a", std::nullopt).ok());
  auto taken = views_->Create(kBucket, "v");
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->record->members, 1u);
  auto stat = views_->Stat(kBucket, "v");
  ASSERT_TRUE(stat.ok());
  EXPECT_TRUE(stat->complete) << "a pin left by an interrupted take counts against the record";
  EXPECT_EQ(Members("v"), (std::map<std::string, std::string>{{"b", "b1"}}));
}

TEST_F(SnapViewTest, AViewBeingTakenIsNeitherCompleteNorTakenTwice) {
  Put("a", "a1");
  // The placeholder record a take writes before it pins anything (created_ns 0).
  SnapViewRecord placeholder;
  placeholder.name = "v";
  placeholder.at_ns = now_.load();
  placeholder.members_digest = SnapViewDigest().Final();
  const std::string bytes = EncodeSnapViewRecord(placeholder);
  StringSource src(bytes);
  ASSERT_TRUE(api_->Put(kBucket + "/" + std::string(1, kSystemKeyPrefix) + "snapview/v", src, {}).ok());
  EXPECT_EQ(views_->Create(kBucket, "v").status().code(), Code::kAlreadyExists) << "a second take pinned over the first";
  auto stat = views_->Stat(kBucket, "v");
  ASSERT_TRUE(stat.ok());
  EXPECT_FALSE(stat->complete) << "a view still being taken was reported complete";
  EXPECT_EQ(views_->Members(kBucket, "v", [](const SnapViewMember&) { return true; }).code(), Code::kUnavailable);
  ASSERT_TRUE(views_->Remove(kBucket, "v").ok()) << "what an interrupted take left cannot be removed";
  ASSERT_TRUE(views_->Create(kBucket, "v").ok());
}

TEST_F(SnapViewTest, ATimeOlderThanTheQuarantineRetentionIsRefused) {
  Put("a", "a1");
  const uint64_t then = now_.load();
  now_ += 2 * kRetention;
  EXPECT_EQ(views_->Create(kBucket, "old", then).status().code(), Code::kInvalidArgument)
      << "a view older than the retention would miss versions already collected";
}

TEST_F(SnapViewTest, RestoreRestoresAVersionWithTheSameBytesButOtherMetadata) {
  StringSource first("same bytes");
  PutOptions typed;
  typed.content_type = "text/plain";
  ASSERT_TRUE(api_->Put(kBucket + "/a", first, typed).ok());
  ASSERT_TRUE(views_->Create(kBucket, "v").ok());
  StringSource second("same bytes");
  typed.content_type = "application/octet-stream";
  ASSERT_TRUE(api_->Put(kBucket + "/a", second, typed).ok());
  auto restored = views_->Restore(kBucket, "v");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->restored, 1u) << "a change of content type alone was taken for no change";
  auto info = api_->Stat(kBucket + "/a", {});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->content_type, "text/plain");
}

}  // namespace
}  // namespace ccow
