// Stripe sets: every stripe of one erasure-coded version, the record a degraded read loads
// to rebuild a lost payload chunk.
//
// When a version comes to rest, the encoder job cuts its payload chunks into stripes of
// one policy (model/stripe_manifest.h), stores the parity chunks and then this record as
// an ordinary chunk named by its hash (the version's policy hash), replicated like a
// manifest. The version list entry then points at it (VersionEntry::ec_chid). A reader
// that fails to get a data chunk looks the chunk up here (FindData) and rebuilds it from
// the other fragments of its stripe (ec/stripe.h).
//
// The record names the version it encodes (vm_chid) so that a reader can refuse a set
// that does not belong to the version it resolved. The policy is recorded once: all the
// stripes of a version share it (the tail stripe keeps K:M with absent members).
//
// Encoding: docs/FORMAT.md "Stripe set". A value type; no shared state, safe to read from
// any threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/object_name.h"
#include "model/stripe_manifest.h"

namespace ccow {

struct StripeSet {
  static constexpr uint8_t kFormatVersion = 1;
  // A 1 MiB-chunk object of 2 TiB at 32 data chunks per stripe, and a bound on what a
  // hostile record can make a decoder build.
  static constexpr size_t kMaxStripes = 65536;

  Chid vm_chid;                         // the version it encodes
  std::vector<StripeManifest> stripes;  // 1..kMaxStripes, all of one policy, object order

  // The policy of every stripe (stripes.front()'s); only on a set that is not empty.
  const ErasurePolicy& policy() const;
  // The stripe holding data chunk `chid` and, in *index, its fragment index there; nullptr
  // when no stripe does. The first such stripe when a chunk repeats. Linear in the
  // members: a reader serving many lost chunks indexes the set once instead.
  const StripeManifest* FindData(const Chid& chid, int* index) const;

  // kCorruption naming the rule broken: no vm_chid, no stripes or more than kMaxStripes,
  // a stripe that is not valid (StripeManifest::Validate), or stripes of two policies.
  Status Validate() const;
  std::string Encode() const;  // a valid set only (checked)
  // Strict: wrong kind or version, bad counts, a broken rule or trailing bytes are
  // kCorruption naming the record and the offset or the stripe.
  static Result<StripeSet> Decode(std::string_view bytes);

  friend bool operator==(const StripeSet&, const StripeSet&) = default;
};

}  // namespace ccow
