// What the NFSv3 procedures share (nfs3_procs.cc defines the functions; nfs3_readdir.cc
// uses them): the call's gateway, Status to nfsstat3, attributes, handles, the mode-bit
// check, and how a result is replied with its size hint. Not a public header.
#pragma once

#include <string>

#include "gateway/nfs/nfs_gateway_impl.h"

namespace ccow::nfs::internal {

constexpr uint32_t kMaxIo = 1 << 20;  // rtmax/wtmax: libnfs takes requests of up to 1 MiB + 4 KiB

inline Gateway& G() { return *current.gateway; }
// The NFS status of a volume's refusal (its posix_errno()); NFS3ERR_IO, logged, for others.
nfsstat3 StatusOf(const Status& s);
nfstime3 TimeOf(uint64_t ns);
void FillAttr(const fs::Inode& n, fattr3* a);
void PostOp(const Result<fs::Inode>& n, post_op_attr* out);
// A handle the caller may hold: the inode, alive and of the same generation; else the
// status to answer (BADHANDLE, STALE, or the store's error).
Result<fs::Inode> Resolve(const nfs_fh3& fh, nfsstat3* status);
// n's handle, kept in *storage (which must outlive the reply), set in *out.
void SetHandle(const fs::Inode& n, std::string* storage, nfs_fh3* out);
// POSIX permission check of `want` (4 read, 2 write, 1 execute/search) for the caller.
bool May(const fs::Inode& n, const Credentials& c, uint32_t want);

int ReadDir(rpc_context* rpc, rpc_msg* call);      // nfs3_readdir.cc
int ReadDirPlus(rpc_context* rpc, rpc_msg* call);  // nfs3_readdir.cc

// In a procedure with a result `res`: the caller's credentials as `who`, or the reply
// NFS3ERR_ACCES (an address or credentials the export does not take).
#define CCOW_NFS_CALLER_OR(status_field)              \
  auto who = Caller(call);                   \
  if (!who) {                                \
    status_field = NFS3ERR_ACCES;            \
    return Reply(rpc, call, &res);           \
  }

template <typename R>
struct Codec;
#define CCOW_NFS_CODEC(R, hint) \
  template <>                   \
  struct Codec<R> {             \
    static zdrproc_t fn() { return (zdrproc_t)zdr_##R; } \
    static int size() { return hint; } \
  };
CCOW_NFS_CODEC(GETATTR3res, 512)
CCOW_NFS_CODEC(SETATTR3res, 512)
CCOW_NFS_CODEC(LOOKUP3res, 1024)
CCOW_NFS_CODEC(ACCESS3res, 512)
CCOW_NFS_CODEC(READLINK3res, 5120)
CCOW_NFS_CODEC(CREATE3res, 1024)
CCOW_NFS_CODEC(MKDIR3res, 1024)
CCOW_NFS_CODEC(SYMLINK3res, 1024)
CCOW_NFS_CODEC(REMOVE3res, 512)
CCOW_NFS_CODEC(RMDIR3res, 512)
CCOW_NFS_CODEC(RENAME3res, 1024)
CCOW_NFS_CODEC(LINK3res, 1024)
CCOW_NFS_CODEC(FSSTAT3res, 512)
CCOW_NFS_CODEC(FSINFO3res, 512)
CCOW_NFS_CODEC(PATHCONF3res, 512)
CCOW_NFS_CODEC(COMMIT3res, 512)
CCOW_NFS_CODEC(WRITE3res, 512)
CCOW_NFS_CODEC(READ3res, 1024)         // + the bytes read
CCOW_NFS_CODEC(READDIR3res, 1024)      // + the entries, within the client's count
CCOW_NFS_CODEC(READDIRPLUS3res, 1024)  // + the entries, within the client's maxcount

template <typename R>
int Reply(rpc_context* rpc, rpc_msg* call, R* res, int extra = 0) {
  // A reply that does not fit its buffer is not sent and libnfs closes the connection: the
  // hints are sized from the largest reply of each procedure.
  return rpc_send_reply(rpc, call, res, Codec<R>::fn(), Codec<R>::size() + extra);
}

template <typename A>
A& Args(rpc_msg* call) {
  return *static_cast<A*>(call->body.cbody.args);
}


}  // namespace ccow::nfs::internal
