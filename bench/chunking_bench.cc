// Chunking throughput next to its physical limit, memcpy of the same buffer: cutting a
// stream into chunks has to touch every byte once, as a copy does, so the ratio says how
// much the gear hash (CDC) or the chunker's own buffering costs on top of that.
//
//   chunking_bench [--size-mib N] [--repeat R]   (default 256 MiB, best of 1)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "client/byte_stream.h"
#include "client/chunker.h"

namespace ccow {
namespace {

struct ChunkStats {
  uint64_t count = 0, bytes = 0;
  uint64_t min = std::numeric_limits<uint64_t>::max(), max = 0;
  uint64_t tail = 0;  // the final chunk: whatever was left, so kept out of min

  void Add(uint64_t size, bool last) {
    ++count;
    bytes += size;
    max = std::max(max, size);
    if (last)
      tail = size;
    else
      min = std::min(min, size);
  }
};

// Best GB/s (10^9 bytes per second) of `repeat` runs of `fn` over `bytes` bytes.
double BestGbps(uint64_t bytes, int repeat, const std::function<void()>& fn) {
  double best = 0;
  for (int r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    fn();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, bytes / s / 1e9);
  }
  return best;
}

ChunkStats CutAll(const std::string& buf, const CdcParams& params) {
  ChunkStats stats;
  const auto* data = reinterpret_cast<const uint8_t*>(buf.data());
  size_t pos = 0;
  while (pos < buf.size()) {
    size_t cut = FindCdcCut(data + pos, buf.size() - pos, params);
    pos += cut;
    stats.Add(cut, pos == buf.size());
  }
  return stats;
}

ChunkStats ChunkStream(const std::string& buf, ChunkingMode mode, uint32_t chunk_size) {
  ObjectPolicy policy;
  policy.chunking = mode;
  policy.chunk_size = chunk_size;
  StringSource source(buf);
  auto chunker = Chunker::Create(policy, &source);
  ChunkStats stats;
  std::string chunk, prev;
  bool have_prev = false;
  while (true) {
    auto more = chunker->Next(&chunk);
    if (!more.ok()) {
      std::fprintf(stderr, "chunker failed: %s\n", more.status().ToString().c_str());
      std::exit(1);
    }
    if (!*more) break;
    // Sizes are recorded one chunk late so the last one can be told apart.
    if (have_prev) stats.Add(prev.size(), false);
    prev.swap(chunk);
    have_prev = true;
  }
  if (have_prev) stats.Add(prev.size(), true);
  if (stats.bytes != buf.size()) {
    std::fprintf(stderr, "chunker lost bytes: %llu of %zu\n",
                 static_cast<unsigned long long>(stats.bytes), buf.size());
    std::exit(1);
  }
  return stats;
}

std::string Kib(uint64_t bytes) { return std::to_string((bytes + 512) / 1024) + " KiB"; }

int Main(int argc, char** argv) {
  size_t size_mib = 256;
  int repeat = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--size-mib") == 0 && i + 1 < argc) {
      size_mib = std::strtoull(argv[++i], nullptr, 0);
    } else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--size-mib N] [--repeat R]\n", argv[0]);
      return 2;
    }
  }
  size_mib = std::max<size_t>(size_mib, 1);
  const size_t n = size_mib << 20;

  std::string buf(n, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i + 8 <= n; i += 8) {  // xorshift: random, so CDC cuts land naturally
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::memcpy(&buf[i], &x, 8);
  }
  std::string dst(n, '\1');  // touched up front so page faults are not timed

  double copy = BestGbps(n, repeat, [&] {
    std::memcpy(dst.data(), buf.data(), n);
    asm volatile("" : : "r"(dst.data()) : "memory");  // keep the copy
  });

  struct Row {
    std::string what;
    double gbps;
  };
  std::vector<Row> rows;
  struct Cdc {
    uint32_t avg;
    ChunkStats cut, stream;
  };
  std::vector<Cdc> cdcs = {{1 << 20, {}, {}}, {64 << 10, {}, {}}};

  for (auto& c : cdcs) {
    CdcParams params = CdcParams::ForAverage(c.avg);
    double g = BestGbps(n, repeat, [&] { c.cut = CutAll(buf, params); });
    rows.push_back({"FindCdcCut, avg " + Kib(c.avg), g});
  }
  for (uint32_t size : {1u << 20, 64u << 10}) {
    double g = BestGbps(n, repeat, [&] { ChunkStream(buf, ChunkingMode::kFixed, size); });
    rows.push_back({"Chunker fixed " + Kib(size) + " (StringSource)", g});
  }
  for (auto& c : cdcs) {
    double g = BestGbps(n, repeat, [&] { c.stream = ChunkStream(buf, ChunkingMode::kCdc, c.avg); });
    rows.push_back({"Chunker CDC avg " + Kib(c.avg) + " (StringSource)", g});
  }

  std::printf(
      "%zu MiB random buffer, best of %d, GB/s = 10^9 bytes/s; limit: memcpy of the "
      "same buffer\n\n",
      size_mib, repeat);
  std::printf("| what | GB/s | vs memcpy |\n|---|---:|---:|\n");
  std::printf("| memcpy (limit) | %.2f | 100%% |\n", copy);
  for (const auto& r : rows)
    std::printf("| %s | %.2f | %.0f%% |\n", r.what.c_str(), r.gbps, 100 * r.gbps / copy);
  std::printf(
      "\nmemcpy writes the whole buffer to memory; the chunkers write into a buffer that "
      "stays in cache, so the fixed chunker can pass 100%%.\n");

  std::printf("\nCDC chunk sizes (min excludes the final tail chunk)\n\n");
  std::printf("| avg target | chunks | mean | min | max | Chunker cuts match FindCdcCut |\n");
  std::printf("|---|---:|---:|---:|---:|---|\n");
  for (const auto& c : cdcs) {
    const ChunkStats& s = c.cut;
    bool same = s.count == c.stream.count && s.min == c.stream.min && s.max == c.stream.max &&
                s.tail == c.stream.tail;
    std::printf("| %s | %llu | %s | %s | %s | %s |\n", Kib(c.avg).c_str(),
                static_cast<unsigned long long>(s.count), Kib(s.bytes / s.count).c_str(),
                s.count > 1 ? Kib(s.min).c_str() : "-", Kib(s.max).c_str(), same ? "yes" : "NO");
  }
  return 0;
}

}  // namespace
}  // namespace ccow

int main(int argc, char** argv) { return ccow::Main(argc, argv); }
