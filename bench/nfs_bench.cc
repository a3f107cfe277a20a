// The file workload of issue 15's benchmarks, through libnfs's client against an NFS
// export, and the same through POSIX calls on a local directory (the limit: the local file
// system of the same disk): small-file creates, stats and unlinks per second (one client,
// mdtest-like: a file of `file_kib` written and closed per create), and a sequential write
// then read of `mib` MiB in 1 MiB calls, MB/s (10^6 bytes).
//   nfs_bench --url 'nfs://HOST/EXPORT?nfsport=P&mountport=P&version=3' --local DIR
//             [--files 1000] [--file-kib 4] [--mib 256] [--label TEXT]
// Prints one markdown row per target (bench/nfs_bench.sh prints the header).
#include <fcntl.h>
#include <nfsc/libnfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The operations the workload needs, over NFS or a local directory.
struct Fs {
  std::function<bool(const std::string&, const std::string&)> write_file;  // create, write, close
  std::function<bool(const std::string&)> stat, unlink, mkdir;
  std::function<bool(const std::string&, size_t mib, const std::string& block)> write_big;
  std::function<bool(const std::string&, size_t mib, std::string* block)> read_big;
};

Fs NfsFs(nfs_context* nfs) {
  Fs f;
  f.write_file = [nfs](const std::string& p, const std::string& data) {
    nfsfh* fh = nullptr;
    if (nfs_create(nfs, p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644, &fh) != 0) return false;
    const bool ok = nfs_pwrite(nfs, fh, 0, data.size(), data.data()) == static_cast<int>(data.size());
    return nfs_close(nfs, fh) == 0 && ok;
  };
  f.stat = [nfs](const std::string& p) {
    nfs_stat_64 st{};
    return nfs_stat64(nfs, p.c_str(), &st) == 0;
  };
  f.unlink = [nfs](const std::string& p) { return nfs_unlink(nfs, p.c_str()) == 0; };
  f.mkdir = [nfs](const std::string& p) { return nfs_mkdir(nfs, p.c_str()) == 0; };
  f.write_big = [nfs](const std::string& p, size_t mib, const std::string& block) {
    nfsfh* fh = nullptr;
    if (nfs_create(nfs, p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644, &fh) != 0) return false;
    bool ok = true;
    for (size_t i = 0; i < mib && ok; ++i)
      ok = nfs_pwrite(nfs, fh, i * block.size(), block.size(), block.data()) == static_cast<int>(block.size());
    ok = ok && nfs_fsync(nfs, fh) == 0;  // COMMIT: the bytes are durable
    return nfs_close(nfs, fh) == 0 && ok;
  };
  f.read_big = [nfs](const std::string& p, size_t mib, std::string* block) {
    nfsfh* fh = nullptr;
    if (nfs_open(nfs, p.c_str(), O_RDONLY, &fh) != 0) return false;
    bool ok = true;
    for (size_t i = 0; i < mib && ok; ++i)
      ok = nfs_pread(nfs, fh, i * block->size(), block->size(), block->data()) == static_cast<int>(block->size());
    return nfs_close(nfs, fh) == 0 && ok;
  };
  return f;
}

