// A target's configuration file: the background jobs' settings (garbage collection,
// scrub) have their documented defaults when absent and survive ToJson and Load.
#include "target/target_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/store_test_util.h"

namespace ccow {
namespace {

std::string Write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

TEST(TargetConfigTest, GcSettingsDefaultWhenAbsent) {
  testing::ScratchDir dir;
  auto c = TargetConfig::Load(Write(dir.path() + "/t.json", R"({"server": "t0", "flexhash": "fh.json",
      "vdevs": [{"id": "t0/vdev0", "path": "vdev0", "address": "127.0.0.1:7100"}]})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->gc_interval_s, 3600u);
  EXPECT_EQ(c->gc_fence_grace_s, 300u);
  EXPECT_EQ(c->quarantine_retention_s, 7u * 24 * 3600);
  EXPECT_EQ(c->gc_scratch_dir, "");  // marks in memory
  EXPECT_EQ(c->gc_rate_mb, 16u);       // compaction paced, as `ccow server --gc-rate`
}

TEST(TargetConfigTest, GcSettingsRoundTripAndScratchDirIsRelativeToTheFile) {
  testing::ScratchDir dir;
  auto c = TargetConfig::Load(Write(dir.path() + "/t.json", R"({"server": "t0", "flexhash": "fh.json",
      "vdevs": [{"id": "t0/vdev0", "path": "vdev0", "address": "127.0.0.1:7100"}],
      "gc_interval_s": 3, "gc_fence_grace_s": 1, "quarantine_retention_s": 0, "gc_scratch_dir": "gc",
      "gc_rate_mb": 0})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->gc_interval_s, 3u);
  EXPECT_EQ(c->gc_fence_grace_s, 1u);
  EXPECT_EQ(c->quarantine_retention_s, 0u);
  EXPECT_EQ(c->gc_scratch_dir, dir.path() + "/gc");
  EXPECT_EQ(c->gc_rate_mb, 0u);  // unlimited
  auto again = TargetConfig::Load(Write(dir.path() + "/again.json", c->ToJson()));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->gc_interval_s, 3u);
  EXPECT_EQ(again->gc_fence_grace_s, 1u);
  EXPECT_EQ(again->quarantine_retention_s, 0u);
  EXPECT_EQ(again->gc_scratch_dir, dir.path() + "/gc");
  EXPECT_EQ(again->gc_rate_mb, 0u);
}

}  // namespace
}  // namespace ccow
