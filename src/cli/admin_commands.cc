// The efscli administration grammar: `ccow system init|status`, `ccow cluster
// create|list|show|delete NAME`, `ccow tenant create|update|show|delete CL/TEN`, `ccow bucket
// create|update|delete CL/TEN/BKT` and `ccow user create|list|delete`, each with --json,
// on a cluster and on one node alike (cli/registry_access.h). Namespace changes are
// commands of the registry of record committed through the Raft leader; the state machine
// judges them (name exists, not found, invalid policy) and the error comes back as it was
// decided, or "no quorum" when no leader commits.
#include <CLI/CLI.hpp>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/cluster_admin.h"
#include "cli/registry_access.h"
#include "cluster/cluster_state_json.h"
#include "cluster/erasure_placement.h"
#include "cluster/tenant_change.h"
#include "core/config.h"
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

int RunInit() {
  std::string dir = ClusterDir();
  if (dir.empty()) return Fail(Status::InvalidArgument("`ccow system init` needs --cluster DIR or CCOW_CLUSTER"));
  Status s = InitCluster(dir);
  if (!s.ok()) return Fail(s);
  return PrintDone("cluster initialised: targets registered, FlexHash generation accepted");
}

// `ccow system status` on a cluster: membership, the Raft leader, healing progress, what
// the VDEVs hold, and the garbage collector the leader drives.
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
  uint64_t chunks = 0, payload_bytes = 0;  // replicas on the VDEVs that answered
  nlohmann::json gc, ec;                   // of the target that drives the passes
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
      if (all[i].contains("scrub")) t["scrub"] = all[i]["scrub"];
      if (all[i].contains("gc")) {
        t["gc"] = all[i]["gc"];
        if (all[i]["gc"].value("driving", false)) gc = all[i]["gc"];
      }
      if (all[i].contains("ec") && all[i]["ec"].value("driving", false)) ec = all[i]["ec"];
      uint64_t held = 0, held_bytes = 0;
      for (const auto& v : all[i].value("vdevs", nlohmann::json::array())) {
        held += v.value("chunks", uint64_t{0});
        held_bytes += v.value("payload_bytes", uint64_t{0});
      }
      t["chunks"] = held;
      t["payload_bytes"] = held_bytes;
      chunks += held;
      payload_bytes += held_bytes;
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
                        {"healed", healed && remaining == 0 && names_below == 0},
                        {"chunks", chunks}, {"payload_bytes", payload_bytes}, {"gc", gc}, {"ec", ec}};
  if (Globals().json) {
    std::cout << out.dump(2) << std::endl;
    return 0;
  }
  std::cout << "FlexHash generation " << generation << ", Raft leader "
            << (leader.is_null() ? std::string("none (no quorum?)") : leader.value("target", "")) << "\n"
            << "stored: " << chunks << " chunk replicas (" << FormatSize(payload_bytes) << ") on the targets answering\n";
  if (gc.is_object())
    PrintGcLines(gc);
  else
    std::cout << "gc: no target drives it now (no Raft leader, or the cluster is not initialised)\n";
  if (ec.is_object()) PrintEcLines(ec);
  for (const auto& t : targets) {
    std::cout << "  " << t.value("name", "") << "  " << t.value("state", "")
              << (t.value("reachable", false) ? "" : "  (not answering)");
    if (t.contains("heal"))
      std::cout << "  heal: pass of generation " << t["heal"].value("generation", 0)
                << (t["heal"].value("running", false) ? " running" : " done") << ", "
                << t["heal"].value("chunks_scanned", 0) << " chunks scanned, " << t["heal"].value("repaired", 0)
                << " repaired, " << t["heal"].value("moved", 0) << " moved";
    std::cout << "\n";
    if (t.contains("scrub")) PrintScrubLines(t["scrub"], "    ");
  }
  std::cout << (out["healed"].get<bool>() ? "every chunk and version list at its replication count"
                                          : std::to_string(remaining) + " chunks below their replication count" +
                                                (healed ? "" : " (healing)"))
            << std::endl;
  return 0;
}

// "  ec 4:2:rs", "  ec 4:2:rs (the tenant's)", "  ec none" or nothing, of a bucket's JSON
// (cluster_state_json.h).
std::string BucketEcText(const nlohmann::json& b) {
  const std::string own = b.value("erasure_code", ""), in_force = b.value("erasure_code_in_force", "");
  if (own == kNoErasureCode) return "  ec none";
  if (in_force.empty()) return "";
  return "  ec " + in_force + (own.empty() ? " (the tenant's)" : "");
}

