#include "daemon/node_registry.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace ccow::daemon {
namespace {

class NodeRegistry final : public Registry {
 public:
  explicit NodeRegistry(ClusterNode* node) : node_(node) {}
  std::shared_ptr<const ClusterState> current() override { return node_->current(); }
  std::shared_ptr<const ClusterState> WaitNewer(uint64_t after, std::chrono::milliseconds timeout) override {
    return node_->WaitNewer(after, timeout);
  }
  Status Propose(const ClusterCommand& command) override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      Status s = node_->Propose(command);
      // Only "no leader yet" is worth waiting for; everything else is the answer.
      if (s.code() != Code::kUnavailable || node_->info().role == "leader" ||
          std::chrono::steady_clock::now() > deadline)
        return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  ClusterNode* node_;
};

// A free loopback port for the Raft listener: raft_uv wants a concrete address.
Result<uint16_t> FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    int e = errno;
    ::close(fd);
    return Status::FromErrno(e, "bind a loopback port for Raft");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

std::unique_ptr<Registry> NewNodeRegistry(ClusterNode* node) { return std::make_unique<NodeRegistry>(node); }

Result<ServerRegistry> OpenServerRegistry(const std::string& data_dir) {
  CCOW_ASSIGN_OR_RETURN(uint16_t port, FreeLoopbackPort());
  ClusterNodeOptions o;
  o.id = 1;
  o.address = "127.0.0.1:" + std::to_string(port);
  o.dir = data_dir + "/raft";
  o.members = {{1, o.address, true}};
  // Alone, a member needs no election timeout worth the name.
  o.election_timeout_ms = 150;
  o.heartbeat_timeout_ms = 50;
  ServerRegistry r;
  CCOW_ASSIGN_OR_RETURN(r.node, ClusterNode::Start(o));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (r.node->info().role != "leader") {
    if (std::chrono::steady_clock::now() > deadline)
      return Status::Unavailable("the registry in " + o.dir + " did not elect itself within 10 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  r.registry = NewNodeRegistry(r.node.get());
  return r;
}

}  // namespace ccow::daemon
