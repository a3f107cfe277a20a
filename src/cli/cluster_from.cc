#include "cli/cluster_from.h"

#include <cstdio>
#include <filesystem>

#include "client/backend.h"
#include "client/object_api.h"
#include "daemon/migration.h"
#include "model/encoding.h"
#include "replicast/named_value.h"
#include "store/chunk_store.h"
#include "core/atomic_file.h"

namespace ccow::cli {

Result<ClusterState> ReadSingleNodeRegistry(const std::string& data_dir) {
  namespace fs = std::filesystem;
  if (!fs::exists(data_dir + "/vdev0"))
    return Status::NotFound(data_dir + " holds no single-node store (no vdev0): nothing to grow from");
  // Opening the store takes its lock: a running server makes this kBusy.
  CCOW_ASSIGN_OR_RETURN(auto backend, OpenLocalBackend(data_dir));
  ObjectApi api(std::shared_ptr<Backend>(std::move(backend)), ApiOptions{});
  // A directory of a release before the registry: its records move in first.
  CCOW_ASSIGN_OR_RETURN(daemon::ServerRegistry r, daemon::OpenSingleNodeRegistry(data_dir, api));
  return *r.registry->current();
}

namespace {

// A single node's name index holds encoded version lists; a target's holds them as named
// values (a per-name sequence, then the list: replicast/named_value.h). Converted in
// place, page by page (bounded memory); a value already converted starts with its
// sequence, not with the version-list record kind, so a rerun after a crash skips it.
Status ConvertNameIndex(const std::string& vdev_dir) {
  StoreOptions so;
  so.path = vdev_dir;
  so.create_if_missing = false;
  CCOW_ASSIGN_OR_RETURN(auto store, ChunkStore::Open(so));
  std::string after;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> page;
    CCOW_RETURN_IF_ERROR(store->ScanVersionLists("", after, [&](std::string_view name, std::string_view value) {
      page.emplace_back(std::string(name), std::string(value));
      return page.size() < 1000;
    }));
    if (page.empty()) return Status::OK();
    for (const auto& [name, value] : page) {
      if (value.empty() || static_cast<uint8_t>(value[0]) != static_cast<uint8_t>(RecordKind::kVersionList)) continue;
      replicast::NamedValue named{1, value};
      CCOW_RETURN_IF_ERROR(store->PutVersionList(name, named.Encode()));
    }
    after = page.back().first;
  }
}

}  // namespace

Status AdoptVdev(const std::string& data_dir, const std::string& vdev_path, const std::string& cluster_dir) {
  CCOW_RETURN_IF_ERROR(ConvertNameIndex(data_dir + "/vdev0").WithContext("converting the name index of " + data_dir));
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(vdev_path).parent_path(), ec);
  if (::rename((data_dir + "/vdev0").c_str(), vdev_path.c_str()) != 0) {
    int e = errno;
    if (e == EXDEV)
      return Status::InvalidArgument("the cluster directory must be on the file system of " + data_dir +
                                     " (its VDEV is moved by a rename, not copied)");
    return Status::FromErrno(e, "moving " + data_dir + "/vdev0 to " + vdev_path);
  }
  return WriteFileAtomically(data_dir + "/MOVED-TO-CLUSTER.txt",
                             "This data directory became the first target of the cluster in " + cluster_dir +
                                 "\n(its VDEV is now " + vdev_path + "). Serve it with\n  ccow gateway s3 --cluster " +
                                 cluster_dir + "\n");
}

std::vector<ClusterCommand> RegistryCommands(const ClusterState& state) {
  std::vector<ClusterCommand> out;
  for (const auto& [segment, seg] : state.segments()) {
    out.push_back(command::CreateSegment{segment});
    for (const auto& [tenant, ten] : seg.tenants) {
      out.push_back(command::CreateTenant{segment, tenant, ten.replication_count, ten.retention_ns, ten.erasure_code});
      for (const auto& [bucket, record] : ten.buckets) out.push_back(command::CreateBucket{segment, tenant, bucket, record});
    }
  }
  for (const auto& [key, user] : state.users()) out.push_back(command::CreateUser{user});
  for (const auto& [name, svc] : state.services()) {
    out.push_back(command::CreateService{name, svc.type});
    for (const auto& path : svc.serves) out.push_back(command::ServiceServe{name, path});
    if (svc.config != ServiceConfig{}) out.push_back(command::ConfigureService{name, svc.config, 0});
  }
  return out;
}

}  // namespace ccow::cli
