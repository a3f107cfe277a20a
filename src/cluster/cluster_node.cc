#include "cluster/cluster_node.h"

#include <signal.h>
#include <uv.h>

// libraft's headers have no extern "C" of their own.
extern "C" {
#include <raft.h>
#include <raft/uv.h>
}

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "cluster/cluster_fsm.h"

namespace ccow {

size_t VoterCount(size_t members) {
  if (members <= 3) return members;
  return members < 5 ? 3 : 5;
}

namespace {

const char* RoleName(int state) {
  switch (state) {
    case RAFT_LEADER: return "leader";
    case RAFT_FOLLOWER: return "follower";
    case RAFT_CANDIDATE: return "candidate";
    default: return "unavailable";
  }
}

class ClusterNodeImpl final : public ClusterNode {
 public:
  explicit ClusterNodeImpl(ClusterNodeOptions options)
      : options_(std::move(options)), view_(std::make_shared<const ClusterState>()) {
    fsm_.OnChanged([this] {
      auto next = std::make_shared<const ClusterState>(fsm_.state());
      {
        std::lock_guard lock(view_mu_);
        view_ = std::move(next);
      }
      view_cv_.notify_all();
    });
  }

  ~ClusterNodeImpl() override {
    if (!thread_.joinable()) return;
    Post([this] {
      raft_close(&raft_, [](struct raft* r) {
        auto* self = static_cast<ClusterNodeImpl*>(r->data);
        raft_uv_close(&self->io_);
        raft_uv_tcp_close(&self->transport_);
        uv_close(reinterpret_cast<uv_handle_t*>(&self->wakeup_), nullptr);
      });
    });
    thread_.join();
    uv_loop_close(&loop_);
  }

  Status Init() {
    std::error_code ec;
    std::filesystem::create_directories(options_.dir, ec);
    if (ec) return Status::IOError("cannot create the Raft directory " + options_.dir + ": " + ec.message());
    if (uv_loop_init(&loop_) != 0) return Status::Internal("uv_loop_init failed");
    uv_async_init(&loop_, &wakeup_, [](uv_async_t* a) { static_cast<ClusterNodeImpl*>(a->data)->RunPosted(); });
    wakeup_.data = this;
    int rv = raft_uv_tcp_init(&transport_, &loop_);
    if (rv != 0) return Status::Internal(std::string("raft_uv_tcp_init: ") + raft_strerror(rv));
    rv = raft_uv_init(&io_, &loop_, options_.dir.c_str(), &transport_);
    if (rv != 0) return Status::IOError("the Raft directory " + options_.dir + " cannot be used (raft_uv_init failed)");
    rv = raft_init(&raft_, &io_, fsm_.fsm(), options_.id, options_.address.c_str());
    if (rv != 0)
      return Status::Internal(std::string("raft_init: ") + raft_strerror(rv) + ": " + raft_errmsg(&raft_));
    raft_.data = this;
    raft_set_election_timeout(&raft_, options_.election_timeout_ms);
    raft_set_heartbeat_timeout(&raft_, options_.heartbeat_timeout_ms);
    raft_set_snapshot_threshold(&raft_, options_.snapshot_threshold);
    raft_set_snapshot_trailing(&raft_, options_.snapshot_trailing);
    raft_set_pre_vote(&raft_, true);

    if (!options_.members.empty()) {
      raft_configuration conf;
      raft_configuration_init(&conf);
      for (const RaftMember& m : options_.members)
        raft_configuration_add(&conf, m.id, m.address.c_str(), m.voter ? RAFT_VOTER : RAFT_STANDBY);
      rv = raft_bootstrap(&raft_, &conf);
      raft_configuration_close(&conf);
      if (rv != 0 && rv != RAFT_CANTBOOTSTRAP)
        return Status::IOError(std::string("bootstrapping Raft in ") + options_.dir + ": " + raft_strerror(rv));
    }
    rv = raft_start(&raft_);
    if (rv != 0)
      return Status::IOError(std::string("starting Raft from ") + options_.dir + ": " + raft_strerror(rv) + ": " +
                             raft_errmsg(&raft_));
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
    return Status::OK();
  }

  Status Propose(const ClusterCommand& command, std::chrono::milliseconds timeout) override {
    auto result = std::make_shared<std::promise<Status>>();
    auto future = result->get_future();
    Post([this, command, result] {
      if (raft_state(&raft_) != RAFT_LEADER) {
        result->set_value(NotLeader());
        return;
      }
      Status s = ProposeCommand(&raft_, command, [result](const Status& outcome) { result->set_value(outcome); });
      if (!s.ok()) result->set_value(s);
    });
    if (future.wait_for(timeout) != std::future_status::ready)
      return Status::Unavailable("the command was not committed within " + std::to_string(timeout.count()) +
                                 " ms: no quorum of Raft voters reachable");
    return future.get();
  }

