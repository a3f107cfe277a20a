#include "http/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace ccow::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMaxResponseBody = 64 << 20;

std::string Address(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

Result<ClientResponse> Request(const std::string& host, uint16_t port, std::string_view method,
                               std::string_view target, const HeaderList& headers,
                               std::string_view body, ClientTimeouts timeouts) {
  const std::string where = Address(host, port);
  bhttp::verb verb = bhttp::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb == bhttp::verb::unknown)
    return Status::InvalidArgument("HTTP method '" + std::string(method) + "'");
  const auto start = Clock::now();
  const auto deadline = start + timeouts.total;
  const auto connect_deadline = std::min(deadline, start + timeouts.connect);

  asio::io_context io;
  beast::error_code ec;
  std::vector<tcp::endpoint> endpoints;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoints.emplace_back(address, port);
  } else {
    // A name ("localhost"): resolved from /etc/hosts or DNS, before the clock matters.
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return Status::InvalidArgument("cannot resolve " + where + ": " + ec.message());
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }

  beast::tcp_stream stream(io);
  bhttp::request<bhttp::string_body> req{verb, std::string(target), 11};
  req.set(bhttp::field::host, where);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::string(body);
  req.prepare_payload();
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxResponseBody);

  // connect -> write -> read, each bounded by the stream's expiry: a timeout closes the
  // socket and completes the pending operation with beast::error::timeout.
  const char* stage = "connecting to";
  beast::error_code result;
  stream.expires_at(connect_deadline);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e) {
      result = e;
      return;
    }
    stage = "sending to";
    stream.expires_at(deadline);
    bhttp::async_write(stream, req, [&](beast::error_code e, size_t) {
      if (e) {
        result = e;
        return;
      }
      stage = "waiting for the answer of";
      bhttp::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { result = e; });
    });
  });
  io.run();

  if (result == beast::error::timeout) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    return Status::Unavailable("timed out after " + std::to_string(ms) + " ms " + stage + " " +
                               where);
  }
  if (result) {
    bool connecting = std::string_view(stage) == "connecting to";
    return Status::IOError((connecting ? "cannot reach " : "request to ") + where + ": " +
                           result.message());
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  ClientResponse out;
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace ccow::http
