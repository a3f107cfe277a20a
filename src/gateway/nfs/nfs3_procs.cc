// The NFSv3 procedures (RFC 1813 section 3) over the volume: each resolves its handles,
// checks the caller against the export and the file's mode bits, runs the volume
// operation, and answers with the attributes the protocol wants beside it (post-op
// attributes, and weak cache consistency data: the directory's size and times before and
// after a change, from which a client knows whether its cache is still good).
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <vector>

#include "gateway/nfs/nfs3_common.h"

namespace ccow::nfs::internal {

using fs::FileType;
using fs::Ino;
using fs::Inode;

namespace {
constexpr uint64_t kMaxFileSize = ~uint64_t{0} >> 1;  // FSINFO's maxfilesize: offsets never wrap
}  // namespace

nfsstat3 StatusOf(const Status& s) {
  switch (s.posix_errno()) {
    case EPERM: return NFS3ERR_PERM;
    case ENOENT: return NFS3ERR_NOENT;
    case EACCES: return NFS3ERR_ACCES;
    case EEXIST: return NFS3ERR_EXIST;
    case EXDEV: return NFS3ERR_XDEV;
    case ENOTDIR: return NFS3ERR_NOTDIR;
    case EISDIR: return NFS3ERR_ISDIR;
    case EINVAL: return NFS3ERR_INVAL;
    case EFBIG: return NFS3ERR_FBIG;
    case ENOSPC: return NFS3ERR_NOSPC;
    case EROFS: return NFS3ERR_ROFS;
    case EMLINK: return NFS3ERR_MLINK;
    case ENAMETOOLONG: return NFS3ERR_NAMETOOLONG;
    case ENOTEMPTY: return NFS3ERR_NOTEMPTY;
    default:
      spdlog::error("ccow gateway nfs: {}", s.ToString());
      return NFS3ERR_IO;
  }
}

nfstime3 TimeOf(uint64_t ns) {
  return {static_cast<u_int>(ns / 1'000'000'000), static_cast<u_int>(ns % 1'000'000'000)};
}
uint64_t NsOf(const nfstime3& t) { return uint64_t{t.seconds} * 1'000'000'000 + t.nseconds; }

void FillAttr(const Inode& n, fattr3* a) {
  *a = fattr3{};
  a->type = n.type == FileType::kDirectory ? NF3DIR : n.type == FileType::kSymlink ? NF3LNK : NF3REG;
  a->mode = n.mode & 07777;
  a->nlink = n.nlink;
  a->uid = n.uid;
  a->gid = n.gid;
  a->size = n.type == FileType::kSymlink ? n.target.size() : n.size;
  a->used = (a->size + 4095) & ~uint64_t{4095};
  a->fsid = G().fsid;
  a->fileid = n.ino;
  a->atime = TimeOf(n.atime_ns);
  a->mtime = TimeOf(n.mtime_ns);
  a->ctime = TimeOf(n.ctime_ns);
}

void PostOp(const Result<Inode>& n, post_op_attr* out) {
  *out = post_op_attr{};
  if (!n.ok()) return;
  out->attributes_follow = 1;
  FillAttr(*n, &out->post_op_attr_u.attributes);
}

// Weak cache consistency: `before` as loaded before the change, `after` loaded again.
void Wcc(const std::optional<Inode>& before, Ino ino, wcc_data* out) {
  *out = wcc_data{};
  if (before) {
    out->before.attributes_follow = 1;
    out->before.pre_op_attr_u.attributes = {before->size, TimeOf(before->mtime_ns), TimeOf(before->ctime_ns)};
  }
  PostOp(G().volume.GetAttr(ino), &out->after);
}

// A handle the caller may hold: the inode, alive and of the same generation.
Result<Inode> Resolve(const nfs_fh3& fh, nfsstat3* status) {
  auto h = FileHandle::Decode(std::string_view(fh.data.data_val, fh.data.data_len));
  if (!h) {
    *status = NFS3ERR_BADHANDLE;
    return Status::InvalidArgument("bad handle");
  }
  if (h->fsid != G().fsid) {
    *status = NFS3ERR_STALE;
    return Status::NotFound("another export's handle");
  }
  auto n = G().volume.GetAttr(h->ino);
  if (!n.ok()) {
    *status = n.status().posix_errno() == ENOENT ? NFS3ERR_STALE : StatusOf(n.status());
    return n.status();
  }
  // The root's generation is what MNT handed out; any other inode's must match.
  if (n->generation != h->generation) {
    *status = NFS3ERR_STALE;
    return Status::NotFound("a removed inode's handle");
  }
  return n;
}

void SetHandle(const Inode& n, std::string* storage, nfs_fh3* out) {
  *storage = FileHandle{G().fsid, n.ino, n.generation}.Encode();
  out->data.data_len = static_cast<u_int>(storage->size());
  out->data.data_val = storage->data();
}

// POSIX permission check of `want` (4 read, 2 write, 1 execute/search) for the caller.
bool May(const Inode& n, const Credentials& c, uint32_t want) {
  if (c.uid == 0) return (want & 1) == 0 || n.is_dir() || (n.mode & 0111) != 0;
  uint32_t bits = n.mode & 7;
  if (c.uid == n.uid) {
    bits = (n.mode >> 6) & 7;
  } else if (c.gid == n.gid || std::find(c.gids.begin(), c.gids.end(), n.gid) != c.gids.end()) {
    bits = (n.mode >> 3) & 7;
  }
  return (bits & want) == want;
}

namespace {

// Whether the caller may remove or rename away `name` of `dir` (sticky directories: only
// the owner of the entry or of the directory, or root); the entry's absence is for the
// volume call to report.
nfsstat3 MayUnlinkFrom(const Inode& dir, std::string_view name, const Credentials& c) {
  if (!(dir.mode & 01000) || c.uid == 0 || c.uid == dir.uid) return NFS3_OK;
  auto entry = G().volume.Lookup(dir.ino, name);
  if (!entry.ok()) return NFS3_OK;
  return entry->uid == c.uid ? NFS3_OK : NFS3ERR_PERM;
}

// What a changing call needs of its directory: not a read-only export, a directory, and
// write and search permission.
nfsstat3 MayChange(const Inode& dir, const Credentials& c) {
  if (G().options.rules.read_only) return NFS3ERR_ROFS;
  if (!dir.is_dir()) return NFS3ERR_NOTDIR;
  if (!May(dir, c, 3)) return NFS3ERR_ACCES;
  return NFS3_OK;
}

// After a namespace change: durable before it is answered on a `sync` export.
nfsstat3 Changed() {
  G().dirty = true;
  if (!G().options.sync) return NFS3_OK;
  return G().Checkpoint().ok() ? NFS3_OK : NFS3ERR_IO;
}

// The attributes a client asks a new file or a SETATTR to have.
fs::AttrChange ChangeOf(const sattr3& s, uint64_t now_ns) {
  fs::AttrChange c;
  if (s.mode.set_it) c.mode = s.mode.set_mode3_u.mode & 07777;
  if (s.uid.set_it) c.uid = s.uid.set_uid3_u.uid;
  if (s.gid.set_it) c.gid = s.gid.set_gid3_u.gid;
  if (s.size.set_it) c.size = s.size.set_size3_u.size;
  if (s.atime.set_it == SET_TO_SERVER_TIME) c.atime_ns = now_ns;
  if (s.atime.set_it == SET_TO_CLIENT_TIME) c.atime_ns = NsOf(s.atime.set_atime_u.atime);
  if (s.mtime.set_it == SET_TO_SERVER_TIME) c.mtime_ns = now_ns;
  if (s.mtime.set_it == SET_TO_CLIENT_TIME) c.mtime_ns = NsOf(s.mtime.set_mtime_u.mtime);
  return c;
}

uint64_t WallNs() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(t.tv_nsec);
}

// Whether the caller may make change c to n (chown(2)/chmod(2)/utimes(2)/truncate(2) rules).
nfsstat3 MaySetAttr(const Inode& n, const Credentials& c, const fs::AttrChange& change, const sattr3& s) {
  const bool owner = c.uid == 0 || c.uid == n.uid;
  if (change.uid && *change.uid != n.uid && c.uid != 0) return NFS3ERR_PERM;
  if (change.gid && *change.gid != n.gid && c.uid != 0) {
    const bool member = *change.gid == c.gid || std::find(c.gids.begin(), c.gids.end(), *change.gid) != c.gids.end();
    if (c.uid != n.uid || !member) return NFS3ERR_PERM;
  }
  if (change.mode && !owner) return NFS3ERR_PERM;
  const bool explicit_times = s.atime.set_it == SET_TO_CLIENT_TIME || s.mtime.set_it == SET_TO_CLIENT_TIME;
  if ((change.atime_ns || change.mtime_ns) && !owner) {
    if (explicit_times) return NFS3ERR_PERM;  // utimes(2): only the owner sets given times
    if (!May(n, c, 2)) return NFS3ERR_ACCES;
  }
  if (change.size) {
    if (n.is_dir()) return NFS3ERR_ISDIR;
    if (*change.size > kMaxFileSize) return NFS3ERR_FBIG;
    if (!owner && !May(n, c, 2)) return NFS3ERR_ACCES;
  }
  return NFS3_OK;
}

int Null(rpc_context* rpc, rpc_msg* call) { return rpc_send_reply(rpc, call, nullptr, (zdrproc_t)zdr_void, 0); }

int GetAttr(rpc_context* rpc, rpc_msg* call) {
  GETATTR3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto n = Resolve(Args<GETATTR3args>(call).object, &res.status);
  if (n.ok()) FillAttr(*n, &res.GETATTR3res_u.resok.obj_attributes);
  return Reply(rpc, call, &res);
}

int SetAttr(rpc_context* rpc, rpc_msg* call) {
  SETATTR3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto& a = Args<SETATTR3args>(call);
  auto n = Resolve(a.object, &res.status);
  if (!n.ok()) return Reply(rpc, call, &res);
  const fs::AttrChange change = ChangeOf(a.new_attributes, WallNs());
  if (G().options.rules.read_only) {
    res.status = NFS3ERR_ROFS;
  } else if (a.guard.check && NsOf(a.guard.sattrguard3_u.obj_ctime) != n->ctime_ns) {
    res.status = NFS3ERR_NOT_SYNC;
  } else if ((res.status = MaySetAttr(*n, *who, change, a.new_attributes)) == NFS3_OK) {
    auto done = G().volume.SetAttr(n->ino, change);
    res.status = done.ok() ? Changed() : StatusOf(done.status());
  }
  Wcc(*n, n->ino, &res.SETATTR3res_u.resok.obj_wcc);  // resfail has the same layout
  return Reply(rpc, call, &res);
}

int Lookup(rpc_context* rpc, rpc_msg* call) {
  LOOKUP3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto& a = Args<LOOKUP3args>(call);
  auto dir = Resolve(a.what.dir, &res.status);
  if (!dir.ok()) return Reply(rpc, call, &res);
  std::string name = a.what.name ? a.what.name : "";
  std::string handle;
  Result<Inode> found = Status::Posix(ENOENT, "");
  if (!dir->is_dir()) {
    res.status = NFS3ERR_NOTDIR;
  } else if (!May(*dir, *who, 1)) {
    res.status = NFS3ERR_ACCES;
  } else {
    if (name == "." || name.empty()) found = *dir;
    else if (name == "..") found = G().volume.GetAttr(dir->ino == fs::kRootIno ? fs::kRootIno : dir->parent);
    else found = G().volume.Lookup(dir->ino, name);
    if (!found.ok()) {
      res.status = StatusOf(found.status());
    } else {
      SetHandle(*found, &handle, &res.LOOKUP3res_u.resok.object);
      PostOp(found, &res.LOOKUP3res_u.resok.obj_attributes);
    }
  }
  post_op_attr* dir_attributes = res.status == NFS3_OK ? &res.LOOKUP3res_u.resok.dir_attributes
                                                        : &res.LOOKUP3res_u.resfail.dir_attributes;
  PostOp(dir, dir_attributes);
  return Reply(rpc, call, &res);
}

int Access(rpc_context* rpc, rpc_msg* call) {
  ACCESS3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto& a = Args<ACCESS3args>(call);
  auto n = Resolve(a.object, &res.status);
  if (!n.ok()) return Reply(rpc, call, &res);
  const bool ro = G().options.rules.read_only;
  uint32_t granted = 0;
  if (May(*n, *who, 4)) granted |= ACCESS3_READ;
  if (!ro && May(*n, *who, 2)) granted |= n->is_dir() ? ACCESS3_MODIFY | ACCESS3_EXTEND | ACCESS3_DELETE
                                                      : ACCESS3_MODIFY | ACCESS3_EXTEND;
  if (May(*n, *who, 1)) granted |= n->is_dir() ? ACCESS3_LOOKUP : ACCESS3_EXECUTE;
  res.ACCESS3res_u.resok.access = a.access & granted;
  PostOp(n, &res.ACCESS3res_u.resok.obj_attributes);
  return Reply(rpc, call, &res);
}

int ReadLink(rpc_context* rpc, rpc_msg* call) {
  READLINK3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto n = Resolve(Args<READLINK3args>(call).symlink, &res.status);
  if (!n.ok()) return Reply(rpc, call, &res);
  std::string target = n->target;
  if (n->type != FileType::kSymlink) {
    res.status = NFS3ERR_INVAL;
  } else {
    res.READLINK3res_u.resok.data = target.data();
  }
  PostOp(n, &res.READLINK3res_u.resok.symlink_attributes);
  return Reply(rpc, call, &res, static_cast<int>(target.size()));
}

int Read(rpc_context* rpc, rpc_msg* call) {
  READ3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto& a = Args<READ3args>(call);
  const uint32_t count = std::min(a.count, kMaxIo);
  auto n = Resolve(a.file, &res.status);
  if (!n.ok()) return Reply(rpc, call, &res);
  std::string data;
  if (n->is_dir()) {
    res.status = NFS3ERR_ISDIR;
  } else if (n->type != FileType::kFile) {
    res.status = NFS3ERR_INVAL;
  } else if (who->uid != n->uid && !May(*n, *who, 4)) {  // the owner reads what it opened
    res.status = NFS3ERR_ACCES;
  } else {
    auto got = G().volume.Read(n->ino, a.offset, count);
    if (!got.ok()) {
      res.status = StatusOf(got.status());
    } else {
      data = std::move(*got);
      auto& ok = res.READ3res_u.resok;
      ok.count = static_cast<count3>(data.size());
      ok.eof = a.offset + data.size() >= n->size;
      ok.data.data_len = static_cast<u_int>(data.size());
      ok.data.data_val = data.data();
    }
  }
  PostOp(n, &res.READ3res_u.resok.file_attributes);
  return Reply(rpc, call, &res, static_cast<int>(data.size()));
}

int Write(rpc_context* rpc, rpc_msg* call) {
  WRITE3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto& a = Args<WRITE3args>(call);
  auto n = Resolve(a.file, &res.status);
  if (!n.ok()) return Reply(rpc, call, &res);
  const std::optional<Inode> before = *n;
  if (G().options.rules.read_only) {
    res.status = NFS3ERR_ROFS;
  } else if (n->is_dir()) {
    res.status = NFS3ERR_ISDIR;
  } else if (n->type != FileType::kFile || a.count > kMaxIo || a.data.data_len != a.count) {
    // libnfs 4.0.0's byte decoder lets a data_len past the request through: only a count
    // within wtmax that equals the bytes received is written.
    res.status = NFS3ERR_INVAL;
  } else if (a.offset > kMaxFileSize || a.count > kMaxFileSize - a.offset) {
    res.status = NFS3ERR_FBIG;
  } else if (who->uid != n->uid && !May(*n, *who, 2)) {  // the owner writes what it opened
    res.status = NFS3ERR_ACCES;
  } else {
    Status s = G().volume.Write(n->ino, a.offset, std::string_view(a.data.data_val, a.count));
    if (!s.ok()) {
      res.status = StatusOf(s);
    } else {
      G().dirty = true;
      auto& ok = res.WRITE3res_u.resok;
      ok.count = a.count;
      ok.committed = UNSTABLE;
      if (a.stable != UNSTABLE) {
        if (G().Checkpoint().ok()) ok.committed = FILE_SYNC;
        else res.status = NFS3ERR_IO;
      }
      std::memcpy(ok.verf, G().verifier, sizeof ok.verf);
    }
  }
  Wcc(before, n->ino, &res.WRITE3res_u.resok.file_wcc);
  return Reply(rpc, call, &res);
}

// CREATE, MKDIR and SYMLINK: resolve and check the directory, make the node, answer it
// with its handle and the directory's wcc data. make() answers the new inode.
template <typename R, typename Resok>
int MakeNode(rpc_context* rpc, rpc_msg* call, R* res, Resok* ok, wcc_data* fail_wcc, nfsstat3* status,
             const diropargs3& where,
             const std::function<Result<Inode>(const Inode& dir, const Credentials& who)>& make) {
  auto who = Caller(call);
  if (!who) {
    *status = NFS3ERR_ACCES;
    return Reply(rpc, call, res);
  }
  auto dir = Resolve(where.dir, status);
  if (!dir.ok()) return Reply(rpc, call, res);
  std::string handle;
  if ((*status = MayChange(*dir, *who)) == NFS3_OK) {
    auto made = make(*dir, *who);
    if (!made.ok()) {
      *status = StatusOf(made.status());
    } else if ((*status = Changed()) == NFS3_OK) {
      ok->obj.handle_follows = 1;
      SetHandle(*made, &handle, &ok->obj.post_op_fh3_u.handle);
      PostOp(made, &ok->obj_attributes);
    }
  }
  // A failure's wcc data is the whole of resfail, where resok's obj begins.
  Wcc(*dir, dir->ino, *status == NFS3_OK ? &ok->dir_wcc : fail_wcc);
  return Reply(rpc, call, res);
}

int Create(rpc_context* rpc, rpc_msg* call) {
  CREATE3res res{};
  auto& a = Args<CREATE3args>(call);
  const std::string name = a.where.name ? a.where.name : "";
  auto make = [&](const Inode& dir, const Credentials& who) -> Result<Inode> {
    const createmode3 how = a.how.mode;
    const sattr3* attributes = how == EXCLUSIVE ? nullptr : &a.how.createhow3_u.obj_attributes;
    const uint32_t mode = attributes && attributes->mode.set_it ? attributes->mode.set_mode3_u.mode & 07777 : 0644;
    // EXCLUSIVE: the verifier is kept as the new file's times, so that a retransmitted
    // create finds its own file (RFC 1813 3.3.8); the client sets real times next.
    uint64_t verifier_ns = 0;
    if (how == EXCLUSIVE) {
      uint32_t halves[2];
      std::memcpy(halves, a.how.createhow3_u.verf, sizeof halves);
      verifier_ns = uint64_t{halves[0] % 2'000'000'000u} * 1'000'000'000 + halves[1] % 1'000'000'000u;
    }
    auto made = G().volume.Create(dir.ino, name, mode, who.uid, who.gid);
    if (!made.ok() && made.status().posix_errno() == EEXIST && how != GUARDED) {
      auto existing = G().volume.Lookup(dir.ino, name);
      if (!existing.ok()) return existing.status();
      if (existing->type != FileType::kFile) return Status::Posix(EEXIST, name);
      if (how == EXCLUSIVE)
        return existing->mtime_ns == verifier_ns && existing->atime_ns == verifier_ns
                   ? existing
                   : Result<Inode>(Status::Posix(EEXIST, name));
      // UNCHECKED: the file as it is, its size set if asked, as a SETATTR of it would be.
      if (attributes) {
        fs::AttrChange on_existing = ChangeOf(*attributes, WallNs());
        on_existing.mode.reset();
        if (const nfsstat3 may = MaySetAttr(*existing, who, on_existing, *attributes); may != NFS3_OK)
          return Status::Posix(may == NFS3ERR_ACCES ? EACCES : may == NFS3ERR_FBIG ? EFBIG : EPERM, name);
      }
      made = existing;
    }
    if (!made.ok()) return made;
    fs::AttrChange change = attributes ? ChangeOf(*attributes, WallNs()) : fs::AttrChange{};
    change.mode.reset();  // given at creation
    if (who.uid != 0) change.uid.reset(), change.gid.reset();
    if (how == EXCLUSIVE) change.atime_ns = change.mtime_ns = verifier_ns;
    if (change.uid || change.gid || change.size || change.atime_ns || change.mtime_ns)
      return G().volume.SetAttr(made->ino, change);
    return made;
  };
  return MakeNode(rpc, call, &res, &res.CREATE3res_u.resok, &res.CREATE3res_u.resfail.dir_wcc, &res.status,
                  a.where, make);
}

int Mkdir(rpc_context* rpc, rpc_msg* call) {
  MKDIR3res res{};
  auto& a = Args<MKDIR3args>(call);
  const std::string name = a.where.name ? a.where.name : "";
  auto make = [&](const Inode& dir, const Credentials& who) -> Result<Inode> {
    const uint32_t mode = a.attributes.mode.set_it ? a.attributes.mode.set_mode3_u.mode & 07777 : 0755;
    return G().volume.Mkdir(dir.ino, name, mode, who.uid, who.gid);
  };
  return MakeNode(rpc, call, &res, &res.MKDIR3res_u.resok, &res.MKDIR3res_u.resfail.dir_wcc, &res.status,
                  a.where, make);
}

int Symlink(rpc_context* rpc, rpc_msg* call) {
  SYMLINK3res res{};
  auto& a = Args<SYMLINK3args>(call);
  const std::string name = a.where.name ? a.where.name : "";
  const std::string target = a.symlink.symlink_data ? a.symlink.symlink_data : "";
  auto make = [&](const Inode& dir, const Credentials& who) -> Result<Inode> {
    if (target.empty() || target.size() > 4096) return Status::Posix(EINVAL, "symlink target");
    return G().volume.Symlink(dir.ino, name, target, who.uid, who.gid);
  };
  return MakeNode(rpc, call, &res, &res.SYMLINK3res_u.resok, &res.SYMLINK3res_u.resfail.dir_wcc, &res.status,
                  a.where, make);
}

// REMOVE and RMDIR: the same but for the volume call.
template <typename R>
int RemoveName(rpc_context* rpc, rpc_msg* call, R* res, nfsstat3* status, wcc_data* dir_wcc,
               const diropargs3& what, bool directory) {
  auto who = Caller(call);
  if (!who) {
    *status = NFS3ERR_ACCES;
    return Reply(rpc, call, res);
  }
  auto dir = Resolve(what.dir, status);
  if (!dir.ok()) return Reply(rpc, call, res);
  const std::string name = what.name ? what.name : "";
  if ((*status = MayChange(*dir, *who)) == NFS3_OK && (*status = MayUnlinkFrom(*dir, name, *who)) == NFS3_OK) {
    Status s = directory ? G().volume.Rmdir(dir->ino, name) : G().volume.Unlink(dir->ino, name);
    *status = s.ok() ? Changed() : StatusOf(s);
  }
  Wcc(*dir, dir->ino, dir_wcc);
  return Reply(rpc, call, res);
}

int Remove(rpc_context* rpc, rpc_msg* call) {
  REMOVE3res res{};
  return RemoveName(rpc, call, &res, &res.status, &res.REMOVE3res_u.resok.dir_wcc, Args<REMOVE3args>(call).object,
                    false);
}

int Rmdir(rpc_context* rpc, rpc_msg* call) {
  RMDIR3res res{};
  return RemoveName(rpc, call, &res, &res.status, &res.RMDIR3res_u.resok.dir_wcc, Args<RMDIR3args>(call).object,
                    true);
}

int Rename(rpc_context* rpc, rpc_msg* call) {
  RENAME3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto& a = Args<RENAME3args>(call);
  auto from = Resolve(a.from.dir, &res.status);
  if (!from.ok()) return Reply(rpc, call, &res);
  auto to = Resolve(a.to.dir, &res.status);
  if (!to.ok()) return Reply(rpc, call, &res);
  const std::string from_name = a.from.name ? a.from.name : "", to_name = a.to.name ? a.to.name : "";
  if ((res.status = MayChange(*from, *who)) == NFS3_OK && (res.status = MayChange(*to, *who)) == NFS3_OK &&
      (res.status = MayUnlinkFrom(*from, from_name, *who)) == NFS3_OK &&
      (res.status = MayUnlinkFrom(*to, to_name, *who)) == NFS3_OK) {
    Status s = G().volume.Rename(from->ino, from_name, to->ino, to_name);
    res.status = s.ok() ? Changed() : StatusOf(s);
  }
  Wcc(*from, from->ino, &res.RENAME3res_u.resok.fromdir_wcc);
  Wcc(*to, to->ino, &res.RENAME3res_u.resok.todir_wcc);
  return Reply(rpc, call, &res);
}

int Link(rpc_context* rpc, rpc_msg* call) {
  LINK3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto& a = Args<LINK3args>(call);
  auto file = Resolve(a.file, &res.status);
  if (!file.ok()) return Reply(rpc, call, &res);
  auto dir = Resolve(a.link.dir, &res.status);
  if (!dir.ok()) return Reply(rpc, call, &res);
  if ((res.status = MayChange(*dir, *who)) == NFS3_OK) {
    auto linked = G().volume.Link(file->ino, dir->ino, a.link.name ? a.link.name : "");
    res.status = linked.ok() ? Changed() : StatusOf(linked.status());
  }
  PostOp(G().volume.GetAttr(file->ino), &res.LINK3res_u.resok.file_attributes);
  Wcc(*dir, dir->ino, &res.LINK3res_u.resok.linkdir_wcc);
  return Reply(rpc, call, &res);
}

int FsStat(rpc_context* rpc, rpc_msg* call) {
  FSSTAT3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto root = Resolve(Args<FSSTAT3args>(call).fsroot, &res.status);
  if (!root.ok()) return Reply(rpc, call, &res);
  auto& ok = res.FSSTAT3res_u.resok;
  ok.tbytes = 4ull << 40;
  ok.fbytes = ok.abytes = ok.tbytes;
  if (G().options.capacity) {
    const StoreCapacity c = G().options.capacity();
    if (c.total_bytes > 0) {
      ok.tbytes = c.total_bytes;
      ok.fbytes = ok.abytes = std::min(c.free_bytes, c.total_bytes);
    }
  }
  ok.tfiles = ok.ffiles = ok.afiles = 1ull << 32;
  PostOp(root, &ok.obj_attributes);
  return Reply(rpc, call, &res);
}

int FsInfo(rpc_context* rpc, rpc_msg* call) {
  FSINFO3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto root = Resolve(Args<FSINFO3args>(call).fsroot, &res.status);
  if (!root.ok()) return Reply(rpc, call, &res);
  auto& ok = res.FSINFO3res_u.resok;
  ok.rtmax = ok.rtpref = ok.wtmax = ok.wtpref = kMaxIo;
  ok.rtmult = ok.wtmult = 4096;
  ok.dtpref = 64 << 10;
  ok.maxfilesize = kMaxFileSize;
  ok.time_delta = {0, 1};
  ok.properties = FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME;
  PostOp(root, &ok.obj_attributes);
  return Reply(rpc, call, &res);
}

int PathConf(rpc_context* rpc, rpc_msg* call) {
  PATHCONF3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto n = Resolve(Args<PATHCONF3args>(call).object, &res.status);
  if (!n.ok()) return Reply(rpc, call, &res);
  auto& ok = res.PATHCONF3res_u.resok;
  ok.linkmax = 65000;
  ok.name_max = 255;
  ok.no_trunc = 1;
  ok.chown_restricted = 1;
  ok.case_insensitive = 0;
  ok.case_preserving = 1;
  PostOp(n, &ok.obj_attributes);
  return Reply(rpc, call, &res);
}

int Commit(rpc_context* rpc, rpc_msg* call) {
  COMMIT3res res{};
  CCOW_NFS_CALLER_OR(res.status);
  auto n = Resolve(Args<COMMIT3args>(call).file, &res.status);
  if (!n.ok()) return Reply(rpc, call, &res);
  // One checkpoint makes every write of the volume so far durable, not just this file's.
  if (G().dirty && !G().Checkpoint().ok()) res.status = NFS3ERR_IO;
  std::memcpy(res.COMMIT3res_u.resok.verf, G().verifier, sizeof res.COMMIT3res_u.resok.verf);
  Wcc(*n, n->ino, &res.COMMIT3res_u.resok.file_wcc);
  return Reply(rpc, call, &res);
}

}  // namespace

service_proc kNfs3Procs[] = {
    {NFS3_NULL, Null, (zdrproc_t)zdr_void, 0},
    CCOW_NFS_PROC(NFS3_GETATTR, GetAttr, GETATTR3args),
    CCOW_NFS_PROC(NFS3_SETATTR, SetAttr, SETATTR3args),
    CCOW_NFS_PROC(NFS3_LOOKUP, Lookup, LOOKUP3args),
    CCOW_NFS_PROC(NFS3_ACCESS, Access, ACCESS3args),
    CCOW_NFS_PROC(NFS3_READLINK, ReadLink, READLINK3args),
    CCOW_NFS_PROC(NFS3_READ, Read, READ3args),
    CCOW_NFS_PROC(NFS3_WRITE, Write, WRITE3args),
    CCOW_NFS_PROC(NFS3_CREATE, Create, CREATE3args),
    CCOW_NFS_PROC(NFS3_MKDIR, Mkdir, MKDIR3args),
    CCOW_NFS_PROC(NFS3_SYMLINK, Symlink, SYMLINK3args),
    CCOW_NFS_PROC(NFS3_REMOVE, Remove, REMOVE3args),
    CCOW_NFS_PROC(NFS3_RMDIR, Rmdir, RMDIR3args),
    CCOW_NFS_PROC(NFS3_RENAME, Rename, RENAME3args),
    CCOW_NFS_PROC(NFS3_LINK, Link, LINK3args),
    CCOW_NFS_PROC(NFS3_READDIR, ReadDir, READDIR3args),
    CCOW_NFS_PROC(NFS3_READDIRPLUS, ReadDirPlus, READDIRPLUS3args),
    CCOW_NFS_PROC(NFS3_FSSTAT, FsStat, FSSTAT3args),
    CCOW_NFS_PROC(NFS3_FSINFO, FsInfo, FSINFO3args),
    CCOW_NFS_PROC(NFS3_PATHCONF, PathConf, PATHCONF3args),
    CCOW_NFS_PROC(NFS3_COMMIT, Commit, COMMIT3args),
};
const int kNfs3ProcCount = sizeof kNfs3Procs / sizeof kNfs3Procs[0];

}  // namespace ccow::nfs::internal
