#define FUSE_USE_VERSION 34
#include "gateway/fuse/fuse_gateway.h"

#include <fuse_lowlevel.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ccow::fuse {

namespace {

using fs::AttrChange;
using fs::DirEntry;
using fs::FileType;
using fs::Ino;
using fs::Inode;

constexpr double kAttrTimeout = 1.0;  // the kernel's cache of attributes and names, s

struct Mount {
  Mount(std::shared_ptr<fs::SharedVolume> s, MountOptions o)
      : shared(std::move(s)), volume(*shared->volume), options(std::move(o)), mu(shared->mu) {}
  std::shared_ptr<fs::SharedVolume> shared;
  fs::Volume& volume;
  MountOptions options;
  // The volume's: one operation at a time, whichever gateway of the process asks
  // (requests, checkpoints, an S3 write).
  std::mutex& mu;
  std::condition_variable cv;
  bool stopping = false;
  Status last_checkpoint;
};

Mount& M(fuse_req_t req) { return *static_cast<Mount*>(fuse_req_userdata(req)); }

struct stat StatOf(const Inode& n) {
  struct stat st {};
  st.st_ino = n.ino;
  st.st_mode = (n.type == FileType::kDirectory ? S_IFDIR : n.type == FileType::kSymlink ? S_IFLNK : S_IFREG) |
               (n.mode & 07777);
  st.st_nlink = n.nlink;
  st.st_uid = n.uid;
  st.st_gid = n.gid;
  st.st_size = static_cast<off_t>(n.size);
  st.st_blksize = 4096;
  st.st_blocks = static_cast<blkcnt_t>((n.size + 511) / 512);
  auto ts = [](uint64_t ns) { return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)}; };
  st.st_atim = ts(n.atime_ns);
  st.st_mtim = ts(n.mtime_ns);
  st.st_ctim = ts(n.ctime_ns);
  return st;
}

void ReplyEntry(fuse_req_t req, const Result<Inode>& n) {
  if (!n.ok()) {
    fuse_reply_err(req, n.status().posix_errno());
    return;
  }
  fuse_entry_param e{};
  e.ino = n->ino;
  e.generation = n->generation;
  e.attr = StatOf(*n);
  e.attr_timeout = kAttrTimeout;
  e.entry_timeout = kAttrTimeout;
  fuse_reply_entry(req, &e);
}

void ReplyAttr(fuse_req_t req, const Result<Inode>& n) {
  if (!n.ok()) {
    fuse_reply_err(req, n.status().posix_errno());
    return;
  }
  struct stat st = StatOf(*n);
  fuse_reply_attr(req, &st, kAttrTimeout);
}

void ReplyStatus(fuse_req_t req, const Status& s) { fuse_reply_err(req, s.ok() ? 0 : s.posix_errno()); }

bool ReadOnly(fuse_req_t req) {
  if (!M(req).options.read_only) return false;
  fuse_reply_err(req, EROFS);
  return true;
}

Status CheckpointLocked(Mount& m) {
  auto r = m.volume.Checkpoint();
  if (!r.ok()) spdlog::error("ccow mount: checkpoint failed: {}", r.status().ToString());
  m.last_checkpoint = r.status();
  return r.status();
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  std::lock_guard lock(M(req).mu);
  ReplyEntry(req, M(req).volume.Lookup(parent, name));
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  std::lock_guard lock(M(req).mu);
  ReplyAttr(req, M(req).volume.GetAttr(ino));
}

void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  if (ReadOnly(req)) return;
  AttrChange c;
  if (to_set & FUSE_SET_ATTR_MODE) c.mode = attr->st_mode & 07777;
  if (to_set & FUSE_SET_ATTR_UID) c.uid = attr->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) c.gid = attr->st_gid;
  if (to_set & FUSE_SET_ATTR_SIZE) c.size = static_cast<uint64_t>(attr->st_size);
  auto ns = [](const timespec& t) { return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(t.tv_nsec); };
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  if (to_set & FUSE_SET_ATTR_ATIME) c.atime_ns = ns(attr->st_atim);
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) c.atime_ns = ns(now);
  if (to_set & FUSE_SET_ATTR_MTIME) c.mtime_ns = ns(attr->st_mtim);
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) c.mtime_ns = ns(now);
  std::lock_guard lock(M(req).mu);
  ReplyAttr(req, M(req).volume.SetAttr(ino, c));
}

