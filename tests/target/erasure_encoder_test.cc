// The encoder's check of encoded stripes (gc/erasure_encoder.h) when the probes that
// locate fragments lose answers, as they do on a lossy network: a VDEV whose answer is
// lost counts as holding nothing. Found by cluster_ec_sim_test (a 5,000-seed campaign):
// with every target up, an encoder pass reported a stripe lost, the daemon's alarm of
// data loss, because two of its three fragments' probes had lost their only holder's
// answer, though every fragment was there.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "gc/collector.h"
#include "gc/erasure_encoder.h"
#include "target/sim_cluster.h"

namespace ccow {
namespace {

using replicast::SimOptions;
using testing::GetString;
using testing::Payload;
using testing::PutString;
using testing::SimCluster;

// A cluster's backend whose LocateChunk finds no holder of the chunks in `hidden`, as if
// every answer about them were lost; everything else goes through unchanged.
class HidingBackend final : public Backend {
 public:
  explicit HidingBackend(Backend& inner) : inner_(inner) {}
  std::set<Chid> hidden;

  Result<std::vector<ChunkHolder>> LocateChunk(const Chid& chid) override {
    if (hidden.count(chid)) return std::vector<ChunkHolder>();
    return inner_.LocateChunk(chid);
  }
  Status PutChunk(const Chid& chid, std::string_view bytes, uint32_t r, bool* stored_new, WriteFence* fence) override {
    return inner_.PutChunk(chid, bytes, r, stored_new, fence);
  }
  Status PutChunkOn(const Chid& chid, std::string_view bytes, const std::string& vdev, uint32_t r,
                    WriteFence* fence) override {
    return inner_.PutChunkOn(chid, bytes, vdev, r, fence);
  }
  Status SyncChunks() override { return inner_.SyncChunks(); }
  Status GetChunk(const Chid& chid, std::string* out) override { return inner_.GetChunk(chid, out); }
  Status RaiseReplication(const Chid& chid, uint32_t r) override { return inner_.RaiseReplication(chid, r); }
  Status TouchChunk(const Chid& chid, uint32_t r, WriteFence* fence) override {
    return inner_.TouchChunk(chid, r, fence);
  }
  ChunkCollection* collection() override { return inner_.collection(); }
  std::shared_ptr<const FlexHashTable> placement() override { return inner_.placement(); }
  Result<std::optional<VersionList>> GetVersionList(const std::string& name) override {
    return inner_.GetVersionList(name);
  }
  Status UpdateVersionList(const std::string& name, const Nhid& nhid, const std::function<Status(VersionList*)>& mutate,
                           WriteFence* fence) override {
    return inner_.UpdateVersionList(name, nhid, mutate, fence);
  }
  Status ScanVersionLists(const std::string& prefix, const std::string& start_after,
                          const std::function<bool(const VersionList&)>& fn) override {
    return inner_.ScanVersionLists(prefix, start_after, fn);
  }
  Status ScanVersionListCopies(const std::string& start_after,
                               const std::function<bool(const VersionList&)>& fn) override {
    return inner_.ScanVersionListCopies(start_after, fn);
  }
  uint32_t default_replication_count() const override { return inner_.default_replication_count(); }
  StoreCapacity Capacity() override { return inner_.Capacity(); }
  StoreStats Stats() override { return inner_.Stats(); }

