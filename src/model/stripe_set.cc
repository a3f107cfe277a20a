#include "model/stripe_set.h"

#include "core/check.h"
#include "model/encoding.h"

namespace ccow {
namespace {

// Smallest encoded stripe: fragment length (1), member count (1), one member (1-byte
// length, tag, 16-byte digest) and at least one parity CHID (tag, 16-byte digest). Bounds
// the stripe count against the bytes left, as every array count is.
constexpr size_t kMinStripeBytes = 1 + 1 + 18 + 17;
// Smallest data member: a 1-byte length and the shortest HashId.
constexpr size_t kMinMemberBytes = 18;

}  // namespace

const ErasurePolicy& StripeSet::policy() const {
  CCOW_CHECK(!stripes.empty());
  return stripes.front().policy;
}

const StripeManifest* StripeSet::FindData(const Chid& chid, int* index) const {
  for (const auto& s : stripes) {
    int i = s.DataIndex(chid);
    if (i >= 0) {
      if (index) *index = i;
      return &s;
    }
  }
  return nullptr;
}

Status StripeSet::Validate() const {
  if (vm_chid.empty()) return Status::Corruption("stripe set: no version manifest CHID");
  if (stripes.empty() || stripes.size() > kMaxStripes)
    return Status::Corruption("stripe set of " + vm_chid.ToString() + ": " +
                              std::to_string(stripes.size()) + " stripes where 1.." +
                              std::to_string(kMaxStripes) + " were expected");
  for (size_t i = 0; i < stripes.size(); ++i) {
    Status st = stripes[i].Validate();
    if (!st.ok())
      return st.WithContext("stripe set of " + vm_chid.ToString() + ", stripe " +
                            std::to_string(i));
    // The encoding records the policy once; a set mixing two could not be written.
    if (stripes[i].policy != stripes.front().policy)
      return Status::Corruption("stripe set of " + vm_chid.ToString() + ": stripe " +
                                std::to_string(i) + " is " + stripes[i].policy.ToString() +
                                " but stripe 0 is " + stripes.front().policy.ToString());
  }
  return Status::OK();
}

std::string StripeSet::Encode() const {
  Status valid = Validate();
  CCOW_CHECK_MSG(valid.ok(), valid.ToString().c_str());
  const ErasurePolicy& p = policy();
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(RecordKind::kStripeSet));
  enc.PutU8(kFormatVersion);
  enc.PutHashId(vm_chid);
  enc.PutU8(static_cast<uint8_t>(p.algorithm));
  enc.PutU8(p.data);
  enc.PutU8(p.parity);
  enc.PutVarint(stripes.size());
  for (const auto& s : stripes) {
    enc.PutVarint(s.fragment_length);
    enc.PutVarint(s.data.size());
    for (const auto& d : s.data) {
      enc.PutVarint(d.length);
      enc.PutHashId(d.chid);
    }
    for (const auto& c : s.parity) enc.PutHashId(c);
  }
  return enc.Take();
}

Result<StripeSet> StripeSet::Decode(std::string_view bytes) {
  Decoder dec(bytes, "stripe set");
  dec.GetRecordHeader(RecordKind::kStripeSet, kFormatVersion);
  StripeSet set;
  set.vm_chid = dec.GetHashId();
  ErasurePolicy policy;
  policy.algorithm = static_cast<ErasureAlgorithm>(dec.GetU8());
  policy.data = dec.GetU8();
  policy.parity = dec.GetU8();
  if (dec.status().ok()) {
    // Checked before the stripes: M below says how many parity CHIDs each one has.
    Status st = policy.Validate();
    if (!st.ok()) dec.Fail(st.message());
  }
  uint64_t n = dec.GetCount(kMinStripeBytes);
  if (dec.status().ok() && (n == 0 || n > kMaxStripes))
    dec.Fail(std::to_string(n) + " stripes where 1.." + std::to_string(kMaxStripes) +
             " were expected");
  for (uint64_t i = 0; i < n && dec.status().ok(); ++i) {
    StripeManifest sm;
    sm.policy = policy;
    sm.fragment_length = dec.GetVarint();
    uint64_t members = dec.GetCount(kMinMemberBytes);
    if (dec.status().ok() && (members == 0 || members > policy.data))
      dec.Fail("stripe " + std::to_string(i) + " has " + std::to_string(members) +
               " data members where 1.." + std::to_string(policy.data) + " were expected");
    for (uint64_t j = 0; j < members && dec.status().ok(); ++j) {
      StripeMember m;
      m.length = dec.GetVarint();
      m.chid = dec.GetHashId();
      sm.data.push_back(m);
    }
    for (int j = 0; j < policy.parity && dec.status().ok(); ++j)
      sm.parity.push_back(dec.GetHashId());
    set.stripes.push_back(std::move(sm));
  }
  CCOW_RETURN_IF_ERROR(dec.Finish());
  CCOW_RETURN_IF_ERROR(set.Validate());
  return set;
}

}  // namespace ccow
