// Byte sources and sinks: how object data streams into a put and out of a get without
// ever being held whole in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ccow {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes; 0 means the end of the data.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view data) = 0;
};

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
