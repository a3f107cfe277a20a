// The efscli administration grammar on a cluster (issue 5): `ccow system init|status`,
// `ccow cluster create|list|show|delete NAME`, `ccow tenant create|list|delete CL/TEN`,
// `ccow bucket create|list|delete CL/TEN/BKT` and `ccow user list|delete`, each with
// --json. Namespace changes are cluster-state commands committed through the Raft leader;
// the state machine judges them (name exists, not found, invalid policy) and the error
// comes back as it was decided, or "no quorum" when no leader commits.
#include <CLI/CLI.hpp>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/cluster_admin.h"
#include "gateway/s3/user_registry.h"

namespace ccow::cli {
namespace {

Result<ClusterAdmin> Admin(const char* what) {
  std::string dir = ClusterDir();
  if (dir.empty())
    return Status::InvalidArgument(std::string("`ccow ") + what +
                                   "` administers a cluster: give --cluster DIR or set CCOW_CLUSTER");
  return ClusterAdmin::Load(dir);
}

// "A/B/C" -> parts; exactly n non-empty parts.
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

int Done(const std::string& what) {
  if (Globals().json)
    std::cout << nlohmann::json{{"ok", true}, {"done", what}}.dump() << std::endl;
  else
    std::cout << what << std::endl;
  return 0;
}

int Commit(const ClusterCommand& command, const std::string& what) {
  auto admin = Admin("...");
  if (!admin.ok()) return Fail(admin.status());
  Status s = admin->Propose(command);
  if (!s.ok()) return Fail(s);
  return Done(what);
}

int RunInit() {
  std::string dir = ClusterDir();
  if (dir.empty()) return Fail(Status::InvalidArgument("`ccow system init` needs --cluster DIR or CCOW_CLUSTER"));
  Status s = InitCluster(dir);
  if (!s.ok()) return Fail(s);
  return Done("cluster initialised: targets registered, FlexHash generation accepted");
}

// `ccow system status` on a cluster: membership, the Raft leader, and healing progress.
int RunStatus() {
  auto admin = Admin("system status");
  if (!admin.ok()) return Fail(admin.status());
  auto all = admin->StatusOfAll();
  nlohmann::json state;
  nlohmann::json leader;
  for (const auto& s : all)
    if (s.is_object() && s.contains("raft") && s["raft"].value("role", "") == "leader") {
      state = s["state"];
      leader = {{"target", s.value("target", "")}, {"raft_id", s["raft"].value("id", 0)},
                {"term", s["raft"].value("term", 0)}};
    }
  if (state.is_null())
    for (const auto& s : all)
      if (s.is_object() && s.contains("state")) state = s["state"];
  if (state.is_null()) return Fail(Status::Unavailable("no target of the cluster answered"));
  const uint64_t generation = state.value("flexhash_generation", uint64_t{0});
  std::map<std::string, std::string> membership;
  for (const auto& t : state["targets"]) membership[t.value("name", "")] = t.value("state", "");
  nlohmann::json targets = nlohmann::json::array();
  uint64_t remaining = 0, names_below = 0;
  bool healed = true;
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string& name = admin->targets()[i].first;
    nlohmann::json t = {{"name", name}, {"state", membership.count(name) ? membership[name] : "not a member"},
                        {"reachable", all[i].is_object()}};
    if (all[i].is_object()) {
      const auto& heal = all[i]["heal"];
      t["flexhash_generation"] = all[i].value("flexhash_generation", 0);
      t["raft_role"] = all[i].contains("raft") ? all[i]["raft"].value("role", "") : "";
      t["heal"] = heal;
      if (membership[name] != "dead") {
        remaining += heal.value("remaining", uint64_t{0});
        names_below += heal.value("names_below_r", uint64_t{0});
        if (heal.value("running", false) || heal.value("completed_generation", uint64_t{0}) < generation)
          healed = false;
      }
    } else if (membership[name] == "alive") {
      healed = false;  // a member nobody has declared dead yet
    }
    targets.push_back(t);
  }
  nlohmann::json out = {{"flexhash_generation", generation}, {"leader", leader}, {"targets", targets},
                        {"under_replicated_chunks", remaining}, {"version_lists_below_r", names_below},
                        {"healed", healed && remaining == 0 && names_below == 0}};
  if (Globals().json) {
    std::cout << out.dump(2) << std::endl;
    return 0;
  }
  std::cout << "FlexHash generation " << generation << ", Raft leader "
            << (leader.is_null() ? std::string("none (no quorum?)") : leader.value("target", "")) << "\n";
  for (const auto& t : targets) {
    std::cout << "  " << t.value("name", "") << "  " << t.value("state", "")
              << (t.value("reachable", false) ? "" : "  (not answering)");
    if (t.contains("heal"))
      std::cout << "  heal: pass of generation " << t["heal"].value("generation", 0)
                << (t["heal"].value("running", false) ? " running" : " done") << ", "
                << t["heal"].value("chunks_scanned", 0) << " chunks scanned, " << t["heal"].value("repaired", 0)
                << " repaired, " << t["heal"].value("moved", 0) << " moved";
    std::cout << "\n";
  }
  std::cout << (out["healed"].get<bool>() ? "every chunk and version list at its replication count"
                                          : std::to_string(remaining) + " chunks below their replication count" +
                                                (healed ? "" : " (healing)"))
            << std::endl;
  return 0;
}

int ListClusters(const std::string& only) {
  auto admin = Admin("cluster list");
  if (!admin.ok()) return Fail(admin.status());
  auto state = admin->State();
  if (!state.ok()) return Fail(state.status());
  const auto& clusters = (*state)["clusters"];
  if (!only.empty() && !clusters.contains(only)) return Fail(Status::NotFound("cluster '" + only + "' does not exist"));
  if (Globals().json) {
    std::cout << (only.empty() ? clusters : clusters[only]).dump(2) << std::endl;
    return 0;
  }
  for (const auto& [name, c] : clusters.items()) {
    if (!only.empty() && name != only) continue;
    std::cout << name << "\n";
    if (only.empty()) continue;
    for (const auto& [tenant, t] : c["tenants"].items()) {
      std::cout << "  " << name << "/" << tenant << "  replication " << t.value("replication_count", 0) << "\n";
      for (const auto& [bucket, b] : t["buckets"].items())
        std::cout << "    " << name << "/" << tenant << "/" << bucket << "  chunk " << b.value("chunk_size", 0)
                  << " " << b.value("chunking", "") << (b.value("erasure_code", "").empty() ? "" : "  ec ")
                  << b.value("erasure_code", "") << "\n";
    }
  }
  return 0;
}

struct BucketFlags {
  std::string path;
  uint32_t chunk_size = 1 << 20;
  std::string chunking = "fixed";
  std::string hash = "sha256";
  std::string ec;
  bool versioning = false;
  uint64_t quota = 0;
};

int CreateBucket(const BucketFlags& f) {
  auto parts = SplitPath(f.path, 3, "CLUSTER/TENANT/BUCKET");
  if (!parts.ok()) return Fail(parts.status());
  BucketPolicy p;
  p.chunk_size = f.chunk_size;
  auto chunking = ParseChunkingMode(f.chunking);
  if (!chunking.ok()) return Fail(chunking.status());
  p.chunking = *chunking;
  auto hash = ParseHashAlgo(f.hash);
  if (!hash.ok()) return Fail(hash.status());
  p.hash = *hash;
  p.erasure_code = f.ec;
  p.versioning = f.versioning;
  p.quota_bytes = f.quota;
  Status v = p.Validate();
  if (!v.ok()) return Fail(v);
  return Commit(command::CreateBucket{(*parts)[0], (*parts)[1], (*parts)[2], p}, "bucket " + f.path + " created");
}

int UserList() {
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  s3::UserRegistry users(**api, s3::kDefaultSegment);
  auto list = users.List();
  if (!list.ok()) return Fail(list.status());
  if (Globals().json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : *list) j.push_back({{"access_key", c.access_key}, {"tenant", c.tenant}});
    std::cout << j.dump(2) << std::endl;
    return 0;
  }
  for (const auto& c : *list) std::cout << c.access_key << "  " << c.tenant << "\n";
  return 0;
}

