#include "store/medium.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ccow {
namespace {

class Posix final : public Medium {
 public:
  Result<int> Open(const std::string& path, bool create) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) return Status::FromErrno(errno, "open " + path);
    return fd;
  }
  Result<int> OpenDirect(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_DIRECT);
    if (fd < 0 && errno == EINVAL) return -1;  // tmpfs and friends: no direct I/O
    if (fd < 0) return Status::FromErrno(errno, "open " + path + " for direct I/O");
    return fd;
  }
  Status Close(int fd) override {
    if (::close(fd) != 0) return Status::FromErrno(errno, "close");
    return Status::OK();
  }
  Status WriteAt(int fd, const struct iovec* iov, int iovcnt, uint64_t offset) override {
    size_t total = 0;
    for (int i = 0; i < iovcnt; ++i) total += iov[i].iov_len;
    size_t done = 0;
    // pwritev may write less than asked (signals, quotas); continue until all is written.
    struct iovec local[8];
    if (iovcnt > 8) return Status::Internal("too many iovecs");
    for (int i = 0; i < iovcnt; ++i) local[i] = iov[i];
    int first = 0;
    while (done < total) {
      ssize_t n = ::pwritev(fd, local + first, iovcnt - first, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "write");
      }
      if (n == 0) return Status::NoSpace("write made no progress");
      done += static_cast<size_t>(n);
      size_t skip = static_cast<size_t>(n);
      while (first < iovcnt && skip >= local[first].iov_len) skip -= local[first++].iov_len;
      if (first < iovcnt) {
        local[first].iov_base = static_cast<char*>(local[first].iov_base) + skip;
        local[first].iov_len -= skip;
      }
    }
    return Status::OK();
  }
  Status ReadAt(int fd, void* buf, size_t n, uint64_t offset) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd, static_cast<char*>(buf) + done, n - done,
                          static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "read");
      }
      if (r == 0)
        return Status::Corruption("file ends at " + std::to_string(offset + done) +
                                  ", expected " + std::to_string(n - done) + " more bytes");
      done += static_cast<size_t>(r);
    }
    return Status::OK();
  }
  Status Sync(int fd) override {
    if (::fdatasync(fd) != 0) return Status::FromErrno(errno, "fdatasync");
    return Status::OK();
  }
  Status Truncate(int fd, uint64_t size) override {
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return Status::FromErrno(errno, "ftruncate");
    return Status::OK();
  }
  Result<uint64_t> FileSize(int fd) override {
    struct stat st;
    if (::fstat(fd, &st) != 0) return Status::FromErrno(errno, "fstat");
    return static_cast<uint64_t>(st.st_size);
  }
  Status SyncDirectory(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "open " + dir);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Status::FromErrno(err, "fsync " + dir);
    return Status::OK();
  }
  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return Status::FromErrno(errno, "unlink " + path);
    return Status::OK();
  }
};

}  // namespace

std::shared_ptr<Medium> PosixMedium() {
  static std::shared_ptr<Medium> posix = std::make_shared<Posix>();
  return posix;
}

Result<int> LimitedMedium::Open(const std::string& path, bool create) {
  return base_->Open(path, create);
}
Status LimitedMedium::Close(int fd) { return base_->Close(fd); }

Status LimitedMedium::WriteAt(int fd, const struct iovec* iov, int iovcnt, uint64_t offset) {
  uint64_t total = 0;
  for (int i = 0; i < iovcnt; ++i) total += iov[i].iov_len;
  if (written_ + total > capacity_) return Status::FromErrno(ENOSPC, "write");
  written_ += total;
  return base_->WriteAt(fd, iov, iovcnt, offset);
}

Status LimitedMedium::ReadAt(int fd, void* buf, size_t n, uint64_t offset) {
  return base_->ReadAt(fd, buf, n, offset);
}

Status LimitedMedium::Sync(int fd) {
  if (fail_next_sync_) {
    fail_next_sync_ = false;
    return Status::FromErrno(EIO, "fdatasync");
  }
  return base_->Sync(fd);
}

Status LimitedMedium::Truncate(int fd, uint64_t size) { return base_->Truncate(fd, size); }
Result<uint64_t> LimitedMedium::FileSize(int fd) { return base_->FileSize(fd); }
Status LimitedMedium::SyncDirectory(const std::string& dir) { return base_->SyncDirectory(dir); }
Status LimitedMedium::Remove(const std::string& path) { return base_->Remove(path); }

}  // namespace ccow
