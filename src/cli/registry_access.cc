#include "cli/registry_access.h"

#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/cli_common.h"
#include "client/cluster_backend.h"
#include "cluster/master_keys.h"
#include "daemon/migration.h"
#include "daemon/remote_registry.h"
#include "gateway/s3/user_registry.h"

namespace ccow::cli {

std::string ServerInfoPath() {
  std::string cluster = ClusterDir();
  return cluster.empty() ? DataDir() + "/server.json" : cluster + "/s3-gateway.json";
}

Result<OpenedRegistry> OpenRegistry(ObjectApi* local) {
  if (std::string dir = ClusterDir(); !dir.empty()) {
    CCOW_ASSIGN_OR_RETURN(ClusterFile file, ClusterFile::Load(dir));
    CCOW_ASSIGN_OR_RETURN(auto r, daemon::OpenRemoteRegistry({file.AdminAddresses(), file.admin_token, false, {}}));
    return OpenedRegistry{std::shared_ptr<Registry>(std::move(r)), nullptr};
  }
  if (local) {
    auto server = std::make_shared<daemon::ServerRegistry>();
    CCOW_ASSIGN_OR_RETURN(*server, daemon::OpenSingleNodeRegistry(DataDir(), *local, s3::kDefaultSegment));
    Registry* r = server->registry.get();
    return OpenedRegistry{std::shared_ptr<Registry>(server, r), server};
  }
  auto api = OpenApi();
  if (api.ok()) {
    struct Local {
      std::unique_ptr<ObjectApi> api;
      daemon::ServerRegistry server;
    };
    auto local = std::make_shared<Local>();
    local->api = std::move(*api);
    CCOW_ASSIGN_OR_RETURN(local->server, daemon::OpenSingleNodeRegistry(DataDir(), *local->api, s3::kDefaultSegment));
    Registry* r = local->server.registry.get();
    return OpenedRegistry{std::shared_ptr<Registry>(local, r), local};
  }
  if (api.status().code() != Code::kBusy) return api.status();
  // The server holds the data directory: ask it.
  std::ifstream in(ServerInfoPath());
  auto info = nlohmann::json::parse(in, nullptr, false);
  if (info.is_discarded() || !info.is_object())
    return Status::Busy(api.status().message() + " and " + ServerInfoPath() + " does not say where the server listens");
  std::string address = info.value("admin_host", "127.0.0.1") + ":" + std::to_string(info.value("admin_port", 9001));
  CCOW_ASSIGN_OR_RETURN(auto r, daemon::OpenRemoteRegistry({{address}, info.value("admin_token", ""), false, {}}));
  return OpenedRegistry{std::shared_ptr<Registry>(std::move(r)), nullptr};
}

Result<std::shared_ptr<Registry>> LazyRegistry::Get() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!opened_) {
    if (opening_) return Status::Busy("the registry is being opened");
    opening_ = true;
    opened_ = OpenRegistry(ClusterDir().empty() ? *api_ : nullptr);
    opening_ = false;
  }
  if (!opened_->ok()) return opened_->status();
  return (*opened_)->registry;
}

KeyResolver LazyMasterKeys(std::shared_ptr<LazyRegistry> registry) {
  // One resolver over the registry once it is open (it keeps the key ring it unwrapped).
  KeyResolver keys = MasterKeyResolver([registry]() -> Registry* {
    auto r = registry->Get();
    return r.ok() ? r->get() : nullptr;
  });
  return [registry, keys](const ObjectEncryption& record) -> Result<std::shared_ptr<const ChunkCipher>> {
    auto r = registry->Get();
    if (!r.ok())
      return Status(r.status().code(),
                    "the registry, which holds the master keys of SSE-S3 objects, did not open: " + r.status().message());
    return keys(record);
  };
}

std::shared_ptr<Registry> LazyRegistry::IfOpen() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return opened_ && opened_->ok() ? (*opened_)->registry : nullptr;
}

std::function<uint32_t()> LazySiteId(std::shared_ptr<LazyRegistry> registry) {
  return [registry]() -> uint32_t {
    auto r = registry->IfOpen();
    return r ? r->current()->site_id() : 0;
  };
}

std::function<std::string()> LazySiteKeySeed(std::shared_ptr<LazyRegistry> registry) {
  return [registry]() -> std::string {
    auto r = registry->IfOpen();
    return r ? r->current()->site_key_seed() : std::string();
  };
}

std::function<bool(const std::string&)> LazyTrlogRecords(std::shared_ptr<LazyRegistry> registry) {
  return [registry](const std::string& bucket_path) {
    auto r = registry->Get();
    if (!r.ok()) {
      if (r.status().code() != Code::kBusy)  // asked again while opening (the opening's own writes)
        spdlog::warn("changes of {} are not recorded for inter-segment links: {}", bucket_path, r.status().ToString());
      return false;
    }
    return (*r)->current()->TrlogRecords(bucket_path);
  };
}

Result<std::vector<std::string>> SplitPath(const std::string& path, size_t n, const char* form) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    size_t slash = path.find('/', pos);
    parts.push_back(path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos));
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  bool ok = parts.size() == n;
  for (const auto& p : parts) ok = ok && !p.empty();
  if (!ok) return Status::InvalidArgument("'" + path + "' is not of the form " + form);
  return parts;
}

int PrintDone(const std::string& what) {
  if (Globals().json)
    std::cout << nlohmann::json{{"ok", true}, {"done", what}}.dump() << std::endl;
  else
    std::cout << what << std::endl;
  return 0;
}

int CommitCommand(const ClusterCommand& command, const std::string& what) {
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  Status s = opened->registry->Propose(command);
  if (!s.ok()) return Fail(s);
  return PrintDone(what);
}

}  // namespace ccow::cli
