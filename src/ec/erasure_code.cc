#include "ec/erasure_code.h"

#include <isa-l/erasure_code.h>

#include <algorithm>
#include <bit>
#include <string>

namespace ccow {

namespace {

uint64_t Bit(int i) { return uint64_t{1} << i; }

// ISA-L's prototypes take non-const pointers even for inputs it only reads.
uint8_t** Mutable(const uint8_t* const* p) { return const_cast<uint8_t**>(p); }

}  // namespace

Result<std::unique_ptr<ErasureCode>> ErasureCode::Create(const ErasurePolicy& policy) {
  CCOW_RETURN_IF_ERROR(policy.Validate());
  return std::unique_ptr<ErasureCode>(new ErasureCode(policy));
}

ErasureCode::ErasureCode(const ErasurePolicy& policy) : policy_(policy) {
  const int k = policy_.data, m = policy_.parity;
  generator_.resize(static_cast<size_t>(k + m) * k);
  gf_gen_cauchy1_matrix(generator_.data(), k + m, k);
  encode_tables_.resize(32 * static_cast<size_t>(k) * m);
  ec_init_tables(k, m, &generator_[static_cast<size_t>(k) * k], encode_tables_.data());
}

Status ErasureCode::Encode(size_t length, std::span<const uint8_t* const> data,
                           std::span<uint8_t* const> parity) const {
  if (data.size() != static_cast<size_t>(data_count()) ||
      parity.size() != static_cast<size_t>(parity_count()))
    return Status::InvalidArgument(
        "erasure code " + policy_.ToString() + ": encode needs " + std::to_string(data_count()) +
        " data and " + std::to_string(parity_count()) + " parity buffers, got " +
        std::to_string(data.size()) + " and " + std::to_string(parity.size()));
  if (length > kMaxFragmentLength)
    return Status::InvalidArgument("erasure code: fragment length " + std::to_string(length) +
                                   " is above " + std::to_string(kMaxFragmentLength));
  for (auto* p : data)
    if (p == nullptr) return Status::InvalidArgument("erasure code: null data buffer");
  for (auto* p : parity)
    if (p == nullptr) return Status::InvalidArgument("erasure code: null parity buffer");
  if (length == 0) return Status::OK();
  ec_encode_data(static_cast<int>(length), data_count(), parity_count(),
                 const_cast<uint8_t*>(encode_tables_.data()), Mutable(data.data()),
                 const_cast<uint8_t**>(parity.data()));
  return Status::OK();
}

std::string ErasureCode::Describe(uint64_t mask) const {
  std::string out;
  for (int i = 0; i < width(); ++i) {
    if ((mask & Bit(i)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += i < data_count() ? "data " + std::to_string(i)
                            : "parity " + std::to_string(i - data_count());
  }
  return out;
}

Result<std::shared_ptr<const ErasureCode::DecodePlan>> ErasureCode::PlanFor(
    uint64_t present_mask, uint64_t wanted_mask) const {
  const uint64_t all = Bit(width()) - 1;
  present_mask &= all;
  if (std::popcount(present_mask) < data_count()) {
    uint64_t lost = all & ~present_mask;
    return Status::Unavailable(
        "erasure code " + policy_.ToString() + ": " + std::to_string(std::popcount(lost)) + " of " +
        std::to_string(width()) + " fragments lost (" + Describe(lost) + "); at most " +
        std::to_string(parity_count()) + " can be rebuilt, so nothing can be");
  }
  // The first K survivors are the sources: the plan depends only on them and the targets,
  // which keeps the number of distinct cache keys small.
  uint64_t sources = 0;
  for (int i = 0, n = 0; i < width() && n < data_count(); ++i)
    if (present_mask & Bit(i)) sources |= Bit(i), ++n;
  Key key{sources, wanted_mask};
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.pos);
      return it->second.plan;
    }
  }
  CCOW_ASSIGN_OR_RETURN(auto plan, BuildPlan(sources, wanted_mask));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(key);  // another thread may have built it meanwhile
  if (it != cache_.end()) return it->second.plan;
  lru_.push_front(key);
  cache_.emplace(key, Entry{plan, lru_.begin()});
  if (cache_.size() > kDecodeCacheSize) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
  return plan;
}

