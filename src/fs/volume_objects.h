// The S3 view of a file layer volume (issue 15): its files are the objects of its bucket,
// keyed by path ("dir/sub/file"), read from the volume's last checkpoint through their
// blocks' pieces (Volume::Read), as ProxyFS let S3 and Swift read its files through read
// plans: no byte is copied into an object. A bucket whose record says so (BucketRecord::file_volume,
// set by fs/bucket_volume.h) is served this way by the S3 gateway.
//
// - Each directory is a key too, its path with a trailing '/' and no bytes (the folder
//   markers S3 tools make), so a recursive listing shows empty directories and a
//   delimiter listing rolls a directory up as S3 rolls up a prefix. The root is not one.
//   Symbolic links are not objects.
// - A file's ETag is the MD5 of its inode's number, generation, size and change time,
//   with "-1": every change of the bytes sets the change time, so it changes whenever they
//   do and stays while they stay, costs nothing whatever the file's size, and its dashed
//   form tells clients it is no MD5 of the content. An empty file's (and a directory's) is
//   the MD5 of nothing, as S3's.
// - Last-Modified is the file's mtime; the content type binary/octet-stream
//   (application/x-directory for a directory).
// - Listings follow ObjectApi::List exactly (ListOptions and ListResult as it uses them:
//   full names, start_after, delimiter, limit, a common prefix reported once across pages),
//   in key order, which is not quite directory order: "a-b" sorts before "a/", so a
//   directory's entries are merged with its subdirectories' keys as they come. Paths
//   longer than S3's 1,024-byte keys are not listed (nor walked into).
//
// What is seen is the last checkpoint: a change made over NFS or FUSE shows once
// checkpointed (every stable NFS call on a sync export, fsync, the interval).
// Errors: kNotFound for a key that names no file or directory (missing, a symlink, a path
// through a file, "a//b"); what reading the volume answers.
// Threads: one caller at a time (a view is cheap: open one per request).
#pragma once

#include <memory>
#include <string>

#include "client/object_api.h"
#include "core/status.h"
#include "fs/volume.h"

namespace ccow::fs {

// A file's (or directory's) ETag as the view gives it (above).
std::string FileEtag(const Inode& n);

class VolumeObjects {
 public:
  // The view of bucket SEG/TEN/BKT's volume (its home SEG/TEN/.fs/BKT) as its last
  // checkpoint left it; an empty one when it has none yet.
  static Result<std::unique_ptr<VolumeObjects>> Open(ObjectApi& api, const std::string& bucket_path);
  ~VolumeObjects();

  // `key` is the object key (the path in the volume), not the full name.
  Result<ObjectInfo> Stat(const std::string& key);
  // As ObjectApi::Read: on_open sees the object and picks the range to stream.
  Status Read(const std::string& key, const ObjectApi::OpenCallback& on_open, ByteSink& sink);
  // As ObjectApi::List (options.prefix and start_after are full names under this bucket).
  Result<ListResult> List(const ListOptions& options);

 private:
  struct Lister;
  VolumeObjects(std::string bucket_path, std::unique_ptr<Volume> volume);
  // The object a directory entry is, named by its key.
  Result<ObjectInfo> InfoOf(const std::string& key, const Inode& n);

  const std::string bucket_path_;
  std::unique_ptr<Volume> volume_;  // null: the volume has no checkpoint yet
};

}  // namespace ccow::fs
