#include "target/vdev_gc.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace ccow {
namespace {

using replicast::GcControl;
using replicast::GcMark;
using replicast::GcPhase;
using replicast::GcReply;
using replicast::GcReplyStatus;

constexpr const char* kEpochKey = "gc.epoch";
constexpr const char* kFenceKey = "gc.fence";
constexpr size_t kSweepBatch = 1024;

Result<uint64_t> LoadCounter(ChunkStore* store, const char* key) {
  CCOW_ASSIGN_OR_RETURN(auto text, store->GetMeta(key));
  if (!text) return uint64_t{0};
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size())
    return Status::Corruption("the VDEV's recorded " + std::string(key) + " '" + *text + "' is not a number");
  return v;
}

}  // namespace

std::string PinKey(const HashId& chid) { return "p" + chid.ToKey(); }
std::string MarkKey(const HashId& chid) { return "m" + chid.ToKey(); }

Result<std::unique_ptr<VdevGc>> VdevGc::Open(ChunkStore* store, std::string vdev_id, uint64_t compaction_rate,
                                             const std::string& scratch_dir) {
  auto gc = std::unique_ptr<VdevGc>(new VdevGc(store, std::move(vdev_id), compaction_rate));
  CCOW_ASSIGN_OR_RETURN(gc->epoch_, LoadCounter(store, kEpochKey));
  CCOW_ASSIGN_OR_RETURN(gc->fence_, LoadCounter(store, kFenceKey));
  CCOW_ASSIGN_OR_RETURN(gc->pass_, ScratchTable::Open(scratch_dir));
  return gc;
}

Status VdevGc::ClearPassLocked() {
  pinned_ = marked_ = 0;
  pin_error_.clear();
  return pass_->Clear();
}

uint64_t VdevGc::Pin(const HashId& chid) {
  std::lock_guard lock(mu_);
  if (!window_open_ || !pin_error_.empty()) return epoch_;
  const std::string key = PinKey(chid);
  auto had = pass_->Get(key);
  Status s = had.ok() ? (*had ? Status::OK() : pass_->Put(key, {})) : had.status();
  if (had.ok() && !*had && s.ok()) ++pinned_;
  if (!s.ok()) {
    // The answer goes out with this epoch whatever happens here: the sweep must not run.
    pin_error_ = "a pin could not be recorded: " + s.ToString();
    spdlog::error("VDEV {}: gc epoch {}: {}; this pass removes nothing here", vdev_id_, epoch_, pin_error_);
  }
  return epoch_;
}

VdevGc::Admission VdevGc::AdmitNamedPut(uint64_t min_pin_epoch) {
  Admission a;
  a.lock_ = std::shared_lock(fence_mu_);
  a.allowed_ = min_pin_epoch >= fence_;
  return a;
}

uint64_t VdevGc::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

uint64_t VdevGc::fence_epoch() const {
  std::shared_lock lock(fence_mu_);
  return fence_;
}

GcReply VdevGc::ReplyLocked(GcReplyStatus status, std::string message) const {
  GcReply r;
  r.epoch = epoch_;
  {
    std::shared_lock lock(fence_mu_);
    r.fence_epoch = fence_;
  }
  r.status = status;
  r.window_open = window_open_;
  r.swept = swept_;
  r.marked = marked_;
  r.pinned = swept_ ? kept_pinned_ : pinned_;
  r.scanned = scanned_;
  r.removed = removed_;
  r.bytes_removed = bytes_removed_;
  r.lowered = lowered_;
  r.message = std::move(message);
  return r;
}

