#include "gateway/s3/http_server.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "gateway/s3/sigv4.h"

namespace ccow::s3 {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

void SplitTarget(const std::string& target, HttpRequest* req) {
  size_t q = target.find('?');
  std::string raw_path = target.substr(0, q);
  auto decoded = UriDecode(raw_path);
  req->path = decoded ? *decoded : raw_path;
  if (q == std::string::npos) return;
  std::string_view rest(target);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    auto dn = UriDecode(name);
    auto dv = UriDecode(value);
    req->query.emplace_back(dn ? *dn : std::string(name), dv ? *dv : std::string(value));
  }
}

// One exchange on a connection of stream type S (plain TCP or TLS).
template <typename S>
class Exchange : public HttpExchange, public ByteSource, public ByteSink {
 public:
  Exchange(S& stream, beast::flat_buffer& buffer, http::request_parser<http::buffer_body>& parser,
           HttpRequest request, bool expects_continue)
      : stream_(stream),
        buffer_(buffer),
        parser_(parser),
        request_(std::move(request)),
        expects_continue_(expects_continue) {
    if (!parser_.chunked() && parser_.content_length()) {
      raw_ = true;
      raw_remaining_ = *parser_.content_length();
    }
  }

  const HttpRequest& request() const override { return request_; }
  ByteSource& body() override { return *this; }
  bool responded() const override { return responded_; }
  bool body_done() const { return raw_ ? raw_remaining_ == 0 : parser_.is_done(); }
  bool broken() const { return broken_; }

  Result<size_t> Read(char* buf, size_t n) override {
    if (body_done() || n == 0) return size_t{0};
    if (broken_) return Status::IOError("connection closed");
    beast::error_code ec;
    if (expects_continue_ && !responded_) {
      expects_continue_ = false;
      http::response<http::empty_body> cont{http::status::continue_, 11};
      http::write(stream_, cont, ec);
      if (ec) return Fail(ec);
    }
    if (raw_) {
      // A body of known length is read straight into the caller's buffer: no copy out
      // of the parser's buffer, and one large read instead of many 64 KiB ones.
      size_t want = static_cast<size_t>(std::min<uint64_t>(n, raw_remaining_));
      size_t got = 0;
      if (buffer_.size() > 0) {
        got = asio::buffer_copy(asio::buffer(buf, want), buffer_.data());
        buffer_.consume(got);
      }
      while (got < want) {
        got += stream_.read_some(asio::buffer(buf + got, want - got), ec);
        if (ec) return Fail(ec);
      }
      raw_remaining_ -= got;
      return got;
    }
    parser_.get().body().data = buf;
    parser_.get().body().size = n;
    http::read(stream_, buffer_, parser_, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return Fail(ec);
    return n - parser_.get().body().size;
  }

  Status Respond(int status, const HeaderList& headers, std::string_view body) override {
    responded_ = true;
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    bool has_length = false;
    for (const auto& [k, v] : headers) {
      res.set(k, v);
      if (beast::iequals(k, "content-length")) has_length = true;
    }
    res.set(http::field::server, "ccow");
    res.keep_alive(keep_alive());
    res.body() = std::string(body);
    if (!has_length) res.prepare_payload();
    beast::error_code ec;
    if (has_length && body.empty()) {
      // HEAD: the length of what a GET would return, and no body.
      http::response_serializer<http::string_body> sr{res};
      sr.split(true);
      http::write_header(stream_, sr, ec);
    } else {
      http::write(stream_, res, ec);
    }
    if (ec) return Fail(ec);
    return Status::OK();
  }

  Result<ByteSink*> StartResponse(int status, const HeaderList& headers,
                                  uint64_t content_length) override {
    responded_ = true;
    stream_res_.emplace(static_cast<http::status>(status), 11);
    for (const auto& [k, v] : headers) stream_res_->set(k, v);
    stream_res_->set(http::field::server, "ccow");
    stream_res_->content_length(content_length);
    stream_res_->keep_alive(keep_alive());
    stream_res_->body().data = nullptr;
    stream_res_->body().more = true;
    serializer_.emplace(*stream_res_);
    beast::error_code ec;
    http::write_header(stream_, *serializer_, ec);
    if (ec) return Fail(ec);
    return static_cast<ByteSink*>(this);
  }

  Status Write(std::string_view data) override {
    if (broken_) return Status::IOError("connection closed");
    if (data.empty()) return Status::OK();
    stream_res_->body().data = const_cast<char*>(data.data());
    stream_res_->body().size = data.size();
    stream_res_->body().more = true;
    beast::error_code ec;
    http::write(stream_, *serializer_, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return Fail(ec);
    return Status::OK();
  }

  Status FinishResponse() override {
    if (broken_) return Status::IOError("connection closed");
    stream_res_->body().data = nullptr;
    stream_res_->body().size = 0;
    stream_res_->body().more = false;
    beast::error_code ec;
    http::write(stream_, *serializer_, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return Fail(ec);
    return Status::OK();
  }

  // A streamed response that failed part-way cannot be completed: close the connection.
  void MarkBroken() { broken_ = true; }

 private:
  bool keep_alive() const { return parser_.get().keep_alive() && body_done(); }

  Status Fail(const beast::error_code& ec) {
    broken_ = true;
    return Status::IOError("connection: " + ec.message());
  }

  S& stream_;
  beast::flat_buffer& buffer_;
  http::request_parser<http::buffer_body>& parser_;
  HttpRequest request_;
  bool expects_continue_;
  bool raw_ = false;  // Content-Length body, read past the parser
  uint64_t raw_remaining_ = 0;
  bool responded_ = false;
  bool broken_ = false;
  std::optional<http::response<http::buffer_body>> stream_res_;
  std::optional<http::response_serializer<http::buffer_body>> serializer_;
};

void SetSocketTimeouts(tcp::socket& socket, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

template <typename S>
void WriteSimpleError(S& stream, http::status status, const std::string& code,
                      const std::string& message) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "application/xml");
  res.set(http::field::server, "ccow");
  res.keep_alive(false);
  res.body() = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" +
               message + "</Message></Error>";
  res.prepare_payload();
  beast::error_code ec;
  http::write(stream, res, ec);
}

// Serves requests on one connection until it closes, errs, or the client stops keep-alive.
template <typename S>
void ServeConnection(S& stream, const HttpServerOptions& options, const HttpHandler& handler) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    beast::error_code ec;
    http::read_header(stream, buffer, parser, ec);
    if (ec == http::error::header_limit) {
      WriteSimpleError(stream, http::status::bad_request, "RequestHeaderSectionTooLarge",
                       "Your request header section exceeds the maximum allowed size.");
      return;
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset)
      return;
    if (ec) {
      if (ec.category() == beast::http::make_error_code(http::error::bad_method).category())
        WriteSimpleError(stream, http::status::bad_request, "BadRequest",
                         "The request could not be parsed: " + ec.message());
      return;
    }
    const auto& msg = parser.get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    SplitTarget(req.target, &req);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (auto len = parser.content_length()) req.content_length = *len;
    req.chunked_transfer = parser.chunked();
    bool expects_continue = beast::iequals(msg[http::field::expect], "100-continue");
    Exchange<S> exchange(stream, buffer, parser, std::move(req), expects_continue);
    try {
      handler(exchange);
    } catch (const std::exception& e) {
      // A bug in one request must not take the process down (this thread is detached):
      // the connection is in an unknown state, so it is dropped.
      spdlog::error("http {} {}: {}", exchange.request().method, exchange.request().target,
                    e.what());
      return;
    }
    if (!exchange.responded()) {
      (void)exchange.Respond(500, {{"Content-Type", "application/xml"}},
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError"
                       "</Code><Message>no response</Message></Error>");
    }
    // A connection whose request body was not consumed (a request refused early) cannot
    // carry another request: its remaining bytes would be parsed as one.
    if (exchange.broken() || !exchange.body_done() || !msg.keep_alive()) return;
  }
}

