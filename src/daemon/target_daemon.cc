#include "daemon/target_daemon.h"

#include <signal.h>

#include <fstream>
#include <sstream>

#include "daemon/target_agent.h"
#include "replicast/network.h"
#include "server/admin_http.h"
#include "store/chunk_store.h"
#include "target/target.h"
#include "target/repair_queue.h"
#include "target/target_config.h"

namespace ccow::daemon {
namespace {

std::string Counter(const std::string& name, const std::string& help, uint64_t value) {
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
         std::to_string(value) + "\n";
}

std::string TargetMetrics(const Target& target, const std::vector<std::unique_ptr<ChunkStore>>& stores,
                          const TargetConfig& config) {
  TargetCounters c = target.counters();
  std::string out;
  out += Counter("ccow_replicast_messages_total", "Replicast messages received", c.messages);
  out += Counter("ccow_replicast_malformed_total", "undecodable datagrams dropped", c.malformed);
  out += Counter("ccow_replicast_wrong_generation_total", "messages refused for their FlexHash generation", c.wrong_generation);
  out += Counter("ccow_replicast_wrong_row_total", "messages for a row this VDEV does not serve", c.wrong_row);
  out += Counter("ccow_replicast_unexpected_total", "reply-type messages sent to a target", c.unexpected);
  out += Counter("ccow_target_bids_total", "bids sent", c.bids);
  out += Counter("ccow_target_dedup_accepts_total", "proposals answered 'content already stored'", c.dedup_accepts);
  out += Counter("ccow_target_sync_requests_total", "writers asking the chunks they put without a sync made durable", c.sync_requests);
  out += Counter("ccow_target_not_now_total", "proposals answered 'not now'", c.not_now);
  out += Counter("ccow_target_chunks_stored_total", "new chunks stored", c.chunks_stored);
  out += Counter("ccow_target_payload_bytes_stored_total", "payload bytes of new chunks", c.payload_bytes_stored);
  out += Counter("ccow_target_hash_mismatches_total", "trains whose bytes did not hash to their CHID", c.hash_mismatches);
  out += Counter("ccow_target_named_puts_total", "version-list updates applied", c.named_puts);
  out += Counter("ccow_target_named_conflicts_total", "version-list updates refused as stale", c.named_conflicts);
  out += Counter("ccow_target_gets_served_total", "chunk and version-list gets served", c.gets_served);
  out += Counter("ccow_target_corrupt_reads_total", "reads whose stored bytes did not verify", c.corrupt_reads);
  out += Counter("ccow_target_dropped_trains_total", "incomplete or unbuffered trains dropped", c.dropped_trains);
  out += "# TYPE ccow_vdev_free_bytes gauge\n";
  for (size_t i = 0; i < stores.size(); ++i)
    out += "ccow_vdev_free_bytes{vdev=\"" + config.vdevs[i].id + "\"} " +
           std::to_string(stores[i]->Capacity().free_bytes) + "\n";
  return out;
}

class TargetDaemonImpl final : public TargetDaemon {
 public:
  ~TargetDaemonImpl() override {
    agent_.reset();
    target_.reset();  // stop answering before the stores close
    stores_.clear();
  }

  Status Start(const std::string& config_path) {
    CCOW_ASSIGN_OR_RETURN(config_, TargetConfig::Load(config_path));
    std::ifstream in(config_.flexhash_path);
    if (!in) return Status::NotFound("FlexHash checkpoint " + config_.flexhash_path + " cannot be read");
    std::stringstream json;
    json << in.rdbuf();
    CCOW_ASSIGN_OR_RETURN(auto kind, replicast::ParseTransportKind(config_.transport));
    std::vector<TargetVdev> vdevs;
    for (const auto& v : config_.vdevs) {
      StoreOptions so;
      so.path = v.path;
      auto store = ChunkStore::Open(so);
      if (!store.ok()) return store.status().WithContext("VDEV " + v.id);
      vdevs.push_back({v.id, v.address, store->get(), v.path + "/gc-scratch"});
      stores_.push_back(std::move(*store));
    }
    network_ = replicast::NewNetwork(kind);
    TargetOptions options;
    options.worker_threads = 4;
    options.gc_rate_bytes_per_second = config_.gc_rate_mb * 1'000'000;
    if (kind == replicast::TransportKind::kMulticast) options.multicast_base_port = config_.multicast_base_port;
    // Read repair: a get that finds a VDEV's own copy bad queues it for the scrubber.
    options.on_corrupt_read = [q = repairs_](const std::string& vdev_id, const HashId& chid) { q->Push(vdev_id, chid); };
    CCOW_ASSIGN_OR_RETURN(target_, Target::Start(network_.get(), json.str(), vdevs, options));
    info_.server = config_.server;
    info_.flexhash_generation = target_->generation();
    info_.transport = network_->name();
    for (size_t i = 0; i < vdevs.size(); ++i)
      info_.vdevs.push_back({vdevs[i].id, target_->addresses()[i], config_.vdevs[i].path});
    if (config_.metrics_listen.empty()) return Status::OK();

    auto colon = config_.metrics_listen.rfind(':');
    AdminHttpOptions http;
    http.host = config_.metrics_listen.substr(0, colon);
    http.port = static_cast<uint16_t>(std::stoi(config_.metrics_listen.substr(colon + 1)));
    http.metrics = [this] {
      Target* t = target_.get();
      return TargetMetrics(*t, stores_, config_) + (agent_ ? agent_->Metrics() : "");
    };
    http.health = [] { return Status::OK(); };
    http.admin = [this](const std::string& method, const std::string& url, const std::string& auth) {
      if (!agent_) return std::pair<int, std::string>{503, R"({"error":"starting","code":"Unavailable"})"};
      return agent_->HandleAdmin(method, url, auth);
    };
    CCOW_ASSIGN_OR_RETURN(server_, AdminHttpServer::Bind(http));
    info_.admin_address = http.host + ":" + std::to_string(server_->port());
    std::vector<LocalVdev> local;
    for (size_t i = 0; i < vdevs.size(); ++i) local.push_back({vdevs[i].id, config_.vdevs[i].path, vdevs[i].store});
    CCOW_ASSIGN_OR_RETURN(agent_, TargetAgent::Start(config_, target_.get(), std::move(local), info_.admin_address,
                                                     repairs_));
    info_.raft_id = config_.raft_id;
    info_.raft_address = config_.raft_address;
    return Status::OK();
  }

  const TargetDaemonInfo& info() const override { return info_; }

  int RunUntilSignal() override {
    int sig = 0;
    if (server_) {
      sig = server_->RunUntilSignal();
    } else {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      sigwait(&set, &sig);
    }
    agent_.reset();
    target_.reset();
    return sig;
  }

 private:
  TargetConfig config_;
  TargetDaemonInfo info_;
  std::vector<std::unique_ptr<ChunkStore>> stores_;
  std::shared_ptr<RepairQueue> repairs_ = std::make_shared<RepairQueue>();
  std::unique_ptr<replicast::Network> network_;
  std::unique_ptr<Target> target_;
  std::unique_ptr<AdminHttpServer> server_;
  std::unique_ptr<TargetAgent> agent_;
};

}  // namespace

Result<std::unique_ptr<TargetDaemon>> TargetDaemon::Start(const std::string& config_path) {
  auto d = std::make_unique<TargetDaemonImpl>();
  CCOW_RETURN_IF_ERROR(d->Start(config_path));
  return std::unique_ptr<TargetDaemon>(std::move(d));
}

}  // namespace ccow::daemon
