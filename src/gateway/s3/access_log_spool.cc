#include "gateway/s3/access_log_spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/hash.h"
#include "http/query_string.h"

namespace ccow::s3 {
namespace fs = std::filesystem;
namespace {

constexpr const char* kActive = "active.log";

uint64_t WallNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// A spool line: tenant, bucket, percent-encoded prefix, partitioned, then the record
// (itself one line): tab-separated, so a torn last line is told by its missing newline.
std::string SpoolLine(const AccessLogSpool::Destination& to, const std::string& record) {
  std::string line = to.tenant + "\t" + to.bucket + "\t" + http::PercentEncode(to.prefix, true) + "\t" +
                     (to.partitioned ? "1" : "0") + "\t" + record;
  if (line.empty() || line.back() != '\n') line += '\n';
  return line;
}

Status SyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open " + path);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status::OK() : Status::FromErrno(err, "fsync " + path);
}

}  // namespace

Result<std::unique_ptr<AccessLogSpool>> AccessLogSpool::Open(const std::string& dir) {
  for (int i = 0; i < 16; ++i) {
    const std::string d = i == 0 ? dir : dir + "." + std::to_string(i);
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) return Status::IOError("access log spool " + d + ": " + ec.message());
    const std::string lock = d + "/LOCK";
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::FromErrno(errno, "open " + lock);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      continue;  // another live gateway's
    }
    std::unique_ptr<AccessLogSpool> spool(new AccessLogSpool(d));
    spool->lock_fd_ = fd;
    CCOW_RETURN_IF_ERROR(spool->OpenActive());
    return spool;
  }
  return Status::Busy("access log spools " + dir + " to " + dir + ".15 are all held by other processes");
}

AccessLogSpool::~AccessLogSpool() {
  if (fd_ >= 0) ::close(fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status AccessLogSpool::OpenActive() {
  const std::string path = dir_ + "/" + kActive;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return Status::FromErrno(errno, "open " + path);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Status::FromErrno(errno, "stat " + path);
  appended_ = 0;
  if (st.st_size == 0) return Status::OK();
  // Left by an earlier run. A line its crash cut short is cut off, or the next record
  // would be glued to it.
  std::string text(static_cast<size_t>(st.st_size), '\0');
  if (::pread(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return Status::FromErrno(errno, "read " + path);
  const size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (keep < text.size() && ::ftruncate(fd_, static_cast<off_t>(keep)) != 0)
    return Status::FromErrno(errno, "truncate the torn tail of " + path);
  appended_ = keep > 0 ? 1 : 0;
  return Status::OK();
}

Status AccessLogSpool::Append(const Destination& to, const std::string& record_line) {
  const std::string line = SpoolLine(to, record_line);
  std::lock_guard lock(mu_);
  if (fd_ < 0) return Status::IOError("access log spool " + dir_ + " is not open");
  // One write per record with O_APPEND: concurrent appends never interleave within a line.
  ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    const int err = n < 0 ? errno : ENOSPC;
    // A short write leaves a torn line, which delivery skips; the record counts as lost
    // and the caller fails the request instead of answering it.
    return Status::FromErrno(err, "append to the access log spool " + dir_);
  }
  appended_++;
  return Status::OK();
}

Status AccessLogSpool::Seal() {
  std::lock_guard lock(mu_);
  if (appended_ == 0) return Status::OK();
  const std::string active = dir_ + "/" + kActive;
  if (::fsync(fd_) != 0) return Status::FromErrno(errno, "fsync " + active);
  char name[64];
  std::snprintf(name, sizeof name, "sealed-%020llu-%06llu.log", static_cast<unsigned long long>(WallNs()),
                static_cast<unsigned long long>(sequence_++));
  const std::string sealed = dir_ + "/" + name;
  if (::rename(active.c_str(), sealed.c_str()) != 0) return Status::FromErrno(errno, "rename " + active);
  ::close(fd_);
  fd_ = -1;
  CCOW_RETURN_IF_ERROR(SyncFile(dir_));
  return OpenActive();
}

Status AccessLogSpool::DeliverBatch(const std::string& file, const Deliver& deliver) {
  std::ifstream in(dir_ + "/" + file, std::ios::binary);
  if (!in) return Status::IOError("cannot read the access log batch " + file);
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  // The batch's time is its seal time (the file name), so a redelivery names its objects alike.
  const uint64_t sealed_ns = std::strtoull(file.c_str() + 7, nullptr, 10);
  struct Group {
    Destination to;
    std::string body;
  };
  std::map<std::string, Group> groups;  // by destination
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    if (end == std::string::npos) break;  // a torn last line: its request was never answered
    const std::string line = text.substr(at, end + 1 - at);
    at = end + 1;
    size_t t1 = line.find('\t'), t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    size_t t3 = t2 == std::string::npos ? t2 : line.find('\t', t2 + 1);
    size_t t4 = t3 == std::string::npos ? t3 : line.find('\t', t3 + 1);
    if (t4 == std::string::npos) continue;
    Destination to{line.substr(0, t1), line.substr(t1 + 1, t2 - t1 - 1), "", line.substr(t3 + 1, t4 - t3 - 1) == "1"};
    to.prefix = http::PercentDecode(line.substr(t2 + 1, t3 - t2 - 1)).value_or("");
    const std::string key = to.tenant + "\t" + to.bucket + "\t" + to.prefix + (to.partitioned ? "\t1" : "\t0");
    Group& g = groups[key];
    g.to = to;
    g.body += line.substr(t4 + 1);
  }
  for (const auto& [id, g] : groups) {
    const HashId h = HashBytes(HashAlgo::kSha256, file + "\n" + id);
    std::string unique = ToHex(h.digest(), 8);
    std::transform(unique.begin(), unique.end(), unique.begin(), ::toupper);
    CCOW_RETURN_IF_ERROR(deliver(g.to, sealed_ns, unique, g.body));
  }
  std::error_code ec;
  fs::remove(dir_ + "/" + file, ec);
  return Status::OK();
}

Status AccessLogSpool::Flush(const Deliver& deliver) {
  std::lock_guard flush(flush_mu_);
  CCOW_RETURN_IF_ERROR(Seal());
  std::vector<std::string> batches;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("sealed-") && name.ends_with(".log")) batches.push_back(name);
  }
  std::sort(batches.begin(), batches.end());
  Status first = Status::OK();
  for (const auto& b : batches) {
    Status st = DeliverBatch(b, deliver);
    if (!st.ok()) {
      spdlog::warn("s3 access log: batch {} not delivered yet: {}", b, st.ToString());
      if (first.ok()) first = st;
    }
  }
  return first;
}

}  // namespace ccow::s3
