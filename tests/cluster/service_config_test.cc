// A service's settings (cluster/service_config.h): each is set from the words an operator
// writes and read back in them; a bad value names the setting and its accepted forms and
// changes nothing; the registry applies a setting only over the revision it was read at,
// stops serving a bucket, and keeps the settings through its snapshots (format 6).
#include "cluster/service_config.h"

#include <gtest/gtest.h>

#include "cluster/cluster_state.h"

namespace ccow {
namespace {

using namespace command;

TEST(ServiceConfigTest, EachSettingReadsBackAsWritten) {
  ServiceConfig c;
  const std::vector<std::pair<std::string, std::string>> settings = {
      {"remote", "ccow://10.1.2.3:7480"}, {"direction", "receive"},    {"replication", "initial+continuous"},
      {"metadata-only", "versions"},       {"chunk-cache-size", "1G"}, {"batch-interval", "250ms"}};
  for (const auto& [key, value] : settings) ASSERT_TRUE(ApplyServiceSetting(&c, key, value).ok()) << key;
  EXPECT_EQ(c.remote, "ccow://10.1.2.3:7480");
  EXPECT_EQ(c.direction, ServiceConfig::kReceive);
  EXPECT_EQ(c.replication, ServiceConfig::kInitial | ServiceConfig::kContinuous);
  EXPECT_EQ(c.metadata_only, ServiceConfig::MetadataOnly::kVersions);
  EXPECT_EQ(c.chunk_cache_bytes, 1ull << 30);
  EXPECT_EQ(c.batch_interval_ns, 250'000'000ull);
  EXPECT_EQ(ServiceSettingText(c, "direction"), "receive");
  EXPECT_EQ(ServiceSettingText(c, "batch-interval"), "250ms");
  // Every setting's text sets it to the same value again.
  for (const auto& key : ServiceSettingNames()) {
    ServiceConfig again = c;
    ASSERT_TRUE(ApplyServiceSetting(&again, key, ServiceSettingText(c, key)).ok()) << key;
    EXPECT_EQ(again, c) << key;
  }
  ServiceConfig defaults;
  EXPECT_EQ(ServiceSettingText(defaults, "direction"), "send+receive");
  EXPECT_EQ(ServiceSettingText(defaults, "replication"), "initial+continuous");
  EXPECT_EQ(ServiceSettingText(defaults, "batch-interval"), "10s");
  EXPECT_TRUE(ApplyServiceSetting(&c, "remote", "file:///var/export").ok());
  EXPECT_TRUE(ApplyServiceSetting(&c, "remote", "s3://s3.example.com:9000/backup").ok());
  EXPECT_TRUE(ApplyServiceSetting(&c, "remote", "").ok());  // unset
}

TEST(ServiceConfigTest, ABadValueNamesTheSettingAndChangesNothing) {
  ServiceConfig c;
  ASSERT_TRUE(ApplyServiceSetting(&c, "remote", "ccow://a:1").ok());
  const ServiceConfig before = c;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"remote", "http://a:1"},       {"remote", "ccow://nohost"},   {"remote", "ccow://a:99999"},
      {"remote", "ccow://a:1/path"},   {"remote", "s3://host"},       {"remote", "file://relative"},
      {"remote", "ccow://a b:1"},      {"direction", "both"},         {"replication", "never"},
      {"metadata-only", "yes"},        {"chunk-cache-size", "lots"},  {"batch-interval", "10ms"},
      {"batch-interval", "2h"},        {"batch-interval", "soon"},    {"colour", "blue"}};
  for (const auto& [key, value] : bad) {
    Status s = ApplyServiceSetting(&c, key, value);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << key << "=" << value;
    EXPECT_NE(s.message().find(key == "colour" ? "unknown service setting" : key), std::string::npos) << s.ToString();
    EXPECT_EQ(c, before) << key << "=" << value;
  }
}

ClusterState WithService() {
  ClusterState s;
  EXPECT_TRUE(s.Apply(CreateSegment{"Hawaii"}).ok());
  EXPECT_TRUE(s.Apply(CreateTenant{"Hawaii", "Cola", 2}).ok());
  EXPECT_TRUE(s.Apply(CreateBucket{"Hawaii", "Cola", "bk1", BucketRecord()}).ok());
  EXPECT_TRUE(s.Apply(CreateService{"hawaii", "isgw"}).ok());
  EXPECT_TRUE(s.Apply(ServiceServe{"hawaii", "Hawaii/Cola/bk1"}).ok());
  return s;
}

