#include "flexhash/flexhash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <set>

namespace ccow {
namespace {

std::vector<VdevInfo> Cluster(int servers, int vdevs_per_server, int zones = 1) {
  std::vector<VdevInfo> out;
  for (int s = 0; s < servers; ++s)
    for (int v = 0; v < vdevs_per_server; ++v)
      out.push_back({"srv" + std::to_string(s) + "/vdev" + std::to_string(v),
                     "srv" + std::to_string(s), "zone" + std::to_string(s % zones),
                     1ull << 40, 0});
  return out;
}

// Share of (row, member) slots that differ: the fraction of data a change moves.
double FractionOfSlotsChanged(const FlexHashTable& a, const FlexHashTable& b) {
  size_t changed = 0, total = 0;
  for (uint32_t r = 0; r < a.row_count(); ++r) {
    auto x = a.RowVdevIds(r), y = b.RowVdevIds(r);
    std::set<std::string> sx(x.begin(), x.end());
    for (const auto& id : y) changed += sx.count(id) ? 0 : 1;
    total += x.size();
  }
  return static_cast<double>(changed) / total;
}

TEST(FlexHashTest, SizingFollowsTheOriginalRules) {
  EXPECT_EQ(DefaultVdevsPerRow(3), 3u);
  EXPECT_EQ(DefaultVdevsPerRow(8), 4u);
  EXPECT_EQ(DefaultVdevsPerRow(10), 6u);    // ceil(log10 10) x 6
  EXPECT_EQ(DefaultVdevsPerRow(100), 12u);
  EXPECT_EQ(DefaultVdevsPerRow(1000), 18u);
  EXPECT_EQ(DefaultRows(4), 8u);
  EXPECT_EQ(DefaultRows(256), 128u);
  EXPECT_EQ(DefaultRows(100000), 1024u);
}

// Each fragment of a stripe is kept in its own row, in a failure domain of its own: rows
// spanning every domain (up to 12) make any K+M <= domains placeable.
TEST(FlexHashTest, RowsSpanEveryFailureDomainOfASmallCluster) {
  for (auto [servers, per_server, width] : {std::tuple{6, 1, 6u}, {5, 2, 6u}, {7, 1, 7u}, {14, 1, 12u}, {3, 4, 12u}}) {
    auto t = FlexHashTable::Build(Cluster(servers, per_server), 1);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->options().vdevs_per_row, width) << servers << " x " << per_server;
    for (uint32_t r = 0; r < t->row_count(); ++r) {
      std::set<std::string> domains;
      for (uint32_t i : t->Row(r)) domains.insert(t->vdevs()[i].server);
      EXPECT_EQ(domains.size(), std::min<size_t>(servers, 12)) << servers << " x " << per_server << " row " << r;
    }
  }
}

TEST(FlexHashTest, RowsSpreadOverDistinctServers) {
  FlexHashOptions four;
  four.vdevs_per_row = 4;
  auto t = FlexHashTable::Build(Cluster(5, 1), 1, four);  // 5 VDEVs, 4 per row
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->row_count(), 8u);
  for (uint32_t r = 0; r < t->row_count(); ++r) {
    std::set<std::string> servers;
    for (uint32_t i : t->Row(r)) servers.insert(t->vdevs()[i].server);
    EXPECT_EQ(t->Row(r).size(), 4u);
    EXPECT_EQ(servers.size(), 4u) << "row " << r << " repeats a server";
  }
  // 10 VDEVs on 5 servers, 6 per row: every server appears before any repeats.
  FlexHashOptions six;
  six.vdevs_per_row = 6;
  t = FlexHashTable::Build(Cluster(5, 2), 1, six);
  ASSERT_TRUE(t.ok());
  for (uint32_t r = 0; r < t->row_count(); ++r) {
    std::set<std::string> servers;
    for (uint32_t i : t->Row(r)) servers.insert(t->vdevs()[i].server);
    EXPECT_EQ(t->Row(r).size(), 6u);
    EXPECT_EQ(servers.size(), 5u);
  }
}

