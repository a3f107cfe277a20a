// `ccow gateway nfs --export CL/TEN/BKT --listen HOST:PORT`: the bucket's file layer volume
// over NFSv3 (gateway/nfs/nfs_gateway.h), in the foreground until SIGINT/SIGTERM, on the
// data directory or the cluster of --cluster. Clients mount /CL/TEN/BKT; MOUNT and NFS
// share the one port (no portmapper: give clients the port, e.g. libnfs URLs'
// ?nfsport=PORT&mountport=PORT, mount(8)'s -o port=PORT,mountport=PORT).
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <sstream>

#include "cli/cli_common.h"
#include "fs/volume.h"
#include "gateway/nfs/nfs_gateway.h"

namespace ccow::cli {
namespace {

struct NfsFlags {
  std::string bucket, listen = "127.0.0.1:2049", allow, checkpoint_interval = "10s";
  bool read_only = false, no_root_squash = false, all_squash = false, async = false;
  uint32_t anon_uid = 65534, anon_gid = 65534;
};

int RunNfs(const NfsFlags& flags) {
  auto interval = ParseDurationFlag("--checkpoint-interval", flags.checkpoint_interval);
  if (!interval.ok()) return Fail(interval.status());
  if (*interval == 0) return Fail(Status::InvalidArgument("--checkpoint-interval must be more than 0"));
  nfs::NfsOptions o;
  o.listen = flags.listen;
  o.export_path = "/" + flags.bucket;
  o.sync = !flags.async;
  o.checkpoint_interval_ns = *interval;
  o.rules.read_only = flags.read_only;
  o.rules.root_squash = !flags.no_root_squash;
  o.rules.all_squash = flags.all_squash;
  o.rules.anon_uid = flags.anon_uid;
  o.rules.anon_gid = flags.anon_gid;
  std::stringstream networks(flags.allow);
  for (std::string cidr; std::getline(networks, cidr, ',');) {
    if (cidr.empty()) continue;
    auto n = nfs::ParseNetwork(cidr);
    if (!n.ok()) return Fail(n.status().WithContext("--allow"));
    o.rules.allowed.push_back(*n);
  }
  auto home = fs::Volume::HomeOf(flags.bucket);
  if (!home.ok()) return Fail(home.status());
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  auto volume = fs::Volume::Open(**api, *home);
  if (!volume.ok()) return Fail(volume.status());
  Backend& backend = (*api)->backend();
  o.capacity = [&backend] { return backend.Capacity(); };
  // Blocked before the gateway's thread starts (it inherits the mask): the signals reach
  // sigwait below, which stops the gateway with its last checkpoint.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto gateway = nfs::NfsGateway::Start(**volume, o);
  if (!gateway.ok()) return Fail(gateway.status());
  std::string networks_text;
  for (const auto& n : o.rules.allowed) networks_text += (networks_text.empty() ? "" : ",") + n.ToString();
  const std::string host = o.listen.substr(0, o.listen.rfind(':'));
  std::cout << "ccow gateway nfs: " << o.export_path << " on " << host << ":" << (*gateway)->port()
            << " (NFSv3 and MOUNT on this one port; "
            << (o.rules.read_only ? "read-only" : "read-write") << ", "
            << (o.sync ? "sync" : "async") << ", " << (o.rules.all_squash ? "all_squash" : o.rules.root_squash ? "root_squash" : "no_root_squash")
            << ", clients from " << (networks_text.empty() ? "127.0.0.0/8" : networks_text) << "; checkpoint every "
            << FormatDuration(*interval) << ")\n"
            << "  try: nfs-ls 'nfs://" << host << o.export_path << "?nfsport=" << (*gateway)->port()
            << "&mountport=" << (*gateway)->port() << "&version=3'" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "ccow gateway nfs: stopping on signal " << sig << std::endl;
  Status last = (*gateway)->Stop();
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
  cmd->add_option("--export", flags.bucket, "CLUSTER/TENANT/BUCKET (clients mount /CLUSTER/TENANT/BUCKET)")->required();
  cmd->add_option("--listen", flags.listen, "HOST:PORT for NFS and MOUNT (default 127.0.0.1:2049; port 0: any)");
  cmd->add_option("--allow", flags.allow, "client networks, CIDR, comma-separated (default 127.0.0.0/8)");
  cmd->add_flag("--read-only", flags.read_only, "export read-only");
  cmd->add_flag("--no-root-squash", flags.no_root_squash, "let uid 0 act as root (default: it acts as --anon-uid)");
  cmd->add_flag("--all-squash", flags.all_squash, "every caller acts as --anon-uid/--anon-gid");
  cmd->add_option("--anon-uid", flags.anon_uid, "uid of squashed callers (default 65534)");
  cmd->add_option("--anon-gid", flags.anon_gid, "gid of squashed callers (default 65534)");
  cmd->add_flag("--async", flags.async,
                "answer namespace changes before they are checkpointed (faster; a crash loses the last ones)");
  cmd->add_option("--checkpoint-interval", flags.checkpoint_interval,
                  "time between checkpoints of the volume (default 10s; COMMIT and stable writes checkpoint at once)");
  cmd->callback([exit_code] { *exit_code = RunNfs(flags); });
}

}  // namespace ccow::cli
