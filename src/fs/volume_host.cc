#include "fs/volume_host.h"

#include "fs/bucket_volume.h"

namespace ccow::fs {

Result<std::shared_ptr<SharedVolume>> VolumeHost::Open(const std::string& bucket_path, std::string* note) {
  // Held while opening: two gateways asking at once get one volume.
  std::lock_guard lock(mu_);
  if (auto held = open_[bucket_path].lock()) return held;
  CCOW_ASSIGN_OR_RETURN(auto volume, OpenBucketVolume(api_, registry_, bucket_path, {}, note));
  auto shared = std::make_shared<SharedVolume>();
  shared->volume = std::move(volume);
  open_[bucket_path] = shared;
  for (auto it = open_.begin(); it != open_.end();) it = it->second.expired() ? open_.erase(it) : std::next(it);
  return shared;
}

std::shared_ptr<SharedVolume> VolumeHost::Find(const std::string& bucket_path) {
  std::lock_guard lock(mu_);
  auto it = open_.find(bucket_path);
  return it == open_.end() ? nullptr : it->second.lock();
}

}  // namespace ccow::fs
