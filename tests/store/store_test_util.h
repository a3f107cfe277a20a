// Helpers shared by the store tests: scratch directories and deterministic payloads.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "core/hash.h"

namespace ccow::testing {

// A fresh directory under $TMPDIR (or /tmp), removed when the object goes away.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ccow-test-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

// A chunk and its SHA-256 CHID.
struct TestChunk {
  HashId id;
  std::string data;
};
inline TestChunk MakeChunk(size_t size, uint64_t seed) {
  TestChunk c{HashId(), RandomBytes(size, seed)};
  c.id = HashBytes(HashAlgo::kSha256, c.data);
  return c;
}
// Above the 64 KiB inline limit, so every chunk is a segment record; at most 250 KiB.
inline size_t SegmentChunkSize(uint64_t seed) { return (70 << 10) + seed * 7919 % (180 << 10); }
inline TestChunk MakeSegmentChunk(uint64_t seed) { return MakeChunk(SegmentChunkSize(seed), seed); }

}  // namespace ccow::testing
