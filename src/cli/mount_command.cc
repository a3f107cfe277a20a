// `ccow mount CL/TEN/BKT MOUNTPOINT`: the bucket's file layer volume through FUSE
// (gateway/fuse/fuse_gateway.h), in the foreground until unmounted (fusermount3 -u, or
// Ctrl-C / SIGTERM), on the data directory or the cluster of --cluster; when a `ccow
// server` holds the data directory, that server mounts it (`ccow umount` ends it).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/registry_access.h"
#include "fs/volume_host.h"
#include "fs/volume.h"
#include "gateway/fuse/fuse_gateway.h"
#include "http/query_string.h"

namespace ccow::cli {
namespace {

struct MountFlags {
  std::string bucket, mount_point;
  std::string checkpoint_interval = "10s";
  bool read_only = false;
};

// The server runs elsewhere than this command: it gets mount points as absolute paths.
Result<std::string> AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::string absolute = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) return Status::InvalidArgument("mount point " + path + ": " + ec.message());
  return absolute;
}

// A `ccow server` holds the data directory: it mounts the volume itself (one of its
// threads, daemon/mount_service.h) and this command returns once the mount is up.
int MountThroughServer(const MountFlags& flags, uint64_t interval_ns) {
  auto absolute = AbsolutePath(flags.mount_point);
  if (!absolute.ok()) return Fail(absolute.status());
  const std::string& path = *absolute;
  std::string target = "/admin/mount?bucket=" + http::PercentEncode(flags.bucket, true) +
                       "&path=" + http::PercentEncode(path, true) +
                       "&checkpoint_ms=" + std::to_string(std::max<uint64_t>(1, interval_ns / 1'000'000));
  if (flags.read_only) target += "&read_only=1";
  auto j = CallServerAdmin("POST", target, 0);
  if (!j.ok()) return Fail(j.status());
  if (Globals().json) {
    std::cout << j->dump(2) << std::endl;
  } else {
    std::cout << "ccow mount: " << flags.bucket << " on " << path << ", served by the ccow server of " << DataDir()
              << " (checkpoint every " << FormatDuration(interval_ns) << " and on fsync; `ccow umount " << path
              << "` or fusermount3 -u to unmount)" << std::endl;
  }
  return 0;
}

int RunMount(const MountFlags& flags) {
  auto interval = ParseDurationFlag("--checkpoint-interval", flags.checkpoint_interval);
  if (!interval.ok()) return Fail(interval.status());
  if (*interval == 0) return Fail(Status::InvalidArgument("--checkpoint-interval must be more than 0"));
  auto home = fs::Volume::HomeOf(flags.bucket);
  if (!home.ok()) return Fail(home.status());
  auto api = OpenApi();
  if (!api.ok() && api.status().code() == Code::kBusy && ClusterDir().empty()) return MountThroughServer(flags, *interval);
  if (!api.ok()) return Fail(api.status());
  auto registry = OpenRegistry(api->get());
  if (!registry.ok()) return Fail(registry.status().WithContext("the registry (which records the bucket as a file volume)"));
  std::string note;
  fs::VolumeHost volumes(**api, registry->registry.get());
  auto volume = volumes.Open(flags.bucket, &note);
  if (!volume.ok()) return Fail(volume.status());
  if (!note.empty()) std::cerr << "ccow mount: " << note << std::endl;
  fuse::MountOptions mo;
  mo.mount_point = flags.mount_point;
  mo.checkpoint_interval_ns = *interval;
  mo.read_only = flags.read_only;
  mo.fs_name = "ccow:" + flags.bucket;
  Backend& backend = (*api)->backend();
  mo.capacity = [&backend] { return backend.Capacity(); };
  std::cout << "ccow mount: " << flags.bucket << " on " << flags.mount_point << " (checkpoint every "
            << FormatDuration(*interval) << " and on fsync; volume home " << *home << ")" << std::endl;
  Status s = fuse::Run(*volume, mo);
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

  static std::string unmount_point;
  auto* umount = app.add_subcommand("umount", "unmount a volume the ccow server of the data directory mounted");
  AddDataOption(umount);
  umount->add_option("mountpoint", unmount_point, "where it is mounted")->required();
  umount->callback([exit_code] {
    auto absolute = AbsolutePath(unmount_point);
    if (!absolute.ok()) {
      *exit_code = Fail(absolute.status());
      return;
    }
    const std::string& path = *absolute;
    auto j = CallServerAdmin("DELETE", "/admin/mount?path=" + http::PercentEncode(path, true), 60'000'000'000ull);
    if (!j.ok()) {
      *exit_code = Fail(j.status());
      return;
    }
    if (Globals().json)
      std::cout << j->dump(2) << std::endl;
    else
      std::cout << "ccow umount: " << path << " unmounted, volume checkpointed" << std::endl;
  });
}

}  // namespace ccow::cli
