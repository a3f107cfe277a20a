// A seeded, deterministic, in-process network for tests (DESIGN.md §2): the same
// initiator and target code as on real sockets, over virtual time and one thread. Each
// message is delivered after a random delay (so messages reorder), or lost, or
// duplicated, as the options say; nodes can be partitioned from each other or crashed.
// Every random choice comes from one seeded generator and events run in (time, sequence)
// order on the thread that waits, so a seed always replays the same run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "replicast/network.h"

namespace ccow::replicast {

struct SimOptions {
  uint64_t seed = 1;
  double loss = 0.0;         // probability that a message is dropped
  double duplication = 0.0;  // probability that a message is delivered twice
  uint64_t min_delay_ns = 20'000, max_delay_ns = 200'000;  // uniform; reorders messages
  size_t max_message_bytes = 65000;
};

struct SimStats {
  uint64_t sent = 0, delivered = 0, lost = 0, duplicated = 0, blocked = 0;
};

class SimNetwork : public Network {
 public:
  explicit SimNetwork(const SimOptions& options);
  ~SimNetwork() override;

  const char* name() const override { return "sim"; }
  size_t max_message_bytes() const override;
  uint64_t NowNs() override;
  Result<std::unique_ptr<Endpoint>> Bind(const std::string& address, Handler handler) override;
  bool WaitUntil(const std::function<bool()>& ready, uint64_t timeout_ns) override;
  void Wake() override {}

  // A node is the part of an address before the last ':' ("t3:vdev1" is on node "t3").
  // A crashed node neither sends nor receives until restarted; what it had in flight is
  // lost. Its endpoints stay bound: the test destroys and recreates the node's objects
  // to model a restart that loses memory but keeps disks.
  void Crash(const std::string& node);
  void Restart(const std::string& node);
  // Messages between the two nodes are dropped (both directions) until Heal().
  void Partition(const std::string& a, const std::string& b);
  void Heal();

  // A number from the run's generator, for tests that need randomness in the same replay.
  uint64_t Random();
  SimStats stats() const;

  struct State;  // public so the endpoints in the .cc can reach it

 private:
  std::unique_ptr<State> state_;
};

}  // namespace ccow::replicast
