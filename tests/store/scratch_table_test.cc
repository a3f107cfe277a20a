// The scratch table a pass keeps its working set in (store/scratch_table.h): the same
// answers on disk and in memory, nothing left behind, and memory that stays bounded on
// disk where a map in memory grows with every key.
#include "store/scratch_table.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "core/hash.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::ScratchDir;

// Resident memory of this process, from /proc/self/statm (pages).
uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * 4096;
}

// The value of a key (nullopt: absent); a failed read fails the test.
std::optional<std::string> Value(ScratchTable& t, const std::string& key) {
  auto v = t.Get(key);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : std::nullopt;
}

class ScratchTableTest : public ::testing::TestWithParam<bool> {
 protected:
  std::string Dir() { return GetParam() ? dir_.path() + "/scratch" : std::string(); }
  ScratchDir dir_;
};

TEST_P(ScratchTableTest, PutGetAndClearAnswerAsAMap) {
  auto t = ScratchTable::Open(Dir());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->on_disk(), GetParam());
  EXPECT_FALSE(Value(**t, "a"));
  ASSERT_TRUE((*t)->PutNew("a", "1").ok());
  ASSERT_TRUE((*t)->Put("b", std::string("\0x", 2)).ok());
  ASSERT_TRUE((*t)->Put("a", "2").ok());
  EXPECT_EQ(Value(**t, "a"), "2");
  EXPECT_EQ(Value(**t, "b"), std::string("\0x", 2)) << "values are bytes";
  EXPECT_EQ((*t)->size(), 1u) << "only PutNew counts";
  ASSERT_TRUE((*t)->Clear().ok());
  EXPECT_FALSE(Value(**t, "a"));
  EXPECT_FALSE(Value(**t, "b"));
  EXPECT_EQ((*t)->size(), 0u);
}

// On disk only, from here.
class ScratchTableOnDiskTest : public ::testing::Test {
 protected:
  std::string Dir() { return dir_.path() + "/scratch"; }
  ScratchDir dir_;
};

TEST_F(ScratchTableOnDiskTest, NothingSurvivesAReopenAndNothingIsLeftBehind) {
  {
    auto t = ScratchTable::Open(Dir());
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE((*t)->Put("k", "v").ok());
  }
  EXPECT_FALSE(std::filesystem::exists(Dir())) << "closed: the directory is gone";
  // A crash leaves files behind: the next open starts empty.
  std::filesystem::create_directories(Dir());
  std::ofstream(Dir() + "/leftover") << "x";
  auto t = ScratchTable::Open(Dir());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_FALSE(Value(**t, "k"));
  EXPECT_FALSE(std::filesystem::exists(Dir() + "/leftover"));
}

// (In memory the same keys take ~150 B each.)
TEST_F(ScratchTableOnDiskTest, AMillionKeysTakeBoundedMemory) {
  auto t = ScratchTable::Open(Dir());
  ASSERT_TRUE(t.ok());
  const uint64_t before = ResidentBytes();
  std::string key;
  for (uint64_t i = 0; i < 1'000'000; ++i) {
    key = "m" + HashBytes(HashAlgo::kSha256, std::to_string(i)).ToKey();
    ASSERT_TRUE((*t)->Put(key, "\x03").ok());
  }
  const uint64_t grown = ResidentBytes() > before ? ResidentBytes() - before : 0;
  // Two 8 MiB memtables, RocksDB's block cache and the filters of the tables written;
  // a map of these keys would hold ~150 MB.
  EXPECT_LT(grown, 64ull << 20) << "resident memory grew by " << (grown >> 20) << " MiB";
  for (uint64_t i = 0; i < 1'000'000; i += 99'991) {
    key = "m" + HashBytes(HashAlgo::kSha256, std::to_string(i)).ToKey();
    EXPECT_EQ(Value(**t, key), "\x03");
  }
  EXPECT_FALSE(Value(**t, "m" + HashBytes(HashAlgo::kSha256, "absent").ToKey()));
}

INSTANTIATE_TEST_SUITE_P(Where, ScratchTableTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "disk" : "memory"; });

}  // namespace
}  // namespace ccow