GcReply VdevGc::OnMark(const GcMark& mark) {
  std::lock_guard lock(mu_);
  if (!window_open_ || mark.epoch != epoch_)
    return ReplyLocked(GcReplyStatus::kUnknownEpoch, "no pin window of epoch " + std::to_string(mark.epoch) + " is open here");
  for (const replicast::MarkedChunk& c : mark.chunks) {
    const std::string key = MarkKey(c.chid);
    auto had = pass_->Get(key);
    if (!had.ok()) return ReplyLocked(GcReplyStatus::kFailed, had.status().ToString());
    uint8_t r = c.replication_count;
    if (*had) {
      const uint8_t was = (*had)->empty() ? 0 : static_cast<uint8_t>((**had)[0]);
      r = was == 0 || r == 0 ? 0 : std::max(was, r);
      if (r == was) continue;
    }
    const char value = static_cast<char>(r);
    Status s = pass_->Put(key, std::string_view(&value, 1));
    if (!s.ok()) return ReplyLocked(GcReplyStatus::kFailed, s.ToString());
    if (!*had) ++marked_;
  }
  return ReplyLocked(GcReplyStatus::kOk);
}

GcReply VdevGc::OnControl(const GcControl& c, const std::function<bool(const HashId&)>& in_rows,
                          const Executor& run) {
  std::unique_lock lock(mu_);
  const bool ours = window_open_ && c.epoch == epoch_;
  switch (c.phase) {
    case GcPhase::kStatus:
      return ReplyLocked(GcReplyStatus::kOk);
    case GcPhase::kOpen: {
      if (ours) return ReplyLocked(GcReplyStatus::kOk);  // a retransmission
      if (window_open_)
        return ReplyLocked(GcReplyStatus::kBusy, "the pin window of epoch " + std::to_string(epoch_) + " is open");
      if (c.epoch <= epoch_)
        return ReplyLocked(GcReplyStatus::kUnknownEpoch, "epoch " + std::to_string(c.epoch) + " is not after " +
                                                             std::to_string(epoch_));
      // Recorded first: answers tagged with an epoch are never older after a restart.
      Status s = store_->PutMeta(kEpochKey, std::to_string(c.epoch));
      if (!s.ok()) return ReplyLocked(GcReplyStatus::kFailed, s.ToString());
      s = ClearPassLocked();
      if (!s.ok()) return ReplyLocked(GcReplyStatus::kFailed, s.ToString());
      epoch_ = c.epoch;
      window_open_ = true;
      swept_ = sweeping_ = false;
      scanned_ = removed_ = bytes_removed_ = kept_pinned_ = lowered_ = 0;
      sweep_error_.clear();
      return ReplyLocked(GcReplyStatus::kOk);
    }
    case GcPhase::kFence: {
      if (!ours) return ReplyLocked(GcReplyStatus::kUnknownEpoch, "no pin window of this epoch is open here");
      std::unique_lock fence(fence_mu_);  // waits for named puts being committed
      if (fence_ < c.epoch) {
        Status s = store_->PutMeta(kFenceKey, std::to_string(c.epoch));
        if (!s.ok()) {
          fence.unlock();
          return ReplyLocked(GcReplyStatus::kFailed, s.ToString());
        }
        fence_ = c.epoch;
      }
      fence.unlock();
      return ReplyLocked(GcReplyStatus::kOk);
    }
    case GcPhase::kSweep: {
      if (!ours) return ReplyLocked(GcReplyStatus::kUnknownEpoch, "no pin window of this epoch is open here");
      if (fence_epoch() < c.epoch)
        return ReplyLocked(GcReplyStatus::kFailed, "epoch " + std::to_string(c.epoch) + " was never fenced here");
      if (swept_ || sweeping_)
        return ReplyLocked(sweep_error_.empty() ? GcReplyStatus::kOk : GcReplyStatus::kFailed, sweep_error_);
      if (!pin_error_.empty()) return ReplyLocked(GcReplyStatus::kFailed, pin_error_);
      sweeping_ = true;
      lock.unlock();
      run([this, in_rows] {
        Status s = Sweep(in_rows);
        {
          std::lock_guard done(mu_);
          sweeping_ = false;
          swept_ = true;
          if (!s.ok()) sweep_error_ = s.ToString();
          if (removed_ > 0 || lowered_ > 0 || !s.ok())
            spdlog::info("VDEV {}: gc epoch {} swept {} of {} chunks ({} bytes), lowered the R of {}{}", vdev_id_,
                         epoch_, removed_, scanned_, bytes_removed_, lowered_, s.ok() ? "" : ": " + s.ToString());
        }
        if (!s.ok() || stop_.stop_requested()) return;
        // The space comes back now: the removed chunks' segment files are rewritten, paced
        // so that the puts this VDEV serves keep the disk. After the sweep is reported
        // done: compaction needs neither the pass's window nor its pins (it moves records
        // and never frees what the index holds), and paced it may take minutes, which the
        // pass, its pins and its fence would otherwise wait out (or time out on).
        CompactionOptions co;
        co.seal_active = true;
        co.compact_index = true;
        co.max_bytes_per_second = compaction_rate_;
        co.stop = stop_.get_token();
        auto compacted = store_->CompactSegments(co);
        if (!compacted.ok()) spdlog::warn("VDEV {}: compaction after the GC sweep: {}", vdev_id_, compacted.status().ToString());
      });
      lock.lock();
      return ReplyLocked(sweep_error_.empty() ? GcReplyStatus::kOk : GcReplyStatus::kFailed, sweep_error_);
    }
    case GcPhase::kClose: {
      if (!ours) return ReplyLocked(GcReplyStatus::kOk);  // closed already, or another epoch
      if (sweeping_) return ReplyLocked(GcReplyStatus::kBusy, "the sweep is under way");
      window_open_ = false;
      Status s = ClearPassLocked();
      if (!s.ok()) spdlog::warn("VDEV {}: clearing gc epoch {}'s pins and marks: {}", vdev_id_, epoch_, s.ToString());
      return ReplyLocked(GcReplyStatus::kOk);
    }
  }
  return ReplyLocked(GcReplyStatus::kFailed, "unknown phase");
}

