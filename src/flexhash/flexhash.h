// FlexHash: where a chunk or a name lives. The hash space is split into rows by the top
// bits of an id (CHID or NHID); each row is a negotiating group, a set of VDEVs spread over
// failure domains, which receives the proposals for ids in that row (DESIGN.md §1).
//
// Rows are filled by weighted rendezvous hashing: every (row, VDEV) pair gets a score from
// a hash of both, weighted by the VDEV's capacity, and each row takes its best-scoring
// VDEVs in distinct failure domains. A VDEV that joins or leaves changes only the rows
// where it scores among the best, which keeps rebalancing close to the ideal 1/(N+1).
// Utilization is recorded but does not move rows: placement must not churn as disks
// fill; the bids of the Replicast protocol steer writes away from busy or full VDEVs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "core/hash.h"
#include "core/status.h"

namespace ccow {

struct VdevInfo {
  std::string id;      // unique and stable: "SERVER/vdevN"
  std::string server;  // failure domain: one machine
  std::string zone;    // failure domain: a rack, room or site
  uint64_t capacity_bytes = 0;
  uint64_t used_bytes = 0;
  std::string address;  // where its target listens for Replicast ("IP:PORT"); not placement input

  friend bool operator==(const VdevInfo&, const VdevInfo&) = default;
};

enum class FailureDomain { kAny = 0, kServer = 1, kZone = 2 };

struct FlexHashOptions {
  FailureDomain failure_domain = FailureDomain::kServer;
  uint32_t rows = 0;             // 0: from the sizing rules below
  uint32_t vdevs_per_row = 0;    // 0: from the sizing rules below
};

// Sizing, after the original system: fewer than 9 VDEVs -> 4 per row (or all of them),
// otherwise ceil(log10 n) x 6; rows a power of two, at least 8, growing with the number of
// VDEVs to 128 at 256 VDEVs and at most 1024. A table built with vdevs_per_row 0 takes the
// larger of that and MinRowWidth.
uint32_t DefaultVdevsPerRow(size_t vdevs);
// Rows are filled from distinct failure domains first, so a row this wide spans every
// domain of a cluster of up to kRowDomainsForStripes of them (and that many of a larger
// one). Each fragment of an erasure-coded stripe is kept in its own row, every keeper in a
// domain of its own: rows spanning K+M domains make every stripe placeable (any set of
// fragments reaches K+M domains), where rows of 4 on a 6-server cluster left about one
// 4:2 stripe in eight unplaceable.
inline constexpr uint32_t kRowDomainsForStripes = 12;  // the widest policy, 9:3
uint32_t MinRowWidth(const std::vector<VdevInfo>& vdevs, FailureDomain domain);
uint32_t DefaultRows(size_t vdevs);

// The failure domain of a VDEV under a policy: its zone, its server, or itself (any).
const std::string& DomainOf(const VdevInfo& vdev, FailureDomain domain);

class FlexHashTable {
 public:
  static Result<FlexHashTable> Build(std::vector<VdevInfo> vdevs, uint64_t generation,
                                     const FlexHashOptions& options = {});

  uint64_t generation() const { return generation_; }
  uint32_t row_count() const { return static_cast<uint32_t>(rows_.size()); }
  const std::vector<VdevInfo>& vdevs() const { return vdevs_; }
  FailureDomain failure_domain() const { return options_.failure_domain; }
  // As built (rows and VDEVs per row resolved): the next generation keeps them, so that a
  // membership change moves only the rows where a VDEV joins or leaves.
  const FlexHashOptions& options() const { return options_; }
  // The row of an id: its top bits.
  uint32_t RowOf(const HashId& id) const;
  // The negotiating group of a row: indexes into vdevs(), best first.
  const std::vector<uint32_t>& Row(uint32_t row) const {
    CCOW_CHECK(row < rows_.size());  // a row from a peer is checked against row_count() first
    return rows_[row];
  }
  std::vector<std::string> RowVdevIds(uint32_t row) const;

  // flexhash-checkpoint.json: generation, options, VDEVs and rows.
  std::string ToJson() const;
  static Result<FlexHashTable> FromJson(std::string_view json);

 private:
  uint64_t generation_ = 0;
  FlexHashOptions options_;
  uint32_t row_bits_ = 0;
  std::vector<VdevInfo> vdevs_;
  std::vector<std::vector<uint32_t>> rows_;
};

// Fraction of rows whose membership (as a set of VDEV ids) differs between two tables
// with the same row count; the rebalancing cost of a change.
double FractionOfRowsChanged(const FlexHashTable& before, const FlexHashTable& after);

}  // namespace ccow