void ReadLink(fuse_req_t req, fuse_ino_t ino) {
  std::lock_guard lock(M(req).mu);
  auto n = M(req).volume.GetAttr(ino);
  if (!n.ok()) return (void)fuse_reply_err(req, n.status().posix_errno());
  if (n->type != FileType::kSymlink) return (void)fuse_reply_err(req, EINVAL);
  fuse_reply_readlink(req, n->target.c_str());
}

void Mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (ReadOnly(req)) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  std::lock_guard lock(M(req).mu);
  ReplyEntry(req, M(req).volume.Mkdir(parent, name, mode & ~ctx->umask, ctx->uid, ctx->gid));
}

void Mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t) {
  if (ReadOnly(req)) return;
  if (!S_ISREG(mode)) return (void)fuse_reply_err(req, EPERM);  // no devices, fifos or sockets
  const fuse_ctx* ctx = fuse_req_ctx(req);
  std::lock_guard lock(M(req).mu);
  ReplyEntry(req, M(req).volume.Create(parent, name, mode & ~ctx->umask, ctx->uid, ctx->gid));
}

void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  if (ReadOnly(req)) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  std::lock_guard lock(M(req).mu);
  auto n = M(req).volume.Create(parent, name, mode & ~ctx->umask, ctx->uid, ctx->gid);
  if (!n.ok()) return (void)fuse_reply_err(req, n.status().posix_errno());
  fuse_entry_param e{};
  e.ino = n->ino;
  e.generation = n->generation;
  e.attr = StatOf(*n);
  e.attr_timeout = e.entry_timeout = kAttrTimeout;
  fuse_reply_create(req, &e, fi);
}

void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  if (ReadOnly(req)) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  std::lock_guard lock(M(req).mu);
  ReplyEntry(req, M(req).volume.Symlink(parent, name, target, ctx->uid, ctx->gid));
}

void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
  if (ReadOnly(req)) return;
  std::lock_guard lock(M(req).mu);
  ReplyEntry(req, M(req).volume.Link(ino, new_parent, new_name));
}

void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (ReadOnly(req)) return;
  std::lock_guard lock(M(req).mu);
  ReplyStatus(req, M(req).volume.Unlink(parent, name));
}

void Rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (ReadOnly(req)) return;
  std::lock_guard lock(M(req).mu);
  ReplyStatus(req, M(req).volume.Rmdir(parent, name));
}

void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent, const char* new_name,
            unsigned int flags) {
  if (ReadOnly(req)) return;
  if (flags != 0) return (void)fuse_reply_err(req, EINVAL);  // RENAME_NOREPLACE/EXCHANGE: not yet
  std::lock_guard lock(M(req).mu);
  ReplyStatus(req, M(req).volume.Rename(parent, name, new_parent, new_name));
}

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (M(req).options.read_only && (fi->flags & O_ACCMODE) != O_RDONLY) return (void)fuse_reply_err(req, EROFS);
  std::lock_guard lock(M(req).mu);
  auto n = M(req).volume.GetAttr(ino);
  if (!n.ok()) return (void)fuse_reply_err(req, n.status().posix_errno());
  if (n->is_dir()) return (void)fuse_reply_err(req, EISDIR);
  if (fi->flags & O_TRUNC) {
    auto t = M(req).volume.SetAttr(ino, AttrChange{.size = 0});
    if (!t.ok()) return (void)fuse_reply_err(req, t.status().posix_errno());
  }
  fuse_reply_open(req, fi);
}

void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  std::lock_guard lock(M(req).mu);
  auto data = M(req).volume.Read(ino, static_cast<uint64_t>(off), size);
  if (!data.ok()) return (void)fuse_reply_err(req, data.status().posix_errno());
  fuse_reply_buf(req, data->data(), data->size());
}

void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  if (ReadOnly(req)) return;
  std::lock_guard lock(M(req).mu);
  uint64_t at = static_cast<uint64_t>(off);
  if (fi->flags & O_APPEND) {
    auto n = M(req).volume.GetAttr(ino);
    if (!n.ok()) return (void)fuse_reply_err(req, n.status().posix_errno());
    at = n->size;
  }
  Status s = M(req).volume.Write(ino, at, std::string_view(buf, size));
  if (!s.ok()) return (void)fuse_reply_err(req, s.posix_errno());
  fuse_reply_write(req, size);
}

void Fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
  std::lock_guard lock(M(req).mu);
  ReplyStatus(req, CheckpointLocked(M(req)));
}

// A directory's entries as of its opening, with "." and "..", read by index (the
// offsets FUSE hands back).
struct Listing {
  std::vector<DirEntry> entries;
};

