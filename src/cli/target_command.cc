// `ccow target --config FILE`: runs a target daemon (daemon/target_daemon.h) and prints
// where it answers.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cli_common.h"
#include "daemon/target_daemon.h"

namespace ccow::cli {
namespace {

int RunTarget(const std::string& config_path) {
  auto started = daemon::TargetDaemon::Start(config_path);
  if (!started.ok()) return Fail(started.status());
  const daemon::TargetDaemonInfo& info = (*started)->info();
  std::cout << "ccow target: server " << info.server << ", FlexHash generation " << info.flexhash_generation
            << ", " << info.transport << "\n";
  for (const auto& v : info.vdevs) std::cout << "  " << v.id << " on " << v.address << "  (" << v.path << ")\n";
  if (!info.admin_address.empty()) std::cout << "  metrics  http://" << info.admin_address << "/metrics\n";
  if (info.raft_id != 0) std::cout << "  raft     member " << info.raft_id << " on " << info.raft_address << "\n";
  std::cout.flush();
  int sig = (*started)->RunUntilSignal();
  started->reset();
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
