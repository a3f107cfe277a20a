// What the parts of an ISGW link (isgw_link.cc, isgw_receiver.cc, isgw_ship.cc,
// isgw_cursor.cc) share; private to src/isgw.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client/backend.h"
#include "cluster/cluster_state.h"
#include "core/status.h"
#include "isgw/isgw_link.h"
#include "isgw/s3_mirror.h"

namespace ccow::isgw {

inline constexpr size_t kListsPerRound = 1000;         // version lists compared per digests request
inline constexpr size_t kChidsPerHave = 20'000;
inline constexpr size_t kChunkBatchBytes = 8 << 20;    // per chunks request
inline constexpr size_t kMergeBatchBytes = 16 << 20;   // per merge request (a list may be large)
inline constexpr size_t kCompressMin = 4 << 10;        // smaller bodies travel as they are


inline bool Serves(const ServiceRecord& svc, const std::string& bucket) {
  return std::binary_search(svc.serves.begin(), svc.serves.end(), bucket);
}

// A Status carried by a merge reply's code (an unknown one, from a newer site: unavailable).
inline Status StatusOf(uint8_t code, const std::string& message) {
  if (code == 0) return Status::OK();
  if (code > static_cast<uint8_t>(Code::kPermissionDenied)) return Status::Unavailable(message);
  return Status(static_cast<Code>(code), message);
}

// The manifests and chunks one version references: its VM, then (depth first) its chunk
// manifests into *manifests and its payload chunks into *payload, each once.
Status CollectVersion(Backend& backend, const Chid& vm_chid, std::set<HashId>* seen, std::vector<HashId>* manifests,
                      std::vector<HashId>* payload);

struct IsgwLink::Remote {
  std::string host;
  uint16_t port = 0;
  std::string url;
  // A remote in this process (an export directory, or the segment an export is imported
  // into): the request answered as IsgwLink::Answer does, without HTTP.
  std::function<std::pair<int, std::string>(const std::string& op, std::string body)> call;
  // An s3:// remote: objects written as they are (isgw/s3_mirror.h), not a link end.
  std::shared_ptr<S3Mirror> s3;
};

}  // namespace ccow::isgw