TEST(ServiceConfigTest, TheRegistryAppliesASettingOnlyOverTheRevisionItWasReadAt) {
  ClusterState s = WithService();
  ServiceConfig c;
  ASSERT_TRUE(ApplyServiceSetting(&c, "direction", "send").ok());
  ASSERT_TRUE(s.Apply(ConfigureService{"hawaii", c, 0}).ok());
  EXPECT_EQ(s.services().at("hawaii").config, c);
  EXPECT_EQ(s.services().at("hawaii").revision, 1u);
  // A second writer that read revision 0 loses, and the first one's setting stays.
  ServiceConfig stale;
  ASSERT_TRUE(ApplyServiceSetting(&stale, "batch-interval", "1s").ok());
  EXPECT_EQ(s.Apply(ConfigureService{"hawaii", stale, 0}).code(), Code::kConflict);
  EXPECT_EQ(s.services().at("hawaii").config, c);
  EXPECT_EQ(s.Apply(ConfigureService{"nope", c, 0}).code(), Code::kNotFound);
  ServiceConfig invalid = c;
  invalid.batch_interval_ns = 1;  // a command built without ApplyServiceSetting
  EXPECT_EQ(s.Apply(ConfigureService{"hawaii", invalid, 1}).code(), Code::kInvalidArgument);
  // Unserve: the bucket leaves the list, a second time is kNotFound.
  ASSERT_TRUE(s.Apply(ServiceUnserve{"hawaii", "Hawaii/Cola/bk1"}).ok());
  EXPECT_TRUE(s.services().at("hawaii").serves.empty());
  EXPECT_EQ(s.Apply(ServiceUnserve{"hawaii", "Hawaii/Cola/bk1"}).code(), Code::kNotFound);
  EXPECT_EQ(s.Apply(ServiceUnserve{"nope", "Hawaii/Cola/bk1"}).code(), Code::kNotFound);
}

TEST(ServiceConfigTest, SnapshotsKeepTheSettingsAndOlderFormatsDropThem) {
  ClusterState s = WithService();
  ServiceConfig c;
  ASSERT_TRUE(ApplyServiceSetting(&c, "remote", "ccow://10.0.0.2:7480").ok());
  ASSERT_TRUE(ApplyServiceSetting(&c, "metadata-only", "all").ok());
  ASSERT_TRUE(s.Apply(ConfigureService{"hawaii", c, 0}).ok());
  auto back = ClusterState::Restore(s.Snapshot());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  auto old = ClusterState::Restore(s.Snapshot(5));
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->services().at("hawaii").config, ServiceConfig{});
  EXPECT_EQ(old->services().at("hawaii").serves, s.services().at("hawaii").serves);
}

// A bucket another segment offers keeps what S3 clients see of it; what each segment decides
// for itself comes from the receiving tenant.
TEST(ServiceConfigTest, ALinkedBucketTakesTheReceivingTenantsPolicy) {
  BucketRecord origin;
  origin.versioning = Versioning::kEnabled;
  origin.chunk_size = 256 << 10;
  origin.replication_count = 2;
  origin.erasure_code = "4:2:rs";
  origin.retention_ns = 3600;
  origin.logging_xml = "<L/>";
  origin.tags = {{"team", "blue"}};
  origin.revision = 9;
  BucketRecord linked = LinkedBucketRecord(origin);
  EXPECT_EQ(linked.versioning, Versioning::kEnabled);
  EXPECT_EQ(linked.chunk_size, 256u << 10);
  EXPECT_EQ(linked.tags, origin.tags);
  EXPECT_EQ(linked.replication_count, 0u);
  EXPECT_EQ(linked.erasure_code, "");
  EXPECT_EQ(linked.retention_ns, 0u);
  EXPECT_EQ(linked.logging_xml, "");
  EXPECT_EQ(linked.revision, 0u);
  EXPECT_TRUE(linked.Validate().ok());
}

}  // namespace
}  // namespace ccow