void PrintBucketLine(const std::string& path, const nlohmann::json& b, const std::string& indent) {
  std::cout << indent << path << "  chunk " << b.value("chunk_size", 0) << " " << b.value("chunking", "")
            << BucketEcText(b) << "\n";
}

// A tenant's settings in one line (`cluster show`); 0 or "" prints as the default.
std::string TenantPolicyText(const nlohmann::json& t) {
  const uint32_t r = t.value("replication_count", 0u);
  const uint64_t retention = t.value("retention_ns", uint64_t{0});
  const std::string ec = t.value("erasure_code", "");
  return "replication " + (r ? std::to_string(r) : std::string("default")) + "  ec " + (ec.empty() ? "none" : ec) +
         "  retention " + (retention ? FormatDuration(retention) : std::string("default"));
}

int ListClusters(const std::string& only) {
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  auto state = nlohmann::json::parse(ClusterStateJson(*opened->registry->current()));
  const auto& clusters = state["clusters"];
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
      std::cout << "  " << name << "/" << tenant << "  " << TenantPolicyText(t) << "\n";
      for (const auto& [bucket, b] : t["buckets"].items()) PrintBucketLine(name + "/" + tenant + "/" + bucket, b, "    ");
    }
  }
  return 0;
}

struct BucketFlags {
  std::string path;
  std::string chunk_size = "1M";
  std::string chunking = "fixed";
  std::string hash = "sha256";
  std::string ec;
  bool versioning = false;
  std::string versioning_state;  // update: enabled or suspended
  std::string quota;             // "" : unchanged (update) or none (create)
  std::string retention;         // seconds; "" : unchanged or the tenant's
  uint32_t replicas = 0;
};

// The flags given to `bucket create|update` applied to a record.
Status ApplyBucketFlags(const BucketFlags& f, bool create, CLI::App* cmd, BucketRecord* r) {
  auto given = [&](const char* name) { return create || cmd->count(name) > 0; };
  if (given("--chunk-size")) {
    CCOW_ASSIGN_OR_RETURN(uint64_t size, ParseSizeFlag("--chunk-size", f.chunk_size));
    if (size > UINT32_MAX) return Status::InvalidArgument("--chunk-size " + f.chunk_size + " is too large");
    r->chunk_size = static_cast<uint32_t>(size);
  }
  if (given("--chunking")) {
    CCOW_ASSIGN_OR_RETURN(r->chunking, ParseChunkingMode(f.chunking));
  }
  if (given("--hash")) {
    CCOW_ASSIGN_OR_RETURN(r->hash, ParseHashAlgo(f.hash));
  }
  if (given("--ec")) r->erasure_code = f.ec;
  if (create && f.versioning) r->versioning = Versioning::kEnabled;
  if (!f.versioning_state.empty())
    r->versioning = f.versioning_state == "enabled" ? Versioning::kEnabled : Versioning::kSuspended;
  if (!f.quota.empty()) {
    CCOW_ASSIGN_OR_RETURN(r->quota_bytes, ParseSizeFlag("--quota", f.quota));
  }
  if (!f.retention.empty()) {
    CCOW_ASSIGN_OR_RETURN(r->retention_ns, ParseDurationFlag("--retention", f.retention));
  }
  if (given("--replication-count")) r->replication_count = f.replicas;
  return r->Validate();
}

int CreateBucket(const BucketFlags& f, CLI::App* cmd) {
  auto parts = SplitPath(f.path, 3, "CLUSTER/TENANT/BUCKET");
  if (!parts.ok()) return Fail(parts.status());
  BucketRecord r;
  r.created_ns = NowNs();
  Status v = ApplyBucketFlags(f, true, cmd, &r);
  if (!v.ok()) return Fail(v);
  if (!r.erasure_code.empty()) {
    auto opened = OpenRegistry();
    if (!opened.ok()) return Fail(opened.status());
    if (Status p = CheckErasurePlacement(*opened->registry->current(), r.erasure_code); !p.ok()) return Fail(p);
  }
  return CommitCommand(command::CreateBucket{(*parts)[0], (*parts)[1], (*parts)[2], r, false, /*unique_in_segment=*/true}, "bucket " + f.path + " created");
}

