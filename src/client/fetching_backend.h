// A backend that fetches the chunks it lacks from elsewhere, on demand: the read side of a
// metadata-only Inter-Segment Gateway site (issue 14), whose links brought the versions
// (and with `all` their chunk manifests) but not the payload.
//
// GetChunk reads the inner backend first; a chunk it lacks (kNotFound, or kUnavailable
// from a cluster whose row did not all answer) is looked up in
// the chunk cache, then asked of the source (the link's remote), verified against its
// CHID and kept in the cache. Nothing fetched enters the inner store: the cache is
// bounded, and the garbage collector, scrub and erasure coding see only what the site
// stores. Every other call goes to the inner backend unchanged.
//
// Errors: what the inner backend answers; for an absent chunk without a source (no link
// yet), kNotFound; a source's kNotFound or kUnavailable, with the chunk named; bytes that
// do not hash to the CHID, kCorruption (and not cached).
//
// Threads: as the inner backend; SetSource may be called at any time from any thread.
#pragma once
#include <memory>
#include <mutex>

#include "client/backend.h"
#include "client/chunk_cache.h"

namespace ccow {

// Fetches one chunk from another site; *out need not be verified.
using ChunkSource = std::function<Status(const Chid& chid, std::string* out)>;

struct FetchStats {
  uint64_t fetches = 0;         // chunks fetched from the source
  uint64_t fetched_bytes = 0;
  uint64_t fetch_failures = 0;  // the source failed, or sent bytes that did not verify
  ChunkCacheStats cache;
};

class FetchingBackend final : public Backend {
 public:
  // cache may be null: every absent chunk is then fetched each time it is read.
  FetchingBackend(std::shared_ptr<Backend> inner, std::unique_ptr<ChunkCache> cache);

  void SetSource(ChunkSource source);  // empty: none
  ChunkCache* cache() { return cache_.get(); }
  FetchStats fetch_stats() const;

  Status GetChunk(const Chid& chid, std::string* out) override;
  // What this site has without fetching: the inner backend, then the cache.
  Status GetHere(const Chid& chid, std::string* out);

  Status PutChunk(const Chid& chid, std::string_view bytes, uint32_t r, bool* stored_new, WriteFence* f) override {
    return inner_->PutChunk(chid, bytes, r, stored_new, f);
  }
  Status PutChunkOn(const Chid& chid, std::string_view bytes, const std::string& vdev_id, uint32_t r,
                    WriteFence* f) override {
    return inner_->PutChunkOn(chid, bytes, vdev_id, r, f);
  }
  Status SyncChunks() override { return inner_->SyncChunks(); }
  void OnDegradedRead(const StripeManifest& stripe, const Chid& lost) override { inner_->OnDegradedRead(stripe, lost); }
  ReadRepairStats read_repair_stats() const override { return inner_->read_repair_stats(); }
  Result<std::vector<ChunkHolder>> LocateChunk(const Chid& chid) override { return inner_->LocateChunk(chid); }
  Status RaiseReplication(const Chid& chid, uint32_t r) override { return inner_->RaiseReplication(chid, r); }
  Status TouchChunk(const Chid& chid, uint32_t r, WriteFence* f) override { return inner_->TouchChunk(chid, r, f); }
  ChunkCollection* collection() override { return inner_->collection(); }
  ChunkStore* local_store() override { return inner_->local_store(); }
  std::shared_ptr<const FlexHashTable> placement() override { return inner_->placement(); }
  Result<std::optional<VersionList>> GetVersionList(const std::string& name) override {
    return inner_->GetVersionList(name);
  }
  Result<VersionListRead> ReadVersionList(const std::string& name) override { return inner_->ReadVersionList(name); }
  bool network_bound() const override { return inner_->network_bound(); }
  Status UpdateVersionList(const std::string& name, const Nhid& nhid, const std::function<Status(VersionList*)>& mutate,
                           WriteFence* f) override {
    return inner_->UpdateVersionList(name, nhid, mutate, f);
  }
  Status UpdateVersionList(const std::string& name, const Nhid& nhid, const std::function<Status(VersionList*)>& mutate,
                           WriteFence* f, const VersionListRead* read) override {
    return inner_->UpdateVersionList(name, nhid, mutate, f, read);
  }
  Status ScanVersionLists(const std::string& prefix, const std::string& start_after,
                          const std::function<bool(const VersionList&)>& fn) override {
    return inner_->ScanVersionLists(prefix, start_after, fn);
  }
  Status ScanVersionListCopies(const std::string& start_after,
                               const std::function<bool(const VersionList&)>& fn) override {
    return inner_->ScanVersionListCopies(start_after, fn);
  }
  uint32_t default_replication_count() const override { return inner_->default_replication_count(); }
  StoreCapacity Capacity() override { return inner_->Capacity(); }
  StoreStats Stats() override { return inner_->Stats(); }

 private:
  const std::shared_ptr<Backend> inner_;
  const std::unique_ptr<ChunkCache> cache_;
  mutable std::mutex mu_;
  ChunkSource source_;
  FetchStats stats_;
};

}  // namespace ccow
