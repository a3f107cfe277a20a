// TCP endpoints over plain POSIX sockets.
//
// A connection carries messages one way, from the endpoint that connected to the one that
// listens. It opens with the sender's own listening address (u16 LE length + bytes), so
// the receiver's handler sees where replies go rather than an ephemeral port; then each
// message is framed as a u32 LE length + bytes. Outgoing connections are cached per
// destination and written under a per-connection mutex, so frames from concurrent
// senders never interleave. Incoming: an accept thread plus one reader thread per
// connection; an eventfd written at destruction wakes them all.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "replicast/message.h"
#include "replicast/network.h"
#include "replicast/socket_util.h"

namespace ccow::replicast {
namespace {

using internal::FormatIpPort;
using internal::ParseIpPort;

constexpr size_t kTcpMaxMessageBytes = 17 << 20;
static_assert(kTcpMaxMessageBytes >= kMaxMessageBytes,
              "a TCP frame must carry the largest Replicast message");
constexpr int kConnectTimeoutMs = 1000;
constexpr int kSendTimeoutSec = 5;  // a peer that stops reading cannot hold a sender forever
constexpr size_t kMaxAnnouncedAddress = 255;

void PutU32Le(uint32_t v, unsigned char* p) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
  p[2] = static_cast<unsigned char>(v >> 16);
  p[3] = static_cast<unsigned char>(v >> 24);
}

// Writes every byte of the iovecs (modified in place); an error Status otherwise.
Status WriteAll(int fd, iovec* iov, int iovcnt) {
  while (iovcnt > 0) {
    msghdr mh{};
    mh.msg_iov = iov;
    mh.msg_iovlen = static_cast<size_t>(iovcnt);
    ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        return Status::Unavailable("peer did not read for " + std::to_string(kSendTimeoutSec) +
                                   " s");
      }
      return Status::FromErrno(err, "write");
    }
    size_t left = static_cast<size_t>(n);
    while (iovcnt > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --iovcnt;
    }
    if (iovcnt > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return Status::OK();
}

// True when a cached outgoing connection has been closed or reset by its peer. Peers
// never write on these connections, so anything readable is EOF or an error.
bool PeerClosed(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  int n = poll(&p, 1, 0);
  return n > 0 && (p.revents & (POLLIN | POLLRDHUP | POLLERR | POLLHUP | POLLNVAL)) != 0;
}

// Reads exact byte counts from a blocking socket, returning false on EOF, error or stop
// (stop_fd readable).
class FrameReader {
 public:
  FrameReader(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd), buf_(64 * 1024) {}

  bool Read(char* out, size_t n) {
    while (n > 0) {
      if (pos_ < end_) {
        size_t k = std::min(n, end_ - pos_);
        std::memcpy(out, buf_.data() + pos_, k);
        pos_ += k;
        out += k;
        n -= k;
        continue;
      }
      if (!WaitReadable()) return false;
      // Large reads go straight to their destination; small ones through the buffer.
      bool direct = n >= buf_.size();
      ssize_t r = recv(fd_, direct ? out : buf_.data(), direct ? n : buf_.size(), 0);
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        error_ = errno;
        return false;
      }
      if (r == 0) return false;
      if (direct) {
        out += r;
        n -= static_cast<size_t>(r);
      } else {
        pos_ = 0;
        end_ = static_cast<size_t>(r);
      }
    }
    return true;
  }

  int error() const { return error_; }

 private:
  bool WaitReadable() {
    for (;;) {
      pollfd p[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      int n = poll(p, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      if (p[1].revents != 0) return false;
      if (p[0].revents != 0) return true;
    }
  }

  const int fd_;
  const int stop_fd_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  int error_ = 0;
};

class TcpEndpoint final : public Endpoint {
 public:
  TcpEndpoint(int listen_fd, int stop_fd, sockaddr_in bound, Handler handler)
      : listen_fd_(listen_fd),
        stop_fd_(stop_fd),
        bound_(bound),
        address_(FormatIpPort(bound)),
        handler_(std::move(handler)) {}

  ~TcpEndpoint() override {
    stop_.store(true);
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));  // never read back: stays readable
    if (accept_thread_.joinable()) accept_thread_.join();
    std::list<std::unique_ptr<Reader>> readers;
    {
      std::lock_guard<std::mutex> lock(readers_mu_);
      readers.swap(readers_);
    }
    for (auto& r : readers) {
      r->thread.join();
      close(r->fd);
    }
    {
      std::lock_guard<std::mutex> lock(out_mu_);
      for (auto& [to, conn] : out_) {
        std::lock_guard<std::mutex> conn_lock(conn->mu);
        if (conn->fd >= 0) close(conn->fd);
        conn->fd = -1;
      }
    }
    close(listen_fd_);
    close(stop_fd_);
  }

