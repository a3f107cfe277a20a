// ErasureCode: a Reed-Solomon RS(K, M) codec over ISA-L for one ErasurePolicy.
//
// Fragments are numbered 0..K-1 (data) and K..K+M-1 (parity) and all have the same
// length. Encode computes the M parity fragments from the K data fragments; Reconstruct
// rebuilds any lost fragments (data or parity) from any K surviving ones. The generator
// is ISA-L's Cauchy matrix (gf_gen_cauchy1_matrix): every K x K submatrix of a Cauchy
// generator is invertible, so every pattern of up to M losses decodes, for every K and M
// (gf_gen_rs_matrix's Vandermonde-style matrix is only guaranteed for some K, M; see
// ISA-L's erasure_code.h). The choice is part of the stripe format: parity bytes depend
// on it (docs/FORMAT.md, "Stripe manifest").
//
// The API takes arrays of pointers so that callers encode straight from and into the
// buffers they already hold (chunk payloads, network buffers): no copies, and no heap
// allocation per call, except building a decode matrix the first time an erasure
// pattern is seen. Decode tables are cached per pattern, at most kDecodeCacheSize of
// them (least recently used dropped first).
//
// Thread safety: an ErasureCode is immutable after Create except for the decode cache,
// which a mutex guards; Encode and Reconstruct may run concurrently on any threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "model/erasure_policy.h"

namespace ccow {

class ErasureCode {
 public:
  static constexpr size_t kDecodeCacheSize = 256;
  // ISA-L takes lengths as int; fragments are chunk-sized (at most 16 MiB) anyway.
  static constexpr size_t kMaxFragmentLength = size_t{1} << 30;

  // kInvalidArgument when the policy is not valid (ErasurePolicy::Validate).
  static Result<std::unique_ptr<ErasureCode>> Create(const ErasurePolicy& policy);

  const ErasurePolicy& policy() const { return policy_; }
  int data_count() const { return policy_.data; }
  int parity_count() const { return policy_.parity; }
  int width() const { return policy_.width(); }

  // data: K readable buffers; parity: M writable buffers; each `length` bytes. Buffers
  // must not overlap. kInvalidArgument for wrong counts, null pointers or a length above
  // kMaxFragmentLength.
  Status Encode(size_t length, std::span<const uint8_t* const> data,
                std::span<uint8_t* const> parity) const;

  // fragments: K+M entries in fragment order, nullptr for each lost fragment.
  // rebuilt:   K+M entries; a writable `length`-byte buffer at each lost index that is to
  //            be rebuilt, nullptr elsewhere (a non-null entry at a surviving index is
  //            kInvalidArgument). Rebuilding only what is needed is cheaper.
  // kUnavailable, naming the lost fragments, when fewer than K survive. Bytes are not
  // verified here: a wrong surviving fragment gives wrong output, which is why stripe
  // readers check every rebuilt chunk against its CHID (ec/stripe.h).
  Status Reconstruct(size_t length, std::span<const uint8_t* const> fragments,
                     std::span<uint8_t* const> rebuilt) const;

  // The (K+M) x K generator matrix, row-major: the identity over the parity rows. For
  // tests and for the benchmark's ISA-L baseline.
  const std::vector<uint8_t>& generator() const { return generator_; }
  // ISA-L's expanded tables for the M parity rows (ec_init_tables); for the benchmark.
  const std::vector<uint8_t>& encode_tables() const { return encode_tables_; }

  // Decode tables for one pattern: which K fragments are read (sources) and which are
  // rebuilt (targets), both as fragment-index bitmasks. Exposed for the benchmark.
  struct DecodePlan {
    int sources[ErasurePolicy::kMaxData];
    int targets[ErasurePolicy::kMaxWidth];
    int target_count = 0;
    std::vector<uint8_t> tables;  // ec_init_tables(K, target_count, ...)
  };
  Result<std::shared_ptr<const DecodePlan>> PlanFor(uint64_t present_mask,
                                                    uint64_t wanted_mask) const;
  size_t cached_plans() const;  // for tests: never above kDecodeCacheSize

 private:
  explicit ErasureCode(const ErasurePolicy& policy);
  Result<std::shared_ptr<const DecodePlan>> BuildPlan(uint64_t present_mask,
                                                      uint64_t wanted_mask) const;
  std::string Describe(uint64_t mask) const;  // "data 0, parity 1"

  ErasurePolicy policy_;
  std::vector<uint8_t> generator_;
  std::vector<uint8_t> encode_tables_;

  struct PatternHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& p) const {
      return std::hash<uint64_t>()(p.first * 0x9e3779b97f4a7c15ull ^ p.second);
    }
  };
  using Key = std::pair<uint64_t, uint64_t>;  // (present, wanted)
  mutable std::mutex mu_;
  mutable std::list<Key> lru_;  // most recently used first
  struct Entry {
    std::shared_ptr<const DecodePlan> plan;
    std::list<Key>::iterator pos;
  };
  mutable std::unordered_map<Key, Entry, PatternHash> cache_;
};

}  // namespace ccow
