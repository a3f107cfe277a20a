// A file layer volume's namespace (issue 15): inodes and directories kept in the
// volume's copy-on-write B+tree (fs/cow_btree.h), so a checkpoint of the whole namespace
// is one root CHID. The volume lives in its home, an object (for bucket SEG/TEN/BKT:
// SEG/TEN/.fs/BKT) whose current version is the last checkpoint: its root reference is
// the tree's shadow manifest (fs/cow_btree.h BtreeRoot), which names every node and
// every data chunk, so the garbage collector, links and repair treat the volume as an
// object; the root node's CHID is its x-amz-meta-ccow-fs-root. Between checkpoints the
// volume holds a write scope of the object API, so a collection pass waits for the
// checkpoint before it decides what the new chunks are worth. Records (docs/FORMAT.md
// "Volume records"):
//   "S"                      the superblock: the next inode number to give out
//   "I" + ino (8 bytes, BE)  an inode (fs/inode.h)
//   "D" + parent + name      a directory entry: the child's ino (8 bytes, BE) and type
//   "X" + ino + block        a file's data in block `block` (8 bytes, BE) of block_bytes:
//                            its pieces, each a range of a chunk (fs/file_block.h)
// A directory's entries are one key range, in name order: a directory of millions of
// entries is as many records spread over the tree's leaves, listed a page at a time.
//
// The operations are POSIX's, as a FUSE low-level or NFSv3 server calls them, by inode
// number. They refuse as POSIX does, with Status::Posix (posix_errno() is the errno):
// ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL (a name of "." or "..", with '/' or
// NUL, or a directory moved under itself), ENAMETOOLONG (over 255 bytes), EPERM (a hard
// link to a directory). Each operation checks everything it refuses for before it
// changes anything, so a refusal changes nothing; a store error part-way (a node that
// cannot be read) may leave part of an operation in memory, and the volume should then
// be opened again from its last checkpoint. Changes are in memory until Checkpoint (the
// replay log that makes each one durable at once is a later slice).
//
// File data: a write stores its bytes as one chunk per block it touches (named by its
// hash, so bytes written before are not stored again) and lays a piece over the block's
// earlier pieces; a read assembles the pieces and reads holes as zeros (sparse files);
// a block of too many pieces is compacted into one chunk. Truncation drops or cuts
// pieces. Chunks are written at once and synced by Checkpoint.
//
// Errors besides those: what reading the tree answers (kNotFound/kCorruption naming a
// node). Threads: one caller at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/object_api.h"
#include "core/status.h"
#include "fs/cow_btree.h"
#include "fs/file_block.h"
#include "fs/inode.h"

namespace ccow::fs {

struct VolumeOptions {
  BtreeOptions btree;
  uint32_t root_uid = 0, root_gid = 0;  // of a new volume's root directory
  uint64_t block_bytes = 1 << 20;  // a file's data is kept per block of this size
  uint32_t replicas = 0;           // of each data chunk; 0: the backend's default
  std::function<uint64_t()> clock;  // ns; the wall clock when empty
};

struct DirEntry {
  std::string name;
  Ino ino = 0;
  FileType type = FileType::kFile;
};

// What SetAttr changes: the fields given.
struct AttrChange {
  std::optional<uint32_t> mode, uid, gid;
  std::optional<uint64_t> size, atime_ns, mtime_ns;
};

class Volume {
 public:
  // The volume whose home is the object `home` (a full name), as its last checkpoint
  // left it; a new one (its root directory mode 0755) when the home has no version.
  // kCorruption when the home's version is not a volume's.
  static Result<std::unique_ptr<Volume>> Open(ObjectApi& api, const std::string& home, VolumeOptions options = {});
  // The home of bucket SEG/TEN/BKT's volume: SEG/TEN/.fs/BKT.
  static Result<std::string> HomeOf(const std::string& bucket_path);
  ~Volume();

  Result<Inode> GetAttr(Ino ino);
  Result<Inode> Lookup(Ino parent, std::string_view name);
  Result<Inode> Mkdir(Ino parent, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid);
  Result<Inode> Create(Ino parent, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid);
  Result<Inode> Symlink(Ino parent, std::string_view name, std::string_view target, uint32_t uid, uint32_t gid);
  Result<Inode> Link(Ino ino, Ino new_parent, std::string_view new_name);
  Status Unlink(Ino parent, std::string_view name);
  Status Rmdir(Ino parent, std::string_view name);
  // Replaces what new_name names (a file by a file, an empty directory by a directory).
  Status Rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name);
  Result<Inode> SetAttr(Ino ino, const AttrChange& change);
  // The entries of a directory after `after` (a name; "" from the start), in name
  // order, until fn returns false.
  Status ReadDir(Ino dir, std::string_view after, const std::function<bool(const DirEntry&)>& fn);

