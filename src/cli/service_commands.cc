// `ccow service create|delete|list|show|serve|unserve|config|verify` (efscli grammar, issue 14):
// the services of the registry of record, an Inter-Segment Gateway link each, with the
// buckets it serves and its settings (cluster/service_config.h). On a cluster and on one
// node alike (cli/registry_access.h); every one with --json.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/cli_common.h"
#include "cli/serving.h"
#include "cli/registry_access.h"
#include "cluster/cluster_state_json.h"
#include "cluster/service_config.h"
#include "model/version_signature.h"

namespace ccow::cli {
namespace {

struct ServiceFlags {
  std::string type, name, path, key, value;
  bool status = false;
};

// The service as `cluster show --json` has it, or kNotFound.
Result<nlohmann::json> ServiceJson(const ClusterState& state, const std::string& name) {
  if (!state.services().count(name)) return Status::NotFound("no service " + name);
  return nlohmann::json::parse(ClusterStateJson(state))["services"][name];
}

// The link's status as the process that runs it answers (GET /admin/isgw): the `ccow
// server` of this data directory, or on a cluster the process CLUSTER/isgw/NAME.json
// names (`ccow isgw`, or a gateway with --isgw); or why there is none.
Result<nlohmann::json> LinkStatus(const std::string& name) {
  if (!ClusterDir().empty()) return CallLinkEndAdmin(name, "/admin/isgw?service=" + name, 0);
  auto status = CallServerAdmin("GET", "/admin/isgw?service=" + name, 0);
  if (!status.ok() && status.status().IsNotFound())
    return Status::NotFound("the server of this data directory runs no link of service " + name +
                            " (ccow server --isgw " + name + ")");
  return status;
}

std::string SiteIdText(uint32_t id) {
  char text[16] = "";
  if (id) std::snprintf(text, sizeof text, "%08x", id);
  return text;
}

int ShowService(const std::string& name, bool with_status) {
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  auto state = opened->registry->current();
  auto j = ServiceJson(*state, name);
  if (!j.ok()) return Fail(j.status());
  (*j)["site_id"] = SiteIdText(state->site_id());
  (*j)["site_key"] =
      state->site_key_seed().empty() ? "" : SiteKeyText(state->site_id(), SitePublicKey(state->site_key_seed()));
  std::optional<nlohmann::json> status;
  if (with_status) {
    auto got = LinkStatus(name);
    if (!got.ok()) return Fail(got.status());
    status = std::move(*got);
  }
  if (Globals().json) {
    if (status) (*j)["status"] = *status;
    std::cout << j->dump(2) << std::endl;
    return 0;
  }
  const ServiceRecord& s = state->services().at(name);
  std::cout << name << " (" << s.type << "), at site " << (state->site_id() ? SiteIdText(state->site_id()) : "(no id yet)")
            << "\n";
  if (!state->site_key_seed().empty())
    std::cout << "  site key " << SiteKeyText(state->site_id(), SitePublicKey(state->site_key_seed()))
              << "  (the other sites' trusted-keys)\n";
  if (s.serves.empty()) std::cout << "  serves nothing yet\n";
  for (const auto& path : s.serves) std::cout << "  serves " << path << "\n";
  for (const auto& key : ServiceSettingNames()) {
    std::string text = ServiceSettingText(s.config, key);
    if (key == "remote" && text.empty()) text = "(not set)";
    if (key == "chunk-cache-size") text = s.config.chunk_cache_bytes ? FormatSize(s.config.chunk_cache_bytes) : "0 (none)";
    std::cout << "  " << key << " " << text << "\n";
  }
  std::cout << "  revision " << s.revision << std::endl;
  if (status) {
    const auto& st = *status;
    std::cout << "  status: lag " << st.value("lag_s", uint64_t{0}) << " s, backlog " << st.value("backlog", uint64_t{0})
              << " objects, " << st.value("rounds", uint64_t{0}) << " rounds (" << st.value("failed_rounds", uint64_t{0})
              << " failed), " << st.value("lists_shipped", uint64_t{0}) << " lists shipped\n"
              << "  sent: " << st.value("chunks_sent", uint64_t{0}) << " chunks, "
              << FormatSize(st.value("bytes_sent", uint64_t{0})) << " (" << FormatSize(st.value("wire_bytes_sent", uint64_t{0}))
              << " on the wire), " << st.value("chunks_skipped", uint64_t{0}) << " chunks the remote had\n"
              << "  received: " << st.value("lists_merged", uint64_t{0}) << " lists merged, "
              << st.value("chunks_received", uint64_t{0}) << " chunks, " << st.value("refused", uint64_t{0})
              << " requests refused, " << st.value("versions_refused", uint64_t{0})
              << " versions refused (signatures), " << st.value("chunks_served", uint64_t{0})
              << " chunks served to a metadata-only site\n";
    if (st.contains("fetches") && st.value("metadata_only", "off") != "off")
      std::cout << "  on demand: " << st.value("fetches", uint64_t{0}) << " chunks fetched ("
                << FormatSize(st.value("fetched_bytes", uint64_t{0})) << ", " << st.value("fetch_failures", uint64_t{0})
                << " failed), cache " << FormatSize(st.value("cache_bytes", uint64_t{0})) << " of "
                << FormatSize(st.value("cache_capacity", uint64_t{0})) << ", " << st.value("cache_hits", uint64_t{0})
                << " hits, " << st.value("cache_evictions", uint64_t{0}) << " evictions\n";
    if (!st.value("last_error", "").empty()) std::cout << "  last error: " << st.value("last_error", "") << "\n";
  }
  return 0;
}

// `service verify NAME`: the running link end compares both sites (IsgwLink::VerifyJson).
// Exit 0 when in sync, 1 when they differ (as diff), or the error.
int VerifyService(const std::string& name) {
  auto status = LinkStatus(name);
  if (!status.ok()) return Fail(status.status());
  const std::string target = "/admin/isgw/verify?service=" + name;
  const uint64_t wait_ns = 600'000'000'000ull;
  auto j = ClusterDir().empty() ? CallServerAdmin("GET", target, wait_ns) : CallLinkEndAdmin(name, target, wait_ns);
  if (!j.ok()) return Fail(j.status().WithContext("verifying service " + name));
  const bool in_sync = j->value("in_sync", false);
  if (Globals().json) {
    std::cout << j->dump(2) << std::endl;
    return in_sync ? 0 : 1;
  }
  std::cout << "service " << name << " against " << j->value("remote", "") << ": "
            << (in_sync ? "in sync" : "differences found") << "\n";
  for (const auto& b : (*j)["buckets"]) {
    std::cout << "  " << b.value("bucket", "") << ": " << b.value("compared", uint64_t{0}) << " objects compared, "
              << b.value("equal", uint64_t{0}) << " equal, " << b.value("differ", uint64_t{0}) << " differ, "
              << b.value("only_here", uint64_t{0}) << " only here, " << b.value("only_there", uint64_t{0})
              << " only there\n";
    for (const auto& [key, what] : {std::pair{"differ_names", "differs"}, std::pair{"only_here_names", "only here"},
                                    std::pair{"only_there_names", "only there"}})
      for (const auto& n : b[key]) std::cout << "    " << what << ": " << n.get<std::string>() << "\n";
    if (b.contains("error")) std::cout << "    error: " << b.value("error", "") << "\n";
  }
  std::cout << std::flush;
  return in_sync ? 0 : 1;
}

int ListServices() {
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  auto state = opened->registry->current();
  if (Globals().json) {
    nlohmann::json j = nlohmann::json::parse(ClusterStateJson(*state))["services"];
    std::cout << j.dump(2) << std::endl;
    return 0;
  }
  for (const auto& [name, s] : state->services()) {
    std::cout << name << "  " << s.type << "  " << s.serves.size() << " bucket" << (s.serves.size() == 1 ? "" : "s");
    if (!s.config.remote.empty()) std::cout << "  -> " << s.config.remote;
    std::cout << "\n";
  }
  return 0;
}

int ConfigureService(const ServiceFlags& f) {
  auto opened = OpenRegistry();
  if (!opened.ok()) return Fail(opened.status());
  Status s = ChangeServiceSetting(*opened->registry, f.name, f.key, f.value);
  if (!s.ok()) return Fail(s);
  ServiceConfig asked;
  (void)ApplyServiceSetting(&asked, f.key, f.value);  // accepted above: its words, as read back
  return PrintDone("service " + f.name + ": " + f.key + " set to " + ServiceSettingText(asked, f.key));
}

}  // namespace

void RegisterServiceCommands(CLI::App& app, int* exit_code) {
  static ServiceFlags f;
  auto* service = app.add_subcommand("service", "inter-segment gateway links: the buckets each serves, its settings");
  service->require_subcommand(1);

  auto* create = service->add_subcommand("create", "create a service: ccow service create isgw NAME");
  create->add_option("TYPE", f.type, "isgw")->required();
  create->add_option("NAME", f.name)->required();
  create->callback([exit_code] {
    // A segment that links with another needs its site id from then on (EnsureSiteId).
    auto opened = OpenRegistry();
    if (!opened.ok()) {
      *exit_code = Fail(opened.status());
      return;
    }
    auto site = EnsureSiteId(*opened->registry);
    if (!site.ok()) {
      *exit_code = Fail(site.status().WithContext("drawing this segment's site id"));
      return;
    }
    Status s = opened->registry->Propose(command::CreateService{f.name, f.type});
    *exit_code = s.ok() ? PrintDone("service " + f.name + " created") : Fail(s);
  });

  auto* del = service->add_subcommand("delete", "delete a service");
  del->add_option("NAME", f.name)->required();
  del->callback([exit_code] { *exit_code = CommitCommand(command::DeleteService{f.name}, "service " + f.name + " deleted"); });

  service->add_subcommand("list", "the services")->callback([exit_code] { *exit_code = ListServices(); });

  auto* show = service->add_subcommand("show", "a service: the buckets it serves and its settings");
  show->add_option("NAME", f.name)->required();
  show->add_flag("-s,--status", f.status, "and how the link goes (the `ccow server` running it, on one node)");
  show->callback([exit_code] { *exit_code = ShowService(f.name, f.status); });

  auto* verify = service->add_subcommand(
      "verify", "compare both sites of a link, object by object (exit 1 when they differ; on one node, its server)");
  verify->add_option("NAME", f.name)->required();
  verify->callback([exit_code] { *exit_code = VerifyService(f.name); });

  auto path_command = [&](const char* name, const char* help, bool serve) {
    auto* c = service->add_subcommand(name, help);
    c->add_option("NAME", f.name)->required();
    c->add_option("PATH", f.path, "CLUSTER/TENANT/BUCKET")->required();
    c->callback([exit_code, serve] {
      auto parts = SplitPath(f.path, 3, "CLUSTER/TENANT/BUCKET");
      if (!parts.ok()) {
        *exit_code = Fail(parts.status());
      } else if (serve) {
        // Serving is what the operator asked for, whoever got there first (the other
        // end's bucket offer serves it too): already serving is success.
        // (ServiceServe's only kAlreadyExists is "already serves".)
        auto opened = OpenRegistry();
        Status st = opened.ok() ? opened->registry->Propose(command::ServiceServe{f.name, f.path}) : opened.status();
        if (st.code() == Code::kAlreadyExists) st = Status::OK();
        *exit_code = st.ok() ? PrintDone("service " + f.name + " serves " + f.path) : Fail(st);
      } else {
        *exit_code =
            CommitCommand(command::ServiceUnserve{f.name, f.path}, "service " + f.name + " no longer serves " + f.path);
      }
    });
  };
  path_command("serve", "serve a bucket: its changes are shipped over the link", true);
  path_command("unserve", "stop serving a bucket", false);

  std::string keys;
  for (const auto& k : ServiceSettingNames()) keys += (keys.empty() ? "" : ", ") + k;
  auto* config = service->add_subcommand(
      "config",
      "set one setting: remote ccow://HOST:PORT | file:///DIR | s3://HOST[:PORT]/BUCKET; direction "
      "send|receive|send+receive; replication initial|continuous|initial+continuous; metadata-only "
      "off|versions|all; chunk-cache-size SIZE; batch-interval DURATION (100ms..1h)");
  config->add_option("NAME", f.name)->required();
  config->add_option("KEY", f.key, keys)->required();
  config->add_option("VALUE", f.value)->required();
  config->callback([exit_code] { *exit_code = ConfigureService(f); });
}

}  // namespace ccow::cli
