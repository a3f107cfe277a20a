// A blocking HTTP/1.1 server (Boost.Beast) with one thread per connection: the object API
// underneath blocks on disk and network, and a thread per connection keeps streaming a
// 5 GiB body through it simple and bounded. Keep-alive, 100-continue, optional TLS,
// bounded header size and connection count.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "gateway/s3/http_exchange.h"

namespace ccow::s3 {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;          // 0: any free port
  std::string tls_cert_file;     // PEM; TLS when both are set
  std::string tls_key_file;
  size_t max_connections = 1024;
  size_t max_header_bytes = 64 << 10;
  int idle_timeout_seconds = 300;  // a connection idle this long is closed
};

using HttpHandler = std::function<void(HttpExchange&)>;

class HttpServer {
 public:
  // Binds and listens (so a port in use is reported at start), then serves on a thread.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, HttpHandler handler);
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  virtual bool tls() const = 0;
  // Stops accepting, closes open connections and waits (bounded) for their threads.
  virtual void Stop() = 0;
};

}  // namespace ccow::s3
