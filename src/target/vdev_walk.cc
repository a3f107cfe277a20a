#include "target/vdev_walk.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"

namespace ccow {

WalkCursor LoadWalkCursor(const std::string& file) {
  std::ifstream in(file);
  auto j = nlohmann::json::parse(in, nullptr, false);
  WalkCursor c;
  if (j.is_discarded() || !j.is_object()) return c;
  c.epoch = j.value("generation", uint64_t{0});
  auto last = HashId::Parse(j.value("last", std::string()));
  if (last.ok()) c.last = *last;
  return c;
}

void SaveWalkCursor(const std::string& file, const WalkCursor& c) {
  // The key is "generation" for every job: the healer's files from before keep working.
  nlohmann::json j = {{"generation", c.epoch}, {"last", c.last ? c.last->ToString() : ""}};
  // A lost cursor only means the walk starts over; a torn one must not be read.
  (void)WriteFileAtomically(file, j.dump() + "\n");
}

Result<bool> WalkChunks(const LocalVdev& vdev, const std::string& file, WalkCursor* cursor,
                        const std::function<bool(const HashId&)>& fn) {
  bool stopped = false;
  uint64_t since_save = 0;
  Status s = vdev.store->ScanChunks(cursor->last, [&](const HashId& chid) {
    if (!fn(chid)) {
      stopped = true;
      return false;
    }
    cursor->last = chid;
    if (++since_save % 64 == 0) SaveWalkCursor(file, *cursor);
    return true;
  });
  SaveWalkCursor(file, *cursor);
  CCOW_RETURN_IF_ERROR(s);
  return !stopped;
}

}  // namespace ccow
