#include "ec/stripe.h"

#include <algorithm>

namespace ccow {

namespace {

std::string FragmentName(const StripeManifest& s, int i) {
  return i < s.policy.data ? "data " + std::to_string(i)
                           : "parity " + std::to_string(i - s.policy.data);
}

// Where each slot of a rebuild stands.
enum class Slot { kLost, kAbsent, kUsable, kCorrupt };

std::string ListSlots(const StripeManifest& s, const std::vector<Slot>& slots, Slot which,
                      int skip) {
  std::string out;
  for (int i = 0; i < static_cast<int>(slots.size()); ++i) {
    if (slots[i] != which || i == skip) continue;
    if (!out.empty()) out += ", ";
    out += FragmentName(s, i);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

Result<EncodedStripe> EncodeStripe(const ErasureCode& code, std::span<const StripeInput> data,
                                   HashAlgo parity_hash) {
  const size_t k = static_cast<size_t>(code.data_count());
  const size_t m = static_cast<size_t>(code.parity_count());
  if (data.empty() || data.size() > k)
    return Status::InvalidArgument("stripe " + code.policy().ToString() + ": " +
                                   std::to_string(data.size()) + " data chunks where 1.." +
                                   std::to_string(k) + " were expected");
  if (DigestSize(parity_hash) == 0) return Status::InvalidArgument("stripe: unknown parity hash");
  EncodedStripe out;
  StripeManifest& sm = out.manifest;
  sm.policy = code.policy();
  for (size_t i = 0; i < data.size(); ++i) {
    const StripeInput& in = data[i];
    if (in.bytes.empty() || in.bytes.size() > ErasureCode::kMaxFragmentLength || in.chid.empty())
      return Status::InvalidArgument(
          "stripe: data chunk " + std::to_string(i) + " (" + in.chid.ToString() +
          ") is empty, has no CHID or is too long (" + std::to_string(in.bytes.size()) + " bytes)");
    if (HashBytes(in.chid.algo(), in.bytes) != in.chid)
      return Status::Corruption("stripe: data chunk " + std::to_string(i) +
                                " does not match its CHID " + in.chid.ToString() +
                                "; refusing to encode a stripe over wrong bytes");
    sm.data.push_back({in.bytes.size(), in.chid});
    sm.fragment_length = std::max<uint64_t>(sm.fragment_length, in.bytes.size());
  }
  const size_t len = sm.fragment_length;
  // Short members are copied zero-padded; full-length ones are read in place; absent
  // members of a short stripe all read one zero buffer. Reserved up front: a reallocation
  // would move short strings' inline buffers from under the pointers.
  std::vector<std::string> padded;
  padded.reserve(data.size() + 1);
  const uint8_t* zeros = nullptr;
  if (data.size() < k)
    zeros = reinterpret_cast<const uint8_t*>(padded.emplace_back(len, '\0').data());
  const uint8_t* src[ErasurePolicy::kMaxData];
  for (size_t i = 0; i < k; ++i) {
    if (i >= data.size()) {
      src[i] = zeros;
      continue;
    }
    std::string_view bytes = data[i].bytes;
    if (bytes.size() < len) {
      padded.emplace_back(bytes).resize(len, '\0');
      bytes = padded.back();
    }
    src[i] = reinterpret_cast<const uint8_t*>(bytes.data());
  }
  out.parity.assign(m, std::string(len, '\0'));
  uint8_t* dst[ErasurePolicy::kMaxParity];
  for (size_t j = 0; j < m; ++j) dst[j] = reinterpret_cast<uint8_t*>(out.parity[j].data());
  CCOW_RETURN_IF_ERROR(code.Encode(len, {src, k}, {dst, m}));
  for (const auto& p : out.parity) sm.parity.push_back(HashBytes(parity_hash, p));
  CCOW_CHECK(sm.Validate().ok());
  return out;
}

Result<std::string> RebuildFragment(const ErasureCode& code, const StripeManifest& stripe,
                                    int index, FragmentViews fragments) {
  if (code.policy() != stripe.policy)
    return Status::InvalidArgument("stripe " + stripe.policy.ToString() + " given a codec for " +
                                   code.policy().ToString());
  CCOW_RETURN_IF_ERROR(stripe.Validate());
  const int k = code.data_count(), w = code.width();
  if (fragments.size() != static_cast<size_t>(w))
    return Status::InvalidArgument("stripe " + stripe.policy.ToString() + ": " +
                                   std::to_string(fragments.size()) + " fragment slots where " +
                                   std::to_string(w) + " were expected");
  if (!stripe.IsStored(index))
    return Status::InvalidArgument("stripe " + stripe.policy.ToString() + ": fragment " +
                                   std::to_string(index) +
                                   " is not stored (absent or out of range)");
  const Chid& want = stripe.FragmentChid(index);
  const size_t len = stripe.fragment_length;
  auto what = [&] {
    return FragmentName(stripe, index) + " (" + want.ToString() + ") of a " +
           stripe.policy.ToString() + " stripe";
  };

  std::vector<Slot> slots(w, Slot::kLost);
  for (int i = 0; i < w; ++i) {
    if (!stripe.IsStored(i))
      slots[i] = Slot::kAbsent;
    else if (i == index || !fragments[i])
      slots[i] = Slot::kLost;
    // A fragment of the wrong length is wrong bytes: never a source.
    else
      slots[i] = fragments[i]->size() == stripe.StoredLength(i) ? Slot::kUsable : Slot::kCorrupt;
  }
  std::string zeros;
  std::vector<std::string> padded(w);
  // Each failed attempt marks at least one more source corrupt, so this ends.
  for (;;) {
    const uint8_t* in[ErasurePolicy::kMaxWidth] = {};
    uint8_t* out[ErasurePolicy::kMaxWidth] = {};
    std::vector<int> sources;
    for (int i = 0; i < w && static_cast<int>(sources.size()) < k; ++i) {
      if (slots[i] == Slot::kAbsent) {
        if (zeros.size() != len) zeros.assign(len, '\0');
        in[i] = reinterpret_cast<const uint8_t*>(zeros.data());
      } else if (slots[i] == Slot::kUsable) {
        std::string_view v = *fragments[i];
        if (v.size() < len) {  // a short data chunk: pad a copy
          if (padded[i].empty()) padded[i].assign(v).resize(len, '\0');
          v = padded[i];
        }
        in[i] = reinterpret_cast<const uint8_t*>(v.data());
      } else {
        continue;
      }
      sources.push_back(i);
    }
    if (static_cast<int>(sources.size()) < k) {
      // Corrupt fragments will not come back by waiting; lost ones may (a target restarts).
      bool corrupt = std::find(slots.begin(), slots.end(), Slot::kCorrupt) != slots.end();
      return Status(corrupt ? Code::kCorruption : Code::kUnavailable,
                    "cannot rebuild " + what() + ": " + std::to_string(sources.size()) +
                        " usable fragments where " + std::to_string(k) +
                        " are needed (lost: " + ListSlots(stripe, slots, Slot::kLost, index) +
                        "; corrupt: " + ListSlots(stripe, slots, Slot::kCorrupt, index) + ")");
    }
    std::string result(len, '\0');
    out[index] = reinterpret_cast<uint8_t*>(result.data());
    CCOW_RETURN_IF_ERROR(
        code.Reconstruct(len, {in, static_cast<size_t>(w)}, {out, static_cast<size_t>(w)}));
    result.resize(stripe.StoredLength(index));
    if (HashBytes(want.algo(), result) == want) return result;
    // Some source is wrong. Find it by its own CHID, drop it, try the others.
    bool found = false;
    for (int i : sources) {
      if (slots[i] != Slot::kUsable) continue;
      const Chid& chid = stripe.FragmentChid(i);
      if (HashBytes(chid.algo(), *fragments[i]) != chid) slots[i] = Slot::kCorrupt, found = true;
    }
    if (!found)
      return Status::Corruption(
          "rebuilt " + what() +
          " does not match its CHID although every source "
          "fragment does: the stripe manifest does not describe these chunks");
  }
}

}  // namespace ccow
