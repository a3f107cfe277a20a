// A stand-in for libFuzzer, so that every decoder target also runs as a quick, deterministic
// ctest under gcc (the default build and CI have no libFuzzer).
//
//   fuzz_NAME [--iterations N] [--seed S] [--max-len BYTES] [PATH...]
//   fuzz_NAME --write-seeds DIR
//
// It runs the target's seeds (valid encodings of sample records; each must decode, or the
// round-trip check would never run), every file under each PATH (a corpus directory or a
// crash input), then N mutants of those inputs drawn from a seeded xorshift generator:
// bit flips, byte sets, truncations, insertions, erasures, duplicated ranges, bumped
// length fields, widened varints and splices. The same seed replays the same inputs.
//
// A failing target aborts; the signal handler first saves the input that killed it to
// ./fuzz-crash-NAME.bin, which `fuzz_NAME fuzz-crash-NAME.bin` replays alone.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#include "fuzz_target.h"

namespace {

namespace fs = std::filesystem;

// What the crash handler saves; plain globals because a signal handler may touch little else.
const std::string* g_input = nullptr;
char g_crash_path[512] = "fuzz-crash.bin";

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void WriteStr(int fd, const char* s) { WriteAll(fd, s, std::strlen(s)); }

// Only async-signal-safe calls: save the input, say where, then die of the same signal so
// ctest still reports the crash.
void OnCrash(int sig) {
  if (g_input != nullptr) {
    int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      WriteAll(fd, g_input->data(), g_input->size());
      ::close(fd);
      WriteStr(2, "fuzz driver: input saved to ");
      WriteStr(2, g_crash_path);
      WriteStr(2, "\n");
    }
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : x_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  uint64_t Next() {  // xorshift64*
    x_ ^= x_ >> 12;
    x_ ^= x_ << 25;
    x_ ^= x_ >> 27;
    return x_ * 0x2545f4914f6cdd1dull;
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }

 private:
  uint64_t x_;
};

// Bytes that sit on boundaries of the encoding: varint continuation, sign, all-ones.
constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff};

void MutateOnce(std::string* s, const std::vector<std::string>& pool, Rng& rng) {
  size_t n = s->size();
  size_t pos = rng.Below(n);
  switch (rng.Below(n == 0 ? 1 : 9)) {
    case 0: {  // insert 1..8 bytes (the only mutation that can grow an empty input)
      size_t k = 1 + rng.Below(8);
      std::string ins(k, '\0');
      for (auto& c : ins) c = static_cast<char>(rng.Next());
      s->insert(rng.Below(n + 1), ins);
      break;
    }
    case 1:
      (*s)[pos] = static_cast<char>((*s)[pos] ^ (1u << rng.Below(8)));
      break;
    case 2:
      (*s)[pos] = static_cast<char>(rng.Below(2) ? kInteresting[rng.Below(8)] : rng.Next());
      break;
    case 3:  // truncate
      s->resize(rng.Below(n));
      break;
    case 4:  // erase 1..8 bytes
      s->erase(pos, 1 + rng.Below(8));
      break;
    case 5: {  // duplicate a range elsewhere: repeats records, shifts what follows
      size_t from = rng.Below(n), len = 1 + rng.Below(std::min<size_t>(n - from, 64));
      std::string piece = s->substr(from, len);
      s->insert(rng.Below(n + 1), piece);
      break;
    }
    case 6: {  // bump a count or length field by a little; fields are mostly varints
      static constexpr int kDelta[] = {-16, -2, -1, 1, 2, 16};
      (*s)[pos] = static_cast<char>(static_cast<uint8_t>((*s)[pos]) + kDelta[rng.Below(6)]);
      break;
    }
    case 7:  // widen a varint's last byte: the same value, not in shortest form
      if (static_cast<uint8_t>((*s)[pos]) < 0x80) {
        (*s)[pos] = static_cast<char>((*s)[pos] | 0x80);
        s->insert(pos + 1, 1, '\0');
      }
      break;
    case 8: {  // splice: our head, another input's tail
      const std::string& other = pool[rng.Below(pool.size())];
      size_t cut = rng.Below(other.size() + 1);
      s->resize(pos);
      s->append(other, cut, std::string::npos);
      break;
    }
  }
}

