// Stripe manifests: how K payload chunks and M parity chunks form one erasure-coded stripe.
//
// Data chunks stay exactly as they were stored (same bytes, same CHID), so dedup and
// direct reads keep working on encoded objects. For the codec each data chunk is the
// fragment "its bytes, zero-padded to the stripe's fragment length" (the longest member);
// parity fragments are that long and are stored as ordinary chunks named by their hash.
// A stripe at the tail of an object may have fewer than K data chunks: the missing
// members are absent (all zeros, never stored), so K:M stays the object's policy and
// only `data.size()` real data fragments plus M parity fragments need placing.
//
// A degraded read needs nothing else: with the manifest and any K of the stored
// fragments (absent members count as present), the codec rebuilds a data chunk, which
// is then checked against its CHID before a byte of it is used (ec/stripe.h).
//
// Encoding: docs/FORMAT.md "Stripe manifest". A value type; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/erasure_policy.h"
#include "model/object_name.h"

namespace ccow {

struct StripeMember {
  uint64_t length = 0;  // true length of the chunk, 1..fragment_length
  Chid chid;

  friend bool operator==(const StripeMember&, const StripeMember&) = default;
};

struct StripeManifest {
  static constexpr uint8_t kFormatVersion = 1;

  ErasurePolicy policy;
  uint64_t fragment_length = 0;    // longest data member; every parity chunk's length
  std::vector<StripeMember> data;  // 1..K members in fragment order 0..; the rest absent
  std::vector<Chid> parity;        // exactly M, fragment order K..K+M-1

  // Fragment index of a data chunk (its position), or -1 when `chid` is not a member.
  // With a chunk present twice in one stripe, the first position.
  int DataIndex(const Chid& chid) const;
  // Bytes of data the stripe protects (sum of member lengths).
  uint64_t DataBytes() const;
  // Whether fragment `index` (0..K+M-1) is stored: a data member or a parity chunk, not
  // an absent member of a short stripe.
  bool IsStored(int index) const;
  // For a stored fragment: its CHID, and its length as stored (a data chunk's true length,
  // a parity chunk's fragment_length).
  const Chid& FragmentChid(int index) const;
  uint64_t StoredLength(int index) const;

  // The structural rules the decoder enforces (docs/FORMAT.md).
  Status Validate() const;
  std::string Encode() const;
  static Result<StripeManifest> Decode(std::string_view bytes);

  friend bool operator==(const StripeManifest&, const StripeManifest&) = default;
};

}  // namespace ccow
