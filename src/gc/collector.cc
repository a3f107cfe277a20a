#include "gc/collector.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <unordered_set>

#include "model/chunk_manifest.h"
#include "model/version_manifest.h"

namespace ccow {

// The chunks a pass marked, in a scratch RocksDB without a WAL (a crash loses them, and
// the next pass starts over from nothing anyway), or in memory without a directory.
class Collector::Marks {
 public:
  static Result<std::unique_ptr<Marks>> Open(const std::string& dir) {
    if (dir.empty()) return std::unique_ptr<Marks>(new Marks());
    rocksdb::Options o;
    o.create_if_missing = true;
    o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    o.keep_log_file_num = 1;
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    (void)rocksdb::DestroyDB(dir, o);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir, ec);
    rocksdb::DB* db = nullptr;
    auto s = rocksdb::DB::Open(o, dir, &db);
    if (!s.ok()) return Status::IOError("opening the collector's scratch marks at " + dir + ": " + s.ToString());
    auto m = std::unique_ptr<Marks>(new Marks());
    m->db_.reset(db);
    m->dir_ = dir;
    return m;
  }
  ~Marks() {
    if (!db_) return;
    (void)db_->Close();
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // True if chid was not marked before.
  Result<bool> Add(const Chid& chid) {
    std::string key = chid.ToKey();
    if (!db_) return memory_.insert(std::move(key)).second;
    if (Has(key)) return false;
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;
    auto s = db_->Put(wo, key, rocksdb::Slice());
    if (!s.ok()) return Status::IOError("recording a mark: " + s.ToString());
    return true;
  }
  bool Has(const Chid& chid) { return Has(chid.ToKey()); }

 private:
  Marks() = default;
  bool Has(const std::string& key) {
    if (!db_) return memory_.count(key) > 0;
    std::string v;
    if (!db_->KeyMayExist(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), key, &v)) return false;
    return db_->Get(rocksdb::ReadOptions(), key, &v).ok();
  }
  std::unique_ptr<rocksdb::DB> db_;
  std::string dir_;
  std::unordered_set<std::string> memory_;  // when there is no directory
};

Result<std::unique_ptr<Collector>> Collector::Create(ObjectApi* api, CollectorOptions options) {
  return std::unique_ptr<Collector>(new Collector(api, std::move(options)));
}

Collector::Collector(ObjectApi* api, CollectorOptions options)
    : api_(api), chunks_(api->backend().collection()), options_(std::move(options)) {}

Collector::~Collector() = default;

GcProgress Collector::progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

void Collector::SetPhase(const std::string& phase) {
  {
    std::lock_guard lock(mu_);
    progress_.phase = phase;
  }
  if (options_.on_phase) options_.on_phase(phase);
}

