// The RocksDB-backed chunk store. See chunk_store.h for the contract and
// docs/FORMAT.md §4 for the on-disk layout.
#include "store/chunk_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "core/check.h"
#include "model/encoding.h"
#include "store/index_format.h"
#include "store/segment_compactor.h"
#include "store/segment_log.h"

namespace ccow {
namespace {

using namespace store_internal;

// A read that fails after compaction moved its chunk re-reads the index this many times.
constexpr int kMovedReadRetries = 3;

class RocksChunkStore final : public ChunkStore {
 public:
  ~RocksChunkStore() override {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    if (db_) (void)db_->Close();
  }

  static Result<std::unique_ptr<ChunkStore>> Open(const StoreOptions& options) {
    std::error_code ec;
    std::filesystem::create_directories(options.path, ec);
    if (ec) return Status::IOError("cannot create " + options.path + ": " + ec.message());
    CCOW_ASSIGN_OR_RETURN(PayloadLayout layout, ReadOrCreateLayout(options));
    std::unique_ptr<RocksChunkStore> s(new RocksChunkStore());
    s->path_ = options.path;
    s->layout_ = layout;
    s->medium_ = options.medium ? options.medium : PosixMedium();
    CCOW_RETURN_IF_ERROR(s->OpenDb());
    if (layout == PayloadLayout::kSegments) {
      std::map<uint32_t, uint64_t> durable;
      std::unique_ptr<rocksdb::Iterator> it(s->db_->NewIterator(rocksdb::ReadOptions(), s->meta_));
      for (it->Seek("seg/"); it->Valid() && it->key().starts_with("seg/"); it->Next()) {
        std::string k = it->key().ToString();
        if (k.size() != 8) continue;
        uint32_t id = 0;
        for (int i = 4; i < 8; ++i) id = id << 8 | static_cast<uint8_t>(k[i]);
        durable[id] = DecodeU64Value(it->value().ToString());
      }
      CCOW_ASSIGN_OR_RETURN(s->log_, SegmentLog::Open(options.path + "/segments", s->medium_,
                                                      options.segment_size, durable));
    }
    std::string v;
    if (s->db_->Get(rocksdb::ReadOptions(), s->meta_, kChunkCountKey, &v).ok())
      s->durable_count_ = DecodeU64Value(v);
    if (s->db_->Get(rocksdb::ReadOptions(), s->meta_, kPayloadBytesKey, &v).ok())
      s->durable_bytes_ = DecodeU64Value(v);
    if (layout == PayloadLayout::kSegments) CCOW_RETURN_IF_ERROR(s->LoadInlineBytes());
    return std::unique_ptr<ChunkStore>(std::move(s));
  }

  Status Put(const HashId& chid, std::string_view bytes, bool* stored_new) override {
    bool commit_early = false;
    CCOW_RETURN_IF_ERROR(PutLocked(chid, bytes, stored_new, &commit_early));
    // Small chunks wait in memory (twice: in the batch and for reads) until a sync; a long
    // stream of them with no sync between (one large object of 64 KiB chunks on one node)
    // is made durable early rather than held without bound.
    return commit_early ? Commit(nullptr) : Status::OK();
  }