size_t ErasureCode::cached_plans() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size();
}

Result<std::shared_ptr<const ErasureCode::DecodePlan>> ErasureCode::BuildPlan(
    uint64_t sources, uint64_t wanted) const {
  const int k = data_count();
  auto plan = std::make_shared<DecodePlan>();
  // B: the generator rows of the sources. sources = B x data, so data = B^-1 x sources.
  std::vector<uint8_t> b(static_cast<size_t>(k) * k), inv(static_cast<size_t>(k) * k);
  for (int i = 0, r = 0; i < width(); ++i) {
    if ((sources & Bit(i)) == 0) continue;
    plan->sources[r] = i;
    std::copy_n(&generator_[static_cast<size_t>(i) * k], k, &b[static_cast<size_t>(r) * k]);
    ++r;
  }
  // Cannot fail for a Cauchy generator; checked because wrong output would be silent.
  if (gf_invert_matrix(b.data(), inv.data(), k) != 0)
    return Status::Internal("erasure code " + policy_.ToString() + ": singular decode matrix for " +
                            Describe(sources));
  // Row for target t: data t is row t of B^-1; parity t is its generator row times B^-1.
  std::vector<uint8_t> rows;
  for (int t = 0; t < width(); ++t) {
    if ((wanted & Bit(t)) == 0) continue;
    plan->targets[plan->target_count++] = t;
    if (t < k) {
      rows.insert(rows.end(), &inv[static_cast<size_t>(t) * k],
                  &inv[static_cast<size_t>(t + 1) * k]);
      continue;
    }
    const uint8_t* g = &generator_[static_cast<size_t>(t) * k];
    for (int j = 0; j < k; ++j) {
      uint8_t s = 0;
      for (int i = 0; i < k; ++i) s ^= gf_mul(g[i], inv[static_cast<size_t>(i) * k + j]);
      rows.push_back(s);
    }
  }
  plan->tables.resize(32 * static_cast<size_t>(k) * std::max(plan->target_count, 1));
  if (plan->target_count > 0)
    ec_init_tables(k, plan->target_count, rows.data(), plan->tables.data());
  return std::shared_ptr<const DecodePlan>(std::move(plan));
}

Status ErasureCode::Reconstruct(size_t length, std::span<const uint8_t* const> fragments,
                                std::span<uint8_t* const> rebuilt) const {
  const size_t w = static_cast<size_t>(width());
  if (fragments.size() != w || rebuilt.size() != w)
    return Status::InvalidArgument("erasure code " + policy_.ToString() + ": reconstruct needs " +
                                   std::to_string(w) + " fragment and output slots, got " +
                                   std::to_string(fragments.size()) + " and " +
                                   std::to_string(rebuilt.size()));
  if (length > kMaxFragmentLength)
    return Status::InvalidArgument("erasure code: fragment length " + std::to_string(length) +
                                   " is above " + std::to_string(kMaxFragmentLength));
  uint64_t present = 0, wanted = 0;
  for (size_t i = 0; i < w; ++i) {
    if (fragments[i] != nullptr) present |= Bit(static_cast<int>(i));
    if (rebuilt[i] == nullptr) continue;
    if (fragments[i] != nullptr)
      return Status::InvalidArgument("erasure code: fragment " + std::to_string(i) +
                                     " is present and asked to be rebuilt");
    wanted |= Bit(static_cast<int>(i));
  }
  if (wanted == 0) return Status::OK();
  CCOW_ASSIGN_OR_RETURN(auto plan, PlanFor(present, wanted));
  if (length == 0) return Status::OK();
  const uint8_t* src[ErasurePolicy::kMaxData];
  uint8_t* out[ErasurePolicy::kMaxWidth];
  for (int i = 0; i < data_count(); ++i) src[i] = fragments[plan->sources[i]];
  for (int i = 0; i < plan->target_count; ++i) out[i] = rebuilt[plan->targets[i]];
  ec_encode_data(static_cast<int>(length), data_count(), plan->target_count,
                 const_cast<uint8_t*>(plan->tables.data()), Mutable(src), out);
  return Status::OK();
}

}  // namespace ccow
