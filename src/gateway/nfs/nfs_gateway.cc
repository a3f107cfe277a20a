// The NFS gateway's server loop and its MOUNT protocol (RFC 1813 appendix I).
#include "gateway/nfs/nfs_gateway.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <vector>

#include "gateway/nfs/nfs_gateway_impl.h"

namespace ccow::nfs {

namespace internal {

thread_local Call current;

Status Gateway::Checkpoint() {
  auto r = volume.Checkpoint();
  if (!r.ok()) spdlog::error("ccow gateway nfs: checkpoint failed: {}", r.status().ToString());
  last_checkpoint = r.status();
  if (r.ok()) dirty = false;
  return r.status();
}

std::optional<Credentials> Caller(rpc_msg* call) {
  const Gateway& g = *current.gateway;
  if (!g.options.rules.Allows(current.peer)) return std::nullopt;
  const opaque_auth& auth = call->body.cbody.cred;
  // RFC 5531 caps a credential at 400 bytes; libnfs 4.0.0's decoder does not check a
  // length against the request's end.
  if (auth.oa_flavor != AUTH_UNIX || auth.oa_length > 400) return std::nullopt;
  auto c = DecodeAuthSys(std::string_view(auth.oa_base, auth.oa_length));
  if (!c) return std::nullopt;
  return g.options.rules.Squash(std::move(*c));
}

namespace {

int MountNull(rpc_context* rpc, rpc_msg* call) { return rpc_send_reply(rpc, call, nullptr, (zdrproc_t)zdr_void, 0); }

int MountMnt(rpc_context* rpc, rpc_msg* call) {
  Gateway& g = *current.gateway;
  const char* path = *static_cast<dirpath*>(call->body.cbody.args);
  mountres3 res{};
  int flavors[1] = {AUTH_UNIX};
  std::string root_handle;  // encoded into the reply before this returns
  std::string asked = path ? path : "";
  while (asked.size() > 1 && asked.back() == '/') asked.pop_back();
  if (!Caller(call)) {
    res.fhs_status = MNT3ERR_ACCES;
  } else if (asked != g.options.export_path) {
    res.fhs_status = MNT3ERR_NOENT;
  } else {
    auto root = g.volume.GetAttr(fs::kRootIno);
    if (!root.ok()) {
      res.fhs_status = MNT3ERR_IO;
    } else {
      root_handle = FileHandle{g.fsid, fs::kRootIno, root->generation}.Encode();
      res.fhs_status = MNT3_OK;
      res.mountres3_u.mountinfo.fhandle.fhandle3_len = static_cast<u_int>(root_handle.size());
      res.mountres3_u.mountinfo.fhandle.fhandle3_val = root_handle.data();
      res.mountres3_u.mountinfo.auth_flavors.auth_flavors_len = 1;
      res.mountres3_u.mountinfo.auth_flavors.auth_flavors_val = flavors;
    }
  }
  return rpc_send_reply(rpc, call, &res, (zdrproc_t)zdr_mountres3, 512);
}

int MountUmnt(rpc_context* rpc, rpc_msg* call) { return rpc_send_reply(rpc, call, nullptr, (zdrproc_t)zdr_void, 0); }

int MountExport(rpc_context* rpc, rpc_msg* call) {
  Gateway& g = *current.gateway;
  std::string dir = g.options.export_path;
  exportnode node{};
  node.ex_dir = dir.data();
  exports list = &node;
  return rpc_send_reply(rpc, call, &list, (zdrproc_t)zdr_exports, static_cast<int>(dir.size()) + 512);
}

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

struct Connection {
  rpc_context* rpc = nullptr;
  uint32_t peer = 0;
};

void Serve(Gateway& g) {
  current.gateway = &g;
  std::vector<Connection> conns;
  g.next_checkpoint_ns = NowNs() + g.options.checkpoint_interval_ns;
  while (!g.stopping.load()) {
    std::vector<pollfd> fds;
    fds.push_back({g.listen_fd, POLLIN, 0});
    fds.push_back({g.wake_fd, POLLIN, 0});
    for (const Connection& c : conns) fds.push_back({rpc_get_fd(c.rpc), static_cast<short>(rpc_which_events(c.rpc)), 0});
    const uint64_t now = NowNs();
    const int timeout_ms =
        g.next_checkpoint_ns > now ? static_cast<int>(std::min<uint64_t>((g.next_checkpoint_ns - now) / 1'000'000 + 1, 1000)) : 0;
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      spdlog::error("ccow gateway nfs: poll failed: {}", std::strerror(errno));
      break;
    }
    // Served before new connections are taken: fds[i + 2] is conns[i].
    std::vector<Connection> kept;
    for (size_t i = 0; i < conns.size(); ++i) {
      const short revents = fds[i + 2].revents;
      current.peer = conns[i].peer;
      int served = 0;
      if (revents != 0) {
        // The volume's mutex for the calls this runs: other gateways of the process may
        // serve the volume too (fs/volume_host.h).
        std::lock_guard lock(g.shared->mu);
        served = rpc_service(conns[i].rpc, revents);
      }
      if (served < 0) {
        rpc_destroy_context(conns[i].rpc);  // closes its socket
        continue;
      }
      kept.push_back(conns[i]);
    }
    conns = std::move(kept);
    if (fds[0].revents & POLLIN) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      const int fd = accept4(g.listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        // The connection stays queued and the listening socket readable: without a pause
        // the loop would spin until a descriptor is freed.
        spdlog::warn("ccow gateway nfs: cannot accept a connection: {}", std::strerror(errno));
        poll(nullptr, 0, 100);
      }
      if (fd >= 0) {
        const uint32_t address = ntohl(peer.sin_addr.s_addr);
        if (!g.options.rules.Allows(address)) {
          spdlog::warn("ccow gateway nfs: refused a connection from {}: not in the export's networks",
                       Network{address, 32}.ToString());
          close(fd);
        } else if (rpc_context* rpc = rpc_init_server_context(fd)) {
          // Both programs on every connection: one port serves MOUNT and NFS.
          rpc_register_service(rpc, MOUNT_PROGRAM, MOUNT_V3, kMountProcs, kMountProcCount);
          rpc_register_service(rpc, NFS_PROGRAM, NFS_V3, kNfs3Procs, kNfs3ProcCount);
          conns.push_back({rpc, address});
        } else {
          close(fd);
        }
      }
    }
    if (NowNs() >= g.next_checkpoint_ns) {
      std::lock_guard lock(g.shared->mu);
      if (g.dirty) (void)g.Checkpoint();
      g.next_checkpoint_ns = NowNs() + g.options.checkpoint_interval_ns;
    }
  }
  for (Connection& c : conns) rpc_destroy_context(c.rpc);
}

}  // namespace

