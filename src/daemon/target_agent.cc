#include "daemon/target_agent.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cluster/cluster_node.h"
#include "daemon/admin_api.h"
#include "daemon/cluster_gc.h"
#include "daemon/scrub_service.h"
#include "cluster/cluster_state_json.h"
#include "cluster/membership.h"
#include "core/atomic_file.h"
#include "core/hash.h"
#include "replicast/initiator.h"
#include "replicast/message.h"
#include "replicast/network.h"

namespace ccow::daemon {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

nlohmann::json ProgressJson(const HealProgress& p) {
  return {{"generation", p.generation}, {"running", p.running}, {"passes_completed", p.passes_completed},
          {"completed_generation", p.completed_generation}, {"chunks_scanned", p.chunks_scanned},
          {"under_replicated", p.under_replicated}, {"repaired", p.repaired}, {"remaining", p.remaining()},
          {"moved", p.moved}, {"failed", p.failed}, {"bytes_repaired", p.bytes_repaired},
          {"names_scanned", p.names_scanned}, {"names_below_r", p.names_below_r},
          {"rate_bytes_per_second", p.rate_bytes_per_second}, {"last_pass_seconds", p.last_pass_seconds}};
}

class TargetAgentImpl final : public TargetAgent {
 public:
  TargetAgentImpl(const TargetConfig& config, Target* target, std::string admin_address)
      : config_(config), target_(target), admin_address_(std::move(admin_address)),
        detector_({config.dead_timeout_ms * 1'000'000, 2'000'000'000, kHeartbeatNs}) {}

  ~TargetAgentImpl() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    admin_.reset();
    gc_.reset();  // before the Raft member it asks who leads
    scrub_.reset();
    healer_.reset();
    monitor_.reset();
    initiator_.reset();
    node_.reset();
  }

  Status Init(std::vector<LocalVdev> vdevs, std::shared_ptr<RepairQueue> repairs) {
    CCOW_ASSIGN_OR_RETURN(auto kind, replicast::ParseTransportKind(config_.transport));
    network_ = replicast::NewNetwork(kind == replicast::TransportKind::kTcp ? replicast::TransportKind::kTcp
                                                                             : replicast::TransportKind::kUdp);
    std::string host = config_.vdevs.front().address.substr(0, config_.vdevs.front().address.rfind(':'));
    replicast::InitiatorOptions io;
    io.replication_count = config_.replication_count;
    CCOW_ASSIGN_OR_RETURN(initiator_, replicast::Initiator::Create(network_.get(), host + ":0",
                                                                   target_->flexhash_json(), io));
    HealerOptions ho;
    ho.replication_count = config_.replication_count;
    ho.rate_bytes_per_second = config_.heal_rate_mb * 1'000'000;
    ho.interval_ns = config_.heal_interval_s * 1'000'000'000;
    ScrubberOptions so;
    so.rate_bytes_per_second = config_.scrub_rate_mb * 1'000'000;
    so.interval_ns = config_.scrub_interval_s * 1'000'000'000;
    // A healthy copy from the row: the initiator verifies what it fetches and moves past
    // replicas that answer corrupt (this VDEV's own among them).
    so.fetch_healthy_copy = [this](const HashId& chid, std::string* out) { return initiator_->GetChunk(chid, out); };
    so.set_aside_unrepairable = true;
    scrub_ = std::make_unique<ScrubService>(std::make_unique<Scrubber>(vdevs, std::move(repairs), std::move(so)));
    vdevs_ = vdevs;
    healer_ = Healer::Start(initiator_.get(), std::move(vdevs), ho);
    CCOW_ASSIGN_OR_RETURN(monitor_, network_->Bind(host + ":0", [this](const std::string& from, std::string_view m) {
                            auto msg = replicast::Message::Decode(m);
                            if (!msg.ok() || !std::holds_alternative<replicast::ServerListResponse>(msg->body)) return;
                            std::lock_guard lock(mu_);
                            auto it = target_of_address_.find(from);
                            if (it != target_of_address_.end()) detector_.Heard(it->second, NowNs());
                          }));
    if (config_.raft_id != 0) {
      ClusterNodeOptions no;
      no.id = config_.raft_id;
      no.address = config_.raft_address;
      no.dir = config_.raft_dir;
      for (const auto& m : config_.raft_members) no.members.push_back({m.id, m.address, m.voter});
      CCOW_ASSIGN_OR_RETURN(node_, ClusterNode::Start(no));
      // Garbage collection: every member runs the service, the leader drives the passes.
      CCOW_ASSIGN_OR_RETURN(gc_, ClusterGc::Start(config_, node_.get(), target_->flexhash_json()));
    }
    admin_ = std::make_unique<AdminApi>(
        config_.admin_token, node_.get(), [this] { return StatusExtraJson(); },
        [this](const std::string& m, const std::string& p, const http::ParsedTarget& q) { return TargetCall(m, p, q); });
    thread_ = std::thread([this] { Loop(); });
    return Status::OK();
  }

  std::pair<int, std::string> HandleAdmin(const std::string& method, const std::string& target,
                                          const std::string& authorization) override {
    AdminReply r = admin_->Handle(method, target, authorization);
    return {r.http_status, std::move(r.body)};
  }

  std::string Metrics() override {
    HealProgress p = healer_->progress();
    std::string out;
    auto gauge = [&](const std::string& name, const std::string& help, double v) {
      out += "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " " + std::to_string(v) + "\n";
    };
    gauge("ccow_heal_generation", "FlexHash generation of the current healing pass", p.generation);
    gauge("ccow_heal_running", "1 while a healing pass runs", p.running);
    gauge("ccow_heal_chunks_scanned", "chunks examined by the current pass", p.chunks_scanned);
    gauge("ccow_heal_under_replicated", "chunks found below R by the current pass", p.under_replicated);
    gauge("ccow_heal_remaining", "chunks below R not yet repaired", p.remaining());
    gauge("ccow_heal_repaired", "chunks brought back to R by the current pass", p.repaired);
    gauge("ccow_heal_moved", "chunks removed here after their new row held R", p.moved);
    gauge("ccow_heal_bytes_repaired", "payload bytes sent by repairs of the current pass", p.bytes_repaired);
    gauge("ccow_heal_rate_limit_bytes_per_second", "configured repair rate", p.rate_bytes_per_second);
    out += scrub_->MetricsText();
    if (gc_) out += gc_->service().MetricsText() + gc_->ec().MetricsText();
    if (node_) {
      RaftInfo i = node_->info();
      gauge("ccow_raft_is_leader", "1 on the Raft leader", i.role == "leader");
      gauge("ccow_raft_term", "current Raft term", i.term);
      gauge("ccow_raft_commit_index", "highest committed Raft index", i.commit_index);
    }
    return out;
  }

 private:
  static constexpr uint64_t kHeartbeatNs = 500'000'000;

  // What a target adds to /admin/status (the admin API adds Raft and the state).
  std::string StatusExtraJson() {
    nlohmann::json j;
    j["target"] = config_.server;
    j["flexhash_generation"] = target_->generation();
    j["heal"] = ProgressJson(healer_->progress());
    j["scrub"] = nlohmann::json::parse(scrub_->StatusJson());
    if (gc_) {
      j["gc"] = nlohmann::json::parse(gc_->service().StatusJson());
      j["ec"] = nlohmann::json::parse(gc_->ec().StatusJson());
    }
    // What the VDEVs hold: `ccow system status` sums it (the GC's effect shows there).
    j["vdevs"] = nlohmann::json::array();
    for (const LocalVdev& v : vdevs_) {
      StoreCapacity c = v.store->Capacity();
      j["vdevs"].push_back({{"id", v.id}, {"chunks", c.chunk_count}, {"payload_bytes", c.payload_bytes},
                            {"free_bytes", c.free_bytes}});
    }
    return j.dump();
  }

  // The target's own admin calls: scrub, GC, a join, a publish on request.
  AdminReply TargetCall(const std::string& method, const std::string& path, const http::ParsedTarget& query) {
    if (auto r = scrub_->Handle(method, path, query)) return *r;
    if (gc_) {
      if (auto r = gc_->service().Handle(method, path, query)) return *r;
      if (auto r = gc_->ec().Handle(method, path, query)) return *r;
    }
    if (!node_) return ReplyOf(Status::Unsupported("this target is not a member of a Raft group (no \"raft\" in its configuration)"));
    if (method == "POST" && path == "/admin/join") return ReplyOf(Join(query));
    if (method == "POST" && path == "/admin/publish") return ReplyOf(PublishNext("requested by an operator"));
    return {404, R"({"error":"unknown admin call","code":"NotFound"})"};
  }

  // A target that joins: into the Raft group, into the membership, then a generation that
  // gives it rows.
  Status Join(const http::ParsedTarget& query) {
    auto bytes = FromHex(QueryValue(query, "hex"));
    if (!bytes.ok()) return Status::InvalidArgument("the target record is not hex");
    CCOW_ASSIGN_OR_RETURN(ClusterCommand command, DecodeCommand(*bytes));
    auto* add = std::get_if<command::AddTarget>(&command);
    if (!add) return Status::InvalidArgument("a join carries an AddTarget command");
    uint64_t raft_id = std::strtoull(QueryValue(query, "raft_id").c_str(), nullptr, 10);
    if (raft_id != 0) CCOW_RETURN_IF_ERROR(node_->AddMember(raft_id, QueryValue(query, "raft_address")));
    Status s = node_->Propose(command);
    if (!s.ok() && s.code() != Code::kAlreadyExists) return s;
    return PublishNext("target " + add->target.name + " joined");
  }

  Status PublishNext(const std::string& why) {
    ClusterState state = node_->state();
    CCOW_ASSIGN_OR_RETURN(std::string json, NextFlexHashJson(state));
    Status s = node_->Propose(command::PublishFlexHash{state.flexhash_generation() + 1, json});
    if (s.ok()) spdlog::info("cluster: FlexHash generation {} published: {}", state.flexhash_generation() + 1, why);
    return s;
  }

  void Loop() {
    uint64_t applied = 0, last_heartbeat = 0;
    bool was_leader = false;
    while (true) {
      {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; });
        if (stop_) return;
      }
      if (!node_) continue;
      RaftInfo info = node_->info();
      if (info.last_applied != applied) {
        applied = info.last_applied;
        Watch(*node_->current());
      }
      const bool leader = info.role == "leader";
      const uint64_t now = NowNs();
      if (leader && !was_leader) {
        std::lock_guard lock(mu_);
        detector_.Reset(now);
      }
      was_leader = leader;
      if (!leader || now - last_heartbeat < kHeartbeatNs) continue;
      last_heartbeat = now;
      ClusterState state = *node_->current();
      if (state.flexhash_generation() == 0) continue;  // not initialised yet
      Heartbeat(state);
      std::vector<command::SetTargetState> changes;
      {
        std::lock_guard lock(mu_);
        changes = detector_.Decide(state, now);
      }
      if (changes.empty()) continue;
      for (const auto& c : changes) {
        Status s = node_->Propose(c);
        spdlog::warn("cluster: target {} declared {}{}", c.name, TargetStateName(c.state),
                     s.ok() ? "" : " (not committed: " + s.ToString() + ")");
      }
      Status s = PublishNext("membership changed");
      if (!s.ok()) spdlog::warn("cluster: no new FlexHash generation: {}", s.ToString());
    }
  }