class HttpServerImpl : public HttpServer {
 public:
  HttpServerImpl(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)), acceptor_(io_) {}

  ~HttpServerImpl() override { Stop(); }

  Status Bind() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return Status::InvalidArgument("listen host '" + options_.host + "': " + ec.message());
    tcp::endpoint ep(address, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Status::IOError("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
      if (options_.tls_cert_file.empty() || options_.tls_key_file.empty())
        return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
      tls_.emplace(asio::ssl::context::tls_server);
      tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
      tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
      if (ec)
        return Status::InvalidArgument("TLS certificate " + options_.tls_cert_file + ": " +
                                       ec.message());
      tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
      if (ec)
        return Status::InvalidArgument("TLS key " + options_.tls_key_file + ": " + ec.message());
    }
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    return Status::OK();
  }

  uint16_t port() const override { return port_; }
  bool tls() const override { return tls_.has_value(); }

  void Stop() override {
    if (stopping_.exchange(true)) return;
    beast::error_code ec;
    // shutdown() wakes a thread blocked in accept(); close() alone does not on Linux.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    acceptor_.close(ec);
    if (accept_thread_.joinable()) accept_thread_.join();
    std::unique_lock lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return active_ == 0; });
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) {
        if (stopping_) return;
        // Out of descriptors and the like: back off instead of spinning.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      {
        std::lock_guard lock(mu_);
        if (active_ >= options_.max_connections) {
          WriteSimpleError(socket, http::status::service_unavailable, "SlowDown",
                           "Too many connections; reduce your request rate.");
          continue;
        }
        ++active_;
        open_fds_.insert(socket.native_handle());
      }
      socket.set_option(tcp::no_delay(true), ec);
      SetSocketTimeouts(socket, options_.idle_timeout_seconds);
      std::thread([this, s = std::move(socket)]() mutable { Serve(std::move(s)); }).detach();
    }
  }

  void Serve(tcp::socket socket) {
    int fd = socket.native_handle();
    if (tls_) {
      asio::ssl::stream<tcp::socket&> stream(socket, *tls_);
      beast::error_code ec;
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) {
        ServeConnection(stream, options_, handler_);
        stream.shutdown(ec);
      }
    } else {
      ServeConnection(socket, options_, handler_);
    }
    beast::error_code ec;
    // Lingering close (RFC 9112 §9.6): a client still sending a body we refused (a bad
    // signature, no such bucket) would get a reset, and lose the error response with it,
    // if the socket closed with its bytes unread. Half-close, then drain for a moment.
    socket.shutdown(tcp::socket::shutdown_send, ec);
    SetSocketTimeouts(socket, 1);
    auto linger_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    char discard[16384];
    while (std::chrono::steady_clock::now() < linger_until &&
           ::recv(fd, discard, sizeof discard, 0) > 0) {
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    std::lock_guard lock(mu_);
    open_fds_.erase(fd);
    socket.close(ec);
    --active_;
    cv_.notify_all();
  }

  HttpServerOptions options_;
  HttpHandler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::optional<asio::ssl::context> tls_;
  uint16_t port_ = 0;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  size_t active_ = 0;
  std::set<int> open_fds_;
};

}  // namespace

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

const std::string* HttpRequest::Query(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return &v;
  return nullptr;
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      HttpHandler handler) {
  auto server = std::make_unique<HttpServerImpl>(std::move(options), std::move(handler));
  CCOW_RETURN_IF_ERROR(server->Bind());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace ccow::s3
