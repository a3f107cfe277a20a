// A chunk store in memory for simulation tests: a thousand seeded cluster runs cannot
// afford RocksDB opens. It keeps the store's contract (dedup, verify on read, ordered name
// scans, chunks durable only once synced) and lets a test damage a chunk or cut the power.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "store/chunk_store.h"

namespace ccow::testing {

class MemoryChunkStore : public ChunkStore {
 public:
  Status Put(const HashId& chid, std::string_view bytes, bool* stored_new) override {
    std::lock_guard lock(mu_);
    *stored_new = chunks_.emplace(chid, std::string(bytes)).second;
    if (*stored_new) {
      unsynced_.insert(chid);
      stats_.chunks_written++;
      stats_.payload_bytes_written += bytes.size();
    } else {
      stats_.chunks_deduplicated++;
    }
    return Status::OK();
  }
  Status Sync() override {
    std::lock_guard lock(mu_);
    unsynced_.clear();
    stats_.syncs++;
    return Status::OK();
  }
  bool HasUnsynced() override {
    std::lock_guard lock(mu_);
    return !unsynced_.empty();
  }
  Status Get(const HashId& chid, std::string* out) override {
    std::lock_guard lock(mu_);
    auto it = chunks_.find(chid);
    if (it == chunks_.end()) return Status::NotFound("chunk " + chid.ToString() + " not found");
    if (HashBytes(chid.algo(), it->second) != chid) {
      stats_.verify_failures++;
      return Status::Corruption("chunk " + chid.ToString() + " does not match its hash");
    }
    *out = it->second;
    return Status::OK();
  }
  Result<bool> Contains(const HashId& chid) override {
    std::lock_guard lock(mu_);
    return chunks_.count(chid) > 0;
  }
  Status ScanChunks(const std::optional<HashId>& start_after,
                    const std::function<bool(const HashId&)>& fn) override {
    std::vector<HashId> ids;
    {
      std::lock_guard lock(mu_);
      auto it = start_after ? chunks_.upper_bound(*start_after) : chunks_.begin();
      for (; it != chunks_.end(); ++it) ids.push_back(it->first);
    }
    for (const HashId& id : ids)
      if (!fn(id)) break;
    return Status::OK();
  }
  Result<uint32_t> ReplicationCount(const HashId& chid) override {
    std::lock_guard lock(mu_);
    auto it = replication_.find(chid);
    return it == replication_.end() ? 0u : it->second;
  }
  Result<bool> RecordReplicationCount(const HashId& chid, uint32_t r) override {
    std::lock_guard lock(mu_);
    uint32_t& recorded = replication_[chid];
    if (r <= recorded) return false;
    recorded = r;
    return true;
  }
  Status SetReplicationCounts(const std::vector<std::pair<HashId, uint32_t>>& counts) override {
    std::lock_guard lock(mu_);
    for (const auto& [chid, r] : counts) {
      if (!chunks_.count(chid)) continue;
      if (r == 0)
        replication_.erase(chid);
      else
        replication_[chid] = r;
    }
    return Status::OK();
  }
  Status RemoveChunk(const HashId& chid) override {
    std::lock_guard lock(mu_);
    chunks_.erase(chid);
    replication_.erase(chid);
    unsynced_.erase(chid);
    return Status::OK();
  }
  Status RemoveChunks(const std::vector<HashId>& chids, uint64_t* bytes_removed) override {
    std::lock_guard lock(mu_);
    for (const HashId& chid : chids) {
      auto it = chunks_.find(chid);
      if (it == chunks_.end()) continue;
      *bytes_removed += it->second.size();
      chunks_.erase(it);
      replication_.erase(chid);
      unsynced_.erase(chid);
    }
    return Status::OK();
  }
  // Memory gives removed chunks back at once: nothing to compact.
  Result<CompactionResult> CompactSegments(const CompactionOptions&) override {
    return CompactionResult{};
  }
  Status CompactIndex() override { return Status::OK(); }
  Result<std::optional<std::string>> GetVersionList(std::string_view name) override {
    std::lock_guard lock(mu_);
    auto it = names_.find(std::string(name));
    if (it == names_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status PutVersionList(std::string_view name, std::optional<std::string_view> value) override {
    std::lock_guard lock(mu_);
    if (value)
      names_[std::string(name)] = std::string(*value);
    else
      names_.erase(std::string(name));
    return Status::OK();
  }
  Status ScanVersionLists(
      std::string_view prefix, std::string_view start_after,
      const std::function<bool(std::string_view, std::string_view)>& fn) override {
    std::map<std::string, std::string> copy;
    {
      std::lock_guard lock(mu_);
      copy = names_;
    }
    // start_after is relative to the prefix, as in the RocksDB store.
    std::string start = std::string(prefix) + std::string(start_after);
    for (auto it = copy.lower_bound(start); it != copy.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      if (!start_after.empty() && it->first == start) continue;
      if (!fn(it->first, it->second)) break;
    }
    return Status::OK();
  }
  Result<std::optional<std::string>> GetMeta(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = meta_.find(std::string(key));
    if (it == meta_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status PutMeta(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mu_);
    meta_[std::string(key)] = std::string(value);
    return Status::OK();
  }
  StoreCapacity Capacity() override {
    std::lock_guard lock(mu_);
    StoreCapacity c;
    c.total_bytes = 1ull << 40;
    c.free_bytes = c.total_bytes;
    c.chunk_count = chunks_.size();
    for (const auto& [id, bytes] : chunks_) c.payload_bytes += bytes.size();
    return c;
  }
  StoreStats Stats() override {
    std::lock_guard lock(mu_);
    return stats_;
  }
  PayloadLayout layout() const override { return PayloadLayout::kSegments; }

  // Test hooks.
  bool Has(const HashId& chid) {
    std::lock_guard lock(mu_);
    return chunks_.count(chid) > 0;
  }
  void FlipFirstByte(const HashId& chid) {
    std::lock_guard lock(mu_);
    auto it = chunks_.find(chid);
    if (it != chunks_.end() && !it->second.empty()) it->second[0] ^= 1;
  }
  // The stored bytes cut to half (a torn file) or lost entirely (a lost extent); the
  // chunk stays indexed, so Get reports it corrupt.
  void TruncateBytes(const HashId& chid) {
    std::lock_guard lock(mu_);
    auto it = chunks_.find(chid);
    if (it != chunks_.end()) it->second.resize(it->second.size() / 2);
  }
  void DropBytes(const HashId& chid) {
    std::lock_guard lock(mu_);
    auto it = chunks_.find(chid);
    if (it != chunks_.end()) it->second.clear();
  }
  // A power cut: chunks stored since the last Sync are gone (version lists, written
  // synced, stay).
  void LoseUnsynced() {
    std::lock_guard lock(mu_);
    for (const HashId& chid : unsynced_) {
      chunks_.erase(chid);
      replication_.erase(chid);
    }
    unsynced_.clear();
  }
  size_t chunk_count() {
    std::lock_guard lock(mu_);
    return chunks_.size();
  }

 private:
  std::mutex mu_;
  std::map<HashId, std::string> chunks_;
  std::map<std::string, std::string> names_;
  std::map<std::string, std::string> meta_;
  std::map<HashId, uint32_t> replication_;
  std::set<HashId> unsynced_;  // stored new since the last Sync
  StoreStats stats_;
};

}  // namespace ccow::testing