  Status AddMember(uint64_t id, const std::string& address) override {
    struct Change {
      struct raft_change req;
      std::shared_ptr<std::promise<Status>> result;
    };
    auto wait = [](std::shared_ptr<std::promise<Status>> result) {
      auto future = result->get_future();
      if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
        return Status::Unavailable("the Raft configuration change did not commit within 10 s");
      return future.get();
    };
    auto on_done = [](struct raft_change* req, int status) {
      auto* c = static_cast<Change*>(req->data);
      c->result->set_value(status == 0 ? Status::OK()
                                       : Status::Unavailable(std::string("configuration change: ") + raft_strerror(status)));
      delete c;
    };
    // Step 1: add as a spare (it receives nothing yet); step 2: promote it.
    auto added = std::make_shared<std::promise<Status>>();
    auto role = std::make_shared<int>(RAFT_STANDBY);
    Post([this, id, address, added, on_done, role] {
      if (raft_state(&raft_) != RAFT_LEADER) return added->set_value(NotLeader());
      unsigned voters = 0;
      bool present = false;
      for (unsigned i = 0; i < raft_.configuration.n; ++i) {
        voters += raft_.configuration.servers[i].role == RAFT_VOTER;
        present |= raft_.configuration.servers[i].id == id;
      }
      *role = voters < 5 ? RAFT_VOTER : RAFT_STANDBY;
      if (present) return added->set_value(Status::OK());
      auto* c = new Change{{}, added};
      c->req.data = c;
      int rv = raft_add(&raft_, &c->req, id, address.c_str(), on_done);
      if (rv != 0) {
        delete c;
        added->set_value(Status::Unavailable(std::string("raft_add: ") + raft_strerror(rv)));
      }
    });
    CCOW_RETURN_IF_ERROR(wait(added));
    auto assigned = std::make_shared<std::promise<Status>>();
    Post([this, id, assigned, on_done, role] {
      if (raft_state(&raft_) != RAFT_LEADER) return assigned->set_value(NotLeader());
      for (unsigned i = 0; i < raft_.configuration.n; ++i)
        if (raft_.configuration.servers[i].id == id && raft_.configuration.servers[i].role == *role)
          return assigned->set_value(Status::OK());
      auto* c = new Change{{}, assigned};
      c->req.data = c;
      int rv = raft_assign(&raft_, &c->req, id, *role, on_done);
      if (rv != 0) {
        delete c;
        assigned->set_value(Status::Unavailable(std::string("raft_assign: ") + raft_strerror(rv)));
      }
    });
    return wait(assigned);
  }

  RaftInfo info() override {
    return OnLoop<RaftInfo>([this] {
      RaftInfo i;
      i.id = options_.id;
      i.role = RoleName(raft_state(&raft_));
      raft_id leader = 0;
      const char* address = nullptr;
      raft_leader(&raft_, &leader, &address);
      i.leader_id = leader;
      if (address) i.leader_address = address;
      i.term = raft_.current_term;
      i.commit_index = raft_.commit_index;
      i.last_applied = raft_.last_applied;
      return i;
    });
  }

  ClusterState state() override {
    return OnLoop<ClusterState>([this] { return fsm_.state(); });
  }

  std::shared_ptr<const ClusterState> current() override {
    std::lock_guard lock(view_mu_);
    return view_;
  }

  std::shared_ptr<const ClusterState> WaitNewer(uint64_t after, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(view_mu_);
    view_cv_.wait_for(lock, timeout, [&] { return view_->commands_applied() > after; });
    return view_;
  }

 private:
  Status NotLeader() {
    raft_id leader = 0;
    const char* address = nullptr;
    raft_leader(&raft_, &leader, &address);
    if (leader == 0) return Status::Unavailable("no Raft leader is known: no quorum of voters reachable");
    return Status::Unavailable("not the Raft leader; the leader is member " + std::to_string(leader) + " at " +
                               (address ? address : "?"));
  }

  void Post(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      posted_.push_back(std::move(fn));
    }
    uv_async_send(&wakeup_);
  }
  void RunPosted() {
    std::deque<std::function<void()>> run;
    {
      std::lock_guard lock(mu_);
      run.swap(posted_);
    }
    for (auto& fn : run) fn();
  }
  template <typename T>
  T OnLoop(std::function<T()> fn) {
    auto result = std::make_shared<std::promise<T>>();
    auto future = result->get_future();
    Post([fn = std::move(fn), result] { result->set_value(fn()); });
    return future.get();
  }

  ClusterNodeOptions options_;
  uv_loop_t loop_{};
  uv_async_t wakeup_{};
  raft_uv_transport transport_{};
  raft_io io_{};
  struct raft raft_{};
  ClusterFsm fsm_;
  std::thread thread_;
  std::mutex mu_;
  std::deque<std::function<void()>> posted_;
  std::mutex view_mu_;  // view_
  std::condition_variable view_cv_;
  std::shared_ptr<const ClusterState> view_;
};

}  // namespace

Result<std::unique_ptr<ClusterNode>> ClusterNode::Start(const ClusterNodeOptions& options) {
  if (options.id == 0) return Status::InvalidArgument("a Raft member id must be 1 or more");
  // libuv writes to peer sockets that may have closed: a dead peer must be an error
  // value, not a SIGPIPE that kills this process.
  ::signal(SIGPIPE, SIG_IGN);
  auto node = std::make_unique<ClusterNodeImpl>(options);
  CCOW_RETURN_IF_ERROR(node->Init());
  return std::unique_ptr<ClusterNode>(std::move(node));
}

}  // namespace ccow
