// The backend of a cluster: chunks and version lists through a Replicast initiator.
#include <algorithm>
#include <array>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "client/backend.h"
#include "client/cluster_backend.h"
#include "client/cluster_collection.h"
#include "client/read_repair.h"
#include "replicast/initiator.h"

namespace ccow {
namespace {

using replicast::NamedValue;

class ClusterBackend final : public Backend {
 public:
  ClusterBackend(std::unique_ptr<replicast::Network> network,
                 std::unique_ptr<replicast::Initiator> initiator, const ClusterGcOptions& gc,
                 const ReadRepairOptions& read_repair)
      : network_(std::move(network)),
        initiator_(std::move(initiator)),
        collection_(NewClusterCollection(initiator_.get(), gc)),
        read_repair_(std::make_unique<ReadRepair>(this, read_repair)) {}
  ~ClusterBackend() override {
    read_repair_.reset();  // finishes the repairs queued, through the initiator
    collection_.reset();
    initiator_.reset();  // its endpoint before the network it is bound on
    network_.reset();
  }

  Status PutChunk(const Chid& chid, std::string_view bytes, uint32_t replication_count,
                  bool* stored_new, WriteFence* fence) override {
    return Put(chid, bytes, replication_count, stored_new, fence, false);
  }
  Status PutNewChunk(const Chid& chid, std::string_view bytes, uint32_t replication_count,
                     WriteFence* fence) override {
    bool stored_new = true;
    return Put(chid, bytes, replication_count, &stored_new, fence, true);
  }
  Status PutChunkOn(const Chid& chid, std::string_view bytes, const std::string& vdev_id,
                    uint32_t replication_count, WriteFence* fence) override {
    uint64_t pin_epoch = WriteFence::kNone;
    CCOW_RETURN_IF_ERROR(initiator_->PutChunkTo(chid, bytes, {vdev_id}, replication_count, &pin_epoch));
    if (fence) fence->Observe(pin_epoch);
    return Status::OK();
  }
  Result<std::vector<ChunkHolder>> LocateChunk(const Chid& chid) override {
    CCOW_ASSIGN_OR_RETURN(auto found, initiator_->ProbeChunk(chid));
    std::vector<ChunkHolder> holders;
    for (auto& h : found) holders.push_back({std::move(h.vdev_id), h.replication_count});
    return holders;
  }
  Status RaiseReplication(const Chid& chid, uint32_t replication_count) override {
    CCOW_ASSIGN_OR_RETURN(auto holders, initiator_->ProbeChunk(chid));
    auto table = initiator_->flexhash();
    // R copies means R failure domains (as many as the row spans), not R VDEVs: two
    // holders on one server count once. (Counting VDEVs left a chunk that a top-up had put
    // on a second VDEV of one server short of a higher R asked later.)
    std::set<std::string> row_domains, held_domains;
    for (uint32_t v : table->Row(table->RowOf(chid)))
      row_domains.insert(DomainOf(table->vdevs()[v], table->failure_domain()));
    for (const auto& h : holders)
      for (const VdevInfo& v : table->vdevs())
        if (v.id == h.vdev_id) held_domains.insert(DomainOf(v, table->failure_domain()));
    bool enough = held_domains.size() >= std::min<size_t>(replication_count, row_domains.size());
    for (const auto& h : holders) enough = enough && h.replication_count >= replication_count;
    if (enough) return Status::OK();
    // The proposal of the re-put raises every holder's record; only VDEVs that lack the
    // chunk receive its bytes.
    std::string bytes;
    CCOW_RETURN_IF_ERROR(initiator_->GetChunk(chid, &bytes));
    bool stored_new = false;
    return initiator_->PutChunk(chid, bytes, &stored_new, replication_count);
  }
  Status TouchChunk(const Chid& chid, uint32_t replication_count, WriteFence* fence) override {
    CCOW_ASSIGN_OR_RETURN(uint64_t pin_epoch, initiator_->TouchChunk(chid, replication_count));
    if (fence) fence->Observe(pin_epoch);
    return Status::OK();
  }
  ChunkCollection* collection() override { return collection_.get(); }
  std::shared_ptr<const FlexHashTable> placement() override { return initiator_->flexhash(); }
  uint32_t default_replication_count() const override { return initiator_->default_replication_count(); }
  // Chunks are durable on R replicas when PutChunk returns, unless their write defers
  // its sync (WriteFence::DeferSync): its version-list update syncs them first.
  Status SyncChunks() override { return Status::OK(); }
  Status GetChunk(const Chid& chid, std::string* out) override {
    return initiator_->GetChunk(chid, out);
  }
  void OnDegradedRead(const StripeManifest& stripe, const Chid& lost) override { read_repair_->Report(stripe, lost); }
  ReadRepairStats read_repair_stats() const override { return read_repair_->stats(); }

