#include "client/byte_stream.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ccow {

Result<size_t> FdSource::Read(char* buf, size_t n) {
  while (true) {
    ssize_t r = ::read(fd_, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) return Status::FromErrno(errno, "reading input");
  }
}

Status FdSink::Write(std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd_, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "writing output");
    }
    done += static_cast<size_t>(w);
  }
  return Status::OK();
}

Result<size_t> StringSource::Read(char* buf, size_t n) {
  size_t k = std::min(n, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

Result<size_t> ReadFull(ByteSource& source, char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    CCOW_ASSIGN_OR_RETURN(size_t r, source.Read(buf + done, n - done));
    if (r == 0) break;
    done += r;
  }
  return done;
}

}  // namespace ccow
