// The target's shared parts (target/target.h): the FlexHash table it serves, its worker
// threads, its counters and the buffer budget its VDEV servers (target/vdev_server.h)
// share. Private to src/target.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/buffer_pool.h"
#include "target/target.h"

namespace ccow::target_internal {

class VdevServer;
using replicast::Network;

class TargetImpl final : public Target {
 public:
  TargetImpl(Network* network, TargetOptions options)
      : network_(network),
        options_(options),
        pool_(std::min<uint64_t>(options.max_buffered_bytes, kIdleTrainBufferBytes)) {}

  Status Init(const std::string& json, std::vector<TargetVdev> vdevs);
  ~TargetImpl() override;
  // Runs work on a worker, or right here without workers.
  void Run(std::function<void()> work);
  Status SetFlexHash(const std::string& json) override;
  uint64_t generation() const override { return table()->generation(); }
  std::string flexhash_json() const override { return table_json(); }
  std::vector<std::string> addresses() const override;
  TargetCounters counters() const override {
    std::lock_guard lock(counters_mu_);
    return counters_;
  }

  std::shared_ptr<const FlexHashTable> table() const {
    std::shared_lock lock(table_mu_);
    return table_;
  }
  std::string table_json() const {
    std::shared_lock lock(table_mu_);
    return table_json_;
  }
  template <typename F>
  void Count(F&& f) {
    std::lock_guard lock(counters_mu_);
    f(counters_);
  }
  // Refusals are logged, but a flood of bad datagrams must not flood the log.
  void LogRefusal(const std::string& what);
  Network* network() { return network_; }
  const TargetOptions& options() const { return options_; }
  std::atomic<uint64_t>& buffered_bytes() { return buffered_bytes_; }
  // Train buffers: reused, so that a steady stream of transfers faults no new pages in.
  BufferPool& pool() { return pool_; }

 private:
  void StartWorkers();

  Network* network_;
  TargetOptions options_;
  mutable std::shared_mutex table_mu_;
  std::shared_ptr<const FlexHashTable> table_;
  std::string table_json_;
  mutable std::mutex counters_mu_;
  TargetCounters counters_;
  std::atomic<uint64_t> refusals_logged_{0};
  std::atomic<uint64_t> buffered_bytes_{0};
  // What idle train buffers may keep: a few chunks' worth per VDEV of a busy target.
  static constexpr uint64_t kIdleTrainBufferBytes = 64 << 20;
  BufferPool pool_;
  std::vector<std::unique_ptr<VdevServer>> servers_;
  std::mutex work_mu_;
  std::condition_variable work_cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ccow::target_internal
