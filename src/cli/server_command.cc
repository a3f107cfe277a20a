// `ccow server`: the all-in-one process (today: the local store plus /health and
// /metrics; the S3 gateway joins it in the next step).
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_common.h"
#include "core/config.h"
#include "server/admin_http.h"

namespace ccow::cli {
namespace {

struct ServerFlags {
  std::string listen = "127.0.0.1:9000";
};

std::string MetricsText(Backend& backend) {
  StoreCapacity cap = backend.Capacity();
  StoreStats st = backend.Stats();
  std::ostringstream os;
  auto gauge = [&](const char* name, const char* help, double v) {
    os << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n"
       << name << "{vdev=\"0\"} " << v << "\n";
  };
  auto counter = [&](const char* name, const char* help, double v) {
    os << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
       << name << "{vdev=\"0\"} " << v << "\n";
  };
  gauge("ccow_vdev_capacity_bytes", "Size of the file system holding the VDEV.",
        static_cast<double>(cap.total_bytes));
  gauge("ccow_vdev_free_bytes", "Bytes available to the VDEV.", static_cast<double>(cap.free_bytes));
  gauge("ccow_vdev_utilization", "Fraction of the file system in use.", cap.utilization());
  gauge("ccow_vdev_chunks", "Distinct chunks stored.", static_cast<double>(cap.chunk_count));
  gauge("ccow_vdev_payload_bytes", "Logical bytes of stored chunks.",
        static_cast<double>(cap.payload_bytes));
  counter("ccow_vdev_chunks_written_total", "New chunks stored since start.",
          static_cast<double>(st.chunks_written));
  counter("ccow_vdev_payload_bytes_written_total", "Payload bytes stored since start.",
          static_cast<double>(st.payload_bytes_written));
  counter("ccow_vdev_chunks_deduplicated_total", "Puts of chunks already stored.",
          static_cast<double>(st.chunks_deduplicated));
  counter("ccow_vdev_verify_failures_total", "Reads whose bytes did not match their CHID.",
          static_cast<double>(st.verify_failures));
  counter("ccow_vdev_syncs_total", "Group commits (fdatasync + index sync).",
          static_cast<double>(st.syncs));
  return os.str();
}

Result<std::pair<std::string, uint16_t>> ParseHostPort(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return Status::InvalidArgument("listen address '" + text + "' must be HOST:PORT");
  try {
    unsigned long port = std::stoul(text.substr(colon + 1));
    if (port > 65535) throw std::out_of_range("port");
    return std::make_pair(text.substr(0, colon), static_cast<uint16_t>(port));
  } catch (...) {
    return Status::InvalidArgument("listen address '" + text + "' has a bad port");
  }
}

int RunServer(const ServerFlags& flags) {
  auto hp = ParseHostPort(flags.listen);
  if (!hp.ok()) return Fail(hp.status());
  auto api = OpenLocalApi();
  if (!api.ok()) return Fail(api.status());
  Backend& backend = (*api)->backend();
  AdminHttpOptions opts;
  opts.host = hp->first;
  opts.port = hp->second;
  opts.metrics = [&backend] { return MetricsText(backend); };
  opts.health = [&backend] {
    StoreCapacity cap = backend.Capacity();
    if (cap.total_bytes > 0 && cap.free_bytes == 0) return Status::NoSpace("the VDEV is full");
    return Status::OK();
  };
  auto server = AdminHttpServer::Bind(opts);
  if (!server.ok()) return Fail(server.status());
  std::string base = "http://" + hp->first + ":" + std::to_string((*server)->port());
  StoreCapacity cap = backend.Capacity();
  std::cout << "ccow server: data directory " << DataDir() << " (1 VDEV, "
            << FormatSize(cap.free_bytes) << " free)\n"
            << "  health   " << base << "/health\n"
            << "  metrics  " << base << "/metrics\n"
            << "  objects  ccow object put|get|ls ... --data " << DataDir()
            << " (while the server is stopped; S3 arrives with the S3 gateway)\n"
            << "Stop with Ctrl-C (SIGINT) or SIGTERM." << std::endl;
  int sig = (*server)->RunUntilSignal();
  std::cout << "ccow server: stopping on signal " << sig << ", store closed cleanly" << std::endl;
  return 0;
}

int RunSystemStatus() {
  auto api = OpenLocalApi();
  if (!api.ok()) return Fail(api.status());
  StoreCapacity cap = (*api)->backend().Capacity();
  if (Globals().json) {
    nlohmann::json j = {{"data_dir", DataDir()},
                        {"vdevs",
                         {{{"id", 0},
                           {"capacity_bytes", cap.total_bytes},
                           {"free_bytes", cap.free_bytes},
                           {"utilization", cap.utilization()},
                           {"chunks", cap.chunk_count},
                           {"payload_bytes", cap.payload_bytes}}}}};
    std::cout << j.dump(2) << std::endl;
    return 0;
  }
  std::cout << "data directory " << DataDir() << "\n"
            << "vdev 0: " << FormatSize(cap.total_bytes) << " capacity, "
            << FormatSize(cap.free_bytes) << " free (" << static_cast<int>(cap.utilization() * 100)
            << "% used), " << cap.chunk_count << " chunks, " << FormatSize(cap.payload_bytes)
            << " of payload" << std::endl;
  return 0;
}

}  // namespace

void RegisterServerCommand(CLI::App& app, int* exit_code) {
  static ServerFlags flags;
  auto* server = app.add_subcommand("server", "run the all-in-one server on a data directory");
  AddDataOption(server);
  server->add_option("--listen", flags.listen, "HOST:PORT for /health and /metrics");
  server->callback([exit_code] { *exit_code = RunServer(flags); });
}

void RegisterSystemCommands(CLI::App& app, int* exit_code) {
  auto* system = app.add_subcommand("system", "cluster and VDEV state");
  system->require_subcommand(1);
  auto* status = system->add_subcommand("status", "capacity and utilization of each VDEV");
  AddDataOption(status);
  status->callback([exit_code] { *exit_code = RunSystemStatus(); });
}

}  // namespace ccow::cli