  // Installs a newer committed FlexHash in the target, its checkpoint file and the healer.
  void Watch(const ClusterState& state) {
    if (state.flexhash_generation() <= target_->generation() || state.flexhash_json().empty()) return;
    Status s = target_->SetFlexHash(state.flexhash_json());
    if (!s.ok()) {
      spdlog::error("cluster: FlexHash generation {} not installed: {}", state.flexhash_generation(), s.ToString());
      return;
    }
    // The checkpoint file is what a restarting target (and old clients) start from.
    Status saved = WriteFileAtomically(config_.flexhash_path, state.flexhash_json() + "\n");
    if (!saved.ok()) spdlog::warn("cluster: FlexHash checkpoint not saved: {}", saved.ToString());
    healer_->OnFlexHash(state.flexhash_json());
    spdlog::info("cluster: FlexHash generation {} installed", state.flexhash_generation());
  }

  void Heartbeat(const ClusterState& state) {
    std::vector<std::string> addresses;
    {
      std::lock_guard lock(mu_);
      target_of_address_.clear();
      for (const auto& [name, t] : state.targets())
        for (const auto& v : t.vdevs) {
          target_of_address_[v.address] = name;
          addresses.push_back(v.address);
        }
    }
    std::string ping = replicast::Message{{1, 0, 0}, replicast::ServerListGet{}}.Encode();
    for (const auto& a : addresses) (void)monitor_->Send(a, ping);
  }

