// Routing, authentication and error rendering of the S3 gateway, and the gateway process
// object (HTTP server plus the lifecycle thread).
#include "gateway/s3/s3_gateway.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include "gateway/s3/s3_addressing.h"
#include "gateway/s3/s3_auth.h"
#include "gateway/s3/iso_date.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/xml_reader.h"
#include "http/http_server.h"

namespace ccow::s3 {

S3Error ErrorFromStatus(const Status& st, const char* not_found_code) {
  const std::string& m = st.message();
  // "SignatureDoesNotMatch: ..." from the body decoders keeps its S3 code.
  size_t colon = m.find(": ");
  if (colon != std::string::npos && colon > 3 && colon < 40) {
    std::string code = m.substr(0, colon);
    bool word = std::isupper(static_cast<unsigned char>(code[0]));
    for (char c : code) word = word && std::isalnum(static_cast<unsigned char>(c));
    if (word) {
      int status = code == "SignatureDoesNotMatch" || code == "AccessDenied" || code == "QuotaExceeded" ? 403 : 400;
      if (code == "InternalError") status = 500;
      return MakeError(status, code, m.substr(colon + 2));
    }
  }
  switch (st.code()) {
    case Code::kNotFound: return MakeError(404, not_found_code, m);
    case Code::kAlreadyExists: return MakeError(409, "BucketAlreadyOwnedByYou", m);
    case Code::kInvalidArgument: return MakeError(400, "InvalidArgument", m);
    case Code::kNoSpace: return MakeError(507, "InsufficientStorage", m);
    case Code::kBusy:
    case Code::kFenced:
    case Code::kConflict: return MakeError(503, "SlowDown", m);
    case Code::kUnsupported: return MakeError(501, "NotImplemented", m);
    case Code::kFailedPrecondition:
      return MakeError(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    case Code::kUnavailable: return MakeError(503, "ServiceUnavailable", m);
    case Code::kLocked:
    case Code::kPermissionDenied: return MakeError(403, "AccessDenied", m);
    case Code::kIOError:
      if (m.rfind("connection", 0) == 0) return MakeError(400, "IncompleteBody", m);
      return MakeError(500, "InternalError", m);
    default: return MakeError(500, "InternalError", m);
  }
}

std::string HttpDate(uint64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1000000000ull);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string IsoDate(uint64_t ns) { return FormatAwsDate(ns); }

std::optional<int64_t> ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end) end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

void LogIfFailed(const Status& st, const char* what) {
  if (!st.ok() && !st.IsNotFound()) spdlog::warn("s3 {}: {}", what, st.ToString());
}

S3Handler::S3Handler(std::shared_ptr<ObjectApi> api, std::shared_ptr<Registry> registry,
                     S3GatewayOptions options)
    : api_(std::move(api)),
      registry_(std::move(registry)),
      options_(std::move(options)),
      buckets_(*registry_, options_.segment),
      users_(*registry_, options_.segment) {
  if (!options_.access_log_dir.empty()) {
    auto spool = AccessLogSpool::Open(options_.access_log_dir);
    if (spool.ok()) access_log_ = std::move(*spool);
    else spdlog::error("s3 access logging is off: {}", spool.status().ToString());
  }
  Credentials c = options_.default_credentials;
  if (c.access_key.empty()) c = {kDefaultAccessKey, kDefaultSecretKey, kDefaultTenant};
  if (c.tenant.empty()) c.tenant = kDefaultTenant;
  users_.AddStatic(c);
}

S3GatewayStats S3Handler::stats() const {
  return {requests_.load(), errors_.load(), bytes_in_.load(), bytes_out_.load()};
}

void S3Handler::SendError(RequestContext& ctx, const S3Error& error, HeaderList headers) {
  errors_++;
  ctx.error_code = error.code;
  if (error.http_status >= 500)
    spdlog::warn("s3 {} {}: {} {}", ctx.req.method, ctx.req.target, error.code, error.message);
  else
    spdlog::debug("s3 {} {}: {} {}", ctx.req.method, ctx.req.target, error.code, error.message);
  headers.emplace_back("x-amz-request-id", ctx.request_id);
  for (auto& h : ctx.extra_headers) headers.push_back(h);
  // HEAD answers and 304 (HTTP forbids it a body) carry no error document.
  if (ctx.req.method == "HEAD" || error.http_status == 304) {
    headers.emplace_back("Content-Length", "0");
    (void)ctx.ex.Respond(error.http_status, headers, "");  // a dead connection is final
    return;
  }
  headers.emplace_back("Content-Type", "application/xml");
  std::string resource = ctx.req.path;
  (void)ctx.ex.Respond(error.http_status, headers, ErrorXml(error, resource, ctx.request_id));
}

void S3Handler::SendXml(RequestContext& ctx, int status, const std::string& xml,
                        HeaderList headers) {
  headers.emplace_back("x-amz-request-id", ctx.request_id);
  headers.emplace_back("Content-Type", "application/xml");
  for (auto& h : ctx.extra_headers) headers.push_back(h);
  bytes_out_ += xml.size();
  (void)ctx.ex.Respond(status, headers, xml);
}

void S3Handler::SendEmpty(RequestContext& ctx, int status, HeaderList headers) {
  headers.emplace_back("x-amz-request-id", ctx.request_id);
  for (auto& h : ctx.extra_headers) headers.push_back(h);
  (void)ctx.ex.Respond(status, headers, "");
}

namespace {

// The exchange a request is handled with: its access log record is spooled (LogAccess)
// before its answer starts, so no request is answered without one. A record that cannot
// be kept turns the answer into 503 SlowDown.
class LoggedExchange final : public HttpExchange {
 public:
  LoggedExchange(HttpExchange& inner, std::function<Status(int, uint64_t)> log) : inner_(inner), log_(std::move(log)) {}
  const HttpRequest& request() const override { return inner_.request(); }
  ByteSource& body() override { return inner_.body(); }
  Status Respond(int status, const HeaderList& headers, std::string_view body) override {
    if (!Logged(status, body.size())) return RespondUnlogged();
    return inner_.Respond(status, headers, body);
  }
  Result<ByteSink*> StartResponse(int status, const HeaderList& headers, uint64_t content_length) override {
    if (!Logged(status, content_length)) {
      CCOW_RETURN_IF_ERROR(RespondUnlogged());
      return Status::Unavailable("the access log record could not be spooled");
    }
    return inner_.StartResponse(status, headers, content_length);
  }
  Status FinishResponse() override { return inner_.FinishResponse(); }
  bool responded() const override { return inner_.responded(); }

