#include "daemon/remote_registry.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/hash.h"
#include "daemon/admin_api.h"
#include "server/admin_http.h"

namespace ccow::daemon {
namespace {

constexpr int kPollWaitMs = 2000;  // below the admin client's request timeout

class RemoteRegistry final : public Registry {
 public:
  explicit RemoteRegistry(RemoteRegistryOptions options)
      : options_(std::move(options)), view_(std::make_shared<const ClusterState>()) {}

  ~RemoteRegistry() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  Status Open() {
    if (options_.endpoints.empty()) return Status::InvalidArgument("no admin endpoint to follow the registry on");
    // The leader's state: a follower learns of a commit up to a heartbeat later, and a CLI
    // command that follows a change made elsewhere must see it.
    Status last = Status::Unavailable("no member answered");
    bool any = false;
    for (size_t i = 0; i < options_.endpoints.size(); ++i) {
      bool leads = false;
      Status s = Fetch(i, 0, 0, &leads);
      if (!s.ok()) {
        last = s;
        continue;
      }
      any = true;
      if (leads) {
        leader_ = i;
        break;
      }
    }
    if (!any) return last.WithContext("reading the cluster state");
    if (options_.follow) thread_ = std::thread([this] { Follow(); });
    return Status::OK();
  }

  std::shared_ptr<const ClusterState> current() override {
    std::lock_guard lock(mu_);
    return view_;
  }

  std::shared_ptr<const ClusterState> WaitNewer(uint64_t after, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return stop_ || view_->commands_applied() > after; });
    return view_;
  }

  Status Propose(const ClusterCommand& command) override {
    std::string bytes = EncodeCommand(command);
    std::string path = "/admin/command?hex=" + ToHex(bytes.data(), bytes.size());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    Status last = Status::Unavailable("no member answered");
    while (std::chrono::steady_clock::now() < deadline) {
      size_t first = leader_.load();
      for (size_t k = 0; k < options_.endpoints.size(); ++k) {
        size_t i = (first + k) % options_.endpoints.size();
        auto reply = Call(i, "POST", path);
        if (!reply.ok()) continue;  // down: ask the next
        Status s = StatusOfReply(reply->first, reply->second);
        if (s.ok()) {
          leader_ = i;
          auto j = nlohmann::json::parse(reply->second, nullptr, false);
          uint64_t version = j.is_object() ? j.value("version", uint64_t{0}) : 0;
          return AwaitVersion(i, version);
        }
        last = s;
        if (s.code() == Code::kConflict) (void)Fetch(i, 0, 0);  // the caller reads again
        if (s.code() != Code::kUnavailable) return s;  // decided by the state machine
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Status::Unavailable("no Raft leader committed the change within 15 s (no quorum of voters?): " +
                               last.message());
  }

 private:
  Result<std::pair<int, std::string>> Call(size_t i, const std::string& method, const std::string& path) {
    const std::string& address = options_.endpoints[i];
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("bad admin address " + address);
    return AdminRequest(address.substr(0, colon), static_cast<uint16_t>(std::stoi(address.substr(colon + 1))),
                        method, path, options_.token.empty() ? "" : "Bearer " + options_.token);
  }

  // One long poll on endpoint i; installs a newer state. *leads tells whether it leads.
  Status Fetch(size_t i, uint64_t after, int wait_ms, bool* leads = nullptr) {
    CCOW_ASSIGN_OR_RETURN(auto reply, Call(i, "GET", "/admin/state?after=" + std::to_string(after) +
                                                         "&wait_ms=" + std::to_string(wait_ms)));
    CCOW_RETURN_IF_ERROR(StatusOfReply(reply.first, reply.second));
    auto j = nlohmann::json::parse(reply.second, nullptr, false);
    if (!j.is_object()) return Status::Corruption("the admin endpoint " + options_.endpoints[i] + " answered no JSON");
    if (leads) *leads = j.value("role", "") == "leader";
    if (!j.contains("state")) return Status::OK();
    CCOW_ASSIGN_OR_RETURN(std::string bytes, FromHex(j.value("state", "")));
    CCOW_ASSIGN_OR_RETURN(ClusterState state, ClusterState::Restore(bytes));
    Install(std::move(state));
    return Status::OK();
  }

  void Install(ClusterState state) {
    std::shared_ptr<const ClusterState> next;
    {
      std::lock_guard lock(mu_);
      // Members answer with the state they applied, which may lag the one held already.
      if (state.commands_applied() <= view_->commands_applied() && view_->commands_applied() != 0) return;
      view_ = std::make_shared<const ClusterState>(std::move(state));
      next = view_;
    }
    cv_.notify_all();
    if (options_.on_change) options_.on_change(*next);
  }

  // Read-your-writes: the proposal committed as `version` on the leader.
  Status AwaitVersion(size_t leader, uint64_t version) {
    if (options_.follow) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (current()->commands_applied() < version && std::chrono::steady_clock::now() < deadline)
        WaitNewer(current()->commands_applied(), std::chrono::milliseconds(100));
      if (current()->commands_applied() >= version) return Status::OK();
    }
    return Fetch(leader, 0, 0);
  }

  // The follower thread: long polls, sticking to the member that leads (followers learn
  // of commits up to a heartbeat later).
  void Follow() {
    size_t i = leader_.load();
    int failures = 0;
    while (true) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      bool leads = false;
      Status s = Fetch(i, current()->commands_applied(), kPollWaitMs, &leads);
      if (s.ok() && leads) {
        leader_ = i;
        failures = 0;
        continue;
      }
      if (!s.ok() && ++failures % 20 == 1)
        spdlog::warn("registry: admin endpoint {}: {}", options_.endpoints[i], s.ToString());
      i = (i + 1) % options_.endpoints.size();
      if (!s.ok()) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(failures > 5 ? 500 : 50), [&] { return stop_; });
      }
    }
  }

  RemoteRegistryOptions options_;
  std::mutex mu_;  // view_, stop_
  std::condition_variable cv_;
  std::shared_ptr<const ClusterState> view_;
  bool stop_ = false;
  std::atomic<size_t> leader_{0};
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<Registry>> OpenRemoteRegistry(RemoteRegistryOptions options) {
  auto r = std::make_unique<RemoteRegistry>(std::move(options));
  CCOW_RETURN_IF_ERROR(r->Open());
  return std::unique_ptr<Registry>(std::move(r));
}

}  // namespace ccow::daemon
