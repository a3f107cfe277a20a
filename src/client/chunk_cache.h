// A bounded cache of chunks fetched on demand (metadata-only Inter-Segment Gateway sites,
// issue 14): one file per chunk in a directory of its own, never more bytes than its
// capacity, evicted by E-LRU.
//
// E-LRU (a segmented LRU): a chunk enters on probation; read again while cached, it is
// promoted to the protected segment (at most 80% of the capacity; its least recent
// entries fall back to probation). Eviction takes probation's least recent first, so one
// large scan (a whole-object read, a backup) cannot flush the chunks read over and over.
//
// Every Get verifies the bytes against the CHID (a file damaged on disk is dropped and
// read as a miss); the cache holds copies only, so losing it loses nothing. Files left by
// an earlier run are indexed at Open (oldest first, on probation) and trimmed to the
// capacity.
//
// Threads: every method may be called from any thread.
#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/hash.h"
#include "core/status.h"

namespace ccow {

struct ChunkCacheStats {
  uint64_t hits = 0, misses = 0, inserts = 0, evictions = 0;
  uint64_t bytes = 0, chunks = 0, capacity = 0;
};

class ChunkCache {
 public:
  // A capacity not known yet (the setting is read later): nothing is trimmed until
  // SetCapacity, and nothing new is kept.
  static constexpr uint64_t kBoundUnknown = UINT64_MAX;
  // Creates dir when missing. kIOError naming the directory when it cannot be made or read.
  static Result<std::unique_ptr<ChunkCache>> Open(const std::string& dir, uint64_t capacity_bytes);

  // The chunk, verified: kNotFound when not cached (or dropped as damaged).
  Status Get(const HashId& chid, std::string* out);
  // Keeps bytes (which the caller verified) unless they alone exceed the capacity;
  // evicts to stay within it. kIOError when the file cannot be written (nothing kept).
  Status Put(const HashId& chid, std::string_view bytes);
  // Whether the chunk is cached (no read, no count): read-ahead skips it.
  bool Contains(const HashId& chid) const;
  // Evicts at once down to a smaller capacity; 0 keeps nothing.
  void SetCapacity(uint64_t bytes);
  ChunkCacheStats stats() const;

 private:
  struct Entry {
    uint64_t size = 0;
    bool is_protected = false;
    std::list<std::string>::iterator at;  // in probation_ or protected_, by key
  };
  explicit ChunkCache(std::string dir, uint64_t capacity) : dir_(std::move(dir)), capacity_(capacity) {}
  static std::string KeyOf(const HashId& chid);  // the file name: hex of HashId::ToKey
  std::string PathOf(const std::string& key) const;
  void Insert(const std::string& key, uint64_t size);  // on probation, most recent (mu_ held)
  void Remove(const std::string& key);                 // index and file (mu_ held)
  void Promote(const std::string& key);                // (mu_ held)
  void EvictTo(uint64_t capacity);                     // (mu_ held)

  const std::string dir_;
  mutable std::mutex mu_;
  uint64_t capacity_;
  uint64_t bytes_ = 0, protected_bytes_ = 0;
  // Most recent at the front.
  std::list<std::string> probation_, protected_;
  std::unordered_map<std::string, Entry> index_;
  ChunkCacheStats stats_;
};

}  // namespace ccow
