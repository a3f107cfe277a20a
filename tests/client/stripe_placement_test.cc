#include "client/stripe_placement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "flexhash/flexhash.h"
#include "model/stripe_manifest.h"

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

// A K:M stripe of the given data and parity CHIDs (lengths do not matter to placement).
StripeManifest Stripe(int k, int m, const std::vector<Chid>& data, const std::vector<Chid>& parity) {
  StripeManifest s;
  s.policy = *ErasurePolicy::Make(k, m);
  s.fragment_length = 4096;
  for (const Chid& c : data) s.data.push_back({4096, c});
  s.parity = parity;
  return s;
}

// Where each chunk truly is, and answers that lose chosen holders on chosen calls, as a
// lossy network's probes do (a VDEV whose answer is lost counts as not holding).
struct FakeCluster {
  std::map<Chid, std::vector<std::string>> truth;
  std::map<Chid, int> calls;
  std::function<bool(const Chid&, int call, const std::string& vdev)> lost = [](auto&, int, auto&) { return false; };
  PassLocator::LocateFn Locator() {
    return [this](const Chid& chid) -> Result<std::vector<std::string>> {
      const int call = calls[chid]++;
      std::vector<std::string> out;
      for (const auto& v : truth[chid])
        if (!lost(chid, call, v)) out.push_back(v);
      return out;
    };
  }
};

// Every fragment sits on its keeper, but the first answer from one keeper is lost: one
// probe per fragment (relocate 0) makes the stripe look unplaced, and the collector would
// keep all its replicas another pass; asked again, every keeper holds.
TEST(PassLocatorTest, ALostAnswerDoesNotMakeAPlacedStripeLookUnplaced) {
  auto t = FlexHashTable::Build(Cluster(6, 1), 1);
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(13);
  const StripeManifest stripe = Stripe(2, 1, {RandomChid(rng), RandomChid(rng)}, {RandomChid(rng)});
  std::vector<FragmentSite> bare;
  for (int i = 0; i < 3; ++i) bare.push_back({stripe.FragmentChid(i), {}});
  auto placed = PlaceFragments(*t, bare);
  ASSERT_TRUE(placed.ok());
  FakeCluster c;
  for (int i = 0; i < 3; ++i) c.truth[stripe.FragmentChid(i)] = {(*placed)[i].vdev_id};
  const Chid unlucky = stripe.FragmentChid(0);
  c.lost = [&](const Chid& chid, int call, const std::string&) { return chid == unlucky && call == 0; };
  auto all_hold = [&](const std::vector<FragmentSite>& sites) {
    auto k = PlaceFragments(*t, sites);
    return k.ok() && std::all_of(k->begin(), k->end(), [](const FragmentKeeper& f) { return f.holds; });
  };

  auto once = PassLocator(c.Locator(), 0).Locate(*t, stripe);
  ASSERT_TRUE(once.ok());
  EXPECT_FALSE(all_hold(*once)) << "the lost answer hides the keeper";

  c.calls.clear();
  auto again = PassLocator(c.Locator(), 4).Locate(*t, stripe);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(all_hold(*again));
  EXPECT_EQ(c.calls[unlucky], 2) << "asked once more, not until the rounds run out";
}

// Two stripes (of two versions, or a chunk two objects share) have a fragment held twice;
// a later answer loses one holder. Both stripes see the holders found first, so identical
// stripes get identical keepers and no copy is kept for one of them only.
TEST(PassLocatorTest, EveryStripeOfAPassSeesTheSameHoldersOfAFragment) {
  auto t = FlexHashTable::Build(Cluster(6, 1), 1);
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(17);
  const StripeManifest stripe = Stripe(2, 1, {RandomChid(rng), RandomChid(rng)}, {RandomChid(rng)});
  FakeCluster c;
  const Chid shared = stripe.FragmentChid(0);
  auto row = t->RowVdevIds(t->RowOf(shared));
  c.truth[shared] = {row[0], row[1]};
  for (int i = 1; i < 3; ++i) c.truth[stripe.FragmentChid(i)] = {};
  c.lost = [&](const Chid& chid, int call, const std::string& v) { return chid == shared && call > 0 && v == row[0]; };
  PassLocator locator(c.Locator(), 0);
  auto first = locator.Locate(*t, stripe);
  auto second = locator.Locate(*t, stripe);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(c.calls[shared], 1);
  EXPECT_EQ((*first)[0].holders, (*second)[0].holders);
  EXPECT_EQ((*second)[0].holders.size(), 2u);
}

// A fragment that is really gone (a lost target) is asked about `relocate` more times,
// then reported without holders: the collector keeps the stripe whole.
TEST(PassLocatorTest, AFragmentReallyGoneIsAskedABoundedNumberOfTimes) {
  auto t = FlexHashTable::Build(Cluster(6, 1), 1);
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(19);
  const StripeManifest stripe = Stripe(2, 1, {RandomChid(rng), RandomChid(rng)}, {RandomChid(rng)});
  FakeCluster c;
  c.truth[stripe.FragmentChid(0)] = {};
  for (int i = 1; i < 3; ++i) c.truth[stripe.FragmentChid(i)] = {t->RowVdevIds(t->RowOf(stripe.FragmentChid(i)))[0]};
  auto sites = PassLocator(c.Locator(), 3).Locate(*t, stripe);
  ASSERT_TRUE(sites.ok());
  EXPECT_TRUE((*sites)[0].holders.empty());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.calls[stripe.FragmentChid(i)], 4) << "one probe and three rounds";
}

}  // namespace
}  // namespace ccow