  TargetConfig config_;
  Target* target_;
  std::string admin_address_;
  std::unique_ptr<replicast::Network> network_;
  std::unique_ptr<replicast::Initiator> initiator_;
  std::unique_ptr<Healer> healer_;
  std::unique_ptr<ScrubService> scrub_;
  std::vector<LocalVdev> vdevs_;  // this target's, for status
  std::unique_ptr<replicast::Endpoint> monitor_;
  std::unique_ptr<ClusterNode> node_;
  std::unique_ptr<ClusterGc> gc_;
  std::unique_ptr<AdminApi> admin_;
  std::mutex mu_;  // stop_, detector_, target_of_address_
  std::condition_variable cv_;
  bool stop_ = false;
  FailureDetector detector_;
  std::map<std::string, std::string> target_of_address_;
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<TargetAgent>> TargetAgent::Start(const TargetConfig& config, Target* target,
                                                        std::vector<LocalVdev> vdevs,
                                                        const std::string& admin_address,
                                                        std::shared_ptr<RepairQueue> repairs) {
  auto agent = std::make_unique<TargetAgentImpl>(config, target, admin_address);
  CCOW_RETURN_IF_ERROR(agent->Init(std::move(vdevs), std::move(repairs)));
  return std::unique_ptr<TargetAgent>(std::move(agent));
}

}  // namespace ccow::daemon
