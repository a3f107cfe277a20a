#include "model/snapview_record.h"

#include <memory>

#include "model/encoding.h"

namespace ccow {

Status ValidateSnapViewName(std::string_view name) {
  if (name.empty() || name.size() > 200)
    return Status::InvalidArgument("snapview name '" + std::string(name) + "' must be 1..200 characters");
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return Status::InvalidArgument("snapview name '" + std::string(name) +
                                     "' may only contain letters, digits, '.', '_' and '-'");
  return Status::OK();
}

std::string EncodeSnapViewRecord(const SnapViewRecord& record) {
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(RecordKind::kSnapViewRecord));
  enc.PutU8(SnapViewRecord::kFormatVersion);
  enc.PutBytes(record.name);
  enc.PutU64(record.at_ns);
  enc.PutU64(record.created_ns);
  enc.PutVarint(record.members);
  enc.PutHashId(record.members_digest);
  return enc.Take();
}

Result<SnapViewRecord> DecodeSnapViewRecord(std::string_view bytes) {
  Decoder dec(bytes, "snapview record");
  dec.GetRecordHeader(RecordKind::kSnapViewRecord, SnapViewRecord::kFormatVersion);
  SnapViewRecord r;
  r.name = dec.GetBytes();
  r.at_ns = dec.GetU64();
  r.created_ns = dec.GetU64();
  r.members = dec.GetVarint();
  r.members_digest = dec.GetHashId();
  CCOW_RETURN_IF_ERROR(dec.Finish());
  if (Status s = ValidateSnapViewName(r.name); !s.ok()) return Status::Corruption("snapview record: " + s.message());
  if (r.members_digest.algo() != HashAlgo::kSha256)
    return Status::Corruption("snapview record " + r.name + ": the members' digest is not SHA-256");
  return r;
}

SnapViewDigest::SnapViewDigest() : hasher_(Hasher::Create(HashAlgo::kSha256)) {}

void SnapViewDigest::Add(std::string_view key, const HashId& vm_chid) {
  Encoder enc;
  enc.PutBytes(key);
  enc.PutHashId(vm_chid);
  const std::string bytes = enc.Take();
  hasher_->Update(bytes.data(), bytes.size());
  ++count_;
}

HashId SnapViewDigest::Final() { return hasher_->Final(); }

}  // namespace ccow
