#include "store/chunk_damage.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ccow {
namespace {

Status Errno(const std::string& what) { return Status::IOError(what + ": " + std::strerror(errno)); }

}  // namespace

Result<DamageMode> ParseDamageMode(const std::string& name) {
  if (name == "flip") return DamageMode::kFlip;
  if (name == "truncate") return DamageMode::kTruncate;
  if (name == "punch") return DamageMode::kPunch;
  return Status::InvalidArgument("damage mode '" + name + "': expected flip, truncate or punch");
}

Result<std::string> DamageStoredBytes(const StoredChunkPlace& p, DamageMode mode) {
  if (p.in_index)
    return Status::InvalidArgument("the chunk is stored inside the index (64 KiB or less); only chunks in "
                                   "segment files can be damaged");
  if (p.length == 0) return Status::InvalidArgument("the chunk is empty: no byte to damage");
  int fd = ::open(p.file.c_str(), O_RDWR);
  if (fd < 0) return Errno("opening " + p.file);
  const uint64_t middle = p.offset + p.length / 2;
  std::string done;
  Status st;
  switch (mode) {
    case DamageMode::kFlip: {
      char byte = 0;
      if (::pread(fd, &byte, 1, static_cast<off_t>(middle)) != 1) {
        st = Errno("reading " + p.file);
        break;
      }
      byte ^= 0x10;
      if (::pwrite(fd, &byte, 1, static_cast<off_t>(middle)) != 1) st = Errno("writing " + p.file);
      done = "flipped bit 4 of the byte at offset " + std::to_string(middle) + " of " + p.file;
      break;
    }
    case DamageMode::kTruncate:
      if (::ftruncate(fd, static_cast<off_t>(middle)) != 0) st = Errno("truncating " + p.file);
      done = "cut " + p.file + " at offset " + std::to_string(middle) +
             " (every chunk stored after it in that file lost its bytes too)";
      break;
    case DamageMode::kPunch:
      if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(p.offset),
                      static_cast<off_t>(p.length)) != 0) {
        // A file system without holes: zeros are what a hole reads back as.
        std::string zeros(p.length, '\0');
        if (::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(p.offset)) != static_cast<ssize_t>(zeros.size()))
          st = Errno("zeroing bytes of " + p.file);
      }
      done = "deallocated bytes " + std::to_string(p.offset) + ".." + std::to_string(p.offset + p.length) + " of " +
             p.file;
      break;
  }
  if (st.ok() && ::fsync(fd) != 0) st = Errno("syncing " + p.file);
  ::close(fd);
  CCOW_RETURN_IF_ERROR(st);
  return done;
}

}  // namespace ccow
