// `ccow bench s3`: a native S3 load client. The neutral Python client (peers/s3load.py)
// tops out near one core of its own (the GIL) on small objects, which on a 2-core machine
// hides what the server can do; this client costs a few microseconds per request. Every
// object body is distinct (no dedup shortcut) and signed with its SHA-256, as S3 requires.
// It prints s3load-style lines and writes the same JSON fields, so the same tables apply.
#include <sys/times.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "cli/cli_common.h"
#include "core/config.h"
#include "gateway/s3/sigv4.h"

namespace ccow::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct BenchFlags {
  std::string endpoint = "http://127.0.0.1:9000";
  std::string access_key = "ccow-admin", secret_key = "ccow-admin-secret";
  std::string region = "us-east-1";
  std::string bucket = "bench";
  std::string size = "4K";
  uint64_t count = 1000;
  int concurrency = 16;
  std::string phases = "put,get";
  std::string server_pids;
  double max_seconds = 25;
  std::string json;
};

// CPU seconds (user + system) of each process's tree (servers such as Swift fork
// workers), from /proc/*/stat.
double TreeCpuSeconds(const std::vector<int>& roots) {
  struct Proc {
    int ppid = 0;
    double ticks = 0;
  };
  std::map<int, Proc> procs;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream in(entry.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    Proc p;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 4) p.ppid = std::atoi(field.c_str());
      if (i == 14 || i == 15) p.ticks += std::stod(field);
    }
    procs[std::atoi(name.c_str())] = p;
  }
  double ticks = 0;
  for (const auto& [pid, p] : procs) {
    for (int cur = pid, depth = 0; cur > 1 && depth < 64; ++depth) {
      if (std::find(roots.begin(), roots.end(), cur) != roots.end()) {
        ticks += p.ticks;
        break;
      }
      auto it = procs.find(cur);
      if (it == procs.end()) break;
      cur = it->second.ppid;
    }
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user, nice, system, idle, iowait, irq, softirq, steal;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + system + irq + softirq) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  struct tms t;
  times(&t);
  return static_cast<double>(t.tms_utime + t.tms_stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Connection {
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  std::string host_header;
};

Status Connect(Connection& c, const std::string& host, const std::string& port) {
  beast::error_code ec;
  tcp::resolver resolver(c.io);
  auto results = resolver.resolve(host, port, ec);
  if (!ec) asio::connect(c.socket, results, ec);
  if (ec) return Status::IOError("cannot connect to " + host + ":" + port + ": " + ec.message());
  c.socket.set_option(tcp::no_delay(true), ec);
  c.host_header = host + ":" + port;
  return Status::OK();
}

// One signed request; returns the HTTP status and the body length received.
Result<std::pair<int, uint64_t>> Request(Connection& c, const BenchFlags& f, const std::string& method,
                                         const std::string& target, std::string_view body,
                                         const std::string& body_sha256) {
  s3::SignedRequest req{method, target, {{"host", c.host_header}}};
  if (!body.empty()) req.headers.emplace_back("content-length", std::to_string(body.size()));
  s3::SignRequest(req, {f.access_key, f.secret_key, ""}, f.region, body_sha256, std::time(nullptr));
  http::request<http::span_body<const char>> hr{http::string_to_verb(method), target, 11};
  for (const auto& [k, v] : req.headers) hr.set(k, v);
  hr.body() = http::span_body<const char>::value_type(body.data(), body.size());
  hr.content_length(body.size());
  beast::error_code ec;
  http::write(c.socket, hr, ec);
  if (ec) return Status::IOError("write: " + ec.message());
  // The body is counted and dropped through one scratch buffer: a load client that
  // grows a string per response would spend more CPU than the server it measures.
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<uint64_t>::max());
  http::read_header(c.socket, c.buffer, parser, ec);
  if (ec) return Status::IOError("read: " + ec.message());
  static thread_local std::vector<char> scratch(1 << 20);
  uint64_t received = 0;
  while (!parser.is_done()) {
    parser.get().body().data = scratch.data();
    parser.get().body().size = scratch.size();
    http::read(c.socket, c.buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return Status::IOError("read: " + ec.message());
    received += scratch.size() - parser.get().body().size;
  }
  return std::make_pair(static_cast<int>(parser.get().result_int()), received);
}

int RunBench(const BenchFlags& f) {
  auto size = ParseSizeFlag("--size", f.size);
  if (!size.ok()) return Fail(size.status());
  std::string url = f.endpoint;
  if (url.rfind("http://", 0) != 0)
    return Fail(Status::InvalidArgument("--endpoint must be http://HOST:PORT (the bench speaks plain HTTP)"));
  url = url.substr(7);
  size_t colon = url.rfind(':');
  std::string host = url.substr(0, colon), port = colon == std::string::npos ? "80" : url.substr(colon + 1);
  while (!port.empty() && port.back() == '/') port.pop_back();
  std::vector<int> pids;
  {
    std::string p = f.server_pids;
    std::replace(p.begin(), p.end(), ',', ' ');
    std::istringstream in(p);
    for (int pid; in >> pid;) pids.push_back(pid);
  }
  // Bodies: windows of one random buffer, 8 bytes apart, so every object (and every
  // 1 MiB chunk of a large one) is distinct; hashed before the clock starts.
  std::vector<char> base(*size + f.count * 8 + 8);
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < base.size(); i += 8) {
    uint64_t r = rng();
    std::memcpy(base.data() + i, &r, std::min<size_t>(8, base.size() - i));
  }
  auto body_of = [&](uint64_t i) { return std::string_view(base.data() + i * 8, *size); };
  std::vector<std::string> sums(f.count);
  std::string prefix = "ccowbench/" + std::to_string(*size) + "-c" + std::to_string(f.concurrency) +
                       "-" + std::to_string(std::time(nullptr)) + "/";
  {
    Connection c;
    Status st = Connect(c, host, port);
    if (!st.ok()) return Fail(st);
    auto r = Request(c, f, "PUT", "/" + f.bucket, "", s3::Sha256Hex(""));
    if (!r.ok()) return Fail(r.status());
    if (r->first != 200 && r->first != 409)
      return Fail(Status::IOError("creating bucket " + f.bucket + ": HTTP " + std::to_string(r->first)));
  }
  std::string empty_sha = s3::Sha256Hex("");
  std::ofstream json;
  if (!f.json.empty()) json.open(f.json, std::ios::app);
  std::istringstream phases(f.phases);
  for (std::string phase; std::getline(phases, phase, ',');) {
    if (phase == "put")
      for (uint64_t i = 0; i < f.count; ++i) sums[i] = s3::Sha256Hex(body_of(i));
    std::atomic<uint64_t> next{0}, bytes{0}, errors{0};
    std::vector<std::vector<double>> lat(f.concurrency);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(f.max_seconds);
    double c0 = SelfCpuSeconds(), m0 = MachineBusySeconds(), s0 = TreeCpuSeconds(pids);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int w = 0; w < f.concurrency; ++w)
      threads.emplace_back([&, w] {
        Connection c;
        if (!Connect(c, host, port).ok()) {
          errors++;
          return;
        }
        for (uint64_t i; (i = next.fetch_add(1)) < f.count && std::chrono::steady_clock::now() < deadline;) {
          char key[32];
          std::snprintf(key, sizeof key, "obj-%07llu", static_cast<unsigned long long>(i));
          std::string target = "/" + f.bucket + "/" + prefix + key;
          auto t = std::chrono::steady_clock::now();
          Result<std::pair<int, uint64_t>> r = std::pair<int, uint64_t>{0, 0};
          if (phase == "put") r = Request(c, f, "PUT", target, body_of(i), sums[i]);
          else if (phase == "get") r = Request(c, f, "GET", target, "", empty_sha);
          else r = Request(c, f, "DELETE", target, "", empty_sha);
          bool ok = r.ok() && r->first / 100 == 2 && (phase != "get" || r->second == *size);
          if (!ok) {
            errors++;
            if (!r.ok()) return;  // the connection is gone
            continue;
          }
          lat[w].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
          if (phase != "delete") bytes += *size;
        }
      });
    for (auto& t : threads) t.join();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double c1 = SelfCpuSeconds(), m1 = MachineBusySeconds(), s1 = TreeCpuSeconds(pids);
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
      return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p / 100 * all.size()))] * 1e3;
    };
    double ops = static_cast<double>(all.size());
    std::string upper = phase;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(ch));
    nlohmann::json j = {{"phase", upper}, {"size", *size}, {"concurrency", f.concurrency},
                        {"engine", "ccow-bench"}, {"prefix", prefix}, {"requested", f.count},
                        {"ops", all.size()}, {"errors", errors.load()}, {"seconds", wall},
                        {"ops_per_s", ops / wall}, {"MB_per_s", bytes / wall / 1e6},
                        {"lat_ms_p50", pct(50)}, {"lat_ms_p90", pct(90)}, {"lat_ms_p99", pct(99)},
                        {"client_cpu_cores", (c1 - c0) / wall},
                        {"client_cpu_ms_per_op", ops ? (c1 - c0) / ops * 1e3 : 0},
                        {"machine_busy_cores", (m1 - m0) / wall},
                        {"other_cpu_cores", std::max(0.0, (m1 - m0) - (c1 - c0) - (s1 - s0)) / wall}};
    if (!pids.empty()) {
      j["server_cpu_cores"] = (s1 - s0) / wall;
      j["server_cpu_ms_per_op"] = ops ? (s1 - s0) / ops * 1e3 : 0;
    }
    std::printf("%-6s ops=%llu/%llu err=%llu time=%.2fs ops/s=%.1f MB/s=%.2f lat_ms p50=%.2f p99=%.2f "
                "cpu_cores client=%.2f server=%.2f other=%.2f\n",
                upper.c_str(), static_cast<unsigned long long>(all.size()),
                static_cast<unsigned long long>(f.count), static_cast<unsigned long long>(errors.load()),
                wall, ops / wall, bytes / wall / 1e6, pct(50), pct(99), (c1 - c0) / wall,
                (s1 - s0) / wall, j["other_cpu_cores"].get<double>());
    std::fflush(stdout);
    if (json.is_open()) json << j.dump() << "\n";
  }
  return 0;
}

}  // namespace

