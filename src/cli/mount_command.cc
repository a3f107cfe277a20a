// `ccow mount CL/TEN/BKT MOUNTPOINT`: the bucket's file layer volume through FUSE
// (gateway/fuse/fuse_gateway.h), in the foreground until unmounted (fusermount3 -u, or
// Ctrl-C / SIGTERM), on the data directory or the cluster of --cluster.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_common.h"
#include "fs/volume.h"
#include "gateway/fuse/fuse_gateway.h"

namespace ccow::cli {
namespace {

struct MountFlags {
  std::string bucket, mount_point;
  std::string checkpoint_interval = "10s";
  bool read_only = false;
};

int RunMount(const MountFlags& flags) {
  auto interval = ParseDurationFlag("--checkpoint-interval", flags.checkpoint_interval);
  if (!interval.ok()) return Fail(interval.status());
  if (*interval == 0) return Fail(Status::InvalidArgument("--checkpoint-interval must be more than 0"));
  auto home = fs::Volume::HomeOf(flags.bucket);
  if (!home.ok()) return Fail(home.status());
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  auto volume = fs::Volume::Open(**api, *home);
  if (!volume.ok()) return Fail(volume.status());
  fuse::MountOptions mo;
  mo.mount_point = flags.mount_point;
  mo.checkpoint_interval_ns = *interval;
  mo.read_only = flags.read_only;
  mo.fs_name = "ccow:" + flags.bucket;
  Backend& backend = (*api)->backend();
  mo.capacity = [&backend] { return backend.Capacity(); };
  std::cout << "ccow mount: " << flags.bucket << " on " << flags.mount_point << " (checkpoint every "
            << FormatDuration(*interval) << " and on fsync; volume home " << *home << ")" << std::endl;
  Status s = fuse::Run(**volume, mo);
  if (!s.ok()) return Fail(s);
  std::cout << "ccow mount: " << flags.mount_point << " unmounted, volume checkpointed" << std::endl;
  return 0;
}

}  // namespace

void RegisterMountCommand(CLI::App& app, int* exit_code) {
  static MountFlags flags;
  auto* cmd = app.add_subcommand("mount", "mount a bucket's file layer volume with FUSE (foreground)");
  AddDataOption(cmd);
  cmd->add_option("bucket", flags.bucket, "CLUSTER/TENANT/BUCKET")->required();
  cmd->add_option("mountpoint", flags.mount_point, "an empty directory")->required();
  cmd->add_option("--checkpoint-interval", flags.checkpoint_interval,
                  "time between checkpoints of the volume (default 10s; fsync checkpoints at once)");
  cmd->add_flag("--read-only", flags.read_only, "mount read-only");
  cmd->callback([exit_code] { *exit_code = RunMount(flags); });
}

}  // namespace ccow::cli
