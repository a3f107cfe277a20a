#include "model/version_manifest.h"

#include "model/encoding.h"

namespace ccow {

std::string Uvid::ToString() const {
  return std::to_string(timestamp_ns) + "." + std::to_string(segment_id) + "." +
         std::to_string(sequence);
}

std::string VersionManifest::Encode() const {
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(RecordKind::kVersionManifest));
  enc.PutU8(kFormatVersion);
  enc.PutBytes(name);
  enc.PutHashId(nhid);
  enc.PutVarint(generation);
  enc.PutU64(uvid.timestamp_ns);
  enc.PutU32(uvid.segment_id);
  enc.PutU32(uvid.sequence);
  enc.PutVarint(size);
  enc.PutBytes(etag);
  enc.PutBytes(content_type);
  enc.PutVarint(user_metadata.size());
  for (const auto& [k, v] : user_metadata) {
    enc.PutBytes(k);
    enc.PutBytes(v);
  }
  enc.PutU8(static_cast<uint8_t>(policy.hash));
  enc.PutU8(static_cast<uint8_t>(policy.chunking));
  enc.PutVarint(policy.chunk_size);
  enc.PutVarint(policy.single_chunk_max);
  enc.PutVarint(policy.manifest_fanout);
  enc.PutU8(policy.replication_count);
  enc.PutVarint(flags);
  enc.PutBytes(origin);
  enc.PutVarint(root_refs.size());
  for (const auto& r : root_refs) EncodeChunkRef(r, &enc);
  return enc.Take();
}

Result<VersionManifest> VersionManifest::Decode(std::string_view bytes) {
  Decoder dec(bytes, "version manifest");
  dec.GetRecordHeader(RecordKind::kVersionManifest, kFormatVersion);
  VersionManifest vm;
  vm.name = dec.GetBytes();
  vm.nhid = dec.GetHashId();
  vm.generation = dec.GetVarint();
  vm.uvid.timestamp_ns = dec.GetU64();
  vm.uvid.segment_id = dec.GetU32();
  vm.uvid.sequence = dec.GetU32();
  vm.size = dec.GetVarint();
  vm.etag = dec.GetBytes();
  vm.content_type = dec.GetBytes();
  uint64_t nmeta = dec.GetCount(2);
  std::string prev;
  for (uint64_t i = 0; i < nmeta && dec.status().ok(); ++i) {
    std::string k = dec.GetBytes();
    std::string v = dec.GetBytes();
    if (i > 0 && dec.status().ok() && !(prev < k)) dec.Fail("metadata keys not strictly sorted");
    prev = k;
    vm.user_metadata.emplace(std::move(k), std::move(v));
  }
  uint8_t hash = dec.GetU8();
  if (dec.status().ok() && !IsKnownHashAlgo(hash)) dec.Fail("unknown policy hash");
  vm.policy.hash = static_cast<HashAlgo>(hash);
  uint8_t chunking = dec.GetU8();
  if (chunking > static_cast<uint8_t>(ChunkingMode::kCdc)) dec.Fail("unknown chunking mode");
  vm.policy.chunking = static_cast<ChunkingMode>(chunking);
  uint64_t chunk_size = dec.GetVarint(), single = dec.GetVarint(), fanout = dec.GetVarint();
  if (chunk_size > UINT32_MAX || single > UINT32_MAX || fanout > UINT32_MAX)
    dec.Fail("policy value out of range");
  vm.policy.chunk_size = static_cast<uint32_t>(chunk_size);
  vm.policy.single_chunk_max = static_cast<uint32_t>(single);
  vm.policy.manifest_fanout = static_cast<uint32_t>(fanout);
  vm.policy.replication_count = dec.GetU8();
  uint64_t flags = dec.GetVarint();
  if (flags > UINT32_MAX) dec.Fail("flags out of range");
  vm.flags = static_cast<uint32_t>(flags);
  vm.origin = dec.GetBytes();
  uint64_t nrefs = dec.GetCount(4);
  vm.root_refs.reserve(nrefs);
  for (uint64_t i = 0; i < nrefs && dec.status().ok(); ++i)
    vm.root_refs.push_back(DecodeChunkRef(&dec));
  CCOW_RETURN_IF_ERROR(dec.Finish());
  CCOW_RETURN_IF_ERROR(ValidateRefs(vm.root_refs, 0, "version manifest of " + vm.name));
  uint64_t covered = vm.root_refs.empty() ? 0 : vm.root_refs.back().offset + vm.root_refs.back().length;
  if (covered != vm.size)
    return Status::Corruption("version manifest of " + vm.name + ": references cover " +
                              std::to_string(covered) + " bytes, size says " +
                              std::to_string(vm.size));
  return vm;
}

}  // namespace ccow