void RegisterBenchCommands(CLI::App& app, int* exit_code) {
  static BenchFlags f;
  auto* bench = app.add_subcommand("bench", "load generators");
  bench->require_subcommand(1);
  auto* s3 = bench->add_subcommand("s3", "PUT/GET/DELETE load against an S3 endpoint (SigV4, signed payloads)");
  s3->add_option("--endpoint", f.endpoint, "http://HOST:PORT");
  s3->add_option("--access-key", f.access_key);
  s3->add_option("--secret-key", f.secret_key);
  s3->add_option("--region", f.region);
  s3->add_option("--bucket", f.bucket);
  s3->add_option("--size", f.size, "object size: bytes or 4K, 64K, 1M, 16MiB ... (powers of 1024)");
  s3->add_option("--count", f.count, "objects per phase")->check(CLI::PositiveNumber);
  s3->add_option("--concurrency", f.concurrency, "connections, one thread each")->check(CLI::Range(1, 1024));
  s3->add_option("--phases", f.phases, "comma list of put, get, delete");
  s3->add_option("--server-pids", f.server_pids, "report the CPU of these processes");
  s3->add_option("--max-seconds", f.max_seconds, "cap on each phase");
  // Not --json: that is the global flag, which may be written after the subcommand too.
  s3->add_option("--json-out", f.json, "append one JSON line per phase (s3load's fields) to FILE");
  s3->callback([exit_code] { *exit_code = RunBench(f); });
}

}  // namespace ccow::cli
