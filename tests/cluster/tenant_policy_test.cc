// A tenant's policy (issue 11 "policy per tenant"): the erasure code and retention its
// buckets inherit, set at creation and changed by a compare-and-set UpdateTenant, and the
// registry helpers the CLI uses on top (CheckErasurePlacement, ChangeTenant).
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "cluster/erasure_placement.h"
#include "cluster/tenant_change.h"

namespace ccow {
namespace {

using namespace command;

constexpr uint64_t kHour = 3600'000'000'000ull;

// A cluster of `servers` targets of 2 VDEVs each under one FlexHash, and cluster "S".
ClusterState ClusterOf(int servers) {
  ClusterState s;
  std::vector<VdevInfo> vdevs;
  for (int t = 0; t < servers; ++t) {
    const std::string name = "t" + std::to_string(t);
    TargetRecord r{name, "z", "127.0.0.1:7000", TargetState::kAlive, {}};
    for (int v = 0; v < 2; ++v) r.vdevs.push_back({name + "/v" + std::to_string(v), name, "z", 1ull << 40, 0, "a"});
    vdevs.insert(vdevs.end(), r.vdevs.begin(), r.vdevs.end());
    EXPECT_TRUE(s.Apply(AddTarget{r}).ok());
  }
  if (servers > 0) {
    EXPECT_TRUE(s.Apply(PublishFlexHash{1, FlexHashTable::Build(vdevs, 1)->ToJson()}).ok());
  }
  EXPECT_TRUE(s.Apply(CreateSegment{"S"}).ok());
  return s;
}

TEST(ClusterTenantPolicyTest, CreateTenantKeepsItsPolicyAndRefusesABadOne) {
  ClusterState s = ClusterOf(0);
  ASSERT_TRUE(s.Apply(CreateTenant{"S", "T", 2, kHour, "4:2:rs"}).ok());
  const TenantRecord& t = **s.FindTenant("S", "T");
  EXPECT_EQ(t.replication_count, 2u);
  EXPECT_EQ(t.retention_ns, kHour);
  EXPECT_EQ(t.erasure_code, "4:2:rs");
  EXPECT_EQ(t.revision, 0u);
  const std::string before = s.Snapshot();
  auto expect = [&](const ClusterCommand& c, const std::string& words) {
    Status st = s.Apply(c);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
    EXPECT_NE(st.message().find(words), std::string::npos) << st.ToString();
    EXPECT_EQ(s.Snapshot(), before) << "a refused command changed the state";
  };
  expect(CreateTenant{"S", "U", 0, 0, "4:x:rs"}, "invalid erasure code");
  expect(CreateTenant{"S", "U", 0, 0, "none"}, "replication only");
  expect(CreateTenant{"S", "U", 9}, "replication count 9");
  expect(UpdateTenant{"S", "T", 2, kHour, "4:x:rs", 0}, "invalid erasure code");
  expect(UpdateTenant{"S", "T", 9, kHour, "", 0}, "replication count 9");
}

TEST(ClusterTenantPolicyTest, UpdateTenantIsACompareAndSetOnTheRevisionAndKeepsTheBuckets) {
  ClusterState s = ClusterOf(0);
  ASSERT_TRUE(s.Apply(CreateTenant{"S", "T", 2}).ok());
  ASSERT_TRUE(s.Apply(CreateBucket{"S", "T", "b", BucketRecord()}).ok());
  ASSERT_TRUE(s.Apply(UpdateTenant{"S", "T", 2, kHour, "", 0}).ok());
  const std::string before = s.Snapshot();
  // A second writer that read revision 0 loses: it must read again.
  Status lost = s.Apply(UpdateTenant{"S", "T", 3, 0, "", 0});
  EXPECT_EQ(lost.code(), Code::kConflict) << lost.ToString();
  EXPECT_NE(lost.message().find("read it again"), std::string::npos);
  EXPECT_EQ(s.Snapshot(), before);
  ASSERT_TRUE(s.Apply(UpdateTenant{"S", "T", 3, kHour, "4:2:rs", 1}).ok());
  const TenantRecord& t = **s.FindTenant("S", "T");
  EXPECT_EQ(t.replication_count, 3u);
  EXPECT_EQ(t.retention_ns, kHour);
  EXPECT_EQ(t.erasure_code, "4:2:rs");
  EXPECT_EQ(t.revision, 2u);
  EXPECT_TRUE(s.FindBucket("S", "T", "b").ok()) << "an update changes the settings, not the buckets";
  EXPECT_EQ(s.Apply(UpdateTenant{"S", "nobody", 0, 0, "", 0}).code(), Code::kNotFound);
  // Deleted and made again, a tenant starts over at revision 0.
  ASSERT_TRUE(s.Apply(DeleteBucket{"S", "T", "b"}).ok());
  ASSERT_TRUE(s.Apply(DeleteTenant{"S", "T"}).ok());
  ASSERT_TRUE(s.Apply(CreateTenant{"S", "T"}).ok());
  EXPECT_EQ((*s.FindTenant("S", "T"))->revision, 0u);
}

TEST(ClusterTenantPolicyTest, BucketsInheritTheTenantsErasureCodeUnlessTheyHaveOneOrOptOut) {
  ClusterState s = ClusterOf(0);
  ASSERT_TRUE(s.Apply(CreateTenant{"S", "T", 0, 0, "4:2:rs"}).ok());
  BucketRecord own, none;
  own.erasure_code = "6:3:rs";
  none.erasure_code = std::string(kNoErasureCode);
  ASSERT_TRUE(s.Apply(CreateBucket{"S", "T", "inherits", BucketRecord()}).ok());
  ASSERT_TRUE(s.Apply(CreateBucket{"S", "T", "own", own}).ok());
  ASSERT_TRUE(s.Apply(CreateBucket{"S", "T", "replicated", none}).ok());
  EXPECT_EQ(s.ErasureCodeOf("S/T/inherits"), "4:2:rs");
  EXPECT_EQ(s.ErasureCodeOf("S/T/own"), "6:3:rs");
  EXPECT_EQ(s.ErasureCodeOf("S/T/replicated"), "");
  EXPECT_EQ(s.ErasureCodeOf("S/T/no-record"), "4:2:rs") << "a bucket with no record (one node) is the tenant's";
  for (const char* internal : {"S/T/.fs", "S/T/.uploads", "S/T/.trlog", "S/T/.isgw"})
    EXPECT_EQ(s.ErasureCodeOf(internal), "") << internal << ": an internal bucket is erasure coded";
  EXPECT_EQ(s.ErasureCodeOf("S/Other/b"), "");
  EXPECT_EQ(s.ErasureCodeOf("not-a-path"), "");
  // The tenant's change reaches the buckets that inherit, and only them.
  ASSERT_TRUE(s.Apply(UpdateTenant{"S", "T", 0, 0, "", 0}).ok());
  EXPECT_EQ(s.ErasureCodeOf("S/T/inherits"), "");
  EXPECT_EQ(s.ErasureCodeOf("S/T/own"), "6:3:rs");
  // "none" is a bucket's setting; an update of a bucket to "" inherits again.
  BucketRecord back = **s.FindBucket("S", "T", "replicated");
  back.erasure_code.clear();
  ASSERT_TRUE(s.Apply(UpdateTenant{"S", "T", 0, 0, "2:1:rs", 1}).ok());
  ASSERT_TRUE(s.Apply(UpdateBucket{"S", "T", "replicated", back, 0}).ok());
  EXPECT_EQ(s.ErasureCodeOf("S/T/replicated"), "2:1:rs");
  BucketRecord bad;
  bad.erasure_code = "nope";
  EXPECT_EQ(s.Apply(CreateBucket{"S", "T", "bad", bad}).code(), Code::kInvalidArgument);
}

TEST(ClusterTenantPolicyTest, QuarantineRetentionFallsBackToTheRetentionAnUpdateGaveTheTenant) {
  ClusterState s = ClusterOf(0);
  ASSERT_TRUE(s.Apply(CreateTenant{"S", "T"}).ok());
  BucketRecord own;
  own.retention_ns = 5 * kHour;
  ASSERT_TRUE(s.Apply(CreateBucket{"S", "T", "plain", BucketRecord()}).ok());
  ASSERT_TRUE(s.Apply(CreateBucket{"S", "T", "own", own}).ok());
  EXPECT_EQ(s.QuarantineRetentionOf("S/T/plain"), 0u) << "no retention anywhere: the node's default";
  ASSERT_TRUE(s.Apply(UpdateTenant{"S", "T", 0, kHour, "", 0}).ok());
  EXPECT_EQ(s.QuarantineRetentionOf("S/T/plain"), kHour);
  EXPECT_EQ(s.QuarantineRetentionOf("S/T/no-record"), kHour);
  EXPECT_EQ(s.QuarantineRetentionOf("S/T/own"), 5 * kHour);
  ASSERT_TRUE(s.Apply(UpdateTenant{"S", "T", 2, kHour, "", 1}).ok());
  EXPECT_EQ(s.ReplicationCountOf("S/T/plain"), 2u);
}

TEST(ClusterTenantPolicyTest, FormatThreeCarriesTheTenantsPolicyInCommandsAndSnapshots) {
  ClusterState s = ClusterOf(0);
  ASSERT_TRUE(s.Apply(CreateTenant{"S", "T", 2, kHour, "4:2:rs"}).ok());
  ASSERT_TRUE(s.Apply(UpdateTenant{"S", "T", 3, 2 * kHour, "6:3:rs", 0}).ok());
  uint8_t version = 0;
  auto back = ClusterState::Restore(s.Snapshot(), &version);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(version, kClusterStateFormat);  // format 3 or later
  EXPECT_EQ(*back, s);
  EXPECT_EQ((*back->FindTenant("S", "T"))->revision, 1u);
  EXPECT_EQ(back->Snapshot(), s.Snapshot());
  // Format 2 had a tenant's retention and not its erasure code: an older snapshot drops it.
  auto v2 = ClusterState::Restore(s.Snapshot(2), &version);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(version, 2);
  EXPECT_EQ((*v2->FindTenant("S", "T"))->retention_ns, 2 * kHour);
  EXPECT_EQ((*v2->FindTenant("S", "T"))->erasure_code, "");

  for (const ClusterCommand& c :
       {ClusterCommand(CreateTenant{"S", "T", 2, kHour, "4:2:rs"}), ClusterCommand(UpdateTenant{"S", "T", 3, 7, "", 9})}) {
    std::string bytes = EncodeCommand(c);
    auto decoded = DecodeCommand(bytes, &version);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(version, kClusterStateFormat);
    EXPECT_EQ(EncodeCommand(*decoded), bytes);
    EXPECT_FALSE(DecodeCommand(bytes.substr(0, bytes.size() - 1)).ok());
  }
  auto u = DecodeCommand(EncodeCommand(UpdateTenant{"S", "T", 3, 7, "2:1:rs", 9}));
  ASSERT_TRUE(u.ok());
  const auto& ut = std::get<UpdateTenant>(*u);
  EXPECT_EQ(ut.replication_count, 3u);
  EXPECT_EQ(ut.retention_ns, 7u);
  EXPECT_EQ(ut.erasure_code, "2:1:rs");
  EXPECT_EQ(ut.if_revision, 9u);
  // Format 2 has no UpdateTenant: its kind is unknown there.
  std::string as_v2 = EncodeCommand(UpdateTenant{"S", "T"});
  as_v2[1] = 2;
  auto refused = DecodeCommand(as_v2);
  EXPECT_EQ(refused.status().code(), Code::kCorruption) << refused.status().ToString();
}

TEST(ClusterTenantPolicyTest, ErasurePlacementNeedsAFailureDomainPerFragment) {
  ClusterState two = ClusterOf(2), six = ClusterOf(6), one = ClusterOf(0);
  Status st = CheckErasurePlacement(two, "4:2:rs");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("needs 6 distinct servers"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("the cluster has 2"), std::string::npos) << st.ToString();
  EXPECT_TRUE(CheckErasurePlacement(six, "4:2:rs").ok());
  EXPECT_FALSE(CheckErasurePlacement(one, "2:1:rs").ok()) << "one node is one failure domain";
  EXPECT_TRUE(CheckErasurePlacement(one, "").ok());
  EXPECT_TRUE(CheckErasurePlacement(one, "none").ok());
  EXPECT_EQ(CheckErasurePlacement(six, "4:x:rs").code(), Code::kInvalidArgument);
}

// A registry over one in-process state; `before_propose` runs ahead of each proposal (a
// concurrent writer's command landing first).
class LocalRegistry final : public Registry {
 public:
  explicit LocalRegistry(ClusterState s) : state_(std::make_shared<ClusterState>(std::move(s))) {}
  std::shared_ptr<const ClusterState> current() override { return state_; }
  std::shared_ptr<const ClusterState> WaitNewer(uint64_t, std::chrono::milliseconds) override { return state_; }
  Status Propose(const ClusterCommand& c) override {
    if (before_propose) before_propose(*state_);
    ++proposals;
    return state_->Apply(c);
  }
  std::function<void(ClusterState&)> before_propose;
  int proposals = 0;

