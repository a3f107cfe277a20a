// Hash throughput of ccow::HashBytes (and ccow::Md5, used for ETags) on 1 MiB buffers,
// next to the physical limit for this machine: `openssl speed` for the same digest.
// ccow calls OpenSSL, libsodium and xxHash itself, so the target is >= 90% of openssl:
// anything less is overhead of ours (per-call setup, copies) worth finding.
//
//   hash_bench [--seconds N]   (N seconds per measurement, default 1)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_flags.h"
#include "core/hash.h"

namespace ccow {
namespace {

constexpr size_t kBufferSize = 1 << 20;

struct Algorithm {
  const char* name;
  const char* openssl;                              // `openssl speed -evp` name, or nullptr
  std::function<uint8_t(const std::string&)> hash;  // returns a digest byte to keep the work
};

std::vector<Algorithm> Algorithms() {
  std::vector<Algorithm> out;
  auto tagged = [&](HashAlgo algo, const char* openssl) {
    out.push_back({HashAlgoName(algo), openssl, [algo](const std::string& buf) {
                     return HashBytes(algo, buf.data(), buf.size()).digest()[0];
                   }});
  };
  tagged(HashAlgo::kSha256, "sha256");
  tagged(HashAlgo::kSha3_256, "sha3-256");
  tagged(HashAlgo::kSha3_512, "sha3-512");
  // OpenSSL has no BLAKE2b-256 in `speed`; blake2b512 runs the same compression function
  // and only finalizes to a longer digest, so per-byte cost is the same.
  tagged(HashAlgo::kBlake2b256, "blake2b512");
  tagged(HashAlgo::kXxh3_128, nullptr);
  out.push_back({"md5 (ETag)", "md5", [](const std::string& buf) {
                   Md5 md5;
                   md5.Update(buf.data(), buf.size());
                   return static_cast<uint8_t>(md5.HexFinal()[0]);
                 }});
  return out;
}

// GB/s (10^9 bytes per second) hashing `buf` repeatedly for about `seconds`.
double Measure(const Algorithm& algo, const std::string& buf, double seconds) {
  volatile uint8_t sink = algo.hash(buf);  // warm: caches, lazily fetched EVP_MDs
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  uint64_t bytes = 0;
  double elapsed = 0;
  do {
    sink = sink + algo.hash(buf);
    bytes += buf.size();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return bytes / elapsed / 1e9;
}

// Runs `openssl speed -mr` (machine-readable output of the usual command) and reads the
// "+F:<n>:<alg>:<bytes per second>" line.
std::optional<double> OpensslSpeed(const char* alg, int seconds) {
  std::string cmd = std::string("openssl speed -mr -evp ") + alg + " -bytes " +
                    std::to_string(kBufferSize) + " -seconds " + std::to_string(seconds) +
                    " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::optional<double> result;
  char line[512];
  while (std::fgets(line, sizeof(line), p) != nullptr) {
    if (std::strncmp(line, "+F:", 3) != 0) continue;
    const char* last = std::strrchr(line, ':');
    result = std::strtod(last + 1, nullptr) / 1e9;
  }
  pclose(p);
  return result;
}

std::string CpuLine() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown", flags;
  while (std::getline(in, line)) {
    auto value = [&] { return line.substr(line.find(':') + 2); };
    if (model == "unknown" && line.starts_with("model name")) model = value();
    if (flags.empty() && line.starts_with("flags")) flags = " " + value() + " ";
  }
  bool sha_ni = flags.find(" sha_ni ") != std::string::npos;
  return "CPU: " + model + ", " + std::to_string(std::thread::hardware_concurrency()) +
         " threads, sha_ni: " + (sha_ni ? "yes" : "no");
}

int Main(int argc, char** argv) {
  double seconds = bench::SecondsFlag(argc, argv, 1.0);
  if (seconds < 0) return 2;
  // `openssl speed` counts whole seconds only.
  int openssl_seconds = std::max(1, static_cast<int>(seconds + 0.5));

  std::string buf(kBufferSize, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (auto& c : buf) {  // xorshift: incompressible, deterministic
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }

  std::printf("%s\n", CpuLine().c_str());
  std::printf(
      "1 MiB buffers, %.1f s per measurement, GB/s = 10^9 bytes/s; limit: `openssl "
      "speed -evp ALG -bytes %zu -seconds %d`\n\n",
      seconds, kBufferSize, openssl_seconds);
  std::printf("| algorithm | ccow GB/s | openssl speed GB/s | ratio | target (>= 90%%) |\n");
  std::printf("|---|---:|---:|---:|---|\n");
  for (const auto& algo : Algorithms()) {
    double ours = Measure(algo, buf, seconds);
    if (algo.openssl == nullptr) {
      std::printf("| %s | %.2f | n/a (no OpenSSL equivalent) | n/a | n/a |\n", algo.name, ours);
      continue;
    }
    auto limit = OpensslSpeed(algo.openssl, openssl_seconds);
    if (!limit || *limit <= 0) {
      std::printf("| %s | %.2f | n/a (openssl speed %s failed) | n/a | n/a |\n", algo.name, ours,
                  algo.openssl);
      continue;
    }
    double ratio = ours / *limit;
    std::printf("| %s | %.2f | %.2f (%s) | %.0f%% | %s |\n", algo.name, ours, *limit, algo.openssl,
                100 * ratio, ratio >= 0.9 ? "met" : "MISSED");
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace ccow

int main(int argc, char** argv) { return ccow::Main(argc, argv); }
