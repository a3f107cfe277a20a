#include "model/version_manifest.h"

#include "model/encoding.h"
#include "model/object_cipher.h"

namespace ccow {

std::string Uvid::ToString() const {
  return std::to_string(timestamp_ns) + "." + std::to_string(segment_id) + "." +
         std::to_string(sequence);
}

namespace {

// Extension fields of a version 2 manifest: (varint tag, bytes value) in strictly
// increasing tag order, each present only when it is not empty, so that one manifest has
// exactly one encoding. A tag this release does not know is refused: the manifest may
// need it to be read correctly.
enum ExtensionTag : uint64_t {
  kTagInlinePayload = 1,
  kTagChecksum = 2,  // u8 algorithm, u8 composite (0/1), varint parts, bytes digest
  kTagEncryption = 3,  // u8 key source, u8 convergent (0/1), varint master key id, bytes wrapped key
  kTagSignature = 4,   // the originating site's ed25519 signature (model/version_signature.h)
};

std::string EncodeEncryption(const ObjectEncryption& e) {
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(e.source));
  enc.PutU8(e.convergent ? 1 : 0);
  enc.PutVarint(e.master_key_id);
  enc.PutBytes(e.wrapped_key);
  return enc.Take();
}

void DecodeEncryption(const std::string& value, ObjectEncryption* e, Decoder* outer) {
  Decoder dec(value, "object encryption");
  const uint8_t source = dec.GetU8();
  const uint8_t convergent = dec.GetU8();
  const uint64_t key_id = dec.GetVarint();
  std::string wrapped = dec.GetBytes();
  if (!dec.Finish().ok()) return outer->Fail("malformed object encryption");
  using Source = ObjectEncryption::KeySource;
  if (source != static_cast<uint8_t>(Source::kMasterKey) && source != static_cast<uint8_t>(Source::kCustomerKey))
    return outer->Fail("unknown object encryption key source " + std::to_string(source));
  if (convergent > 1) return outer->Fail("object encryption convergent flag not 0 or 1");
  const bool master = source == static_cast<uint8_t>(Source::kMasterKey);
  if (convergent == 1 && !master) return outer->Fail("convergent encryption under a customer key");
  if (key_id > UINT32_MAX || (!master && key_id != 0)) return outer->Fail("object encryption master key id out of range");
  const size_t key_size = convergent ? ChunkCipher::kConvergentKeySize : ChunkCipher::kRandomKeySize;
  if (wrapped.size() != 12 + key_size + 16) return outer->Fail("wrapped data key of the wrong length");
  e->source = static_cast<Source>(source);
  e->convergent = convergent == 1;
  e->master_key_id = static_cast<uint32_t>(key_id);
  e->wrapped_key = std::move(wrapped);
}

std::string EncodeChecksum(const ObjectChecksum& c) {
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(c.algo));
  enc.PutU8(c.composite ? 1 : 0);
  enc.PutVarint(c.parts);
  enc.PutBytes(c.digest);
  return enc.Take();
}

void DecodeChecksum(const std::string& value, ObjectChecksum* c, Decoder* outer) {
  Decoder dec(value, "object checksum");
  const uint8_t algo = dec.GetU8();
  const uint8_t composite = dec.GetU8();
  const uint64_t parts = dec.GetVarint();
  std::string digest = dec.GetBytes();
  if (!dec.Finish().ok()) return outer->Fail("malformed object checksum");
  const size_t want = ObjectChecksum::DigestSize(static_cast<ObjectChecksum::Algo>(algo));
  if (want == 0) return outer->Fail("unknown object checksum algorithm " + std::to_string(algo));
  if (digest.size() != want) return outer->Fail("object checksum digest of the wrong length");
  if (composite > 1) return outer->Fail("object checksum composite flag not 0 or 1");
  if ((composite == 1) != (parts > 0) || parts > UINT32_MAX)
    return outer->Fail("object checksum parts inconsistent with its type");
  c->algo = static_cast<ObjectChecksum::Algo>(algo);
  c->composite = composite == 1;
  c->parts = static_cast<uint32_t>(parts);
  c->digest = std::move(digest);
}

}  // namespace

size_t ObjectEncryption::overhead() const { return empty() ? 0 : ChunkCipher::kOverhead; }

size_t ObjectChecksum::DigestSize(Algo algo) {
  switch (algo) {
    case Algo::kCrc32:
    case Algo::kCrc32c: return 4;
    case Algo::kCrc64Nvme: return 8;
    case Algo::kSha1: return 20;
    case Algo::kSha256: return 32;
    case Algo::kNone: return 0;
  }
  return 0;
}

