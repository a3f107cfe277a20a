// Byte sources and sinks: how object data streams into a put and out of a get (and a body
// into and out of an HTTP exchange) without ever being held whole in memory. The
// implementations over files, pipes and strings are in client/byte_stream.h.
#pragma once

#include <cstddef>
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

}  // namespace ccow
