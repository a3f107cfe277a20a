// The FUSE gateway (issue 15): a file layer volume (fs/volume.h) mounted on a directory
// through libfuse3's low-level API, so that any POSIX tool reads and writes it.
//
// Requests run one at a time on the session's loop, each an operation of the volume by
// inode number; refusals answer the errno of Status::posix_errno(). A checkpoint (the
// volume's home gets a new version) is taken every checkpoint_interval_ns, on fsync and
// fsyncdir, and at unmount: what was written since the last one is lost if the process
// dies (the replay log that makes every fsync'd write durable without a checkpoint is a
// later slice). The kernel checks permissions against the attributes
// (default_permissions).
//
// Errors (Run): kInvalidArgument for a mount point that is not a directory; kIOError
// when the kernel refuses the mount (no /dev/fuse); what the final checkpoint answers.
// Threads: Run on the caller's thread, until the file system is unmounted or the
// process gets SIGINT, SIGTERM or SIGHUP; the checkpoints on a thread of their own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "fs/volume.h"
#include "fs/volume_host.h"
#include "store/chunk_store.h"

namespace ccow::fuse {

struct MountOptions {
  std::string mount_point;
  uint64_t checkpoint_interval_ns = 10'000'000'000ull;
  bool read_only = false;
  std::string fs_name = "ccow";  // what mount(8) shows as the source
  // What statfs (df) reports: the store's capacity and free bytes. Empty: 4 TiB, all free.
  std::function<StoreCapacity()> capacity;
};

// Mounts volume on options.mount_point and serves it until unmounted; then checkpoints.
// Each request holds the volume's mutex (fs/volume_host.h: other gateways of the process
// may serve it too).
Status Run(std::shared_ptr<fs::SharedVolume> volume, const MountOptions& options);

// A mount served on a thread of its own, without signal handlers: how `ccow server` runs
// the mounts `ccow mount` asks it for. Stop() (and the destructor) unmounts it, waits for
// its last request and takes the last checkpoint; an unmount from outside (fusermount3
// -u) ends it too, after which finished() is true.
// Errors (Start): as Run's before it serves. Threads: any; Stop from one thread at a time.
class BackgroundMount {
 public:
  static Result<std::unique_ptr<BackgroundMount>> Start(std::shared_ptr<fs::SharedVolume> volume, MountOptions options);
  ~BackgroundMount();
  BackgroundMount(const BackgroundMount&) = delete;
  BackgroundMount& operator=(const BackgroundMount&) = delete;

  // The last checkpoint's status (again on later calls).
  Status Stop();
  bool finished() const;
  const MountOptions& options() const;

 private:
  struct State;
  explicit BackgroundMount(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ccow::fuse
