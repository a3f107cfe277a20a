#include "cli/cluster_admin.h"

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "client/cluster_backend.h"
#include "core/hash.h"
#include "flexhash/flexhash.h"
#include "daemon/admin_api.h"
#include "server/admin_http.h"

namespace ccow::cli {

Result<ClusterAdmin> ClusterAdmin::Load(const std::string& dir) {
  CCOW_ASSIGN_OR_RETURN(ClusterFile file, ClusterFile::Load(dir));
  ClusterAdmin a;
  a.dir_ = dir;
  a.token_ = file.admin_token;
  for (const auto& t : file.targets) a.targets_.emplace_back(t.name, t.admin_address);
  if (a.targets_.empty()) return Status::InvalidArgument(dir + "/cluster.json lists no target");
  return a;
}

Result<std::pair<int, std::string>> ClusterAdmin::Call(const std::string& address, const std::string& method,
                                                       const std::string& path_and_query) const {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("bad admin address " + address);
  return AdminRequest(address.substr(0, colon), static_cast<uint16_t>(std::stoi(address.substr(colon + 1))), method,
                      path_and_query, token_.empty() ? "" : "Bearer " + token_);
}

Result<std::pair<int, std::string>> ClusterAdmin::CallTarget(const std::string& address, const std::string& method,
                                                             const std::string& path_and_query,
                                                             uint64_t timeout_ms) const {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("bad admin address " + address);
  http::ClientTimeouts t;
  t.total = std::chrono::milliseconds(timeout_ms);
  return AdminRequest(address.substr(0, colon), static_cast<uint16_t>(std::stoi(address.substr(colon + 1))), method,
                      path_and_query, token_.empty() ? "" : "Bearer " + token_, t);
}

Status ClusterAdmin::PostToLeader(const std::string& path_and_query) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  Status last = Status::Unavailable("no target answered");
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& [name, address] : targets_) {
      auto reply = Call(address, "POST", path_and_query);
      if (!reply.ok()) continue;  // down: ask the next
      Status s = daemon::StatusOfReply(reply->first, reply->second);
      // Unavailable: not the leader, or no quorum yet: ask the others until the deadline.
      if (s.code() != Code::kUnavailable) return s;
      last = s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::Unavailable("no Raft leader committed the change within 15 s (no quorum of voters?): " +
                             last.message());
}

Status ClusterAdmin::Propose(const ClusterCommand& command) const {
  std::string bytes = EncodeCommand(command);
  return PostToLeader("/admin/command?hex=" + ToHex(bytes.data(), bytes.size()));
}

Status ClusterAdmin::CallLeader(const std::string& path_and_query) const { return PostToLeader(path_and_query); }

