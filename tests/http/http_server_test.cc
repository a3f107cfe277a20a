// The one HTTP server and client: routing input as the handlers see it, the client's
// timeouts, Stop against live connections, and the admin endpoint on top of the server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "http/http_client.h"
#include "http/http_server.h"
#include "server/admin_http.h"

namespace ccow::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A socket that listens but never accepts: the kernel completes the handshake, and then
// nothing ever answers (a stopped or hung daemon).
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }  // for a test that answers by hand

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST(HttpClient, SilentPeerTimesOutAsUnavailable) {
  SilentListener peer;
  auto start = Clock::now();
  auto res = Request("127.0.0.1", peer.port(), "GET", "/admin/status", {}, {},
                     ClientTimeouts{milliseconds(300), milliseconds(600)});
  auto took = Clock::now() - start;
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kUnavailable) << res.status().ToString();
  EXPECT_NE(res.status().message().find("127.0.0.1:" + std::to_string(peer.port())),
            std::string::npos)
      << res.status().ToString();
  EXPECT_GE(took, milliseconds(550));
  EXPECT_LT(took, milliseconds(3000));
}

// A HEAD answer carries the Content-Length of the GET it stands for and no body: the
// client reads the headers and is done (an S3 HEAD of an existing object, which it once
// waited on for bytes that never come, failing with "partial message").
TEST(HttpClient, HeadAnswerHasNoBody) {
  SilentListener peer;
  std::thread answer([fd = peer.fd()] {
    int c = ::accept(fd, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    (void)::recv(c, buf, sizeof buf, 0);
    const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 41943040\r\nx-amz-meta-v: 7\r\n\r\n";
    (void)::send(c, reply, sizeof reply - 1, 0);
    (void)::recv(c, buf, sizeof buf, 0);  // held open until the client closes
    ::close(c);
  });
  auto res = Request("127.0.0.1", peer.port(), "HEAD", "/b/k", {}, {},
                     ClientTimeouts{milliseconds(1000), milliseconds(2000)});
  answer.join();
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(res->body.empty());
  bool found = false;
  for (const auto& [k, v] : res->headers) found |= k == "x-amz-meta-v" && v == "7";
  EXPECT_TRUE(found);
}

TEST(HttpClient, AdminRequestHasTheBoundToo) {
  SilentListener peer;
  auto start = Clock::now();
  auto res = AdminRequest("127.0.0.1", peer.port(), "GET", "/admin/status", "Bearer x",
                          ClientTimeouts{milliseconds(200), milliseconds(400)});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kUnavailable);
  EXPECT_NE(res.status().message().find(std::to_string(peer.port())), std::string::npos);
  EXPECT_LT(Clock::now() - start, milliseconds(3000));
}

