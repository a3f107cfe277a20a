// The `ccow` command: efscli-style grammar (ccow object put ..., ccow server ...).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "client/cluster_backend.h"
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
    case Code::kUnavailable: return 7;
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

Result<std::unique_ptr<ObjectApi>> OpenApi() {
  std::unique_ptr<Backend> backend;
  ApiOptions options;
  if (std::string cluster = ClusterDir(); !cluster.empty()) {
    CCOW_ASSIGN_OR_RETURN(ClusterFile file, ClusterFile::Load(cluster));
    CCOW_ASSIGN_OR_RETURN(backend, OpenClusterBackend(file));
    options.default_policy.replication_count = static_cast<uint8_t>(file.replication_count);
  } else {
    CCOW_ASSIGN_OR_RETURN(backend, OpenLocalBackend(DataDir()));
  }
  return std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(backend)), options);
}

}  // namespace ccow::cli

int main(int argc, char** argv) {
  using namespace ccow::cli;
  CLI::App app{"ccow: content-addressed, copy-on-write object storage"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--json, --log-level) may follow the subcommand
  app.add_flag("--json", Globals().json, "print results as JSON for machine use");
  app.add_option("--log-level", Globals().log_level, "trace, debug, info, warn, error, off");
  app.add_option("--cluster", Globals().cluster_dir,
                 "use the cluster described in DIR/cluster.json (default $CCOW_CLUSTER)");
  int exit_code = 0;
  RegisterObjectCommands(app, &exit_code);
  RegisterServerCommand(app, &exit_code);
  RegisterSystemCommands(app, &exit_code);
  RegisterBenchCommands(app, &exit_code);
  RegisterTargetCommand(app, &exit_code);
  RegisterClusterCommands(app, &exit_code);
  RegisterAdminCommands(app, &exit_code);
  // Logging must be set up before any subcommand callback runs.
  app.preparse_callback([&](size_t) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--log-level" && i + 1 < argc) Globals().log_level = argv[i + 1];
      if (arg.rfind("--log-level=", 0) == 0) Globals().log_level = arg.substr(12);
    }
    ccow::Status st = ccow::InitLogging(Globals().log_level);
    if (!st.ok()) throw CLI::ValidationError("--log-level", st.message());
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