Status VdevGc::Sweep(const std::function<bool(const HashId&)>& in_rows) {
  std::optional<HashId> cursor;
  for (;;) {
    std::vector<HashId> batch;
    bool more = false;
    uint64_t scanned = 0;
    CCOW_RETURN_IF_ERROR(store_->ScanChunks(cursor, [&](const HashId& chid) {
      cursor = chid;
      ++scanned;
      if (in_rows(chid)) batch.push_back(chid);
      if (batch.size() >= kSweepBatch) {
        more = true;
        return false;
      }
      return true;
    }));
    std::lock_guard lock(mu_);
    scanned_ += scanned;
    std::vector<HashId> doomed;
    std::vector<std::pair<HashId, uint32_t>> lower;
    // A pin recorded after the sweep began (it takes mu_ per batch) fails it: nothing of
    // this batch is removed on the strength of a pin table that misses one.
    if (!pin_error_.empty()) return Status::IOError(pin_error_);
    for (const HashId& chid : batch) {
      CCOW_ASSIGN_OR_RETURN(auto pin, pass_->Get(PinKey(chid)));
      const bool pinned = pin.has_value();
      CCOW_ASSIGN_OR_RETURN(auto mark, pass_->Get(MarkKey(chid)));
      if (mark) {
        const uint8_t marked = mark->empty() ? 0 : static_cast<uint8_t>((*mark)[0]);
        // A pinned chunk keeps its count: a put or touch in the window may have raised it
        // for a version the mark has not seen. The next pass lowers it if still surplus.
        if (pinned || marked == 0) continue;
        CCOW_ASSIGN_OR_RETURN(uint32_t recorded, store_->ReplicationCount(chid));
        if (recorded > marked) lower.emplace_back(chid, marked);
        continue;
      }
      if (pinned) {
        ++kept_pinned_;
        continue;
      }
      doomed.push_back(chid);
    }
    if (!lower.empty()) {
      // Under mu_, as the removals: a put or touch arriving now pins after this and records
      // its own R over the lowered one.
      CCOW_RETURN_IF_ERROR(store_->SetReplicationCounts(lower));
      lowered_ += lower.size();
    }
    if (!doomed.empty()) {
      // Under mu_: a pin arriving now waits, then finds the chunk gone and it is stored again.
      uint64_t bytes = 0;
      CCOW_RETURN_IF_ERROR(store_->RemoveChunks(doomed, &bytes));
      removed_ += doomed.size();
      bytes_removed_ += bytes;
    }
    if (!more) return Status::OK();
  }
}

}  // namespace ccow
