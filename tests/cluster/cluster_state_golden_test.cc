// Golden vectors of the cluster-state encoding (docs/FORMAT.md "Cluster state"): fixed
// commands and states -> fixed bytes, per format. A Raft log or snapshot written by an
// older release must still load, so the bytes of an existing format never change: a new
// setting means a new format and new vectors here. Never edit the expected bytes of an
// existing vector. Each pinned encoding is also decoded from the pinned bytes themselves
// and re-encoded in its own format to exactly them.
#include <gtest/gtest.h>

#include "cluster/cluster_state.h"
#include "cluster/cluster_state_json.h"
#include "cluster/service_config.h"
#include "core/hash.h"

namespace ccow {
namespace {

using namespace command;

BucketRecord SampleBucket() {
  BucketRecord r;
  r.chunk_size = 256 << 10;
  r.chunking = ChunkingMode::kCdc;
  r.erasure_code = "4:2:rs";
  r.replication_count = 2;
  r.versioning = Versioning::kEnabled;
  r.quota_bytes = 1 << 30;
  r.retention_ns = 3600;
  r.created_ns = 1700000000000000000ull;
  r.location = "eu-west-1";
  r.tags = {{"team", "blue"}};
  r.cors_xml = "<C/>";
  r.lifecycle_xml = "<L/>";
  r.access = "{}";
  return r;
}

// A state every format can hold: a target, a namespace, a service and (formats 2 and
// later) a key pair.
ClusterState SampleState() {
  ClusterState s;
  EXPECT_TRUE(s.Apply(AddTarget{{"t1", "z", "127.0.0.1:7000", TargetState::kAlive,
                                 {{"t1/v0", "t1", "z", 1 << 30, 0, "127.0.0.1:7100"}}}})
                  .ok());
  EXPECT_TRUE(s.Apply(CreateSegment{"Hawaii"}).ok());
  EXPECT_TRUE(s.Apply(CreateTenant{"Hawaii", "Cola", 2}).ok());
  EXPECT_TRUE(s.Apply(CreateBucket{"Hawaii", "Cola", "bk1", SampleBucket()}).ok());
  EXPECT_TRUE(s.Apply(CreateService{"hawaii", "isgw"}).ok());
  EXPECT_TRUE(s.Apply(ServiceServe{"hawaii", "Hawaii/Cola/bk1"}).ok());
  EXPECT_TRUE(s.Apply(CreateUser{{"AKIAX", "secret", "Hawaii", "Cola", 5}}).ok());
  return s;
}

std::string Hex(const std::string& bytes) { return ToHex(bytes.data(), bytes.size()); }

// The pinned bytes decode as a command of `version` that re-encodes to exactly them.
ClusterCommand ExpectGoldenCommand(const ClusterCommand& c, uint8_t version, const char* want_hex) {
  EXPECT_EQ(Hex(EncodeCommand(c, version)), want_hex) << "format " << int(version) << " of a command changed";
  auto bytes = FromHex(want_hex);
  EXPECT_TRUE(bytes.ok());
  uint8_t got_version = 0;
  auto back = DecodeCommand(*bytes, &got_version);
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  if (!back.ok()) return c;
  EXPECT_EQ(got_version, version);
  EXPECT_EQ(Hex(EncodeCommand(*back, version)), want_hex);
  return *back;
}

ClusterState ExpectGoldenSnapshot(const ClusterState& s, uint8_t version, const char* want_hex) {
  EXPECT_EQ(Hex(s.Snapshot(version)), want_hex) << "format " << int(version) << " of a snapshot changed";
  auto bytes = FromHex(want_hex);
  EXPECT_TRUE(bytes.ok());
  uint8_t got_version = 0;
  auto back = ClusterState::Restore(*bytes, &got_version);
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  if (!back.ok()) return s;
  EXPECT_EQ(got_version, version);
  EXPECT_EQ(Hex(back->Snapshot(version)), want_hex);
  return *back;
}

TEST(ClusterStateGoldenTest, FormatOneCommandsArePinned) {
  ExpectGoldenCommand(CreateTenant{"Hawaii", "Cola", 2}, 1,
      "1001070648617761696904436f6c6102");
  auto c = ExpectGoldenCommand(CreateBucket{"Hawaii", "Cola", "bk1", SampleBucket()}, 1,
      "1001090648617761696904436f6c6103626b31808010010106343a323a7273018080808004");
  // Format 1 held the policy fields only.
  const BucketRecord& r = std::get<CreateBucket>(c).record;
  EXPECT_EQ(r.erasure_code, "4:2:rs");
  EXPECT_EQ(r.quota_bytes, 1u << 30);
  EXPECT_EQ(r.retention_ns, 0u);
}

TEST(ClusterStateGoldenTest, FormatTwoCommandsArePinned) {
  auto t = ExpectGoldenCommand(CreateTenant{"Hawaii", "Cola", 2}, 2,
      "1002070648617761696904436f6c6102");
  EXPECT_EQ(std::get<CreateTenant>(t).replication_count, 2u);
  auto c = ExpectGoldenCommand(CreateBucket{"Hawaii", "Cola", "bk1", SampleBucket(), true}, 2,
      "1002090648617761696904436f6c6103626b31808010010106343a323a727301808080800402"
      "901c8080a8b1e39fe7cb170965752d776573742d3101047465616d04626c7565043c432f3e04"
      "3c4c2f3e027b7d0001");
  EXPECT_EQ(std::get<CreateBucket>(c).record, SampleBucket());
  EXPECT_TRUE(std::get<CreateBucket>(c).create_parents);
  auto u = ExpectGoldenCommand(UpdateBucket{"Hawaii", "Cola", "bk1", SampleBucket(), 4}, 2,
      "10020e0648617761696904436f6c6103626b31808010010106343a323a727301808080800402"
      "901c8080a8b1e39fe7cb170965752d776573742d3101047465616d04626c7565043c432f3e04"
      "3c4c2f3e027b7d0004");
  EXPECT_EQ(std::get<UpdateBucket>(u).if_revision, 4u);
  ExpectGoldenCommand(CreateUser{{"AKIAX", "secret", "Hawaii", "Cola", 5}}, 2,
      "10020f05414b494158067365637265740648617761696904436f6c6105");
}

TEST(ClusterStateGoldenTest, FormatOneAndTwoSnapshotsArePinned) {
  ClusterState s = SampleState();
  ClusterState v2 = ExpectGoldenSnapshot(s, 2,
      "110207000001027431017a0e3132372e302e302e313a3730303001010574312f763002743101"
      "7a8080808004000e3132372e302e302e313a3731303001064861776169690104436f6c610200"
      "0103626b31808010010106343a323a727301808080800402901c8080a8b1e39fe7cb17096575"
      "2d776573742d3101047465616d04626c7565043c432f3e043c4c2f3e027b7d00010668617761"
      "69690469736777010f4861776169692f436f6c612f626b310105414b49415806736563726574"
      "0648617761696904436f6c6105");
  EXPECT_EQ(v2, s);
  ClusterState v1 = ExpectGoldenSnapshot(s, 1,
      "110107000001027431017a0e3132372e302e302e313a3730303001010574312f763002743101"
      "7a8080808004000e3132372e302e302e313a3731303001064861776169690104436f6c610201"
      "03626b31808010010106343a323a727301808080800401066861776169690469736777010f48"
      "61776169692f436f6c612f626b31");
  EXPECT_TRUE(v1.users().empty()) << "format 1 had no key pairs";
  EXPECT_EQ((*v1.FindBucket("Hawaii", "Cola", "bk1"))->erasure_code, "4:2:rs");
}

// Format 3: a tenant's policy (retention and erasure code at creation, UpdateTenant, and
// in snapshots its erasure code and revision), and a bucket's "none".
TEST(ClusterStateGoldenTest, FormatThreeCommandsArePinned) {
  auto t = ExpectGoldenCommand(CreateTenant{"Hawaii", "Cola", 2, 3600'000'000'000, "4:2:rs"}, 3,
      "1003070648617761696904436f6c610280c0e285e36806343a323a7273");
  EXPECT_EQ(std::get<CreateTenant>(t).retention_ns, 3600'000'000'000u);
  EXPECT_EQ(std::get<CreateTenant>(t).erasure_code, "4:2:rs");
  auto u = ExpectGoldenCommand(UpdateTenant{"Hawaii", "Cola", 3, 60'000'000'000, "6:3:rs", 4}, 3,
      "1003110648617761696904436f6c610380b09dc2df0106363a333a727304");
  EXPECT_EQ(std::get<UpdateTenant>(u).erasure_code, "6:3:rs");
  EXPECT_EQ(std::get<UpdateTenant>(u).if_revision, 4u);
  BucketRecord none = SampleBucket();
  none.erasure_code = std::string(kNoErasureCode);
  auto c = ExpectGoldenCommand(CreateBucket{"Hawaii", "Cola", "bk2", none}, 3,
      "1003090648617761696904436f6c6103626b328080100101046e6f6e6501808080800402901c"
      "8080a8b1e39fe7cb170965752d776573742d3101047465616d04626c7565043c432f3e043c4c"
      "2f3e027b7d0000");
  EXPECT_EQ(std::get<CreateBucket>(c).record, none);
}

TEST(ClusterStateGoldenTest, FormatThreeSnapshotIsPinned) {
  ClusterState s = SampleState();
  ASSERT_TRUE(s.Apply(UpdateTenant{"Hawaii", "Cola", 2, 3600'000'000'000, "4:2:rs", 0}).ok());
  ClusterState v3 = ExpectGoldenSnapshot(s, 3,
      "110308000001027431017a0e3132372e302e302e313a3730303001010574312f763002743101"
      "7a8080808004000e3132372e302e302e313a3731303001064861776169690104436f6c610280"
      "c0e285e36806343a323a7273010103626b31808010010106343a323a72730180808080040290"
      "1c8080a8b1e39fe7cb170965752d776573742d3101047465616d04626c7565043c432f3e043c"
      "4c2f3e027b7d0001066861776169690469736777010f4861776169692f436f6c612f626b3101"
      "05414b494158067365637265740648617761696904436f6c6105");
  EXPECT_EQ(v3, s);
  const TenantRecord& t = **v3.FindTenant("Hawaii", "Cola");
  EXPECT_EQ(t.erasure_code, "4:2:rs");
  EXPECT_EQ(t.revision, 1u);
}


// Format 4: CreateBucket's unique-in-segment flag after create-parents, and the bucket
// record's Object Lock configuration after its revision.
TEST(ClusterStateGoldenTest, FormatFourCreateBucketIsPinned) {
  BucketRecord none = SampleBucket();
  none.erasure_code = std::string(kNoErasureCode);
  none.object_lock = {true, 2, 30, 0};
  auto c = ExpectGoldenCommand(CreateBucket{"Hawaii", "Cola", "bk2", none, true, true}, 4,
      "1004090648617761696904436f6c6103626b328080100101046e6f6e6501808080800402901c"
      "8080a8b1e39fe7cb170965752d776573742d3101047465616d04626c7565043c432f3e043c4c"
      "2f3e027b7d0001021e000101");
  EXPECT_TRUE(std::get<CreateBucket>(c).create_parents);
  EXPECT_TRUE(std::get<CreateBucket>(c).unique_in_segment);
  EXPECT_EQ(std::get<CreateBucket>(c).record.object_lock, none.object_lock);
  // Format 3 cannot carry the flag nor the lock: the same command in format 3 is the pinned bytes above.
  EXPECT_EQ(Hex(EncodeCommand(CreateBucket{"Hawaii", "Cola", "bk2", none, false, true}, 3)),
            "1003090648617761696904436f6c6103626b328080100101046e6f6e6501808080800402901c"
            "8080a8b1e39fe7cb170965752d776573742d3101047465616d04626c7565043c432f3e043c4c"
            "2f3e027b7d0000");
}

TEST(ClusterStateGoldenTest, FormatFourSnapshotIsPinned) {
  ClusterState s = SampleState();
  BucketRecord locked = SampleBucket();
  locked.object_lock = {true, 1, 0, 7};
  ASSERT_TRUE(s.Apply(CreateBucket{"Hawaii", "Cola", "worm", locked}).ok());
  ClusterState v4 = ExpectGoldenSnapshot(s, 4,
      "110408000001027431017a0e3132372e302e302e313a3730303001010574312f763002743101"
      "7a8080808004000e3132372e302e302e313a3731303001064861776169690104436f6c610200"
      "00000203626b31808010010106343a323a727301808080800402901c8080a8b1e39fe7cb1709"
      "65752d776573742d3101047465616d04626c7565043c432f3e043c4c2f3e027b7d0000000000"
      "04776f726d808010010106343a323a727301808080800402901c8080a8b1e39fe7cb17096575"
      "2d776573742d3101047465616d04626c7565043c432f3e043c4c2f3e027b7d00010100070106"
      "6861776169690469736777010f4861776169692f436f6c612f626b310105414b494158067365"
      "637265740648617761696904436f6c6105");
  EXPECT_EQ(v4, s);
  EXPECT_EQ((**v4.FindBucket("Hawaii", "Cola", "worm")).object_lock, locked.object_lock);
}

// Format 5: AddMasterKey (kind 18: varint id, bytes key), a bucket's default encryption
// and access logging after its Object Lock, and the key ring after the users in snapshots.
TEST(ClusterStateGoldenTest, FormatFiveMasterKeyAndEncryptionArePinned) {
  auto c = ExpectGoldenCommand(AddMasterKey{1, std::string(32, '\x11')}, 5,
                               "10051201201111111111111111111111111111111111111111111111111111111111111111");
  EXPECT_EQ(std::get<AddMasterKey>(c).key, std::string(32, '\x11'));
  ClusterState s = SampleState();
  BucketRecord enc = SampleBucket();
  enc.encryption_xml = "<E/>";
  enc.logging_xml = "<G/>";
  ASSERT_TRUE(s.Apply(CreateBucket{"Hawaii", "Cola", "sealed", enc}).ok());
  ASSERT_TRUE(s.Apply(AddMasterKey{1, std::string(32, '\x11')}).ok());
  ClusterState v5 = ExpectGoldenSnapshot(s, 5,
      "110509000001027431017a0e3132372e302e302e313a3730303001010574312f7630027431017a"
      "8080808004000e3132372e302e302e313a3731303001064861776169690104436f6c6102000000"
      "0203626b31808010010106343a323a727301808080800402901c8080a8b1e39fe7cb170965752d"
      "776573742d3101047465616d04626c7565043c432f3e043c4c2f3e027b7d000000000000000673"
      "65616c6564808010010106343a323a727301808080800402901c8080a8b1e39fe7cb170965752d"
      "776573742d3101047465616d04626c7565043c432f3e043c4c2f3e027b7d0000000000043c452f"
      "3e043c472f3e01066861776169690469736777010f4861776169692f436f6c612f626b31010541"
      "4b494158067365637265740648617761696904436f6c6105010120111111111111111111111111"
      "1111111111111111111111111111111111111111");
  EXPECT_EQ(v5, s);
  EXPECT_EQ(v5.master_keys().at(1), std::string(32, '\x11'));
  EXPECT_EQ((**v5.FindBucket("Hawaii", "Cola", "sealed")).encryption_xml, "<E/>");
  EXPECT_EQ((**v5.FindBucket("Hawaii", "Cola", "sealed")).logging_xml, "<G/>");
  // Format 4 cannot carry either: no command kind 18, and its snapshot drops them.
  auto old = ClusterState::Restore(s.Snapshot(4));
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->master_keys().empty());
}

// Format 6: ConfigureService (kind 19: bytes name, the settings, varint if_revision) and
// ServiceUnserve (kind 20: bytes name, bytes path); a service's settings and revision
// after its served paths in snapshots (settings: bytes remote, u8 direction, u8
// replication, u8 metadata-only, varint chunk cache bytes, varint batch interval ns).
TEST(ClusterStateGoldenTest, FormatSixServiceSettingsArePinned) {
  ServiceConfig config;
  ASSERT_TRUE(ApplyServiceSetting(&config, "remote", "ccow://h:1").ok());
  ASSERT_TRUE(ApplyServiceSetting(&config, "direction", "send").ok());
  ASSERT_TRUE(ApplyServiceSetting(&config, "batch-interval", "500ms").ok());
  auto c = ExpectGoldenCommand(ConfigureService{"hawaii", config, 2}, 6, "100613066861776169690a63636f773a2f2f683a310103000080cab5ee0102");
  EXPECT_EQ(std::get<ConfigureService>(c).config, config);
  ExpectGoldenCommand(ServiceUnserve{"hawaii", "Hawaii/Cola/bk1"}, 6, "100614066861776169690f4861776169692f436f6c612f626b31");
  ClusterState s = SampleState();
  ASSERT_TRUE(s.Apply(ConfigureService{"hawaii", config, 0}).ok());
  ClusterState v6 = ExpectGoldenSnapshot(s, 6,
      "110608000001027431017a0e3132372e302e302e313a3730303001010574312f7630027431017a"
      "8080808004000e3132372e302e302e313a3731303001064861776169690104436f6c6102000000"
      "0103626b31808010010106343a323a727301808080800402901c8080a8b1e39fe7cb170965752d"
      "776573742d3101047465616d04626c7565043c432f3e043c4c2f3e027b7d000000000000000106"
      "6861776169690469736777010f4861776169692f436f6c612f626b310a63636f773a2f2f683a31"
      "0103000080cab5ee01010105414b494158067365637265740648617761696904436f6c610500");
  EXPECT_EQ(v6, s);
  EXPECT_EQ(v6.services().at("hawaii").config.remote, "ccow://h:1");
  EXPECT_EQ(v6.services().at("hawaii").revision, 1u);
  // Format 5 cannot carry them: no command kinds 19 and 20, and its snapshot drops them.
  auto v5 = ClusterState::Restore(s.Snapshot(5));
  ASSERT_TRUE(v5.ok());
  EXPECT_EQ(v5->services().at("hawaii").config, ServiceConfig{});
}

// Format 7: InitSite (kind 21: u32 site id) and the site id (u32) after the key ring in
// snapshots.
TEST(ClusterStateGoldenTest, FormatSevenSiteIdIsPinned) {
  auto c = ExpectGoldenCommand(InitSite{0x1a2b3c4d}, 7, "1007154d3c2b1a");
  EXPECT_EQ(std::get<InitSite>(c).site_id, 0x1a2b3c4du);
  ClusterState s = SampleState();
  ASSERT_TRUE(s.Apply(InitSite{0x1a2b3c4d}).ok());
  ClusterState v7 = ExpectGoldenSnapshot(s, 7,
      "110708000001027431017a0e3132372e302e302e313a3730303001010574312f7630027431017a"
      "8080808004000e3132372e302e302e313a3731303001064861776169690104436f6c6102000000"
      "0103626b31808010010106343a323a727301808080800402901c8080a8b1e39fe7cb170965752d"
      "776573742d3101047465616d04626c7565043c432f3e043c4c2f3e027b7d000000000000000106"
      "6861776169690469736777010f4861776169692f436f6c612f626b31000303000080c8afa02500"
      "0105414b494158067365637265740648617761696904436f6c6105004d3c2b1a");
  EXPECT_EQ(v7, s);
  EXPECT_EQ(v7.site_id(), 0x1a2b3c4du);
  // Format 6 cannot carry it: no command kind 21, and its snapshot drops it.
  auto v6 = ClusterState::Restore(s.Snapshot(6));
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->site_id(), 0u);
}

// Format 8: InitSiteKey (kind 22: bytes seed), a service's trusted site keys (count, then
// u32 site id and bytes key, after the batch interval) and the seed (bytes) after the site
// id in snapshots.
TEST(ClusterStateGoldenTest, FormatEightSiteKeysArePinned) {
  auto c = ExpectGoldenCommand(InitSiteKey{std::string(32, '\x11')}, 8, "100816201111111111111111111111111111111111111111111111111111111111111111");
  EXPECT_EQ(std::get<InitSiteKey>(c).seed, std::string(32, '\x11'));
  ServiceConfig config;
  ASSERT_TRUE(ApplyServiceSetting(&config, "remote", "ccow://h:1").ok());
  config.trusted_keys = {{0x0a0b0c0d, std::string(32, '\x22')}};
  auto cfg = ExpectGoldenCommand(ConfigureService{"hawaii", config, 2}, 8, "100813066861776169690a63636f773a2f2f683a310303000080c8afa025010d0c0b0a20222222222222222222222222222222222222222222222222222222222222222202");
  EXPECT_EQ(std::get<ConfigureService>(cfg).config, config);
  ClusterState s = SampleState();
  ASSERT_TRUE(s.Apply(ConfigureService{"hawaii", config, 0}).ok());
  ASSERT_TRUE(s.Apply(InitSite{0x1a2b3c4d}).ok());
  ASSERT_TRUE(s.Apply(InitSiteKey{std::string(32, '\x11')}).ok());
  ClusterState v8 = ExpectGoldenSnapshot(s, 8,
      "11080a000001027431017a0e3132372e302e302e313a3730303001010574312f7630027431017a"
      "8080808004000e3132372e302e302e313a3731303001064861776169690104436f6c6102000000"
      "0103626b31808010010106343a323a727301808080800402901c8080a8b1e39fe7cb170965752d"
      "776573742d3101047465616d04626c7565043c432f3e043c4c2f3e027b7d000000000000000106"
      "6861776169690469736777010f4861776169692f436f6c612f626b310a63636f773a2f2f683a31"
      "0303000080c8afa025010d0c0b0a20222222222222222222222222222222222222222222222222"
      "2222222222222222010105414b494158067365637265740648617761696904436f6c6105004d3c"
      "2b1a201111111111111111111111111111111111111111111111111111111111111111");
  EXPECT_EQ(v8, s);
  EXPECT_EQ(v8.site_key_seed(), std::string(32, '\x11'));
  // Format 7 cannot carry them: no command kind 22, and its snapshot drops them.
  auto v7 = ClusterState::Restore(s.Snapshot(7));
  ASSERT_TRUE(v7.ok());
  EXPECT_EQ(v7->site_key_seed(), "");
  EXPECT_TRUE(v7->services().at("hawaii").config.trusted_keys.empty());
  EXPECT_EQ(v7->site_id(), 0x1a2b3c4du);
}

// Format 9: a bucket's file volume flag (u8, after the logging XML).
TEST(ClusterStateGoldenTest, FormatNineFileVolumeIsPinned) {
  BucketRecord files = SampleBucket();
  files.file_volume = true;
  auto c = ExpectGoldenCommand(UpdateBucket{"Hawaii", "Cola", "bk1", files, 4}, 9,
      "10090e0648617761696904436f6c6103626b31808010010106343a323a727301808080800402901c8080a8b1e39fe7cb17"
      "0965752d776573742d3101047465616d04626c7565043c432f3e043c4c2f3e027b7d000000000000000104");
  EXPECT_TRUE(std::get<UpdateBucket>(c).record.file_volume);
  // Format 8 cannot carry it.
  auto v8 = DecodeCommand(EncodeCommand(UpdateBucket{"Hawaii", "Cola", "bk1", files, 4}, 8));
  ASSERT_TRUE(v8.ok());
  EXPECT_FALSE(std::get<UpdateBucket>(*v8).record.file_volume);
}

TEST(ClusterStateTest, ASiteKeyIsSetOnceAndIs32Bytes) {
  ClusterState s;
  EXPECT_EQ(s.Apply(InitSiteKey{std::string(31, 'a')}).code(), Code::kInvalidArgument);
  ASSERT_TRUE(s.Apply(InitSiteKey{std::string(32, 'a')}).ok());
  EXPECT_EQ(s.Apply(InitSiteKey{std::string(32, 'b')}).code(), Code::kAlreadyExists);
  EXPECT_EQ(s.site_key_seed(), std::string(32, 'a'));
  // The JSON view shows the public key, never the seed.
  ASSERT_TRUE(s.Apply(InitSite{0x1a2b3c4d}).ok());
  const std::string json = ClusterStateJson(s);
  EXPECT_NE(json.find("\"site_key\":\"1a2b3c4d:"), std::string::npos) << json;
  EXPECT_EQ(json.find(std::string(32, 'a')), std::string::npos) << json;
}

TEST(ServiceConfigTest, TrustedKeysAreSetFromTextAndReadBack) {
  ServiceConfig config;
  const std::string a = "0000000a:" + std::string(64, 'a'), b = "0000000b:" + std::string(64, 'b');
  ASSERT_TRUE(ApplyServiceSetting(&config, "trusted-keys", b + "," + a).ok());
  EXPECT_EQ(config.trusted_keys.size(), 2u);
  EXPECT_EQ(ServiceSettingText(config, "trusted-keys"), a + "," + b);
  EXPECT_EQ(ApplyServiceSetting(&config, "trusted-keys", a + "," + a).code(), Code::kInvalidArgument);
  EXPECT_EQ(ApplyServiceSetting(&config, "trusted-keys", a + ",junk").code(), Code::kInvalidArgument);
  EXPECT_EQ(config.trusted_keys.size(), 2u) << "a refused setting changes nothing";
  ASSERT_TRUE(ApplyServiceSetting(&config, "trusted-keys", "none").ok());
  EXPECT_TRUE(config.trusted_keys.empty());
  EXPECT_EQ(ServiceSettingText(config, "trusted-keys"), "none");
}

TEST(ClusterStateTest, ASiteIdIsSetOnceAndNeverZero) {
  ClusterState s;
  EXPECT_EQ(s.Apply(InitSite{0}).code(), Code::kInvalidArgument);
  ASSERT_TRUE(s.Apply(InitSite{7}).ok());
  // A second proposer loses and keeps the winner's: every gateway writes one id.
  EXPECT_EQ(s.Apply(InitSite{9}).code(), Code::kAlreadyExists);
  EXPECT_EQ(s.site_id(), 7u);
}

TEST(ClusterStateTest, MasterKeysAreAddedInOrderAndNeverReplaced) {
  ClusterState s;
  EXPECT_EQ(s.Apply(AddMasterKey{2, std::string(32, 'a')}).code(), Code::kInvalidArgument);  // skips 1
  EXPECT_EQ(s.Apply(AddMasterKey{1, "short"}).code(), Code::kInvalidArgument);
  ASSERT_TRUE(s.Apply(AddMasterKey{1, std::string(32, 'a')}).ok());
  // A second proposer of the first key loses and keeps the winner's.
  EXPECT_EQ(s.Apply(AddMasterKey{1, std::string(32, 'b')}).code(), Code::kAlreadyExists);
  EXPECT_EQ(s.master_keys().at(1), std::string(32, 'a'));
  ASSERT_TRUE(s.Apply(AddMasterKey{2, std::string(32, 'c')}).ok());
  EXPECT_EQ(s.master_keys().size(), 2u);
}

}  // namespace
}  // namespace ccow
