// UDP unicast and multicast endpoints over plain POSIX sockets: one datagram per message,
// one receive thread per endpoint, woken through an eventfd to stop or to watch a newly
// joined group socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "replicast/network.h"
#include "replicast/socket_util.h"

namespace ccow::replicast {
namespace {

using internal::FormatIpPort;
using internal::ParseIpPort;

constexpr size_t kUdpMaxMessageBytes = 65000;
constexpr int kRecvBufBytes = 32 << 20;
constexpr int kSendBufBytes = 8 << 20;
constexpr int kSendTries = 8;               // on EAGAIN / ENOBUFS
constexpr int kMaxDatagramsPerWakeup = 64;  // then look at the other sockets again

// Large socket buffers absorb bursts (a train of pieces arriving at once). SO_*BUFFORCE
// passes the sysctl limits when the process may (CAP_NET_ADMIN); otherwise the kernel
// caps SO_*BUF at net.core.{r,w}mem_max.
void SetBuffers(int fd) {
  int rcv = kRecvBufBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) != 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  }
  int snd = kSendBufBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) != 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
  }
}

class UdpEndpoint final : public Endpoint {
 public:
  UdpEndpoint(int fd, int wake_fd, sockaddr_in bound, bool multicast, Handler handler)
      : fd_(fd),
        wake_fd_(wake_fd),
        bound_(bound),
        address_(FormatIpPort(bound)),
        multicast_(multicast),
        handler_(std::move(handler)) {}

  ~UdpEndpoint() override {
    stop_.store(true);
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
    if (thread_.joinable()) thread_.join();
    for (const Group& g : groups_) close(g.fd);
    close(fd_);
    close(wake_fd_);
  }

  void Start() {
    thread_ = std::thread([this] { ReceiveLoop(); });
  }

  const std::string& address() const override { return address_; }

  Status Send(const std::string& to, std::string_view message) override {
    return SendParts(to, std::span<const std::string_view>(&message, 1));
  }

