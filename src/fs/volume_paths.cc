// A volume's operations by path (fs/volume.h "Paths"): what the S3 view and S3 writes of
// a file volume bucket use, on top of the operations by inode number.

#include <cerrno>
#include <vector>

#include "fs/volume.h"

namespace ccow::fs {
namespace {

// The names of a path, each checked as a name ("a//b", "." and ".." refused).
Result<std::vector<std::string_view>> Names(std::string_view path) {
  std::vector<std::string_view> names;
  if (path.empty()) return Status::Posix(EINVAL, "an empty path");
  for (size_t pos = 0;;) {
    const size_t slash = path.find('/', pos);
    std::string_view name = path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (name.empty() || name == "." || name == "..")
      return Status::Posix(EINVAL, "path '" + std::string(path) + "' has an empty, '.' or '..' name");
    names.push_back(name);
    if (slash == std::string_view::npos) return names;
    pos = slash + 1;
  }
}

}  // namespace

Result<Inode> Volume::LookupPath(std::string_view path) {
  CCOW_ASSIGN_OR_RETURN(auto names, Names(path));
  CCOW_ASSIGN_OR_RETURN(Inode n, Load(kRootIno));
  for (std::string_view name : names) {
    if (!n.is_dir()) return Status::Posix(ENOTDIR, "a name on the way to '" + std::string(path) + "' is no directory");
    CCOW_ASSIGN_OR_RETURN(n, Lookup(n.ino, name));
  }
  return n;
}

Result<std::pair<Inode, std::string>> Volume::ParentOf(std::string_view path, bool make) {
  CCOW_ASSIGN_OR_RETURN(auto names, Names(path));
  CCOW_ASSIGN_OR_RETURN(Inode dir, Load(kRootIno));
  for (size_t i = 0; i + 1 < names.size(); ++i) {
    auto next = Lookup(dir.ino, names[i]);
    if (!next.ok() && next.status().code() == Code::kNotFound && make) next = Mkdir(dir.ino, names[i], 0755, dir.uid, dir.gid);
    if (!next.ok()) return next.status();
    if (!next->is_dir()) return Status::Posix(ENOTDIR, std::string(names[i]) + " on the way to '" + std::string(path) + "' is no directory");
    dir = *next;
  }
  return std::make_pair(dir, std::string(names.back()));
}

Result<Inode> Volume::PutFile(std::string_view path, const std::vector<std::pair<uint64_t, FileBlock>>& blocks,
                              uint64_t size, uint32_t mode, const WriteFence& fence) {
  const uint64_t bb = options_.block_bytes;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& [block, b] = blocks[i];
    if ((i > 0 && block <= blocks[i - 1].first) || b.pieces.empty() || block * bb + b.pieces.back().end() > size ||
        b.pieces.back().end() > bb)
      return Status::Posix(EINVAL, "the data given for '" + std::string(path) + "' is out of order or past its size");
  }
  CCOW_RETURN_IF_ERROR(CheckPath(path, FileType::kFile));
  BeginChange();
  fence_.Observe(fence.oldest());
  CCOW_ASSIGN_OR_RETURN(auto where, ParentOf(path, /*make=*/true));
  auto& [dir, name] = where;
  auto n = Lookup(dir.ino, name);
  if (!n.ok() && n.status().code() == Code::kNotFound) n = Create(dir.ino, name, mode, dir.uid, dir.gid);
  if (!n.ok()) return n.status();
  CCOW_RETURN_IF_ERROR(Truncate(*n, 0));
  for (const auto& [block, b] : blocks) CCOW_RETURN_IF_ERROR(PutBlock(n->ino, block, b));
  n->size = size;
  n->mtime_ns = n->ctime_ns = Now();
  CCOW_RETURN_IF_ERROR(Store(*n));
  return *n;
}

Status Volume::CheckPath(std::string_view path, FileType last) {
  CCOW_ASSIGN_OR_RETURN(auto names, Names(path));
  CCOW_ASSIGN_OR_RETURN(Inode at, Load(kRootIno));
  for (size_t i = 0; i < names.size(); ++i) {
    auto next = Lookup(at.ino, names[i]);
    if (!next.ok() && next.status().code() == Code::kNotFound) return Status::OK();
    if (!next.ok()) return next.status();
    if (i + 1 < names.size()) {
      if (!next->is_dir())
        return Status::Posix(ENOTDIR, std::string(names[i]) + " on the way to '" + std::string(path) + "' is no directory");
    } else if (next->type != last) {
      const std::string what = "'" + std::string(path) + "' is ";
      if (next->is_dir()) return Status::Posix(EISDIR, what + "a directory");
      if (last == FileType::kDirectory) return Status::Posix(ENOTDIR, what + "not a directory");
      return Status::Posix(EINVAL, what + "a symbolic link");
    }
    at = *next;
  }
  return Status::OK();
}

Result<Inode> Volume::MakeDirectories(std::string_view path) {
  CCOW_RETURN_IF_ERROR(CheckPath(path, FileType::kDirectory));
  CCOW_ASSIGN_OR_RETURN(auto where, ParentOf(path, /*make=*/true));
  auto& [dir, name] = where;
  auto n = Lookup(dir.ino, name);
  if (n.ok() || n.status().code() != Code::kNotFound) return n;
  return Mkdir(dir.ino, name, 0755, dir.uid, dir.gid);
}

Status Volume::RemovePath(std::string_view path) {
  const bool dir = !path.empty() && path.back() == '/';
  if (dir) path.remove_suffix(1);
  CCOW_ASSIGN_OR_RETURN(auto where, ParentOf(path, /*make=*/false));
  return dir ? Rmdir(where.first.ino, where.second) : Unlink(where.first.ino, where.second);
}

}  // namespace ccow::fs
