// Fuzz target for VersionList::Decode. Any input either fails with a Status or decodes to
// a list whose Encode() is exactly the input. Version lists are rewritten on every put and
// delete, so a decoder that accepted out-of-order entries would let them drift.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "model/version_list.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

namespace {

VersionEntry Entry(const VersionList& vl, HashAlgo algo, uint64_t size) {
  uint64_t gen = vl.NextGeneration();
  VersionEntry e;
  e.generation = gen;
  e.uvid = {1700000000000000000ull + gen * 1000, 3, static_cast<uint32_t>(gen)};
  e.vm_chid = HashBytes(algo, vl.name() + "#" + std::to_string(gen));
  e.size = size;
  e.etag = ToHex(e.vm_chid.digest(), 16);
  return e;
}

}  // namespace

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  const std::string name = "Hawaii/Cola/bk1/report.pdf";
  VersionList vl(name, HashBytes(HashAlgo::kSha256, name));
  seeds.push_back(vl.Encode());  // a list that has lost everything but still exists

  Must(vl.AddVersion(Entry(vl, HashAlgo::kSha256, 1000)));
  seeds.push_back(vl.Encode());

  // Several versions, a deletion of one, a deletion of the rest, two snapshots (one of
  // which names a quarantined version): every section of the encoding is non-empty.
  for (uint64_t size : {0ull, 1ull << 20, 5ull << 30})
    Must(vl.AddVersion(Entry(vl, HashAlgo::kSha256, size)));
  Must(vl.CreateSnapshot("daily", {}, 1700000000500000000ull));
  Must(vl.Delete(2, 1700000001000000000ull));
  Must(vl.CreateSnapshot("before-purge", {}, 1700000002000000000ull));
  seeds.push_back(vl.Encode());
  // The tombstones of deleted snapshots (the optional last section).
  {
    VersionList t = vl;
    Must(t.CreateSnapshot("snapview:monday", {}, 1700000002500000000ull));
    Must(t.DeleteSnapshot("snapview:monday", 1700000002600000000ull));
    Must(t.DeleteSnapshot("daily", 1700000002700000000ull));
    seeds.push_back(t.Encode());
  }
  Must(vl.Delete(std::nullopt, 1700000003000000000ull));
  seeds.push_back(vl.Encode());

  const std::string other = "Hawaii/Cola/bk1/x";
  VersionList wide(other, HashBytes(HashAlgo::kSha3_512, other));
  for (HashAlgo algo : {HashAlgo::kSha3_256, HashAlgo::kBlake2b256, HashAlgo::kXxh3_128})
    Must(wide.AddVersion(Entry(wide, algo, 42)));
  seeds.push_back(wide.Encode());

  // Erasure-coded entries (flag 2 and the stripe set's CHID) in every section, next to
  // entries that are not: active, quarantined and a snapshot of the same version.
  Must(vl.Undelete(std::nullopt));
  Must(vl.Delete(1, 1700000004000000000ull));
  Must(vl.SetErasureCoding(vl.versions().front().vm_chid, HashBytes(HashAlgo::kSha256, "set-a")));
  Must(vl.SetErasureCoding(vl.quarantine().front().version.vm_chid,
                           HashBytes(HashAlgo::kXxh3_128, "set-b")));
  Must(vl.SetErasureCoding(vl.snapshots().front().version.vm_chid,
                           HashBytes(HashAlgo::kSha3_512, "set-c")));
  seeds.push_back(vl.Encode());
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<ccow::VersionList>("version list", data, size);
}
