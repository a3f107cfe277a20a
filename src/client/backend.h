// What the object API needs from the layer below: chunks by CHID and version lists by
// name. The local backend implements it on one chunk store; the cluster backend will
// implement it with FlexHash placement and Replicast, with no change above this line.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "model/version_list.h"
#include "store/chunk_store.h"

namespace ccow {

// A VDEV holding a chunk, with the replication count it records for it (0: none).
struct ChunkHolder {
  std::string vdev_id;
  uint32_t replication_count = 0;
};

// What the garbage collector needs of a backend whose chunks it may free (one local
// store today; docs/ARCHITECTURE.md "Garbage collection"). The pin window is the dedup
// guard: while it is open every chunk put (stored anew or found stored) or touched is
// pinned, and the sweep never removes a pinned chunk. Pinning happens before the store is
// asked, under the same lock the sweep holds while it checks pins and removes, so a put
// either pins first (the sweep keeps the chunk) or finds it already removed (and stores
// it again).
class ChunkCollection {
 public:
  virtual ~ChunkCollection() = default;
  virtual void OpenPinWindow() = 0;   // clears the pins of any earlier window
  virtual void ClosePinWindow() = 0;
  virtual uint64_t pinned_count() = 0;
  // Durable chunks in CHID key order after start_after, while fn returns true.
  virtual Status ScanChunks(const std::optional<Chid>& start_after,
                            const std::function<bool(const Chid&)>& fn) = 0;
  // Removes those of chids that are not pinned, in one synced write; counts them.
  virtual Status RemoveUnpinned(const std::vector<Chid>& chids, uint64_t* removed, uint64_t* bytes) = 0;
  // Gives the space of removed chunks back to the file system (ChunkStore::CompactSegments).
  virtual Result<CompactionResult> Compact(const CompactionOptions& options) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Stores a chunk unless present (inline dedup). Not durable until a version list
  // update or SyncChunks(). replication_count: the R the object's policy asks (a cluster
  // keeps that many replicas; one local store ignores it).
  virtual Status PutChunk(const Chid& chid, std::string_view bytes, uint32_t replication_count,
                          bool* stored_new) = 0;
  virtual Status SyncChunks() = 0;
  // Reads a chunk, verified against its CHID.
  virtual Status GetChunk(const Chid& chid, std::string* out) = 0;
  // Where a stored chunk lives (operators' `object stat --replicas`, tests).
  virtual Result<std::vector<ChunkHolder>> LocateChunk(const Chid& chid) = 0;
  // Makes a stored chunk kept at replication_count or more replicas: a new version that
  // references chunks of an object of a lower R (a copy or compose into a bucket of a
  // higher R) raises them. Reads and re-puts the chunk only when its holders fall short.
  virtual Status RaiseReplication(const Chid& chid, uint32_t replication_count) = 0;
  // A version about to be committed references this stored chunk without putting it (a
  // clone, a compose): keep it through any collection under way. kNotFound if it is gone.
  virtual Status TouchChunk(const Chid& chid) = 0;
  // The garbage collector's access, or null where chunks are not collected (a cluster,
  // until cluster GC lands).
  virtual ChunkCollection* collection() { return nullptr; }
  // The one chunk store of a local backend (one node's scrubber walks it), null elsewhere.
  virtual ChunkStore* local_store() { return nullptr; }

  virtual Result<std::optional<VersionList>> GetVersionList(const std::string& name) = 0;
  // Atomically applies `mutate` to the version list of `name` (a new empty list when there
  // is none) and stores the result durably, together with every chunk put so far. If
  // mutate fails nothing changes. A list left Empty() is removed.
  virtual Status UpdateVersionList(const std::string& name, const Nhid& nhid,
                                   const std::function<Status(VersionList*)>& mutate) = 0;
  // Visits version lists whose names start with prefix, in name order, after start_after.
  virtual Status ScanVersionLists(const std::string& prefix, const std::string& start_after,
                                  const std::function<bool(const VersionList&)>& fn) = 0;

  // The R of a put whose policy does not name one: a cluster's, 1 for one local store.
  virtual uint32_t default_replication_count() const = 0;

  virtual StoreCapacity Capacity() = 0;
  virtual StoreStats Stats() = 0;
};

// A backend on one local chunk store (`ccow server` and the CLI with --data).
std::unique_ptr<Backend> NewLocalBackend(std::unique_ptr<ChunkStore> store);

// Opens the chunk store of a data directory (DIR/vdev0) and wraps it in a local backend.
Result<std::unique_ptr<Backend>> OpenLocalBackend(const std::string& data_dir,
                                                  StoreOptions options = {});

}  // namespace ccow