  void Start() {
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  const std::string& address() const override { return address_; }

  Status Send(const std::string& to, std::string_view message) override {
    return SendParts(to, std::span<const std::string_view>(&message, 1));
  }

  // One frame gathered from the parts (sendmsg): no copy in user space.
  Status SendParts(const std::string& to, std::span<const std::string_view> message) override {
    if (message.size() > kMaxFrameParts) return Endpoint::SendParts(to, message);
    size_t size = 0;
    for (std::string_view p : message) size += p.size();
    if (size > kTcpMaxMessageBytes) {
      return Status::InvalidArgument("tcp message of " + std::to_string(size) +
                                     " bytes to " + to + " exceeds the limit of " +
                                     std::to_string(kTcpMaxMessageBytes) + " bytes");
    }
    sockaddr_in dest{};
    CCOW_RETURN_IF_ERROR(ParseIpPort(to, &dest));
    std::shared_ptr<OutConn> conn;
    {
      std::lock_guard<std::mutex> lock(out_mu_);
      auto& slot = out_[to];
      if (!slot) slot = std::make_shared<OutConn>();
      conn = slot;
    }
    std::lock_guard<std::mutex> lock(conn->mu);
    bool fresh = false;
    if (conn->fd >= 0 && PeerClosed(conn->fd)) Drop(*conn);
    if (conn->fd < 0) {
      CCOW_RETURN_IF_ERROR(Connect(dest, to, *conn));
      fresh = true;
    }
    Status st = WriteFrame(conn->fd, message);
    if (st.ok()) return st;
    Drop(*conn);
    if (!fresh) {
      // The cached connection went stale (the peer restarted): once more on a new one.
      CCOW_RETURN_IF_ERROR(Connect(dest, to, *conn));
      st = WriteFrame(conn->fd, message);
      if (st.ok()) return st;
      Drop(*conn);
    }
    return Status::Unavailable("tcp send from " + address_ + " to " + to + ": " + st.message());
  }

 private:
  struct Reader {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  struct OutConn {
    std::mutex mu;
    int fd = -1;  // guarded by mu
  };

  static void Drop(OutConn& conn) {
    if (conn.fd >= 0) close(conn.fd);
    conn.fd = -1;
  }

  static constexpr size_t kMaxFrameParts = 8;
  static Status WriteFrame(int fd, std::span<const std::string_view> parts) {
    unsigned char header[4];
    size_t size = 0;
    for (std::string_view p : parts) size += p.size();
    PutU32Le(static_cast<uint32_t>(size), header);
    iovec iov[1 + kMaxFrameParts] = {{header, sizeof(header)}};
    int n = 1;
    for (std::string_view p : parts)
      if (!p.empty()) iov[n++] = {const_cast<char*>(p.data()), p.size()};
    return WriteAll(fd, iov, n);
  }

  // Connects with a timeout and sends the announcement; conn.fd is set on success.
  Status Connect(const sockaddr_in& dest, const std::string& to, OutConn& conn) {
    auto fail = [&](int fd, const std::string& what) {
      if (fd >= 0) close(fd);
      return Status::Unavailable("tcp connect from " + address_ + " to " + to + ": " + what);
    };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return fail(-1, std::string("socket: ") + std::strerror(errno));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&dest), sizeof(dest)) != 0) {
      if (errno != EINPROGRESS) return fail(fd, std::strerror(errno));
      pollfd p{fd, POLLOUT, 0};
      int n;
      do {
        n = poll(&p, 1, kConnectTimeoutMs);
      } while (n < 0 && errno == EINTR);
      if (n == 0) return fail(fd, "timed out after " + std::to_string(kConnectTimeoutMs) + " ms");
      if (n < 0) return fail(fd, std::string("poll: ") + std::strerror(errno));
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) return fail(fd, std::strerror(err));
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
      return fail(fd, std::string("fcntl: ") + std::strerror(errno));
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{kSendTimeoutSec, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

    // Announce where replies go. Bound to 0.0.0.0, that is this connection's local IP.
    std::string announce = address_;
    if (bound_.sin_addr.s_addr == htonl(INADDR_ANY)) {
      sockaddr_in local{};
      socklen_t len = sizeof(local);
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
        local.sin_port = bound_.sin_port;
        announce = FormatIpPort(local);
      }
    }
    unsigned char header[2] = {static_cast<unsigned char>(announce.size()),
                               static_cast<unsigned char>(announce.size() >> 8)};
    iovec iov[2] = {{header, sizeof(header)}, {announce.data(), announce.size()}};
    Status st = WriteAll(fd, iov, 2);
    if (!st.ok()) return fail(fd, st.message());
    conn.fd = fd;
    return Status::OK();
  }

  void AcceptLoop() {
    while (!stop_.load()) {
      pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      int n = poll(p, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        spdlog::warn("tcp endpoint {}: poll: {}", address_, std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (p[1].revents != 0 || stop_.load()) return;
      if (p[0].revents == 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        int err = errno;
        if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK || err == ECONNABORTED) continue;
        spdlog::warn("tcp endpoint {}: accept: {}", address_, std::strerror(err));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // e.g. EMFILE
        continue;
      }
      std::lock_guard<std::mutex> lock(readers_mu_);
      ReapFinishedReaders();
      auto reader = std::make_unique<Reader>();
      reader->fd = fd;
      Reader* r = reader.get();
      reader->thread = std::thread([this, r] {
        ReadLoop(r->fd);
        r->done.store(true);
      });
      readers_.push_back(std::move(reader));
    }
  }

  // Joins readers whose connection ended. Caller holds readers_mu_.
  void ReapFinishedReaders() {
    for (auto it = readers_.begin(); it != readers_.end();) {
      if ((*it)->done.load()) {
        (*it)->thread.join();
        close((*it)->fd);
        it = readers_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void ReadLoop(int fd) {
    FrameReader in(fd, stop_fd_);
    unsigned char len2[2];
    if (!in.Read(reinterpret_cast<char*>(len2), sizeof(len2))) return;
    size_t alen = static_cast<size_t>(len2[0]) | (static_cast<size_t>(len2[1]) << 8);
    if (alen == 0 || alen > kMaxAnnouncedAddress) {
      spdlog::warn("tcp endpoint {}: closing a connection that announced a {}-byte address",
                   address_, alen);
      return;
    }
    std::string peer(alen, '\0');
    if (!in.Read(peer.data(), alen)) return;
    std::string message;
    for (;;) {
      unsigned char len4[4];
      if (!in.Read(reinterpret_cast<char*>(len4), sizeof(len4))) break;
      uint32_t len = static_cast<uint32_t>(len4[0]) | (static_cast<uint32_t>(len4[1]) << 8) |
                     (static_cast<uint32_t>(len4[2]) << 16) |
                     (static_cast<uint32_t>(len4[3]) << 24);
      if (len > kTcpMaxMessageBytes) {
        spdlog::warn("tcp endpoint {}: closing the connection from {}: frame of {} bytes "
                     "exceeds the limit of {}",
                     address_, peer, len, kTcpMaxMessageBytes);
        break;
      }
      message.resize(len);
      if (!in.Read(message.data(), len)) break;
      if (stop_.load()) break;
      handler_(peer, message);
    }
    if (in.error() != 0 && !stop_.load()) {
      spdlog::debug("tcp endpoint {}: connection from {} ended: {}", address_, peer,
                    std::strerror(in.error()));
    }
    // Unblock the sender (it sees EOF on its next send and reconnects); fd is closed
    // once this thread is joined.
    shutdown(fd, SHUT_RDWR);
  }

  const int listen_fd_;
  const int stop_fd_;
  const sockaddr_in bound_;
  const std::string address_;
  const Handler handler_;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::mutex readers_mu_;
  std::list<std::unique_ptr<Reader>> readers_;  // guarded by readers_mu_
  std::mutex out_mu_;
  std::unordered_map<std::string, std::shared_ptr<OutConn>> out_;  // guarded by out_mu_
};

class TcpNetwork final : public internal::RealNetworkBase {
 public:
  const char* name() const override { return "tcp"; }
  size_t max_message_bytes() const override { return kTcpMaxMessageBytes; }

  Result<std::unique_ptr<Endpoint>> Bind(const std::string& address, Handler handler) override {
    sockaddr_in sa{};
    CCOW_RETURN_IF_ERROR(ParseIpPort(address, &sa));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Status::FromErrno(errno, "tcp socket for " + address);
    // A restarted node binds its port again while old connections sit in TIME_WAIT.
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0) {
      Status st = Status::FromErrno(errno, "bind tcp " + address);
      close(fd);
      return st;
    }
    if (listen(fd, SOMAXCONN) != 0) {
      Status st = Status::FromErrno(errno, "listen tcp " + address);
      close(fd);
      return st;
    }
    sockaddr_in bound{};
    socklen_t len = sizeof(bound);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      Status st = Status::FromErrno(errno, "getsockname tcp " + address);
      close(fd);
      return st;
    }
    int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0) {
      Status st = Status::FromErrno(errno, "eventfd for tcp endpoint " + address);
      close(fd);
      return st;
    }
    auto ep = std::make_unique<TcpEndpoint>(fd, stop_fd, bound, std::move(handler));
    ep->Start();
    return std::unique_ptr<Endpoint>(std::move(ep));
  }
};

}  // namespace

std::unique_ptr<Network> NewTcpNetwork() { return std::make_unique<TcpNetwork>(); }

}  // namespace ccow::replicast
