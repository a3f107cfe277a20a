// The NFS gateway's insides shared by its server loop and MOUNT procedures
// (nfs_gateway.cc) and its NFSv3 procedures (nfs3_procs.cc). Not a public header.
#pragma once

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>

#include <atomic>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "gateway/nfs/nfs_gateway.h"

namespace ccow::nfs::internal {

struct Gateway {
  std::shared_ptr<fs::SharedVolume> shared;  // its mutex is held around every call
  fs::Volume& volume;
  NfsOptions options;
  uint64_t fsid = 0;
  char verifier[NFS3_WRITEVERFSIZE] = {};  // this start's write verifier
  int listen_fd = -1, wake_fd = -1;
  uint16_t port = 0;
  std::thread loop;
  std::atomic<bool> stopping{false};
  bool dirty = false;  // changed since the last checkpoint
  Status last_checkpoint;
  uint64_t next_checkpoint_ns = 0;
  // (directory ino, cookie) -> the name that cookie stopped after, for READDIR pages; the
  // serial of the last page handed out (nfs3_procs.cc ListPage).
  std::map<std::pair<fs::Ino, uint64_t>, std::string> cookies;
  uint32_t cookie_serial = 0;

  Gateway(std::shared_ptr<fs::SharedVolume> s, NfsOptions o)
      : shared(std::move(s)), volume(*shared->volume), options(std::move(o)) {}
  Status Checkpoint();
};

// The call being served: its gateway and its peer's IPv4 address (host order). Set by the
// loop around each rpc_service(), which runs the procedure callbacks (libnfs's callbacks
// take no user pointer).
struct Call {
  Gateway* gateway = nullptr;
  uint32_t peer = 0;
};
extern thread_local Call current;

// libnfs 4.0.0 decodes arguments into a buffer it does not zero, and its string and byte
// decoders write through a pointer already there: zeroed first, or they write through junk.
template <typename T, uint32_t (*F)(ZDR*, T*)>
uint32_t Decode(ZDR* zdr, void* args, ...) {
  std::memset(args, 0, sizeof(T));
  return F(zdr, static_cast<T*>(args));
}
#define CCOW_NFS_PROC(number, fn, T) \
  service_proc { number, fn, ::ccow::nfs::internal::Decode<T, zdr_##T>, static_cast<int>(sizeof(T)) }

// The caller's credentials after the export's squashing; nullopt when the call is not
// AUTH_SYS or comes from a network the export does not allow (the procedure refuses it).
std::optional<Credentials> Caller(rpc_msg* call);

extern service_proc kMountProcs[];
extern const int kMountProcCount;
extern service_proc kNfs3Procs[];
extern const int kNfs3ProcCount;

}  // namespace ccow::nfs::internal