Result<GcPassResult> Collector::RunPass() {
  auto clock = [this] {
    return options_.clock ? options_.clock()
                          : static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                      std::chrono::system_clock::now().time_since_epoch())
                                                      .count());
  };
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    progress_.running = true;
    progress_.last_started_ns = clock();
  }
  GcPassResult r;
  Status st = [&]() -> Status {
    CCOW_RETURN_IF_ERROR(chunks_->OpenPinWindow());
    if (chunks_->drains_writes()) {
      SetPhase("drain");
      CCOW_RETURN_IF_ERROR(api_->DrainEarlierWrites(options_.drain_timeout_ns));
    }
    SetPhase("fence");
    CCOW_RETURN_IF_ERROR(chunks_->FenceEarlierWrites());
    CCOW_ASSIGN_OR_RETURN(auto marks, Marks::Open(options_.scratch_dir));
    SetPhase("mark");
    CCOW_RETURN_IF_ERROR(ExpireAndMark(*marks, &r));
    SetPhase("sweep");
    return Sweep(*marks, &r);
  }();
  chunks_->ClosePinWindow();
  // Compaction needs no pins: it moves records, never frees what the index still holds.
  // Its failure (a full disk) keeps what the sweep freed and is reported.
  Status compacted;
  if (st.ok() && options_.compact) {
    SetPhase("compact");
    auto c = chunks_->Compact(options_.compaction);
    if (c.ok()) {
      r.segments_compacted = c->segments_compacted;
      r.segments_deleted = c->segments_deleted;
      r.bytes_rewritten = c->bytes_rewritten;
      r.file_bytes_reclaimed = c->bytes_reclaimed;
    } else {
      compacted = c.status().WithContext("gc: compaction after the sweep");
      spdlog::warn("{}", compacted.ToString());
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(mu_);
  progress_.running = false;
  progress_.phase.clear();
  progress_.last_finished_ns = clock();
  if (!st.ok()) {
    progress_.passes_failed++;
    progress_.last_error = st.ToString();
    spdlog::warn("gc: pass failed after {:.1f} s, nothing more freed: {}", r.seconds, st.ToString());
    return st;
  }
  progress_.passes_completed++;
  progress_.last_error = compacted.ok() ? std::string() : compacted.ToString();
  progress_.last = r;
  progress_.total += r;
  if (r.versions_expired || r.chunks_freed || r.file_bytes_reclaimed)
    spdlog::info("gc: pass done in {:.1f} s: {} versions expired, {} of {} chunks freed ({} bytes), {} segment "
                 "file bytes given back",
                 r.seconds, r.versions_expired, r.chunks_freed, r.chunks_scanned, r.bytes_freed,
                 r.file_bytes_reclaimed);
  return r;
}

Status Collector::ExpireAndMark(Marks& marks, GcPassResult* r) {
  Backend& backend = api_->backend();
  std::string after;
  for (;;) {
    std::vector<VersionList> page;
    // A page ends between names: a cluster's copies of one name arrive together, and the
    // next page starts after the last name.
    CCOW_RETURN_IF_ERROR(backend.ScanVersionListCopies(after, [&](const VersionList& vl) {
      if (page.size() >= options_.page && vl.name() != page.back().name()) return false;
      page.push_back(vl);
      return true;
    }));
    if (page.empty()) return Status::OK();
    after = page.back().name();
    for (VersionList& vl : page) {
      r->lists_scanned++;
      const uint64_t retention = api_->RetentionOf(vl.name());
      const uint64_t now = options_.clock ? options_.clock() : NowNs();
      bool expired_any = false;
      for (const auto& q : vl.quarantine())
        if (q.deleted_at_ns + retention <= now) expired_any = true;
      auto mark_list = [&](const VersionList& list) -> Status {
        auto mark_version = [&](const VersionEntry& v) { return MarkTree(marks, v.vm_chid, false, 0, r); };
        for (const auto& v : list.versions()) CCOW_RETURN_IF_ERROR(mark_version(v));
        for (const auto& q : list.quarantine()) CCOW_RETURN_IF_ERROR(mark_version(q.version));
        for (const auto& s : list.snapshots()) CCOW_RETURN_IF_ERROR(mark_version(s.version));
        return Status::OK();
      };
      if (expired_any) {
        // Under the name's lock, on the list as it is now (it may have changed since the
        // scan read it); what remains is marked.
        std::optional<VersionList> kept;
        CCOW_RETURN_IF_ERROR(backend.UpdateVersionList(
            vl.name(), vl.nhid(),
            [&](VersionList* list) {
              r->versions_expired += list->ExpireQuarantine(now, retention).size();
              kept = *list;
              return Status::OK();
            },
            nullptr));
        if (kept->Empty()) r->lists_removed++;
        CCOW_RETURN_IF_ERROR(mark_list(*kept));
        // The copy scanned may be a stale replica's, naming versions the current list
        // no longer does: they stay referenced (marked) until it converges, expired ones
        // aside.
        vl.ExpireQuarantine(now, retention);
      }
      CCOW_RETURN_IF_ERROR(mark_list(vl));
    }
    if (options_.on_phase) options_.on_phase("mark-page");
  }
}

// Marks a version manifest (manifest=false) or a chunk reference, and everything below.
Status Collector::MarkTree(Marks& marks, const Chid& chid, bool manifest, int depth, GcPassResult* r) {
  CCOW_ASSIGN_OR_RETURN(bool fresh, marks.Add(chid));
  if (!fresh) return Status::OK();  // shared with a version marked already: done below too
  r->chunks_marked++;
  CCOW_RETURN_IF_ERROR(chunks_->Mark(chid));
  if (depth > 17) return Status::Corruption("chunk manifest tree deeper than 16 levels at " + chid.ToString());
  std::string bytes;
  if (Status s = api_->backend().GetChunk(chid, &bytes); !s.ok())
    return s.WithContext(std::string("gc: ") + (manifest ? "chunk" : "version") + " manifest " + chid.ToString() +
                         " cannot be read, so what it references is unknown; nothing is freed");
  std::vector<ChunkRef> refs;
  if (manifest) {
    CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
    refs = std::move(cm.refs);
  } else {
    CCOW_ASSIGN_OR_RETURN(VersionManifest vm, VersionManifest::Decode(bytes));
    refs = std::move(vm.root_refs);
  }
  for (const ChunkRef& ref : refs) {
    if (ref.kind == ChunkKind::kChunkManifest) {
      CCOW_RETURN_IF_ERROR(MarkTree(marks, ref.chid, true, depth + 1, r));
    } else {
      CCOW_ASSIGN_OR_RETURN(bool added, marks.Add(ref.chid));
      if (added) {
        r->chunks_marked++;
        CCOW_RETURN_IF_ERROR(chunks_->Mark(ref.chid));
      }
    }
  }
  return Status::OK();
}

Status Collector::Sweep(Marks& marks, GcPassResult* r) {
  CCOW_ASSIGN_OR_RETURN(SweepResult swept, chunks_->Sweep([&](const Chid& chid) { return marks.Has(chid); }));
  r->chunks_scanned += swept.scanned;
  r->chunks_freed += swept.removed;
  r->bytes_freed += swept.bytes_removed;
  r->chunks_pinned += swept.pinned;
  return Status::OK();
}

}  // namespace ccow
