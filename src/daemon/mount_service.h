// The file layer mounts a `ccow server` runs for `ccow mount` (issue 15): the server holds
// the data directory, so a mount through it is one of its threads (fuse::BackgroundMount)
// sharing its object API, served until unmounted:
//   GET    /admin/mount                        {"mounts": [{"bucket", "path", "read_only"}]}
//   POST   /admin/mount?bucket=B&path=P[&read_only=1][&checkpoint_ms=N]   the mount made
//   DELETE /admin/mount?path=P                 unmounts (the last checkpoint taken)
// A bucket's volume is mounted once per server (a second is kBusy naming where), and a
// mount point once; a mount unmounted from outside (fusermount3 -u) leaves the list. The
// server unmounts every mount when it stops (the destructor).
// Thread safety: every method may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "client/object_api.h"
#include "fs/volume_host.h"
#include "daemon/admin_api.h"
#include "gateway/fuse/fuse_gateway.h"

namespace ccow::daemon {

class MountService {
 public:
  // volumes: the process's, shared with its other gateways (fs/volume_host.h).
  MountService(std::shared_ptr<ObjectApi> api, std::shared_ptr<fs::VolumeHost> volumes)
      : api_(std::move(api)), volumes_(std::move(volumes)) {}
  ~MountService();  // StopAll()

  // Unmounts every mount, each with its last checkpoint; the first that failed. Called
  // while nothing else calls this service (the server stopping, its admin API closed).
  Status StopAll();

  // Refuses mounts of bucket's volume from now on (kBusy naming `holder`): the server
  // serves it otherwise (an NFS export), and two openers of one volume lose checkpoints.
  void Reserve(const std::string& bucket, const std::string& holder);

  // The /admin/mount handler; nullopt for other paths.
  std::optional<AdminReply> Handle(const std::string& method, const std::string& path,
                                   const http::ParsedTarget& target);
  std::string StatusJson();

 private:
  struct Mounted {
    std::string bucket;
    std::unique_ptr<fuse::BackgroundMount> mount;
    // Being unmounted (its last checkpoint under way, outside the lock): it keeps its
    // volume and path taken until that checkpoint is done.
    bool stopping = false;
  };
  Result<std::string> Mount(const std::string& bucket, const std::string& path, bool read_only,
                            uint64_t checkpoint_ns);
  Status Unmount(const std::string& path);
  void ReapLocked();  // drops the mounts unmounted from outside

  std::shared_ptr<ObjectApi> api_;
  std::shared_ptr<fs::VolumeHost> volumes_;
  std::mutex mu_;
  std::map<std::string, Mounted> mounts_;  // by mount point
  std::map<std::string, std::string> reserved_;  // bucket -> what serves its volume
};

}  // namespace ccow::daemon
