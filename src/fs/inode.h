// An inode of a file layer volume (issue 15): what POSIX stat() reports, kept as a value
// of the volume's B+tree (fs/volume.h) in a canonical encoding (docs/FORMAT.md "Volume
// records"). A directory also names its parent (a directory has exactly one), which is
// how a rename knows it would move a directory under itself.
//
// Errors (Decode): kCorruption for anything but a well-formed inode.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ccow::fs {

using Ino = uint64_t;
inline constexpr Ino kRootIno = 1;  // FUSE's root, and NFS's

enum class FileType : uint8_t { kFile = 1, kDirectory = 2, kSymlink = 3 };

struct Inode {
  static constexpr uint8_t kFormatVersion = 1;
  Ino ino = 0;
  FileType type = FileType::kFile;
  uint32_t mode = 0644;  // permission bits only
  uint32_t uid = 0, gid = 0;
  uint32_t nlink = 1;
  uint64_t size = 0;
  uint64_t atime_ns = 0, mtime_ns = 0, ctime_ns = 0;
  uint64_t generation = 0;  // with ino, a handle that a reused number never matches
  Ino parent = 0;           // a directory's
  std::string target;       // a symlink's

  bool is_dir() const { return type == FileType::kDirectory; }
  std::string Encode() const;
  static Result<Inode> Decode(std::string_view bytes);
  friend bool operator==(const Inode&, const Inode&) = default;
};

}  // namespace ccow::fs
