#include "model/stripe_manifest.h"

#include <algorithm>

#include "model/encoding.h"

namespace ccow {

int StripeManifest::DataIndex(const Chid& chid) const {
  for (size_t i = 0; i < data.size(); ++i)
    if (data[i].chid == chid) return static_cast<int>(i);
  return -1;
}

uint64_t StripeManifest::DataBytes() const {
  uint64_t sum = 0;
  for (const auto& d : data) sum += d.length;
  return sum;
}

bool StripeManifest::IsStored(int index) const {
  if (index < 0) return false;
  if (index < policy.data) return static_cast<size_t>(index) < data.size();
  return index < policy.width();
}

const Chid& StripeManifest::FragmentChid(int index) const {
  CCOW_CHECK(IsStored(index));
  return index < policy.data ? data[index].chid : parity[index - policy.data];
}

uint64_t StripeManifest::StoredLength(int index) const {
  CCOW_CHECK(IsStored(index));
  return index < policy.data ? data[index].length : fragment_length;
}

Status StripeManifest::Validate() const {
  Status policy_ok = policy.Validate();
  if (!policy_ok.ok()) return Status::Corruption("stripe manifest: " + policy_ok.message());
  if (data.empty() || data.size() > policy.data)
    return Status::Corruption("stripe manifest: " + std::to_string(data.size()) +
                              " data members where 1.." + std::to_string(policy.data) +
                              " were expected");
  if (parity.size() != policy.parity)
    return Status::Corruption("stripe manifest: " + std::to_string(parity.size()) +
                              " parity members where " + std::to_string(policy.parity) +
                              " were expected");
  uint64_t longest = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i].length == 0 || data[i].length > fragment_length)
      return Status::Corruption("stripe manifest: data member " + std::to_string(i) + " length " +
                                std::to_string(data[i].length) + " is outside 1.." +
                                std::to_string(fragment_length));
    if (data[i].chid.empty())
      return Status::Corruption("stripe manifest: data member " + std::to_string(i) +
                                " has no CHID");
    longest = std::max(longest, data[i].length);
  }
  // Redundant with the lengths, and so required to agree: one manifest, one encoding.
  if (fragment_length != longest)
    return Status::Corruption("stripe manifest: fragment length " +
                              std::to_string(fragment_length) +
                              " is not the longest data member (" + std::to_string(longest) + ")");
  for (size_t i = 0; i < parity.size(); ++i)
    if (parity[i].empty())
      return Status::Corruption("stripe manifest: parity member " + std::to_string(i) +
                                " has no CHID");
  return Status::OK();
}

std::string StripeManifest::Encode() const {
  CCOW_CHECK_MSG(Validate().ok(), Validate().ToString().c_str());
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(RecordKind::kStripeManifest));
  enc.PutU8(kFormatVersion);
  enc.PutU8(static_cast<uint8_t>(policy.algorithm));
  enc.PutU8(policy.data);
  enc.PutU8(policy.parity);
  enc.PutVarint(fragment_length);
  enc.PutVarint(data.size());
  for (const auto& d : data) {
    enc.PutVarint(d.length);
    enc.PutHashId(d.chid);
  }
  for (const auto& p : parity) enc.PutHashId(p);
  return enc.Take();
}

Result<StripeManifest> StripeManifest::Decode(std::string_view bytes) {
  Decoder dec(bytes, "stripe manifest");
  dec.GetRecordHeader(RecordKind::kStripeManifest, kFormatVersion);
  StripeManifest sm;
  sm.policy.algorithm = static_cast<ErasureAlgorithm>(dec.GetU8());
  sm.policy.data = dec.GetU8();
  sm.policy.parity = dec.GetU8();
  sm.fragment_length = dec.GetVarint();
  // Bound: a member is at least a 1-byte length, a tag and a 16-byte digest.
  uint64_t n = dec.GetCount(18);
  if (dec.status().ok() && n > ErasurePolicy::kMaxData) dec.Fail("too many data members");
  for (uint64_t i = 0; i < n && dec.status().ok(); ++i) {
    StripeMember m;
    m.length = dec.GetVarint();
    m.chid = dec.GetHashId();
    sm.data.push_back(m);
  }
  for (int i = 0; i < sm.policy.parity && dec.status().ok(); ++i)
    sm.parity.push_back(dec.GetHashId());
  CCOW_RETURN_IF_ERROR(dec.Finish());
  CCOW_RETURN_IF_ERROR(sm.Validate());
  return sm;
}

}  // namespace ccow
