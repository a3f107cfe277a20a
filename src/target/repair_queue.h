// Read repair (docs/ARCHITECTURE.md "Scrub and read repair"): the bad local copies that
// reads met, waiting for the scrubber to rebuild them. A target that answers a get with
// "corrupt" has just found its own copy bad and pushes it here; the scrubber pops and
// repairs. Bounded: when full, a push is dropped (and counted): the next scrub pass finds
// that copy anyway. A copy already queued is not queued twice.
// Thread safety: every method may be called from any thread; Push never blocks on I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/hash.h"

namespace ccow {

class RepairQueue {
 public:
  using Item = std::pair<std::string, HashId>;  // VDEV id, CHID

  explicit RepairQueue(size_t max_items = 1024) : max_(max_items) {}

  // False when the copy was already queued or the queue is full.
  bool Push(const std::string& vdev_id, const HashId& chid) {
    std::lock_guard lock(mu_);
    Item item{vdev_id, chid};
    if (queued_.count(item)) return false;
    if (items_.size() >= max_) {
      dropped_++;
      return false;
    }
    queued_.insert(item);
    items_.push_back(std::move(item));
    pushed_++;
    return true;
  }
  std::optional<Item> Pop() {
    std::lock_guard lock(mu_);
    if (items_.empty()) return std::nullopt;
    Item item = std::move(items_.front());
    items_.pop_front();
    queued_.erase(item);
    return item;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  uint64_t pushed() const {
    std::lock_guard lock(mu_);
    return pushed_;
  }
  uint64_t dropped() const {
    std::lock_guard lock(mu_);
    return dropped_;
  }

 private:
  const size_t max_;
  mutable std::mutex mu_;
  std::deque<Item> items_;
  std::set<Item> queued_;
  uint64_t pushed_ = 0, dropped_ = 0;
};

}  // namespace ccow
