// The medium under a VDEV's payload files. Production uses the POSIX file system; tests
// substitute a medium that runs out of space or fails syncs, so that "the disk is full"
// and "fsync failed" are tested on purpose rather than by accident (DESIGN.md §2).
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace ccow {

class Medium {
 public:
  virtual ~Medium() = default;
  // Opens (creating when asked) a file for reading and writing; returns its descriptor.
  virtual Result<int> Open(const std::string& path, bool create) = 0;
  // Opens an existing file for direct I/O (O_DIRECT: writes bypass the page cache, so
  // buffers, offsets and lengths must be multiples of kDirectAlignment). Returns -1 when
  // the file system does not support it; callers then keep using buffered writes.
  static constexpr size_t kDirectAlignment = 4096;
  virtual Result<int> OpenDirect(const std::string& path) { return -1; }
  virtual Status Close(int fd) = 0;
  // Writes all of iov at offset or fails; a short write is reported as an error.
  virtual Status WriteAt(int fd, const struct iovec* iov, int iovcnt, uint64_t offset) = 0;
  // Reads exactly n bytes at offset; fewer bytes (a truncated file) is kCorruption.
  virtual Status ReadAt(int fd, void* buf, size_t n, uint64_t offset) = 0;
  virtual Status Sync(int fd) = 0;
  virtual Status Truncate(int fd, uint64_t size) = 0;
  virtual Result<uint64_t> FileSize(int fd) = 0;
  virtual Status SyncDirectory(const std::string& dir) = 0;
  // Deletes a file (its name; descriptors still open keep reading it until closed).
  virtual Status Remove(const std::string& path) = 0;
};

std::shared_ptr<Medium> PosixMedium();

// For tests: a POSIX medium that fails writes with ENOSPC once `capacity` bytes have
// been written through it, and can be told to fail the next sync.
class LimitedMedium : public Medium {
 public:
  explicit LimitedMedium(uint64_t capacity) : capacity_(capacity) {}
  Result<int> Open(const std::string& path, bool create) override;
  Status Close(int fd) override;
  Status WriteAt(int fd, const struct iovec* iov, int iovcnt, uint64_t offset) override;
  Status ReadAt(int fd, void* buf, size_t n, uint64_t offset) override;
  Status Sync(int fd) override;
  Status Truncate(int fd, uint64_t size) override;
  Result<uint64_t> FileSize(int fd) override;
  Status SyncDirectory(const std::string& dir) override;
  Status Remove(const std::string& path) override;

  void set_capacity(uint64_t c) { capacity_ = c; }
  void FailNextSync() { fail_next_sync_ = true; }
  uint64_t written() const { return written_; }

 private:
  std::shared_ptr<Medium> base_ = PosixMedium();
  uint64_t capacity_;
  uint64_t written_ = 0;
  bool fail_next_sync_ = false;
};

}  // namespace ccow
