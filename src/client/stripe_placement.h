// Where the fragments of an erasure-coded stripe are kept on a cluster: one keeper VDEV
// per stored fragment, each in its fragment's FlexHash row (so that a read asking that
// row finds it) and every keeper in a failure domain of its own (so that losing one
// domain loses at most one fragment of the stripe, and any M lost domains leave K).
//
// Keepers are not recorded anywhere: they are recomputed from the current FlexHash and
// the fragments' current holders whenever they are needed (the encoder placing a new
// stripe, the encoder's check of old stripes after a target was lost, the garbage
// collector deciding which copies are surplus). The matching prefers VDEVs that already
// hold a fragment, so once every fragment sits on its keeper the answer is stable: it
// changes only when the FlexHash or the holders change, and then the encoder's check
// copies or rebuilds fragments onto the new keepers before the collector trims anything
// (a keeper that does not hold its fragment yet is reported, and the collector then
// keeps every copy of that stripe).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "model/object_name.h"
#include "core/status.h"

namespace ccow {

class Backend;
class FlexHashTable;
struct StripeManifest;

// One stored fragment of a stripe and the VDEVs holding a copy of it now.
struct FragmentSite {
  Chid chid;
  std::vector<std::string> holders;
};

struct FragmentKeeper {
  std::string vdev_id;  // where the fragment is kept
  bool holds = false;   // that VDEV holds it now; otherwise a copy must be placed there
};

// One keeper per fragment (same order). A fragment listed twice (a chunk repeated in a
// stripe, a parity chunk equal to a data chunk) is two fragments: two keepers in two
// domains. Holders outside their fragment's row are never keepers (rebalancing moves
// them). kUnavailable when the fragments' rows do not reach enough distinct failure
// domains between them; the message says how many are needed and how many were found.
Result<std::vector<FragmentKeeper>> PlaceFragments(const FlexHashTable& table,
                                                   const std::vector<FragmentSite>& fragments);

// The stored fragments of `stripe` in fragment order (absent members of a short stripe
// left out), each with its current holders as the backend locates them.
Result<std::vector<FragmentSite>> LocateFragments(Backend& backend, const StripeManifest& stripe);

}  // namespace ccow
