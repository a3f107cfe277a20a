#include "target/healer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "flexhash/flexhash.h"
#include "core/rate_limiter.h"

namespace ccow {
namespace {

using Clock = std::chrono::steady_clock;

std::string CursorFile(const HealerVdev& vdev) { return vdev.path + "/heal-cursor.json"; }

class HealerImpl final : public Healer {
 public:
  static constexpr uint64_t kRetryNs = 5'000'000'000;

  HealerImpl(replicast::Initiator* initiator, std::vector<HealerVdev> vdevs, const HealerOptions& options)
      : initiator_(initiator), vdevs_(std::move(vdevs)), options_(options), limiter_(options.rate_bytes_per_second) {
    progress_.rate_bytes_per_second = options.rate_bytes_per_second;
    progress_.generation = initiator_->flexhash()->generation();
    thread_ = std::thread([this] { Loop(); });
  }
  ~HealerImpl() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void OnFlexHash(const std::string& json) override {
    {
      std::lock_guard lock(mu_);
      pending_json_ = json;
    }
    cv_.notify_all();
  }

  HealProgress progress() const override {
    std::lock_guard lock(mu_);
    return progress_;
  }

 private:
  bool Interrupted() {
    std::lock_guard lock(mu_);
    return stop_ || pending_json_.has_value();
  }

  void Loop() {
    bool resume = true;  // the first pass continues a cursor left by a previous run
    while (true) {
      {
        std::unique_lock lock(mu_);
        // A pass that left chunks below R (a peer not yet at this generation, a VDEV
        // that did not answer) is retried soon; otherwise every interval.
        uint64_t wait_ns = progress_.failed || progress_.names_below_r ? kRetryNs : options_.interval_ns;
        if (!resume)
          cv_.wait_for(lock, std::chrono::nanoseconds(wait_ns), [&] { return stop_ || pending_json_.has_value(); });
        if (stop_) return;
        if (pending_json_) {
          std::string json = std::move(*pending_json_);
          pending_json_.reset();
          lock.unlock();
          Status s = initiator_->SetFlexHash(json);
          if (!s.ok()) spdlog::warn("healer: FlexHash not installed: {}", s.ToString());
          resume = false;
        }
      }
      RunPass(resume);
      resume = false;
    }
  }

  void RunPass(bool resume) {
    table_ = initiator_->flexhash();
    const uint64_t generation = table_->generation();
    {
      std::lock_guard lock(mu_);
      uint64_t completed = progress_.passes_completed, completed_gen = progress_.completed_generation;
      progress_ = HealProgress{};
      progress_.passes_completed = completed;
      progress_.completed_generation = completed_gen;
      progress_.generation = generation;
      progress_.rate_bytes_per_second = options_.rate_bytes_per_second;
      progress_.running = true;
    }
    pass_start_ = Clock::now();
    limiter_.Restart();
    bool complete = true;
    for (const HealerVdev& vdev : vdevs_) {
      // A VDEV the table leaves out (its target was declared dead and is returning) keeps
      // what it holds: it gets its rows back in the next generation.
      if (std::none_of(table_->vdevs().begin(), table_->vdevs().end(),
                       [&](const VdevInfo& v) { return v.id == vdev.id; }))
        continue;
      WalkCursor cursor = resume ? LoadWalkCursor(CursorFile(vdev)) : WalkCursor{};
      if (cursor.epoch != generation) cursor = WalkCursor{generation, std::nullopt};
      auto walked = WalkChunks(vdev, CursorFile(vdev), &cursor, [&](const HashId& chid) {
        if (Interrupted()) return false;
        HealChunk(vdev, chid);
        return true;
      });
      if (!walked.ok()) spdlog::warn("healer: walking {}: {}", vdev.id, walked.status().ToString());
      if (Interrupted()) {
        complete = false;
        break;
      }
      HealNames(vdev);
    }
    if (Interrupted()) complete = false;
    double seconds = std::chrono::duration<double>(Clock::now() - pass_start_).count();
    std::lock_guard lock(mu_);
    progress_.running = false;
    progress_.last_pass_seconds = seconds;
    if (complete) {
      progress_.passes_completed++;
      progress_.completed_generation = generation;
      if (progress_.under_replicated || progress_.moved || progress_.failed)
        spdlog::info("healer: pass of generation {} done in {:.1f} s: {} chunks scanned, {} below R, {} repaired, "
                     "{} moved, {} failed",
                     generation, seconds, progress_.chunks_scanned, progress_.under_replicated,
                     progress_.repaired, progress_.moved, progress_.failed);
    }
  }

  template <typename F>
  void Update(F f) {
    std::lock_guard lock(mu_);
    f(progress_);
  }

  // Waits until `bytes` more fit under the rate limit since the pass began.
  void Throttle(uint64_t bytes) {
    limiter_.Wait(bytes, mu_, cv_, stop_);
  }

