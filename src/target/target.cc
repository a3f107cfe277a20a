// The target: its workers and FlexHash table, and one VdevServer per VDEV.
#include "target/target.h"

#include <spdlog/spdlog.h>

#include "target/target_impl.h"
#include "target/vdev_server.h"

namespace ccow {
namespace target_internal {

Status TargetImpl::Init(const std::string& json, std::vector<TargetVdev> vdevs) {
  CCOW_RETURN_IF_ERROR(SetFlexHash(json));
  StartWorkers();
  for (auto& v : vdevs) servers_.push_back(std::make_unique<VdevServer>(this, std::move(v)));
  for (auto& s : servers_) CCOW_RETURN_IF_ERROR(s->OpenGc(options_.gc_rate_bytes_per_second));
  for (auto& s : servers_) CCOW_RETURN_IF_ERROR(s->Bind(network_));
  return Status::OK();
}

TargetImpl::~TargetImpl() {
  // The workers finish what was queued first: their jobs reply through the endpoints.
  // A handler that queues a job after that leaves it unrun. Then the endpoints go, each
  // joining its receive thread, so that no handler runs once the servers are destroyed.
  // A paced compaction after a GC sweep is told to stop first: it could run for minutes.
  for (auto& s : servers_) s->StopGc();
  {
    std::lock_guard lock(work_mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& w : workers_) w.join();
  for (auto& s : servers_) s->Close();
}

void TargetImpl::StartWorkers() {
  for (uint32_t i = 0; i < options_.worker_threads; ++i)
    workers_.emplace_back([this] {
      while (true) {
        std::function<void()> job;
        {
          std::unique_lock lock(work_mu_);
          work_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
          if (jobs_.empty()) return;
          job = std::move(jobs_.front());
          jobs_.pop_front();
        }
        job();
      }
    });
}

void TargetImpl::Run(std::function<void()> work) {
  if (workers_.empty()) {
    work();
    return;
  }
  {
    std::lock_guard lock(work_mu_);
    jobs_.push_back(std::move(work));
  }
  work_cv_.notify_one();
}

Status TargetImpl::SetFlexHash(const std::string& json) {
  CCOW_ASSIGN_OR_RETURN(FlexHashTable table, FlexHashTable::FromJson(json));
  auto shared = std::make_shared<const FlexHashTable>(std::move(table));
  std::unique_lock lock(table_mu_);
  table_ = shared;
  table_json_ = json;
  return Status::OK();
}

std::vector<std::string> TargetImpl::addresses() const {
  std::vector<std::string> out;
  for (const auto& s : servers_) out.push_back(s->address());
  return out;
}

void TargetImpl::LogRefusal(const std::string& what) {
  uint64_t n = refusals_logged_.fetch_add(1);
  if (n < 20 || n % 1000 == 0) spdlog::warn("replicast: {} (refusal #{})", what, n + 1);
}

}  // namespace target_internal

Result<std::unique_ptr<Target>> Target::Start(replicast::Network* network, std::string flexhash_json,
                                              std::vector<TargetVdev> vdevs,
                                              const TargetOptions& options) {
  auto target = std::make_unique<target_internal::TargetImpl>(network, options);
  CCOW_RETURN_IF_ERROR(target->Init(flexhash_json, std::move(vdevs)));
  return std::unique_ptr<Target>(std::move(target));
}

}  // namespace ccow
