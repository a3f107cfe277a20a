// The `ccow` command: efscli-style grammar (ccow object put ..., ccow server ...).
#include <cctype>
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/cli_common.h"
#include "cli/registry_access.h"
#include "client/cluster_backend.h"
#include "core/config.h"
#include "core/logging.h"

namespace ccow::cli {

GlobalFlags& Globals() {
  static GlobalFlags g;
  return g;
}

int ExitCodeFor(const Status& st) {
  switch (st.code()) {
    case Code::kOk: return 0;
    case Code::kInvalidArgument: return 2;
    case Code::kNotFound: return 3;
    case Code::kCorruption: return 4;
    case Code::kNoSpace: return 5;
    case Code::kBusy: return 6;
    case Code::kUnavailable:
    case Code::kFenced: return 7;
    case Code::kFailedPrecondition: return 8;
    case Code::kLocked: return 9;
    case Code::kPermissionDenied: return 10;
    default: return 1;
  }
}

int Fail(const Status& st) {
  if (Globals().json) {
    nlohmann::json j = {{"error", {{"code", CodeName(st.code())}, {"message", st.message()}}}};
    std::cerr << j.dump() << std::endl;
  } else {
    std::cerr << "ccow: " << st.ToString() << std::endl;
  }
  return ExitCodeFor(st);
}

Result<uint64_t> ParseDurationFlag(const std::string& flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok()) return Status::InvalidArgument(flag + " " + d.status().message());
  return d;
}

Result<uint64_t> ParseSizeFlag(const std::string& flag, const std::string& text) {
  auto size = ParseSize(text);
  if (!size.ok()) return Status::InvalidArgument(flag + " " + size.status().message());
  return size;
}

void AddDataOption(CLI::App* cmd) {
  cmd->add_option("--data", Globals().data_dir,
                  "data directory of the local store (default $CCOW_DATA or ./data)");
}

std::string DataDir() {
  if (!Globals().data_dir.empty()) return Globals().data_dir;
  if (const char* env = std::getenv("CCOW_DATA"); env && *env) return env;
  return "./data";
}

std::string ClusterDir() {
  if (!Globals().cluster_dir.empty()) return Globals().cluster_dir;
  if (const char* env = std::getenv("CCOW_CLUSTER"); env && *env) return env;
  return "";
}

Result<std::unique_ptr<ObjectApi>> OpenApi(ApiOptions options, const BackendWrapper& wrap) {
  std::unique_ptr<Backend> backend;
  // Says which store a command works on: the answer to "why is my object not there?"
  // when --data, --cluster and the environment disagree.
  if (std::string cluster = ClusterDir(); !cluster.empty()) {
    spdlog::debug("opening the cluster in {}", cluster);
    CCOW_ASSIGN_OR_RETURN(ClusterFile file, ClusterFile::Load(cluster));
    CCOW_ASSIGN_OR_RETURN(backend, OpenClusterBackend(file));
  } else {
    spdlog::debug("opening the data directory {}", DataDir());
    CCOW_ASSIGN_OR_RETURN(backend, OpenLocalBackend(DataDir()));
  }
  // SSE-S3 objects open with the registry's master keys, as through the gateway.
  auto self = std::make_shared<ObjectApi*>(nullptr);
  auto registry = std::make_shared<LazyRegistry>(self);
  if (!options.keys) options.keys = LazyMasterKeys(registry);
  if (!options.trlog_records) options.trlog_records = LazyTrlogRecords(registry);
  if (!options.site_id) options.site_id = LazySiteId(registry);
  if (!options.site_key_seed) options.site_key_seed = LazySiteKeySeed(registry);
  std::shared_ptr<Backend> shared(std::move(backend));
  if (wrap) shared = wrap(std::move(shared));
  auto api = std::make_unique<ObjectApi>(std::move(shared), options);
  *self = api.get();
  return api;
}

namespace {

// The global flags are options of the top-level app only. Every subcommand inherits
// fallthrough() when it is created, so a flag a subcommand does not know goes to its
// parent, and so on up to here: the flags work before the subcommand, between its words
// and after its arguments, as --flag VALUE or --flag=VALUE. Must run before any
// subcommand is added (fallthrough and the footer are copied at creation).
void AddGlobalFlags(CLI::App& app) {
  app.fallthrough();
  app.footer("Global flags, anywhere on the line: --json, --data DIR, --cluster DIR, --log-level LEVEL");
  app.add_flag("--json", Globals().json, "print results as JSON for machine use");
  app.add_option("--log-level", Globals().log_level, "trace, debug, info, warn (default), error, off");
  app.add_option("--data", Globals().data_dir,
                 "data directory of the local store (default $CCOW_DATA or ./data)");
  app.add_option("--cluster", Globals().cluster_dir,
                 "use the cluster described in DIR/cluster.json (default $CCOW_CLUSTER)");
  // Runs once the whole line is parsed (so --log-level may come last) and before any
  // subcommand callback, which is where the commands log.
  app.parse_complete_callback([] {
    ccow::Status st = ccow::InitLogging(Globals().log_level);
    if (!st.ok()) throw CLI::ValidationError("--log-level", st.message());
  });
}

}  // namespace
}  // namespace ccow::cli

int main(int argc, char** argv) {
  using namespace ccow::cli;
  CLI::App app{"ccow: content-addressed, copy-on-write object storage"};
  app.require_subcommand(1);
  AddGlobalFlags(app);
  int exit_code = 0;
  RegisterObjectCommands(app, &exit_code);
  RegisterServerCommand(app, &exit_code);
  RegisterSystemCommands(app, &exit_code);
  RegisterBenchCommands(app, &exit_code);
  RegisterTargetCommand(app, &exit_code);
  RegisterVdevCommands(app, &exit_code);
  RegisterClusterCommands(app, &exit_code);
  RegisterAdminCommands(app, &exit_code);
  RegisterServiceCommands(app, &exit_code);
  RegisterIsgwCommand(app, &exit_code);
  RegisterMountCommand(app, &exit_code);
  RegisterNfsCommand(app, &exit_code);  // after RegisterServerCommand, which adds `gateway`
  RegisterSnapViewCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
