#include "client/cluster_collection.h"

#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flexhash/flexhash.h"
#include "replicast/initiator.h"
#include "replicast/message.h"

namespace ccow {
namespace {

using replicast::GcControl;
using replicast::GcMark;
using replicast::GcPhase;
using replicast::GcReply;
using replicast::GcReplyStatus;
using replicast::MarkedChunk;

// R travels as a byte; no policy asks more than 255.
uint8_t WireCount(uint32_t replication_count) {
  return static_cast<uint8_t>(std::min<uint32_t>(replication_count, 255));
}

// A mark message must fit one UDP datagram (65,000 bytes) whatever the hash: 1000 SHA3-512
// CHIDs alone would not.
constexpr size_t kMarkBytes = 60'000;

// Marks not sent yet, for one row or one VDEV.
struct MarkBatch {
  std::vector<MarkedChunk> chunks;
  size_t bytes = 0;
  // Adds a mark; true when the batch is full and must be sent.
  bool Add(const Chid& chid, uint32_t replication_count, size_t max_count) {
    chunks.push_back({chid, WireCount(replication_count)});
    bytes += 1 + chid.size() + 1;  // tag, digest, R
    return chunks.size() >= max_count || bytes >= kMarkBytes - 100;
  }
};

class ClusterCollection final : public ChunkCollection {
 public:
  ClusterCollection(replicast::Initiator* initiator, const ClusterGcOptions& options)
      : initiator_(initiator), options_(options) {}

  Status OpenPinWindow() override {
    table_ = initiator_->flexhash();
    pending_.clear();
    pending_on_.clear();
    uint64_t highest = 0;
    for (const VdevInfo& v : table_->vdevs()) {
      CCOW_ASSIGN_OR_RETURN(GcReply r, Call(v, GcControl{0, GcPhase::kStatus}));
      if (r.window_open)
        return Status::Busy("VDEV " + v.id + " has the pin window of GC epoch " + std::to_string(r.epoch) +
                            " open: another collector is at work");
      highest = std::max(highest, r.epoch);
    }
    epoch_ = highest + 1;
    for (const VdevInfo& v : table_->vdevs()) {
      Status s = Expect(v, GcControl{epoch_, GcPhase::kOpen}, "opening the pin window");
      if (!s.ok()) {
        ClosePinWindow();
        return s;
      }
    }
    return Status::OK();
  }

  bool drains_writes() const override { return false; }
  Status FenceEarlierWrites() override {
    initiator_->Sleep(options_.fence_grace_ns);
    for (const VdevInfo& v : table_->vdevs())
      CCOW_RETURN_IF_ERROR(Expect(v, GcControl{epoch_, GcPhase::kFence}, "fencing"));
    return Status::OK();
  }

  Status Mark(const Chid& chid, uint32_t replication_count) override {
    const uint32_t row = table_->RowOf(chid);
    if (pending_[row].Add(chid, replication_count, options_.mark_batch)) return FlushRow(row);
    return Status::OK();
  }

  Status MarkOn(const Chid& chid, const std::string& vdev_id, uint32_t replication_count) override {
    // Only a VDEV of the chunk's row sweeps it: a mark elsewhere would keep nothing.
    const uint32_t row = table_->RowOf(chid);
    std::optional<uint32_t> vdev;
    for (uint32_t member : table_->Row(row))
      if (table_->vdevs()[member].id == vdev_id) vdev = member;
    if (!vdev)
      return Status::InvalidArgument("gc: chunk " + chid.ToString() + " cannot be marked on VDEV " + vdev_id +
                                     ": it is not in the chunk's row " + std::to_string(row) +
                                     " of FlexHash generation " + std::to_string(table_->generation()));
    if (pending_on_[*vdev].Add(chid, replication_count, options_.mark_batch)) return FlushVdev(*vdev);
    return Status::OK();
  }

  Result<SweepResult> Sweep(const std::function<bool(const Chid&)>&) override {
    while (!pending_.empty()) CCOW_RETURN_IF_ERROR(FlushRow(pending_.begin()->first));
    while (!pending_on_.empty()) CCOW_RETURN_IF_ERROR(FlushVdev(pending_on_.begin()->first));
    // Every VDEV still holds this epoch's pins and marks: none restarted since it opened.
    for (const VdevInfo& v : table_->vdevs())
      CCOW_RETURN_IF_ERROR(Expect(v, GcControl{epoch_, GcPhase::kStatus}, "checking the window"));
    // Every VDEV is asked to start at once (each sweeps on a worker of its own target),
    // then those not finished are asked again until they are: the sweeps overlap.
    SweepResult total;
    Status first_error;
    std::vector<const VdevInfo*> sweeping;
    for (const VdevInfo& v : table_->vdevs()) sweeping.push_back(&v);
    const uint64_t deadline = initiator_->NowNs() + options_.sweep_timeout_ns;
    while (!sweeping.empty()) {
      std::vector<const VdevInfo*> still;
      for (const VdevInfo* v : sweeping) {
        auto r = SweepStep(*v, deadline);
        if (!r.ok()) {
          if (first_error.ok()) first_error = r.status();
          spdlog::warn("gc: {}", r.status().ToString());
        } else if (!*r) {
          still.push_back(v);
        } else {
          total.scanned += (*r)->scanned;
          total.removed += (*r)->removed;
          total.bytes_removed += (*r)->bytes_removed;
          total.pinned += (*r)->pinned;
          total.lowered += (*r)->lowered;
        }
      }
      sweeping = std::move(still);
      if (!sweeping.empty()) initiator_->Sleep(100'000'000);
    }
    if (!first_error.ok()) return first_error;
    return total;
  }

