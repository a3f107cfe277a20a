#include "daemon/mount_service.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "fs/volume.h"

namespace ccow::daemon {

MountService::~MountService() { (void)StopAll(); }

Status MountService::StopAll() {
  std::lock_guard lock(mu_);
  Status first;
  for (auto& [path, m] : mounts_) {
    Status s = m.mount->Stop();
    if (!s.ok() && first.ok()) first = s.WithContext("the last checkpoint of the mount on " + path);
  }
  mounts_.clear();
  return first;
}

void MountService::ReapLocked() {
  for (auto it = mounts_.begin(); it != mounts_.end();) {
    if (!it->second.stopping && it->second.mount->finished()) {
      (void)it->second.mount->Stop();
      it = mounts_.erase(it);
    } else {
      ++it;
    }
  }
}

void MountService::Reserve(const std::string& bucket, const std::string& holder) {
  std::lock_guard lock(mu_);
  reserved_[bucket] = holder;
}

Result<std::string> MountService::Mount(const std::string& bucket, const std::string& path, bool read_only,
                                        uint64_t checkpoint_ns) {
  if (path.empty() || path.front() != '/')
    return Status::InvalidArgument("mount point '" + path + "' must be an absolute path (the server's working "
                                   "directory is not the caller's)");
  CCOW_ASSIGN_OR_RETURN(std::string home, fs::Volume::HomeOf(bucket));
  std::lock_guard lock(mu_);
  ReapLocked();
  if (auto it = mounts_.find(path); it != mounts_.end())
    return Status::Busy(path + " is already a mount of this server" +
                        (it->second.stopping ? " (being unmounted: try again once it is)" : ""));
  if (auto it = reserved_.find(bucket); it != reserved_.end())
    return Status::Busy("the volume of " + bucket + " is served by this server as " + it->second +
                        " (a volume is opened once)");
  for (const auto& [p, m] : mounts_)
    if (m.bucket == bucket)
      return Status::Busy("the volume of " + bucket + " is already mounted on " + p +
                          (m.stopping ? " (being unmounted, its last checkpoint under way: try again once it is)"
                                      : " (a volume is mounted once: unmount it there first)"));
  std::string note;
  CCOW_ASSIGN_OR_RETURN(auto volume, volumes_->Open(bucket, &note));
  if (!note.empty()) spdlog::warn("{}", note);
  fuse::MountOptions mo;
  mo.mount_point = path;
  mo.checkpoint_interval_ns = checkpoint_ns;
  mo.read_only = read_only;
  mo.fs_name = "ccow:" + bucket;
  std::weak_ptr<ObjectApi> weak = api_;
  mo.capacity = [weak]() -> StoreCapacity {
    auto api = weak.lock();
    return api ? api->backend().Capacity() : StoreCapacity{};
  };
  CCOW_ASSIGN_OR_RETURN(auto mount, fuse::BackgroundMount::Start(std::move(volume), std::move(mo)));
  mounts_[path] = Mounted{bucket, std::move(mount)};
  return home;
}

Status MountService::Unmount(const std::string& path) {
  fuse::BackgroundMount* mount = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = mounts_.find(path);
    if (it == mounts_.end()) return Status::NotFound("this server has no mount on " + path);
    if (it->second.stopping) return Status::Busy(path + " is being unmounted already");
    it->second.stopping = true;
    mount = it->second.mount.get();
  }
  // Outside the lock (the last checkpoint may take a while), the entry kept meanwhile so
  // that nothing mounts the volume again before its last checkpoint is in its home.
  Status last = mount->Stop();
  std::lock_guard lock(mu_);
  mounts_.erase(path);
  return last;
}

std::string MountService::StatusJson() {
  std::lock_guard lock(mu_);
  ReapLocked();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [path, m] : mounts_)
    list.push_back({{"bucket", m.bucket}, {"path", path}, {"read_only", m.mount->options().read_only}});
  return nlohmann::json{{"mounts", list}}.dump();
}

std::optional<AdminReply> MountService::Handle(const std::string& method, const std::string& path,
                                               const http::ParsedTarget& target) {
  if (path != "/admin/mount") return std::nullopt;
  if (method == "GET") return AdminReply{200, StatusJson()};
  if (method == "DELETE") {
    const std::string where = QueryValue(target, "path");
    Status s = Unmount(where);
    if (!s.ok()) return ReplyOf(s);
    return AdminReply{200, nlohmann::json{{"unmounted", where}}.dump()};
  }
  if (method != "POST") return ReplyOf(Status::InvalidArgument("no admin call " + method + " /admin/mount"));
  const std::string bucket = QueryValue(target, "bucket"), where = QueryValue(target, "path");
  uint64_t checkpoint_ms = 10'000;
  if (const std::string text = QueryValue(target, "checkpoint_ms"); !text.empty()) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), checkpoint_ms);
    if (ec != std::errc() || end != text.data() + text.size() || checkpoint_ms == 0)
      return ReplyOf(Status::InvalidArgument("checkpoint_ms=" + text + ": expected a number of milliseconds above 0"));
  }
  auto home = Mount(bucket, where, QueryValue(target, "read_only") == "1", checkpoint_ms * 1'000'000);
  if (!home.ok()) return ReplyOf(home.status());
  return AdminReply{200, nlohmann::json{{"bucket", bucket}, {"path", where}, {"home", *home}}.dump()};
}

}  // namespace ccow::daemon