Result<nlohmann::json> ClusterAdmin::CallDriver(const std::string& path, const std::string& post_query,
                                                uint64_t timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  std::string why = "no target answered";
  do {
    auto all = CallAll("GET", path, 3000);
    for (size_t i = 0; i < all.size(); ++i) {
      if (!all[i].is_object()) continue;
      if (!all[i].value("driving", false)) {
        why = all[i].value("not_driving", why);
        continue;
      }
      if (post_query.empty()) return all[i];
      auto reply = CallTarget(targets_[i].second, "POST", path + "?" + post_query, timeout_ms);
      if (!reply.ok()) return reply.status().WithContext("asking " + targets_[i].first + " for a pass");
      auto j = nlohmann::json::parse(reply->second, nullptr, false);
      if (j.is_object() && reply->first != 200 && !j.value("driving", true)) {
        why = j.value("error", why);  // no longer the leader: look again
        continue;
      }
      CCOW_RETURN_IF_ERROR(daemon::StatusOfReply(reply->first, reply->second));
      if (!j.is_object()) return Status::IOError("the leader's answer is not JSON: " + reply->second.substr(0, 200));
      return j;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  return Status::Unavailable("no target drives " + path + " (" + why +
                             "): is there a Raft leader, and is the cluster initialised? `ccow system status` says");
}

std::vector<nlohmann::json> ClusterAdmin::StatusOfAll() const { return CallAll("GET", "/admin/status", 3000); }

std::vector<nlohmann::json> ClusterAdmin::CallAll(const std::string& method, const std::string& path_and_query,
                                                  uint64_t timeout_ms) const {
  // Every target at once, each bounded: a stopped or hung target costs one timeout, not
  // one per target, and never hangs `ccow system status`.
  std::vector<std::future<nlohmann::json>> asked;
  for (const auto& [name, address] : targets_)
    asked.push_back(std::async(std::launch::async, [&, address = address] {
      http::ClientTimeouts t;
      t.connect = std::chrono::milliseconds(1000);
      t.total = std::chrono::milliseconds(timeout_ms);
      auto colon = address.rfind(':');
      if (colon == std::string::npos) return nlohmann::json();
      auto reply = AdminRequest(address.substr(0, colon), static_cast<uint16_t>(std::stoi(address.substr(colon + 1))),
                                method, path_and_query, token_.empty() ? "" : "Bearer " + token_, t);
      nlohmann::json j;
      if (reply.ok() && reply->first == 200) j = nlohmann::json::parse(reply->second, nullptr, false);
      return j.is_discarded() ? nlohmann::json() : j;
    }));
  std::vector<nlohmann::json> out;
  for (auto& f : asked) out.push_back(f.get());
  return out;
}

Result<nlohmann::json> ClusterAdmin::State() const {
  // The leader's: other members may not have applied what it committed (after a restart,
  // nothing until a leader is elected). Any member's only when no leader shows up in 15 s.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  nlohmann::json any;
  do {
    for (const auto& s : StatusOfAll()) {
      if (!s.is_object() || !s.contains("state")) continue;
      if (s["raft"].value("role", "") == "leader") return s["state"];
      if (any.is_null()) any = s["state"];
    }
    if (any.is_null()) break;  // nobody answers at all
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  if (any.is_null()) return Status::Unavailable("no target of the cluster answered");
  return any;
}

Status InitCluster(const std::string& dir) {
  CCOW_ASSIGN_OR_RETURN(ClusterAdmin admin, ClusterAdmin::Load(dir));
  CCOW_ASSIGN_OR_RETURN(nlohmann::json state, admin.State());
  if (state.value("flexhash_generation", uint64_t{0}) != 0)
    return Status::AlreadyExists("the cluster is initialised already (FlexHash generation " +
                                 std::to_string(state.value("flexhash_generation", uint64_t{0})) + ")");
  CCOW_ASSIGN_OR_RETURN(ClusterFile file, ClusterFile::Load(dir));
  const std::string& json = file.flexhash_json;
  CCOW_ASSIGN_OR_RETURN(FlexHashTable table, FlexHashTable::FromJson(json));
  // Each target with the VDEVs the checkpoint places.
  std::map<std::string, TargetRecord> records;
  for (const auto& [name, address] : admin.targets()) {
    TargetRecord r;
    r.name = name;
    r.address = address;
    records[r.name] = r;
  }
  for (const VdevInfo& v : table.vdevs()) {
    auto it = records.find(v.server);
    if (it == records.end())
      return Status::InvalidArgument("the FlexHash checkpoint names server " + v.server + ", which cluster.json does not list");
    it->second.zone = v.zone;
    it->second.vdevs.push_back(v);
  }
  for (auto& [name, r] : records) {
    if (r.vdevs.empty()) continue;
    Status s = admin.Propose(command::AddTarget{r});
    if (!s.ok() && s.code() != Code::kAlreadyExists) return s.WithContext("adding target " + name);
  }
  Status s = admin.Propose(command::PublishFlexHash{table.generation(), json});
  // A generation already in force: initialised meanwhile (another `up`, a restart).
  if (s.code() == Code::kConflict) return Status::AlreadyExists("the cluster is initialised already");
  return s;
}

}  // namespace ccow::cli
