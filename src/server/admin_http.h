// The admin HTTP endpoint every ccow daemon serves: /health (liveness and store state)
// and /metrics (Prometheus text). Kept behind a plain interface so that Asio and Beast
// stay inside admin_http.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "core/status.h"

namespace ccow {

struct AdminHttpOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;
  std::function<std::string()> metrics;  // Prometheus exposition text
  std::function<Status()> health;        // OK -> 200 "ok", otherwise 503 with the message
  // Requests under /admin/ (management calls from the `ccow` CLI while the server holds
  // the data directory): given method, target and the Authorization header, returns the
  // HTTP status and a JSON body.
  std::function<std::pair<int, std::string>(const std::string&, const std::string&,
                                            const std::string&)>
      admin;
};

// Sends one request to an admin endpoint and returns the status and body.
Result<std::pair<int, std::string>> AdminRequest(const std::string& host, uint16_t port,
                                                 const std::string& method,
                                                 const std::string& target,
                                                 const std::string& authorization);

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