void Run(const std::string& input) {
  g_input = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_input = nullptr;
}

bool ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Every regular file under `path` (or `path` itself), in name order so runs repeat.
bool CollectFiles(const fs::path& path, std::vector<fs::path>* files) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    files->push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) return false;
  std::vector<fs::path> found;
  for (const auto& e : fs::recursive_directory_iterator(path, ec))
    if (e.is_regular_file()) found.push_back(e.path());
  if (ec) return false;
  std::sort(found.begin(), found.end());
  files->insert(files->end(), found.begin(), found.end());
  return true;
}

int WriteSeeds(const std::vector<std::string>& seeds, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  for (size_t i = 0; i < seeds.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "seed-%02zu", i);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(seeds[i].data(), static_cast<std::streamsize>(seeds[i].size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
      return 1;
    }
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--iterations N] [--seed S] [--max-len BYTES] [PATH...]\n"
               "       %s --write-seeds DIR\n",
               argv0, argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = 20000, seed = 0x63636f77;  // "ccow"
  size_t max_len = 64 << 10;
  std::vector<fs::path> paths;
  const char* seeds_dir = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--iterations" && has_value) {
      iterations = std::strtoull(argv[++i], nullptr, 0);
    } else if (a == "--seed" && has_value) {
      seed = std::strtoull(argv[++i], nullptr, 0);
    } else if (a == "--max-len" && has_value) {
      max_len = std::strtoull(argv[++i], nullptr, 0);
    } else if (a == "--write-seeds" && has_value) {
      seeds_dir = argv[++i];
    } else if (a.starts_with("-")) {
      return Usage(argv[0]);
    } else {
      paths.emplace_back(a);
    }
  }

  std::string name = fs::path(argv[0]).filename().string();
  std::snprintf(g_crash_path, sizeof(g_crash_path), "fuzz-crash-%s.bin",
                name.starts_with("fuzz_") ? name.c_str() + 5 : name.c_str());
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, OnCrash);

  std::vector<std::string> pool = ccow::fuzz::Seeds();
  if (seeds_dir != nullptr) return WriteSeeds(pool, seeds_dir);
  auto start = std::chrono::steady_clock::now();

  // A seed that does not decode means the encoder writes what the decoder refuses, and
  // the mutants built on it would mostly never reach the round-trip check.
  for (size_t i = 0; i < pool.size(); ++i) {
    size_t before = ccow::fuzz::decoded;
    Run(pool[i]);
    if (ccow::fuzz::decoded == before) {
      std::fprintf(stderr, "%s: seed %zu (%zu bytes), a valid encoding, failed to decode\n",
                   name.c_str(), i, pool[i].size());
      return 1;
    }
  }
  size_t seeds = pool.size();

  std::vector<fs::path> files;
  for (const auto& p : paths) {
    if (!CollectFiles(p, &files)) {
      std::fprintf(stderr, "%s: cannot read corpus path %s\n", name.c_str(), p.c_str());
      return 1;
    }
  }
  for (const auto& f : files) {
    std::string input;
    if (!ReadFile(f, &input)) {
      std::fprintf(stderr, "%s: cannot read %s\n", name.c_str(), f.c_str());
      return 1;
    }
    Run(input);
    pool.push_back(std::move(input));
  }
  if (pool.empty()) pool.emplace_back();

  size_t decoded_before = ccow::fuzz::decoded;
  Rng rng(seed);
  std::string input;
  for (uint64_t it = 0; it < iterations; ++it) {
    input = pool[rng.Below(pool.size())];
    for (size_t m = 1 + rng.Below(4); m > 0; --m) MutateOnce(&input, pool, rng);
    if (input.size() > max_len) input.resize(max_len);
    Run(input);
  }

  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "%s: ran %zu seeds, %zu corpus files and %llu mutants; %zu mutants decoded and "
      "re-encoded to the same bytes (seed %llu, %.2f s)\n",
      name.c_str(), seeds, files.size(), static_cast<unsigned long long>(iterations),
      ccow::fuzz::decoded - decoded_before, static_cast<unsigned long long>(seed), secs);
  return 0;
}
