#include "fs/volume.h"

#include <cerrno>
#include <chrono>

#include "core/hash.h"
#include "fs/file_block.h"
#include "model/object_name.h"
#include "model/version_manifest.h"
#include "model/encoding.h"

namespace ccow::fs {

namespace {

// The home version's user metadata that names the checkpoint's root node.
constexpr char kRootMeta[] = "x-amz-meta-ccow-fs-root";
constexpr size_t kMaxName = 255;
const std::string kSuperKey = "S";

void PutBE(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetBE(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}
std::string InodeKey(Ino ino) {
  std::string k = "I";
  PutBE(&k, ino);
  return k;
}
std::string DirPrefix(Ino parent) {
  std::string k = "D";
  PutBE(&k, parent);
  return k;
}
std::string EntryKey(Ino parent, std::string_view name) { return DirPrefix(parent).append(name); }
std::string DataPrefix(Ino ino) {
  std::string k = "X";
  PutBE(&k, ino);
  return k;
}
std::string BlockKey(Ino ino, uint64_t block) {
  std::string k = DataPrefix(ino);
  PutBE(&k, block);
  return k;
}
// A block laid over by more pieces than this is rewritten as one chunk.
constexpr size_t kMaxPieces = 32;
std::string EntryValue(Ino child, FileType type) {
  std::string v;
  PutBE(&v, child);
  v.push_back(static_cast<char>(type));
  return v;
}

Status CheckName(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos)
    return Status::Posix(EINVAL, "'" + std::string(name) + "' is not a name of a directory entry");
  if (name.size() > kMaxName)
    return Status::Posix(ENAMETOOLONG, "a name of " + std::to_string(name.size()) + " bytes (at most 255)");
  return Status::OK();
}
}  // namespace

Volume::Volume(ObjectApi& api, std::string home, std::unique_ptr<CowBtree> tree, VolumeOptions options)
    : api_(api), home_(std::move(home)), tree_(std::move(tree)), options_(std::move(options)) {}

Volume::~Volume() = default;

uint64_t Volume::Now() const {
  if (options_.clock) return options_.clock();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void Volume::BeginChange() {
  if (!scope_) {
    scope_ = std::make_unique<ObjectApi::WriteScope>(&api_);
    fence_.Reset();
  }
}

Result<std::string> Volume::HomeOf(const std::string& bucket_path) {
  const size_t a = bucket_path.find('/'), b = a == std::string::npos ? a : bucket_path.find('/', a + 1);
  if (b == std::string::npos || bucket_path.find('/', b + 1) != std::string::npos || b + 1 >= bucket_path.size())
    return Status::InvalidArgument("'" + bucket_path + "' is not SEGMENT/TENANT/BUCKET");
  return bucket_path.substr(0, b) + "/.fs/" + bucket_path.substr(b + 1);
}

Result<std::unique_ptr<Volume>> Volume::Open(ObjectApi& api, const std::string& home, VolumeOptions options) {
  // The data chunks each record references, for the shadow manifests.
  const uint64_t block_bytes = options.block_bytes;
  options.btree.value_chunks = [block_bytes](std::string_view key, std::string_view value,
                                             std::vector<std::pair<Chid, uint64_t>>* chunks) {
    if (key.empty() || key[0] != 'X') return;
    auto b = FileBlock::Decode(value, block_bytes);
    if (!b.ok()) return;  // a damaged record reads as such; it references nothing here
    for (const auto& p : b->pieces) chunks->push_back({p.chid, p.chunk_length});
  };
  auto vm = api.Stat(home, {});
  if (!vm.ok() && !vm.status().IsNotFound()) return vm.status().WithContext("volume home " + home);
  if (vm.ok() && !(vm->flags & VersionManifest::kFlagDeleteMarker)) {
    auto it = vm->user_metadata.find(kRootMeta);
    if (it == vm->user_metadata.end()) return Status::Corruption("object " + home + " is not a volume's home");
    CCOW_ASSIGN_OR_RETURN(Chid root, HashId::Parse(it->second));
    CCOW_ASSIGN_OR_RETURN(auto tree, CowBtree::Open(api.backend(), root, options.btree));
    std::unique_ptr<Volume> v(new Volume(api, home, std::move(tree), std::move(options)));
    v->base_ = vm->vm_chid;
    CCOW_ASSIGN_OR_RETURN(auto super, v->tree_->Get(kSuperKey));
    if (!super || super->size() != 8) return Status::Corruption("volume " + home + " has no superblock");
    return v;
  }
  CCOW_ASSIGN_OR_RETURN(auto tree, CowBtree::Open(api.backend(), std::nullopt, options.btree));
  std::unique_ptr<Volume> v(new Volume(api, home, std::move(tree), std::move(options)));
  v->BeginChange();
  Inode root;
  root.ino = kRootIno;
  root.type = FileType::kDirectory;
  root.mode = 0755;
  root.uid = v->options_.root_uid;
  root.gid = v->options_.root_gid;
  root.nlink = 2;
  root.parent = kRootIno;
  root.atime_ns = root.mtime_ns = root.ctime_ns = v->Now();
  root.generation = 1;
  CCOW_RETURN_IF_ERROR(v->Store(root));
  std::string next;
  PutBE(&next, kRootIno + 1);
  CCOW_RETURN_IF_ERROR(v->tree_->Put(kSuperKey, next));
  return v;
}

Result<BtreeRoot> Volume::Checkpoint() {
  const bool changed = tree_->dirty();
  CCOW_ASSIGN_OR_RETURN(BtreeRoot root, tree_->Commit(&fence_));
  if (changed || scope_) {
    // Over the version this volume continues from, and only that one: another mount of
    // the volume that checkpointed meanwhile is not overwritten (nor it by this one).
    auto commit = [&]() {
      WriteCondition over;
      if (base_)
        over.current_vm = *base_;
      else
        over.must_not_exist = true;
      return api_.PutTree(home_, ChunkRef{0, root.shadow_bytes, ChunkKind::kChunkManifest, root.shadow},
                          "application/x-ccow-volume", {{kRootMeta, root.node.ToString()}}, &fence_,
                          over);
    };
    auto committed = commit();
    if (committed.status().code() == Code::kFailedPrecondition && unanswered_) {
      // The home may hold a checkpoint of this mount whose commit answered an error (a
      // cluster's timeout) though it landed: this mount continues from it.
      auto now = api_.Stat(home_, {});
      if (now.ok()) {
        auto it = now->user_metadata.find(kRootMeta);
        if (it != now->user_metadata.end() && it->second == unanswered_->ToString()) {
          base_ = now->vm_chid;
          committed = it->second == root.node.ToString() ? Result<ObjectInfo>(*now) : commit();
        }
      }
    }
    if (committed.status().code() == Code::kFailedPrecondition)
      return Status::FailedPrecondition("volume " + home_ + " was checkpointed by another mount since this one " +
                                        "opened it (a volume is mounted once at a time): the changes made here since " +
                                        "the last checkpoint cannot be kept; unmount and mount again (" +
                                        committed.status().message() + ")");
    if (!committed.ok()) {
      unanswered_ = root.node;
      return committed.status().WithContext("checkpoint of volume " + home_);
    }
    unanswered_.reset();
    base_ = committed->vm_chid;
  }
  scope_.reset();  // what it put is referenced by the home's version now
  return root;
}

Result<Inode> Volume::Load(Ino ino) {
  CCOW_ASSIGN_OR_RETURN(auto bytes, tree_->Get(InodeKey(ino)));
  if (!bytes) return Status::Posix(ENOENT, "no inode " + std::to_string(ino));
  auto n = Inode::Decode(*bytes);
  if (!n.ok()) return n.status().WithContext("inode " + std::to_string(ino));
  if (n->ino != ino) return Status::Corruption("inode record " + std::to_string(ino) + " names inode " + std::to_string(n->ino));
  return n;
}

Result<Inode> Volume::LoadDir(Ino ino) {
  CCOW_ASSIGN_OR_RETURN(Inode n, Load(ino));
  if (!n.is_dir()) return Status::Posix(ENOTDIR, "inode " + std::to_string(ino) + " is not a directory");
  return n;
}

Status Volume::Store(const Inode& n) { return tree_->Put(InodeKey(n.ino), n.Encode()); }

Result<std::optional<DirEntry>> Volume::Entry(Ino parent, std::string_view name) {
  CCOW_ASSIGN_OR_RETURN(auto v, tree_->Get(EntryKey(parent, name)));
  if (!v) return std::optional<DirEntry>();
  if (v->size() != 9) return Status::Corruption("directory entry " + std::string(name) + " of inode " + std::to_string(parent));
  return std::optional<DirEntry>(DirEntry{std::string(name), GetBE(*v), static_cast<FileType>((*v)[8])});
}

Result<Ino> Volume::NextIno() {
  CCOW_ASSIGN_OR_RETURN(auto super, tree_->Get(kSuperKey));
  if (!super || super->size() != 8) return Status::Corruption("the volume's superblock");
  const Ino ino = GetBE(*super);
  std::string next;
  PutBE(&next, ino + 1);
  CCOW_RETURN_IF_ERROR(tree_->Put(kSuperKey, next));
  return ino;
}

Result<Inode> Volume::GetAttr(Ino ino) { return Load(ino); }

Result<Inode> Volume::Lookup(Ino parent, std::string_view name) {
  CCOW_RETURN_IF_ERROR(LoadDir(parent).status());
  if (name == ".") return Load(parent);
  if (name == "..") {
    CCOW_ASSIGN_OR_RETURN(Inode dir, Load(parent));
    return Load(dir.parent);
  }
  CCOW_RETURN_IF_ERROR(CheckName(name));
  CCOW_ASSIGN_OR_RETURN(auto e, Entry(parent, name));
  if (!e) return Status::Posix(ENOENT, "no " + std::string(name) + " in directory " + std::to_string(parent));
  return Load(e->ino);
}

// Adds `node` (its type, mode, owner, target set) under parent as name.
Result<Inode> Volume::MakeNode(Ino parent, std::string_view name, Inode node) {
  BeginChange();
  CCOW_RETURN_IF_ERROR(CheckName(name));
  CCOW_ASSIGN_OR_RETURN(Inode dir, LoadDir(parent));
  CCOW_ASSIGN_OR_RETURN(auto existing, Entry(parent, name));
  if (existing) return Status::Posix(EEXIST, std::string(name) + " exists in directory " + std::to_string(parent));
  CCOW_ASSIGN_OR_RETURN(node.ino, NextIno());
  const uint64_t now = Now();
  node.atime_ns = node.mtime_ns = node.ctime_ns = now;
  node.generation = now;
  if (node.is_dir()) {
    node.nlink = 2;
    node.parent = parent;
    dir.nlink++;
  }
  dir.mtime_ns = dir.ctime_ns = now;
  CCOW_RETURN_IF_ERROR(Store(node));
  CCOW_RETURN_IF_ERROR(tree_->Put(EntryKey(parent, name), EntryValue(node.ino, node.type)));
  CCOW_RETURN_IF_ERROR(Store(dir));
  return node;
}

Result<Inode> Volume::Mkdir(Ino parent, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid) {
  return MakeNode(parent, name, Inode{.type = FileType::kDirectory, .mode = mode & 07777, .uid = uid, .gid = gid});
}

Result<Inode> Volume::Create(Ino parent, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid) {
  return MakeNode(parent, name, Inode{.type = FileType::kFile, .mode = mode & 07777, .uid = uid, .gid = gid});
}

Result<Inode> Volume::Symlink(Ino parent, std::string_view name, std::string_view target, uint32_t uid,
                              uint32_t gid) {
  if (target.empty() || target.size() > 4095) return Status::Posix(EINVAL, "a symlink target of " + std::to_string(target.size()) + " bytes");
  Inode n;
  n.type = FileType::kSymlink;
  n.mode = 0777;
  n.uid = uid;
  n.gid = gid;
  n.target = std::string(target);
  n.size = target.size();
  return MakeNode(parent, name, n);
}

Result<Inode> Volume::Link(Ino ino, Ino new_parent, std::string_view new_name) {
  BeginChange();
  CCOW_RETURN_IF_ERROR(CheckName(new_name));
  CCOW_ASSIGN_OR_RETURN(Inode n, Load(ino));
  if (n.is_dir()) return Status::Posix(EPERM, "a hard link to directory " + std::to_string(ino));
  CCOW_ASSIGN_OR_RETURN(Inode dir, LoadDir(new_parent));
  CCOW_ASSIGN_OR_RETURN(auto existing, Entry(new_parent, new_name));
  if (existing) return Status::Posix(EEXIST, std::string(new_name) + " exists in directory " + std::to_string(new_parent));
  const uint64_t now = Now();
  n.nlink++;
  n.ctime_ns = now;
  dir.mtime_ns = dir.ctime_ns = now;
  CCOW_RETURN_IF_ERROR(tree_->Put(EntryKey(new_parent, new_name), EntryValue(n.ino, n.type)));
  CCOW_RETURN_IF_ERROR(Store(n));
  CCOW_RETURN_IF_ERROR(Store(dir));
  return n;
}

Status Volume::DropLink(Inode& n) {
  if (n.is_dir() || --n.nlink == 0) {
    if (n.type == FileType::kFile) CCOW_RETURN_IF_ERROR(Truncate(n, 0));
    CCOW_ASSIGN_OR_RETURN(bool gone, tree_->Delete(InodeKey(n.ino)));
    (void)gone;
    return Status::OK();
  }
  n.ctime_ns = Now();
  return Store(n);
}

Status Volume::Unlink(Ino parent, std::string_view name) {
  BeginChange();
  CCOW_RETURN_IF_ERROR(CheckName(name));
  CCOW_ASSIGN_OR_RETURN(Inode dir, LoadDir(parent));
  CCOW_ASSIGN_OR_RETURN(auto e, Entry(parent, name));
  if (!e) return Status::Posix(ENOENT, "no " + std::string(name) + " in directory " + std::to_string(parent));
  if (e->type == FileType::kDirectory) return Status::Posix(EISDIR, std::string(name) + " is a directory");
  CCOW_ASSIGN_OR_RETURN(Inode n, Load(e->ino));
  CCOW_RETURN_IF_ERROR(tree_->Delete(EntryKey(parent, name)).status());
  CCOW_RETURN_IF_ERROR(DropLink(n));
  dir.mtime_ns = dir.ctime_ns = Now();
  return Store(dir);
}

Status Volume::Rmdir(Ino parent, std::string_view name) {
  BeginChange();
  CCOW_RETURN_IF_ERROR(CheckName(name));
  CCOW_ASSIGN_OR_RETURN(Inode dir, LoadDir(parent));
  CCOW_ASSIGN_OR_RETURN(auto e, Entry(parent, name));
  if (!e) return Status::Posix(ENOENT, "no " + std::string(name) + " in directory " + std::to_string(parent));
  if (e->type != FileType::kDirectory) return Status::Posix(ENOTDIR, std::string(name) + " is not a directory");
  bool empty = true;
  CCOW_RETURN_IF_ERROR(ReadDir(e->ino, "", [&](const DirEntry&) { return empty = false; }));
  if (!empty) return Status::Posix(ENOTEMPTY, "directory " + std::string(name) + " is not empty");
  CCOW_ASSIGN_OR_RETURN(Inode n, Load(e->ino));
  CCOW_RETURN_IF_ERROR(tree_->Delete(EntryKey(parent, name)).status());
  CCOW_RETURN_IF_ERROR(DropLink(n));
  dir.nlink--;
  dir.mtime_ns = dir.ctime_ns = Now();
  return Store(dir);
}

Status Volume::Rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name) {
  BeginChange();
  CCOW_RETURN_IF_ERROR(CheckName(name));
  CCOW_RETURN_IF_ERROR(CheckName(new_name));
  CCOW_ASSIGN_OR_RETURN(Inode from_dir, LoadDir(parent));
  CCOW_ASSIGN_OR_RETURN(Inode to_dir, LoadDir(new_parent));
  CCOW_ASSIGN_OR_RETURN(auto src, Entry(parent, name));
  if (!src) return Status::Posix(ENOENT, "no " + std::string(name) + " in directory " + std::to_string(parent));
  CCOW_ASSIGN_OR_RETURN(auto dst, Entry(new_parent, new_name));
  if (dst && dst->ino == src->ino) return Status::OK();  // the same file: nothing to do (POSIX)
  const bool moving_dir = src->type == FileType::kDirectory;
  if (moving_dir && parent != new_parent) {
    // Not under itself: walk up from the new parent to the root.
    for (Ino at = new_parent;;) {
      if (at == src->ino) return Status::Posix(EINVAL, "a directory moved under itself");
      if (at == kRootIno) break;
      CCOW_ASSIGN_OR_RETURN(Inode up, Load(at));
      at = up.parent;
    }
  }
  const uint64_t now = Now();
  if (dst) {
    const bool dst_dir = dst->type == FileType::kDirectory;
    if (moving_dir && !dst_dir) return Status::Posix(ENOTDIR, std::string(new_name) + " is not a directory");
    if (!moving_dir && dst_dir) return Status::Posix(EISDIR, std::string(new_name) + " is a directory");
    if (dst_dir) {
      bool empty = true;
      CCOW_RETURN_IF_ERROR(ReadDir(dst->ino, "", [&](const DirEntry&) { return empty = false; }));
      if (!empty) return Status::Posix(ENOTEMPTY, "directory " + std::string(new_name) + " is not empty");
      to_dir.nlink--;
    }
    CCOW_ASSIGN_OR_RETURN(Inode replaced, Load(dst->ino));
    CCOW_RETURN_IF_ERROR(DropLink(replaced));
  }
  CCOW_RETURN_IF_ERROR(tree_->Delete(EntryKey(parent, name)).status());
  CCOW_RETURN_IF_ERROR(tree_->Put(EntryKey(new_parent, new_name), EntryValue(src->ino, src->type)));
  CCOW_ASSIGN_OR_RETURN(Inode moved, Load(src->ino));
  moved.ctime_ns = now;
  if (moving_dir && parent != new_parent) {
    moved.parent = new_parent;
    from_dir.nlink--;
    to_dir.nlink++;
  }
  CCOW_RETURN_IF_ERROR(Store(moved));
  from_dir.mtime_ns = from_dir.ctime_ns = now;
  if (parent == new_parent) {
    // One directory: its changes (a replaced subdirectory's link) are in to_dir.
    to_dir.mtime_ns = to_dir.ctime_ns = now;
    return Store(to_dir);
  }
  to_dir.mtime_ns = to_dir.ctime_ns = now;
  CCOW_RETURN_IF_ERROR(Store(from_dir));
  return Store(to_dir);
}

Result<Inode> Volume::SetAttr(Ino ino, const AttrChange& c) {
  BeginChange();
  CCOW_ASSIGN_OR_RETURN(Inode n, Load(ino));
  if (c.size && n.type != FileType::kFile)
    return Status::Posix(n.is_dir() ? EISDIR : EINVAL, "a size for inode " + std::to_string(ino));
  if (c.mode) n.mode = *c.mode & 07777;
  if (c.uid) n.uid = *c.uid;
  if (c.gid) n.gid = *c.gid;
  const uint64_t now = Now();
  if (c.size) {
    CCOW_RETURN_IF_ERROR(Truncate(n, *c.size));
    n.mtime_ns = now;
  }
  if (c.atime_ns) n.atime_ns = *c.atime_ns;
  if (c.mtime_ns) n.mtime_ns = *c.mtime_ns;
  n.ctime_ns = now;
  CCOW_RETURN_IF_ERROR(Store(n));
  return n;
}

Status Volume::ReadDir(Ino dir, std::string_view after, const std::function<bool(const DirEntry&)>& fn) {
  CCOW_RETURN_IF_ERROR(LoadDir(dir).status());
  const std::string prefix = DirPrefix(dir);
  std::string start = prefix + std::string(after);
  if (!after.empty()) start.push_back('\0');  // the first name after `after`
  Status bad;
  Status s = tree_->Scan(start, [&](std::string_view key, std::string_view value) {
    if (key.substr(0, prefix.size()) != prefix) return false;
    if (value.size() != 9) {
      bad = Status::Corruption("a directory entry of inode " + std::to_string(dir));
      return false;
    }
    return fn(DirEntry{std::string(key.substr(prefix.size())), GetBE(value), static_cast<FileType>(value[8])});
  });
  CCOW_RETURN_IF_ERROR(s);
  return bad;
}

Status Volume::Truncate(Inode& n, uint64_t size) {
  const uint64_t bb = options_.block_bytes;
  if (size < n.size) {
    // Blocks wholly past the new end go; the block it ends in is cut.
    std::vector<std::string> gone;
    std::string cut;  // the value of the block the new end falls in, read with the keys
    const std::string prefix = DataPrefix(n.ino);
    CCOW_RETURN_IF_ERROR(tree_->Scan(BlockKey(n.ino, size / bb), [&](std::string_view key, std::string_view value) {
      if (key.substr(0, prefix.size()) != prefix) return false;
      if (gone.empty() && GetBE(key.substr(prefix.size())) * bb < size) cut = std::string(value);
      gone.emplace_back(key);
      return true;
    }));
    for (const std::string& key : gone) {
      const uint64_t block = GetBE(std::string_view(key).substr(prefix.size()));
      if (block * bb < size) {
        CCOW_ASSIGN_OR_RETURN(FileBlock b, FileBlock::Decode(cut, bb));
        b.CutAt(size - block * bb);
        if (!b.pieces.empty()) {
          CCOW_RETURN_IF_ERROR(tree_->Put(key, b.Encode()));
          continue;
        }
      }
      CCOW_RETURN_IF_ERROR(tree_->Delete(key).status());
    }
  }
  n.size = size;
  return Status::OK();
}

Status Volume::Write(Ino ino, uint64_t offset, std::string_view data) {
  BeginChange();
  CCOW_ASSIGN_OR_RETURN(Inode n, Load(ino));
  if (n.type != FileType::kFile)
    return Status::Posix(n.is_dir() ? EISDIR : EINVAL, "a write to inode " + std::to_string(ino));
  if (data.empty()) return Status::OK();
  const uint64_t bb = options_.block_bytes;
  const uint32_t r = options_.replicas ? options_.replicas : 0;
  Backend& backend = tree_->backend();
  for (uint64_t done = 0; done < data.size();) {
    const uint64_t at = offset + done;
    const uint64_t block = at / bb, in_block = at % bb;
    const uint64_t len = std::min<uint64_t>(data.size() - done, bb - in_block);
    const std::string_view bytes = data.substr(done, len);
    // The bytes as a chunk of their own (stored once whatever else holds them).
    const Chid chid = HashBytes(options_.btree.algo, bytes);
    bool stored_new = false;
    CCOW_RETURN_IF_ERROR(
        backend.PutChunk(chid, bytes, r ? r : backend.default_replication_count(), &stored_new, &fence_));
    const std::string key = BlockKey(ino, block);
    CCOW_ASSIGN_OR_RETURN(auto old, tree_->Get(key));
    FileBlock b;
    if (old) {
      CCOW_ASSIGN_OR_RETURN(b, FileBlock::Decode(*old, bb));
    }
    b.Overlay({in_block, len, chid, 0, len});
    if (b.pieces.size() > kMaxPieces) {
      // Too many pieces: the block's bytes (holes as zeros) become one chunk.
      const uint64_t end = b.pieces.back().end();
      std::string whole(end, '\0');
      for (const auto& p : b.pieces) {
        std::string chunk;
        CCOW_RETURN_IF_ERROR(backend.GetChunk(p.chid, &chunk));
        if (p.chunk_offset + p.length > chunk.size()) return Status::Corruption("a piece past its chunk " + p.chid.ToString());
        whole.replace(p.start, p.length, chunk, p.chunk_offset, p.length);
      }
      const Chid merged = HashBytes(options_.btree.algo, whole);
      CCOW_RETURN_IF_ERROR(
          backend.PutChunk(merged, whole, r ? r : backend.default_replication_count(), &stored_new, &fence_));
      b.pieces = {{0, end, merged, 0, end}};
    }
    CCOW_RETURN_IF_ERROR(tree_->Put(key, b.Encode()));
    done += len;
  }
  n.size = std::max<uint64_t>(n.size, offset + data.size());
  n.mtime_ns = n.ctime_ns = Now();
  return Store(n);
}

Result<std::string> Volume::Read(Ino ino, uint64_t offset, uint64_t len) {
  CCOW_ASSIGN_OR_RETURN(Inode n, Load(ino));
  if (n.type != FileType::kFile)
    return Status::Posix(n.is_dir() ? EISDIR : EINVAL, "a read of inode " + std::to_string(ino));
  if (offset >= n.size) return std::string();
  len = std::min(len, n.size - offset);
  std::string out(len, '\0');
  const uint64_t bb = options_.block_bytes;
  Backend& backend = tree_->backend();
  std::string chunk;
  Chid loaded;
  for (uint64_t block = offset / bb; block * bb < offset + len; ++block) {
    CCOW_ASSIGN_OR_RETURN(auto bytes, tree_->Get(BlockKey(ino, block)));
    if (!bytes) continue;  // a hole
    CCOW_ASSIGN_OR_RETURN(FileBlock b, FileBlock::Decode(*bytes, bb));
    for (const auto& p : b.pieces) {
      const uint64_t from = std::max(block * bb + p.start, offset);
      const uint64_t to = std::min(block * bb + p.end(), offset + len);
      if (from >= to) continue;
      if (!(loaded == p.chid) || chunk.empty()) {
        Status s = backend.GetChunk(p.chid, &chunk);
        if (!s.ok()) return s.WithContext("data of inode " + std::to_string(ino));
        loaded = p.chid;
      }
      const uint64_t in_chunk = p.chunk_offset + (from - block * bb - p.start);
      if (in_chunk + (to - from) > chunk.size())
        return Status::Corruption("a piece of inode " + std::to_string(ino) + " past the end of chunk " + p.chid.ToString());
      out.replace(from - offset, to - from, chunk, in_chunk, to - from);
    }
  }
  return out;
}

Status Volume::PutBlock(Ino ino, uint64_t block, const FileBlock& b) { return tree_->Put(BlockKey(ino, block), b.Encode()); }

Result<FileBlock::Piece> Volume::StoreChunk(std::string_view bytes, WriteFence* fence) {
  if (bytes.empty() || bytes.size() > options_.block_bytes)
    return Status::InvalidArgument("a chunk of a file's block is 1 to " + std::to_string(options_.block_bytes) + " bytes");
  Backend& backend = tree_->backend();
  const Chid chid = HashBytes(options_.btree.algo, bytes);
  bool stored_new = false;
  CCOW_RETURN_IF_ERROR(backend.PutChunk(
      chid, bytes, options_.replicas ? options_.replicas : backend.default_replication_count(), &stored_new, fence));
  return FileBlock::Piece{0, bytes.size(), chid, 0, bytes.size()};
}

}  // namespace ccow::fs
