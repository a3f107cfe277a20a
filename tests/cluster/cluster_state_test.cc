#include "cluster/cluster_state.h"

#include <gtest/gtest.h>

#include <random>

namespace ccow {
namespace {

using namespace command;

TargetRecord Target(const std::string& name, int vdevs = 2) {
  TargetRecord t{name, "zone-a", "127.0.0.1:7000", TargetState::kAlive, {}};
  for (int v = 0; v < vdevs; ++v)
    t.vdevs.push_back({name + "/vdev" + std::to_string(v), name, "zone-a", 1ull << 40, 0,
                       "127.0.0.1:" + std::to_string(7100 + v)});
  return t;
}

std::string Checkpoint(uint64_t generation, const ClusterState& s) {
  std::vector<VdevInfo> vdevs;
  for (const auto& [name, t] : s.targets())
    for (const auto& v : t.vdevs) vdevs.push_back(v);
  return FlexHashTable::Build(vdevs, generation)->ToJson();
}

// A small cluster with a namespace, as `ccow system init` and the admin commands build it.
ClusterState Sample() {
  ClusterState s;
  EXPECT_TRUE(s.Apply(AddTarget{Target("t1")}).ok());
  EXPECT_TRUE(s.Apply(AddTarget{Target("t2")}).ok());
  EXPECT_TRUE(s.Apply(PublishFlexHash{1, Checkpoint(1, s)}).ok());
  EXPECT_TRUE(s.Apply(CreateSegment{"Hawaii"}).ok());
  EXPECT_TRUE(s.Apply(CreateTenant{"Hawaii", "Cola", 2}).ok());
  BucketPolicy p;
  p.chunk_size = 256 << 10;
  p.chunking = ChunkingMode::kCdc;
  p.erasure_code = "4:2:rs";
  p.versioning = true;
  EXPECT_TRUE(s.Apply(CreateBucket{"Hawaii", "Cola", "bk1", p}).ok());
  EXPECT_TRUE(s.Apply(CreateService{"hawaii", "isgw"}).ok());
  EXPECT_TRUE(s.Apply(ServiceServe{"hawaii", "Hawaii/Cola/bk1"}).ok());
  return s;
}

TEST(ClusterStateTest, CommandsBuildTheRegistry) {
  ClusterState s = Sample();
  EXPECT_EQ(s.targets().size(), 2u);
  EXPECT_EQ(s.flexhash_generation(), 1u);
  auto bucket = s.FindBucket("Hawaii", "Cola", "bk1");
  ASSERT_TRUE(bucket.ok());
  EXPECT_EQ((*bucket)->erasure_code, "4:2:rs");
  EXPECT_EQ((*s.FindTenant("Hawaii", "Cola"))->replication_count, 2u);
  EXPECT_EQ(s.services().at("hawaii").serves, std::vector<std::string>{"Hawaii/Cola/bk1"});
  EXPECT_EQ(s.commands_applied(), 8u);
}

TEST(ClusterStateTest, InvalidCommandsFailWithAClearErrorAndChangeNothing) {
  ClusterState s = Sample();
  const std::string before = s.Snapshot();
  auto expect = [&](const ClusterCommand& c, Code code, const std::string& words) {
    Status st = s.Apply(c);
    EXPECT_EQ(st.code(), code) << st.ToString();
    EXPECT_NE(st.message().find(words), std::string::npos) << st.ToString();
    EXPECT_EQ(s.Snapshot(), before) << "a failed command changed the state: " << st.ToString();
  };
  expect(AddTarget{Target("t1")}, Code::kAlreadyExists, "already a member");
  TargetRecord thief = Target("t3");
  thief.vdevs[0].id = "t1/vdev0";
  expect(AddTarget{thief}, Code::kAlreadyExists, "belongs to target t1");
  expect(AddTarget{Target("t3", 0)}, Code::kInvalidArgument, "no VDEV");
  expect(SetTargetState{"nope", TargetState::kDead}, Code::kNotFound, "no target");
  expect(PublishFlexHash{1, Checkpoint(1, s)}, Code::kConflict, "does not advance");
  expect(PublishFlexHash{2, Checkpoint(3, s)}, Code::kInvalidArgument, "generation 3");
  expect(PublishFlexHash{2, "not json"}, Code::kCorruption, "FlexHash");
  expect(CreateSegment{"Hawaii"}, Code::kAlreadyExists, "exists");
  expect(CreateSegment{"bad/name"}, Code::kInvalidArgument, "invalid cluster name");
  expect(CreateTenant{"Nowhere", "Cola"}, Code::kNotFound, "no cluster Nowhere");
  expect(CreateTenant{"Hawaii", "Cola"}, Code::kAlreadyExists, "exists");
  expect(CreateTenant{"Hawaii", "Pepsi", 9}, Code::kInvalidArgument, "replication count 9");
  BucketPolicy bad;
  bad.erasure_code = "4:x:rs";
  expect(CreateBucket{"Hawaii", "Cola", "bk2", bad}, Code::kInvalidArgument, "invalid erasure code");
  bad = BucketPolicy();
  bad.chunk_size = 1000;
  expect(CreateBucket{"Hawaii", "Cola", "bk2", bad}, Code::kInvalidArgument, "chunk");
  expect(CreateBucket{"Hawaii", "Cola", "bk1", BucketPolicy()}, Code::kAlreadyExists, "exists");
  expect(CreateBucket{"Hawaii", "Pepsi", "bk1", BucketPolicy()}, Code::kNotFound, "no tenant");
  expect(DeleteTenant{"Hawaii", "Cola"}, Code::kConflict, "still has 1 buckets");
  expect(DeleteSegment{"Hawaii"}, Code::kConflict, "still has 1 tenants");
  expect(DeleteBucket{"Hawaii", "Cola", "bk9"}, Code::kNotFound, "no bucket");
  expect(CreateService{"x", "nfs"}, Code::kInvalidArgument, "unknown service type");
  expect(ServiceServe{"hawaii", "Hawaii/Cola/bk1"}, Code::kAlreadyExists, "already serves");
  expect(ServiceServe{"nope", "Hawaii/Cola/bk1"}, Code::kNotFound, "no service");
}

TEST(ClusterStateTest, DeletesEmptyTheRegistryInOrder) {
  ClusterState s = Sample();
  ASSERT_TRUE(s.Apply(DeleteBucket{"Hawaii", "Cola", "bk1"}).ok());
  ASSERT_TRUE(s.Apply(DeleteTenant{"Hawaii", "Cola"}).ok());
  ASSERT_TRUE(s.Apply(DeleteSegment{"Hawaii"}).ok());
  ASSERT_TRUE(s.Apply(SetTargetState{"t2", TargetState::kDead}).ok());
  EXPECT_EQ(s.targets().at("t2").state, TargetState::kDead);
  ASSERT_TRUE(s.Apply(RemoveTarget{"t2"}).ok());
  ASSERT_TRUE(s.Apply(DeleteService{"hawaii"}).ok());
  EXPECT_TRUE(s.segments().empty());
  EXPECT_EQ(s.targets().size(), 1u);
}

TEST(ClusterStateTest, SnapshotIsCanonicalAndRestoresTheSameState) {
  ClusterState s = Sample();
  std::string bytes = s.Snapshot();
  auto back = ClusterState::Restore(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->Snapshot(), bytes);
  EXPECT_FALSE(ClusterState::Restore(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(ClusterState::Restore(bytes + "x").ok());
  EXPECT_FALSE(ClusterState::Restore("").ok());
}

TEST(ClusterStateTest, EveryCommandRoundTripsAndGarbageIsRefused) {
  BucketPolicy p;
  p.hash = HashAlgo::kBlake2b256;
  std::vector<ClusterCommand> all = {
      AddTarget{Target("t9")}, SetTargetState{"t9", TargetState::kReadOnly}, RemoveTarget{"t9"},
      PublishFlexHash{7, "{}"}, CreateSegment{"S"}, DeleteSegment{"S"}, CreateTenant{"S", "T", 3},
      DeleteTenant{"S", "T"}, CreateBucket{"S", "T", "B", p}, DeleteBucket{"S", "T", "B"},
      CreateService{"svc", "isgw"}, ServiceServe{"svc", "S/T/B"}, DeleteService{"svc"}};
  for (const auto& c : all) {
    std::string bytes = EncodeCommand(c);
    auto back = DecodeCommand(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->index(), c.index());
    EXPECT_EQ(EncodeCommand(*back), bytes);
    EXPECT_FALSE(DecodeCommand(bytes + "x").ok());
    EXPECT_FALSE(DecodeCommand(bytes.substr(0, bytes.size() - 1)).ok());
  }
  std::string unknown = EncodeCommand(all[0]);
  unknown[2] = 99;
  EXPECT_FALSE(DecodeCommand(unknown).ok());
}

// Replicas that apply the same log, failures included, hold byte-identical state.
TEST(ClusterStateTest, ReplicasApplyingTheSameLogConverge) {
  std::mt19937_64 rng(11);
  std::vector<std::string> log;
  const char* names[] = {"a", "b", "c"};
  for (int i = 0; i < 2000; ++i) {
    std::string n = names[rng() % 3], m = names[rng() % 3];
    ClusterCommand c;
    switch (rng() % 8) {
      case 0: c = AddTarget{Target("t" + n)}; break;
      case 1: c = SetTargetState{"t" + n, static_cast<TargetState>(1 + rng() % 3)}; break;
      case 2: c = CreateSegment{n}; break;
      case 3: c = CreateTenant{n, m, static_cast<uint32_t>(rng() % 4)}; break;
      case 4: c = CreateBucket{n, m, names[rng() % 3], BucketPolicy()}; break;
      case 5: c = DeleteBucket{n, m, names[rng() % 3]}; break;
      case 6: c = DeleteTenant{n, m}; break;
      default: c = DeleteSegment{n}; break;
    }
    log.push_back(EncodeCommand(c));
  }
  ClusterState a, b;
  for (const auto& entry : log) {
    auto c = DecodeCommand(entry);
    ASSERT_TRUE(c.ok());
    (void)a.Apply(*c);
  }
  for (const auto& entry : log) (void)b.Apply(*DecodeCommand(entry));
  EXPECT_EQ(a.Snapshot(), b.Snapshot());
  EXPECT_GT(a.commands_applied(), 100u);
}

}  // namespace
}  // namespace ccow
