#include "flexhash/flexhash.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/check.h"

namespace ccow {
namespace {

uint32_t NextPow2(uint64_t n) {
  uint32_t p = 1;
  while (p < n && p < (1u << 30)) p <<= 1;
  return p;
}

// Weighted rendezvous score of a VDEV for a row; smaller is better. -ln(u)/w picks each
// VDEV first with probability proportional to its weight.
double Score(uint32_t row, const VdevInfo& v) {
  std::string key(4, '\0');
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>(row >> (8 * i));
  key += v.id;
  uint64_t h = XXH3_64bits(key.data(), key.size());
  double u = (static_cast<double>(h >> 11) + 0.5) / 9007199254740992.0;  // (0, 1)
  double weight = std::max(1.0, static_cast<double>(v.capacity_bytes) / (1ull << 30));
  return -std::log(u) / weight;
}

}  // namespace

const std::string& DomainOf(const VdevInfo& v, FailureDomain fd) {
  return fd == FailureDomain::kZone ? v.zone : fd == FailureDomain::kAny ? v.id : v.server;
}

namespace {

std::vector<uint32_t> FillRow(uint32_t row, const std::vector<VdevInfo>& vdevs, uint32_t k,
                              FailureDomain fd) {
  std::vector<std::pair<double, uint32_t>> ranked;
  ranked.reserve(vdevs.size());
  for (uint32_t i = 0; i < vdevs.size(); ++i) ranked.emplace_back(Score(row, vdevs[i]), i);
  std::sort(ranked.begin(), ranked.end());
  std::vector<uint32_t> chosen;
  std::set<std::string> used;
  std::vector<bool> taken(vdevs.size(), false);
  // Distinct failure domains first; if there are fewer domains than k, the best of the
  // rest fill the row (a row is never short while VDEVs exist).
  for (const auto& [score, i] : ranked) {
    if (chosen.size() == k) break;
    if (fd != FailureDomain::kAny && !used.insert(DomainOf(vdevs[i], fd)).second) continue;
    chosen.push_back(i);
    taken[i] = true;
  }
  for (const auto& [score, i] : ranked) {
    if (chosen.size() == k) break;
    if (!taken[i]) chosen.push_back(i);
  }
  // k never exceeds the VDEV count (Build clamps it), so a row is always full.
  CCOW_CHECK(chosen.size() == k);
  return chosen;
}

const char* DomainName(FailureDomain fd) {
  switch (fd) {
    case FailureDomain::kAny: return "any";
    case FailureDomain::kZone: return "zone";
    default: return "server";
  }
}

}  // namespace

uint32_t DefaultVdevsPerRow(size_t vdevs) {
  if (vdevs < 9) return static_cast<uint32_t>(std::min<size_t>(vdevs, 4));
  uint32_t per = static_cast<uint32_t>(std::ceil(std::log10(static_cast<double>(vdevs)))) * 6;
  return static_cast<uint32_t>(std::min<size_t>(per, vdevs));
}

uint32_t MinRowWidth(const std::vector<VdevInfo>& vdevs, FailureDomain domain) {
  std::set<std::string> domains;
  for (const auto& v : vdevs) domains.insert(DomainOf(v, domain));
  return static_cast<uint32_t>(std::min<size_t>(domains.size(), kRowDomainsForStripes));
}

uint32_t DefaultRows(size_t vdevs) {
  return std::clamp<uint32_t>(NextPow2(vdevs) / 2, 8, 1024);
}

Result<FlexHashTable> FlexHashTable::Build(std::vector<VdevInfo> vdevs, uint64_t generation,
                                           const FlexHashOptions& options) {
  if (vdevs.empty()) return Status::InvalidArgument("FlexHash needs at least one VDEV");
  std::set<std::string> ids;
  for (const auto& v : vdevs) {
    if (v.id.empty() || v.server.empty())
      return Status::InvalidArgument("every VDEV needs an id and a server");
    if (!ids.insert(v.id).second) return Status::InvalidArgument("duplicate VDEV id " + v.id);
  }
  // Order does not matter to the scores, but a canonical order makes tables comparable.
  std::sort(vdevs.begin(), vdevs.end(), [](const VdevInfo& a, const VdevInfo& b) { return a.id < b.id; });
  FlexHashTable t;
  t.generation_ = generation;
  t.options_ = options;
  uint32_t rows = options.rows ? options.rows : DefaultRows(vdevs.size());
  if (rows == 0 || (rows & (rows - 1)) != 0 || rows > (1u << 16))
    return Status::InvalidArgument("FlexHash rows must be a power of two up to 65536, not " +
                                   std::to_string(rows));
  uint32_t k = options.vdevs_per_row ? std::min<uint32_t>(options.vdevs_per_row, vdevs.size())
                                     : std::max(DefaultVdevsPerRow(vdevs.size()),
                                                MinRowWidth(vdevs, options.failure_domain));
  t.options_.rows = rows;
  t.options_.vdevs_per_row = k;
  while ((1u << t.row_bits_) < rows) ++t.row_bits_;
  t.rows_.reserve(rows);
  for (uint32_t r = 0; r < rows; ++r) t.rows_.push_back(FillRow(r, vdevs, k, options.failure_domain));
  t.vdevs_ = std::move(vdevs);
  return t;
}

uint32_t FlexHashTable::RowOf(const HashId& id) const {
  if (row_bits_ == 0) return 0;
  uint32_t row = static_cast<uint32_t>(id.Prefix64() >> (64 - row_bits_));
  CCOW_CHECK(row < rows_.size());  // rows_ holds exactly 2^row_bits_ rows
  return row;
}

std::vector<std::string> FlexHashTable::RowVdevIds(uint32_t row) const {
  CCOW_CHECK(row < rows_.size());
  std::vector<std::string> out;
  for (uint32_t i : rows_[row]) out.push_back(vdevs_[i].id);
  return out;
}

std::string FlexHashTable::ToJson() const {
  nlohmann::json j;
  j["generation"] = generation_;
  j["failure_domain"] = DomainName(options_.failure_domain);
  j["rows"] = options_.rows;
  j["vdevs_per_row"] = options_.vdevs_per_row;
  j["vdevs"] = nlohmann::json::array();
  for (const auto& v : vdevs_)
    j["vdevs"].push_back({{"id", v.id}, {"server", v.server}, {"zone", v.zone},
                          {"capacity_bytes", v.capacity_bytes}, {"used_bytes", v.used_bytes},
                          {"address", v.address}});
  j["table"] = nlohmann::json::array();
  for (uint32_t r = 0; r < rows_.size(); ++r) j["table"].push_back(RowVdevIds(r));
  return j.dump(2);
}

Result<FlexHashTable> FlexHashTable::FromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("FlexHash checkpoint is not JSON");
  try {
    std::vector<VdevInfo> vdevs;
    for (const auto& v : j.at("vdevs"))
      vdevs.push_back({v.at("id").get<std::string>(), v.at("server").get<std::string>(),
                       v.value("zone", ""), v.value("capacity_bytes", uint64_t{0}),
                       v.value("used_bytes", uint64_t{0}), v.value("address", "")});
    FlexHashOptions opts;
    std::string fd = j.value("failure_domain", "server");
    opts.failure_domain = fd == "zone" ? FailureDomain::kZone
                          : fd == "any" ? FailureDomain::kAny
                                        : FailureDomain::kServer;
    opts.rows = j.at("rows").get<uint32_t>();
    opts.vdevs_per_row = j.at("vdevs_per_row").get<uint32_t>();
    CCOW_ASSIGN_OR_RETURN(FlexHashTable t, Build(vdevs, j.at("generation").get<uint64_t>(), opts));
    // The checkpoint is authoritative: a table written by another version of the
    // placement code must be read back as written, not recomputed.
    const auto& table = j.at("table");
    if (table.size() != t.rows_.size()) return Status::Corruption("FlexHash checkpoint row count differs");
    std::map<std::string, uint32_t> index;
    for (uint32_t i = 0; i < t.vdevs_.size(); ++i) index[t.vdevs_[i].id] = i;
    for (uint32_t r = 0; r < t.rows_.size(); ++r) {
      std::vector<uint32_t> row;
      for (const auto& id : table[r]) {
        auto it = index.find(id.get<std::string>());
        if (it == index.end()) return Status::Corruption("FlexHash checkpoint row names unknown VDEV " + id.get<std::string>());
        row.push_back(it->second);
      }
      t.rows_[r] = std::move(row);
    }
    return t;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("FlexHash checkpoint: ") + e.what());
  }
}

double FractionOfRowsChanged(const FlexHashTable& before, const FlexHashTable& after) {
  if (before.row_count() != after.row_count() || before.row_count() == 0) return 1.0;
  uint32_t changed = 0;
  for (uint32_t r = 0; r < before.row_count(); ++r) {
    auto a = before.RowVdevIds(r), b = after.RowVdevIds(r);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b) ++changed;
  }
  return static_cast<double>(changed) / before.row_count();
}

}  // namespace ccow