 private:
  std::shared_ptr<ClusterState> state_;
};

TEST(ClusterTenantPolicyTest, ChangeTenantChangesOnlyWhatItIsGivenAndRereadsOnAConflict) {
  ClusterState s = ClusterOf(6);
  ASSERT_TRUE(s.Apply(CreateTenant{"S", "T", 2, kHour, ""}).ok());
  LocalRegistry registry(std::move(s));
  // Another writer sets the replication count between our read and our proposal, once.
  bool raced = false;
  registry.before_propose = [&](ClusterState& state) {
    if (raced) return;
    raced = true;
    const TenantRecord& t = **state.FindTenant("S", "T");
    ASSERT_TRUE(state.Apply(UpdateTenant{"S", "T", 4, t.retention_ns, t.erasure_code, t.revision}).ok());
  };
  TenantChange change;
  change.retention_ns = 3 * kHour;
  change.erasure_code = "4:2:rs";
  ASSERT_TRUE(ChangeTenant(registry, "S", "T", change).ok());
  EXPECT_EQ(registry.proposals, 2) << "the first proposal conflicted and was made again";
  const TenantRecord& t = **registry.current()->FindTenant("S", "T");
  EXPECT_EQ(t.replication_count, 4u) << "the concurrent change was kept";
  EXPECT_EQ(t.retention_ns, 3 * kHour);
  EXPECT_EQ(t.erasure_code, "4:2:rs");
  EXPECT_EQ(t.revision, 2u);

  // An unplaceable policy is refused before anything is proposed.
  TenantChange wide;
  wide.erasure_code = "9:3:rs";
  Status st = ChangeTenant(registry, "S", "T", wide);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("cannot be placed"), std::string::npos) << st.ToString();
  EXPECT_EQ(registry.proposals, 2);
  EXPECT_EQ(ChangeTenant(registry, "S", "nobody", TenantChange()).code(), Code::kNotFound);
}

}  // namespace
}  // namespace ccow
