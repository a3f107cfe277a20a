// Which objects reference a chunk (issue 11 §2): one node's scrubber reports a chunk it
// cannot repair with the names of the object versions that need it. Walks every version
// list a page at a time (bounded memory) and the manifest tree of every active,
// quarantined and snapshotted version, stopping after max_names. A manifest that cannot
// be read (bad itself) is skipped: its subtree is unknown, never guessed.
// Cost: a full walk of the name index per call; meant for the rare unrepairable chunk.
// Thread safety: as the backend's reads.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "client/backend.h"

namespace ccow {

// Names as "TENANT-PATH/KEY (generation G)", with " quarantined" or " snapshot NAME" for
// versions that are not active.
std::vector<std::string> FindReferrers(Backend& backend, const Chid& chid, size_t max_names);

}  // namespace ccow