void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  std::lock_guard lock(M(req).mu);
  auto dir = M(req).volume.GetAttr(ino);
  if (!dir.ok()) return (void)fuse_reply_err(req, dir.status().posix_errno());
  if (!dir->is_dir()) return (void)fuse_reply_err(req, ENOTDIR);
  auto listing = std::make_unique<Listing>();
  listing->entries.push_back({".", ino, FileType::kDirectory});
  listing->entries.push_back({"..", dir->parent, FileType::kDirectory});
  Status s = M(req).volume.ReadDir(ino, "", [&](const DirEntry& e) {
    listing->entries.push_back(e);
    return true;
  });
  if (!s.ok()) return (void)fuse_reply_err(req, s.posix_errno());
  fi->fh = reinterpret_cast<uint64_t>(listing.release());
  fuse_reply_open(req, fi);
}

void ReadDir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  const Listing& l = *reinterpret_cast<const Listing*>(fi->fh);
  std::vector<char> buf(size);
  size_t used = 0;
  for (size_t i = static_cast<size_t>(off); i < l.entries.size(); ++i) {
    const DirEntry& e = l.entries[i];
    struct stat st {};
    st.st_ino = e.ino;
    st.st_mode = e.type == FileType::kDirectory ? S_IFDIR : e.type == FileType::kSymlink ? S_IFLNK : S_IFREG;
    const size_t n = fuse_add_direntry(req, buf.data() + used, size - used, e.name.c_str(), &st,
                                       static_cast<off_t>(i + 1));
    if (n > size - used) break;
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void ReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<Listing*>(fi->fh);
  fuse_reply_err(req, 0);
}

void FsyncDir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
  std::lock_guard lock(M(req).mu);
  ReplyStatus(req, CheckpointLocked(M(req)));
}

void StatFs(fuse_req_t req, fuse_ino_t) {
  struct statvfs sv {};
  sv.f_bsize = sv.f_frsize = 4096;
  sv.f_blocks = sv.f_bfree = sv.f_bavail = 1ull << 30;
  if (const auto& capacity = M(req).options.capacity) {
    // The store's (on a cluster, what the gateway's backend reports for it).
    const StoreCapacity c = capacity();
    if (c.total_bytes > 0) {
      sv.f_blocks = c.total_bytes / 4096;
      sv.f_bfree = sv.f_bavail = std::min(c.free_bytes, c.total_bytes) / 4096;
    }
  }
  sv.f_files = sv.f_ffree = 1ull << 32;
  sv.f_namemax = 255;
  fuse_reply_statfs(req, &sv);
}

// A FUSE session for m mounted on its mount point (with the process's signal handlers
// when signals: a foreground `ccow mount`).
Result<fuse_session*> MountSession(Mount& m, bool signals) {
  const MountOptions& options = m.options;
  struct stat st {};
  if (::stat(options.mount_point.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Status::InvalidArgument("mount point " + options.mount_point + " is not a directory");
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.lookup = Lookup;
    o.getattr = GetAttr;
    o.setattr = SetAttr;
    o.readlink = ReadLink;
    o.mknod = Mknod;
    o.mkdir = Mkdir;
    o.unlink = Unlink;
    o.rmdir = Rmdir;
    o.symlink = Symlink;
    o.rename = Rename;
    o.link = Link;
    o.open = Open;
    o.read = Read;
    o.write = Write;
    o.fsync = Fsync;
    o.opendir = OpenDir;
    o.readdir = ReadDir;
    o.releasedir = ReleaseDir;
    o.fsyncdir = FsyncDir;
    o.statfs = StatFs;
    o.create = Create;
    return o;
  }();
  std::vector<std::string> argv = {"ccow", "-o", "default_permissions,fsname=" + options.fs_name + ",subtype=ccow"};
  if (options.read_only) argv.back() += ",ro";
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(raw.size()), raw.data());
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, &m);
  if (!se) return Status::InvalidArgument("libfuse refused the mount options");
  if (signals && fuse_set_signal_handlers(se) != 0) {
    fuse_session_destroy(se);
    return Status::Internal("cannot install the signal handlers of the FUSE session");
  }
  if (fuse_session_mount(se, options.mount_point.c_str()) != 0) {
    if (signals) fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return Status::IOError("the kernel refused to mount " + options.mount_point + " (is /dev/fuse there?)");
  }
  return se;
}

