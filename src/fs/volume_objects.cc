#include "fs/volume_objects.h"

#include <algorithm>
#include <queue>
#include <utility>
#include <vector>

#include "core/hash.h"

namespace ccow::fs {
namespace {

constexpr const char* kEmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";
constexpr size_t kDirPage = 256;  // directory entries read at a time while listing
constexpr size_t kMaxKey = 1024;  // S3's longest key (bytes)

void PutBE64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

Status NoSuchKey(const std::string& key) { return Status::NotFound("the volume has no file or directory '" + key + "'"); }

// A refusal of the namespace (no such name, a path through a file, a name too long) means
// the key names nothing; anything else is the store's error.
bool NamesNothing(const Status& s) {
  return s.code() == Code::kNotFound || s.code() == Code::kInvalidArgument;
}

}  // namespace

VolumeObjects::VolumeObjects(std::string bucket_path, std::unique_ptr<Volume> volume)
    : bucket_path_(std::move(bucket_path)), volume_(std::move(volume)) {}
VolumeObjects::~VolumeObjects() = default;

Result<std::unique_ptr<VolumeObjects>> VolumeObjects::Open(ObjectApi& api, const std::string& bucket_path) {
  CCOW_ASSIGN_OR_RETURN(std::string home, Volume::HomeOf(bucket_path));
  // Volume::Open would make a new volume in memory where there is none: not for a view.
  auto vm = api.Stat(home, {});
  if (!vm.ok() && !vm.status().IsNotFound()) return vm.status().WithContext("volume home " + home);
  std::unique_ptr<Volume> volume;
  if (vm.ok() && !(vm->flags & VersionManifest::kFlagDeleteMarker)) {
    CCOW_ASSIGN_OR_RETURN(volume, Volume::Open(api, home));
  }
  return std::unique_ptr<VolumeObjects>(new VolumeObjects(bucket_path, std::move(volume)));
}

namespace {

// The inode a key names: a file's path, or a directory's with a trailing '/'.
Result<Inode> Resolve(Volume& volume, const std::string& key) {
  const bool dir = !key.empty() && key.back() == '/';
  std::string_view path(key);
  if (dir) path.remove_suffix(1);
  if (path.empty()) return NoSuchKey(key);  // the root is no object
  auto n = volume.LookupPath(path);
  if (!n.ok()) return NamesNothing(n.status()) ? NoSuchKey(key) : n.status();
  if (n->type == FileType::kSymlink || n->is_dir() != dir) return NoSuchKey(key);
  return *n;
}

}  // namespace

std::string FileEtag(const Inode& n) {
  if (n.type != FileType::kFile || n.size == 0) return std::string(kEmptyMd5);
  // Every change of a file's bytes sets its change time: with the inode's number and
  // generation (which a reused number does not repeat) it names one content.
  std::string record;
  for (uint64_t v : {n.ino, n.generation, n.size, n.ctime_ns}) PutBE64(&record, v);
  Md5 md5;
  md5.Update(record.data(), record.size());
  return md5.HexFinal() + "-1";
}

Result<ObjectInfo> VolumeObjects::InfoOf(const std::string& key, const Inode& n) {
  ObjectInfo info;
  info.name = bucket_path_ + "/" + key;
  info.size = n.type == FileType::kFile ? n.size : 0;
  info.etag = FileEtag(n);
  info.content_type = n.is_dir() ? "application/x-directory" : "binary/octet-stream";
  info.uvid.timestamp_ns = n.mtime_ns;
  info.null_version = true;
  return info;
}

Result<ObjectInfo> VolumeObjects::Stat(const std::string& key) {
  if (!volume_) return NoSuchKey(key);
  CCOW_ASSIGN_OR_RETURN(Inode n, Resolve(*volume_, key));
  return InfoOf(key, n);
}

Status VolumeObjects::Read(const std::string& key, const ObjectApi::OpenCallback& on_open, ByteSink& sink) {
  if (!volume_) return NoSuchKey(key);
  CCOW_ASSIGN_OR_RETURN(Inode n, Resolve(*volume_, key));
  CCOW_ASSIGN_OR_RETURN(ObjectInfo info, InfoOf(key, n));
  CCOW_ASSIGN_OR_RETURN(std::optional<ByteRange> range, on_open(info));
  const uint64_t from = std::min(range ? range->offset : 0, info.size);
  const uint64_t to = range && range->length ? std::min(info.size, from + *range->length) : info.size;
  const uint64_t bb = volume_->block_bytes();
  // A block at a time: what one chunk read at most brings in, whatever the file's size.
  for (uint64_t at = from; at < to;) {
    const uint64_t step = std::min(to - at, bb - at % bb);
    CCOW_ASSIGN_OR_RETURN(std::string bytes, volume_->Read(n.ino, at, step));
    if (bytes.size() != step)
      return Status::Corruption("inode " + std::to_string(n.ino) + " of " + key + " read short at " + std::to_string(at));
    CCOW_RETURN_IF_ERROR(sink.Write(bytes));
    at += step;
  }
  return Status::OK();
}

// One listing: a walk of the tree in key order from where start_after and the prefix
// put it, reporting keys and common prefixes as ObjectApi::List does.
struct VolumeObjects::Lister {
  VolumeObjects& view;
  const ListOptions& o;
  std::string base;         // "SEG/TEN/BKT/"
  std::string prefix;       // o.prefix past base
  std::string after;        // o.start_after past base ("": from the first key)
  std::string last_prefix;  // the common prefix reported last
  // A common prefix every key of the subtree being walked rolls into: once reported, the
  // rest of the subtree has nothing to add.
  std::string covered;
  ListResult out;
  bool done = false;

