// Cluster data path throughput and cost (issue 4), printed as markdown table rows:
//   cluster_bench --cluster DIR --label udp     (a cluster from `ccow cluster up`)
//   cluster_bench --local DIR --label local     (the single-node store, the reference)
// Measures put and get MB/s of 1 MiB and 16 MiB objects with --threads writers, what the
// initiator sends per chunk put (payload bytes and datagrams; a re-put of stored data
// sends no payload), and the latency of 4 KiB puts. bench/cluster_bench.sh runs it for
// every transport next to the local store.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "client/cluster_backend.h"
#include "client/object_api.h"
#include "replicast/initiator.h"

using namespace ccow;

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string Random(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  return s;
}

// CPU seconds (user + system) the processes have used so far: the targets', read from
// /proc, so that the cost per replicated MB is measured where the work happens.
double CpuSeconds(const std::vector<int>& pids) {
  double ticks = 0;
  for (int pid : pids) {
    FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (!f) continue;
    char buf[2048];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const char* p = std::strrchr(buf, ')');  // the command name may hold spaces
    unsigned long long utime = 0, stime = 0;
    if (p && std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) == 2)
      ticks += static_cast<double>(utime + stime);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Rates {
  double put_mbps = 0, get_mbps = 0;
  double put_target_cpu_s = 0;  // the targets' CPU during the put phase
};

// count objects of `size` bytes by `threads` writers, then read them all back.
Rates Throughput(ObjectApi& api, const std::string& prefix, size_t size, int count, int threads,
                 const std::vector<int>& target_pids) {
  std::vector<std::string> data;
  for (int t = 0; t < threads; ++t) data.push_back(Random(size, 1000 + size + t));
  std::atomic<int> next{0}, failures{0};
  auto run = [&](bool put) {
    std::vector<std::thread> pool;
    next = 0;
    double start = Now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        std::string mine = data[t];
        for (int i; (i = next++) < count;) {
          std::string name = prefix + std::to_string(size) + "-" + std::to_string(i);
          // Distinct content per object and per chunk: every 4 KiB block starts with the
          // object's number (stamping only the first bytes left chunks 2..16 of a 16 MiB
          // object deduplicated, and the 16 MiB put figure measured dedup, not transfer).
          for (size_t at = 0; at < mine.size(); at += 4096)
            std::memcpy(mine.data() + at, &i, std::min<size_t>(sizeof i, mine.size() - at));
          if (put) {
            StringSource src(mine);
            if (!api.Put(name, src, PutOptions{}).ok()) ++failures;
          } else {
            StringSink sink;
            if (!api.Get(name, VersionSelector{}, std::nullopt, sink).ok() || sink.data().size() != size)
              ++failures;
          }
        }
      });
    for (auto& p : pool) p.join();
    return static_cast<double>(size) * count / (Now() - start) / 1e6;
  };
  Rates r;
  double cpu0 = CpuSeconds(target_pids);
  r.put_mbps = run(true);
  r.put_target_cpu_s = CpuSeconds(target_pids) - cpu0;
  r.get_mbps = run(false);
  if (failures) std::fprintf(stderr, "cluster_bench: %d operations failed\n", failures.load());
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cluster, local, label = "?";
  std::vector<int> target_pids;
  int threads = 4, mib = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--cluster") cluster = argv[i + 1];
    else if (a == "--local") local = argv[i + 1];
    else if (a == "--label") label = argv[i + 1];
    else if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else if (a == "--mib") mib = std::atoi(argv[i + 1]);
    else if (a == "--target-pids") {
      std::istringstream in(argv[i + 1]);
      for (int pid; in >> pid;) target_pids.push_back(pid);
    }
  }
  if (cluster.empty() == local.empty()) {
    std::fprintf(stderr, "usage: cluster_bench (--cluster DIR | --local DIR) [--label L] [--threads N] [--mib M] [--target-pids \"P ...\"]\n");
    return 2;
  }
  replicast::Initiator* initiator = nullptr;
  std::shared_ptr<Backend> backend;
  ApiOptions options;
  uint32_t replicas = 1;
  if (!cluster.empty()) {
    auto file = ClusterFile::Load(cluster);
    if (file.ok()) replicas = file->replication_count;
    auto opened = file.ok() ? OpenClusterBackend(*file, &initiator)
                            : Result<std::unique_ptr<Backend>>(file.status());
    if (!opened.ok()) {
      std::fprintf(stderr, "cluster_bench: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    backend = std::move(*opened);
  } else {
    auto opened = OpenLocalBackend(local);
    if (!opened.ok()) {
      std::fprintf(stderr, "cluster_bench: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    backend = std::move(*opened);
  }
  ObjectApi api(backend, options);
  const std::string prefix = "bench/t/b/" + label + "-";

  Rates one = Throughput(api, prefix, 1 << 20, mib, threads, target_pids);
  const int big_count = std::max(1, mib / 16);
  Rates big = Throughput(api, prefix, 16 << 20, big_count, threads, target_pids);
  // Target CPU per MB the targets stored (each payload byte R times), during 16 MiB puts.
  std::string cpu_per_mb = "-";
  if (!target_pids.empty()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", big.put_target_cpu_s * 1e3 / (16.0 * 1048576 * big_count * replicas / 1e6));
    cpu_per_mb = buf;
  }

  // What one chunk put sends: a fresh 1 MiB object (one chunk, plus its small VM and
  // version list), then the same bytes again under another name (dedup: no payload).
  std::string payload_per_chunk = "-", messages_per_chunk = "-", reput_payload = "-";
  if (initiator) {
    // Content no earlier run stored (a repeat would measure dedup).
    std::string fresh = Random(1 << 20, static_cast<uint64_t>(Now() * 1e9));
    auto before = initiator->stats();
    StringSource a(fresh);
    (void)api.Put(prefix + "cost-a", a, PutOptions{});
    auto mid = initiator->stats();
    StringSource b(fresh);
    (void)api.Put(prefix + "cost-b", b, PutOptions{});
    auto after = initiator->stats();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", (mid.payload_bytes_sent - before.payload_bytes_sent) / 1048576.0);
    payload_per_chunk = buf;
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(mid.messages_sent - before.messages_sent));
    messages_per_chunk = buf;
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(after.payload_bytes_sent - mid.payload_bytes_sent));
    reput_payload = buf;
  }

  // Latency of 4 KiB puts, one at a time.
  std::vector<double> lat;
  std::string small = Random(4096, 7);
  for (int i = 0; i < 300; ++i) {
    std::memcpy(small.data(), &i, sizeof i);
    StringSource src(small);
    double t0 = Now();
    if (api.Put(prefix + "small-" + std::to_string(i), src, PutOptions{}).ok()) lat.push_back(Now() - t0);
  }
  std::sort(lat.begin(), lat.end());
  double p50 = lat.empty() ? 0 : lat[lat.size() / 2] * 1e3;
  double p99 = lat.empty() ? 0 : lat[lat.size() * 99 / 100] * 1e3;

  std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %s | %s | %s | %s | %.2f | %.2f |\n", label.c_str(),
              one.put_mbps, one.get_mbps, big.put_mbps, big.get_mbps, cpu_per_mb.c_str(),
              payload_per_chunk.c_str(), messages_per_chunk.c_str(), reput_payload.c_str(), p50, p99);
  return 0;
}
