// Segment compaction rewrite rate: fill a store with 1 MiB chunks, remove a share of
// them, and time CompactSegments, which reads, verifies and rewrites the live ones.
// Compare the MB/s with the disk's sequential read + write bandwidth (fio): each live
// byte is read once and written once (direct I/O), plus one SHA-256 per chunk.
//   compaction_bench DIR [total_mib=1024] [removed_percent=50] [segment_mib=64]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

void Check(const Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, st.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [total_mib=1024] [removed_percent=50] [segment_mib=64]\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  size_t total_mib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1024;
  unsigned removed_percent = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 50;
  uint64_t segment_mib = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 64;
  std::filesystem::remove_all(dir);
  StoreOptions o;
  o.path = dir;
  o.segment_size = segment_mib << 20;
  auto store = ChunkStore::Open(o);
  Check(store.status(), "open");
  ChunkStore& s = **store;

  std::vector<HashId> ids;
  std::string chunk = Bytes(1 << 20, 1);
  for (size_t i = 0; i < total_mib; ++i) {
    std::memcpy(chunk.data(), &i, sizeof(i));  // distinct chunks from one buffer
    HashId id = HashBytes(HashAlgo::kSha256, chunk);
    bool fresh;
    Check(s.Put(id, chunk, &fresh), "put");
    ids.push_back(id);
    if (i % 64 == 63) Check(s.Sync(), "sync");
  }
  Check(s.Sync(), "sync");
  std::mt19937_64 rng(7);
  for (const HashId& id : ids)
    if (rng() % 100 < removed_percent) Check(s.RemoveChunk(id), "remove");
  StoreCapacity before = s.Capacity();

  auto start = Clock::now();
  auto r = s.CompactSegments({});
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Check(r.status(), "compact");
  StoreCapacity after = s.Capacity();

  std::printf("| store | removed | segment | rewritten | reclaimed | time | rewrite rate |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  std::printf("| %zu MiB of 1 MiB chunks | %u%% | %lu MiB | %.0f MiB | %.0f MiB (files %.0f -> %.0f MiB) | %.2f s | %.0f MB/s |\n",
              total_mib, removed_percent, static_cast<unsigned long>(segment_mib),
              r->bytes_rewritten / 1048576.0, r->bytes_reclaimed / 1048576.0,
              before.payload_file_bytes / 1048576.0, after.payload_file_bytes / 1048576.0, seconds,
              r->bytes_rewritten / 1e6 / seconds);
  std::filesystem::remove_all(dir);
  return 0;
}
