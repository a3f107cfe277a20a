#include "http/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <vector>

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

// connect -> (TLS handshake) -> write -> read on `stream`, each bounded by the lowest
// layer's expiry: a timeout closes the socket and completes the pending operation with
// beast::error::timeout. *stage names the step that failed.
template <typename Stream, typename Handshake>
beast::error_code Exchange(asio::io_context& io, Stream& stream, const std::vector<tcp::endpoint>& endpoints,
                           Clock::time_point connect_deadline, Clock::time_point deadline,
                           bhttp::request<bhttp::string_body>& req, beast::flat_buffer& buffer,
                           bhttp::response_parser<bhttp::string_body>& parser, Handshake handshake,
                           const char** stage) {
  beast::error_code result;
  auto& lowest = beast::get_lowest_layer(stream);
  *stage = "connecting to";
  lowest.expires_at(connect_deadline);
  lowest.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e) {
      result = e;
      return;
    }
    lowest.expires_at(deadline);
    *stage = "a TLS handshake with";
    handshake([&](beast::error_code e) {
      if (e) {
        result = e;
        return;
      }
      *stage = "sending to";
      bhttp::async_write(stream, req, [&](beast::error_code e, size_t) {
        if (e) {
          result = e;
          return;
        }
        *stage = "waiting for the answer of";
        bhttp::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { result = e; });
      });
    });
  });
  io.run();
  return result;
}

}  // namespace

Result<ClientResponse> Request(const std::string& host, uint16_t port, std::string_view method,
                               std::string_view target, const HeaderList& headers,
                               std::string_view body, ClientTimeouts timeouts, const ClientTls* tls) {
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
  const bool is_ip = !ec;
  if (is_ip) {
    endpoints.emplace_back(address, port);
  } else {
    // A name ("localhost"): resolved from /etc/hosts or DNS, before the clock matters.
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return Status::InvalidArgument("cannot resolve " + where + ": " + ec.message());
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }

  bhttp::request<bhttp::string_body> req{verb, std::string(target), 11};
  req.set(bhttp::field::host, where);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::string(body);
  req.prepare_payload();
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxResponseBody);
  // A HEAD answer's Content-Length is the GET's: no body follows it.
  if (verb == bhttp::verb::head) parser.skip(true);

  const char* stage = "connecting to";
  beast::error_code result;
  if (tls) {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    ctx.load_verify_file(tls->ca_file, ec);
    if (ec) return Status::InvalidArgument("TLS CA file " + tls->ca_file + ": " + ec.message());
    if (!tls->cert_file.empty()) {
      ctx.use_certificate_chain_file(tls->cert_file, ec);
      if (ec) return Status::InvalidArgument("TLS certificate " + tls->cert_file + ": " + ec.message());
      ctx.use_private_key_file(tls->key_file, asio::ssl::context::pem, ec);
      if (ec) return Status::InvalidArgument("TLS key " + tls->key_file + ": " + ec.message());
    }
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    // The peer must be the host asked for: its name (SNI too) or its address.
    X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    }
    result = Exchange(io, stream, endpoints, connect_deadline, deadline, req, buffer, parser,
                      [&](auto done) { stream.async_handshake(asio::ssl::stream_base::client, done); }, &stage);
    if (!result) {
      beast::error_code ignored;
      beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
  } else {
    beast::tcp_stream stream(io);
    result = Exchange(io, stream, endpoints, connect_deadline, deadline, req, buffer, parser,
                      [&](auto done) { done(beast::error_code{}); }, &stage);
    if (!result) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
  }

  if (result == beast::error::timeout) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    return Status::Unavailable("timed out after " + std::to_string(ms) + " ms " + stage + " " +
                               where);
  }
  if (result) {
    bool connecting = std::string_view(stage) == "connecting to";
    return Status::IOError((connecting ? "cannot reach " : std::string(stage) + " ") + where + ": " +
                           result.message());
  }

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
