#include "client/stripe_placement.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "flexhash/flexhash.h"

namespace ccow {
namespace {

std::vector<VdevInfo> Cluster(int servers, int vdevs_per_server) {
  std::vector<VdevInfo> out;
  for (int s = 0; s < servers; ++s)
    for (int v = 0; v < vdevs_per_server; ++v)
      out.push_back({"srv" + std::to_string(s) + "/vdev" + std::to_string(v), "srv" + std::to_string(s),
                     "zone0", 1ull << 40, 0});
  return out;
}

Chid RandomChid(std::mt19937_64& rng) {
  std::string bytes(32, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng());
  return HashBytes(HashAlgo::kSha256, bytes);
}

std::string ServerOf(const std::string& vdev_id) { return vdev_id.substr(0, vdev_id.find('/')); }

// Every keeper is in its fragment's row and in a server of its own.
void ExpectValid(const FlexHashTable& t, const std::vector<FragmentSite>& sites,
                 const std::vector<FragmentKeeper>& keepers) {
  ASSERT_EQ(keepers.size(), sites.size());
  std::set<std::string> servers;
  for (size_t f = 0; f < sites.size(); ++f) {
    auto row = t.RowVdevIds(t.RowOf(sites[f].chid));
    EXPECT_NE(std::find(row.begin(), row.end(), keepers[f].vdev_id), row.end()) << keepers[f].vdev_id;
    EXPECT_TRUE(servers.insert(ServerOf(keepers[f].vdev_id)).second) << "two fragments on " << keepers[f].vdev_id;
    const auto& h = sites[f].holders;
    EXPECT_EQ(keepers[f].holds, std::find(h.begin(), h.end(), keepers[f].vdev_id) != h.end());
  }
}

TEST(StripePlacementTest, SixFragmentsGetSixServersOfTheirRows) {
  auto t = FlexHashTable::Build(Cluster(6, 2), 1);
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<FragmentSite> sites;
    for (int f = 0; f < 6; ++f) sites.push_back({RandomChid(rng), {}});
    auto k = PlaceFragments(*t, sites);
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    ExpectValid(*t, sites, *k);
  }
}

TEST(StripePlacementTest, KeepsHoldersWheneverAFullMatchingAllowsIt) {
  // Every fragment held by three VDEVs of its row, as replicated puts leave them: the
  // keepers are holders whenever some choice of one holder per fragment covers distinct
  // servers, checked here against an exhaustive search.
  auto t = FlexHashTable::Build(Cluster(6, 2), 1);
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(7);
  int all_held = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<FragmentSite> sites;
    for (int f = 0; f < 6; ++f) {
      FragmentSite s{RandomChid(rng), {}};
      auto row = t->RowVdevIds(t->RowOf(s.chid));
      std::shuffle(row.begin(), row.end(), rng);
      std::set<std::string> used;
      for (const auto& v : row)
        if (s.holders.size() < 3 && used.insert(ServerOf(v)).second) s.holders.push_back(v);
      sites.push_back(std::move(s));
    }
    auto k = PlaceFragments(*t, sites);
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    ExpectValid(*t, sites, *k);
    // Exhaustive: is there a holder-only assignment with distinct servers?
    std::function<bool(size_t, std::set<std::string>&)> exists = [&](size_t f, std::set<std::string>& used) {
      if (f == sites.size()) return true;
      for (const auto& h : sites[f].holders) {
        if (!used.insert(ServerOf(h)).second) continue;
        if (exists(f + 1, used)) return true;
        used.erase(ServerOf(h));
      }
      return false;
    };
    std::set<std::string> used;
    const bool possible = exists(0, used);
    size_t held = 0;
    for (const auto& x : *k) held += x.holds;
    if (possible) {
      EXPECT_EQ(held, sites.size()) << "trial " << trial;
      ++all_held;
    }
  }
  EXPECT_GT(all_held, 100);  // the search above is not vacuous
}

TEST(StripePlacementTest, OnceEveryFragmentSitsOnItsKeeperTheAnswerIsStable) {
  auto t = FlexHashTable::Build(Cluster(7, 2), 1);
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<FragmentSite> sites;
    for (int f = 0; f < 6; ++f) sites.push_back({RandomChid(rng), {}});
    auto first = PlaceFragments(*t, sites);
    ASSERT_TRUE(first.ok());
    for (size_t f = 0; f < sites.size(); ++f) sites[f].holders = {(*first)[f].vdev_id};
    auto again = PlaceFragments(*t, sites);
    ASSERT_TRUE(again.ok());
    for (size_t f = 0; f < sites.size(); ++f) {
      EXPECT_EQ((*again)[f].vdev_id, (*first)[f].vdev_id);
      EXPECT_TRUE((*again)[f].holds);
    }
  }
}

TEST(StripePlacementTest, ARepeatedChunkTakesTwoDomains) {
  auto t = FlexHashTable::Build(Cluster(6, 2), 1);
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(11);
  Chid twice = RandomChid(rng);
  std::vector<FragmentSite> sites = {{twice, {}}, {RandomChid(rng), {}}, {twice, {}}};
  auto k = PlaceFragments(*t, sites);
  ASSERT_TRUE(k.ok());
  ExpectValid(*t, sites, *k);
  EXPECT_NE((*k)[0].vdev_id, (*k)[2].vdev_id);
}

TEST(StripePlacementTest, TooFewFailureDomainsIsRefusedSayingHowMany) {
  auto t = FlexHashTable::Build(Cluster(5, 2), 1);
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(5);
  std::vector<FragmentSite> sites;
  for (int f = 0; f < 6; ++f) sites.push_back({RandomChid(rng), {}});
  auto k = PlaceFragments(*t, sites);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kUnavailable);
  EXPECT_NE(k.status().message().find("6 fragments"), std::string::npos) << k.status().ToString();
}

TEST(StripePlacementTest, AHolderOutsideTheRowIsNotAKeeper) {
  auto t = FlexHashTable::Build(Cluster(8, 1), 1);  // 8 VDEVs: rows of 4
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(9);
  FragmentSite s{RandomChid(rng), {}};
  auto row = t->RowVdevIds(t->RowOf(s.chid));
  for (const auto& v : t->vdevs())
    if (std::find(row.begin(), row.end(), v.id) == row.end()) s.holders.push_back(v.id);
  auto k = PlaceFragments(*t, {s});
  ASSERT_TRUE(k.ok());
  EXPECT_FALSE((*k)[0].holds);
  EXPECT_NE(std::find(row.begin(), row.end(), (*k)[0].vdev_id), row.end());
}

}  // namespace
}  // namespace ccow
