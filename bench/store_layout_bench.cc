// Payload layout comparison for one VDEV: append-only segment files with RocksDB as the
// index (kSegments) against RocksDB's integrated blob files (kBlobDb). Same process, same
// disk, same chunks; the figures chose the default layout (see docs/ARCHITECTURE.md).
//   store_layout_bench DIR [large_mib=2048] [small_count=5000]
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "store/chunk_store.h"

using namespace ccow;
using Clock = std::chrono::steady_clock;

namespace {

std::string Bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  return s;
}

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

struct Figures {
  double large_put_mbps, large_get_mbps, small_put_ops, small_get_ops;
  uint64_t disk_bytes;
};

uint64_t DiskUsage(const std::string& dir) {
  uint64_t total = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

Figures Run(PayloadLayout layout, const std::string& dir, size_t large_mib, size_t small_count) {
  StoreOptions o;
  o.path = dir;
  o.layout = layout;
  auto store = ChunkStore::Open(o);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  ChunkStore& s = **store;
  Figures f{};
  // Large: 1 MiB chunks, one commit at the end (a large object put).
  std::vector<std::string> large(8);
  for (size_t i = 0; i < large.size(); ++i) large[i] = Bytes(1 << 20, i);
  std::vector<HashId> ids;
  auto t = Clock::now();
  for (size_t i = 0; i < large_mib; ++i) {
    std::string& c = large[i % large.size()];
    std::memcpy(c.data(), &i, sizeof(i));  // every chunk distinct
    HashId id = HashBytes(HashAlgo::kXxh3_128, c);  // cheap: measure the store, not SHA-256
    bool fresh;
    if (!s.Put(id, c, &fresh).ok()) std::exit(2);
    ids.push_back(id);
  }
  if (!s.PutVersionList("B/large", "x").ok()) std::exit(3);
  f.large_put_mbps = large_mib * 1048576.0 / Seconds(t) / 1e6;
  std::string out;
  t = Clock::now();
  for (const auto& id : ids)
    if (!s.Get(id, &out).ok()) std::exit(4);
  f.large_get_mbps = large_mib * 1048576.0 / Seconds(t) / 1e6;
  // Small: 4 KiB chunk + version list, committed durably each time (a small object put).
  std::string small = Bytes(4096, 99);
  ids.clear();
  t = Clock::now();
  for (size_t i = 0; i < small_count; ++i) {
    std::memcpy(small.data(), &i, sizeof(i));
    HashId id = HashBytes(HashAlgo::kXxh3_128, small);
    bool fresh;
    if (!s.Put(id, small, &fresh).ok()) std::exit(5);
    if (!s.PutVersionList("B/s" + std::to_string(i), "v").ok()) std::exit(6);
    ids.push_back(id);
  }
  f.small_put_ops = small_count / Seconds(t);
  t = Clock::now();
  for (const auto& id : ids)
    if (!s.Get(id, &out).ok()) std::exit(7);
  f.small_get_ops = small_count / Seconds(t);
  store->reset();
  f.disk_bytes = DiskUsage(dir);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_layout_bench DIR [large_mib] [small_count]\n");
    return 2;
  }
  std::string base = argv[1];
  size_t large_mib = argc > 2 ? std::stoul(argv[2]) : 2048;
  size_t small_count = argc > 3 ? std::stoul(argv[3]) : 5000;
  std::printf("| layout | 1 MiB chunks put MB/s | get MB/s (warm) | 4 KiB durable put ops/s | "
              "4 KiB get ops/s | disk bytes / payload bytes |\n|---|---:|---:|---:|---:|---:|\n");
  for (PayloadLayout layout : {PayloadLayout::kSegments, PayloadLayout::kBlobDb}) {
    std::string dir = base + "/" + PayloadLayoutName(layout);
    std::filesystem::remove_all(dir);
    Figures f = Run(layout, dir, large_mib, small_count);
    double payload = large_mib * 1048576.0 + small_count * 4096.0;
    std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %.2f |\n", PayloadLayoutName(layout),
                f.large_put_mbps, f.large_get_mbps, f.small_put_ops, f.small_get_ops,
                f.disk_bytes / payload);
    std::filesystem::remove_all(dir);
  }
  return 0;
}
