// Erasure coding at rest on a cluster (issue 11 §3; docs/ARCHITECTURE.md "Erasure coding
// on a cluster"): versions of buckets with an erasure-code policy that have come to rest
// are encoded into stripes, and the stripes of encoded versions are kept whole.
//
// A pass walks every version list, a page at a time, and for each distinct version
// (active, quarantined or snapshotted):
//  - not encoded, in a bucket with a policy, at rest (written rest_age ago) and at least
//    min_object_bytes: its distinct payload chunks, in object order, are grouped K at a
//    time; each group's M parity chunks are computed (ec/stripe.h); every fragment is
//    put on its keeper (client/stripe_placement.h: one VDEV per fragment, each in a
//    failure domain of its own), the parity with replication count 1; the version's
//    stripe set (model/stripe_set.h) is stored like a manifest, at the version's R; and
//    the version-list entries of that version are pointed at it. The replicas beyond the
//    keepers are not touched here: the next garbage-collection pass marks a fragment only
//    on its keeper when every fragment of its stripe sits on one, and sweeps the rest.
//  - encoded: each stripe is checked (placement maintenance and fragment healing): a
//    fragment whose keeper lacks it (a lost target, a new FlexHash) is copied there from
//    another holder, or rebuilt from K other fragments of its stripe when no copy is
//    left. A stripe with fewer than K fragments left is reported as lost, by name.
//
// The encoder adds references (parity chunks, the stripe set) the way any write does:
// its puts observe the GC pin epochs into a WriteFence that its version-list update
// presents, so a concurrent collection can never free them under it (a fenced update
// touches them again and retries once; a later pass finishes what a failed one began).
//
// Thread safety: RunPass from one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "client/object_api.h"
#include "core/status.h"
#include "model/erasure_policy.h"

namespace ccow {

class ErasureCode;
struct StripeSet;

struct ErasureEncoderOptions {
  uint64_t rest_age_ns = 3600ull * 1'000'000'000;  // unchanged this long: at rest
  uint64_t min_object_bytes = 4ull << 20;          // smaller versions stay replicated
  size_t page = 256;                               // version lists per scan page
  std::function<uint64_t()> clock;                 // wall-clock ns; empty: the system clock
  // The erasure-code policy of a bucket ("SEGMENT/TENANT/BUCKET"), from the registry of
  // record; nullopt: the bucket is replicated.
  std::function<std::optional<ErasurePolicy>(const std::string& bucket_path)> bucket_policy;
  // The replication count of a bucket's versions (0 or empty: the backend's default): the
  // raw bytes of a replicated version in BucketLayout.
  std::function<uint32_t(const std::string& bucket_path)> bucket_replication;
  // Called with "list" before each version list of a page is handled and with "commit"
  // once a version's fragments and stripe set are stored, before its version list is
  // pointed at them: the simulation runs writes and collector passes there, in the middle
  // of an encoding (as CollectorOptions::on_phase does for a collection).
  std::function<void(const std::string& phase)> on_phase;
};

// What a bucket's versions take (every version a pass walked: active, quarantined and
// snapshotted, each once; delete markers none): logical bytes, and raw bytes as laid out
// (a replicated version: its size times R; an encoded one: its data chunks once plus
// its parity). Chunks shared by versions count in each, as manifests count in none, so
// it is the policy's cost per logical byte, not a disk census (`system status` has that).
struct BucketLayout {
  uint64_t versions = 0;
  uint64_t encoded_versions = 0;
  uint64_t logical_bytes = 0;
  uint64_t raw_bytes = 0;
};

struct EncodePassResult {
  uint64_t lists_scanned = 0;
  uint64_t versions_encoded = 0;
  uint64_t versions_too_small = 0;  // below min_object_bytes: stay replicated
  uint64_t versions_not_at_rest = 0;
  uint64_t versions_standard_class = 0;  // storage class STANDARD (or RRS): stay replicated
  uint64_t versions_failed = 0;     // left for the next pass (the log says why)
  uint64_t stripes_written = 0;
  uint64_t data_bytes_encoded = 0;  // payload bytes the new stripes protect
  uint64_t parity_bytes_written = 0;
  uint64_t stripes_checked = 0;        // of versions encoded earlier
  uint64_t fragments_moved = 0;        // copied onto their keeper from another holder
  uint64_t fragments_rebuilt = 0;      // rebuilt from their stripe: no copy was left
  uint64_t stripes_unplaceable = 0;    // too few failure domains among the rows now
  uint64_t stripes_lost = 0;           // fewer than K fragments left
  double seconds = 0;
  std::map<std::string, BucketLayout> buckets;  // by "SEGMENT/TENANT/BUCKET"
};

class ErasureEncoder {
 public:
  // api must outlive the encoder. Its backend must place chunks over failure domains
  // (Backend::placement(), a cluster); RunPass fails with kUnsupported otherwise.
  ErasureEncoder(ObjectApi* api, ErasureEncoderOptions options);
  ~ErasureEncoder();

  Result<EncodePassResult> RunPass();

 private:
  // Both add the bytes the version's stripes store (data and parity) to *stored.
  Status EncodeVersion(const std::string& name, const Nhid& nhid, const VersionEntry& entry,
                       const ErasurePolicy& policy, EncodePassResult* r, uint64_t* stored);
  Status CheckStripes(const std::string& name, const VersionEntry& entry, EncodePassResult* r, uint64_t* stored);
  const ErasureCode& CodeFor(const ErasurePolicy& policy);

  ObjectApi* api_;
  ErasureEncoderOptions options_;
  std::map<std::pair<int, int>, std::unique_ptr<ErasureCode>> codes_;
};

}  // namespace ccow
