// The one HTTP server (Boost.Beast): blocking HTTP/1.1 with one thread per connection. The
// object API underneath blocks on disk and network, and a thread per connection keeps
// streaming a 5 GiB body through it simple and bounded. Keep-alive, 100-continue,
// optional TLS, bounded header size and connection count. It serves S3 (gateway/s3) and
// the admin endpoint (/health, /metrics, /admin/*: server/admin_http.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "http/http_exchange.h"

namespace ccow::http {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;          // 0: any free port
  std::string tls_cert_file;     // PEM; TLS when both are set
  std::string tls_key_file;
  // PEM: with TLS, every client must present a certificate that chains to it (mutual
  // authentication, an ISGW link's endpoint); a handshake without one fails.
  std::string tls_client_ca_file;
  size_t max_connections = 1024;
  size_t max_header_bytes = 64 << 10;
  int idle_timeout_seconds = 300;  // a connection idle this long is closed
  int stop_wait_seconds = 10;      // how long Stop waits for connections to finish
};

// Called on the connection's thread, once per request. It must respond (or the server
// answers 500); an exception drops the connection.
using HttpHandler = std::function<void(HttpExchange&)>;

class HttpServer {
 public:
  // Binds and listens (so a port in use is reported at start), then serves on a thread.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, HttpHandler handler);
  // Binds and listens but accepts nothing until Serve: connections wait in the listen
  // backlog, so a handler may use what its owner sets up after the port is known.
  static Result<std::unique_ptr<HttpServer>> Listen(HttpServerOptions options,
                                                    HttpHandler handler);
  // Starts accepting (after Listen; Start already has). Idempotent.
  virtual void Serve() = 0;
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  virtual bool tls() const = 0;
  // Stops accepting, shuts the open connections down and waits for their threads, up to
  // stop_wait_seconds. The handler, the TLS context and the rest of what a connection
  // thread uses are shared with those threads, so one that outlives the wait (a handler
  // stuck below) still finds them; it is logged. Idempotent; the destructor calls it.
  virtual void Stop() = 0;
  // Connections being served now.
  virtual size_t active_connections() const = 0;
};

// SIGINT and SIGTERM, caught from construction on: a signal that arrives before Wait is
// kept, not lost to the default action.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // Blocks until SIGINT or SIGTERM; returns its number.
  int Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccow::http