 private:
  bool Logged(int status, uint64_t bytes) {
    if (logged_) return true;
    logged_ = true;
    return log_(status, bytes).ok();
  }
  Status RespondUnlogged() {
    return inner_.Respond(503, {{"Content-Type", "application/xml"}, {"Retry-After", "1"}},
                          ErrorXml(MakeError(503, "SlowDown", "The request could not be logged; retry it."),
                                   inner_.request().path, ""));
  }
  HttpExchange& inner_;
  std::function<Status(int, uint64_t)> log_;
  bool logged_ = false;
};

}  // namespace

void S3Handler::Handle(HttpExchange& raw) {
  requests_++;
  RequestContext* current = nullptr;
  LoggedExchange ex(raw, [this, &current](int status, uint64_t bytes) {
    return current ? LogAccess(*current, status, bytes) : Status::OK();
  });
  const HttpRequest& req = ex.request();
  char id[17];
  std::snprintf(id, sizeof id, "%016llx",
                static_cast<unsigned long long>(request_seq_.fetch_add(1) ^
                                                (std::chrono::steady_clock::now()
                                                     .time_since_epoch()
                                                     .count())));
  RequestContext ctx{ex, req, {}, {}, {}, {}, {}, id, {}, {}, {}, {}, NowNs()};
  current = &ctx;

  // Path style (/BUCKET/KEY), or virtual-hosted style (Host BUCKET.DOMAIN, path /KEY).
  if (req.path.empty() || req.path[0] != '/') {
    SendError(ctx, MakeError(400, "InvalidURI", "Couldn't parse the specified URI."));
    return;
  }
  const std::string* host = req.Header("host");
  S3Address address = ResolveAddress(req.path, host ? *host : std::string(), options_.domains);
  ctx.bucket = std::move(address.bucket);
  ctx.key = std::move(address.key);
  if (ctx.key.size() > 1024) {
    SendError(ctx, MakeError(400, "KeyTooLongError", "Your key is too long."));
    return;
  }
  // Keys are UTF-8 (S3's rule), which also keeps a bucket's system keys (0xFF: SnapView
  // records, model/object_name.h) out of reach.
  if (!xml::IsUtf8(ctx.key)) {
    SendError(ctx, MakeError(400, "InvalidURI", "Object keys must be UTF-8."));
    return;
  }

  // CORS preflight is unauthenticated by design: browsers send no credentials with it.
  if (req.method == "OPTIONS") {
    Preflight(ctx);
    return;
  }

  // The signature covers the query the router reads: the same parsed pairs. SigV2 signs
  // the bucket of a virtual-hosted request as part of the resource.
  SignedRequest signed_req{req.method, req.target, req.headers, &req.parsed,
                           address.virtual_host ? ctx.bucket : std::string()};
  VerifyOptions vo;
  vo.now_unix = static_cast<int64_t>(std::time(nullptr));
  S3Error auth = Authenticate(
      signed_req, [this](std::string_view ak) { return users_.Lookup(ak); }, vo, &ctx.auth);
  if (!auth.ok()) {
    SendError(ctx, auth);
    return;
  }
  if (!ctx.auth.anonymous)
    ctx.requester.account = ctx.auth.credentials.tenant.empty() ? std::string(kDefaultTenant)
                                                                : ctx.auth.credentials.tenant;
  ctx.tenant = ctx.requester.account;
  if (ctx.bucket.empty()) {
    // The service belongs to no one: an anonymous caller has no buckets to list.
    if (ctx.auth.anonymous) {
      SendError(ctx, MakeError(403, "AccessDenied", "Access Denied"));
      return;
    }
    if (req.method != "GET") {
      SendError(ctx, MakeError(405, "MethodNotAllowed",
                               "The specified method is not allowed against this resource."));
      return;
    }
    ListBuckets(ctx);
    return;
  }
  BucketRequest(ctx);
}

namespace {

class S3GatewayImpl : public S3Gateway {
 public:
  S3GatewayImpl(std::shared_ptr<ObjectApi> api, std::shared_ptr<Registry> registry, S3GatewayOptions options)
      : options_(options), handler_(std::make_shared<S3Handler>(std::move(api), std::move(registry), options)) {}

