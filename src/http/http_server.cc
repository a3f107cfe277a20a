#include "http/http_server.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

namespace ccow::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// One exchange on a connection of stream type S (plain TCP or TLS).
template <typename S>
class Exchange : public HttpExchange, public ByteSource, public ByteSink {
 public:
  Exchange(S& stream, beast::flat_buffer& buffer, bhttp::request_parser<bhttp::buffer_body>& parser,
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
  // Broken, or a streamed response left short of its Content-Length (the handler failed
  // part-way): either way the connection must close, which is how the client learns.
  bool broken() const { return broken_ || stream_unfinished_; }

  Result<size_t> Read(char* buf, size_t n) override {
    if (body_done() || n == 0) return size_t{0};
    if (broken_) return Status::IOError("connection closed");
    beast::error_code ec;
    if (expects_continue_ && !responded_) {
      expects_continue_ = false;
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      bhttp::write(stream_, cont, ec);
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
    bhttp::read(stream_, buffer_, parser_, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) return Fail(ec);
    return n - parser_.get().body().size;
  }

  Status Respond(int status, const HeaderList& headers, std::string_view body) override {
    responded_ = true;
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    bool has_length = false;
    for (const auto& [k, v] : headers) {
      res.set(k, v);
      if (beast::iequals(k, "content-length")) has_length = true;
    }
    res.set(bhttp::field::server, "ccow");
    res.keep_alive(keep_alive());
    res.body() = std::string(body);
    if (!has_length) res.prepare_payload();
    beast::error_code ec;
    if (has_length && body.empty()) {
      // HEAD: the length of what a GET would return, and no body.
      bhttp::response_serializer<bhttp::string_body> sr{res};
      sr.split(true);
      bhttp::write_header(stream_, sr, ec);
    } else {
      bhttp::write(stream_, res, ec);
    }
    if (ec) return Fail(ec);
    return Status::OK();
  }

  Result<ByteSink*> StartResponse(int status, const HeaderList& headers,
                                  uint64_t content_length) override {
    responded_ = true;
    stream_res_.emplace(static_cast<bhttp::status>(status), 11);
    for (const auto& [k, v] : headers) stream_res_->set(k, v);
    stream_res_->set(bhttp::field::server, "ccow");
    stream_res_->content_length(content_length);
    stream_res_->keep_alive(keep_alive());
    stream_res_->body().data = nullptr;
    stream_res_->body().more = true;
    serializer_.emplace(*stream_res_);
    stream_unfinished_ = true;
    beast::error_code ec;
    bhttp::write_header(stream_, *serializer_, ec);
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
    bhttp::write(stream_, *serializer_, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) return Fail(ec);
    return Status::OK();
  }

  Status FinishResponse() override {
    if (broken_) return Status::IOError("connection closed");
    stream_res_->body().data = nullptr;
    stream_res_->body().size = 0;
    stream_res_->body().more = false;
    beast::error_code ec;
    bhttp::write(stream_, *serializer_, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) return Fail(ec);
    stream_unfinished_ = false;
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
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  HttpRequest request_;
  bool expects_continue_;
  bool raw_ = false;  // Content-Length body, read past the parser
  uint64_t raw_remaining_ = 0;
  bool responded_ = false;
  bool broken_ = false;
  bool stream_unfinished_ = false;
  std::optional<bhttp::response<bhttp::buffer_body>> stream_res_;
  std::optional<bhttp::response_serializer<bhttp::buffer_body>> serializer_;
};

void SetSocketTimeouts(tcp::socket& socket, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

template <typename S>
void WriteSimpleError(S& stream, bhttp::status status, const std::string& code,
                      const std::string& message) {
  bhttp::response<bhttp::string_body> res{status, 11};
  res.set(bhttp::field::content_type, "application/xml");
  res.set(bhttp::field::server, "ccow");
  res.keep_alive(false);
  res.body() = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" +
               message + "</Message></Error>";
  res.prepare_payload();
  beast::error_code ec;
  bhttp::write(stream, res, ec);
}

// Serves requests on one connection until it closes, errs, or the client stops keep-alive.
template <typename S>
void ServeConnection(S& stream, const HttpServerOptions& options, const HttpHandler& handler,
                     const std::string& remote_address, bool secure) {
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::buffer_body> parser;
    parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    beast::error_code ec;
    bhttp::read_header(stream, buffer, parser, ec);
    if (ec == bhttp::error::header_limit) {
      WriteSimpleError(stream, bhttp::status::bad_request, "RequestHeaderSectionTooLarge",
                       "Your request header section exceeds the maximum allowed size.");
      return;
    }
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset)
      return;
    if (ec) {
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
        WriteSimpleError(stream, bhttp::status::bad_request, "BadRequest",
                         "The request could not be parsed: " + ec.message());
      return;
    }
    const auto& msg = parser.get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.parsed = ParseTarget(req.target);
    req.path = req.parsed.path;
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (auto len = parser.content_length()) req.content_length = *len;
    req.chunked_transfer = parser.chunked();
    req.remote_address = remote_address;
    req.secure = secure;
    bool expects_continue = beast::iequals(msg[bhttp::field::expect], "100-continue");
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

// What the connection threads use. Each holds a reference, so a thread that outlives
// Stop's bounded wait never touches freed memory.
struct ServerState {
  ServerState(HttpServerOptions o, HttpHandler h) : options(std::move(o)), handler(std::move(h)) {}

  const HttpServerOptions options;
  const HttpHandler handler;
  asio::io_context io;  // the sockets' services; outlives every socket
  std::optional<asio::ssl::context> tls;
  std::mutex mu;
  std::condition_variable cv;
  size_t active = 0;        // connections being served (threads not yet finished)
  std::set<int> open_fds;   // their sockets, for Stop to shut down
  bool stopping = false;
};

// One connection's thread owns this. Members go in reverse order: the socket, which
// needs the io_context's services even when closed, before the state that holds them.
struct Connection {
  std::shared_ptr<ServerState> state;
  tcp::socket socket;
};

void RunConnection(Connection& c) {
  const std::shared_ptr<ServerState>& state = c.state;
  tcp::socket& socket = c.socket;
  int fd = socket.native_handle();
  beast::error_code ec;
  std::string remote;
  if (auto peer = socket.remote_endpoint(ec); !ec) {
    asio::ip::address a = peer.address();
    // An IPv4 client of a dual-stack socket is the IPv4 address, as policies name it.
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    remote = a.to_string();
  }
  ec = {};
  if (state->tls) {
    asio::ssl::stream<tcp::socket&> stream(socket, *state->tls);
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (!ec) {
      ServeConnection(stream, state->options, state->handler, remote, true);
      stream.shutdown(ec);
    } else if (!state->options.tls_client_ca_file.empty()) {
      // An endpoint of mutual TLS: a peer without a certificate of its CA is worth a line.
      spdlog::warn("http {}:{}: TLS handshake with {} refused: {}", state->options.host, state->options.port, remote,
                   ec.message());
    }
  } else {
    ServeConnection(socket, state->options, state->handler, remote, false);
  }
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
  std::lock_guard lock(state->mu);
  state->open_fds.erase(fd);  // before close: the number may be reused at once
  socket.close(ec);
  --state->active;
  state->cv.notify_all();
}

class HttpServerImpl : public HttpServer {
 public:
  HttpServerImpl(HttpServerOptions options, HttpHandler handler)
      : state_(std::make_shared<ServerState>(std::move(options), std::move(handler))),
        acceptor_(state_->io) {}

  ~HttpServerImpl() override { Stop(); }

  Status Bind() {
    const HttpServerOptions& options = state_->options;
    beast::error_code ec;
    auto address = asio::ip::make_address(options.host, ec);
    if (ec) return Status::InvalidArgument("listen host '" + options.host + "': " + ec.message());
    tcp::endpoint ep(address, options.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Status::IOError("cannot listen on " + options.host + ":" +
                             std::to_string(options.port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
      if (options.tls_cert_file.empty() || options.tls_key_file.empty())
        return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
      auto& tls = state_->tls.emplace(asio::ssl::context::tls_server);
      tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1);
      tls.use_certificate_chain_file(options.tls_cert_file, ec);
      if (ec)
        return Status::InvalidArgument("TLS certificate " + options.tls_cert_file + ": " +
                                       ec.message());
      tls.use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
      if (ec)
        return Status::InvalidArgument("TLS key " + options.tls_key_file + ": " + ec.message());
      if (!options.tls_client_ca_file.empty()) {
        tls.load_verify_file(options.tls_client_ca_file, ec);
        if (ec)
          return Status::InvalidArgument("TLS client CA " + options.tls_client_ca_file + ": " + ec.message());
        tls.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
      }
    } else if (!options.tls_client_ca_file.empty()) {
      return Status::InvalidArgument("a client CA needs TLS (a certificate and its key)");
    }
    return Status::OK();
  }

  void Serve() override {
    std::lock_guard lock(state_->mu);
    if (state_->stopping || accept_thread_.joinable()) return;
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  uint16_t port() const override { return port_; }
  bool tls() const override { return state_->tls.has_value(); }

  size_t active_connections() const override {
    std::lock_guard lock(state_->mu);
    return state_->active;
  }

  void Stop() override {
    if (stopping_.exchange(true)) return;
    beast::error_code ec;
    // shutdown() wakes a thread blocked in accept(); close() alone does not on Linux.
    {
      std::lock_guard lock(state_->mu);
      state_->stopping = true;  // no Serve from here on
    }
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    if (accept_thread_.joinable()) accept_thread_.join();
    acceptor_.close(ec);
    std::unique_lock lock(state_->mu);
    for (int fd : state_->open_fds) ::shutdown(fd, SHUT_RDWR);
    bool done = state_->cv.wait_for(lock, std::chrono::seconds(state_->options.stop_wait_seconds),
                                    [&] { return state_->active == 0; });
    if (!done)
      spdlog::warn("http {}:{}: stopped with {} connection(s) still finishing", state_->options.host,
                   port_, state_->active);
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      tcp::socket socket(state_->io);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) {
        if (stopping_) return;
        // Out of descriptors and the like: back off instead of spinning.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      {
        std::lock_guard lock(state_->mu);
        if (state_->stopping) return;
        if (state_->active >= state_->options.max_connections) {
          WriteSimpleError(socket, bhttp::status::service_unavailable, "SlowDown",
                           "Too many connections; reduce your request rate.");
          continue;
        }
        ++state_->active;
        state_->open_fds.insert(socket.native_handle());
      }
      socket.set_option(tcp::no_delay(true), ec);
      SetSocketTimeouts(socket, state_->options.idle_timeout_seconds);
      int fd = socket.native_handle();
      try {
        auto c = std::make_unique<Connection>(Connection{state_, std::move(socket)});
        std::thread([c = std::move(c)] { RunConnection(*c); }).detach();
      } catch (const std::system_error& e) {
        // No thread for it (a resource limit): the lambda, and the socket in it, are gone.
        spdlog::warn("http: cannot start a connection thread: {}", e.what());
        std::lock_guard lock(state_->mu);
        state_->open_fds.erase(fd);
        --state_->active;
        state_->cv.notify_all();
      }
    }
  }

  std::shared_ptr<ServerState> state_;
  tcp::acceptor acceptor_;  // after state_: closed before the io_context goes
  uint16_t port_ = 0;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

Result<std::unique_ptr<HttpServer>> HttpServer::Listen(HttpServerOptions options,
                                                       HttpHandler handler) {
  auto server = std::make_unique<HttpServerImpl>(std::move(options), std::move(handler));
  CCOW_RETURN_IF_ERROR(server->Bind());
  return std::unique_ptr<HttpServer>(std::move(server));
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      HttpHandler handler) {
  CCOW_ASSIGN_OR_RETURN(auto server, Listen(std::move(options), std::move(handler)));
  server->Serve();
  return Result<std::unique_ptr<HttpServer>>(std::move(server));
}

struct StopSignals::Impl {
  asio::io_context io;
  asio::signal_set signals{io, SIGINT, SIGTERM};
};

StopSignals::StopSignals() : impl_(std::make_unique<Impl>()) {}
StopSignals::~StopSignals() = default;

int StopSignals::Wait() {
  int signal = 0;
  impl_->signals.async_wait([&](const beast::error_code& ec, int sig) {
    if (!ec) signal = sig;
  });
  impl_->io.run();
  impl_->io.restart();
  return signal;
}

}  // namespace ccow::http