Fs LocalFs(const std::string& root) {
  Fs f;
  f.write_file = [root](const std::string& p, const std::string& data) {
    const int fd = ::open((root + p).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return false;
    const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
    return ::close(fd) == 0 && ok;
  };
  f.stat = [root](const std::string& p) {
    struct stat st {};
    return ::stat((root + p).c_str(), &st) == 0;
  };
  f.unlink = [root](const std::string& p) { return ::unlink((root + p).c_str()) == 0; };
  f.mkdir = [root](const std::string& p) { return ::mkdir((root + p).c_str(), 0755) == 0; };
  f.write_big = [root](const std::string& p, size_t mib, const std::string& block) {
    const int fd = ::open((root + p).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return false;
    bool ok = true;
    for (size_t i = 0; i < mib && ok; ++i) ok = ::write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size());
    ok = ok && ::fsync(fd) == 0;
    return ::close(fd) == 0 && ok;
  };
  f.read_big = [root](const std::string& p, size_t mib, std::string* block) {
    const int fd = ::open((root + p).c_str(), O_RDONLY);
    if (fd < 0) return false;
    // What was just written is in the page cache: dropped first, or the "read" is memcpy.
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    bool ok = true;
    for (size_t i = 0; i < mib && ok; ++i) ok = ::read(fd, block->data(), block->size()) == static_cast<ssize_t>(block->size());
    return ::close(fd) == 0 && ok;
  };
  return f;
}

bool Run(const char* label, Fs& fs, int files, size_t file_kib, size_t mib) {
  std::string small(file_kib * 1024, 's');
  std::string block(1 << 20, '\0');
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 2654435761u >> 13);
  if (!fs.mkdir("/bench")) return false;
  auto rate = [&](const std::function<bool(int)>& op) {
    const double t0 = Now();
    for (int i = 0; i < files; ++i)
      if (!op(i)) return -1.0;
    return files / (Now() - t0);
  };
  auto name = [](int i) { return "/bench/f" + std::to_string(i); };
  const double creates = rate([&](int i) { return fs.write_file(name(i), small); });
  const double stats = rate([&](int i) { return fs.stat(name(i)); });
  const double unlinks = rate([&](int i) { return fs.unlink(name(i)); });
  double t0 = Now();
  const bool wrote = fs.write_big("/bench/big", mib, block);
  const double write_mbps = wrote ? mib * 1048576.0 / 1e6 / (Now() - t0) : -1;
  t0 = Now();
  const bool read = fs.read_big("/bench/big", mib, &block);
  const double read_mbps = read ? mib * 1048576.0 / 1e6 / (Now() - t0) : -1;
  (void)fs.unlink("/bench/big");
  std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %.0f |\n", label, creates, stats, unlinks, write_mbps, read_mbps);
  return creates > 0 && stats > 0 && unlinks > 0 && wrote && read;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, local, label = "ccow gateway nfs";
  int files = 1000;
  size_t file_kib = 4, mib = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--url") url = argv[i + 1];
    else if (a == "--local") local = argv[i + 1];
    else if (a == "--label") label = argv[i + 1];
    else if (a == "--files") files = std::atoi(argv[i + 1]);
    else if (a == "--file-kib") file_kib = std::strtoul(argv[i + 1], nullptr, 10);
    else if (a == "--mib") mib = std::strtoul(argv[i + 1], nullptr, 10);
  }
  if (url.empty() && local.empty()) {
    std::fprintf(stderr, "usage: %s --url NFS_URL | --local DIR [--files N] [--file-kib K] [--mib M] [--label L]\n", argv[0]);
    return 2;
  }
  bool ok = true;
  if (!local.empty()) {
    Fs fs = LocalFs(local);
    ok = Run(("local file system (" + local + ")").c_str(), fs, files, file_kib, mib) && ok;
  }
  if (!url.empty()) {
    nfs_context* nfs = nfs_init_context();
    nfs_url* u = nfs ? nfs_parse_url_dir(nfs, url.c_str()) : nullptr;
    if (!u || nfs_mount(nfs, u->server, u->path) != 0) {
      std::fprintf(stderr, "nfs_bench: cannot mount %s: %s\n", url.c_str(), nfs ? nfs_get_error(nfs) : "no context");
      return 1;
    }
    Fs fs = NfsFs(nfs);
    ok = Run(label.c_str(), fs, files, file_kib, mib) && ok;
    nfs_destroy_url(u);
    nfs_destroy_context(nfs);
  }
  if (!ok) std::fprintf(stderr, "nfs_bench: an operation failed\n");
  return ok ? 0 : 1;
}
