// Shared plumbing of the `ccow` subcommands: global flags, opening the object API on a
// data directory, printing results as text or --json, and exit codes.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "client/object_api.h"
#include "core/config.h"
#include "core/status.h"

namespace CLI {
class App;
}

namespace ccow::cli {

struct GlobalFlags {
  bool json = false;
  std::string log_level = "warn";
  std::string data_dir;  // --data, or $CCOW_DATA, or ./data
  std::string cluster_dir;  // --cluster, or $CCOW_CLUSTER: use that cluster instead
};

GlobalFlags& Globals();

// Exit codes (documented in docs/OPERATIONS.md): 0 ok, 1 other error, 2 bad usage or
// argument, 3 not found, 4 corruption detected, 5 no space, 6 data directory busy,
// 7 cluster unavailable (not enough targets answered).
int ExitCodeFor(const Status& st);
// Prints "ccow: <message>" (or {"error":...} with --json) to stderr and returns the code.
int Fail(const Status& st);

// The value of a size flag: plain bytes or K, M, G, T (powers of 1024, optional i/B, any
// case), as ParseSize reads them. The error names the flag so that an operator knows which
// argument to fix: "--chunk-size '12Q': expected bytes or a size such as 256K, 4M, 1G"
// (kInvalidArgument, exit code 2 through Fail).
Result<uint64_t> ParseSizeFlag(const std::string& flag, const std::string& text);

// The value of a duration flag in nanoseconds (core/config.h ParseDuration: plain seconds
// or a number with ms, s, m, h or d). kInvalidArgument naming the flag otherwise.
Result<uint64_t> ParseDurationFlag(const std::string& flag, const std::string& text);
using ccow::FormatDuration;  // core/config.h: "7d", "90m", "45s", "500ms"

// Adds --data to a subcommand.
void AddDataOption(CLI::App* cmd);
std::string DataDir();

// The cluster to use (--cluster or $CCOW_CLUSTER), or empty for the local data directory.
std::string ClusterDir();

// Opens the object API on the cluster when one is named, else on the local data
// directory (puts pass their policy per call). wrap, when set, stands between the object
// API and the backend it opened (a server's on-demand fetches, client/fetching_backend.h).
using BackendWrapper = std::function<std::shared_ptr<Backend>(std::shared_ptr<Backend>)>;
Result<std::unique_ptr<ObjectApi>> OpenApi(ApiOptions options = {}, const BackendWrapper& wrap = {});

void RegisterObjectCommands(CLI::App& app, int* exit_code);
void RegisterServerCommand(CLI::App& app, int* exit_code);
void RegisterSystemCommands(CLI::App& app, int* exit_code);
void RegisterBenchCommands(CLI::App& app, int* exit_code);
void RegisterTargetCommand(CLI::App& app, int* exit_code);
void RegisterVdevCommands(CLI::App& app, int* exit_code);
void RegisterClusterCommands(CLI::App& app, int* exit_code);
void RegisterFhtableCommand(CLI::App* system, int* exit_code);
void RegisterGcCommand(CLI::App* system, int* exit_code);
void RegisterEcCommand(CLI::App* system, int* exit_code);  // `ccow system ec`
// The running server's garbage collector state (GET /admin/gc), and its lines in
// `ccow system status` and `ccow system gc`.
Result<nlohmann::json> GcStatusFromServer();
void PrintGcLines(const nlohmann::json& gc, const std::string& indent = "");
// The erasure encoder's status (GET /admin/ec of the leader) as `ccow system status` and
// `ccow system ec` print it, with raw bytes per logical byte of every bucket.
void PrintEcLines(const nlohmann::json& ec, const std::string& indent = "");
// The exit code of a background pass an admin call waited for (daemon/pass_scheduler.h):
// 0, or the failure its "pass_error_code" names, printed as Fail does.
int ExitCodeOfPass(const nlohmann::json& pass);
// An admin call (method, path and query) on the `ccow server` holding the data directory,
// found through DATA/server.json; wait_ns: how long the call may take beyond the usual.
Result<nlohmann::json> CallServerAdmin(const std::string& method, const std::string& target, uint64_t wait_ns);
// The same call on the daemon an info file names ({"admin_host", "admin_port",
// "admin_token"}: DATA/server.json, CLUSTER/isgw/SERVICE.json).
Result<nlohmann::json> CallAdminOf(const nlohmann::json& info, const std::string& method, const std::string& target,
                                   uint64_t wait_ns);
// `ccow system scrub` (scrub_command.cc), and the scrub lines of `ccow system status`
// (one daemon's GET /admin/scrub; indent prefixes every line).
void RegisterScrubCommand(CLI::App* system, int* exit_code);
void PrintScrubLines(const nlohmann::json& scrub, const std::string& indent = "");
// After the above: the administration grammar on a cluster (admin_commands.cc).
void RegisterAdminCommands(CLI::App& app, int* exit_code);
void RegisterServiceCommands(CLI::App& app, int* exit_code);  // cli/service_commands.cc
void RegisterIsgwCommand(CLI::App& app, int* exit_code);      // cli/isgw_command.cc
void RegisterMountCommand(CLI::App& app, int* exit_code);     // cli/mount_command.cc
void RegisterNfsCommand(CLI::App& app, int* exit_code);       // cli/nfs_command.cc: `ccow gateway nfs`
void RegisterSnapViewCommands(CLI::App& app, int* exit_code);  // cli/snapview_command.cc
int RunClusterStatus();

}  // namespace ccow::cli
