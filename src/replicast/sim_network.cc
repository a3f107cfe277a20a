#include "replicast/sim_network.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace ccow::replicast {
namespace {

std::string NodeOf(const std::string& address) {
  size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

struct Event {
  uint64_t time, seq;
  std::function<void()> run;
  bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

}  // namespace

struct SimNetwork::State {
  SimOptions options;
  std::mt19937_64 rng;
  uint64_t now = 1'000'000'000;  // not zero, so "zero" timestamps stand out
  uint64_t next_seq = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events;
  std::map<std::string, Handler*> endpoints;
  std::map<std::string, std::set<std::string>> groups;
  std::set<std::string> crashed;
  std::set<std::pair<std::string, std::string>> partitions;
  SimStats stats;
  std::thread::id owner;

  double Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }
  void CheckThread() {
    // The simulation is deterministic only on one thread; a second one is a test bug.
    if (owner == std::thread::id()) owner = std::this_thread::get_id();
    if (owner != std::this_thread::get_id()) {
      std::fprintf(stderr, "SimNetwork used from a second thread: the run is not reproducible\n");
      std::abort();
    }
  }
  bool Blocked(const std::string& from, const std::string& to) const {
    std::string a = NodeOf(from), b = NodeOf(to);
    return crashed.count(a) || crashed.count(b) || partitions.count({a, b}) ||
           partitions.count({b, a});
  }
  void Schedule(uint64_t delay, std::function<void()> fn) {
    events.push(Event{now + delay, next_seq++, std::move(fn)});
  }
  void DeliverOne(const std::string& from, const std::string& to, std::string message) {
    if (Blocked(from, to)) {
      ++stats.blocked;
      return;
    }
    if (Uniform() < options.loss) {
      ++stats.lost;
      return;
    }
    int copies = Uniform() < options.duplication ? 2 : 1;
    if (copies == 2) ++stats.duplicated;
    for (int i = 0; i < copies; ++i) {
      uint64_t delay = options.min_delay_ns;
      if (options.max_delay_ns > options.min_delay_ns)
        delay += rng() % (options.max_delay_ns - options.min_delay_ns);
      Schedule(delay, [this, from, to, message] {
        // Crashes and partitions that began while the message was in flight apply too.
        if (Blocked(from, to)) {
          ++stats.blocked;
          return;
        }
        auto it = endpoints.find(to);
        if (it == endpoints.end()) return;
        ++stats.delivered;
        (*it->second)(from, message);
      });
    }
  }
};

namespace {

class SimEndpoint : public Endpoint {
 public:
  SimEndpoint(SimNetwork::State* state, std::string address, Handler handler)
      : state_(state), address_(std::move(address)), handler_(std::move(handler)) {
    state_->endpoints[address_] = &handler_;
  }
  ~SimEndpoint() override {
    state_->endpoints.erase(address_);
    for (auto& [group, members] : state_->groups) members.erase(address_);
  }
  const std::string& address() const override { return address_; }
  Status Send(const std::string& to, std::string_view message) override {
    state_->CheckThread();
    if (message.size() > state_->options.max_message_bytes)
      return Status::InvalidArgument("message of " + std::to_string(message.size()) +
                                     " bytes exceeds the simulated datagram limit");
    ++state_->stats.sent;
    auto group = state_->groups.find(to);
    if (group == state_->groups.end()) {
      state_->DeliverOne(address_, to, std::string(message));
    } else {
      // Copy the member set: delivery may not change it, but a handler could bind.
      std::set<std::string> members = group->second;
      for (const std::string& member : members)
        state_->DeliverOne(address_, member, std::string(message));
    }
    return Status::OK();
  }
  Status JoinGroup(const std::string& group) override {
    state_->groups[group].insert(address_);
    return Status::OK();
  }

 private:
  SimNetwork::State* state_;
  std::string address_;
  Handler handler_;
};

}  // namespace

SimNetwork::SimNetwork(const SimOptions& options) : state_(std::make_unique<State>()) {
  state_->options = options;
  state_->rng.seed(options.seed);
}

SimNetwork::~SimNetwork() = default;

size_t SimNetwork::max_message_bytes() const { return state_->options.max_message_bytes; }

uint64_t SimNetwork::NowNs() { return state_->now; }

Result<std::unique_ptr<Endpoint>> SimNetwork::Bind(const std::string& address, Handler handler) {
  if (state_->endpoints.count(address))
    return Status::Busy("simulated address " + address + " is already bound");
  return std::unique_ptr<Endpoint>(new SimEndpoint(state_.get(), address, std::move(handler)));
}

bool SimNetwork::WaitUntil(const std::function<bool()>& ready, uint64_t timeout_ns) {
  state_->CheckThread();
  uint64_t deadline = state_->now + timeout_ns;
  while (!ready()) {
    if (state_->events.empty() || state_->events.top().time > deadline) {
      state_->now = std::max(state_->now, deadline);
      return ready();
    }
    Event event = state_->events.top();
    state_->events.pop();
    state_->now = std::max(state_->now, event.time);
    event.run();
  }
  return true;
}

void SimNetwork::Crash(const std::string& node) { state_->crashed.insert(node); }
void SimNetwork::Restart(const std::string& node) { state_->crashed.erase(node); }
void SimNetwork::Partition(const std::string& a, const std::string& b) {
  state_->partitions.insert({a, b});
}
void SimNetwork::Heal() { state_->partitions.clear(); }
uint64_t SimNetwork::Random() { return state_->rng(); }
SimStats SimNetwork::stats() const { return state_->stats; }

}  // namespace ccow::replicast
