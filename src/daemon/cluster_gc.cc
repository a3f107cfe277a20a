#include "daemon/cluster_gc.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "client/cluster_backend.h"
#include "client/object_api.h"
#include "gc/collector.h"
#include "gc/erasure_encoder.h"
#include "replicast/initiator.h"
#include "replicast/message.h"
#include "replicast/network.h"

namespace ccow::daemon {
namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;

class ClusterGcImpl final : public ClusterGc {
 public:
  ClusterGcImpl(const TargetConfig& config, ClusterNode* node) : name_(config.server), node_(node) {}

  ~ClusterGcImpl() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    service_.reset();  // after the pass under way (one in its grace period stops now)
    ec_.reset();
    api_.reset();
  }

  Status Init(const TargetConfig& config, const std::string& flexhash_json) {
    CCOW_ASSIGN_OR_RETURN(auto kind, replicast::ParseTransportKind(config.transport));
    // GC messages go to one VDEV at a time: unicast whatever the data path uses.
    auto network = replicast::NewNetwork(kind == replicast::TransportKind::kTcp ? replicast::TransportKind::kTcp
                                                                                : replicast::TransportKind::kUdp);
    const std::string& first = config.vdevs.front().address;
    replicast::InitiatorOptions io;
    io.replication_count = config.replication_count;
    // A VDEV that does not answer fails the pass within 4 s rather than 12 (the default
    // 6 x 2 s): after a target dies the passes run again sooner, once the FlexHash
    // without it is committed. Every GC message is idempotent, so retries are safe.
    io.attempts = 4;
    io.ack_timeout_ns = 1'000'000'000;
    // A newer table comes from the registry of record this target is a member of.
    io.flexhash_source = [node = node_]() -> Result<std::string> {
      std::string json = node->current()->flexhash_json();
      if (json.empty()) return Status::Unavailable("the cluster is not initialised yet (no FlexHash generation)");
      return json;
    };
    CCOW_ASSIGN_OR_RETURN(auto initiator, replicast::Initiator::Create(
                                              network.get(), first.substr(0, first.rfind(':')) + ":0", flexhash_json, io));
    initiator_ = initiator.get();
    ClusterGcOptions g;
    g.fence_grace_ns = config.gc_fence_grace_s * kNsPerSecond;
    g.wait_grace = [this](uint64_t ns) { return WaitGrace(ns); };
    auto backend = NewClusterBackend(std::move(initiator), std::move(network), g);
    ApiOptions base;
    base.quarantine_retention_ns = config.quarantine_retention_s * kNsPerSecond;
    base.bucket_retention = [node = node_](const std::string& bucket_path) {
      return node->current()->QuarantineRetentionOf(bucket_path);
    };
    api_ = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(backend)), base);
    CollectorOptions co;
    co.scratch_dir = config.gc_scratch_dir;
    // The cluster backend compacts nothing itself (each VDEV does after its sweep, paced by
    // its own target's gc_rate_mb): given here so that the status shows this target's.
    co.compaction.max_bytes_per_second = config.gc_rate_mb * 1'000'000;
    CCOW_ASSIGN_OR_RETURN(auto collector, Collector::Create(api_.get(), co));
    GcServiceOptions so;
    so.interval_ns = config.gc_interval_s * kNsPerSecond;
    so.name = config.server;
    so.may_drive = [this] { return MayDrive(); };
    so.before_pass = [this] { BeforePass(); };
    service_ = std::make_unique<GcService>(std::move(collector), std::move(so));

    // The erasure encoder, over the same backend: its own schedule, the same leader.
    ErasureEncoderOptions eo;
    eo.rest_age_ns = config.ec_rest_age_s * kNsPerSecond;
    eo.min_object_bytes = config.ec_min_object_bytes;
    eo.bucket_policy = [node = node_](const std::string& bucket_path) -> std::optional<ErasurePolicy> {
      const std::string ec = node->current()->ErasureCodeOf(bucket_path);
      if (ec.empty()) return std::nullopt;
      auto p = ErasurePolicy::Parse(ec);
      if (!p.ok()) return std::nullopt;  // records are validated when committed
      return *p;
    };
    eo.bucket_replication = [node = node_](const std::string& bucket_path) {
      return node->current()->ReplicationCountOf(bucket_path);
    };
    EcServiceOptions es;
    es.interval_ns = config.ec_interval_s * kNsPerSecond;
    es.name = config.server;
    es.may_drive = [this] { return MayDrive(); };
    es.before_pass = [this] { InstallCommittedFlexHash(); };
    es.rest_age_ns = eo.rest_age_ns;
    es.min_object_bytes = eo.min_object_bytes;
    ec_ = std::make_unique<EcService>(std::make_unique<ErasureEncoder>(api_.get(), std::move(eo)), std::move(es));
    return Status::OK();
  }

  GcService& service() override { return *service_; }
  EcService& ec() override { return *ec_; }

 private:
  // Only the Raft leader of an initialised cluster drives passes.
  Status MayDrive() {
    RaftInfo i = node_->info();
    if (i.role != "leader")
      return Status::Unavailable("target " + name_ + " is not the Raft leader (" +
                                 (i.leader_id != 0 ? "Raft member " + std::to_string(i.leader_id) + " at " +
                                                         i.leader_address + " leads"
                                                   : std::string("no leader is known")) +
                                 "; the leader drives garbage collection and erasure coding)");
    if (node_->current()->flexhash_generation() == 0)
      return Status::Unavailable("the cluster is not initialised yet (no FlexHash generation): no background passes");
    return Status::OK();
  }

  void BeforePass() {
    InstallCommittedFlexHash();
    CloseAbandonedWindows();
    // The table the pass walks: the newest committed one (a target that died may have
    // left the table while the windows were being closed).
    InstallCommittedFlexHash();
  }

  void InstallCommittedFlexHash() {
    std::string json = node_->current()->flexhash_json();
    if (json.empty()) return;
    Status s = initiator_->SetFlexHash(json);
    if (!s.ok()) spdlog::warn("gc: installing the committed FlexHash in the collector: {}", s.ToString());
  }

  // Closes every pin window a VDEV has open: this target drives the passes now and none
  // of its own is under way, so an open window belongs to a pass that did not end (an
  // earlier leader's). At the first VDEV that does not answer it stops: the pass fails on
  // that VDEV anyway, and the next one closes the rest.
  void CloseAbandonedWindows() {
    using replicast::GcControl;
    using replicast::GcPhase;
    const std::shared_ptr<const FlexHashTable> table = initiator_->flexhash();
    for (const VdevInfo& v : table->vdevs()) {
      auto r = initiator_->GcCall(v.address, GcControl{0, GcPhase::kStatus});
      if (!r.ok()) return;
      if (!r->window_open) continue;
      auto c = initiator_->GcCall(v.address, GcControl{r->epoch, GcPhase::kClose});
      if (c.ok() && c->status == replicast::GcReplyStatus::kOk && !c->window_open)
        spdlog::warn("gc: VDEV {} had the pin window of epoch {} open, left by a pass that did not end "
                     "(an earlier leader's): closed",
                     v.id, r->epoch);
      else
        spdlog::warn("gc: VDEV {} keeps the pin window of epoch {} open ({}): this pass will not start",
                     v.id, r->epoch, c.ok() ? c->message : c.status().ToString());
    }
  }

  // The fence grace, cut short (failing the pass before its fence) when this target stops
  // or stops leading.
  Status WaitGrace(uint64_t ns) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
    std::unique_lock lock(mu_);
    while (true) {
      if (stopping_) return Status::Unavailable("gc: the target is stopping: the pass stops before its fence, freeing nothing");
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return Status::OK();
      cv_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(250)));
      if (stopping_) continue;
      lock.unlock();
      Status may = MayDrive();
      lock.lock();
      if (!may.ok()) return may.WithContext("gc: the pass stops before its fence, freeing nothing");
    }
  }

  const std::string name_;
  ClusterNode* const node_;
  replicast::Initiator* initiator_ = nullptr;  // owned by api_'s backend
  std::unique_ptr<ObjectApi> api_;
  std::unique_ptr<GcService> service_;
  std::unique_ptr<EcService> ec_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace

Result<std::unique_ptr<ClusterGc>> ClusterGc::Start(const TargetConfig& config, ClusterNode* node,
                                                    const std::string& flexhash_json) {
  auto gc = std::make_unique<ClusterGcImpl>(config, node);
  CCOW_RETURN_IF_ERROR(gc->Init(config, flexhash_json));
  return std::unique_ptr<ClusterGc>(std::move(gc));
}

}  // namespace ccow::daemon