  bool Covered() const { return !covered.empty() && covered == last_prefix; }

  std::string RollUp(const std::string& key) const {
    if (o.delimiter.empty() || key.size() < prefix.size()) return {};
    const size_t d = key.find(o.delimiter, prefix.size());
    return d == std::string::npos ? std::string() : key.substr(0, d + o.delimiter.size());
  }

  // Offers a key: reported if past start_after and under the prefix, rolled up by the
  // delimiter, until the page is full.
  Status Offer(const std::string& key, Ino ino) {
    if (key.size() > kMaxKey || key <= after || key.compare(0, prefix.size(), prefix) != 0) return Status::OK();
    const std::string cp = RollUp(key);
    const bool reported = !cp.empty() && cp == last_prefix;
    if (!reported && out.objects.size() + out.common_prefixes.size() >= o.limit) {
      out.truncated = true;
      done = true;
      return Status::OK();
    }
    if (!cp.empty()) {
      if (!reported) {
        last_prefix = cp;
        out.common_prefixes.push_back(base + cp);
        out.next_start_after = base + cp;
      }
      return Status::OK();
    }
    CCOW_ASSIGN_OR_RETURN(Inode n, view.volume_->GetAttr(ino));
    CCOW_ASSIGN_OR_RETURN(ObjectInfo info, view.InfoOf(key, n));
    VersionEntry e;
    e.uvid = info.uvid;
    e.size = info.size;
    e.etag = info.etag;
    e.flags = VersionEntry::kNullVersion;
    out.objects.push_back(std::move(e));
    out.names.push_back(base + key);
    out.next_start_after = base + key;
    return Status::OK();
  }

  // An entry of a directory whose keys start with dkey.
  Status Process(const std::string& dkey, const DirEntry& e) {
    if (e.type == FileType::kSymlink) return Status::OK();
    if (e.type == FileType::kFile) return Offer(dkey + e.name, e.ino);
    const std::string marker = dkey + e.name + "/";
    // S3 names no key longer than kMaxKey, and every key below is longer than this one:
    // which also bounds how deep the walk goes.
    if (marker.size() > kMaxKey) return Status::OK();
    CCOW_RETURN_IF_ERROR(Offer(marker, e.ino));
    if (done) return Status::OK();
    const std::string cp = RollUp(marker);
    if (cp.empty() || marker.compare(0, cp.size(), cp) != 0 || !covered.empty()) return Walk(e.ino, marker);
    // Every key below rolls into cp: nothing to do once it is reported, else walk until
    // it is (start_after may lie inside, past the marker).
    if (cp == last_prefix) return Status::OK();
    covered = cp;
    Status s = Walk(e.ino, marker);
    covered.clear();
    return s;
  }

