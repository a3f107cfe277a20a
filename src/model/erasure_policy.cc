#include "model/erasure_policy.h"

#include <charconv>

namespace ccow {

namespace {

std::string Bounds() {
  return "K:M:rs with " + std::to_string(ErasurePolicy::kMinData) +
         " <= K <= " + std::to_string(ErasurePolicy::kMaxData) + " data and " +
         std::to_string(ErasurePolicy::kMinParity) +
         " <= M <= " + std::to_string(ErasurePolicy::kMaxParity) + " parity fragments, e.g. 4:2:rs";
}

// A decimal number without sign or leading zero, up to the next ':' (or the end).
bool ParseField(std::string_view* text, int* out) {
  size_t end = text->find(':');
  std::string_view digits = text->substr(0, end);
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) return false;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  text->remove_prefix(end == std::string_view::npos ? text->size() : end + 1);
  return end != std::string_view::npos;
}

}  // namespace

const char* ErasureAlgorithmName(ErasureAlgorithm algo) {
  return algo == ErasureAlgorithm::kReedSolomon ? "rs" : "unknown";
}

Result<ErasurePolicy> ErasurePolicy::Make(int data, int parity) {
  if (data < kMinData || data > kMaxData || parity < kMinParity || parity > kMaxParity)
    return Status::InvalidArgument("erasure code " + std::to_string(data) + ":" +
                                   std::to_string(parity) + " is out of range: " + Bounds());
  ErasurePolicy p;
  p.data = static_cast<uint8_t>(data);
  p.parity = static_cast<uint8_t>(parity);
  return p;
}

Result<ErasurePolicy> ErasurePolicy::Parse(std::string_view text) {
  std::string_view rest = text;
  int k = 0, m = 0;
  if (!ParseField(&rest, &k) || !ParseField(&rest, &m) || rest != "rs" || !Make(k, m).ok())
    return Status::InvalidArgument("invalid erasure code '" + std::string(text) + "': " + Bounds());
  return Make(k, m);
}

std::string ErasurePolicy::ToString() const {
  return std::to_string(data) + ":" + std::to_string(parity) + ":" +
         ErasureAlgorithmName(algorithm);
}

Status ErasurePolicy::Validate() const {
  if (algorithm != ErasureAlgorithm::kReedSolomon)
    return Status::InvalidArgument("unknown erasure algorithm " +
                                   std::to_string(static_cast<int>(algorithm)));
  return Make(data, parity).status();
}

Status CheckPlacement(const ErasurePolicy& policy, size_t failure_domains,
                      std::string_view domain_kind) {
  CCOW_RETURN_IF_ERROR(policy.Validate());
  size_t need = static_cast<size_t>(policy.width());
  if (failure_domains >= need) return Status::OK();
  return Status::InvalidArgument(
      "erasure code " + policy.ToString() + " cannot be placed: a stripe needs " +
      std::to_string(need) + " distinct " + std::string(domain_kind) +
      " (K + M = " + std::to_string(policy.data) + " + " + std::to_string(policy.parity) +
      ", one per fragment) and the cluster has " + std::to_string(failure_domains) +
      "; choose a policy with K + M <= " + std::to_string(failure_domains) + " or add " +
      std::string(domain_kind));
}

}  // namespace ccow
