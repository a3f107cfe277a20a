#include "client/stripe_placement.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "client/backend.h"
#include "flexhash/flexhash.h"
#include "model/stripe_manifest.h"

namespace ccow {
namespace {

// A fragment's choice of one failure domain: the VDEV of its row it would be kept on
// there (a holder if the domain has one in the row, else the row's best VDEV in it).
struct Option {
  size_t domain;
  std::string vdev_id;
  bool holds;
};

// Bipartite matching of fragments to failure domains (Kuhn's augmenting paths; a stripe
// has at most 48 fragments). Run three times, widening: first only options where the
// VDEV holds the fragment, then new fragments may take any option while already matched
// ones move along holding options only, then anything goes. Each round keeps the
// previous rounds' matches unless an augmenting path moves them, so holders are kept
// wherever a full matching allows it.
class Matcher {
 public:
  Matcher(const std::vector<std::vector<Option>>& options, size_t domains)
      : options_(options), owner_(domains, -1), choice_(options.size(), -1) {}

  void Round(bool new_any, bool old_any) {
    for (size_t f = 0; f < options_.size(); ++f) {
      if (choice_[f] >= 0) continue;
      std::vector<bool> seen(owner_.size(), false);
      Augment(static_cast<int>(f), new_any, old_any, seen);
    }
  }
  bool Complete() const {
    for (int c : choice_)
      if (c < 0) return false;
    return true;
  }
  size_t Matched() const {
    size_t n = 0;
    for (int c : choice_) n += c >= 0;
    return n;
  }
  const Option& Chosen(size_t f) const { return options_[f][static_cast<size_t>(choice_[f])]; }

 private:
  // Finds a domain for fragment f, possibly moving others. `first`: f is the fragment the
  // round started from (new_any applies to it), the others are moving (old_any).
  bool Augment(int f, bool new_any, bool old_any, std::vector<bool>& seen, bool first = true) {
    const bool any = first ? new_any : old_any;
    const auto& opts = options_[static_cast<size_t>(f)];
    for (size_t i = 0; i < opts.size(); ++i) {
      const Option& o = opts[i];
      if (!any && !o.holds) continue;
      if (seen[o.domain]) continue;
      seen[o.domain] = true;
      const int other = owner_[o.domain];
      if (other < 0 || Augment(other, new_any, old_any, seen, false)) {
        owner_[o.domain] = f;
        choice_[static_cast<size_t>(f)] = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  const std::vector<std::vector<Option>>& options_;
  std::vector<int> owner_;   // domain -> fragment
  std::vector<int> choice_;  // fragment -> index into its options
};

}  // namespace

Result<std::vector<FragmentKeeper>> PlaceFragments(const FlexHashTable& table,
                                                   const std::vector<FragmentSite>& fragments) {
  std::map<std::string, size_t> domain_index;
  std::vector<std::vector<Option>> options(fragments.size());
  for (size_t f = 0; f < fragments.size(); ++f) {
    const FragmentSite& site = fragments[f];
    const std::set<std::string> holders(site.holders.begin(), site.holders.end());
    // Row order is FlexHash's best first; a domain's option is its first holder, else
    // its first VDEV.
    std::map<size_t, size_t> option_of_domain;
    for (uint32_t v : table.Row(table.RowOf(site.chid))) {
      const VdevInfo& vdev = table.vdevs()[v];
      const std::string& name = DomainOf(vdev, table.failure_domain());
      const size_t d = domain_index.emplace(name, domain_index.size()).first->second;
      const bool holds = holders.count(vdev.id) > 0;
      auto it = option_of_domain.find(d);
      if (it == option_of_domain.end()) {
        option_of_domain.emplace(d, options[f].size());
        options[f].push_back({d, vdev.id, holds});
      } else if (holds && !options[f][it->second].holds) {
        options[f][it->second] = {d, vdev.id, true};
      }
    }
    // Holding options first: Kuhn's search tries them before the others.
    std::stable_partition(options[f].begin(), options[f].end(), [](const Option& o) { return o.holds; });
  }
  Matcher m(options, domain_index.size());
  m.Round(false, false);
  m.Round(true, false);
  m.Round(true, true);
  if (!m.Complete())
    return Status::Unavailable("a stripe of " + std::to_string(fragments.size()) +
                               " fragments needs as many distinct failure domains among its rows; " +
                               "they reach " + std::to_string(domain_index.size()) + " and only " +
                               std::to_string(m.Matched()) + " fragments could be given one of their own");
  std::vector<FragmentKeeper> keepers;
  keepers.reserve(fragments.size());
  for (size_t f = 0; f < fragments.size(); ++f) keepers.push_back({m.Chosen(f).vdev_id, m.Chosen(f).holds});
  return keepers;
}

Result<std::vector<FragmentSite>> LocateFragments(Backend& backend, const StripeManifest& stripe) {
  std::vector<FragmentSite> sites;
  for (int i = 0; i < stripe.policy.width(); ++i) {
    if (!stripe.IsStored(i)) continue;
    FragmentSite site{stripe.FragmentChid(i), {}};
    CCOW_ASSIGN_OR_RETURN(auto holders, backend.LocateChunk(site.chid));
    for (auto& h : holders) site.holders.push_back(std::move(h.vdev_id));
    sites.push_back(std::move(site));
  }
  return sites;
}

Status PassLocator::Probe(const Chid& chid) {
  CCOW_ASSIGN_OR_RETURN(auto found, locate_(chid));
  auto& known = holders_[chid];
  for (auto& id : found)
    if (std::find(known.begin(), known.end(), id) == known.end()) known.push_back(std::move(id));
  return Status::OK();
}

Result<std::vector<FragmentSite>> PassLocator::Locate(const FlexHashTable& table, const StripeManifest& stripe) {
  std::vector<Chid> chids;
  for (int i = 0; i < stripe.policy.width(); ++i)
    if (stripe.IsStored(i)) chids.push_back(stripe.FragmentChid(i));
  for (const Chid& c : chids)
    if (!holders_.count(c)) CCOW_RETURN_IF_ERROR(Probe(c));
  auto sites = [&] {
    std::vector<FragmentSite> out;
    for (const Chid& c : chids) out.push_back({c, holders_[c]});
    return out;
  };
  for (int round = 0; round < relocate_; ++round) {
    auto keepers = PlaceFragments(table, sites());
    if (!keepers.ok()) break;  // too few failure domains: no answer changes that
    if (std::all_of(keepers->begin(), keepers->end(), [](const FragmentKeeper& k) { return k.holds; })) break;
    // Every fragment again, not only those lacking: the matching may have moved one off
    // a holder because another fragment's holder went unseen.
    for (const Chid& c : chids) CCOW_RETURN_IF_ERROR(Probe(c));
  }
  return sites();
}

}  // namespace ccow
