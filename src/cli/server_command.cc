// `ccow server` and `ccow gateway s3`: the all-in-one process (the local store, the S3
// gateway, /health, /metrics and the admin calls), and `ccow user create`.
#include <fcntl.h>
#include <malloc.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_common.h"
#include "core/config.h"
#include "core/hash.h"
#include "gateway/s3/s3_gateway.h"
#include "gateway/s3/user_registry.h"
#include "server/admin_http.h"

namespace ccow::cli {
namespace {

struct ServerFlags {
  std::string s3_listen = "127.0.0.1:9000";
  std::string admin_listen = "127.0.0.1:9001";
  std::string access_key, secret_key;
  std::string tls_cert, tls_key;
  std::string region = "us-east-1";
  int lifecycle_interval = 3600;
  int64_t lifecycle_day_seconds = 86400;
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

// Where a running server says how to reach it: its data directory, or for a gateway on
// a cluster the cluster directory.
std::string ServerInfoPath() {
  std::string cluster = ClusterDir();
  return cluster.empty() ? DataDir() + "/server.json" : cluster + "/s3-gateway.json";
}

std::string RandomToken() {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  return ToHex(raw, sizeof raw);
}

// Records where the running server listens, and the token its admin endpoint accepts,
// readable only by the owner of the data directory: `ccow user create` uses it while the
// server holds the store.
Status WriteServerInfo(const nlohmann::json& info) {
  std::string path = ServerInfoPath();
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "create " + tmp);
  std::string text = info.dump(2) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    return Status::FromErrno(errno, "write " + path);
  return Status::OK();
}

// Chunk buffers are about 1 MiB: above glibc's default mmap threshold every one would be
// a fresh mmap, page-faulted and zeroed by the kernel, then unmapped (measured: ~7% of the
// server's CPU on 16 MiB PUTs). Serving them from the heap lets freed buffers be reused;
// few arenas keep the per-connection threads from multiplying idle heap memory.
void TuneAllocatorForServing() {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_ARENA_MAX, 4);
}

int RunServer(const ServerFlags& flags) {
  TuneAllocatorForServing();
  auto s3hp = ParseHostPort(flags.s3_listen);
  if (!s3hp.ok()) return Fail(s3hp.status());
  auto hp = ParseHostPort(flags.admin_listen);
  if (!hp.ok()) return Fail(hp.status());
  if (flags.access_key.empty() != flags.secret_key.empty())
    return Fail(Status::InvalidArgument("give both --access-key and --secret-key, or neither"));
  auto opened = OpenApi();
  if (!opened.ok()) return Fail(opened.status());
  std::shared_ptr<ObjectApi> api = std::move(*opened);
  Backend& backend = api->backend();

  s3::S3GatewayOptions gw;
  gw.host = s3hp->first;
  gw.port = s3hp->second;
  gw.tls_cert_file = flags.tls_cert;
  gw.tls_key_file = flags.tls_key;
  gw.region = flags.region;
  gw.default_credentials = {flags.access_key.empty() ? s3::kDefaultAccessKey : flags.access_key,
                            flags.secret_key.empty() ? s3::kDefaultSecretKey : flags.secret_key,
                            s3::kDefaultTenant};
  gw.lifecycle_interval_seconds = flags.lifecycle_interval;
  gw.lifecycle_day_seconds = flags.lifecycle_day_seconds;
  auto gateway = s3::S3Gateway::Start(api, gw);
  if (!gateway.ok()) return Fail(gateway.status());

  std::string token = RandomToken();
  AdminHttpOptions opts;
  opts.host = hp->first;
  opts.port = hp->second;
  s3::S3Gateway* g = gateway->get();
  opts.metrics = [&backend, g] {
    std::string text = MetricsText(backend);
    s3::S3GatewayStats st = g->stats();
    text += "# TYPE ccow_s3_requests_total counter\nccow_s3_requests_total " +
            std::to_string(st.requests) + "\n# TYPE ccow_s3_errors_total counter\nccow_s3_errors_total " +
            std::to_string(st.errors) + "\n# TYPE ccow_s3_bytes_in_total counter\nccow_s3_bytes_in_total " +
            std::to_string(st.bytes_in) + "\n# TYPE ccow_s3_bytes_out_total counter\nccow_s3_bytes_out_total " +
            std::to_string(st.bytes_out) + "\n";
    return text;
  };
  opts.health = [&backend] {
    StoreCapacity cap = backend.Capacity();
    if (cap.total_bytes > 0 && cap.free_bytes == 0) return Status::NoSpace("the VDEV is full");
    return Status::OK();
  };
  opts.admin = [g, token](const std::string& method, const std::string& target,
                          const std::string& auth) -> std::pair<int, std::string> {
    if (auth != "Bearer " + token) return {403, R"({"error":"bad admin token"})"};
    const std::string prefix = "/admin/users?tenant=";
    if (method != "POST" || target.rfind(prefix, 0) != 0) return {404, R"({"error":"no such admin call"})"};
    auto created = g->CreateUser(target.substr(prefix.size()));
    if (!created.ok())
      return {400, nlohmann::json{{"error", created.status().message()}}.dump()};
    return {200, nlohmann::json{{"access_key", created->access_key},
                                {"secret_key", created->secret_key},
                                {"tenant", created->tenant}}.dump()};
  };
  auto server = AdminHttpServer::Bind(opts);
  if (!server.ok()) return Fail(server.status());
  std::string base = "http://" + hp->first + ":" + std::to_string((*server)->port());
  std::string s3url = std::string((*gateway)->tls() ? "https" : "http") + "://" + s3hp->first +
                      ":" + std::to_string((*gateway)->port());
  Status info = WriteServerInfo({{"pid", ::getpid()},
                                 {"s3", s3url},
                                 {"admin_host", hp->first},
                                 {"admin_port", (*server)->port()},
                                 {"admin_token", token}});
  if (!info.ok()) return Fail(info);
  StoreCapacity cap = backend.Capacity();
  std::string where = ClusterDir().empty() ? "data directory " + DataDir() + " (1 VDEV, "
                                            : "cluster " + ClusterDir() + " (";
  std::cout << "ccow server: " << where << FormatSize(cap.free_bytes) << " free)\n"
            << "  S3       " << s3url << "  (region " << flags.region << ", path-style)\n"
            << "           access key " << gw.default_credentials.access_key << "\n"
            << "           secret key " << gw.default_credentials.secret_key
            << (flags.access_key.empty() ? "  (the documented default: pass --access-key and --secret-key)" : "")
            << "\n"
            << "           buckets live in " << s3::kDefaultSegment << "/" << s3::kDefaultTenant << "/BUCKET\n"
            << "  health   " << base << "/health\n"
            << "  metrics  " << base << "/metrics\n"
            << "Stop with Ctrl-C (SIGINT) or SIGTERM." << std::endl;
  int sig = (*server)->RunUntilSignal();
  (*gateway)->Stop();
  ::unlink(ServerInfoPath().c_str());
  std::cout << "ccow server: stopping on signal " << sig << ", store closed cleanly" << std::endl;
  return 0;
}

int RunUserCreate(const std::string& tenant) {
  auto print = [](const s3::Credentials& c) {
    if (Globals().json) {
      std::cout << nlohmann::json{{"access_key", c.access_key},
                                  {"secret_key", c.secret_key},
                                  {"tenant", c.tenant}}.dump(2)
                << std::endl;
    } else {
      std::cout << "tenant     " << c.tenant << "\naccess key " << c.access_key
                << "\nsecret key " << c.secret_key << std::endl;
    }
    return 0;
  };
  auto opened = OpenApi();
  if (opened.ok()) {
    s3::UserRegistry users(**opened, s3::kDefaultSegment);
    auto c = users.Create(tenant);
    if (!c.ok()) return Fail(c.status());
    return print(*c);
  }
  if (opened.status().code() != Code::kBusy) return Fail(opened.status());
  // The server holds the data directory: ask it.
  std::ifstream in(ServerInfoPath());
  auto info = nlohmann::json::parse(in, nullptr, false);
  if (info.is_discarded() || !info.is_object())
    return Fail(Status::Busy(opened.status().message() + " and " + ServerInfoPath() +
                             " does not say where the server listens"));
  auto res = AdminRequest(info.value("admin_host", "127.0.0.1"),
                          info.value("admin_port", uint16_t{9001}), "POST",
                          "/admin/users?tenant=" + tenant,
                          "Bearer " + info.value("admin_token", ""));
  if (!res.ok()) return Fail(res.status());
  auto body = nlohmann::json::parse(res->second, nullptr, false);
  if (res->first != 200 || body.is_discarded())
    return Fail(Status::InvalidArgument(body.is_object() ? body.value("error", res->second)
                                                         : res->second));
  return print({body.value("access_key", ""), body.value("secret_key", ""),
                body.value("tenant", "")});
}

int RunSystemStatus() {
  if (!ClusterDir().empty()) return RunClusterStatus();
  auto api = OpenApi();
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
  auto add_flags = [](CLI::App* cmd) {
    cmd->add_option("--s3-listen", flags.s3_listen, "HOST:PORT of the S3 endpoint");
    cmd->add_option("--admin-listen", flags.admin_listen, "HOST:PORT for /health, /metrics and admin calls");
    cmd->add_option("--access-key", flags.access_key, "S3 access key of the default tenant");
    cmd->add_option("--secret-key", flags.secret_key, "S3 secret key of the default tenant");
    cmd->add_option("--tls-cert", flags.tls_cert, "PEM certificate chain: serve S3 over HTTPS");
    cmd->add_option("--tls-key", flags.tls_key, "PEM private key for --tls-cert");
    cmd->add_option("--region", flags.region, "region reported to S3 clients");
    cmd->add_option("--lifecycle-interval", flags.lifecycle_interval,
                    "seconds between lifecycle passes")->check(CLI::PositiveNumber);
    cmd->add_option("--lifecycle-day-seconds", flags.lifecycle_day_seconds,
                    "length of a lifecycle 'day' in seconds (tests shorten it)")->check(CLI::PositiveNumber);
  };
  add_flags(server);
  server->callback([exit_code] {
    if (!ClusterDir().empty()) {
      *exit_code = Fail(Status::InvalidArgument(
          "`ccow server` is the one-process case; on a cluster run `ccow gateway s3 --cluster DIR`"));
      return;
    }
    *exit_code = RunServer(flags);
  });
  auto* gateway = app.add_subcommand("gateway", "run one gateway");
  gateway->require_subcommand(1);
  auto* gw_s3 = gateway->add_subcommand(
      "s3", "the S3 gateway (on one node today the same process as `ccow server`)");
  AddDataOption(gw_s3);
  add_flags(gw_s3);
  gw_s3->callback([exit_code] { *exit_code = RunServer(flags); });

  static std::string tenant;
  auto* user = app.add_subcommand("user", "S3 key pairs");
  user->require_subcommand(1);
  auto* create = user->add_subcommand("create", "make and print a key pair for TENANT");
  AddDataOption(create);
  create->add_option("TENANT", tenant, "tenant whose buckets the key reaches")->required();
  create->callback([exit_code] { *exit_code = RunUserCreate(tenant); });
}

void RegisterSystemCommands(CLI::App& app, int* exit_code) {
  auto* system = app.add_subcommand("system", "cluster and VDEV state");
  system->require_subcommand(1);
  auto* status = system->add_subcommand("status", "capacity and utilization of each VDEV");
  AddDataOption(status);
  status->callback([exit_code] { *exit_code = RunSystemStatus(); });
  RegisterFhtableCommand(system, exit_code);
}

}  // namespace ccow::cli
