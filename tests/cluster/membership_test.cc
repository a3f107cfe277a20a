// Membership decisions: a target is declared dead only after the timeout without
// heartbeats (and never within a timeout of a new leader taking over), comes back only
// after answering steadily, and the next FlexHash generation leaves the dead out while
// keeping the table's shape so that only the rows it was in change.
#include "cluster/membership.h"

#include <gtest/gtest.h>

#include "flexhash/flexhash.h"

namespace ccow {
namespace {

using namespace command;
constexpr uint64_t kSec = 1'000'000'000;

TargetRecord Target(const std::string& name, int vdevs = 2) {
  TargetRecord t{name, "zone-a", "127.0.0.1:7000", TargetState::kAlive, {}};
  for (int v = 0; v < vdevs; ++v)
    t.vdevs.push_back({name + "/vdev" + std::to_string(v), name, "zone-a", 1ull << 40, 0, "127.0.0.1:1"});
  return t;
}

ClusterState FiveTargets() {
  ClusterState s;
  std::vector<VdevInfo> vdevs;
  for (int i = 0; i < 5; ++i) {
    TargetRecord t = Target("t" + std::to_string(i));
    for (const auto& v : t.vdevs) vdevs.push_back(v);
    EXPECT_TRUE(s.Apply(AddTarget{t}).ok());
  }
  EXPECT_TRUE(s.Apply(PublishFlexHash{1, FlexHashTable::Build(vdevs, 1)->ToJson()}).ok());
  return s;
}

TEST(FailureDetectorTest, DeclaresDeadOnlyAfterTheTimeout) {
  ClusterState s = FiveTargets();
  FailureDetector fd({5 * kSec, 2 * kSec, kSec / 2});
  fd.Reset(100 * kSec);
  for (uint64_t t = 100 * kSec; t <= 104 * kSec; t += kSec / 2) {
    for (int i = 0; i < 4; ++i) fd.Heard("t" + std::to_string(i), t);
    EXPECT_TRUE(fd.Decide(s, t).empty()) << "at " << t / kSec;
  }
  // t4 never answered: dead once 5 s passed since the reset, the others alive.
  auto changes = fd.Decide(s, 105 * kSec + 1);
  for (int i = 0; i < 4; ++i) fd.Heard("t" + std::to_string(i), 105 * kSec);
  changes = fd.Decide(s, 105 * kSec + 1);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].name, "t4");
  EXPECT_EQ(changes[0].state, TargetState::kDead);
}

TEST(FailureDetectorTest, TargetThatJoinsGetsAWholeTimeout) {
  ClusterState s = FiveTargets();
  FailureDetector fd({5 * kSec, 2 * kSec, kSec / 2});
  fd.Reset(0);
  for (int i = 0; i < 5; ++i) fd.Heard("t" + std::to_string(i), 100 * kSec);
  EXPECT_TRUE(fd.Decide(s, 100 * kSec).empty());
  ASSERT_TRUE(s.Apply(AddTarget{Target("t5")}).ok());
  EXPECT_TRUE(fd.Decide(s, 100 * kSec + 1).empty()) << "a new target was declared dead at once";
  for (int i = 0; i < 5; ++i) fd.Heard("t" + std::to_string(i), 105 * kSec);
  auto changes = fd.Decide(s, 105 * kSec + 2);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].name, "t5");
}

TEST(FailureDetectorTest, DeadTargetReturnsOnlyAfterAnsweringSteadily) {
  ClusterState s = FiveTargets();
  ASSERT_TRUE(s.Apply(SetTargetState{"t4", TargetState::kDead}).ok());
  FailureDetector fd({5 * kSec, 2 * kSec, kSec / 2});
  fd.Reset(0);
  auto hear_others = [&](uint64_t t) {
    for (int i = 0; i < 4; ++i) fd.Heard("t" + std::to_string(i), t);
  };
  hear_others(1 * kSec);
  hear_others(3 * kSec);
  // One answer, then silence: not back.
  fd.Heard("t4", 1 * kSec);
  EXPECT_TRUE(fd.Decide(s, 1 * kSec).empty());
  EXPECT_TRUE(fd.Decide(s, 3 * kSec).empty());
  // Steady answers for 2 s: back.
  for (uint64_t t = 10 * kSec; t < 12 * kSec; t += kSec / 2) {
    fd.Heard("t4", t);
    hear_others(t);
    EXPECT_TRUE(fd.Decide(s, t).empty());
  }
  fd.Heard("t4", 12 * kSec);
  hear_others(12 * kSec);
  auto changes = fd.Decide(s, 12 * kSec);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].state, TargetState::kAlive);
}

TEST(NextFlexHashTest, LeavesTheDeadOutAndKeepsTheTableShape) {
  ClusterState s = FiveTargets();
  auto before = FlexHashTable::FromJson(s.flexhash_json());
  ASSERT_TRUE(s.Apply(SetTargetState{"t2", TargetState::kDead}).ok());
  auto json = NextFlexHashJson(s);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  auto after = FlexHashTable::FromJson(*json);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->generation(), 2u);
  EXPECT_EQ(after->vdevs().size(), 8u);
  for (const auto& v : after->vdevs()) EXPECT_NE(v.server, "t2");
  EXPECT_EQ(after->row_count(), before->row_count());
  EXPECT_EQ(after->options().vdevs_per_row, before->options().vdevs_per_row);
  // Only rows t2 was in change.
  for (uint32_t r = 0; r < before->row_count(); ++r) {
    bool had_t2 = false;
    for (uint32_t v : before->Row(r)) had_t2 |= before->vdevs()[v].server == "t2";
    if (!had_t2) EXPECT_EQ(before->RowVdevIds(r), after->RowVdevIds(r)) << "row " << r;
  }
  ASSERT_TRUE(s.Apply(PublishFlexHash{2, *json}).ok());
  // Back alive: generation 3 holds it again.
  ASSERT_TRUE(s.Apply(SetTargetState{"t2", TargetState::kAlive}).ok());
  auto again = FlexHashTable::FromJson(*NextFlexHashJson(s));
  EXPECT_EQ(again->generation(), 3u);
  EXPECT_EQ(again->vdevs().size(), 10u);
}

TEST(NextFlexHashTest, RefusesWithoutATable) {
  ClusterState s;
  EXPECT_EQ(NextFlexHashJson(s).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace ccow