 private:
  Backend& inner_;
};

TEST(ErasureEncoderTest, AStripeWhoseFragmentsGoUnlocatedIsFetchedBeforeItIsCalledLost) {
  SimCluster c(SimOptions{}, 5, 1, 3, false, [](ApiOptions* o) {
    o->default_policy.chunk_size = 4 << 10;
    o->default_policy.single_chunk_max = 4 << 10;
  });
  ErasureEncoderOptions eo;
  eo.rest_age_ns = 0;
  eo.min_object_bytes = 1;
  eo.clock = [&c] { return c.net().NowNs(); };
  eo.bucket_policy = [](const std::string&) { return std::optional<ErasurePolicy>(*ErasurePolicy::Parse("2:1:rs")); };
  std::mt19937_64 rng(5);
  const std::string data = Payload(rng, 2 * 4096);  // one stripe: two data chunks and a parity
  ASSERT_TRUE(PutString(c.api(), "sim/ten/ec/a", data).ok());
  ErasureEncoder encoder(&c.api(), eo);
  auto encoded = encoder.RunPass();
  ASSERT_TRUE(encoded.ok() && encoded->versions_encoded == 1) << encoded.status().ToString();
  CollectorOptions co;
  co.clock = [&c] { return c.net().NowNs(); };
  auto collector = Collector::Create(&c.api(), co);
  ASSERT_TRUE(collector.ok() && (*collector)->RunPass().ok()) << "trims each fragment to its keeper";

  // The same cluster through a backend whose probes lose every answer about both data
  // chunks: to the check, their keepers lack them and nobody else has them.
  auto hiding = std::make_shared<HidingBackend>(c.api().backend());
  auto located = c.api().Locate("sim/ten/ec/a", VersionSelector{});
  ASSERT_TRUE(located.ok());
  for (const auto& chunk : *located)
    if (chunk.kind == "payload") hiding->hidden.insert(chunk.chid);
  ASSERT_EQ(hiding->hidden.size(), 2u);
  ApiOptions ao = c.api().options();
  ObjectApi api(hiding, ao);
  ErasureEncoder checker(&api, eo);
  auto checked = checker.RunPass();
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(checked->stripes_checked, 1u);
  EXPECT_EQ(checked->stripes_lost, 0u) << "every fragment is there: a get finds it";
  auto read = GetString(c.api(), "sim/ten/ec/a");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, data);
}

// Storage classes decide protection at rest: in a bucket with a code, a version of class
// STANDARD stays replicated, an infrequent-access one and one that named no class are
// encoded, and a lifecycle transition (SetStorageClass) of a STANDARD version to
// STANDARD_IA has it encoded by the next pass without a new version.
TEST(ErasureEncoderTest, TheStorageClassDecidesWhatIsErasureCoded) {
  SimCluster c(SimOptions{}, 5, 1, 3, false, [](ApiOptions* o) {
    o->default_policy.chunk_size = 4 << 10;
    o->default_policy.single_chunk_max = 4 << 10;
  });
  ErasureEncoderOptions eo;
  eo.rest_age_ns = 0;
  eo.min_object_bytes = 1;
  eo.clock = [&c] { return c.net().NowNs(); };
  eo.bucket_policy = [](const std::string&) { return std::optional<ErasurePolicy>(*ErasurePolicy::Parse("2:1:rs")); };
  std::mt19937_64 rng(6);
  auto put = [&](const std::string& name, StorageClass sc) {
    StringSource src(Payload(rng, 2 * 4096));
    PutOptions opts;
    opts.storage_class = sc;
    auto info = c.api().Put(name, src, opts);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->storage_class, sc);
  };
  put("sim/ten/ec/standard", StorageClass::kStandard);
  put("sim/ten/ec/ia", StorageClass::kStandardIa);
  put("sim/ten/ec/none", StorageClass::kDefault);
  ErasureEncoder encoder(&c.api(), eo);
  auto pass = encoder.RunPass();
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_EQ(pass->versions_encoded, 2u);
  EXPECT_EQ(pass->versions_standard_class, 1u);
  auto entry = [&](const std::string& name) {
    auto vl = c.api().Versions(name);
    EXPECT_TRUE(vl.ok());
    return vl.ok() ? vl->versions().front() : VersionEntry();
  };
  EXPECT_FALSE(entry("sim/ten/ec/standard").erasure_coded());
  EXPECT_TRUE(entry("sim/ten/ec/ia").erasure_coded());
  EXPECT_TRUE(entry("sim/ten/ec/none").erasure_coded());

  const uint64_t generation = entry("sim/ten/ec/standard").generation;
  ASSERT_TRUE(c.api().SetStorageClass("sim/ten/ec/standard", generation, StorageClass::kStandardIa).ok());
  EXPECT_EQ(entry("sim/ten/ec/standard").generation, generation) << "a transition is not a new version";
  auto again = encoder.RunPass();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->versions_encoded, 1u);
  EXPECT_TRUE(entry("sim/ten/ec/standard").erasure_coded());
  EXPECT_EQ(entry("sim/ten/ec/standard").storage_class, StorageClass::kStandardIa);
  auto stat = c.api().Stat("sim/ten/ec/standard", {});
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->storage_class, StorageClass::kStandardIa);
  EXPECT_EQ(c.api().SetStorageClass("sim/ten/ec/standard", generation, StorageClass::kDefault).code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace ccow