int UserDelete(const std::string& key) {
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  s3::UserRegistry users(**api, s3::kDefaultSegment);
  Status s = users.Delete(key);
  if (!s.ok()) return Fail(s);
  return Done("user " + key + " deleted");
}

}  // namespace

int RunClusterStatus() { return RunStatus(); }

void RegisterAdminCommands(CLI::App& app, int* exit_code) {
  CLI::App* system = app.get_subcommand("system");
  system->add_subcommand("init", "register the targets of a new cluster and accept its FlexHash")
      ->callback([exit_code] { *exit_code = RunInit(); });

  static std::string name;
  CLI::App* cluster = app.get_subcommand("cluster");
  cluster->add_subcommand("create", "create a cluster namespace (a segment)")
      ->callback([exit_code] { *exit_code = Commit(command::CreateSegment{name}, "cluster " + name + " created"); })
      ->add_option("NAME", name)->required();
  cluster->add_subcommand("delete", "delete an empty cluster namespace")
      ->callback([exit_code] { *exit_code = Commit(command::DeleteSegment{name}, "cluster " + name + " deleted"); })
      ->add_option("NAME", name)->required();
  cluster->add_subcommand("list", "the cluster namespaces")->callback([exit_code] { *exit_code = ListClusters(""); });
  cluster->add_subcommand("show", "a cluster namespace with its tenants and buckets")
      ->callback([exit_code] { *exit_code = ListClusters(name); })
      ->add_option("NAME", name)->required();

  static std::string tenant_path;
  static uint32_t replicas = 0;
  auto* tenant = app.add_subcommand("tenant", "tenants of a cluster namespace");
  tenant->require_subcommand(1);
  auto* tc = tenant->add_subcommand("create", "create CLUSTER/TENANT");
  tc->add_option("PATH", tenant_path, "CLUSTER/TENANT")->required();
  tc->add_option("-r,--replication-count", replicas, "replicas of its chunks (default: the cluster's)")
      ->check(CLI::Range(1, 16));
  tc->callback([exit_code] {
    auto p = SplitPath(tenant_path, 2, "CLUSTER/TENANT");
    *exit_code = !p.ok() ? Fail(p.status())
                         : Commit(command::CreateTenant{(*p)[0], (*p)[1], replicas}, "tenant " + tenant_path + " created");
  });
  auto* td = tenant->add_subcommand("delete", "delete an empty CLUSTER/TENANT");
  td->add_option("PATH", tenant_path, "CLUSTER/TENANT")->required();
  td->callback([exit_code] {
    auto p = SplitPath(tenant_path, 2, "CLUSTER/TENANT");
    *exit_code = !p.ok() ? Fail(p.status())
                         : Commit(command::DeleteTenant{(*p)[0], (*p)[1]}, "tenant " + tenant_path + " deleted");
  });

  static BucketFlags bf;
  auto* bucket = app.add_subcommand("bucket", "buckets of a tenant, with their policy");
  bucket->require_subcommand(1);
  auto* bc = bucket->add_subcommand("create", "create CLUSTER/TENANT/BUCKET");
  bc->add_option("PATH", bf.path, "CLUSTER/TENANT/BUCKET")->required();
  bc->add_option("-s,--chunk-size", bf.chunk_size, "chunk size in bytes (default 1 MiB)");
  bc->add_option("--chunking", bf.chunking, "fixed or cdc")->check(CLI::IsMember({"fixed", "cdc"}));
  bc->add_option("--hash", bf.hash, "sha256, sha3-256, blake2b-256 or xxh3-128");
  bc->add_option("--ec", bf.ec, "erasure code once objects come to rest, K:M:rs (e.g. 4:2:rs)");
  bc->add_flag("--versioning", bf.versioning, "keep every version");
  bc->add_option("--quota", bf.quota, "quota in bytes (0: none)");
  bc->callback([exit_code] { *exit_code = CreateBucket(bf); });
  auto* bd = bucket->add_subcommand("delete", "delete CLUSTER/TENANT/BUCKET");
  bd->add_option("PATH", bf.path, "CLUSTER/TENANT/BUCKET")->required();
  bd->callback([exit_code] {
    auto p = SplitPath(bf.path, 3, "CLUSTER/TENANT/BUCKET");
    *exit_code = !p.ok() ? Fail(p.status())
                         : Commit(command::DeleteBucket{(*p)[0], (*p)[1], (*p)[2]}, "bucket " + bf.path + " deleted");
  });

  static std::string access_key;
  CLI::App* user = app.get_subcommand("user");
  auto* ul = user->add_subcommand("list", "the S3 key pairs (secrets are not shown)");
  AddDataOption(ul);
  ul->callback([exit_code] { *exit_code = UserList(); });
  auto* ud = user->add_subcommand("delete", "delete an S3 key pair");
  AddDataOption(ud);
  ud->add_option("ACCESS_KEY", access_key)->required();
  ud->callback([exit_code] { *exit_code = UserDelete(access_key); });
}

}  // namespace ccow::cli
