#include "server/admin_http.h"

#include <boost/asio.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace ccow {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

class Server final : public AdminHttpServer {
 public:
  explicit Server(AdminHttpOptions options)
      : options_(std::move(options)), acceptor_(io_), signals_(io_, SIGINT, SIGTERM) {}

  Status Listen() {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(options_.host, ec);
    if (ec) return Status::InvalidArgument("bad listen address '" + options_.host + "'");
    tcp::endpoint ep(addr, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Status::IOError("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + ": " + ec.message());
    return Status::OK();
  }

  uint16_t port() const override { return acceptor_.local_endpoint().port(); }

  int RunUntilSignal() override {
    int signal = 0;
    signals_.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (!ec) signal = sig;
      io_.stop();
    });
    asio::co_spawn(io_, Accept(), asio::detached);
    io_.run();
    return signal;
  }

 private:
  asio::awaitable<void> Accept() {
    while (true) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(io_, Session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::flat_buffer buffer;
    while (true) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::server, "ccow");
      res.keep_alive(req.keep_alive());
      if (req.target() == "/metrics") {
        res.set(http::field::content_type, "text/plain; version=0.0.4");
        res.body() = options_.metrics ? options_.metrics() : "";
      } else if (options_.admin && req.target().starts_with("/admin/")) {
        auto [status, body] =
            options_.admin(std::string(req.method_string()), std::string(req.target()),
                           std::string(req[http::field::authorization]));
        res.result(static_cast<http::status>(status));
        res.set(http::field::content_type, "application/json");
        res.body() = std::move(body);
      } else if (req.target() == "/health") {
        Status st = options_.health ? options_.health() : Status::OK();
        res.set(http::field::content_type, "text/plain");
        if (st.ok()) {
          res.body() = "ok\n";
        } else {
          res.result(http::status::service_unavailable);
          res.body() = st.ToString() + "\n";
        }
      } else {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "text/plain");
        res.body() = "not found: this server serves /health and /metrics\n";
      }
      res.prepare_payload();
      co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !res.keep_alive()) co_return;
    }
  }

  AdminHttpOptions options_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
};

}  // namespace

Result<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Bind(AdminHttpOptions options) {
  auto server = std::make_unique<Server>(std::move(options));
  CCOW_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<AdminHttpServer>(std::move(server));
}

Result<std::pair<int, std::string>> AdminRequest(const std::string& host, uint16_t port,
                                                 const std::string& method,
                                                 const std::string& target,
                                                 const std::string& authorization) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) socket.connect(tcp::endpoint(address, port), ec);
  if (ec)
    return Status::IOError("cannot reach the server's admin endpoint " + host + ":" +
                           std::to_string(port) + ": " + ec.message());
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host);
  req.set(http::field::authorization, authorization);
  req.prepare_payload();
  http::write(socket, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(socket, buffer, res, ec);
  if (ec) return Status::IOError("admin request to " + host + ": " + ec.message());
  return std::make_pair(static_cast<int>(res.result_int()), res.body());
}

}  // namespace ccow
