#include "model/chunk_manifest.h"

#include "model/encoding.h"

namespace ccow {

void EncodeChunkRef(const ChunkRef& ref, Encoder* enc) {
  enc->PutVarint(ref.offset);
  enc->PutVarint(ref.length);
  enc->PutU8(static_cast<uint8_t>(ref.kind));
  enc->PutHashId(ref.chid);
}

ChunkRef DecodeChunkRef(Decoder* dec) {
  ChunkRef ref;
  ref.offset = dec->GetVarint();
  ref.length = dec->GetVarint();
  uint8_t kind = dec->GetU8();
  if (kind > static_cast<uint8_t>(ChunkKind::kChunkManifest))
    dec->Fail("unknown chunk kind " + std::to_string(kind));
  ref.kind = static_cast<ChunkKind>(kind);
  ref.chid = dec->GetHashId();
  return ref;
}

Status ValidateRefs(const std::vector<ChunkRef>& refs, uint64_t base, const std::string& what) {
  uint64_t next = base;
  for (const auto& r : refs) {
    if (r.length == 0) return Status::Corruption(what + ": empty chunk reference");
    if (r.offset != next)
      return Status::Corruption(what + ": reference at offset " + std::to_string(r.offset) +
                                " where " + std::to_string(next) + " was expected");
    if (r.offset + r.length < r.offset) return Status::Corruption(what + ": offset overflow");
    next = r.offset + r.length;
  }
  return Status::OK();
}

std::string ChunkManifest::Encode() const {
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(RecordKind::kChunkManifest));
  enc.PutU8(kFormatVersion);
  enc.PutVarint(refs.size());
  for (const auto& r : refs) EncodeChunkRef(r, &enc);
  return enc.Take();
}

Result<ChunkManifest> ChunkManifest::Decode(std::string_view bytes) {
  Decoder dec(bytes, "chunk manifest");
  dec.GetRecordHeader(RecordKind::kChunkManifest, kFormatVersion);
  ChunkManifest cm;
  uint64_t n = dec.GetCount(4);
  cm.refs.reserve(n);
  for (uint64_t i = 0; i < n && dec.status().ok(); ++i) cm.refs.push_back(DecodeChunkRef(&dec));
  CCOW_RETURN_IF_ERROR(dec.Finish());
  if (cm.refs.empty()) return Status::Corruption("chunk manifest: no references");
  CCOW_RETURN_IF_ERROR(ValidateRefs(cm.refs, cm.refs.front().offset, "chunk manifest"));
  return cm;
}

}  // namespace ccow