int UpdateBucket(const BucketFlags& f, CLI::App* cmd) {
  auto parts = SplitPath(f.path, 3, "CLUSTER/TENANT/BUCKET");
  if (!parts.ok()) return Fail(parts.status());
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  const auto& p = *parts;
  Status s;
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto state = opened->registry->current();
    auto found = state->FindBucket(p[0], p[1], p[2]);
    if (!found.ok()) return Fail(found.status());
    BucketRecord r = **found;
    s = ApplyBucketFlags(f, false, cmd, &r);
    if (!s.ok()) return Fail(s);
    if (cmd->count("--ec") > 0) {
      if (Status pl = CheckErasurePlacement(*state, r.erasure_code); !pl.ok()) return Fail(pl);
    }
    s = opened->registry->Propose(command::UpdateBucket{p[0], p[1], p[2], r, (*found)->revision});
    if (s.code() != Code::kConflict) break;  // else someone changed it meanwhile: again
  }
  if (!s.ok()) return Fail(s);
  return PrintDone("bucket " + f.path + " updated");
}

struct TenantFlags {
  std::string path;
  uint32_t replicas = 0;
  std::string ec;         // K:M:rs; "" or "none": replication only
  std::string retention;  // a duration; 0: the default
};

// The flags given to `tenant create|update` as a change of the tenant's settings: only the
// flags given (update leaves the others as they are; create takes the defaults for them).
Result<TenantChange> TenantChangeOf(const TenantFlags& f, CLI::App* cmd) {
  TenantChange c;
  if (cmd->count("--replication-count") > 0) c.replication_count = f.replicas;
  // "none" as a bucket says it: a tenant's "replication only" is "".
  if (cmd->count("--ec") > 0) c.erasure_code = f.ec == kNoErasureCode ? "" : f.ec;
  if (cmd->count("--retention") > 0) {
    CCOW_ASSIGN_OR_RETURN(uint64_t ns, ParseDurationFlag("--retention", f.retention));
    c.retention_ns = ns;
  }
  return c;
}

int CreateTenant(const TenantFlags& f, CLI::App* cmd) {
  auto parts = SplitPath(f.path, 2, "CLUSTER/TENANT");
  if (!parts.ok()) return Fail(parts.status());
  auto change = TenantChangeOf(f, cmd);
  if (!change.ok()) return Fail(change.status());
  command::CreateTenant c{(*parts)[0], (*parts)[1], change->replication_count.value_or(0),
                          change->retention_ns.value_or(0), change->erasure_code.value_or("")};
  if (!c.erasure_code.empty()) {
    auto opened = OpenRegistry();
    if (!opened.ok()) return Fail(opened.status());
    if (Status p = CheckErasurePlacement(*opened->registry->current(), c.erasure_code); !p.ok()) return Fail(p);
  }
  return CommitCommand(c, "tenant " + f.path + " created");
}

int UpdateTenantSettings(const TenantFlags& f, CLI::App* cmd) {
  auto parts = SplitPath(f.path, 2, "CLUSTER/TENANT");
  if (!parts.ok()) return Fail(parts.status());
  auto change = TenantChangeOf(f, cmd);
  if (!change.ok()) return Fail(change.status());
  if (!change->replication_count && !change->retention_ns && !change->erasure_code)
    return Fail(Status::InvalidArgument("nothing to change: give -r, --ec or --retention"));
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  Status s = ChangeTenant(*opened->registry, (*parts)[0], (*parts)[1], *change);
  if (!s.ok()) return Fail(s);
  return PrintDone("tenant " + f.path + " updated");
}

// `tenant show`: the tenant's settings as `cluster show --json` has them, or as lines.
int ShowTenant(const std::string& path) {
  auto parts = SplitPath(path, 2, "CLUSTER/TENANT");
  if (!parts.ok()) return Fail(parts.status());
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  auto state = opened->registry->current();
  if (auto found = state->FindTenant((*parts)[0], (*parts)[1]); !found.ok()) return Fail(found.status());
  const auto t = nlohmann::json::parse(ClusterStateJson(*state))["clusters"][(*parts)[0]]["tenants"][(*parts)[1]];
  if (Globals().json) {
    std::cout << t.dump(2) << std::endl;
    return 0;
  }
  const uint32_t r = t.value("replication_count", 0u);
  const uint64_t retention = t.value("retention_ns", uint64_t{0});
  const std::string ec = t.value("erasure_code", "");
  std::cout << path << "\n"
            << "  replication count " << (r ? std::to_string(r) : std::string("default (the cluster's)")) << "\n"
            << "  erasure code " << (ec.empty() ? std::string("none (replication only)") : ec) << "\n"
            << "  retention " << (retention ? FormatDuration(retention) : std::string("default (the node's)")) << "\n"
            << "  revision " << t.value("revision", uint64_t{0}) << "\n";
  for (const auto& [bucket, b] : t["buckets"].items()) PrintBucketLine(path + "/" + bucket, b, "  ");
  return 0;
}