  void HealChunk(const HealerVdev& vdev, const HashId& chid) {
    Update([](HealProgress& p) { p.chunks_scanned++; });
    const FlexHashTable& t = *table_;
    const uint32_t row = t.RowOf(chid);
    std::vector<std::string> row_ids = t.RowVdevIds(row);
    const bool in_row = std::find(row_ids.begin(), row_ids.end(), vdev.id) != row_ids.end();
    auto holders = initiator_->ProbeChunk(chid);
    if (!holders.ok()) {
      Update([](HealProgress& p) { p.failed++; });
      return;
    }
    // The chunk's R: the largest any put of it asked, as recorded by this copy or by any
    // holder (one that missed a raise learns it from the repair's proposal).
    auto local_r = vdev.store->ReplicationCount(chid);
    uint32_t wanted = local_r.ok() ? *local_r : 0;
    std::set<std::string> domains;
    std::vector<std::string> holder_ids;
    for (const auto& holder : *holders) {
      wanted = std::max(wanted, holder.replication_count);
      holder_ids.push_back(holder.vdev_id);
      for (const VdevInfo& v : t.vdevs())
        if (v.id == holder.vdev_id) domains.insert(DomainOf(v, t.failure_domain()));
    }
    // A copy that missed a raise (a proposal lost, or it was down) takes it from the others,
    // so the count survives the loss of the holder that recorded it.
    if (local_r.ok() && wanted > *local_r && vdev.store->RecordReplicationCount(chid, wanted).ok())
      (void)vdev.store->Sync();
    if (wanted == 0) wanted = options_.replication_count;
    const size_t r = std::min<size_t>(wanted, row_ids.size());
    if (domains.size() >= r) {
      if (!in_row) Move(vdev, chid);
      return;
    }
    // Below R: one holder repairs.
    bool designated = holder_ids.empty() ? true
                                         : in_row && vdev.id == *std::min_element(holder_ids.begin(), holder_ids.end());
    if (!designated) return;
    Update([](HealProgress& p) { p.under_replicated++; });
    std::string bytes;
    Status s = vdev.store->Get(chid, &bytes);
    if (!s.ok()) {
      spdlog::warn("healer: {} cannot read its copy of {}: {}", vdev.id, chid.ToString(), s.ToString());
      Update([](HealProgress& p) { p.failed++; });
      return;
    }
    Throttle(bytes.size() * (r - domains.size()));
    bool stored_new = false;
    s = initiator_->PutChunk(chid, bytes, &stored_new, static_cast<uint32_t>(std::min<size_t>(wanted, 255)));
    if (!s.ok()) {
      spdlog::warn("healer: chunk {} not repaired: {}", chid.ToString(), s.ToString());
      Update([](HealProgress& p) { p.failed++; });
      return;
    }
    Update([&](HealProgress& p) {
      p.repaired++;
      p.bytes_repaired += bytes.size() * (r - domains.size());
    });
    if (!in_row) Move(vdev, chid);
  }

  // The chunk's row holds R replicas and this VDEV is outside it: drop this copy.
  void Move(const HealerVdev& vdev, const HashId& chid) {
    Status s = vdev.store->RemoveChunk(chid);
    if (!s.ok()) {
      spdlog::warn("healer: {} could not remove moved chunk {}: {}", vdev.id, chid.ToString(), s.ToString());
      return;
    }
    Update([](HealProgress& p) { p.moved++; });
  }

  // Version lists a page at a time: memory stays bounded whatever the number of names
  // on the VDEV (the repairs go over the network, outside the store's iterator).
  void HealNames(const HealerVdev& vdev) {
    constexpr size_t kPage = 256;
    std::string after;
    for (;;) {
      std::vector<std::pair<std::string, std::string>> names;
      Status s = vdev.store->ScanVersionLists("", after, [&](std::string_view name, std::string_view value) {
        names.emplace_back(name, value);
        return names.size() < kPage;
      });
      if (!s.ok()) {
        spdlog::warn("healer: listing names of {}: {}", vdev.id, s.ToString());
        return;
      }
      if (names.empty()) return;
      after = names.back().first;
      for (const auto& [name, encoded] : names) {
        if (Interrupted()) return;
        auto value = replicast::NamedValue::Decode(encoded);
        if (!value.ok() || value->seq == 0) continue;
        Update([](HealProgress& p) { p.names_scanned++; });
        auto holding = initiator_->RepairNamed(name, *value);
        const size_t r = std::min<size_t>(options_.replication_count,
                                          table_->Row(table_->RowOf(replicast::NameHashOf(name))).size());
        if (!holding.ok() || *holding < r) Update([](HealProgress& p) { p.names_below_r++; });
      }
      if (names.size() < kPage) return;
    }
  }

  replicast::Initiator* initiator_;
  std::vector<HealerVdev> vdevs_;
  HealerOptions options_;
  std::shared_ptr<const FlexHashTable> table_;  // of the pass under way (healer thread only)
  Clock::time_point pass_start_;
  RateLimiter limiter_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::optional<std::string> pending_json_;
  HealProgress progress_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Healer> Healer::Start(replicast::Initiator* initiator, std::vector<HealerVdev> vdevs,
                                      const HealerOptions& options) {
  return std::make_unique<HealerImpl>(initiator, std::move(vdevs), options);
}

}  // namespace ccow
