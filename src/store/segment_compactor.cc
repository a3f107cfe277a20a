// Segment compaction. See segment_compactor.h for why it is safe alongside every other
// store call, and docs/FORMAT.md §4 for the files it changes.
#include "store/segment_compactor.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/check.h"
#include "core/rate_limiter.h"
#include "store/index_format.h"

namespace ccow {
namespace {

using namespace store_internal;

// Live bytes rewritten per group commit: bounds the copies waiting for their repointing
// (memory) and the work a crash throws away, while one fdatasync + WAL sync covers many.
constexpr uint64_t kCommitBytes = 32ull << 20;

bool SameLocation(const SegmentLocation& a, const SegmentLocation& b) {
  return a.segment == b.segment && a.offset == b.offset && a.length == b.length;
}

// A live record copied to the active segment, waiting for the index to point at it.
struct Move {
  std::string key;
  SegmentLocation from, to;
};

class Compaction {
 public:
  Compaction(const CompactionHost& host, const CompactionOptions& options)
      : host_(host), options_(options), pace_(options.max_bytes_per_second, options.pace_time) {}

  Result<CompactionResult> Run() {
    if (!(options_.min_dead_fraction >= 0.0 && options_.min_dead_fraction <= 1.0))
      return Status::InvalidArgument("min_dead_fraction must be between 0 and 1, not " +
                                     std::to_string(options_.min_dead_fraction));
    CCOW_ASSIGN_OR_RETURN(uint32_t active, host_.seal());
    if (options_.seal_active && host_.roll) {
      // Records appended after this count stay live whatever the estimate says: the
      // rewrite decides per record, against the index.
      CCOW_ASSIGN_OR_RETURN(auto all, LiveBytesBelow(active + 1));
      const uint64_t length = host_.log->Lengths()[active];
      const uint64_t live_bytes = std::min(all[active], length);
      if (length >= (1u << 20) &&
          1.0 - static_cast<double>(live_bytes) / static_cast<double>(length) >= options_.min_dead_fraction) {
        CCOW_ASSIGN_OR_RETURN(active, host_.roll());
      }
    }
    std::map<uint32_t, uint64_t> lengths = host_.log->Lengths();
    CCOW_ASSIGN_OR_RETURN(auto live, LiveBytesBelow(active));

    std::vector<std::pair<uint32_t, uint64_t>> empty;
    std::vector<std::pair<double, uint32_t>> candidates;  // (dead fraction, id)
    for (const auto& [id, length] : lengths) {
      if (id >= active) continue;
      result_.segments_examined++;
      auto it = live.find(id);
      uint64_t live_bytes = it == live.end() ? 0 : std::min(it->second, length);
      if (live_bytes == 0) {
        empty.emplace_back(id, length);
        continue;
      }
      double dead = 1.0 - static_cast<double>(live_bytes) / static_cast<double>(length);
      if (dead >= options_.min_dead_fraction) candidates.emplace_back(dead, id);
    }
    CCOW_RETURN_IF_ERROR(DeleteEmpty(empty));
    // Most dead first: the most space back for the bytes rewritten (max_bytes may stop us).
    std::sort(candidates.begin(), candidates.end(),
              [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    pace_.Restart();  // the rewrite's budget: the scans above are not paced
    for (const auto& [dead, id] : candidates) {
      if ((options_.max_bytes && result_.bytes_rewritten >= options_.max_bytes) || options_.stop.stop_requested()) {
        result_.stopped_early = true;
        break;
      }
      CCOW_RETURN_IF_ERROR(CompactOne(id, lengths[id], dead));
    }
    if (result_.segments_deleted > 0 || result_.segments_compacted > 0)
      spdlog::info("segment compaction: {} of {} sealed segments compacted, {} files deleted, "
                   "{} live bytes rewritten{}, {} file bytes reclaimed{}",
                   result_.segments_compacted, result_.segments_examined,
                   result_.segments_deleted, result_.bytes_rewritten,
                   pace_.rate() ? " (at most " + std::to_string(pace_.rate()) + " bytes/s)" : "",
                   result_.bytes_reclaimed,
                   !result_.stopped_early               ? ""
                   : options_.stop.stop_requested() ? " (stopped on request; the next compaction finishes)"
                                                    : " (stopped at max_bytes)");
    return result_;
  }

 private:
  // One pass over the index: the on-disk bytes of the live records of each sealed segment.
  // Memory is one counter per segment, whatever the number of chunks.
  Result<std::map<uint32_t, uint64_t>> LiveBytesBelow(uint32_t active) {
    std::map<uint32_t, uint64_t> live;
    std::unique_ptr<rocksdb::Iterator> it(host_.db->NewIterator(rocksdb::ReadOptions(), host_.chunks));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice v = it->value();
      if (v.empty() || v[0] != kValueLocation) continue;
      auto loc = SegmentLocation::Decode(std::string_view(v.data() + 1, v.size() - 1));
      auto chid = HashId::FromKey(std::string_view(it->key().data(), it->key().size()));
      if (!loc.ok() || !chid.ok()) continue;  // Get reports a damaged entry where it matters
      if (loc->segment < active) live[loc->segment] += SegmentLog::Footprint(*chid, *loc);
    }
    CCOW_RETURN_IF_ERROR(FromRocks(it->status(), "scanning the chunk index for compaction"));
    return live;
  }

  // Where the index says a chunk's payload is; nullopt when it is not stored in a segment.
  Result<std::optional<SegmentLocation>> IndexedLocation(const std::string& key) {
    std::string v;
    auto s = host_.db->Get(rocksdb::ReadOptions(), host_.chunks, key, &v);
    if (s.IsNotFound()) return std::optional<SegmentLocation>();
    CCOW_RETURN_IF_ERROR(FromRocks(s, "reading the chunk index for compaction"));
    if (v.empty() || v[0] != kValueLocation) return std::optional<SegmentLocation>();
    auto loc = SegmentLocation::Decode(std::string_view(v).substr(1));
    if (!loc.ok()) return std::optional<SegmentLocation>();
    return std::optional<SegmentLocation>(*loc);
  }

  // Segments nothing in the index points at: drop their length records durably, then
  // the files.
  Status DeleteEmpty(const std::vector<std::pair<uint32_t, uint64_t>>& segments) {
    if (segments.empty()) return Status::OK();
    std::function<void(rocksdb::WriteBatch*)> extra = [&](rocksdb::WriteBatch* batch) {
      for (const auto& [id, length] : segments) batch->Delete(host_.meta, SegmentKey(id));
    };
    CCOW_RETURN_IF_ERROR(host_.commit(extra));
    for (const auto& [id, length] : segments) Retire(id, length);
    return Status::OK();
  }

  void Retire(uint32_t id, uint64_t length) {
    // Its length record is gone: were the deletion to fail, the next open deletes it.
    Status st = host_.log->Remove(id);
    if (!st.ok()) {
      spdlog::warn("segment compaction: {} (the file is deleted when the store next opens)",
                   st.ToString());
      return;
    }
    result_.segments_deleted++;
    result_.bytes_reclaimed += length;
  }

  // Repoints the index at the copies in `moves`, in the next group commit, and (when
  // `retire` is set) drops that segment's length record in the same write. Returns
  // whether the record was dropped (nothing in the index points into the segment).
  Result<bool> CommitMoves(std::vector<Move>* moves, std::optional<uint32_t> retire) {
    if (moves->empty() && !retire) return false;
    bool retired = false;
    Status lookup_failed;
    std::function<void(rocksdb::WriteBatch*)> extra = [&](rocksdb::WriteBatch* batch) {
      for (const Move& m : *moves) {
        std::string v;
        auto s = host_.db->Get(rocksdb::ReadOptions(), host_.chunks, m.key, &v);
        if (!s.ok() && !s.IsNotFound()) {
          lookup_failed = FromRocks(s, "reading the chunk index for compaction");
          continue;  // the entry may still point into the segment: keep the segment
        }
        // Compare-and-set: a chunk removed (or removed and stored again elsewhere) since
        // it was copied keeps its new state; the copy is then dead space.
        if (s.ok() && v == LocationValue(m.from)) batch->Put(host_.chunks, m.key, LocationValue(m.to));
      }
      if (retire && lookup_failed.ok()) {
        batch->Delete(host_.meta, SegmentKey(*retire));
        retired = true;
      }
    };
    CCOW_RETURN_IF_ERROR(host_.commit(extra));
    moves->clear();
    if (!lookup_failed.ok())
      spdlog::warn("segment compaction: keeping segment {}: {}", retire.value_or(0),
                   lookup_failed.ToString());
    return retired;
  }

  Status CompactOne(uint32_t id, uint64_t length, double dead) {
    std::string path = host_.log->PathOf(id);
    std::vector<Move> moves;
    uint64_t batch_bytes = 0;
    bool complete = true;  // every live record found was copied
    bool stop = false;     // max_bytes reached, or stop requested
    Status failure;
    std::string payload;
    Status scan = host_.log->ForEachRecord(id, [&](const HashId& chid, const SegmentLocation& loc) {
      std::string key = chid.ToKey();
      auto indexed = IndexedLocation(key);
      if (!indexed.ok()) {
        failure = indexed.status();
        return false;
      }
      if (!*indexed || !SameLocation(**indexed, loc)) return true;  // dead
      Status st = host_.log->Read(loc, &payload);
      if (st.ok() && HashBytes(chid.algo(), payload.data(), payload.size()) != chid) {
        host_.count_verify_failure();
        st = Status::Corruption("its stored bytes do not hash to it");
      }
      if (!st.ok()) {
        // Never copy a damaged chunk: it stays where it is (and so does the segment) for
        // the scrubber to repair from another replica.
        spdlog::error("segment compaction: chunk {} in {} at offset {} is unreadable, leaving "
                      "it and the segment in place: {}",
                      chid.ToString(), path, loc.offset, st.ToString());
        complete = false;
        return true;
      }
      auto to = host_.log->Append(chid, payload);
      if (!to.ok()) {
        failure = to.status();
        return false;
      }
      moves.push_back({std::move(key), loc, *to});
      batch_bytes += loc.length;
      result_.bytes_rewritten += loc.length;
      // Paced here, between records, holding no lock: puts and gets run while it sleeps.
      if (!pace_.Pace(loc.length, options_.stop)) {
        stop = true;
        return false;
      }
      if (batch_bytes >= kCommitBytes) {
        auto committed = CommitMoves(&moves, std::nullopt);
        if (!committed.ok()) {
          failure = committed.status();
          return false;
        }
        batch_bytes = 0;
      }
      if (options_.max_bytes && result_.bytes_rewritten >= options_.max_bytes) {
        stop = true;
        return false;
      }
      return true;
    });
    if (!scan.ok()) {
      spdlog::error("segment compaction: keeping {}, whose records could not all be read: {}",
                    path, scan.ToString());
      complete = false;
    }
    bool evacuated = complete && !stop && failure.ok() && scan.ok();
    // Copies made before a failure are still committed: they are progress, not garbage.
    auto retired = CommitMoves(&moves, evacuated ? std::optional<uint32_t>(id) : std::nullopt);
    if (!failure.ok()) {
      std::string what = "compacting segment " + path + " (" +
                         std::to_string(static_cast<int>(dead * 100)) +
                         "% dead); the segment was kept and nothing was lost";
      if (failure.code() == Code::kNoSpace)
        what += "; free space, or compact when less is live (a segment needs room for its "
                "live bytes before its file can go)";
      return failure.WithContext(what);
    }
    if (!retired.ok()) return retired.status().WithContext("compacting segment " + path);
    result_.segments_compacted++;
    if (stop) result_.stopped_early = true;
    if (*retired) Retire(id, length);
    return Status::OK();
  }

  const CompactionHost& host_;
  const CompactionOptions& options_;
  RateLimiter pace_;  // live bytes rewritten, at most options_.max_bytes_per_second
  CompactionResult result_;
};

uint64_t BlobFileBytes(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks) {
  uint64_t v = 0;
  return db->GetIntProperty(chunks, "rocksdb.total-blob-file-size", &v) ? v : 0;
}

}  // namespace

Result<CompactionResult> CompactSegmentFiles(const CompactionHost& host,
                                             const CompactionOptions& options) {
  return Compaction(host, options).Run();
}

Result<CompactionResult> CompactBlobFiles(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks) {
  CompactionResult result;
  uint64_t before = BlobFileBytes(db, chunks);
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  // Relocate the live blobs of every blob file (not only the oldest quarter), so that a
  // file left holding only removed chunks' blobs is dropped now.
  o.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kForce;
  o.blob_garbage_collection_age_cutoff = 1.0;
  CCOW_RETURN_IF_ERROR(FromRocks(db->CompactRange(o, chunks, nullptr, nullptr),
                                 "compacting the chunks column family (blob garbage collection)"));
  uint64_t after = BlobFileBytes(db, chunks);
  result.bytes_reclaimed = before > after ? before - after : 0;
  return result;
}

}  // namespace ccow