  // One datagram gathered from the parts (sendmsg): no copy in user space.
  Status SendParts(const std::string& to, std::span<const std::string_view> parts) override {
    constexpr size_t kMaxParts = 8;
    size_t size = 0;
    for (std::string_view p : parts) size += p.size();
    if (size > kUdpMaxMessageBytes) {
      return Status::InvalidArgument("udp message of " + std::to_string(size) +
                                     " bytes to " + to + " exceeds the limit of " +
                                     std::to_string(kUdpMaxMessageBytes) + " bytes");
    }
    if (parts.size() > kMaxParts) return Endpoint::SendParts(to, parts);
    sockaddr_in dest{};
    CCOW_RETURN_IF_ERROR(ParseIpPort(to, &dest));
    iovec iov[kMaxParts];
    for (size_t i = 0; i < parts.size(); ++i)
      iov[i] = {const_cast<char*>(parts[i].data()), parts[i].size()};
    msghdr mh{};
    mh.msg_name = &dest;
    mh.msg_namelen = sizeof(dest);
    mh.msg_iov = iov;
    mh.msg_iovlen = parts.size();
    for (int attempt = 0;;) {
      ssize_t n = sendmsg(fd_, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) return Status::OK();
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
        if (++attempt >= kSendTries) {
          return Status::Unavailable("udp send from " + address_ + " to " + to +
                                     ": send buffer still full after " +
                                     std::to_string(kSendTries) + " tries (" +
                                     std::strerror(err) + ")");
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50 << attempt));
        continue;
      }
      return Status::FromErrno(err, "udp send from " + address_ + " to " + to);
    }
  }

  Status JoinGroup(const std::string& group) override {
    if (!multicast_) {
      return Status::Unsupported("udp endpoint " + address_ +
                                 " cannot join group " + group +
                                 ": the network was created without multicast "
                                 "(use the 'multicast' transport)");
    }
    sockaddr_in ga{};
    CCOW_RETURN_IF_ERROR(ParseIpPort(group, &ga));
    if (!IN_MULTICAST(ntohl(ga.sin_addr.s_addr))) {
      return Status::InvalidArgument("'" + group +
                                     "' is not a multicast group address (224.0.0.0/4)");
    }
    std::lock_guard<std::mutex> lock(groups_mu_);
    for (const Group& g : groups_) {
      if (g.name == group) return Status::OK();
    }
    int gfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (gfd < 0) return Status::FromErrno(errno, "socket for multicast group " + group);
    int one = 1;
    int zero = 0;
    (void)setsockopt(gfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    (void)setsockopt(gfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    // Only this group's traffic, not every group some socket on the host joined.
    (void)setsockopt(gfd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
    SetBuffers(gfd);
    // Bound to the group address itself so that groups sharing a port (every row uses
    // the same base port) stay apart; INADDR_ANY where the host refuses that.
    if (bind(gfd, reinterpret_cast<const sockaddr*>(&ga), sizeof(ga)) != 0) {
      sockaddr_in any = ga;
      any.sin_addr.s_addr = htonl(INADDR_ANY);
      if (bind(gfd, reinterpret_cast<const sockaddr*>(&any), sizeof(any)) != 0) {
        Status st = Status::FromErrno(errno, "bind multicast group socket " + group);
        close(gfd);
        return st;
      }
    }
    ip_mreq mreq{};
    mreq.imr_multiaddr = ga.sin_addr;
    mreq.imr_interface = bound_.sin_addr;  // 127.0.0.1 selects the loopback interface
    if (setsockopt(gfd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
      int err = errno;
      close(gfd);
      char ifip[INET_ADDRSTRLEN] = {0};
      inet_ntop(AF_INET, &bound_.sin_addr, ifip, sizeof(ifip));
      return Status::IOError("endpoint " + address_ + " cannot join multicast group " + group +
                             " on interface " + ifip + ": " + std::strerror(err) +
                             " (the host may not route multicast on that interface)");
    }
    groups_.push_back({group, gfd});
    uint64_t wake = 1;
    (void)!write(wake_fd_, &wake, sizeof(wake));  // the receive thread now polls gfd too
    return Status::OK();
  }

 private:
  struct Group {
    std::string name;
    int fd;
  };

  void ReceiveLoop() {
    std::vector<char> buf(64 * 1024);
    std::vector<pollfd> fds;
    while (!stop_.load()) {
      fds.clear();
      fds.push_back({wake_fd_, POLLIN, 0});
      fds.push_back({fd_, POLLIN, 0});
      {
        std::lock_guard<std::mutex> lock(groups_mu_);
        for (const Group& g : groups_) fds.push_back({g.fd, POLLIN, 0});
      }
      int n = poll(fds.data(), fds.size(), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        spdlog::warn("udp endpoint {}: poll: {}", address_, std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (stop_.load()) return;
      if (fds[0].revents != 0) {
        uint64_t v;
        (void)!read(wake_fd_, &v, sizeof(v));
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents != 0) Drain(fds[i].fd, buf);
        if (stop_.load()) return;
      }
    }
  }

  void Drain(int fd, std::vector<char>& buf) {
    for (int i = 0; i < kMaxDatagramsPerWakeup && !stop_.load(); ++i) {
      sockaddr_in from{};
      socklen_t from_len = sizeof(from);
      ssize_t n = recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) {
        int err = errno;
        if (err == EINTR) continue;
        // EAGAIN: drained. Anything else (an ICMP error queued on the socket) is not
        // about a message we could deliver; the next poll starts afresh.
        return;
      }
      if (static_cast<size_t>(n) > buf.size()) {
        spdlog::warn("udp endpoint {}: dropped a truncated datagram of {} bytes from {}",
                     address_, n, FormatIpPort(from));
        continue;
      }
      handler_(FormatIpPort(from), std::string_view(buf.data(), static_cast<size_t>(n)));
    }
  }

  const int fd_;
  const int wake_fd_;
  const sockaddr_in bound_;
  const std::string address_;
  const bool multicast_;
  const Handler handler_;
  std::atomic<bool> stop_{false};
  std::mutex groups_mu_;
  std::vector<Group> groups_;  // guarded by groups_mu_; closed after the thread is joined
  std::thread thread_;
};

class UdpNetwork final : public internal::RealNetworkBase {
 public:
  explicit UdpNetwork(bool multicast) : multicast_(multicast) {}

  const char* name() const override { return multicast_ ? "multicast" : "udp"; }
  size_t max_message_bytes() const override { return kUdpMaxMessageBytes; }

  Result<std::unique_ptr<Endpoint>> Bind(const std::string& address, Handler handler) override {
    sockaddr_in sa{};
    CCOW_RETURN_IF_ERROR(ParseIpPort(address, &sa));
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Status::FromErrno(errno, "udp socket for " + address);
    SetBuffers(fd);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0) {
      Status st = Status::FromErrno(errno, "bind udp " + address);
      close(fd);
      return st;
    }
    sockaddr_in bound{};
    socklen_t len = sizeof(bound);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      Status st = Status::FromErrno(errno, "getsockname udp " + address);
      close(fd);
      return st;
    }
    if (multicast_) {
      // Sends to a group address leave through the endpoint's own interface, and this
      // host's members of the group (other endpoints, other processes) hear them too.
      int one = 1;
      (void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
      if (bound.sin_addr.s_addr != htonl(INADDR_ANY)) {
        in_addr ifaddr = bound.sin_addr;
        if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof(ifaddr)) != 0) {
          spdlog::warn("udp endpoint {}: IP_MULTICAST_IF: {}", FormatIpPort(bound),
                       std::strerror(errno));
        }
      }
    }
    int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0) {
      Status st = Status::FromErrno(errno, "eventfd for udp endpoint " + address);
      close(fd);
      return st;
    }
    auto ep = std::make_unique<UdpEndpoint>(fd, wake_fd, bound, multicast_, std::move(handler));
    ep->Start();
    return std::unique_ptr<Endpoint>(std::move(ep));
  }

 private:
  const bool multicast_;
};

}  // namespace

std::unique_ptr<Network> NewUdpNetwork(bool multicast) {
  return std::make_unique<UdpNetwork>(multicast);
}

}  // namespace ccow::replicast