  // File data (a regular file's): Write extends the size past its end; Read returns
  // up to len bytes from offset (fewer at the end of the file, none past it).
  Status Write(Ino ino, uint64_t offset, std::string_view data);
  Result<std::string> Read(Ino ino, uint64_t offset, uint64_t len);
  uint64_t block_bytes() const { return options_.block_bytes; }

  // Paths from the root ("a/b/c"), as the S3 view of a volume names files
  // (fs/volume_objects.h); each name as Lookup takes it, "." and ".." refused (EINVAL).
  // The inode a path names (ENOENT, ENOTDIR as POSIX).
  Result<Inode> LookupPath(std::string_view path);
  // Stores bytes as one chunk for PutFile and returns the piece of a block they make.
  // Touches nothing of the volume: any thread may call it while another operation runs
  // (an S3 PUT stores its body so, then takes the volume for PutFile). fence gets what the
  // put observed; the caller holds an ObjectApi::WriteScope from before the first call
  // until PutFile's change is checkpointed, so no collection pass frees the chunks first.
  Result<FileBlock::Piece> StoreChunk(std::string_view bytes, WriteFence* fence);
  // Makes path a regular file of `size` bytes whose data is `blocks` (block index and its
  // pieces, in block order; what they do not cover is a hole), in one step, as an S3 PUT
  // replaces an object: a file there keeps its inode (its other names and open NFS handles
  // see the new bytes) and its mode and owner; missing directories on the way are made
  // (0755) and a new file gets `mode`, both owned as the directory they are made in.
  // fence: what storing the pieces observed (StoreChunk's). Refused before anything
  // changes: EISDIR (path is a directory), ENOTDIR (a name on the way is not one),
  // EINVAL (a symbolic link there, blocks out of order or past size).
  Result<Inode> PutFile(std::string_view path, const std::vector<std::pair<uint64_t, FileBlock>>& blocks,
                        uint64_t size, uint32_t mode, const WriteFence& fence);
  // Makes path a directory with its missing parents (mkdir -p; 0755, owned as the
  // directory each is made in); the directory. ENOTDIR, before anything is made, when a
  // name on the way or the last is something else.
  Result<Inode> MakeDirectories(std::string_view path);
  // Removes what path names: a file (as Unlink), or with a trailing '/' a directory (as
  // Rmdir: ENOTEMPTY unless empty).
  Status RemovePath(std::string_view path);

  // Writes what changed and makes it the home's current version (one new version per
  // checkpoint that changed something); returns the tree's root. kFailedPrecondition
  // when another mount of the volume checkpointed since this one opened it or last
  // checkpointed (the home is not overwritten: what changed here since is lost).
  Result<BtreeRoot> Checkpoint();

 private:
  Volume(ObjectApi& api, std::string home, std::unique_ptr<CowBtree> tree, VolumeOptions options);
  void BeginChange();  // a write scope from the first change after a checkpoint
  uint64_t Now() const;
  Result<Inode> Load(Ino ino);
  Result<Inode> LoadDir(Ino ino);
  Status Store(const Inode& n);
  Result<std::optional<DirEntry>> Entry(Ino parent, std::string_view name);
  Result<Ino> NextIno();
  Result<Inode> MakeNode(Ino parent, std::string_view name, Inode node);
  Status DropLink(Inode& n);  // one link less; the inode (and its data) goes at none
  Status Truncate(Inode& n, uint64_t size);  // drops or cuts the pieces past size
  Status PutBlock(Ino ino, uint64_t block, const FileBlock& b);
  // The directory path's last name is in, made (0755, owned as its parent) where missing
  // when `make`, and that name; ENOENT where missing otherwise.
  Result<std::pair<Inode, std::string>> ParentOf(std::string_view path, bool make);
  // Refuses, before a change along path: a name on the way that is not a directory
  // (ENOTDIR), and what path names when it is not `last` (EISDIR, ENOTDIR, EINVAL for a
  // symbolic link); nothing when it is missing.
  Status CheckPath(std::string_view path, FileType last);

  ObjectApi& api_;
  const std::string home_;
  std::unique_ptr<CowBtree> tree_;
  VolumeOptions options_;
  // The home's version this volume continues from (none: a new volume): a checkpoint
  // replaces it and only it.
  std::optional<Chid> base_;
  // The root of the last checkpoint whose commit answered an error: it may have landed.
  std::optional<Chid> unanswered_;
  std::unique_ptr<ObjectApi::WriteScope> scope_;  // while changes wait for a checkpoint
  WriteFence fence_;                             // what their puts observed
};

}  // namespace ccow::fs