  Status PutLocked(const HashId& chid, std::string_view bytes, bool* stored_new, bool* commit_early) {
    *stored_new = false;
    std::lock_guard<std::mutex> lock(mu_);
    CCOW_RETURN_IF_ERROR(failed_);
    CCOW_ASSIGN_OR_RETURN(bool exists, ContainsLocked(chid));
    if (exists) {
      stats_.chunks_deduplicated++;
      return Status::OK();
    }
    std::string key = chid.ToKey();
    if (layout_ == PayloadLayout::kSegments && bytes.size() <= kInlineMax) {
      std::string value(1, kValueInline);
      value.append(bytes);
      pending_batch_.Put(chunks_, key, value);
      pending_inline_.emplace(key, std::string(bytes));
      pending_inline_bytes_ += bytes.size();
    } else if (layout_ == PayloadLayout::kSegments) {
      CCOW_ASSIGN_OR_RETURN(SegmentLocation loc, log_->Append(chid, bytes));
      pending_.emplace(key, loc);
      pending_batch_.Put(chunks_, key, LocationValue(loc));
    } else {
      rocksdb::WriteBatch batch;
      batch.Put(chunks_, key, rocksdb::Slice(bytes.data(), bytes.size()));
      CCOW_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch),
                                     "storing chunk " + chid.ToString()));
    }
    pending_count_++;
    pending_bytes_ += bytes.size();
    put_seq_++;
    stats_.chunks_written++;
    stats_.payload_bytes_written += bytes.size();
    *stored_new = true;
    *commit_early = pending_inline_bytes_ >= kMaxPendingInlineBytes;
    return Status::OK();
  }

  Status Sync() override { return Commit(nullptr); }
  bool HasUnsynced() override {
    std::lock_guard<std::mutex> lock(mu_);
    return synced_seq_ < put_seq_;
  }

  Status Get(const HashId& chid, std::string* out) override {
    std::string key = chid.ToKey();
    Status st;
    if (layout_ == PayloadLayout::kSegments) {
      std::optional<SegmentLocation> loc;
      bool have_bytes = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = pending_.find(key);
        if (it != pending_.end()) loc = it->second;
        auto in = pending_inline_.find(key);
        if (in != pending_inline_.end()) {
          *out = in->second;
          have_bytes = true;
        }
      }
      if (!loc && !have_bytes) {
        CCOW_RETURN_IF_ERROR(LookUp(chid, key, out, &loc));
        have_bytes = !loc;
      }
      if (!have_bytes) {
        st = log_->Read(*loc, out);
        // Compaction may have moved the chunk and deleted its old file between our index
        // read and this read; the index then points at the copy. Follow it while it moves.
        for (int retry = 0; !st.ok() && retry < kMovedReadRetries; ++retry) {
          std::optional<SegmentLocation> now;
          Status again = LookUp(chid, key, out, &now);
          if (!again.ok()) return again;  // NotFound: removed meanwhile
          if (!now) {  // the bytes are in *out now (compaction never does this; be general)
            st = Status::OK();
            break;
          }
          if (now->segment == loc->segment && now->offset == loc->offset) break;  // not moved
          loc = now;
          st = log_->Read(*loc, out);
        }
      }
    } else {
      st = GetIndex(chid, key, out);
      if (st.IsNotFound()) return st;
    }
    if (!st.ok()) return Corrupt(chid, st.message());
    HashId actual = HashBytes(chid.algo(), out->data(), out->size());
    if (actual != chid) {
      std::string why =
          "its " + std::to_string(out->size()) + " stored bytes hash to " + actual.ToString();
      out->clear();
      return Corrupt(chid, why);
    }
    return Status::OK();
  }

  Result<StoredChunkPlace> Locate(const HashId& chid) override {
    if (layout_ != PayloadLayout::kSegments)
      return Status::Unsupported("the " + std::string(PayloadLayoutName(layout_)) +
                                 " layout keeps payloads in RocksDB blob files");
    std::string bytes;
    std::optional<SegmentLocation> loc;
    CCOW_RETURN_IF_ERROR(LookUp(chid, chid.ToKey(), &bytes, &loc));
    StoredChunkPlace p;
    if (!loc) {
      p.in_index = true;
      p.length = bytes.size();
      return p;
    }
    p.file = log_->PathOf(loc->segment);
    p.offset = loc->offset;
    p.length = loc->length;
    return p;
  }

  Result<bool> Contains(const HashId& chid) override {
    std::lock_guard<std::mutex> lock(mu_);
    return ContainsLocked(chid);
  }

  Status ScanChunks(const std::optional<HashId>& start_after,
                    const std::function<bool(const HashId&)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks_));
    std::string start = start_after ? start_after->ToKey() : std::string();
    for (start.empty() ? it->SeekToFirst() : it->Seek(start); it->Valid(); it->Next()) {
      if (!start.empty() && it->key() == rocksdb::Slice(start)) continue;
      auto chid = HashId::FromKey(std::string_view(it->key().data(), it->key().size()));
      if (!chid.ok()) continue;  // not a chunk key; Get reports damage where it matters
      if (!fn(*chid)) break;
    }
    return FromRocks(it->status(), "listing the chunks of " + path_);
  }

  Result<uint32_t> ReplicationCount(const HashId& chid) override {
    std::lock_guard<std::mutex> lock(mu_);
    return ReplicationCountLocked(chid.ToKey());
  }

  Result<bool> RecordReplicationCount(const HashId& chid, uint32_t replication_count) override {
    std::lock_guard<std::mutex> lock(mu_);
    CCOW_RETURN_IF_ERROR(failed_);
    std::string key = chid.ToKey();
    CCOW_ASSIGN_OR_RETURN(uint32_t recorded, ReplicationCountLocked(key));
    if (replication_count <= recorded) return false;
    Encoder e;
    e.PutVarint(replication_count);
    pending_batch_.Put(attrs_, key, e.Take());
    pending_replication_[key] = replication_count;
    put_seq_++;
    return true;
  }

  Status SetReplicationCounts(const std::vector<std::pair<HashId, uint32_t>>& counts) override {
    if (counts.empty()) return Status::OK();
    CCOW_RETURN_IF_ERROR(Sync());  // a pending put (and the count it raised) is indexed first
    std::unique_lock<std::mutex> lock(mu_);
    // A commit leader writes the attrs it snapshotted before releasing mu_; one writing
    // now could put back an older count over ours. None can start while we hold mu_.
    commit_cv_.wait(lock, [&] { return !committing_; });
    CCOW_RETURN_IF_ERROR(failed_);
    rocksdb::WriteBatch batch;
    size_t n = 0;
    for (const auto& [chid, r] : counts) {
      std::string key = chid.ToKey();
      // Put or raised since the Sync above: a put under way asked for that count; keep it.
      if (pending_.count(key) || pending_inline_.count(key) || pending_replication_.count(key)) continue;
      std::string v;
      if (!db_->KeyMayExist(rocksdb::ReadOptions(), chunks_, key, &v)) continue;
      auto s = db_->Get(rocksdb::ReadOptions(), chunks_, key, &v);
      if (s.IsNotFound()) continue;  // removed: no record to keep
      CCOW_RETURN_IF_ERROR(FromRocks(s, "reading chunk " + chid.ToString()));
      if (r == 0) {
        batch.Delete(attrs_, key);
      } else {
        Encoder e;
        e.PutVarint(r);
        batch.Put(attrs_, key, e.Take());
      }
      ++n;
    }
    if (n == 0) return Status::OK();
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Write(wo, &batch),
                     "recording the replication counts of " + std::to_string(n) + " chunks in " + path_);
  }

  Status RemoveChunk(const HashId& chid) override {
    uint64_t bytes = 0;
    return RemoveChunks({chid}, &bytes);
  }

  Status RemoveChunks(const std::vector<HashId>& chids, uint64_t* bytes_removed) override {
    CCOW_RETURN_IF_ERROR(Sync());  // a pending put of one is indexed before it goes
    std::unique_lock<std::mutex> lock(mu_);
    // A commit leader writes the chunk counters from a snapshot it took before releasing
    // mu_; removing a chunk while it writes would have one of the two writes lose the
    // other's update. Wait until no leader is syncing; none can start while we hold mu_.
    commit_cv_.wait(lock, [&] { return !committing_; });
    CCOW_RETURN_IF_ERROR(failed_);
    uint64_t count = durable_count_, bytes = durable_bytes_, removed = 0;
    uint64_t inline_bytes = durable_inline_;
    rocksdb::WriteBatch batch;
    std::vector<std::string> keys;
    for (const HashId& chid : chids) {
      std::string key = chid.ToKey();
      // Put again since the Sync above (the caller let a put through): keep it.
      if (pending_.count(key) || pending_inline_.count(key)) continue;
      std::string v;
      auto s = db_->Get(rocksdb::ReadOptions(), chunks_, key, &v);
      if (s.IsNotFound()) continue;
      CCOW_RETURN_IF_ERROR(FromRocks(s, "reading chunk " + chid.ToString()));
      uint64_t size = v.size();
      if (layout_ == PayloadLayout::kSegments && !v.empty() && v[0] == kValueInline) {
        size = v.size() - 1;
        inline_bytes = inline_bytes > size ? inline_bytes - size : 0;
      } else if (layout_ == PayloadLayout::kSegments && !v.empty() && v[0] == kValueLocation) {
        auto loc = SegmentLocation::Decode(std::string_view(v).substr(1));
        size = loc.ok() ? loc->length : 0;
      }
      count = count > 0 ? count - 1 : 0;
      bytes = bytes > size ? bytes - size : 0;
      removed += size;
      batch.Delete(chunks_, key);
      batch.Delete(attrs_, key);
      keys.push_back(std::move(key));
    }
    if (keys.empty()) return Status::OK();
    batch.Put(meta_, kChunkCountKey, U64Value(count));
    batch.Put(meta_, kPayloadBytesKey, U64Value(bytes));
    if (layout_ == PayloadLayout::kSegments) batch.Put(meta_, kInlineBytesKey, U64Value(inline_bytes));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    CCOW_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch), "removing " + std::to_string(keys.size()) + " chunks"));
    durable_count_ = count;
    durable_bytes_ = bytes;
    durable_inline_ = inline_bytes;
    for (const auto& k : keys) pending_replication_.erase(k);
    *bytes_removed += removed;
    return Status::OK();
  }

  // Callers' records live in the meta column family under a prefix of their own, apart
  // from the store's counters.
  static std::string MetaKey(std::string_view key) { return "owner/" + std::string(key); }
  Result<std::optional<std::string>> GetMeta(std::string_view key) override {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), meta_, MetaKey(key), &v);
    if (s.IsNotFound()) return std::optional<std::string>();
    CCOW_RETURN_IF_ERROR(FromRocks(s, "reading " + std::string(key) + " of " + path_));
    return std::optional<std::string>(std::move(v));
  }
  Status PutMeta(std::string_view key, std::string_view value) override {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Put(wo, meta_, MetaKey(key), rocksdb::Slice(value.data(), value.size())),
                     "recording " + std::string(key) + " of " + path_);
  }

  Result<std::optional<std::string>> GetVersionList(std::string_view name) override {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), names_, rocksdb::Slice(name.data(), name.size()), &v);
    if (s.IsNotFound()) return std::optional<std::string>();
    CCOW_RETURN_IF_ERROR(FromRocks(s, "reading the version list of " + std::string(name)));
    return std::optional<std::string>(std::move(v));
  }

  Status PutVersionList(std::string_view name, std::optional<std::string_view> value) override {
    rocksdb::Slice key(name.data(), name.size());
    // One synced write carries the pending chunk index and the version list: a put
    // costs one fdatasync of the segment and one WAL sync however many chunks it has.
    return Commit([&](rocksdb::WriteBatch* batch) {
      if (value)
        batch->Put(names_, key, rocksdb::Slice(value->data(), value->size()));
      else
        batch->Delete(names_, key);
    });
  }

  Status ScanVersionLists(
      std::string_view prefix, std::string_view start_after,
      const std::function<bool(std::string_view, std::string_view)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), names_));
    std::string start = std::string(prefix) + std::string(start_after);
    for (it->Seek(start); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (!k.starts_with(rocksdb::Slice(prefix.data(), prefix.size()))) break;
      if (!start_after.empty() && k == rocksdb::Slice(start)) continue;
      if (!fn(std::string_view(k.data(), k.size()),
              std::string_view(it->value().data(), it->value().size())))
        break;
    }
    return FromRocks(it->status(), "listing names under " + std::string(prefix));
  }

  StoreCapacity Capacity() override {
    StoreCapacity c;
    struct statvfs vfs;
    if (::statvfs(path_.c_str(), &vfs) == 0) {
      c.total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
      c.free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    }
    if (layout_ == PayloadLayout::kSegments) {
      c.payload_file_bytes = log_->bytes_on_disk();  // a counter
    } else {
      // Properties of the current version: no scan. Garbage is known once RocksDB has
      // compacted the removed chunks' keys away.
      uint64_t total = 0, garbage = 0;
      db_->GetIntProperty(chunks_, "rocksdb.total-blob-file-size", &total);
      db_->GetIntProperty(chunks_, "rocksdb.live-blob-file-garbage-size", &garbage);
      c.payload_file_bytes = total;
      c.payload_file_live_bytes = total > garbage ? total - garbage : 0;
    }
    std::lock_guard<std::mutex> lock(mu_);
    c.chunk_count = durable_count_ + pending_count_;
    c.payload_bytes = durable_bytes_ + pending_bytes_;
    if (layout_ == PayloadLayout::kSegments) {
      uint64_t in_index = durable_inline_ + pending_inline_bytes_;
      c.payload_file_live_bytes = c.payload_bytes > in_index ? c.payload_bytes - in_index : 0;
    }
    return c;
  }

  Result<CompactionResult> CompactSegments(const CompactionOptions& options) override {
    std::lock_guard<std::mutex> one_at_a_time(compact_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      CCOW_RETURN_IF_ERROR(failed_);
    }
    CompactionResult result;
    if (layout_ == PayloadLayout::kSegments) {
      CompactionHost host;
      host.db = db_.get();
      host.meta = meta_;
      host.chunks = chunks_;
      host.log = log_.get();
      host.seal = [this]() -> Result<uint32_t> {
        uint32_t active;
        {
          // Puts append under mu_: every append to a lower segment is now in the pending
          // batch, and the Sync below indexes it.
          std::lock_guard<std::mutex> lock(mu_);
          active = log_->active();
        }
        CCOW_RETURN_IF_ERROR(Sync());
        return active;
      };
      host.roll = [this]() -> Result<uint32_t> {
        uint32_t active;
        {
          std::lock_guard<std::mutex> lock(mu_);
          CCOW_RETURN_IF_ERROR(log_->Roll());
          active = log_->active();
        }
        CCOW_RETURN_IF_ERROR(Sync());
        return active;
      };
      host.commit = [this](const std::function<void(rocksdb::WriteBatch*)>& extra) {
        return Commit(extra, /*sync_log=*/true);
      };
      host.count_verify_failure = [this] {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.verify_failures++;
      };
      CCOW_ASSIGN_OR_RETURN(result, CompactSegmentFiles(host, options));
    } else {
      CCOW_ASSIGN_OR_RETURN(result, CompactBlobFiles(db_.get(), chunks_));
    }
    // A stop request leaves the index's tombstones to the next call: compacting it can
    // take as long as the rewrite.
    if (options.compact_index && !options.stop.stop_requested()) CCOW_RETURN_IF_ERROR(CompactIndex());
    return result;
  }

  Status CompactIndex() override {
    rocksdb::CompactRangeOptions o;
    // Rewrite the bottom level too: that is where a removal's tombstone finally drops.
    o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    for (auto* cf : {chunks_, attrs_})
      CCOW_RETURN_IF_ERROR(FromRocks(db_->CompactRange(o, cf, nullptr, nullptr),
                                     "compacting the " + cf->GetName() + " index of " + path_));
    return Status::OK();
  }

  StoreStats Stats() override {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  PayloadLayout layout() const override { return layout_; }

 private:
  RocksChunkStore() = default;

  Status OpenDb() {
    rocksdb::DB* db = nullptr;
    CCOW_RETURN_IF_ERROR(OpenIndexDb(path_, layout_, &db, &handles_));
    db_.reset(db);
    meta_ = handles_[0];
    chunks_ = handles_[1];
    names_ = handles_[2];
    attrs_ = handles_[3];
    return Status::OK();
  }

  Status Corrupt(const HashId& chid, const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.verify_failures++;
    }
    spdlog::error("chunk {} is corrupt: {}", chid.ToString(), why);
    return Status::Corruption("chunk " + chid.ToString() + " is corrupt: " + why);
  }

  // Reads a chunk's index entry: either its payload (inline, into *out) or *loc.
  Status LookUp(const HashId& chid, const std::string& key, std::string* out,
                std::optional<SegmentLocation>* loc) {
    std::string v;
    CCOW_RETURN_IF_ERROR(GetIndex(chid, key, &v));
    if (!v.empty() && v[0] == kValueInline) {
      out->assign(v, 1);
      loc->reset();
      return Status::OK();
    }
    if (v.empty() || v[0] != kValueLocation) return Corrupt(chid, "its index entry has an unknown kind");
    auto decoded = SegmentLocation::Decode(std::string_view(v).substr(1));
    if (!decoded.ok()) return Corrupt(chid, decoded.status().message());
    *loc = *decoded;
    return Status::OK();
  }

  // The payload bytes held inline in the index (the rest are in segment files). Stores
  // written before the counter existed get it from one pass over the index, once.
  Status LoadInlineBytes() {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), meta_, kInlineBytesKey, &v);
    if (s.ok()) {
      durable_inline_ = DecodeU64Value(v);
      return Status::OK();
    }
    if (!s.IsNotFound()) return FromRocks(s, "reading the counters of " + path_);
    uint64_t inline_bytes = 0;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks_));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      if (!it->value().empty() && it->value()[0] == kValueInline) inline_bytes += it->value().size() - 1;
    CCOW_RETURN_IF_ERROR(FromRocks(it->status(), "counting the inline chunks of " + path_));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    CCOW_RETURN_IF_ERROR(FromRocks(db_->Put(wo, meta_, kInlineBytesKey, U64Value(inline_bytes)),
                                   "recording the inline chunk bytes of " + path_));
    durable_inline_ = inline_bytes;
    return Status::OK();
  }

  Status GetIndex(const HashId& chid, const std::string& key, std::string* out) {
    auto s = db_->Get(rocksdb::ReadOptions(), chunks_, key, out);
    if (s.IsNotFound()) return Status::NotFound("chunk " + chid.ToString() + " is not stored");
    return FromRocks(s, "reading chunk " + chid.ToString());
  }

  Result<uint32_t> ReplicationCountLocked(const std::string& key) {
    auto it = pending_replication_.find(key);
    if (it != pending_replication_.end()) return it->second;
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), attrs_, key, &v);
    if (s.IsNotFound()) return 0u;
    CCOW_RETURN_IF_ERROR(FromRocks(s, "reading the attributes of a chunk"));
    Decoder d(v, "chunk attributes");
    uint64_t r = d.GetVarint();
    CCOW_RETURN_IF_ERROR(d.Finish());
    return static_cast<uint32_t>(std::min<uint64_t>(r, UINT32_MAX));
  }

  Result<bool> ContainsLocked(const HashId& chid) {
    std::string key = chid.ToKey();
    if (pending_.count(key) || pending_inline_.count(key)) return true;
    std::string v;
    if (!db_->KeyMayExist(rocksdb::ReadOptions(), chunks_, key, &v)) return false;
    auto s = db_->Get(rocksdb::ReadOptions(), chunks_, key, &v);
    if (s.IsNotFound()) return false;
    CCOW_RETURN_IF_ERROR(FromRocks(s, "looking up chunk " + chid.ToString()));
    return true;
  }

  // Makes every put so far durable, together with `extra` (may be null). Group commit:
  // callers queue up; the first in line becomes the leader, takes every queued caller's
  // `extra` into one batch, and pays one segment fdatasync and one WAL sync for all of
  // them, while the others wait for its result. Callers' extras reference their stacks,
  // which stay alive because every caller blocks until its group is done.
  //
  // The segment fdatasync is paid only when the group indexes bytes appended to the log:
  // a put's pending chunks, or compaction's copies (sync_log). Compaction appends to the
  // active segment between its own commits; were every commit to sync whatever is dirty,
  // each version-list write of a deduplicated put (which appends nothing) would wait for
  // an fdatasync of copies it does not index (measured: the puts' commits went from 10
  // to 16 ms during a GC pass, background_jobs_bench.sh). Those copies become durable
  // with compaction's own commit, which repoints the index at them in the same write.
  struct CommitWaiter {
    const std::function<void(rocksdb::WriteBatch*)>* extra = nullptr;
    bool sync_log = false;  // the extra indexes log appends that are not in pending_
    bool done = false;
    Status status;
  };

  Status Commit(const std::function<void(rocksdb::WriteBatch*)>& extra, bool sync_log = false) {
    std::unique_lock<std::mutex> lock(mu_);
    CCOW_RETURN_IF_ERROR(failed_);
    if (extra == nullptr && synced_seq_ >= put_seq_) return Status::OK();
    CommitWaiter self{.extra = extra ? &extra : nullptr, .sync_log = sync_log};
    commit_queue_.push_back(&self);
    commit_cv_.wait(lock, [&] { return self.done || (!committing_ && commit_queue_.front() == &self); });
    if (self.done) return self.status;
    CCOW_CHECK(commit_queue_.front() == &self);

    committing_ = true;
    std::vector<CommitWaiter*> group(commit_queue_.begin(), commit_queue_.end());
    commit_queue_.clear();
    rocksdb::WriteBatch batch = std::move(pending_batch_);
    pending_batch_.Clear();
    std::vector<std::string> committed_keys;
    bool group_syncs_log = !pending_.empty();
    for (CommitWaiter* w : group) group_syncs_log = group_syncs_log || w->sync_log;
    for (auto& [k, loc] : pending_) committed_keys.push_back(k);
    for (auto& [k, bytes] : pending_inline_) committed_keys.push_back(k);
    std::vector<std::pair<std::string, uint32_t>> committed_replication(pending_replication_.begin(),
                                                                        pending_replication_.end());
    uint64_t seq = put_seq_, count = pending_count_, bytes = pending_bytes_;
    uint64_t inline_bytes = pending_inline_bytes_, new_inline = durable_inline_ + inline_bytes;
    // The counters' new values are computed from this snapshot, taken under mu_: reading
    // durable_count_ after unlocking raced with RemoveChunk (which now waits for us).
    uint64_t new_count = durable_count_ + count, new_bytes = durable_bytes_ + bytes;
    lock.unlock();

    Status st;
    if (layout_ == PayloadLayout::kSegments && group_syncs_log) {
      std::vector<std::pair<uint32_t, uint64_t>> durable;
      st = log_->Sync(&durable);
      for (auto& [id, len] : durable) batch.Put(meta_, SegmentKey(id), U64Value(len));
    }
    if (st.ok()) {
      batch.Put(meta_, kChunkCountKey, U64Value(new_count));
      batch.Put(meta_, kPayloadBytesKey, U64Value(new_bytes));
      if (layout_ == PayloadLayout::kSegments) batch.Put(meta_, kInlineBytesKey, U64Value(new_inline));
      for (CommitWaiter* w : group)
        if (w->extra) (*w->extra)(&batch);
      rocksdb::WriteOptions wo;
      wo.sync = true;
      st = FromRocks(db_->Write(wo, &batch), "committing to " + path_);
    }

    lock.lock();
    stats_.syncs++;
    if (!st.ok()) {
      // A failed fsync leaves the page cache in an unknown state (it may have dropped the
      // dirty pages): refuse further writes rather than acknowledge data that may be lost.
      failed_ = st.WithContext("the store stopped accepting writes after a failed sync; restart to recover");
    } else {
      // Puts during the sync only add to the pending counters, and RemoveChunk waited:
      // what was snapshotted is still pending and the durable counters did not move.
      CCOW_CHECK(pending_count_ >= count && pending_bytes_ >= bytes);
      CCOW_CHECK(pending_inline_bytes_ >= inline_bytes);
      CCOW_CHECK(durable_count_ + count == new_count && seq >= synced_seq_);
      durable_count_ = new_count;
      durable_bytes_ = new_bytes;
      durable_inline_ = new_inline;
      pending_count_ -= count;
      pending_bytes_ -= bytes;
      pending_inline_bytes_ -= inline_bytes;
      for (const auto& k : committed_keys) {
        pending_.erase(k);
        pending_inline_.erase(k);
      }
      // A count raised again during the sync is in the next batch: keep serving it.
      for (const auto& [k, r] : committed_replication) {
        auto it = pending_replication_.find(k);
        if (it != pending_replication_.end() && it->second == r) pending_replication_.erase(it);
      }
      synced_seq_ = seq;
    }
    for (CommitWaiter* w : group) {
      w->done = true;
      w->status = st;
    }
    committing_ = false;
    commit_cv_.notify_all();
    return st;
  }

  std::string path_;
  PayloadLayout layout_ = PayloadLayout::kSegments;
  std::shared_ptr<Medium> medium_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* chunks_ = nullptr;
  rocksdb::ColumnFamilyHandle* names_ = nullptr;
  rocksdb::ColumnFamilyHandle* attrs_ = nullptr;
  std::unique_ptr<SegmentLog> log_;

  std::mutex mu_;  // guards everything below
  std::unordered_map<std::string, SegmentLocation> pending_;  // appended, index not durable
  std::unordered_map<std::string, std::string> pending_inline_;  // small payloads, not durable
  std::unordered_map<std::string, uint32_t> pending_replication_;  // recorded, not durable
  rocksdb::WriteBatch pending_batch_;
  uint64_t pending_count_ = 0, pending_bytes_ = 0;
  uint64_t durable_count_ = 0, durable_bytes_ = 0;
  uint64_t pending_inline_bytes_ = 0, durable_inline_ = 0;  // payload bytes inline in the index
  // Inline bytes waiting for a sync beyond which a put commits them itself.
  static constexpr uint64_t kMaxPendingInlineBytes = 32 << 20;
  uint64_t put_seq_ = 0, synced_seq_ = 0;
  Status failed_;
  StoreStats stats_;
  std::deque<CommitWaiter*> commit_queue_;  // callers waiting for a group commit
  bool committing_ = false;                 // a leader is syncing
  std::condition_variable commit_cv_;
  std::mutex compact_mu_;  // one CompactSegments at a time; taken before mu_, never under it
};

}  // namespace

const char* PayloadLayoutName(PayloadLayout layout) {
  return layout == PayloadLayout::kBlobDb ? "blobdb" : "segments";
}

Result<PayloadLayout> ParsePayloadLayout(const std::string& name) {
  if (name == "segments") return PayloadLayout::kSegments;
  if (name == "blobdb") return PayloadLayout::kBlobDb;
  return Status::InvalidArgument("unknown payload layout '" + name +
                                 "' (choose segments or blobdb)");
}

Result<std::unique_ptr<ChunkStore>> ChunkStore::Open(const StoreOptions& options) {
  return RocksChunkStore::Open(options);
}

}  // namespace ccow