  Result<std::optional<VersionList>> GetVersionList(const std::string& name) override {
    CCOW_ASSIGN_OR_RETURN(auto named, initiator_->GetNamed(name));
    if (!named || named->is_tombstone()) return std::optional<VersionList>();
    CCOW_ASSIGN_OR_RETURN(VersionList vl, VersionList::Decode(named->value));
    return std::optional<VersionList>(std::move(vl));
  }

  Result<VersionListRead> ReadVersionList(const std::string& name) override {
    CCOW_ASSIGN_OR_RETURN(auto named, initiator_->GetNamed(name));
    VersionListRead read;
    read.has_revision = true;
    read.revision = named ? named->seq : 0;
    if (named && !named->is_tombstone()) {
      CCOW_ASSIGN_OR_RETURN(VersionList vl, VersionList::Decode(named->value));
      read.list = std::move(vl);
    }
    return read;
  }
  bool network_bound() const override { return true; }

  Status UpdateVersionList(const std::string& name, const Nhid& nhid,
                           const std::function<Status(VersionList*)>& mutate,
                           WriteFence* fence) override {
    return UpdateVersionList(name, nhid, mutate, fence, nullptr);
  }
  Status UpdateVersionList(const std::string& name, const Nhid& nhid,
                           const std::function<Status(VersionList*)>& mutate, WriteFence* fence,
                           const VersionListRead* read) override {
    const uint64_t min_pin_epoch = fence ? fence->oldest() : replicast::Initiator::kNoNewReferences;
    // The chunks this write put without a sync become durable before any list names them.
    if (fence) {
      WriteFence::Unsynced taken = fence->TakeUnsynced();
      std::vector<replicast::DeferredHolder> holders;
      for (const auto& [address, incarnation] : taken) holders.push_back({address, incarnation});
      if (Status s = holders.empty() ? Status::OK() : initiator_->SyncDeferred(holders); !s.ok()) {
        fence->AddUnsynced(taken);  // still owed: a retry of this commit must not skip them
        return s;
      }
    }
    // Writers in this process take turns per name; writers in other processes are
    // serialized by the compare-and-swap at the name's first home replica.
    std::lock_guard<std::mutex> lock(stripes_[std::hash<std::string>()(name) % stripes_.size()]);
    Status last;
    for (int attempt = 0; attempt < 32; ++attempt) {
      VersionListRead fresh;
      if (attempt > 0 || read == nullptr || !read->has_revision) {
        CCOW_ASSIGN_OR_RETURN(fresh, ReadVersionList(name));
        read = &fresh;
      }
      const uint64_t seq = read->revision;
      const bool had_list = read->list.has_value();
      VersionList vl = had_list ? *read->list : VersionList(name, nhid);
      CCOW_RETURN_IF_ERROR(mutate(&vl));
      std::string value = vl.Empty() ? std::string() : vl.Encode();
      if (value.empty() && !had_list) return Status::OK();
      last = initiator_->PutNamed(name, seq, seq + 1, value, min_pin_epoch);
      if (last.code() != Code::kConflict) return last;
    }
    return last;
  }

  Status ScanVersionLists(const std::string& prefix, const std::string& start_after,
                          const std::function<bool(const VersionList&)>& fn) override {
    return Scan(prefix, start_after, fn, replicast::Initiator::ScanCopies::kNewest);
  }
  Status ScanVersionListCopies(const std::string& start_after,
                               const std::function<bool(const VersionList&)>& fn) override {
    return Scan("", start_after, fn, replicast::Initiator::ScanCopies::kEveryCopy);
  }

  // From the FlexHash table: what the VDEVs reported when it was built.
  StoreCapacity Capacity() override {
    StoreCapacity c;
    // Held for the loop: the range-for keeps only vdevs()'s reference alive, not the
    // table, which a new FlexHash generation (the registry follower) may free meanwhile.
    const std::shared_ptr<const FlexHashTable> table = initiator_->flexhash();
    for (const VdevInfo& v : table->vdevs()) {
      c.total_bytes += v.capacity_bytes;
      c.free_bytes += v.capacity_bytes > v.used_bytes ? v.capacity_bytes - v.used_bytes : 0;
    }
    return c;
  }
  StoreStats Stats() override {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }

 private:
  // PutChunk and PutNewChunk: negotiated, or (is_new) sent straight to R VDEVs when small.
  Status Put(const Chid& chid, std::string_view bytes, uint32_t replication_count, bool* stored_new,
             WriteFence* fence, bool is_new) {
    uint64_t pin_epoch = WriteFence::kNone;
    const bool defer = fence && fence->defers_sync();
    std::vector<replicast::DeferredHolder> deferred;
    Status s = is_new ? initiator_->PutNewChunk(chid, bytes, replication_count, &pin_epoch, defer ? &deferred : nullptr)
                      : initiator_->PutChunk(chid, bytes, stored_new, replication_count, &pin_epoch,
                                             defer ? &deferred : nullptr);
    if (s.ok() && fence) fence->Observe(pin_epoch);
    if (s.ok() && !deferred.empty()) {
      WriteFence::Unsynced holders;
      for (auto& d : deferred) holders.emplace_back(std::move(d.address), d.incarnation);
      fence->AddUnsynced(holders);
    }
    if (s.ok() && *stored_new) {
      std::lock_guard lock(stats_mu_);
      stats_.chunks_written++;
      stats_.payload_bytes_written += bytes.size();
    } else if (s.ok()) {
      std::lock_guard lock(stats_mu_);
      stats_.chunks_deduplicated++;
    }
    return s;
  }
  Status Scan(const std::string& prefix, const std::string& start_after,
              const std::function<bool(const VersionList&)>& fn, replicast::Initiator::ScanCopies copies) {
    Status decode_error;
    CCOW_RETURN_IF_ERROR(initiator_->ScanNamed(
        prefix, start_after,
        [&](const std::string& name, const NamedValue& v) {
          auto vl = VersionList::Decode(v.value);
          if (!vl.ok()) {
            decode_error = vl.status().WithContext(name);
            return false;
          }
          return fn(*vl);
        },
        copies));
    return decode_error;
  }

  std::unique_ptr<replicast::Network> network_;
  std::unique_ptr<replicast::Initiator> initiator_;
  std::unique_ptr<ChunkCollection> collection_;
  std::unique_ptr<ReadRepair> read_repair_;
  std::array<std::mutex, 64> stripes_;
  std::mutex stats_mu_;
  StoreStats stats_;
};

}  // namespace

std::unique_ptr<Backend> NewClusterBackend(std::unique_ptr<replicast::Initiator> initiator,
                                           std::unique_ptr<replicast::Network> network,
                                           const ClusterGcOptions& gc, const ReadRepairOptions& read_repair) {
  return std::make_unique<ClusterBackend>(std::move(network), std::move(initiator), gc, read_repair);
}

Result<ClusterFile> ClusterFile::Load(const std::string& dir) {
  std::ifstream in(dir + "/cluster.json");
  if (!in) return Status::NotFound("no cluster at " + dir + " (cluster.json is missing; start one with `ccow cluster up --dir " + dir + "`)");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption(dir + "/cluster.json is not JSON");
  ClusterFile f;
  f.dir = dir;
  f.transport = j.value("transport", "udp");
  f.replication_count = j.value("replication_count", 3u);
  f.multicast_base_port = j.value("multicast_base_port", 0);
  f.select_policy = j.value("select_policy", "queue-latency");
  f.admin_token = j.value("admin_token", "");
  for (const auto& t : j.value("targets", nlohmann::json::array())) {
    // "metrics": "http://HOST:PORT/metrics", the admin API's address.
    std::string url = t.value("metrics", "");
    size_t scheme = url.find("://");
    std::string rest = scheme == std::string::npos ? url : url.substr(scheme + 3);
    f.targets.push_back({t.value("name", ""), rest.substr(0, rest.find('/'))});
  }
  std::ifstream fh(dir + "/flexhash-checkpoint.json");
  if (!fh) return Status::NotFound(dir + "/flexhash-checkpoint.json is missing");
  std::stringstream fs;
  fs << fh.rdbuf();
  f.flexhash_json = fs.str();
  return f;
}

std::vector<std::string> ClusterFile::AdminAddresses() const {
  std::vector<std::string> out;
  for (const auto& t : targets)
    if (!t.admin_address.empty()) out.push_back(t.admin_address);
  return out;
}

Result<std::unique_ptr<Backend>> OpenClusterBackend(const ClusterFile& f,
                                                    replicast::Initiator** initiator_out,
                                                    std::function<Result<std::string>()> flexhash_source,
                                                    const ClusterGcOptions& gc) {
  CCOW_ASSIGN_OR_RETURN(auto kind, replicast::ParseTransportKind(f.transport));
  std::unique_ptr<replicast::Network> network = replicast::NewNetwork(kind);
  replicast::InitiatorOptions o;
  o.replication_count = f.replication_count;
  o.multicast = kind == replicast::TransportKind::kMulticast;
  o.multicast_base_port = f.multicast_base_port;
  CCOW_ASSIGN_OR_RETURN(o.select, replicast::ParseSelectPolicy(f.select_policy));
  std::string table = f.flexhash_json;
  if (flexhash_source) {
    CCOW_ASSIGN_OR_RETURN(table, flexhash_source());
    o.flexhash_source = std::move(flexhash_source);
  }
  CCOW_ASSIGN_OR_RETURN(auto initiator,
                        replicast::Initiator::Create(network.get(), "127.0.0.1:0", table, o));
  // The checkpoint on disk may be older than what the targets run now.
  Status refreshed = initiator->RefreshFlexHash();
  if (!refreshed.ok()) return refreshed.WithContext("no target of the cluster at " + f.dir + " answers");
  if (initiator_out) *initiator_out = initiator.get();
  ReadRepairOptions read_repair;
  read_repair.enabled = true;  // gateways and one-shot commands repair what their reads rebuilt
  return NewClusterBackend(std::move(initiator), std::move(network), gc, read_repair);
}

}  // namespace ccow
