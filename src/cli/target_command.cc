// `ccow target --config FILE`: a target daemon. It opens the chunk store of each VDEV in
// the file, answers Replicast on each VDEV's address, and serves /health and /metrics.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/target_agent.h"
#include "replicast/network.h"
#include "server/admin_http.h"
#include "store/chunk_store.h"
#include "target/target.h"
#include "target/target_config.h"

namespace ccow::cli {
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

int RunTarget(const std::string& config_path) {
  auto config = TargetConfig::Load(config_path);
  if (!config.ok()) return Fail(config.status());
  std::ifstream in(config->flexhash_path);
  if (!in) return Fail(Status::NotFound("FlexHash checkpoint " + config->flexhash_path + " cannot be read"));
  std::stringstream json;
  json << in.rdbuf();
  auto kind = replicast::ParseTransportKind(config->transport);
  if (!kind.ok()) return Fail(kind.status());

  std::vector<std::unique_ptr<ChunkStore>> stores;
  std::vector<TargetVdev> vdevs;
  for (const auto& v : config->vdevs) {
    StoreOptions so;
    so.path = v.path;
    auto store = ChunkStore::Open(so);
    if (!store.ok()) return Fail(store.status().WithContext("VDEV " + v.id));
    vdevs.push_back({v.id, v.address, store->get()});
    stores.push_back(std::move(*store));
  }
  std::unique_ptr<replicast::Network> network = replicast::NewNetwork(*kind);
  TargetOptions options;
  options.worker_threads = 4;
  if (*kind == replicast::TransportKind::kMulticast) options.multicast_base_port = config->multicast_base_port;
  auto target = Target::Start(network.get(), json.str(), vdevs, options);
  if (!target.ok()) return Fail(target.status());

  std::cout << "ccow target: server " << config->server << ", FlexHash generation "
            << (*target)->generation() << ", " << network->name() << "\n";
  for (size_t i = 0; i < vdevs.size(); ++i)
    std::cout << "  " << vdevs[i].id << " on " << (*target)->addresses()[i] << "  (" << config->vdevs[i].path << ")\n";

  int sig = 0;
  if (!config->metrics_listen.empty()) {
    auto colon = config->metrics_listen.rfind(':');
    AdminHttpOptions http;
    http.host = config->metrics_listen.substr(0, colon);
    http.port = static_cast<uint16_t>(std::stoi(config->metrics_listen.substr(colon + 1)));
    Target* t = target->get();
    std::unique_ptr<TargetAgent> agent;
    http.metrics = [t, &stores, &config, &agent] {
      return TargetMetrics(*t, stores, *config) + (agent ? agent->Metrics() : "");
    };
    http.health = [] { return Status::OK(); };
    http.admin = [&agent](const std::string& method, const std::string& url, const std::string& auth) {
      return agent->HandleAdmin(method, url, auth);
    };
    auto server = AdminHttpServer::Bind(http);
    if (!server.ok()) return Fail(server.status());
    std::string admin_address = http.host + ":" + std::to_string((*server)->port());
    std::vector<HealerVdev> heal;
    for (size_t i = 0; i < vdevs.size(); ++i) heal.push_back({vdevs[i].id, config->vdevs[i].path, vdevs[i].store});
    auto started = TargetAgent::Start(*config, t, std::move(heal), admin_address);
    if (!started.ok()) return Fail(started.status());
    agent = std::move(*started);
    std::cout << "  metrics  http://" << admin_address << "/metrics" << std::endl;
    if (config->raft_id != 0)
      std::cout << "  raft     member " << config->raft_id << " on " << config->raft_address << std::endl;
    sig = (*server)->RunUntilSignal();
    agent.reset();
  } else {
    std::cout.flush();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    sigwait(&set, &sig);
  }
  target->reset();  // stop answering before the stores close
  std::cout << "ccow target: stopping on signal " << sig << std::endl;
  return 0;
}

}  // namespace

void RegisterTargetCommand(CLI::App& app, int* exit_code) {
  static std::string config;
  auto* cmd = app.add_subcommand("target", "run a target daemon: the VDEVs of one server");
  cmd->add_option("--config", config, "target configuration (JSON, see docs/OPERATIONS.md)")->required();
  cmd->callback([exit_code] { *exit_code = RunTarget(config); });
}

}  // namespace ccow::cli
