#include "client/read_repair.h"

#include <spdlog/spdlog.h>

#include "client/backend.h"
#include "client/stripe_repair.h"
#include "ec/erasure_code.h"

namespace ccow {

ReadRepair::ReadRepair(Backend* backend, ReadRepairOptions options)
    : backend_(backend), options_(options) {
  if (options_.enabled && !options_.run_inline) worker_ = std::thread([this] { Loop(); });
}

ReadRepair::~ReadRepair() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void ReadRepair::Report(const StripeManifest& stripe, const Chid& lost) {
  if (!options_.enabled || stripe.parity.empty()) return;
  if (options_.run_inline) {
    {
      std::lock_guard lock(mu_);
      stats_.degraded_reads++;
      stats_.stripes_queued++;
    }
    Repair(Item{{}, stripe, {lost}, options_.max_attempts});
    return;
  }
  {
    std::lock_guard lock(mu_);
    stats_.degraded_reads++;
    if (queued_.count(stripe.parity.front())) {
      for (Item& item : queue_)
        if (item.stripe.parity.front() == stripe.parity.front()) item.lost.insert(lost);
      return;
    }
    if (stopping_ || queue_.size() >= options_.max_queued) {
      stats_.stripes_dropped++;
      return;
    }
    queued_.insert(stripe.parity.front());
    queue_.push_back({std::chrono::steady_clock::now() + options_.delay, stripe, {lost}, 0});
    stats_.stripes_queued++;
  }
  cv_.notify_all();
}

ReadRepairStats ReadRepair::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void ReadRepair::Loop() {
  std::unique_lock lock(mu_);
  std::chrono::steady_clock::time_point drain_until{};
  for (;;) {
    if (stopping_ && drain_until == std::chrono::steady_clock::time_point{}) {
      drain_until = std::chrono::steady_clock::now() + options_.drain_timeout;
      if (!queue_.empty())
        spdlog::info("read repair: {} stripe(s) queued, repairing them before stopping (at most {} s)",
                     queue_.size(), options_.drain_timeout.count() / 1000);
    }
    if (queue_.empty()) {
      if (stopping_) return;
      cv_.wait(lock);
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    if (stopping_ && now >= drain_until) {
      spdlog::warn("read repair: {} stripe(s) left to the erasure encoder's next check", queue_.size());
      stats_.stripes_dropped += queue_.size();
      queue_.clear();
      queued_.clear();
      return;
    }
    if (queue_.front().due > now) {
      cv_.wait_until(lock, stopping_ ? std::min(queue_.front().due, drain_until) : queue_.front().due);
      continue;
    }
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const bool done = Repair(item);
    lock.lock();
    if (!done) {
      // Behind the others: its bad copy is set aside within seconds.
      item.attempts++;
      item.due = std::chrono::steady_clock::now() + options_.delay;
      queue_.push_back(std::move(item));
    } else {
      queued_.erase(item.stripe.parity.front());
    }
  }
}

bool ReadRepair::Repair(const Item& item) {
  const StripeManifest& stripe = item.stripe;
  const std::string which = "stripe of " + stripe.policy.ToString() + " with parity " + stripe.parity.front().ToString();
  // A lost chunk still failing its CHID where some VDEV claims to hold it: that VDEV has
  // not set its bad copy aside yet, and a put there would be answered "stored".
  for (const Chid& chid : item.lost) {
    std::string bytes;
    if (!backend_->GetChunk(chid, &bytes).IsCorruption()) continue;
    auto holders = backend_->LocateChunk(chid);
    if (!holders.ok() || holders->empty()) continue;
    if (item.attempts + 1 < options_.max_attempts) return false;
    std::lock_guard lock(mu_);
    stats_.stripes_failed++;
    spdlog::warn("read repair: {}: {} still holds a bad copy of {} (the scrub sets it aside, the erasure "
                 "encoder's next check rebuilds it)",
                 which, holders->front().vdev_id, chid.ToString());
    return true;
  }
  StripeRepair r;
  Status s;
  auto table = backend_->placement();
  auto code = ErasureCode::Create(stripe.policy);
  if (!table)
    s = Status::Unsupported("the backend places no chunks over failure domains");
  else if (!code.ok())
    s = code.status();
  else
    s = RepairStripe(*backend_, *table, **code, stripe, &r);
  const bool ok = s.ok() && r.outcome == StripeRepair::Outcome::kWhole;
  {
    std::lock_guard lock(mu_);
    stats_.fragments_moved += r.fragments_moved;
    stats_.fragments_rebuilt += r.fragments_rebuilt;
    (ok ? stats_.stripes_repaired : stats_.stripes_failed)++;
  }
  if (!s.ok())
    spdlog::warn("read repair: {}: {} (the erasure encoder's next check retries)", which, s.ToString());
  else if (!ok)
    spdlog::warn("read repair: {}: {}", which, r.detail.ToString());
  else if (r.fragments_moved + r.fragments_rebuilt > 0)
    // At the default level: a read found fragments lost or bad, which an operator wants
    // to see even once repaired.
    spdlog::warn("read repair: {}: {} fragment(s) rebuilt, {} copied onto their keepers", which,
                 r.fragments_rebuilt, r.fragments_moved);
  return true;
}

}  // namespace ccow
