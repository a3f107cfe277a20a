#include "client/stripe_repair.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/backend.h"
#include "client/stripe_placement.h"
#include "ec/stripe.h"
#include "flexhash/flexhash.h"
#include "model/stripe_manifest.h"

namespace ccow {

Status RepairStripe(Backend& backend, const FlexHashTable& table, const ErasureCode& code,
                    const StripeManifest& stripe, StripeRepair* r) {
  *r = StripeRepair{};
  CCOW_ASSIGN_OR_RETURN(auto sites, LocateFragments(backend, stripe));
  auto keepers = PlaceFragments(table, sites);
  if (!keepers.ok()) {
    r->outcome = StripeRepair::Outcome::kUnplaceable;
    r->detail = keepers.status();
    return Status::OK();
  }
  // Stored fragment f is fragment index `index[f]` of the stripe.
  std::vector<int> index;
  for (int i = 0; i < stripe.policy.width(); ++i)
    if (stripe.IsStored(i)) index.push_back(i);
  std::vector<std::optional<std::string>> fetched;  // by fragment index, fetched lazily
  bool fetched_all = false, fetched_again = false;
  // Fetches fragment g into `fetched` (whether located or not, with `any`).
  auto fetch = [&](size_t g, bool any) {
    auto& slot = fetched[static_cast<size_t>(index[g])];
    std::string b;
    if (!slot && (any || !sites[g].holders.empty()) && backend.GetChunk(sites[g].chid, &b).ok())
      slot = std::move(b);
  };
  auto rebuild = [&](size_t f) {
    std::vector<std::optional<std::string_view>> views(fetched.size());
    for (size_t i = 0; i < fetched.size(); ++i)
      if (fetched[i]) views[i] = *fetched[i];
    return RebuildFragment(code, stripe, index[f], views);
  };
  for (size_t f = 0; f < sites.size(); ++f) {
    if ((*keepers)[f].holds) continue;
    std::string copy;
    Status got = sites[f].holders.empty() ? Status::NotFound("no copy left")
                                          : backend.GetChunk(sites[f].chid, &copy);
    bool rebuilt = false;
    if (!got.ok()) {
      if (!fetched_all) {
        fetched.assign(static_cast<size_t>(stripe.policy.width()), std::nullopt);
        for (size_t g = 0; g < sites.size(); ++g) fetch(g, false);
        fetched_all = true;
      }
      auto rb = rebuild(f);
      if (!rb.ok() && !fetched_again) {
        // A probe counts a VDEV whose answer was lost as holding nothing: before calling
        // the stripe lost (an alarm of data loss), ask for every fragment not in hand,
        // located or not, this one included (a get asks the whole row, and retries).
        fetched_again = true;
        for (size_t g = 0; g < sites.size(); ++g) fetch(g, true);
        const auto& own = fetched[static_cast<size_t>(index[f])];
        rb = own ? Result<std::string>(*own) : rebuild(f);
        rebuilt = !own;
      } else {
        rebuilt = true;
      }
      if (!rb.ok()) {
        r->outcome = StripeRepair::Outcome::kLost;
        r->detail = rb.status();
        return Status::OK();
      }
      copy = std::move(*rb);
    }
    CCOW_RETURN_IF_ERROR(backend.PutChunkOn(sites[f].chid, copy, (*keepers)[f].vdev_id, 1, nullptr));
    (rebuilt ? r->fragments_rebuilt : r->fragments_moved)++;
  }
  return Status::OK();
}

}  // namespace ccow
