// An erasure-code policy, "K:M:rs": K data and M parity fragments per stripe, Reed-Solomon.
//
// The text form is what a tenant or bucket records (the registry's bucket record, the
// `--ec` flag) and the numbers are what a stripe manifest records (model/stripe_manifest.h);
// this is the one parser and the one set of bounds for both. The codec itself lives in
// src/ec (ec/erasure_code.h).
//
// Bounds: 2 <= K <= 32 and 1 <= M <= 16. K = 1 would be replication with extra steps; the
// upper bounds keep a stripe's fragment set inside a 64-bit mask and a stripe's placement
// inside a realistic number of failure domains (ISA-L's Cauchy matrices allow K + M up to
// 256). A value type: copy freely, safe to share between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ccow {

// Part of the stripe manifest format (docs/FORMAT.md): never renumber.
enum class ErasureAlgorithm : uint8_t {
  // Reed-Solomon over GF(2^8) (polynomial 0x11d) with ISA-L's gf_gen_cauchy1_matrix
  // generator: parity row i, column j is 1 / ((K + i) xor j).
  kReedSolomon = 1,
};

const char* ErasureAlgorithmName(ErasureAlgorithm algo);  // "rs"

struct ErasurePolicy {
  static constexpr int kMinData = 2;
  static constexpr int kMaxData = 32;
  static constexpr int kMinParity = 1;
  static constexpr int kMaxParity = 16;
  static constexpr int kMaxWidth = kMaxData + kMaxParity;

  uint8_t data = 0;    // K: data fragments per stripe
  uint8_t parity = 0;  // M: parity fragments per stripe; any M of the K + M may be lost
  ErasureAlgorithm algorithm = ErasureAlgorithm::kReedSolomon;

  // A checked policy: kInvalidArgument naming the bounds when K or M is out of range.
  static Result<ErasurePolicy> Make(int data, int parity);
  // "K:M:rs" in its canonical form only ("06:2:rs", "4:2", "4:2:RS" are refused), so
  // that one policy has one spelling in records and in the registry.
  static Result<ErasurePolicy> Parse(std::string_view text);
  std::string ToString() const;  // "6:2:rs"
  Status Validate() const;

  int width() const { return data + parity; }  // fragments per full stripe
  // Raw bytes stored per logical byte for full stripes: (K + M) / K.
  double RawPerLogical() const { return static_cast<double>(width()) / data; }

  friend bool operator==(const ErasurePolicy&, const ErasurePolicy&) = default;
};

// Whether stripes of `policy` can be placed with every fragment in a distinct failure
// domain (what a cluster's FlexHash spreads over: servers or zones) when `failure_domains`
// of them exist. OK, or kInvalidArgument saying how many are needed and how many exist.
// `domain_kind` names them in the message ("servers", "zones").
Status CheckPlacement(const ErasurePolicy& policy, size_t failure_domains,
                      std::string_view domain_kind = "failure domains");

}  // namespace ccow
