// The NFSv3 gateway (issue 15): a file layer volume (fs/volume.h) served over NFS version 3
// (RFC 1813) and its MOUNT protocol, both on one TCP port, built on libnfs's server API
// (rpc_init_server_context, rpc_register_service and its XDR codecs), so that NFS clients
// read and write the same files as `ccow mount` does through FUSE.
//
// - Calls run one at a time against the volume (one poll loop); every call is checked
//   against the export's rules first: the peer's address (ExportRules::allowed) and
//   AUTH_SYS credentials (others are refused with NFS3ERR_ACCES / MNT3ERR_ACCES), squashed
//   as the rules say, then the file's mode bits as POSIX does, sticky directories included
//   (the gateway, not the client, decides: uid 0 after squashing may do anything but run
//   a file no one may).
// - File handles (nfs_export.h) survive restarts of the gateway; a handle of a removed
//   inode answers NFS3ERR_STALE.
// - Durability: writes the client asks to be stable (FILE_SYNC, DATA_SYNC), COMMIT, and,
//   with `sync` (the default, as exports(5)), every namespace change (CREATE, MKDIR,
//   SYMLINK, REMOVE, RMDIR, RENAME, LINK, SETATTR) are answered only after a checkpoint
//   has made them part of the volume's home version. UNSTABLE writes are answered with the
//   gateway's write verifier, drawn at each start: a client whose COMMIT meets another
//   verifier writes its uncommitted data again, so a restart loses nothing a client
//   was told is safe. A checkpoint also runs every checkpoint_interval_ns and at Stop.
//   (The replay log that makes a stable call cost one log append instead of a checkpoint
//   is a later slice; `async` answers namespace changes at once, like exports(5) async.)
// - READDIR/READDIRPLUS cookies carry positions in the directory's name order; a page
//   resumes from the name it stopped at when the gateway remembers it, else by counting;
//   a cookie of an earlier start of the gateway is refused (NFS3ERR_BAD_COOKIE).
//
// Errors (Start): kInvalidArgument for a host that is not an IPv4 address; kIOError when
// the port cannot be bound. Calls answer NFS errors, mapped from
// the volume's Status::posix_errno() (NFS3ERR_IO for a store error, which is logged).
// Threads: Start and Stop from one thread; the gateway serves on a thread of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "fs/volume.h"
#include "fs/volume_host.h"
#include "gateway/nfs/nfs_export.h"
#include "store/chunk_store.h"

namespace ccow::nfs {

struct NfsOptions {
  std::string host = "127.0.0.1";  // an IPv4 address
  uint16_t port = 2049;            // 0 picks a free one
  // The path clients mount ("/" + the bucket path, e.g. /ccow/default/photos).
  std::string export_path;
  ExportRules rules;
  bool sync = true;  // namespace changes checkpointed before they are answered
  uint64_t checkpoint_interval_ns = 10'000'000'000ull;
  // What FSSTAT reports: the store's capacity. Empty: 4 TiB, all free.
  std::function<StoreCapacity()> capacity;
};

class NfsGateway {
 public:
  // Serves volume on options.host:port, each call holding its mutex (other gateways of
  // the process may serve it too: fs/volume_host.h).
  static Result<std::unique_ptr<NfsGateway>> Start(std::shared_ptr<fs::SharedVolume> volume, NfsOptions options);
  ~NfsGateway();
  NfsGateway(const NfsGateway&) = delete;
  NfsGateway& operator=(const NfsGateway&) = delete;

  uint16_t port() const;
  // Stops serving (open connections are closed) and takes the last checkpoint: its status,
  // again on later calls.
  Status Stop();

 private:
  struct State;
  explicit NfsGateway(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ccow::nfs