std::string VersionManifest::Encode() const {
  Encoder enc;
  const bool extended = is_inline() || !checksum.empty() || !encryption.empty() || !signature.empty();
  enc.PutU8(static_cast<uint8_t>(RecordKind::kVersionManifest));
  enc.PutU8(extended ? kFormatVersionExtended : kFormatVersion);
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
  if (extended) {
    enc.PutVarint((is_inline() ? 1 : 0) + (checksum.empty() ? 0 : 1) + (encryption.empty() ? 0 : 1) +
                  (signature.empty() ? 0 : 1));
    if (is_inline()) {
      enc.PutVarint(kTagInlinePayload);
      enc.PutBytes(inline_payload);
    }
    if (!checksum.empty()) {
      enc.PutVarint(kTagChecksum);
      enc.PutBytes(EncodeChecksum(checksum));
    }
    if (!encryption.empty()) {
      enc.PutVarint(kTagEncryption);
      enc.PutBytes(EncodeEncryption(encryption));
    }
    if (!signature.empty()) {
      enc.PutVarint(kTagSignature);
      enc.PutBytes(signature);
    }
  }
  return enc.Take();
}

Result<VersionManifest> VersionManifest::Decode(std::string_view bytes) {
  Decoder dec(bytes, "version manifest");
  // The version byte decides whether extensions follow the root refs.
  const bool extended = bytes.size() >= 2 && static_cast<uint8_t>(bytes[1]) == kFormatVersionExtended;
  dec.GetRecordHeader(RecordKind::kVersionManifest, extended ? kFormatVersionExtended : kFormatVersion);
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
  if (extended) {
    uint64_t n = dec.GetCount(2);
    if (dec.status().ok() && n == 0) dec.Fail("version 2 without extensions (version 1 is their encoding)");
    uint64_t last_tag = 0;
    for (uint64_t i = 0; i < n && dec.status().ok(); ++i) {
      uint64_t tag = dec.GetVarint();
      std::string value = dec.GetBytes();
      if (!dec.status().ok()) break;
      if (tag <= last_tag) dec.Fail("extension tags not strictly increasing");
      last_tag = tag;
      if (tag == kTagChecksum) {
        DecodeChecksum(value, &vm.checksum, &dec);
      } else if (tag == kTagEncryption) {
        DecodeEncryption(value, &vm.encryption, &dec);
      } else if (tag == kTagSignature) {
        if (value.size() != kSignatureBytes) dec.Fail("a signature of " + std::to_string(value.size()) + " bytes");
        vm.signature = std::move(value);
      } else if (tag != kTagInlinePayload) {
        dec.Fail("unknown extension " + std::to_string(tag) + " (written by a newer release?)");
      } else if (value.empty()) {
        dec.Fail("empty inline payload (it is left out instead)");
      } else if (value.size() > kInlinePayloadMax + ChunkCipher::kOverhead) {
        dec.Fail("inline payload larger than " + std::to_string(kInlinePayloadMax) + " bytes");
      } else {
        vm.inline_payload = std::move(value);
      }
    }
  }
  CCOW_RETURN_IF_ERROR(dec.Finish());
  if (vm.is_inline()) {
    if (!vm.root_refs.empty())
      return Status::Corruption("version manifest of " + vm.name + ": both an inline payload and chunk references");
    // (The inline payload's tag comes before the encryption's: the rules that join them
    // are checked once both are read.)
    if (vm.size > kInlinePayloadMax)
      return Status::Corruption("version manifest of " + vm.name + ": an inline object larger than " +
                                std::to_string(kInlinePayloadMax) + " bytes");
    if (vm.inline_payload.size() != vm.size + vm.encryption.overhead())
      return Status::Corruption("version manifest of " + vm.name + ": inline payload is " +
                                std::to_string(vm.inline_payload.size()) + " bytes, size says " +
                                std::to_string(vm.size) + (vm.encryption.empty() ? "" : " (sealed)"));
    return vm;
  }
  CCOW_RETURN_IF_ERROR(ValidateRefs(vm.root_refs, 0, "version manifest of " + vm.name));
  uint64_t covered = vm.root_refs.empty() ? 0 : vm.root_refs.back().offset + vm.root_refs.back().length;
  if (covered != vm.size)
    return Status::Corruption("version manifest of " + vm.name + ": references cover " +
                              std::to_string(covered) + " bytes, size says " +
                              std::to_string(vm.size));
  return vm;
}

}  // namespace ccow