// Serves se until it is unmounted (fusermount3 -u) or exited, checkpointing on a thread of
// its own; loop_ended (when given) runs as soon as the loop has returned, before se is
// unmounted and destroyed. Then takes the last checkpoint, whose status it returns.
Status Serve(Mount& m, fuse_session* se, bool signals, const std::function<void()>& loop_ended = {}) {
  // Checkpoints on their own thread, between requests.
  std::thread checkpoints([&m] {
    std::unique_lock lock(m.mu);
    while (!m.cv.wait_for(lock, std::chrono::nanoseconds(m.options.checkpoint_interval_ns), [&] { return m.stopping; }))
      (void)CheckpointLocked(m);
  });
  const int loop = fuse_session_loop(se);
  if (loop_ended) loop_ended();
  {
    std::lock_guard lock(m.mu);
    m.stopping = true;
  }
  m.cv.notify_all();
  checkpoints.join();
  fuse_session_unmount(se);
  if (signals) fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  std::lock_guard lock(m.mu);
  Status last = CheckpointLocked(m);
  if (loop < 0) spdlog::warn("ccow mount: the FUSE loop ended with {}", std::strerror(-loop));
  return last;
}

}  // namespace

Status Run(std::shared_ptr<fs::SharedVolume> volume, const MountOptions& options) {
  Mount m(std::move(volume), options);
  CCOW_ASSIGN_OR_RETURN(fuse_session* se, MountSession(m, true));
  return Serve(m, se, true);
}

struct BackgroundMount::State {
  State(std::shared_ptr<fs::SharedVolume> v, MountOptions o) : m(std::move(v), std::move(o)) {}
  Mount m;
  std::thread loop;
  std::mutex mu;                    // guards se while the loop runs, and result
  fuse_session* se = nullptr;       // null once the loop has returned
  bool finished = false;            // Serve returned
  Status result;
};

BackgroundMount::BackgroundMount(std::unique_ptr<State> state) : state_(std::move(state)) {}

BackgroundMount::~BackgroundMount() { (void)Stop(); }

Result<std::unique_ptr<BackgroundMount>> BackgroundMount::Start(std::shared_ptr<fs::SharedVolume> volume,
                                                                 MountOptions options) {
  auto state = std::make_unique<State>(std::move(volume), std::move(options));
  CCOW_ASSIGN_OR_RETURN(state->se, MountSession(state->m, false));
  State* s = state.get();
  std::unique_ptr<BackgroundMount> mount(new BackgroundMount(std::move(state)));
  fuse_session* se = s->se;
  s->loop = std::thread([s, se] {
    Status result = Serve(s->m, se, false, [s] {
      std::lock_guard lock(s->mu);
      s->se = nullptr;
    });
    std::lock_guard lock(s->mu);
    s->result = result;
    s->finished = true;
  });
  return mount;
}

const MountOptions& BackgroundMount::options() const { return state_->m.options; }

bool BackgroundMount::finished() const {
  std::lock_guard lock(state_->mu);
  return state_->finished;
}

Status BackgroundMount::Stop() {
  if (!state_->loop.joinable()) {
    std::lock_guard lock(state_->mu);
    return state_->result;
  }
  bool wake = false;
  {
    std::lock_guard lock(state_->mu);
    if (state_->se) {
      fuse_session_exit(state_->se);
      wake = true;
    }
  }
  if (wake) {
    // The loop waits in a read of /dev/fuse: the lookup of a name nobody uses (the kernel
    // has no entry for it cached) wakes it, and it ends once that request is answered.
    static std::atomic<uint64_t> pokes{0};
    const std::string name = options().mount_point + "/.ccow-unmount-" + std::to_string(::getpid()) + "-" +
                             std::to_string(pokes.fetch_add(1));
    struct stat st {};
    (void)::lstat(name.c_str(), &st);
    // The kernel may answer that lookup itself (a root directory this process may not
    // search, another mount over the path): then a lazy unmount ends the session, and
    // the loop's read with it.
    bool ended = false;
    for (int i = 0; i < 500 && !ended; ++i) {
      {
        std::lock_guard lock(state_->mu);
        ended = state_->se == nullptr;
      }
      if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!ended) {
      spdlog::warn("ccow mount: {} did not answer the unmount; detaching it (fusermount3 -u -z)",
                   options().mount_point);
      std::string path = options().mount_point;
      char* argv[] = {const_cast<char*>("fusermount3"), const_cast<char*>("-u"), const_cast<char*>("-z"),
                      path.data(), nullptr};
      pid_t pid = 0;
      if (::posix_spawnp(&pid, "fusermount3", nullptr, nullptr, argv, environ) == 0) (void)::waitpid(pid, nullptr, 0);
    }
  }
  state_->loop.join();
  std::lock_guard lock(state_->mu);
  return state_->result;
}

}  // namespace ccow::fuse
