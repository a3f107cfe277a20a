// `ccow object put|get|ls|stat|versions|rm|undelete|snapshot|clone`.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/registry_access.h"
#include "client/snapview.h"
#include "core/config.h"
#include "model/object_name.h"

namespace ccow::cli {
namespace {

using nlohmann::json;

struct ObjectFlags {
  std::string name, name2, file, out, range, snapshot, snapview, content_type, delimiter, start_after;
  std::string hash, chunking, chunk_size;  // when not given: the bucket's (or the default)
  CLI::Option *hash_opt = nullptr, *chunking_opt = nullptr, *chunk_size_opt = nullptr;
  std::vector<std::string> meta;
  int64_t generation = -1;
  size_t limit = 1000;
  uint32_t fanout = 0;  // 0: the default
  bool replicas = false;
};

ObjectFlags& Flags() {
  static ObjectFlags f;
  return f;
}

// A bucket's system keys (model/object_name.h: SnapView records) are ccow's: the object
// commands read them but do not write them (ccow snapview does).
Status Writable(const std::string& name) {
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(name));
  if (IsSystemKey(parsed.object))
    return Status::InvalidArgument("'" + name + "' is a system key of its bucket (a snapview's record): ccow snapview "
                                   "changes it");
  return Status::OK();
}

VersionSelector Selector() {
  VersionSelector s;
  if (Flags().generation >= 0) s.generation = static_cast<uint64_t>(Flags().generation);
  if (!Flags().snapshot.empty()) s.snapshot = Flags().snapshot;
  if (!Flags().snapview.empty()) s.snapshot = SnapViewPin(Flags().snapview);  // what pins its objects
  return s;
}

std::optional<uint64_t> Generation() {
  if (Flags().generation < 0) return std::nullopt;
  return static_cast<uint64_t>(Flags().generation);
}

json InfoJson(const ObjectInfo& info) {
  json j = {{"name", info.name},
            {"generation", info.generation},
            {"uvid", info.uvid.ToString()},
            {"size", info.size},
            {"etag", info.etag},
            {"content_type", info.content_type},
            {"metadata", info.user_metadata},
            {"vm_chid", info.vm_chid.ToString()},
            {"hash", HashAlgoName(info.policy.hash)},
            {"chunking", ChunkingModeName(info.policy.chunking)},
            {"chunk_size", info.policy.chunk_size}};
  if (!info.origin.empty()) j["cloned_from"] = info.origin;
  return j;
}

json EntryJson(const VersionEntry& e) {
  json j = {{"generation", e.generation},
            {"uvid", e.uvid.ToString()},
            {"size", e.size},
            {"etag", e.etag},
            {"mtime_ns", e.uvid.timestamp_ns},
            {"vm_chid", e.vm_chid.ToString()},
            {"erasure_coded", e.erasure_coded()}};
  if (e.erasure_coded()) j["ec_chid"] = e.ec_chid.ToString();  // its stripe set
  return j;
}

void PrintInfo(const ObjectInfo& info) {
  if (Globals().json) {
    std::cout << InfoJson(info).dump(2) << std::endl;
    return;
  }
  std::cout << "name:        " << info.name << "\n"
            << "generation:  " << info.generation << "\n"
            << "size:        " << info.size << "\n"
            << "etag:        " << info.etag << "\n"
            << "content-type " << info.content_type << "\n"
            << "chunking:    " << ChunkingModeName(info.policy.chunking) << " "
            << FormatSize(info.policy.chunk_size) << ", " << HashAlgoName(info.policy.hash)
            << "\n"
            << "manifest:    " << info.vm_chid.ToString() << "\n";
  if (!info.origin.empty()) std::cout << "cloned from: " << info.origin << "\n";
  for (const auto& [k, v] : info.user_metadata) std::cout << "meta:        " << k << "=" << v << "\n";
}

// A put's policy: the store's default (on a cluster, its replication count), then on a
// cluster the bucket's record in the registry (chunk size, chunking, hash, the bucket's or
// tenant's R) as for S3 puts, then whatever flags were given.
Result<ObjectPolicy> PutPolicy(const ObjectApi& api) {
  ObjectPolicy p = api.options().default_policy;
  if (!ClusterDir().empty()) {
    CCOW_ASSIGN_OR_RETURN(ObjectName name, ObjectName::Parse(Flags().name));
    CCOW_ASSIGN_OR_RETURN(OpenedRegistry opened, OpenRegistry());
    auto state = opened.registry->current();
    if (auto bucket = state->FindBucket(name.segment, name.tenant, name.bucket); bucket.ok()) {
      p.chunk_size = (*bucket)->chunk_size;
      p.chunking = (*bucket)->chunking;
      p.hash = (*bucket)->hash;
      uint32_t r = (*bucket)->replication_count;
      if (r == 0)
        if (auto tenant = state->FindTenant(name.segment, name.tenant); tenant.ok()) r = (*tenant)->replication_count;
      if (r > 0) p.replication_count = static_cast<uint8_t>(std::min<uint32_t>(r, 255));
    }
  }
  auto given = [](CLI::Option* o) { return o && o->count() > 0; };
  if (given(Flags().hash_opt)) {
    CCOW_ASSIGN_OR_RETURN(p.hash, ParseHashAlgo(Flags().hash));
  }
  if (given(Flags().chunking_opt)) {
    CCOW_ASSIGN_OR_RETURN(p.chunking, ParseChunkingMode(Flags().chunking));
  }
  if (given(Flags().chunk_size_opt)) {
    CCOW_ASSIGN_OR_RETURN(uint64_t size, ParseSizeFlag("--chunk-size", Flags().chunk_size));
    if (size > (16u << 20))
      return Status::InvalidArgument("--chunk-size '" + Flags().chunk_size + "': at most 16M");
    p.chunk_size = static_cast<uint32_t>(size);
  }
  if (Flags().fanout != 0) p.manifest_fanout = Flags().fanout;
  CCOW_RETURN_IF_ERROR(p.Validate());
  return p;
}

Result<std::optional<ByteRange>> ParseRange(const std::string& text) {
  if (text.empty()) return std::optional<ByteRange>();
  // FIRST-LAST (inclusive, as HTTP Range), FIRST- (to the end)
  size_t dash = text.find('-');
  auto bad = Status::InvalidArgument("range '" + text + "' must be FIRST-LAST or FIRST-");
  if (dash == std::string::npos || dash == 0) return bad;
  ByteRange r;
  try {
    r.offset = std::stoull(text.substr(0, dash));
    if (dash + 1 < text.size()) {
      uint64_t last = std::stoull(text.substr(dash + 1));
      if (last < r.offset) return bad;
      r.length = last - r.offset + 1;
    }
  } catch (...) {
    return bad;
  }
  return std::optional<ByteRange>(r);
}

int RunPut() {
  if (Status w = Writable(Flags().name); !w.ok()) return Fail(w);
  PutOptions opts;
  opts.content_type = Flags().content_type;
  for (const auto& kv : Flags().meta) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return Fail(Status::InvalidArgument("--meta '" + kv + "' must be KEY=VALUE"));
    opts.user_metadata[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  int fd = 0;
  if (Flags().file != "-") {
    fd = ::open(Flags().file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Fail(Status::FromErrno(errno, "cannot open " + Flags().file));
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  auto policy = PutPolicy(**api);
  if (!policy.ok()) return Fail(policy.status());
  opts.policy = *policy;
  FdSource src(fd);
  PutStats stats;
  auto info = (*api)->Put(Flags().name, src, opts, &stats);
  if (fd != 0) ::close(fd);
  if (!info.ok()) return Fail(info.status());
  if (Globals().json) {
    json j = InfoJson(*info);
    j["chunks"] = stats.chunks;
    j["new_chunks"] = stats.new_chunks;
    j["new_payload_bytes"] = stats.new_payload_bytes;
    j["inline_bytes"] = stats.inline_bytes;
    std::cout << j.dump(2) << std::endl;
  } else if (stats.inline_bytes > 0) {
    std::cout << info->name << " generation " << info->generation << ": " << info->size
              << " bytes inline in its version manifest (no payload chunk), etag " << info->etag << std::endl;
  } else {
    std::cout << info->name << " generation " << info->generation << ": " << info->size
              << " bytes in " << stats.chunks << " chunks (" << stats.new_chunks << " new, "
              << stats.new_payload_bytes << " payload bytes written), etag " << info->etag
              << std::endl;
  }
  return 0;
}

// With --snapview: the view must exist here (its record), so that a missing view is not
// reported as the object lacking a snapshot.
Status ViewExists(ObjectApi& api) {
  if (Flags().snapview.empty()) return Status::OK();
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(Flags().name));
  return SnapViews(&api).Selector(parsed.BucketPath(), Flags().snapview).status();
}

int RunGet() {
  auto range = ParseRange(Flags().range);
  if (!range.ok()) return Fail(range.status());
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  if (Status v = ViewExists(**api); !v.ok()) return Fail(v);
  int fd = 1;
  std::string tmp;
  if (!Flags().out.empty() && Flags().out != "-") {
    // Write to a temporary name and rename on success: a failed or corrupt read never
    // leaves a partial file under the requested name.
    tmp = Flags().out + ".ccow-partial";
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Fail(Status::FromErrno(errno, "cannot create " + tmp));
  }
  FdSink sink(fd);
  Status st = (*api)->Get(Flags().name, Selector(), *range, sink);
  if (!tmp.empty()) {
    ::close(fd);
    if (st.ok() && ::rename(tmp.c_str(), Flags().out.c_str()) != 0)
      st = Status::FromErrno(errno, "cannot rename to " + Flags().out);
    if (!st.ok()) ::unlink(tmp.c_str());
  }
  return st.ok() ? 0 : Fail(st);
}

int RunStat() {
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  if (Status v = ViewExists(**api); !v.ok()) return Fail(v);
  auto info = (*api)->Stat(Flags().name, Selector());
  if (!info.ok()) return Fail(info.status());
  if (!Flags().replicas) {
    PrintInfo(*info);
    return 0;
  }
  auto chunks = (*api)->Locate(Flags().name, Selector());
  if (!chunks.ok()) return Fail(chunks.status());
  json list = json::array();
  for (const auto& c : *chunks) {
    json holders = json::array();
    for (const auto& h : c.holders) holders.push_back({{"vdev", h.vdev_id}, {"replication_count", h.replication_count}});
    list.push_back({{"chid", c.chid.ToString()}, {"kind", c.kind}, {"offset", c.offset}, {"length", c.length},
                    {"holders", holders}});
  }
  if (Globals().json) {
    json j = InfoJson(*info);
    j["replication_count"] = info->policy.replication_count;
    j["chunks"] = list;
    std::cout << j.dump(2) << std::endl;
    return 0;
  }
  PrintInfo(*info);
  std::cout << "replication: " << int{info->policy.replication_count} << " asked\n";
  for (const auto& c : *chunks) {
    std::cout << "  " << c.kind << " " << c.chid.ToString().substr(0, 24) << "  [" << c.offset << ", +" << c.length
              << ")  " << c.holders.size() << " replicas:";
    for (const auto& h : c.holders) {
      std::cout << " " << h.vdev_id;
      if (h.replication_count) std::cout << "(R=" << h.replication_count << ")";
    }
    std::cout << "\n";
  }
  return 0;
}

int RunList() {
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  ListOptions opts;
  opts.prefix = Flags().name;
  if (std::count(opts.prefix.begin(), opts.prefix.end(), '/') == 2) opts.prefix += "/";
  opts.delimiter = Flags().delimiter;
  opts.start_after = Flags().start_after;
  opts.limit = Flags().limit;
  auto r = (*api)->List(opts);
  if (!r.ok()) return Fail(r.status());
  if (Globals().json) {
    json objects = json::array();
    for (size_t i = 0; i < r->objects.size(); ++i) {
      json e = EntryJson(r->objects[i]);
      e["name"] = r->names[i];
      objects.push_back(e);
    }
    json j = {{"objects", objects},
              {"common_prefixes", r->common_prefixes},
              {"truncated", r->truncated}};
    if (r->truncated) j["next_start_after"] = r->next_start_after;
    std::cout << j.dump(2) << std::endl;
    return 0;
  }
  for (const auto& cp : r->common_prefixes) std::cout << "PRE " << cp << "\n";
  for (size_t i = 0; i < r->objects.size(); ++i)
    std::cout << r->objects[i].size << "\t" << r->objects[i].generation << "\t" << r->names[i]
              << "\n";
  if (r->truncated)
    std::cerr << "(more: continue with --start-after '" << r->next_start_after << "')\n";
  return 0;
}

int RunVersions() {
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  auto vl = (*api)->Versions(Flags().name);
  if (!vl.ok()) return Fail(vl.status());
  if (Globals().json) {
    json versions = json::array(), quarantine = json::array(), snapshots = json::array();
    for (const auto& v : vl->versions()) versions.push_back(EntryJson(v));
    for (const auto& q : vl->quarantine()) {
      json e = EntryJson(q.version);
      e["deleted_at_ns"] = q.deleted_at_ns;
      quarantine.push_back(e);
    }
    for (const auto& s : vl->snapshots()) {
      json e = EntryJson(s.version);
      e["snapshot"] = s.name;
      e["created_ns"] = s.created_ns;
      snapshots.push_back(e);
    }
    std::cout << json{{"name", vl->name()},
                      {"nhid", vl->nhid().ToString()},
                      {"versions", versions},
                      {"deleted", quarantine},
                      {"snapshots", snapshots}}
                     .dump(2)
              << std::endl;
    return 0;
  }
  for (const auto& v : vl->versions())
    std::cout << "gen " << v.generation << "\t" << v.size << "\t" << v.etag << "\n";
  for (const auto& q : vl->quarantine())
    std::cout << "gen " << q.version.generation << "\t" << q.version.size << "\t"
              << q.version.etag << "\t(deleted)\n";
  for (const auto& s : vl->snapshots())
    std::cout << "snapshot " << s.name << "\tgen " << s.version.generation << "\n";
  return 0;
}

int Simple(const std::function<Status(ObjectApi&)>& fn, const std::string& done) {
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  Status st = fn(**api);
  if (!st.ok()) return Fail(st);
  if (Globals().json)
    std::cout << json{{"ok", true}, {"name", Flags().name}}.dump() << std::endl;
  else
    std::cout << done << std::endl;
  return 0;
}

void AddSelector(CLI::App* cmd) {
  cmd->add_option("-g,--generation", Flags().generation, "a specific generation");
  auto* snap = cmd->add_option("-s,--snapshot", Flags().snapshot, "the version a snapshot pins");
  cmd->add_option("--snapview", Flags().snapview, "the version a view of the bucket holds (ccow snapview)")
      ->excludes(snap);
}

}  // namespace

void RegisterObjectCommands(CLI::App& app, int* exit_code) {
  auto* object = app.add_subcommand("object", "store and read objects");
  object->require_subcommand(1);
  auto& f = Flags();
  const char* kName = "SEGMENT/TENANT/BUCKET/OBJECT";

  auto* put = object->add_subcommand("put", "store FILE (or - for stdin) as a new version");
  AddDataOption(put);
  put->add_option("name", f.name, kName)->required();
  put->add_option("file", f.file, "file to store, - for stdin")->required();
  put->add_option("--content-type", f.content_type, "Content-Type to record");
  put->add_option("--meta", f.meta, "user metadata KEY=VALUE (repeatable)");
  f.hash_opt = put->add_option("--hash", f.hash, "sha256 | sha3-256 | sha3-512 | blake2b-256 | xxh3-128 (default: the bucket's, else sha256)");
  f.chunking_opt = put->add_option("--chunking", f.chunking, "fixed | cdc (default: the bucket's, else fixed)");
  f.chunk_size_opt = put->add_option("--chunk-size", f.chunk_size, "chunk size (cdc: average): bytes or 256K, 1M, 4MiB ... (default: the bucket's, else 1M; at most 16M)");
  put->add_option("--fanout", f.fanout, "references per chunk manifest (default 1024)");
  put->callback([exit_code] { *exit_code = RunPut(); });

  auto* get = object->add_subcommand("get", "write an object (or a range) to stdout or --out");
  AddDataOption(get);
  get->add_option("name", f.name, kName)->required();
  get->add_option("-o,--out", f.out, "write to this file instead of stdout");
  get->add_option("-r,--range", f.range, "bytes FIRST-LAST or FIRST- (inclusive)");
  AddSelector(get);
  get->callback([exit_code] { *exit_code = RunGet(); });

  auto* stat = object->add_subcommand("stat", "show an object's metadata");
  AddDataOption(stat);
  stat->add_option("name", f.name, kName)->required();
  stat->add_flag("--replicas", f.replicas, "also list every chunk and the VDEVs holding it");
  AddSelector(stat);
  stat->callback([exit_code] { *exit_code = RunStat(); });

  auto* ls = object->add_subcommand("ls", "list objects under SEGMENT/TENANT/BUCKET[/PREFIX]");
  AddDataOption(ls);
  ls->add_option("prefix", f.name, "SEGMENT/TENANT/BUCKET/ or a longer prefix")->required();
  ls->add_option("-d,--delimiter", f.delimiter, "roll up keys at this delimiter (e.g. /)");
  ls->add_option("--start-after", f.start_after, "continue after this full name");
  ls->add_option("-n,--limit", f.limit, "at most this many entries");
  ls->callback([exit_code] { *exit_code = RunList(); });

  auto* versions = object->add_subcommand("versions", "list versions, deleted ones, snapshots");
  AddDataOption(versions);
  versions->add_option("name", f.name, kName)->required();
  versions->callback([exit_code] { *exit_code = RunVersions(); });

  auto* rm = object->add_subcommand("rm", "delete (to quarantine) all versions or one");
  AddDataOption(rm);
  rm->add_option("name", f.name, kName)->required();
  rm->add_option("-g,--generation", f.generation, "delete only this generation");
  rm->callback([exit_code] {
    *exit_code = Simple(
        [](ObjectApi& a) {
          CCOW_RETURN_IF_ERROR(Writable(Flags().name));
          return a.Delete(Flags().name, Generation());
        },
                        "deleted " + Flags().name);
  });

  auto* undelete = object->add_subcommand("undelete", "restore deleted versions");
  AddDataOption(undelete);
  undelete->add_option("name", f.name, kName)->required();
  undelete->add_option("-g,--generation", f.generation, "restore only this generation");
  undelete->callback([exit_code] {
    *exit_code = Simple(
        [](ObjectApi& a) {
          CCOW_RETURN_IF_ERROR(Writable(Flags().name));
          return a.Undelete(Flags().name, Generation());
        },
                        "restored " + Flags().name);
  });

  auto* snapshot = object->add_subcommand("snapshot", "named snapshots of an object");
  snapshot->require_subcommand(1);
  auto* screate = snapshot->add_subcommand("create", "pin a version under a snapshot name");
  AddDataOption(screate);
  screate->add_option("name", f.name, kName)->required();
  screate->add_option("snapshot", f.name2, "snapshot name")->required();
  screate->add_option("-g,--generation", f.generation, "snapshot this generation");
  screate->callback([exit_code] {
    *exit_code = Simple(
        [](ObjectApi& a) {
          VersionSelector s;
          s.generation = Generation();
          if (IsSnapViewPin(Flags().name2))
            return Status::InvalidArgument("snapshot names beginning with '" + std::string(kSnapViewPinPrefix) +
                                           "' are the pins of bucket views (ccow snapview)");
          return a.CreateSnapshot(Flags().name, Flags().name2, s);
        },
        "created snapshot " + Flags().name2 + " of " + Flags().name);
  });
  auto* srm = snapshot->add_subcommand("rm", "remove a snapshot");
  AddDataOption(srm);
  srm->add_option("name", f.name, kName)->required();
  srm->add_option("snapshot", f.name2, "snapshot name")->required();
  srm->callback([exit_code] {
    *exit_code = Simple(
        [](ObjectApi& a) {
          if (IsSnapViewPin(Flags().name2))
            return Status::InvalidArgument("'" + Flags().name2 + "' pins a bucket view: ccow snapview rm removes it");
          return a.DeleteSnapshot(Flags().name, Flags().name2);
        },
                        "removed snapshot " + Flags().name2 + " of " + Flags().name);
  });
  auto* sls = snapshot->add_subcommand("ls", "list snapshots (same as object versions)");
  AddDataOption(sls);
  sls->add_option("name", f.name, kName)->required();
  sls->callback([exit_code] { *exit_code = RunVersions(); });

  auto* clone = object->add_subcommand("clone", "new name sharing a version's chunks");
  AddDataOption(clone);
  clone->add_option("source", f.name, kName)->required();
  clone->add_option("dest", f.name2, kName)->required();
  AddSelector(clone);
  clone->callback([exit_code] {
    if (Status w = Writable(Flags().name2); !w.ok()) {
      *exit_code = Fail(w);
      return;
    }
    auto api = OpenApi();
    if (!api.ok()) {
      *exit_code = Fail(api.status());
      return;
    }
    auto info = (*api)->Clone(Flags().name, Selector(), Flags().name2);
    if (!info.ok()) {
      *exit_code = Fail(info.status());
      return;
    }
    PrintInfo(*info);
  });
}

}  // namespace ccow::cli
