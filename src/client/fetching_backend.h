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
// Fetches are batched and merged: a read of an object walks its manifests through
// GetChunk, so the backend remembers the payload chunks of the last manifests it read
// (kReadAheadManifests) and fetches a missing chunk together with the next ones of its
// manifest that are neither cached nor being fetched (up to kReadAheadChunks and
// kReadAheadBytes, in one request; kept in the cache, so only with a cache of some
// capacity). A read of a chunk another read is fetching waits for that fetch instead of
// asking again.
//
// Errors: what the inner backend answers; for an absent chunk without a source (no link
// yet), kNotFound; a source's kNotFound or kUnavailable, with the chunk named; bytes that
// do not hash to the CHID, kCorruption (and not cached).
//
// Threads: as the inner backend; SetSource may be called at any time from any thread.
#pragma once
#include <memory>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "client/backend.h"
#include "client/chunk_cache.h"

namespace ccow {

// Fetches chunks from another site: chids[0] is the one a read waits for, the rest are
// read-ahead, which the source may leave out. *out gets one entry per chid (empty: not
// fetched), not necessarily verified. An error means chids[0] could not be fetched.
using ChunkSource = std::function<Status(const std::vector<Chid>& chids, std::vector<std::string>* out)>;

struct FetchStats {
  uint64_t fetches = 0;         // chunks fetched from the source (read-ahead included)
  uint64_t fetched_bytes = 0;
  uint64_t fetch_failures = 0;  // the source failed, or sent bytes that did not verify
  uint64_t requests = 0;        // calls of the source
  uint64_t read_ahead = 0;      // chunks fetched with another, before any read asked
  uint64_t merged = 0;          // reads that waited for another read's fetch
  ChunkCacheStats cache;
};

class FetchingBackend final : public Backend {
 public:
  static constexpr size_t kReadAheadChunks = 16;
  static constexpr uint64_t kReadAheadBytes = 16 << 20;
  static constexpr size_t kReadAheadManifests = 64;

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
  Status PutNewChunk(const Chid& chid, std::string_view bytes, uint32_t r, WriteFence* f) override {
    return inner_->PutNewChunk(chid, bytes, r, f);
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
  // A fetch under way: what waiting reads get once it is done.
  struct Flight {
    bool primary = false;  // a read waits for it (not read-ahead)
    bool done = false;
    Status status;
    std::string bytes;
  };
  struct Next {
    Chid chid;
    uint64_t length = 0;
  };
  // Remembers the payload chunks of a manifest just read, for read-ahead.
  void Observe(const Chid& chid, const std::string& bytes);
  // The chunks after chid in its manifest, to fetch with it (mu_ held).
  std::vector<Chid> ReadAheadOf(const Chid& chid);

  const std::shared_ptr<Backend> inner_;
  const std::unique_ptr<ChunkCache> cache_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  ChunkSource source_;
  FetchStats stats_;
  std::map<Chid, std::shared_ptr<Flight>> flights_;
  // The payload chunks of the manifests read last (oldest first) and where each chunk is.
  std::deque<std::pair<Chid, std::vector<Next>>> manifests_;
  std::map<Chid, std::pair<Chid, size_t>> position_;  // chunk -> (manifest, index)
};

}  // namespace ccow