  void ClosePinWindow() override {
    if (!table_ || epoch_ == 0) return;
    for (const VdevInfo& v : table_->vdevs()) {
      auto r = initiator_->GcCall(v.address, GcControl{epoch_, GcPhase::kClose});
      if (!r.ok()) spdlog::warn("gc: closing epoch {} at VDEV {}: {}", epoch_, v.id, r.status().ToString());
    }
  }

  Result<CompactionResult> Compact(const CompactionOptions&) override { return CompactionResult{}; }

 private:
  Result<GcReply> Call(const VdevInfo& v, const replicast::Body& request) {
    if (initiator_->flexhash()->generation() != table_->generation())
      return Status::Unavailable("the FlexHash changed during the GC pass (generation " +
                                 std::to_string(table_->generation()) + " to " +
                                 std::to_string(initiator_->flexhash()->generation()) + "): it stops");
    return initiator_->GcCall(v.address, request);
  }
  // A call that must find this epoch's window open and succeed.
  Status Expect(const VdevInfo& v, const replicast::Body& request, const char* what) {
    auto r = Call(v, request);
    if (!r.ok()) return r.status().WithContext(std::string("gc: ") + what + " at VDEV " + v.id);
    if (r->status != GcReplyStatus::kOk || (r->epoch != epoch_) || !r->window_open)
      return Status::Unavailable(std::string("gc: ") + what + " at VDEV " + v.id + " failed (epoch " +
                                 std::to_string(epoch_) + ", the VDEV is at " + std::to_string(r->epoch) +
                                 (r->window_open ? "" : " with no window open") +
                                 (r->message.empty() ? "" : ": " + r->message) + "); nothing is freed");
    return Status::OK();
  }
  Status FlushRow(uint32_t row) {
    auto it = pending_.find(row);
    GcMark mark{epoch_, std::move(it->second.chunks)};
    pending_.erase(it);
    for (uint32_t member : table_->Row(row))
      CCOW_RETURN_IF_ERROR(Expect(table_->vdevs()[member], mark, "marking"));
    return Status::OK();
  }
  Status FlushVdev(uint32_t vdev) {
    auto it = pending_on_.find(vdev);
    GcMark mark{epoch_, std::move(it->second.chunks)};
    pending_on_.erase(it);
    return Expect(table_->vdevs()[vdev], mark, "marking");
  }
  // Asks a VDEV to sweep (the first ask starts it): its result once finished, nullopt
  // while under way.
  Result<std::optional<SweepResult>> SweepStep(const VdevInfo& v, uint64_t deadline) {
    auto r = Call(v, GcControl{epoch_, GcPhase::kSweep});
    if (!r.ok()) return r.status().WithContext("gc: sweeping VDEV " + v.id);
    if (r->status != GcReplyStatus::kOk || r->epoch != epoch_)
      return Status::Unavailable("gc: VDEV " + v.id + " did not sweep epoch " + std::to_string(epoch_) +
                                 (r->message.empty() ? "" : ": " + r->message));
    if (r->swept)
      return std::optional<SweepResult>(SweepResult{r->scanned, r->removed, r->bytes_removed, r->pinned, r->lowered});
    if (initiator_->NowNs() > deadline)
      return Status::Unavailable("gc: VDEV " + v.id + " is still sweeping after the timeout");
    return std::optional<SweepResult>();
  }

  replicast::Initiator* initiator_;
  ClusterGcOptions options_;
  std::shared_ptr<const FlexHashTable> table_;
  uint64_t epoch_ = 0;
  std::map<uint32_t, MarkBatch> pending_;     // marks by row, not sent yet
  std::map<uint32_t, MarkBatch> pending_on_;  // marks on one VDEV, by its index
};

}  // namespace

std::unique_ptr<ChunkCollection> NewClusterCollection(replicast::Initiator* initiator,
                                                      const ClusterGcOptions& options) {
  return std::make_unique<ClusterCollection>(initiator, options);
}

}  // namespace ccow
