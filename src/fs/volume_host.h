// The volumes one process serves, each opened once and shared by every gateway of the
// process that serves it (a FUSE mount, an NFS export, S3 writes into a file volume
// bucket), so that they never checkpoint over each other: each operation, and each
// checkpoint, holds the volume's mutex. Two processes serving one volume still refuse
// each other's checkpoints (Volume::Checkpoint), which is why S3 writes open a volume on
// demand only where the process holds the data directory (s3 S3GatewayOptions).
// Threads: any.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "client/object_api.h"
#include "cluster/registry.h"
#include "fs/volume.h"

namespace ccow::fs {

struct SharedVolume {
  std::mutex mu;  // one operation or checkpoint of the volume at a time
  std::unique_ptr<Volume> volume;
};

class VolumeHost {
 public:
  // registry: where a bucket becomes a file volume (fs/bucket_volume.h); may be null.
  VolumeHost(ObjectApi& api, Registry* registry) : api_(api), registry_(registry) {}

  // Bucket SEG/TEN/BKT's volume: the one a gateway of this process holds, else opened
  // (OpenBucketVolume; *note gets its warning, if any). Errors: OpenBucketVolume's.
  Result<std::shared_ptr<SharedVolume>> Open(const std::string& bucket_path, std::string* note = nullptr);
  // The volume a gateway of this process holds, or null.
  std::shared_ptr<SharedVolume> Find(const std::string& bucket_path);

 private:
  ObjectApi& api_;
  Registry* registry_;
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<SharedVolume>> open_;
};

}  // namespace ccow::fs
