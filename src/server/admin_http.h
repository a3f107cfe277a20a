// The admin HTTP endpoint every ccow daemon serves: /health (liveness and store state),
// /metrics (Prometheus text) and the /admin/ calls. A router on the one HTTP server
// (http/http_server.h); the client side, AdminRequest, uses http/http_client.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "core/status.h"
#include "http/http_client.h"

namespace ccow {

struct AdminHttpOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;
  std::function<std::string()> metrics;  // Prometheus exposition text
  std::function<Status()> health;        // OK -> 200 "ok", otherwise 503 with the message
  // Requests under /admin/ (daemon/admin_api.h): given method, target and the
  // Authorization header, returns the HTTP status and a JSON body. Called from many
  // connection threads at once (a long poll blocks one of them), so it must be
  // thread-safe; metrics and health are called one at a time.
  std::function<std::pair<int, std::string>(const std::string&, const std::string&,
                                            const std::string&)>
      admin;
};

// Sends one request to an admin endpoint and returns the status and body. Bounded in
// time (default: 2 s to connect, 8 s in all): a timeout is kUnavailable naming
// host:port; an endpoint that cannot be reached is kIOError.
Result<std::pair<int, std::string>> AdminRequest(const std::string& host, uint16_t port,
                                                 const std::string& method,
                                                 const std::string& target,
                                                 const std::string& authorization,
                                                 http::ClientTimeouts timeouts = {});

class AdminHttpServer {
 public:
  // Binds the listening socket (so that a port in use is reported at start).
  static Result<std::unique_ptr<AdminHttpServer>> Bind(AdminHttpOptions options);
  virtual ~AdminHttpServer() = default;
  // Serves until SIGINT or SIGTERM; returns the signal number.
  virtual int RunUntilSignal() = 0;
  virtual uint16_t port() const = 0;
};

}  // namespace ccow
