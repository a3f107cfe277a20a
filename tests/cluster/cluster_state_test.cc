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
  BucketRecord p;
  p.chunk_size = 256 << 10;
  p.chunking = ChunkingMode::kCdc;
  p.erasure_code = "4:2:rs";
  p.versioning = Versioning::kEnabled;
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
  BucketRecord bad;
  bad.erasure_code = "4:x:rs";
  expect(CreateBucket{"Hawaii", "Cola", "bk2", bad}, Code::kInvalidArgument, "invalid erasure code");
  bad = BucketRecord();
  bad.chunk_size = 1000;
  expect(CreateBucket{"Hawaii", "Cola", "bk2", bad}, Code::kInvalidArgument, "chunk");
  expect(CreateBucket{"Hawaii", "Cola", "bk1", BucketRecord()}, Code::kAlreadyExists, "exists");
  expect(CreateBucket{"Hawaii", "Pepsi", "bk1", BucketRecord()}, Code::kNotFound, "no tenant");
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
  BucketRecord p;
  p.hash = HashAlgo::kBlake2b256;
  std::vector<ClusterCommand> all = {
      AddTarget{Target("t9")}, SetTargetState{"t9", TargetState::kReadOnly}, RemoveTarget{"t9"},
      PublishFlexHash{7, "{}"}, CreateSegment{"S"}, DeleteSegment{"S"}, CreateTenant{"S", "T", 3},
      DeleteTenant{"S", "T"}, CreateBucket{"S", "T", "B", p}, DeleteBucket{"S", "T", "B"},
      CreateService{"svc", "isgw"}, ServiceServe{"svc", "S/T/B"}, DeleteService{"svc"},
      UpdateBucket{"S", "T", "B", p, 2}, CreateUser{{"AKIAX", "s", "S", "T", 1}}, DeleteUser{"AKIAX"},
      UpdateTenant{"S", "T", 2, 60, "4:2:rs", 1}, CreateTenant{"S", "T", 3, 60, "4:2:rs"},
      AddMasterKey{1, std::string(32, 'k')}, ConfigureService{"svc", ServiceConfig{}, 3},
      ServiceUnserve{"svc", "S/T/B"}, InitSite{0xdeadbeef}, InitSiteKey{std::string(32, 's')}};
  ASSERT_EQ(all.size() - 1, std::variant_size_v<ClusterCommand>) << "a command is missing here";
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
    switch (rng() % 9) {
      case 0: c = AddTarget{Target("t" + n)}; break;
      case 1: c = SetTargetState{"t" + n, static_cast<TargetState>(1 + rng() % 3)}; break;
      case 2: c = CreateSegment{n}; break;
      case 3: c = CreateTenant{n, m, static_cast<uint32_t>(rng() % 4)}; break;
      case 4: c = CreateBucket{n, m, names[rng() % 3], BucketRecord()}; break;
      case 5: c = DeleteBucket{n, m, names[rng() % 3]}; break;
      case 6: c = DeleteTenant{n, m}; break;
      case 7: c = UpdateTenant{n, m, static_cast<uint32_t>(rng() % 4), rng() % 3, rng() % 2 ? "4:2:rs" : "", rng() % 3};
        break;
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

namespace ccow {
namespace {

using namespace command;

// The registry of record (issue 10): buckets with every setting, users, and
// compare-and-set updates so that concurrent gateways never lose a change.
TEST(ClusterStateRegistryTest, CreateBucketWithParentsMakesTheTenantInOneCommand) {
  ClusterState s;
  BucketRecord r;
  r.location = "eu-west-1";
  ASSERT_TRUE(s.Apply(CreateBucket{"ccow", "default", "photos", r, true}).ok());
  auto b = s.FindBucket("ccow", "default", "photos");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->location, "eu-west-1");
  EXPECT_EQ((*b)->revision, 0u);
  // Exactly one of two creations of a name wins, whoever proposes them.
  Status second = s.Apply(CreateBucket{"ccow", "default", "photos", r, true});
  EXPECT_EQ(second.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.Apply(CreateBucket{"ccow", "nobody", "x1", r, false}).code(), Code::kNotFound);
}

TEST(ClusterStateRegistryTest, UniqueInSegmentRefusesANameAnyTenantHolds) {
  ClusterState s;
  BucketRecord r;
  ASSERT_TRUE(s.Apply(CreateBucket{"ccow", "alice", "shared", r, true, true}).ok());
  // S3's CreateBucket: the name is taken in the segment, whichever tenant asks.
  EXPECT_EQ(s.Apply(CreateBucket{"ccow", "bob", "shared", r, true, true}).code(), Code::kAlreadyExists);
  EXPECT_FALSE(s.FindTenant("ccow", "bob").ok()) << "a refused command made the tenant anyway";
  // `ccow bucket create` without the flag keeps per-tenant names; another segment is apart.
  EXPECT_TRUE(s.Apply(CreateBucket{"ccow", "bob", "shared", r, true, false}).ok());
  EXPECT_TRUE(s.Apply(CreateBucket{"other", "carol", "shared", r, true, true}).ok());
  // Once the holder deletes it, the name is free again.
  ASSERT_TRUE(s.Apply(DeleteBucket{"ccow", "alice", "shared"}).ok());
  ASSERT_TRUE(s.Apply(DeleteBucket{"ccow", "bob", "shared"}).ok());
  EXPECT_TRUE(s.Apply(CreateBucket{"ccow", "dave", "shared", r, true, true}).ok());
}

// S3 Object Lock: a bucket that has it stays versioned and keeps it; a default retention
// is a mode with days or years, not both.
TEST(ClusterStateRegistryTest, ObjectLockStaysOnAndKeepsTheBucketVersioned) {
  ClusterState s;
  BucketRecord r;
  r.object_lock.enabled = true;
  EXPECT_EQ(s.Apply(CreateBucket{"ccow", "t", "b", r, true}).code(), Code::kInvalidArgument)
      << "Object Lock without versioning was accepted";
  r.versioning = Versioning::kEnabled;
  ASSERT_TRUE(s.Apply(CreateBucket{"ccow", "t", "b", r, true}).ok());
  BucketRecord next = **s.FindBucket("ccow", "t", "b");
  BucketRecord bad = next;
  bad.versioning = Versioning::kSuspended;
  EXPECT_EQ(s.Apply(UpdateBucket{"ccow", "t", "b", bad, 0}).code(), Code::kInvalidArgument);
  bad = next;
  bad.object_lock.enabled = false;
  EXPECT_EQ(s.Apply(UpdateBucket{"ccow", "t", "b", bad, 0}).code(), Code::kInvalidArgument);
  bad = next;
  bad.object_lock.default_mode = 2;
  EXPECT_EQ(s.Apply(UpdateBucket{"ccow", "t", "b", bad, 0}).code(), Code::kInvalidArgument) << "a mode without days";
  bad.object_lock.default_days = 1;
  bad.object_lock.default_years = 1;
  EXPECT_EQ(s.Apply(UpdateBucket{"ccow", "t", "b", bad, 0}).code(), Code::kInvalidArgument) << "days and years";
  EXPECT_EQ((**s.FindBucket("ccow", "t", "b")).revision, 0u) << "a refused update changed the bucket";
  next.object_lock.default_mode = 1;
  next.object_lock.default_years = 2;
  ASSERT_TRUE(s.Apply(UpdateBucket{"ccow", "t", "b", next, 0}).ok());
  auto back = ClusterState::Restore(s.Snapshot());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((**back->FindBucket("ccow", "t", "b")).object_lock, next.object_lock);
  // An unlocked bucket may turn it on (AWS allows it on a versioned bucket).
  BucketRecord plain;
  plain.versioning = Versioning::kEnabled;
  ASSERT_TRUE(s.Apply(CreateBucket{"ccow", "t", "c", plain, true}).ok());
  plain.object_lock.enabled = true;
  EXPECT_TRUE(s.Apply(UpdateBucket{"ccow", "t", "c", plain, 0}).ok());
}

TEST(ClusterStateRegistryTest, UpdateBucketIsACompareAndSetOnTheRevision) {
  ClusterState s;
  ASSERT_TRUE(s.Apply(CreateBucket{"ccow", "t", "b", BucketRecord(), true}).ok());
  BucketRecord a = **s.FindBucket("ccow", "t", "b");
  BucketRecord b = a;  // a second writer read the same revision
  a.versioning = Versioning::kEnabled;
  b.tags = {{"team", "blue"}};
  ASSERT_TRUE(s.Apply(UpdateBucket{"ccow", "t", "b", a, 0}).ok());
  const std::string before = s.Snapshot();
  Status lost = s.Apply(UpdateBucket{"ccow", "t", "b", b, 0});
  EXPECT_EQ(lost.code(), Code::kConflict) << lost.ToString();
  EXPECT_EQ(s.Snapshot(), before);
  // Re-read, re-apply the change, commit: both changes are kept.
  BucketRecord again = **s.FindBucket("ccow", "t", "b");
  again.tags = {{"team", "blue"}};
  ASSERT_TRUE(s.Apply(UpdateBucket{"ccow", "t", "b", again, 1}).ok());
  const BucketRecord& now = **s.FindBucket("ccow", "t", "b");
  EXPECT_EQ(now.versioning, Versioning::kEnabled);
  EXPECT_EQ(now.tags.size(), 1u);
  EXPECT_EQ(now.revision, 2u);
  BucketRecord bad = now;
  bad.chunk_size = 3;
  EXPECT_EQ(s.Apply(UpdateBucket{"ccow", "t", "b", bad, 2}).code(), Code::kInvalidArgument);
  EXPECT_EQ(s.Apply(UpdateBucket{"ccow", "t", "nope", now, 2}).code(), Code::kNotFound);
}

TEST(ClusterStateRegistryTest, UsersAreKeyedByAccessKeyAndHoldTheirTenant) {
  ClusterState s;
  UserRecord u{"AKIA0000000000000001", "secret", "ccow", "team2", 1};
  ASSERT_TRUE(s.Apply(CreateUser{u}).ok());
  ASSERT_NE(s.FindUser("AKIA0000000000000001"), nullptr);
  EXPECT_EQ(s.FindUser("AKIA0000000000000001")->tenant, "team2");
  EXPECT_TRUE(s.FindTenant("ccow", "team2").ok()) << "the tenant is made with its first key";
  EXPECT_EQ(s.Apply(CreateUser{u}).code(), Code::kAlreadyExists);
  UserRecord bad = u;
  bad.access_key = "a/b";
  EXPECT_EQ(s.Apply(CreateUser{bad}).code(), Code::kInvalidArgument);
  EXPECT_EQ(s.Apply(DeleteTenant{"ccow", "team2"}).code(), Code::kConflict) << "a tenant with keys stays";
  ASSERT_TRUE(s.Apply(DeleteUser{"AKIA0000000000000001"}).ok());
  EXPECT_EQ(s.FindUser("AKIA0000000000000001"), nullptr);
  EXPECT_EQ(s.Apply(DeleteUser{"AKIA0000000000000001"}).code(), Code::kNotFound);
  EXPECT_TRUE(s.Apply(DeleteTenant{"ccow", "team2"}).ok());
}

TEST(ClusterStateRegistryTest, EverySettingSurvivesSnapshotAndCommandEncoding) {
  ClusterState s;
  BucketRecord r;
  r.chunk_size = 256 << 10;
  r.chunking = ChunkingMode::kCdc;
  r.replication_count = 2;
  r.versioning = Versioning::kSuspended;
  r.quota_bytes = 1 << 30;
  r.retention_ns = 3600;
  r.created_ns = 77;
  r.location = "us-west-2";
  r.tags = {{"a", "1"}, {"b", "2"}};
  r.cors_xml = "<CORSConfiguration/>";
  r.lifecycle_xml = "<LifecycleConfiguration/>";
  r.access = "{\"owner\":\"t\"}";
  ASSERT_TRUE(s.Apply(CreateBucket{"ccow", "t", "b", r, true}).ok());
  BucketRecord locked = r;
  locked.versioning = Versioning::kEnabled;
  locked.object_lock = {true, 2, 0, 3};
  ASSERT_TRUE(s.Apply(CreateBucket{"ccow", "t", "l", locked, true}).ok());
  EXPECT_EQ((**s.FindBucket("ccow", "t", "l")).object_lock, locked.object_lock);
  ASSERT_TRUE(s.Apply(CreateUser{{"AKIAX", "s", "ccow", "t", 9}}).ok());
  auto back = ClusterState::Restore(s.Snapshot());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(**back->FindBucket("ccow", "t", "b"), r);
  std::string bytes = EncodeCommand(UpdateBucket{"ccow", "t", "b", r, 4});
  auto c = DecodeCommand(bytes);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(std::get<UpdateBucket>(*c).record, r);
}

// A Raft log and snapshots written by the release before the registry (format 1) still
// load, and re-encode to the same bytes in that format.
TEST(ClusterStateRegistryTest, FormatOneLogsAndSnapshotsStillLoad) {
  BucketRecord p;
  p.versioning = Versioning::kEnabled;
  p.quota_bytes = 5;
  std::string v1 = EncodeCommand(CreateBucket{"S", "T", "B", p}, 1);
  EXPECT_EQ(v1[1], 1);
  uint8_t version = 0;
  auto c = DecodeCommand(v1, &version);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(version, 1);
  EXPECT_EQ(std::get<CreateBucket>(*c).record.versioning, Versioning::kEnabled);
  EXPECT_EQ(EncodeCommand(*c, 1), v1);
  std::string user = EncodeCommand(CreateUser{{"AKIAX", "s", "S", "T", 1}});
  user[1] = 1;  // format 1 had no users
  EXPECT_FALSE(DecodeCommand(user).ok());

  ClusterState s;
  ASSERT_TRUE(s.Apply(CreateSegment{"S"}).ok());
  ASSERT_TRUE(s.Apply(CreateTenant{"S", "T", 2}).ok());
  ASSERT_TRUE(s.Apply(*c).ok());
  std::string snap1 = s.Snapshot(1);
  auto restored = ClusterState::Restore(snap1, &version);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(version, 1);
  EXPECT_EQ(restored->Snapshot(1), snap1);
  EXPECT_EQ(*restored, s);
}

}  // namespace
}  // namespace ccow