  // The keys of directory `dir`'s subtree, all starting with dkey ("" for the root).
  Status Walk(Ino dir, const std::string& dkey) {
    // What start_after and the prefix ask of this directory's names.
    std::string r, p;
    if (after.compare(0, dkey.size(), dkey) == 0) {
      r = after.substr(dkey.size());
    } else if (after > dkey) {
      return Status::OK();  // every key here sorts before start_after
    }
    if (prefix.compare(0, dkey.size(), dkey) == 0) {
      p = prefix.substr(dkey.size());
    } else if (dkey.compare(0, prefix.size(), prefix) != 0) {
      return Status::OK();  // no key here has the prefix
    }
    std::vector<DirEntry> seeds;
    auto seed = [&](std::string_view name) -> Status {
      if (name == "." || name == "..") return Status::OK();  // Lookup answers them; no entry has them
      auto n = view.volume_->Lookup(dir, name);
      if (!n.ok()) return NamesNothing(n.status()) ? Status::OK() : n.status();
      seeds.push_back(DirEntry{std::string(name), n->ino, n->type});
      return Status::OK();
    };
    if (const size_t slash = p.find('/'); slash != std::string::npos) {
      // Only one name here can hold keys with the prefix.
      CCOW_RETURN_IF_ERROR(seed(p.substr(0, slash)));
      for (const DirEntry& e : seeds) CCOW_RETURN_IF_ERROR(Process(dkey, e));
      return Status::OK();
    }
    // Names from `from` on are scanned. Before it, only r's first name (seeded as `from`)
    // and the names that are its beginning followed by a byte below '/' ("a" of "a-b": a
    // directory "a" has the keys "a/..." after "a-b") can hold a key past start_after.
    const std::string first = r.substr(0, r.find('/'));
    const std::string from = std::max(p, first);
    if (!from.empty()) CCOW_RETURN_IF_ERROR(seed(from));
    if (from == first)
      for (size_t i = std::max<size_t>(p.size(), 1); i < first.size(); ++i)
        if (static_cast<unsigned char>(first[i]) < '/') CCOW_RETURN_IF_ERROR(seed(first.substr(0, i)));

    // Key order: a directory's keys are its name + '/' and below, so it is taken from the
    // heap once every name that sorts before that has been.
    using Item = std::pair<std::string, DirEntry>;
    auto later = [](const Item& a, const Item& b) { return a.first > b.first; };
    std::priority_queue<Item, std::vector<Item>, decltype(later)> heap(later);
    auto push = [&](const DirEntry& e) {
      heap.emplace(e.type == FileType::kDirectory ? e.name + "/" : e.name, e);
    };
    // Processes what sorts before `bound` (every name still to come is at least it).
    auto drain = [&](const std::string* bound) -> Status {
      while (!heap.empty() && !done && !Covered() && (!bound || heap.top().first < *bound)) {
        Item item = heap.top();
        heap.pop();
        CCOW_RETURN_IF_ERROR(Process(dkey, item.second));
      }
      return Status::OK();
    };
    for (const DirEntry& e : seeds) push(e);
    std::string cursor = from;
    bool past_prefix = false;
    while (!done && !Covered() && !past_prefix) {
      std::vector<DirEntry> page;
      CCOW_RETURN_IF_ERROR(view.volume_->ReadDir(dir, cursor, [&](const DirEntry& e) {
        if (e.name.compare(0, p.size(), p) != 0) {
          past_prefix = true;
          return false;
        }
        page.push_back(e);
        return page.size() < kDirPage;
      }));
      for (const DirEntry& e : page) {
        CCOW_RETURN_IF_ERROR(drain(&e.name));
        if (done || Covered()) return Status::OK();
        push(e);
      }
      if (page.size() < kDirPage) break;
      cursor = page.back().name;
    }
    return drain(nullptr);
  }
};

Result<ListResult> VolumeObjects::List(const ListOptions& options) {
  const std::string base = bucket_path_ + "/";
  if (options.prefix.compare(0, base.size(), base) != 0)
    return Status::InvalidArgument("list prefix '" + options.prefix + "' is not under " + base);
  if (options.limit == 0) return Status::InvalidArgument("list limit must be at least 1");
  Lister l{*this, options, base, options.prefix.substr(base.size()), {}, {}, {}, {}, false};
  if (options.start_after.compare(0, base.size(), base) == 0) {
    l.after = options.start_after.substr(base.size());
  } else if (options.start_after > base) {
    return ListResult{};  // every key sorts before start_after
  }
  l.last_prefix = l.after;
  if (volume_) CCOW_RETURN_IF_ERROR(l.Walk(kRootIno, ""));
  if (!l.out.truncated) l.out.next_start_after.clear();
  return std::move(l.out);
}

}  // namespace ccow::fs