service_proc kMountProcs[] = {
    {MOUNT3_NULL, MountNull, (zdrproc_t)zdr_void, 0},
    CCOW_NFS_PROC(MOUNT3_MNT, MountMnt, dirpath),
    CCOW_NFS_PROC(MOUNT3_UMNT, MountUmnt, dirpath),
    {MOUNT3_EXPORT, MountExport, (zdrproc_t)zdr_void, 0},
};
const int kMountProcCount = sizeof kMountProcs / sizeof kMountProcs[0];

}  // namespace internal

struct NfsGateway::State {
  State(std::shared_ptr<fs::SharedVolume> v, NfsOptions o) : g(std::move(v), std::move(o)) {}
  internal::Gateway g;
  bool stopped = false;
  int wake_write = -1;
};

NfsGateway::NfsGateway(std::unique_ptr<State> state) : state_(std::move(state)) {}

NfsGateway::~NfsGateway() { (void)Stop(); }

uint16_t NfsGateway::port() const { return state_->g.port; }

Result<std::unique_ptr<NfsGateway>> NfsGateway::Start(std::shared_ptr<fs::SharedVolume> volume, NfsOptions options) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(options.port);
  if (inet_pton(AF_INET, options.host.c_str(), &sa.sin_addr) != 1)
    return Status::InvalidArgument("listen host '" + options.host + "' is not an IPv4 address");
  if (options.export_path.empty() || options.export_path[0] != '/')
    return Status::InvalidArgument("the export path must start with '/' (got '" + options.export_path + "')");
  if (options.checkpoint_interval_ns == 0) return Status::InvalidArgument("the checkpoint interval must be more than 0");
  auto state = std::make_unique<State>(std::move(volume), std::move(options));
  internal::Gateway& g = state->g;
  g.fsid = FsidOf(g.options.export_path);
  std::random_device rd;
  for (char& c : g.verifier) c = static_cast<char>(rd());
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 64) != 0) {
    const int e = errno;
    close(fd);
    return Status::IOError("cannot listen on " + g.options.host + ":" + std::to_string(g.options.port) + ": " +
                           std::strerror(e));
  }
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  g.listen_fd = fd;
  g.port = ntohs(sa.sin_port);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(fd);
    return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  }
  g.wake_fd = pipe_fds[0];
  state->wake_write = pipe_fds[1];
  g.loop = std::thread([&g] { internal::Serve(g); });
  return std::unique_ptr<NfsGateway>(new NfsGateway(std::move(state)));
}

Status NfsGateway::Stop() {
  State& s = *state_;
  if (s.stopped) return s.g.last_checkpoint;
  s.stopped = true;
  s.g.stopping = true;
  const char byte = 0;
  (void)!write(s.wake_write, &byte, 1);
  if (s.g.loop.joinable()) s.g.loop.join();
  close(s.g.listen_fd);
  close(s.g.wake_fd);
  close(s.wake_write);
  std::lock_guard lock(s.g.shared->mu);
  return s.g.Checkpoint();
}

}  // namespace ccow::nfs
