// Keeps one erasure-coded stripe whole on a cluster: every stored fragment on its keeper
// (client/stripe_placement.h). A fragment whose keeper lacks it (a lost or replaced
// target, a new FlexHash, a bad copy its VDEV set aside) is copied there from another
// holder, or, when no copy can be read, rebuilt from K other fragments of the stripe
// (ec/stripe.h's RebuildFragment: bytes that match the fragment's CHID or nothing).
//
// Two callers, one mechanism: the erasure encoder's check of the stripes encoded earlier
// (gc/erasure_encoder.h, every stripe each pass) and read repair (client/read_repair.h,
// the stripe a degraded read just rebuilt from).
//
// Copies are put with replication count 1 and no write fence, as the encoder puts
// fragments: the fragment is referenced already (the stripe set names it, a version
// names the set), so a collection marks it; the keeper's pin covers a pass under way.
//
// Errors: kUnavailable with the stripe unplaceable (too few failure domains among the
// rows now: outcome kUnplaceable, nothing moved); the stripe lost (fewer than K fragments
// readable: outcome kLost, the status from RebuildFragment names them); a put that
// failed (returned as is: the next check tries again).
// Thread safety: a pure function of the backend's answers; call from any thread.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace ccow {

class Backend;
class ErasureCode;
class FlexHashTable;
struct StripeManifest;

struct StripeRepair {
  enum class Outcome { kWhole, kUnplaceable, kLost };
  Outcome outcome = Outcome::kWhole;
  uint64_t fragments_moved = 0;    // copied onto their keeper from another holder
  uint64_t fragments_rebuilt = 0;  // rebuilt from the stripe: no copy could be read
  Status detail;                   // why, when not kWhole
};

// code: the stripe's policy's code (stripe.policy). On return *r says what was done;
// a non-OK status is a failed put (r counts what landed before it).
Status RepairStripe(Backend& backend, const FlexHashTable& table, const ErasureCode& code,
                    const StripeManifest& stripe, StripeRepair* r);

}  // namespace ccow
