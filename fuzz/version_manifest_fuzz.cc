// Fuzz target for VersionManifest::Decode. Any input either fails with a Status or decodes
// to a manifest whose Encode() is exactly the input: the VM's CHID names the version, so
// one version with two encodings would be two versions (DESIGN.md invariant 2).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "model/version_manifest.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

namespace {

VersionManifest Sample(const std::string& name, HashAlgo algo, uint64_t generation) {
  VersionManifest vm;
  vm.name = name;
  vm.nhid = HashBytes(algo, name);
  vm.generation = generation;
  vm.uvid = {1700000000123456789ull + generation, 7, static_cast<uint32_t>(generation)};
  vm.policy.hash = algo;
  return vm;
}

// Covers [0, size) with references of `piece` bytes (the last one shorter).
void Cover(VersionManifest* vm, uint64_t size, uint64_t piece, ChunkKind kind) {
  vm->size = size;
  for (uint64_t off = 0; off < size; off += piece) {
    uint64_t len = std::min(piece, size - off);
    vm->root_refs.push_back(
        {off, len, kind, HashBytes(vm->policy.hash, vm->name + "@" + std::to_string(off))});
  }
}

}  // namespace

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;

  VersionManifest empty = Sample("Hawaii/Cola/bk1/empty", HashAlgo::kSha256, 1);
  empty.etag = "d41d8cd98f00b204e9800998ecf8427e";
  seeds.push_back(empty.Encode());

  VersionManifest small = Sample("Hawaii/Cola/bk1/photos/a.jpg", HashAlgo::kSha256, 3);
  small.content_type = "image/jpeg";
  small.user_metadata = {{"camera", "x100"}, {"owner", "kai"}, {"z", ""}};
  Cover(&small, 1000, 1 << 20, ChunkKind::kPayload);
  seeds.push_back(small.Encode());

  // Content-defined chunking, BLAKE2b, a manifest level below the root, large varints.
  VersionManifest big = Sample("Hawaii/Cola/bk1/backups/disk.img", HashAlgo::kBlake2b256, 200);
  big.policy.chunking = ChunkingMode::kCdc;
  big.policy.chunk_size = 64 << 10;
  big.policy.manifest_fanout = 65536;
  big.policy.replication_count = 3;
  Cover(&big, (3ull << 40) + 12345, 1ull << 40, ChunkKind::kChunkManifest);
  seeds.push_back(big.Encode());

  VersionManifest clone = Sample("Hawaii/Cola/bk2/copy", HashAlgo::kSha3_512, 1);
  clone.flags = VersionManifest::kFlagClone;
  clone.origin = "Hawaii/Cola/bk1/photos/a.jpg";
  clone.user_metadata = {{std::string("\x00", 1), std::string(150, 'm')}};
  Cover(&clone, 300 << 10, 128 << 10, ChunkKind::kPayload);
  seeds.push_back(clone.Encode());

  VersionManifest kv = Sample("Hawaii/Cola/idx/names", HashAlgo::kXxh3_128, 9);
  kv.policy.hash = HashAlgo::kSha3_256;
  Cover(&kv, 4096, 1024, ChunkKind::kKeyValue);
  seeds.push_back(kv.Encode());

  // Version 2: a small object inline in its manifest.
  VersionManifest tiny = Sample("Hawaii/Cola/bk1/notes/todo.txt", HashAlgo::kSha256, 2);
  tiny.inline_payload = "buy milk\n";
  tiny.size = tiny.inline_payload.size();
  seeds.push_back(tiny.Encode());
  // Version 2 with both extensions: inline and an S3 object checksum (CRC32 of the bytes).
  tiny.checksum = {ObjectChecksum::Algo::kCrc32, false, 0, std::string("\x0e\xed\xd0\xf5", 4)};
  seeds.push_back(tiny.Encode());
  // Only a composite checksum (a multipart upload's), over chunk references.
  small.checksum = {ObjectChecksum::Algo::kSha256, true, 2, std::string(32, '\x5a')};
  seeds.push_back(small.Encode());
  // Encrypted: SSE-S3 over chunk references, and a sealed inline payload under SSE-C.
  small.encryption = {ObjectEncryption::KeySource::kMasterKey, true, 3, std::string(12 + 64 + 16, 'w')};
  seeds.push_back(small.Encode());
  tiny.encryption = {ObjectEncryption::KeySource::kCustomerKey, false, 0, std::string(12 + 32 + 16, 'w')};
  tiny.inline_payload += std::string(29, 's');
  seeds.push_back(tiny.Encode());
  // Signed by its site (model/version_signature.h): the signature extension, alone and last.
  empty.signature = std::string(VersionManifest::kSignatureBytes, '\x5e');
  seeds.push_back(empty.Encode());
  tiny.signature = std::string(VersionManifest::kSignatureBytes, '\x5e');
  seeds.push_back(tiny.Encode());
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<ccow::VersionManifest>("version manifest", data, size);
}