  ~S3GatewayImpl() override { Stop(); }

  Status Start() {
    http::HttpServerOptions ho;
    ho.host = options_.host;
    ho.port = options_.port;
    ho.tls_cert_file = options_.tls_cert_file;
    ho.tls_key_file = options_.tls_key_file;
    ho.max_connections = options_.max_connections;
    auto handler = handler_;
    CCOW_ASSIGN_OR_RETURN(server_,
                          http::HttpServer::Start(ho, [handler](HttpExchange& ex) { handler->Handle(ex); }));
    lifecycle_ = std::thread([this] { LifecycleLoop(); });
    access_log_ = std::thread([this] { AccessLogLoop(); });
    return Status::OK();
  }

  uint16_t port() const override { return server_->port(); }
  bool tls() const override { return server_->tls(); }
  S3GatewayStats stats() const override { return handler_->stats(); }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_all();
    if (lifecycle_.joinable()) lifecycle_.join();
    if (access_log_.joinable()) access_log_.join();
    if (server_) server_->Stop();
    // Every answered request's record is spooled; deliver what the last interval left.
    handler_->FlushAccessLogs();
  }

 private:
  void LifecycleLoop() {
    std::unique_lock lock(mu_);
    while (!stopped_) {
      cv_.wait_for(lock, std::chrono::seconds(options_.lifecycle_interval_seconds),
                   [&] { return stopped_; });
      if (stopped_) return;
      lock.unlock();
      handler_->RunLifecycle();
      lock.lock();
    }
  }

  void AccessLogLoop() {
    std::unique_lock lock(mu_);
    while (!stopped_) {
      cv_.wait_for(lock, std::chrono::seconds(options_.access_log_flush_seconds), [&] { return stopped_; });
      if (stopped_) return;
      lock.unlock();
      handler_->FlushAccessLogs();
      lock.lock();
    }
  }

  S3GatewayOptions options_;
  std::shared_ptr<S3Handler> handler_;
  std::unique_ptr<http::HttpServer> server_;
  std::thread lifecycle_;
  std::thread access_log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace

Result<std::unique_ptr<S3Gateway>> S3Gateway::Start(std::shared_ptr<ObjectApi> api,
                                                    std::shared_ptr<Registry> registry,
                                                    S3GatewayOptions options) {
  CCOW_ASSIGN_OR_RETURN(options.domains, NormalizeDomains(options.domains));
  auto gw = std::make_unique<S3GatewayImpl>(std::move(api), std::move(registry), std::move(options));
  CCOW_RETURN_IF_ERROR(gw->Start());
  return std::unique_ptr<S3Gateway>(std::move(gw));
}

}  // namespace ccow::s3
