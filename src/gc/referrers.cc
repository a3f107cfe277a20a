#include "gc/referrers.h"

#include "model/chunk_manifest.h"
#include "model/version_manifest.h"

namespace ccow {
namespace {

constexpr size_t kPage = 256;
constexpr int kMaxDepth = 17;

// Whether the tree below manifest `root` (a version manifest when !chunk_manifest)
// references chid.
bool References(Backend& backend, const Chid& root, bool chunk_manifest, const Chid& chid, int depth) {
  if (root == chid) return true;
  if (depth > kMaxDepth) return false;
  std::string bytes;
  if (!backend.GetChunk(root, &bytes).ok()) return false;
  std::vector<ChunkRef> refs;
  if (chunk_manifest) {
    auto cm = ChunkManifest::Decode(bytes);
    if (!cm.ok()) return false;
    refs = std::move(cm->refs);
  } else {
    auto vm = VersionManifest::Decode(bytes);
    if (!vm.ok()) return false;
    refs = std::move(vm->root_refs);
  }
  for (const ChunkRef& ref : refs) {
    if (ref.chid == chid) return true;
    if (ref.kind == ChunkKind::kChunkManifest && References(backend, ref.chid, true, chid, depth + 1)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> FindReferrers(Backend& backend, const Chid& chid, size_t max_names) {
  std::vector<std::string> names;
  std::string after;
  while (names.size() < max_names) {
    std::vector<VersionList> page;
    Status s = backend.ScanVersionLists("", after, [&](const VersionList& vl) {
      page.push_back(vl);
      return page.size() < kPage;
    });
    if (!s.ok() || page.empty()) break;
    after = page.back().name();
    for (const VersionList& vl : page) {
      auto check = [&](const VersionEntry& v, const std::string& which) {
        if (names.size() < max_names && References(backend, v.vm_chid, false, chid, 0))
          names.push_back(vl.name() + " (generation " + std::to_string(v.generation) + which + ")");
      };
      for (const auto& v : vl.versions()) check(v, "");
      for (const auto& q : vl.quarantine()) check(q.version, " quarantined");
      for (const auto& snap : vl.snapshots()) check(snap.version, " snapshot " + snap.name);
    }
    if (page.size() < kPage) break;
  }
  return names;
}

}  // namespace ccow