TEST(FlexHashTest, ZonePolicySpreadsRowsOverZones) {
  FlexHashOptions opts;
  opts.failure_domain = FailureDomain::kZone;
  opts.vdevs_per_row = 3;
  auto t = FlexHashTable::Build(Cluster(6, 2, 3), 1, opts);
  ASSERT_TRUE(t.ok());
  for (uint32_t r = 0; r < t->row_count(); ++r) {
    std::set<std::string> zones;
    for (uint32_t i : t->Row(r)) zones.insert(t->vdevs()[i].zone);
    EXPECT_EQ(zones.size(), 3u);
  }
}

TEST(FlexHashTest, TableDoesNotDependOnInputOrder) {
  auto vdevs = Cluster(7, 3);
  auto a = FlexHashTable::Build(vdevs, 5);
  std::shuffle(vdevs.begin(), vdevs.end(), std::mt19937(1));
  auto b = FlexHashTable::Build(vdevs, 5);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->ToJson(), b->ToJson());
}

TEST(FlexHashTest, OneServerJoiningMovesCloseToTheIdealShare) {
  for (int n : {8, 16, 32}) {
    auto before = FlexHashTable::Build(Cluster(n, 2), 1);
    auto after = FlexHashTable::Build(Cluster(n + 1, 2), 2);
    ASSERT_TRUE(before.ok() && after.ok());
    double moved = FractionOfSlotsChanged(*before, *after);
    double ideal = 1.0 / (n + 1);
    EXPECT_LT(moved, 2 * ideal) << n << " servers: moved " << moved << " vs ideal " << ideal;
    EXPECT_GT(moved, 0.0);
  }
}

TEST(FlexHashTest, RowsWithoutARemovedServerDoNotChange) {
  auto all = Cluster(9, 2);
  auto before = FlexHashTable::Build(all, 1);
  std::vector<VdevInfo> rest;
  for (const auto& v : all)
    if (v.server != "srv4") rest.push_back(v);
  auto after = FlexHashTable::Build(rest, 2);
  ASSERT_TRUE(before.ok() && after.ok());
  for (uint32_t r = 0; r < before->row_count(); ++r) {
    auto ids = before->RowVdevIds(r);
    bool had = std::any_of(ids.begin(), ids.end(), [](const std::string& id) { return id.rfind("srv4/", 0) == 0; });
    if (!had) EXPECT_EQ(after->RowVdevIds(r), ids) << "row " << r;
  }
}

TEST(FlexHashTest, RowOfUsesTheTopBitsAndReachesEveryRow) {
  auto t = FlexHashTable::Build(Cluster(4, 4), 1);
  ASSERT_TRUE(t.ok());
  std::set<uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    HashId id = HashBytes(HashAlgo::kSha256, "chunk-" + std::to_string(i));
    uint32_t row = t->RowOf(id);
    ASSERT_LT(row, t->row_count());
    int bits = 0;
    while ((1u << bits) < t->row_count()) ++bits;
    EXPECT_EQ(row, static_cast<uint32_t>(id.Prefix64() >> (64 - bits)));
    seen.insert(row);
  }
  EXPECT_EQ(seen.size(), t->row_count());
}

TEST(FlexHashTest, CheckpointRoundTripsAndIsAuthoritative) {
  auto t = FlexHashTable::Build(Cluster(5, 2), 7);
  ASSERT_TRUE(t.ok());
  auto back = FlexHashTable::FromJson(t->ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->generation(), 7u);
  EXPECT_EQ(back->ToJson(), t->ToJson());
  EXPECT_FALSE(FlexHashTable::FromJson("{").ok());
  EXPECT_FALSE(FlexHashTable::FromJson(R"({"vdevs": []})").ok());
}

TEST(FlexHashTest, BadInputIsRefused) {
  EXPECT_EQ(FlexHashTable::Build({}, 1).status().code(), Code::kInvalidArgument);
  auto dup = Cluster(2, 1);
  dup.push_back(dup[0]);
  EXPECT_EQ(FlexHashTable::Build(dup, 1).status().code(), Code::kInvalidArgument);
  FlexHashOptions opts;
  opts.rows = 12;
  EXPECT_EQ(FlexHashTable::Build(Cluster(3, 1), 1, opts).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace ccow
