// A new version that references the payload of an erasure-coded version without putting
// it keeps its own replication count (docs/ARCHITECTURE.md "Erasure coding on a cluster"):
// once the collector has trimmed each fragment to one copy on its keeper, a touch alone
// (which pins the chunk and records R at its holders) would commit a clone, a compose or a
// fenced put with one copy of each chunk, below its R until a healer pass. Found by
// cluster_ec_sim_test: with that one copy's target down, the clone could not be read.
#include <gtest/gtest.h>

#include <functional>
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
using testing::Payload;
using testing::SimCluster;

constexpr int kTargets = 5;  // one VDEV each: rows of 4 in distinct failure domains

class EcTrimmingTest : public ::testing::Test {
 protected:
  EcTrimmingTest()
      : c_(SimOptions{}, kTargets, 1, 3, false,
           [](ApiOptions* o) {
             o->default_policy.chunk_size = 4 << 10;
             o->default_policy.single_chunk_max = 4 << 10;
             o->quarantine_retention_ns = 0;
           },
           [] {
             ClusterGcOptions g;
             g.fence_grace_ns = 5'000'000;
             return g;
           }()) {
    CollectorOptions co;
    co.clock = [this] { return c_.net().NowNs(); };
    auto created = Collector::Create(&c_.api(), co);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    collector_ = std::move(*created);
    ErasureEncoderOptions eo;
    eo.rest_age_ns = 0;
    eo.min_object_bytes = 1;
    eo.clock = [this] { return c_.net().NowNs(); };
    eo.bucket_policy = [](const std::string& bucket) -> std::optional<ErasurePolicy> {
      if (bucket == "sim/ten/ec") return *ErasurePolicy::Parse("2:1:rs");
      return std::nullopt;
    };
    encoder_ = std::make_unique<ErasureEncoder>(&c_.api(), eo);
  }

  Result<ObjectInfo> Put(const std::string& name, const std::string& data, const PutOptions& o = {}) {
    PutOptions with = o;
    if (!with.policy) with.policy = c_.api().options().default_policy;  // R=3
    StringSource src(data);
    return c_.api().Put(name, src, with);
  }
  std::vector<Chid> Payloads(const std::string& name) {
    std::vector<Chid> out;
    auto located = c_.api().Locate(name, VersionSelector{});
    EXPECT_TRUE(located.ok()) << located.status().ToString();
    if (located.ok())
      for (const auto& chunk : *located)
        if (chunk.kind == "payload") out.push_back(chunk.chid);
    return out;
  }
  // The failure domains (targets) whose store holds chid.
  size_t Domains(const Chid& chid) {
    size_t n = 0;
    for (int t = 0; t < kTargets; ++t) n += c_.store(t, 0).Has(chid);
    return n;
  }
  // An object of six chunks in the erasure-coded bucket, encoded (three 2:1 stripes) and
  // trimmed by a collector pass: each payload chunk then has one copy.
  std::vector<Chid> PutTrimmed(const std::string& name, const std::string& data) {
    EXPECT_TRUE(Put(name, data).ok());
    auto encoded = encoder_->RunPass();
    EXPECT_TRUE(encoded.ok() && encoded->versions_encoded == 1) << encoded.status().ToString();
    auto collected = collector_->RunPass();
    EXPECT_TRUE(collected.ok()) << collected.status().ToString();
    std::vector<Chid> payload = Payloads(name);
    EXPECT_EQ(payload.size(), 6u);
    for (const Chid& chid : payload) EXPECT_EQ(Domains(chid), 1u) << "trimmed to its keeper";
    return payload;
  }

  SimCluster c_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<ErasureEncoder> encoder_;
};

TEST_F(EcTrimmingTest, ACloneOfATrimmedVersionHasItsReplicationCountOfCopies) {
  std::mt19937_64 rng(1);
  const std::vector<Chid> payload = PutTrimmed("sim/ten/ec/a", Payload(rng, 6 * 4096));
  auto cloned = c_.api().Clone("sim/ten/ec/a", VersionSelector{}, "sim/ten/rep/b");
  ASSERT_TRUE(cloned.ok()) << cloned.status().ToString();
  for (const Chid& chid : payload) EXPECT_EQ(Domains(chid), 3u) << chid.ToString();
}

TEST_F(EcTrimmingTest, AComposeOfATrimmedVersionAtTheSameCountHasItsReplicationCountOfCopies) {
  std::mt19937_64 rng(2);
  const std::vector<Chid> payload = PutTrimmed("sim/ten/ec/a", Payload(rng, 6 * 4096));
  auto composed = c_.api().Compose("sim/ten/rep/c", {{"sim/ten/ec/a", VersionSelector{}}}, PutOptions{}, "etag");
  ASSERT_TRUE(composed.ok()) << composed.status().ToString();
  ASSERT_EQ(composed->policy.replication_count, 3u) << "the source's R: no raise for a higher R";
  for (const Chid& chid : payload) EXPECT_EQ(Domains(chid), 3u) << chid.ToString();
}

// The put stores two more copies of each deduplicated chunk; a collector pass between its
// chunks and its commit (which sees only the encoded version) trims them again, and the
// fenced commit must restore them, not only touch the one copy left.
TEST_F(EcTrimmingTest, APutTrimmedBeforeItsFencedCommitIsRaisedBackToItsReplicationCount) {
  std::mt19937_64 rng(3);
  const std::string data = Payload(rng, 6 * 4096);
  const std::vector<Chid> payload = PutTrimmed("sim/ten/ec/a", data);
  PutOptions o;
  bool trimmed_meanwhile = false;
  o.before_commit = [&](const VersionManifest&) {
    for (const Chid& chid : payload) EXPECT_EQ(Domains(chid), 3u) << "the put stored two more copies";
    auto r = collector_->RunPass();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    trimmed_meanwhile = true;
    for (const Chid& chid : payload) trimmed_meanwhile = trimmed_meanwhile && Domains(chid) == 1;
    return Status::OK();
  };
  ASSERT_TRUE(Put("sim/ten/rep/d", data, o).ok());
  ASSERT_TRUE(trimmed_meanwhile) << "the pass should have trimmed the put's unpinned copies";
  for (const Chid& chid : payload) EXPECT_EQ(Domains(chid), 3u) << chid.ToString();
}

}  // namespace
}  // namespace ccow
