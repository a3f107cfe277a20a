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
// keeps every copy of that stripe). The answer depends on the holders seen, so the
// collector sees one answer per fragment per pass (PassLocator).
//
// PlaceFragments and LocateFragments are pure functions, thread-safe; a PassLocator
// belongs to one pass, on one thread.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
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

// Locates fragments for one garbage-collection pass, which trims a stripe only when every
// fragment sits on its keeper. A probe counts a VDEV whose answer was lost as not holding,
// so located one at a time, as LocateFragments does, a lossy network would make the
// collector keep every replica of a placed stripe for another pass, and make two versions
// sharing a stripe (or stripes sharing a fragment) choose different keepers, each keeping
// its own copy. So here:
//  - each fragment is located once per pass, and every stripe and version that has it sees
//    the same holders (identical stripes get identical keepers);
//  - while some keeper would lack its fragment, the stripe's fragments are located again,
//    up to `relocate` times, every holder any answer named being kept.
// Only for a collection pass: there a holder seen once still holds until the pass's own
// sweep (fragments that arrive meanwhile are found by the relocation).
class PassLocator {
 public:
  // locate: the VDEVs holding a chunk now (Backend::LocateChunk's ids).
  using LocateFn = std::function<Result<std::vector<std::string>>(const Chid&)>;
  PassLocator(LocateFn locate, int relocate) : locate_(std::move(locate)), relocate_(relocate) {}

  // The stored fragments of `stripe`, in LocateFragments's order, with their holders as
  // this pass knows them.
  Result<std::vector<FragmentSite>> Locate(const FlexHashTable& table, const StripeManifest& stripe);

 private:
  Status Probe(const Chid& chid);  // adds what one more answer names

  LocateFn locate_;
  int relocate_;
  std::unordered_map<Chid, std::vector<std::string>, HashIdHasher> holders_;
};

}  // namespace ccow
