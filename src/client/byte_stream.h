// Byte sources and sinks over files, pipes and strings. The interfaces themselves are in
// core/byte_stream.h, so the HTTP layer streams bodies through them too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/byte_stream.h"
#include "core/status.h"

namespace ccow {

// Reads a file descriptor (a file, a pipe, stdin). Does not own the descriptor.
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  int fd_;
};

class FdSink : public ByteSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  Status Write(std::string_view data) override;

 private:
  int fd_;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

class StringSink : public ByteSink {
 public:
  Status Write(std::string_view data) override {
    out_.append(data);
    return Status::OK();
  }
  const std::string& data() const { return out_; }

 private:
  std::string out_;
};

// Reads from `source` until `n` bytes or the end; returns how many were read.
Result<size_t> ReadFull(ByteSource& source, char* buf, size_t n);

}  // namespace ccow
