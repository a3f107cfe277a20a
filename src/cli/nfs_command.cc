// `ccow gateway nfs --export CL/TEN/BKT --listen HOST:PORT`: the bucket's file layer volume
// over NFSv3 (gateway/nfs/nfs_gateway.h), in the foreground until SIGINT/SIGTERM, on the
// data directory or the cluster of --cluster. Clients mount /CL/TEN/BKT; MOUNT and NFS
// share the one port (no portmapper: give clients the port, e.g. libnfs URLs'
// ?nfsport=PORT&mountport=PORT, mount(8)'s -o port=PORT,mountport=PORT). A `ccow server`
// exports a volume itself with --nfs-export (cli/serving.h AddNfsFlags).
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/registry_access.h"
#include "cli/serving.h"
#include "fs/volume_host.h"
#include "gateway/nfs/nfs_gateway.h"

namespace ccow::cli {
namespace {

int RunNfs(const NfsFlags& flags) {
  auto api = OpenApi();
  if (!api.ok() && api.status().code() == Code::kBusy && ClusterDir().empty())
    return Fail(api.status().WithContext("a ccow server holds the data directory: restart it with --nfs-export " +
                                         flags.bucket + " to export the volume from it"));
  if (!api.ok()) return Fail(api.status());
  // Blocked before the gateway's thread starts (it inherits the mask): the signals reach
  // sigwait below, which stops the gateway with its last checkpoint.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto registry = OpenRegistry(api->get());
  if (!registry.ok()) return Fail(registry.status().WithContext("the registry (which records the bucket as a file volume)"));
  fs::VolumeHost volumes(**api, registry->registry.get());
  auto served = StartNfsExport(flags, **api, volumes);
  if (!served.ok()) return Fail(served.status());
  std::cout << "ccow gateway nfs: " << (*served)->banner << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "ccow gateway nfs: stopping on signal " << sig << std::endl;
  Status last = (*served)->gateway->Stop();
  if (!last.ok()) return Fail(last.WithContext("the last checkpoint"));
  std::cout << "ccow gateway nfs: stopped, volume checkpointed" << std::endl;
  return 0;
}

}  // namespace

void RegisterNfsCommand(CLI::App& app, int* exit_code) {
  static NfsFlags flags;
  CLI::App* gateway = app.get_subcommand("gateway");
  auto* cmd = gateway->add_subcommand("nfs", "serve a bucket's file layer volume over NFSv3 (foreground)");
  AddDataOption(cmd);
  AddNfsFlags(cmd, &flags, true);
  cmd->callback([exit_code] { *exit_code = RunNfs(flags); });
}

}  // namespace ccow::cli