TEST(HttpClient, ClosedPortIsAnIOError) {
  uint16_t port;
  {
    SilentListener gone;
    port = gone.port();
  }
  auto res = Request("127.0.0.1", port, "GET", "/", {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kIOError) << res.status().ToString();
}

TEST(HttpServer, HandlerSeesTheParsedTarget) {
  HttpServerOptions o;
  o.port = 0;
  auto server = HttpServer::Start(o, [](HttpExchange& ex) {
    const HttpRequest& r = ex.request();
    std::string out = r.method + " " + r.path;
    for (const auto& p : r.parsed.query) out += "|" + p.name + "=" + p.value;
    out += "|auth=" + (r.Header("authorization") ? *r.Header("authorization") : "");
    (void)ex.Respond(200, {{"Content-Type", "text/plain"}, {"X-Test", "yes"}}, out);
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto res = Request("127.0.0.1", (*server)->port(), "PUT", "/b/a%20k?x=1&uploads&x=a+b%2B",
                     {{"Authorization", "token"}}, "body");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "PUT /b/a k|x=1|uploads=|x=a+b+|auth=token");
  bool found = false;
  for (const auto& [k, v] : res->headers) found |= k == "x-test" && v == "yes";
  EXPECT_TRUE(found);
}

// A streamed response whose handler fails part-way (a GET whose chunk cannot be read
// after the headers went out) closes the connection at once: the client sees a body short
// of its Content-Length, instead of waiting on a keep-alive connection for bytes that
// never come.
TEST(HttpServer, AStreamedResponseCutShortClosesTheConnection) {
  HttpServerOptions o;
  o.port = 0;
  auto server = HttpServer::Start(o, [](HttpExchange& ex) {
    auto sink = ex.StartResponse(200, {{"Content-Type", "application/octet-stream"}}, 100);
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(std::string(10, 'x')).ok());
    // ... and the handler gives up: no FinishResponse.
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((*server)->port());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req = "GET /o HTTP/1.1\r\nHost: x\r\n\r\n";  // keep-alive by default
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  const auto start = Clock::now();
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(n, 0) << "the connection stayed open (recv: " << std::strerror(errno) << ")";
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  const size_t body_at = got.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos) << got;
  EXPECT_EQ(got.substr(body_at + 4), std::string(10, 'x'));
}

// A handler blocked on a gate the test opens.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  bool entered = false;
  bool finished = false;

  void Enter() {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
  void WaitEntered() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
};

TEST(HttpServer, StopWaitsForConnectionThreads) {
  auto gate = std::make_shared<Gate>();
  HttpServerOptions o;
  o.port = 0;
  auto server = HttpServer::Start(o, [gate](HttpExchange& ex) {
    gate->Enter();
    std::this_thread::sleep_for(milliseconds(200));
    (void)ex.Respond(200, {}, "late");
    std::lock_guard lock(gate->mu);
    gate->finished = true;
  });
  ASSERT_TRUE(server.ok());
  std::thread client([port = (*server)->port()] { (void)Request("127.0.0.1", port, "GET", "/", {}); });
  gate->WaitEntered();
  EXPECT_EQ((*server)->active_connections(), 1u);
  gate->Open();
  (*server)->Stop();  // returns only once the connection thread is done
  EXPECT_EQ((*server)->active_connections(), 0u);
  {
    std::lock_guard lock(gate->mu);
    EXPECT_TRUE(gate->finished);
  }
  client.join();
}

TEST(HttpServer, AThreadOutlivingStopKeepsWhatItUses) {
  auto gate = std::make_shared<Gate>();
  HttpServerOptions o;
  o.port = 0;
  o.stop_wait_seconds = 1;
  auto server = HttpServer::Start(o, [gate](HttpExchange& ex) {
    gate->Enter();
    (void)ex.Respond(200, {}, "after stop");  // the socket is shut down by now: fails
    std::lock_guard lock(gate->mu);
    gate->finished = true;
    gate->cv.notify_all();
  });
  ASSERT_TRUE(server.ok());
  std::thread client([port = (*server)->port()] { (void)Request("127.0.0.1", port, "GET", "/", {}); });
  gate->WaitEntered();
  auto start = Clock::now();
  (*server)->Stop();
  EXPECT_LT(Clock::now() - start, milliseconds(3000));
  server->reset();  // the server object is gone; its connection thread is still inside
  gate->Open();
  {
    std::unique_lock lock(gate->mu);
    gate->cv.wait(lock, [&] { return gate->finished; });
  }
  client.join();
  std::this_thread::sleep_for(milliseconds(100));  // let the thread finish its close
}

TEST(HttpServer, AdminEndpointRoutes) {
  AdminHttpOptions o;
  o.port = 0;
  o.metrics = [] { return std::string("m 1\n"); };
  o.health = [] { return Status::Unavailable("store closed"); };
  o.admin = [](const std::string& method, const std::string& target, const std::string& auth) {
    return std::make_pair(201, "{\"m\":\"" + method + "\",\"t\":\"" + target + "\",\"a\":\"" + auth + "\"}");
  };
  auto server = AdminHttpServer::Bind(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  uint16_t port = (*server)->port();
  // Bound but not serving until RunUntilSignal: callers set up what the callbacks use
  // after Bind. The connection waits in the backlog.
  auto early = AdminRequest("127.0.0.1", port, "GET", "/metrics", "",
                            ClientTimeouts{milliseconds(300), milliseconds(300)});
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), Code::kUnavailable);
  std::atomic<int> sig{0};
  std::thread run([&] { sig = (*server)->RunUntilSignal(); });
  auto m = AdminRequest("127.0.0.1", port, "GET", "/metrics", "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->first, 200);
  EXPECT_EQ(m->second, "m 1\n");
  auto h = AdminRequest("127.0.0.1", port, "GET", "/health", "");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->first, 503);
  auto a = AdminRequest("127.0.0.1", port, "POST", "/admin/join?x=1", "Bearer t");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, 201);
  EXPECT_EQ(a->second, R"({"m":"POST","t":"/admin/join?x=1","a":"Bearer t"})");
  auto n = AdminRequest("127.0.0.1", port, "GET", "/nothing", "");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->first, 404);
  ::kill(::getpid(), SIGTERM);  // caught by RunUntilSignal, which stops the server
  run.join();
  EXPECT_EQ(sig, SIGTERM);
  EXPECT_FALSE(AdminRequest("127.0.0.1", port, "GET", "/health", "").ok());
}

}  // namespace
}  // namespace ccow::http
