// Append-only segment files holding chunk payloads (the "segments" payload layout).
//
// Each record is a small header (magic, length, CHID) followed by the payload, so a
// segment can be scanned and verified without the index. Large records (kDirectMin and
// up) are written with direct I/O, starting on a 4 KiB boundary and zero-padded to one:
// on the VMs we run on, copying into the page cache costs ~3 ms of CPU per MB (more
// than MD5 + 2 x SHA-256 of the same bytes), direct writes ~0.15. Zero bytes between
// records are padding (a record starts with its non-zero magic). Appends are not durable until
// Sync(), which reports how far each touched segment is now durable; the chunk store
// records those lengths in the same atomic index write as the chunks' locations, and
// on open every segment is cut back to its recorded length, discarding torn tails.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/status.h"
#include "store/medium.h"

namespace ccow {

struct SegmentLocation {
  uint32_t segment = 0;
  uint64_t offset = 0;  // of the payload, after the record header
  uint32_t length = 0;

  std::string Encode() const;  // 16 bytes, docs/FORMAT.md §4
  static Result<SegmentLocation> Decode(std::string_view bytes);
};

class SegmentLog {
 public:
  static constexpr uint32_t kRecordMagic = 0x47534343;  // "CCSG" little-endian
  static constexpr size_t kDirectMin = 64 << 10;

  // durable: segment id -> durable length, as recorded by the chunk store.
  static Result<std::unique_ptr<SegmentLog>> Open(const std::string& dir,
                                                  std::shared_ptr<Medium> medium,
                                                  uint64_t segment_size,
                                                  const std::map<uint32_t, uint64_t>& durable);
  ~SegmentLog();

  // Appends one record. On failure (full disk) the segment is cut back to where the
  // record began, so a failed append leaves nothing behind.
  Result<SegmentLocation> Append(const HashId& chid, std::string_view payload);
  // Makes every append so far durable; fills `durable` with the new length of each
  // segment the sync covered.
  Status Sync(std::vector<std::pair<uint32_t, uint64_t>>* durable);
  // Reads a payload (without verifying it: the chunk store verifies the hash).
  Status Read(const SegmentLocation& loc, std::string* out);

  uint64_t bytes_on_disk() const;

 private:
  SegmentLog(std::string dir, std::shared_ptr<Medium> medium, uint64_t segment_size);
  std::string PathOf(uint32_t id) const;
  Status OpenSegment(uint32_t id, bool create);
  Result<SegmentLocation> AppendDirect(int fd, const std::string& header, std::string_view payload);
  Result<int> FdOf(uint32_t id);
  Result<int> DirectFdOf(uint32_t id);  // -1 when the file system has no direct I/O

  std::string dir_;
  std::shared_ptr<Medium> medium_;
  uint64_t segment_size_;

  mutable std::mutex mu_;
  std::map<uint32_t, int> fds_;
  std::map<uint32_t, int> direct_fds_;  // same files opened O_DIRECT (-1: unsupported)
  std::map<uint32_t, uint64_t> lengths_;  // bytes written (durable or not)
  std::map<uint32_t, uint64_t> dirty_;    // segments appended to since their last sync
  bool new_files_ = false;  // a segment was created since the last sync
  uint32_t active_ = 1;
  std::mutex sync_mu_;
};

}  // namespace ccow
