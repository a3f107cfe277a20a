#include <array>
#include <atomic>
#include <unordered_set>
#include <functional>
#include <mutex>

#include "client/backend.h"

namespace ccow {
namespace {

class LocalBackend final : public Backend, public ChunkCollection {
 public:
  explicit LocalBackend(std::unique_ptr<ChunkStore> store) : store_(std::move(store)) {}

  // The pin window and the drain guard one node's writes; fences are a cluster's.
  Status PutChunk(const Chid& chid, std::string_view bytes, uint32_t /*replication_count*/,
                  bool* stored_new, WriteFence* /*fence*/) override {
    Pin(chid);
    return store_->Put(chid, bytes, stored_new);
  }
  // One store is every VDEV: the chunk is put there, durable like any other put (with the
  // next SyncChunks or version-list update).
  Status PutChunkOn(const Chid& chid, std::string_view bytes, const std::string& /*vdev_id*/,
                    uint32_t replication_count, WriteFence* fence) override {
    bool stored_new = false;
    return PutChunk(chid, bytes, replication_count, &stored_new, fence);
  }
  Status TouchChunk(const Chid& chid, uint32_t /*replication_count*/, WriteFence* /*fence*/) override {
    Pin(chid);
    CCOW_ASSIGN_OR_RETURN(bool have, store_->Contains(chid));
    if (!have) return Status::NotFound("chunk " + chid.ToString() + " is no longer stored");
    return Status::OK();
  }
  ChunkCollection* collection() override { return this; }
  ChunkStore* local_store() override { return store_.get(); }

  Status OpenPinWindow() override {
    std::lock_guard lock(pin_mu_);
    pins_.clear();
    pinning_.store(true);
    return Status::OK();
  }
  bool drains_writes() const override { return true; }
  Status FenceEarlierWrites() override { return Status::OK(); }
  // The sweep asks is_marked; one store records no replication counts worth lowering.
  Status Mark(const Chid&, uint32_t /*replication_count*/) override { return Status::OK(); }
  void ClosePinWindow() override {
    std::lock_guard lock(pin_mu_);
    pinning_.store(false);
    pins_.clear();
  }
  Result<CompactionResult> Compact(const CompactionOptions& options) override {
    return store_->CompactSegments(options);
  }
  Result<SweepResult> Sweep(const std::function<bool(const Chid&)>& is_marked) override {
    constexpr size_t kBatch = 1024;  // chunks per synced removal
    SweepResult r;
    std::optional<Chid> cursor;
    for (;;) {
      std::vector<Chid> batch;
      bool more = false;
      CCOW_RETURN_IF_ERROR(store_->ScanChunks(cursor, [&](const Chid& chid) {
        cursor = chid;
        r.scanned++;
        if (!is_marked(chid)) batch.push_back(chid);
        if (batch.size() >= kBatch) {
          more = true;
          return false;
        }
        return true;
      }));
      if (!batch.empty()) {
        std::lock_guard lock(pin_mu_);  // puts wait: none can pin and find between check and removal
        std::vector<Chid> unpinned;
        for (const Chid& c : batch)
          if (!pins_.count(c.ToKey())) unpinned.push_back(c);
        CCOW_RETURN_IF_ERROR(store_->RemoveChunks(unpinned, &r.bytes_removed));
        r.removed += unpinned.size();
        r.pinned += batch.size() - unpinned.size();
      }
      if (!more) return r;
    }
  }
  Status SyncChunks() override { return store_->Sync(); }
  Status GetChunk(const Chid& chid, std::string* out) override { return store_->Get(chid, out); }
  Result<std::vector<ChunkHolder>> LocateChunk(const Chid& chid) override {
    CCOW_ASSIGN_OR_RETURN(bool have, store_->Contains(chid));
    std::vector<ChunkHolder> holders;
    if (have) holders.push_back({"vdev0", 1});
    return holders;
  }
  uint32_t default_replication_count() const override { return 1; }
  // One store holds one copy of everything: there is nothing to raise.
  Status RaiseReplication(const Chid&, uint32_t) override { return Status::OK(); }

  Result<std::optional<VersionList>> GetVersionList(const std::string& name) override {
    CCOW_ASSIGN_OR_RETURN(auto raw, store_->GetVersionList(name));
    if (!raw) return std::optional<VersionList>();
    CCOW_ASSIGN_OR_RETURN(VersionList vl, VersionList::Decode(*raw));
    return std::optional<VersionList>(std::move(vl));
  }

  Status UpdateVersionList(const std::string& name, const Nhid& nhid,
                           const std::function<Status(VersionList*)>& mutate,
                           WriteFence* /*fence*/) override {
    // Read-modify-write of one name is serialized; different names proceed in parallel.
    std::lock_guard<std::mutex> lock(StripeFor(name));
    CCOW_ASSIGN_OR_RETURN(auto current, GetVersionList(name));
    VersionList vl = current ? std::move(*current) : VersionList(name, nhid);
    CCOW_RETURN_IF_ERROR(mutate(&vl));
    if (vl.Empty()) return store_->PutVersionList(name, std::nullopt);
    std::string encoded = vl.Encode();
    return store_->PutVersionList(name, encoded);
  }

  Status ScanVersionLists(const std::string& prefix, const std::string& start_after,
                          const std::function<bool(const VersionList&)>& fn) override {
    Status decode_error;
    CCOW_RETURN_IF_ERROR(store_->ScanVersionLists(
        prefix, start_after, [&](std::string_view name, std::string_view value) {
          auto vl = VersionList::Decode(value);
          if (!vl.ok()) {
            decode_error = vl.status().WithContext(std::string(name));
            return false;
          }
          return fn(*vl);
        }));
    return decode_error;
  }

  Status ScanVersionListCopies(const std::string& start_after,
                               const std::function<bool(const VersionList&)>& fn) override {
    return ScanVersionLists("", start_after, fn);
  }

  StoreCapacity Capacity() override { return store_->Capacity(); }
  StoreStats Stats() override { return store_->Stats(); }

 private:
  // By name, not NHID: puts of one name may use different hash algorithms.
  std::mutex& StripeFor(const std::string& name) {
    return stripes_[std::hash<std::string>()(name) % stripes_.size()];
  }

  // Outside a pin window a put takes no lock here. The flag is set under pin_mu_ before
  // the collector drains writers that began earlier, so every writer that begins after
  // sees it.
  void Pin(const Chid& chid) {
    if (!pinning_.load()) return;
    std::lock_guard lock(pin_mu_);
    if (pinning_.load()) pins_.insert(chid.ToKey());
  }

  std::unique_ptr<ChunkStore> store_;
  std::array<std::mutex, 64> stripes_;
  std::mutex pin_mu_;
  std::atomic<bool> pinning_{false};
  std::unordered_set<std::string> pins_;  // CHID keys put or touched in the window
};

}  // namespace

std::unique_ptr<Backend> NewLocalBackend(std::unique_ptr<ChunkStore> store) {
  return std::make_unique<LocalBackend>(std::move(store));
}

Result<std::unique_ptr<Backend>> OpenLocalBackend(const std::string& data_dir,
                                                  StoreOptions options) {
  options.path = data_dir + "/vdev0";
  CCOW_ASSIGN_OR_RETURN(auto store, ChunkStore::Open(options));
  return NewLocalBackend(std::move(store));
}

}  // namespace ccow