void PrintUser(const UserRecord& u) {
  if (Globals().json) {
    std::cout << nlohmann::json{{"access_key", u.access_key}, {"secret_key", u.secret_key},
                                {"cluster", u.segment}, {"tenant", u.tenant}}.dump(2)
              << std::endl;
  } else {
    std::cout << "tenant     " << u.tenant << "\naccess key " << u.access_key << "\nsecret key " << u.secret_key
              << std::endl;
  }
}

// TENANT, or CLUSTER/TENANT (the S3 gateways serve cluster "ccow" by default).
int UserCreate(const std::string& who) {
  std::string segment = s3::kDefaultSegment, tenant = who;
  if (auto slash = who.find('/'); slash != std::string::npos) {
    segment = who.substr(0, slash);
    tenant = who.substr(slash + 1);
  }
  Status valid = s3::ValidateTenantName(tenant);
  if (!valid.ok()) return Fail(valid);
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  UserRecord u = s3::NewUserRecord(segment, tenant);
  Status s = opened->registry->Propose(command::CreateUser{u});
  if (!s.ok()) return Fail(s);
  PrintUser(u);
  return 0;
}

int UserList() {
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  auto state = opened->registry->current();
  if (Globals().json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [key, u] : state->users())
      j.push_back({{"access_key", key}, {"cluster", u.segment}, {"tenant", u.tenant}});
    std::cout << j.dump(2) << std::endl;
    return 0;
  }
  for (const auto& [key, u] : state->users()) std::cout << key << "  " << u.segment << "/" << u.tenant << "\n";
  return 0;
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
      ->callback([exit_code] { *exit_code = CommitCommand(command::CreateSegment{name}, "cluster " + name + " created"); })
      ->add_option("NAME", name)->required();
  cluster->add_subcommand("delete", "delete an empty cluster namespace")
      ->callback([exit_code] { *exit_code = CommitCommand(command::DeleteSegment{name}, "cluster " + name + " deleted"); })
      ->add_option("NAME", name)->required();
  cluster->add_subcommand("list", "the cluster namespaces")->callback([exit_code] { *exit_code = ListClusters(""); });
  cluster->add_subcommand("show", "a cluster namespace with its tenants and buckets")
      ->callback([exit_code] { *exit_code = ListClusters(name); })
      ->add_option("NAME", name)->required();

  static TenantFlags tf;
  auto* tenant = app.add_subcommand("tenant", "tenants of a cluster namespace, with the policy their buckets inherit");
  tenant->require_subcommand(1);
  auto tenant_flags = [](CLI::App* c) {
    c->add_option("PATH", tf.path, "CLUSTER/TENANT")->required();
    c->add_option("-r,--replication-count", tf.replicas, "replicas of its chunks (0: the cluster's)")
        ->check(CLI::Range(0, 8));
    c->add_option("--ec", tf.ec,
                  "erasure code of its buckets that have none of their own, K:M:rs (e.g. 4:2:rs); \"\" or none: "
                  "replication only");
    c->add_option("--retention", tf.retention,
                  "how long deleted versions stay restorable in its buckets that have no retention of their own: "
                  "seconds or 90s, 10m, 2h, 7d (0: the default)");
  };
  auto* tc = tenant->add_subcommand("create", "create CLUSTER/TENANT");
  tenant_flags(tc);
  tc->callback([exit_code, tc] { *exit_code = CreateTenant(tf, tc); });
  auto* tu = tenant->add_subcommand("update", "change settings of CLUSTER/TENANT (only the flags given)");
  tenant_flags(tu);
  tu->callback([exit_code, tu] { *exit_code = UpdateTenantSettings(tf, tu); });
  auto* ts = tenant->add_subcommand("show", "the settings of CLUSTER/TENANT and its buckets");
  ts->add_option("PATH", tf.path, "CLUSTER/TENANT")->required();
  ts->callback([exit_code] { *exit_code = ShowTenant(tf.path); });
  auto* td = tenant->add_subcommand("delete", "delete an empty CLUSTER/TENANT");
  td->add_option("PATH", tf.path, "CLUSTER/TENANT")->required();
  td->callback([exit_code] {
    auto p = SplitPath(tf.path, 2, "CLUSTER/TENANT");
    *exit_code = !p.ok() ? Fail(p.status())
                         : CommitCommand(command::DeleteTenant{(*p)[0], (*p)[1]}, "tenant " + tf.path + " deleted");
  });

  static BucketFlags bf;
  auto* bucket = app.add_subcommand("bucket", "buckets of a tenant, with their policy");
  bucket->require_subcommand(1);
  auto* bc = bucket->add_subcommand("create", "create CLUSTER/TENANT/BUCKET");
  bc->add_option("PATH", bf.path, "CLUSTER/TENANT/BUCKET")->required();
  auto policy_flags = [](CLI::App* c) {
    c->add_option("-s,--chunk-size", bf.chunk_size, "chunk size (bytes or 256K, 4M...; default 1M)");
    c->add_option("--chunking", bf.chunking, "fixed or cdc")->check(CLI::IsMember({"fixed", "cdc"}));
    c->add_option("--hash", bf.hash, "sha256, sha3-256, blake2b-256 or xxh3-128");
    c->add_option("--ec", bf.ec,
                  "erasure code once objects come to rest, K:M:rs (e.g. 4:2:rs); none: replication only, whatever "
                  "the tenant's; \"\": the tenant's (the default)");
    c->add_option("--quota", bf.quota, "quota (bytes or 10G...; 0: none)");
    c->add_option("--retention", bf.retention, "how long deleted versions stay restorable: seconds or 90s, 10m, 2h, 7d (0: the tenant's)");
    c->add_option("-r,--replication-count", bf.replicas, "replicas of its chunks (0: the tenant's)")
        ->check(CLI::Range(0, 8));
  };
  policy_flags(bc);
  bc->add_flag("--versioning", bf.versioning, "keep every version");
  bc->callback([exit_code, bc] { *exit_code = CreateBucket(bf, bc); });
  auto* bu = bucket->add_subcommand("update", "change settings of CLUSTER/TENANT/BUCKET");
  bu->add_option("PATH", bf.path, "CLUSTER/TENANT/BUCKET")->required();
  policy_flags(bu);
  bu->add_option("--versioning", bf.versioning_state, "enabled or suspended")
      ->check(CLI::IsMember({"enabled", "suspended"}));
  bu->callback([exit_code, bu] { *exit_code = UpdateBucket(bf, bu); });
  auto* bd = bucket->add_subcommand("delete", "delete CLUSTER/TENANT/BUCKET");
  bd->add_option("PATH", bf.path, "CLUSTER/TENANT/BUCKET")->required();
  bd->callback([exit_code] {
    auto p = SplitPath(bf.path, 3, "CLUSTER/TENANT/BUCKET");
    *exit_code = !p.ok() ? Fail(p.status())
                         : CommitCommand(command::DeleteBucket{(*p)[0], (*p)[1], (*p)[2]}, "bucket " + bf.path + " deleted");
  });

  static std::string access_key, who;
  auto* user = app.add_subcommand("user", "S3 key pairs");
  user->require_subcommand(1);
  auto* uc = user->add_subcommand("create", "make and print a key pair for TENANT (or CLUSTER/TENANT)");
  AddDataOption(uc);
  uc->add_option("TENANT", who, "tenant whose buckets the key reaches")->required();
  uc->callback([exit_code] { *exit_code = UserCreate(who); });
  auto* ul = user->add_subcommand("list", "the S3 key pairs (secrets are not shown)");
  AddDataOption(ul);
  ul->callback([exit_code] { *exit_code = UserList(); });
  auto* ud = user->add_subcommand("delete", "delete an S3 key pair");
  AddDataOption(ud);
  ud->add_option("ACCESS_KEY", access_key)->required();
  ud->callback([exit_code] {
    *exit_code = CommitCommand(command::DeleteUser{access_key}, "user " + access_key + " deleted");
  });
}

}  // namespace ccow::cli
