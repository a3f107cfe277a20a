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
//
// Compaction (segment_compactor.h) copies a sealed segment's live records into the
// active one and then Remove()s the old file. Readers hold the file they read from
// (a shared handle), so removing a segment never closes a descriptor under a read in
// flight; a read that starts after the removal fails, and the chunk store then re-reads
// the index, which by then points at the new copy.
//
// The log calls its medium's Open, OpenDirect, WriteAt and Truncate with its lock held, and
// the chunk store calls Append with its own lock held: a medium (a test's hooked medium)
// must not call back into the store from those, or the two locks are taken in both orders.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/buffer_pool.h"
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
  // Bytes of a record header for a CHID of this algorithm (magic, length, CHID).
  static size_t HeaderSize(const HashId& chid) { return 8 + 1 + chid.size(); }
  // The bytes a record takes in its file: header and payload, rounded up to 4 KiB when
  // it was written with direct I/O (a large record starting on a 4 KiB boundary). An
  // estimate for buffered records that happen to start aligned; used for dead fractions.
  static uint64_t Footprint(const HashId& chid, const SegmentLocation& loc);

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

  // Visits the records of a segment in file order (chid, location of its payload) while
  // fn returns true. Zero bytes between records are skipped as padding. kCorruption
  // naming the file and offset if the file does not parse to its end.
  Status ForEachRecord(uint32_t id,
                       const std::function<bool(const HashId&, const SegmentLocation&)>& fn);
  // Deletes a sealed segment's file (never the active one, nor one with appends not yet
  // synced). Reads already holding the file finish; later reads of it fail.
  Status Remove(uint32_t id);

  // The segment appends go to; every lower id is sealed (never appended to again).
  uint32_t active() const;
  // Moves appends on to a new segment (when the active one holds anything), sealing it.
  Status Roll();
  // Each segment file's length (bytes written, durable or not).
  std::map<uint32_t, uint64_t> Lengths() const;
  std::string PathOf(uint32_t id) const;
  // Total length of all segment files (cheap: a counter).
  uint64_t bytes_on_disk() const;

 private:
  // An open segment file. Shared by the log and every read in flight, so that the
  // descriptors close only when the last of them is done (Remove cannot close a
  // descriptor a reader is using, which the kernel could then reuse for another file).
  struct File {
    static constexpr int kDirectUnopened = -2;
    std::shared_ptr<Medium> medium;
    int fd = -1;
    int direct_fd = kDirectUnopened;  // the same file opened O_DIRECT (-1: unsupported)
    ~File();
  };

  SegmentLog(std::string dir, std::shared_ptr<Medium> medium, uint64_t segment_size);
  Status OpenSegment(uint32_t id, bool create);
  Result<SegmentLocation> AppendDirect(File& file, const std::string& header,
                                       std::string_view payload);
  Result<std::shared_ptr<File>> FileOf(uint32_t id);
  Status EnsureDirectLocked(File& file, uint32_t id);  // called with mu_ held
  void SetLengthLocked(uint32_t id, uint64_t length);

  std::string dir_;
  std::shared_ptr<Medium> medium_;
  uint64_t segment_size_;

  mutable std::mutex mu_;
  std::map<uint32_t, std::shared_ptr<File>> files_;
  std::map<uint32_t, uint64_t> lengths_;  // bytes written (durable or not)
  uint64_t total_length_ = 0;             // sum of lengths_
  std::map<uint32_t, uint64_t> dirty_;    // segments appended to since their last sync
  bool new_files_ = false;  // a segment was created since the last sync
  uint32_t active_ = 1;
  std::mutex sync_mu_;
  // Aligned record buffers for O_DIRECT appends (one in use at a time, under mu_) and
  // direct reads (concurrent; the pool is thread-safe).
  BufferPool direct_buffers_{kDirectBufferIdleBytes};
  static constexpr size_t kDirectBufferIdleBytes = 40 << 20;  // a few classes up to 16 MiB chunks
};

}  // namespace ccow
