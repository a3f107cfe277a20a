// Stripes: erasure-code K payload chunks into M parity chunks and a StripeManifest, and
// rebuild any stored fragment of a stripe from the others, verified by its CHID.
//
// The format and the tail rule (a stripe of fewer than K chunks keeps K:M, its missing
// members are absent zeros) are in model/stripe_manifest.h and docs/FORMAT.md. These
// functions move bytes only; fetching fragments from VDEVs, placing them in distinct
// failure domains and recording which stripe a chunk belongs to are the callers' work.
//
// Guarantee: RebuildFragment never returns bytes that do not hash to the fragment's CHID.
// A wrong surviving fragment (bit rot the store did not catch, a bug upstream) is found
// by verifying the sources, left out, and the rebuild retried with the others.
//
// Stateless functions; thread safety is the ErasureCode's (any threads).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/status.h"
#include "ec/erasure_code.h"
#include "model/stripe_manifest.h"

namespace ccow {

// A data chunk going into a stripe: its CHID and its bytes (as stored; not padded).
struct StripeInput {
  Chid chid;
  std::string_view bytes;
};

struct EncodedStripe {
  StripeManifest manifest;
  std::vector<std::string>
      parity;  // M chunks, each fragment_length bytes; CHIDs in manifest.parity
};

// data: 1..K non-empty chunks in stripe order (fewer than K only for an object's last
// stripe). Each is verified against its CHID first (kCorruption naming it: a stripe over
// wrong bytes would make every later rebuild fail). Parity chunks are named with
// `parity_hash`, normally the object's policy hash. kInvalidArgument for 0 or more than
// K chunks, an empty chunk, or a chunk above ErasureCode::kMaxFragmentLength.
Result<EncodedStripe> EncodeStripe(const ErasureCode& code, std::span<const StripeInput> data,
                                   HashAlgo parity_hash);

// One slot per fragment (K + M, fragment order): the stored bytes of each fragment the
// caller could fetch (a data chunk at its true length, a parity chunk at fragment_length),
// std::nullopt for one it could not. Slots of absent members are ignored.
using FragmentViews = std::span<const std::optional<std::string_view>>;

// Rebuilds stored fragment `index` of `stripe` (a data chunk at its true length, or a
// parity chunk) from the other fragments and verifies it against its CHID.
//   kInvalidArgument: `code` is for another policy, a wrong slot count, or `index` is not
//                     a stored fragment.
//   kUnavailable:     fewer than K usable fragments, none of them corrupt (waiting for a
//                     target to return may help); the message names the wanted chunk,
//                     the stripe's policy and every lost fragment.
//   kCorruption:      fewer than K usable fragments because some did not verify (the
//                     message names them too); or the manifest is invalid; or the result
//                     does not verify although every source did (the manifest does not
//                     describe these chunks).
Result<std::string> RebuildFragment(const ErasureCode& code, const StripeManifest& stripe,
                                    int index, FragmentViews fragments);

}  // namespace ccow
