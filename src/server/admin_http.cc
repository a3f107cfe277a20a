#include "server/admin_http.h"

#include <memory>
#include <mutex>
#include <tuple>

#include "http/http_server.h"

namespace ccow {
namespace {

// Reads and drops a small request body, so the connection can carry the next request.
// The admin calls take their arguments in the query.
void DrainBody(http::HttpExchange& ex) {
  const auto& req = ex.request();
  if (!req.chunked_transfer && req.content_length.value_or(0) == 0) return;
  if (req.content_length.value_or(0) > (1u << 20)) return;  // the connection just closes
  char buf[16384];
  size_t total = 0;
  while (total <= (1u << 20)) {
    auto n = ex.body().Read(buf, sizeof buf);
    if (!n.ok() || *n == 0) return;
    total += *n;
  }
}

struct Router {
  AdminHttpOptions options;
  // /metrics and /health run one at a time, as they did on the single-threaded server
  // before: the daemons' callbacks were written for that. /admin/ calls run in parallel
  // (daemon/admin_api.h is thread-safe): a long poll of the registry must not hold up
  // other calls.
  std::mutex mu;
};

void Route(Router& router, http::HttpExchange& ex) {
  const AdminHttpOptions& options = router.options;
  const http::HttpRequest& req = ex.request();
  DrainBody(ex);
  const std::string& path = req.parsed.raw_path;
  int status = 200;
  std::string type = "text/plain";
  std::string body;
  if (options.admin && path.starts_with("/admin/")) {
    const std::string* auth = req.Header("authorization");
    std::tie(status, body) = options.admin(req.method, req.target, auth ? *auth : std::string());
    type = "application/json";
  } else {
    // The reply is built under the lock and sent outside it: a slow client holds no one up.
    std::lock_guard lock(router.mu);
    if (path == "/metrics") {
      type = "text/plain; version=0.0.4";
      if (options.metrics) body = options.metrics();
    } else if (path == "/health") {
      Status st = options.health ? options.health() : Status::OK();
      if (st.ok()) {
        body = "ok\n";
      } else {
        status = 503;
        body = st.ToString() + "\n";
      }
    } else {
      status = 404;
      body = "not found: this server serves /health, /metrics and /admin/\n";
    }
  }
  (void)ex.Respond(status, {{"Content-Type", type}}, body);
}

class Server final : public AdminHttpServer {
 public:
  Status Start(AdminHttpOptions options) {
    http::HttpServerOptions ho;
    ho.host = options.host;
    ho.port = options.port;
    ho.idle_timeout_seconds = 60;
    auto router = std::make_shared<Router>();
    router->options = std::move(options);
    // Requests are served from RunUntilSignal on, as before: the callers set up what the
    // callbacks use (the target agent) after Bind has told them the port.
    auto server =
        http::HttpServer::Listen(ho, [router](http::HttpExchange& ex) { Route(*router, ex); });
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    return Status::OK();
  }

  ~Server() override {
    if (server_) server_->Stop();
  }

  uint16_t port() const override { return server_->port(); }

  int RunUntilSignal() override {
    server_->Serve();
    int sig = signals_.Wait();
    server_->Stop();
    return sig;
  }

 private:
  http::StopSignals signals_;  // from Bind on: a signal before RunUntilSignal is kept
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace

Result<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Bind(AdminHttpOptions options) {
  auto server = std::make_unique<Server>();
  CCOW_RETURN_IF_ERROR(server->Start(std::move(options)));
  return std::unique_ptr<AdminHttpServer>(std::move(server));
}

Result<std::pair<int, std::string>> AdminRequest(const std::string& host, uint16_t port,
                                                 const std::string& method,
                                                 const std::string& target,
                                                 const std::string& authorization,
                                                 http::ClientTimeouts timeouts) {
  http::HeaderList headers;
  if (!authorization.empty()) headers.emplace_back("Authorization", authorization);
  auto res = http::Request(host, port, method, target, headers, {}, timeouts);
  if (!res.ok())
    return Status(res.status().code(), "admin endpoint: " + res.status().message());
  return std::make_pair(res->status, std::move(res->body));
}

}  // namespace ccow
