#include "target/scrubber.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace ccow {
namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;
constexpr size_t kMaxKnownBad = 4096;

std::string CursorFile(const LocalVdev& vdev) { return vdev.path + "/scrub-cursor.json"; }

}  // namespace

Scrubber::Scrubber(std::vector<LocalVdev> vdevs, std::shared_ptr<RepairQueue> queue, ScrubberOptions options)
    : vdevs_(std::move(vdevs)), queue_(std::move(queue)), options_(std::move(options)),
      limiter_(options_.rate_bytes_per_second) {
  progress_.rate_bytes_per_second = options_.rate_bytes_per_second;
  progress_.interval_ns = options_.interval_ns;
}

Scrubber::~Scrubber() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t Scrubber::NowNs() const {
  if (options_.wall_clock_ns) return options_.wall_clock_ns();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Scrubber::Start() {
  // The schedule survives restarts: the cursors say when the last pass began and whether
  // one was left unfinished (a VDEV behind the newest epoch, or one stopped mid-walk).
  uint64_t newest = 0;
  std::vector<WalkCursor> cursors;
  for (const LocalVdev& v : vdevs_) {
    cursors.push_back(LoadWalkCursor(CursorFile(v)));
    newest = std::max(newest, cursors.back().epoch);
  }
  bool unfinished = false;
  for (const WalkCursor& c : cursors) unfinished |= newest > 0 && (c.epoch < newest || c.last.has_value());
  if (newest == 0) {
    // A new store (or one from before scrubbing): the first pass is one interval away.
    newest = NowNs() / kNsPerSecond;
    for (const LocalVdev& v : vdevs_) SaveWalkCursor(CursorFile(v), WalkCursor{newest, std::nullopt});
  }
  {
    std::lock_guard lock(mu_);
    resume_ = unfinished;
    next_due_ns_ = newest * kNsPerSecond + options_.interval_ns;
    progress_.pass_started_ns = newest * kNsPerSecond;
  }
  thread_ = std::thread([this] { Loop(); });
}

uint64_t Scrubber::Trigger() {
  std::lock_guard lock(mu_);
  // A pass under way has walked part of the chunks already: the request needs the next.
  requested_ = std::max(requested_, progress_.passes_started + 1);
  cv_.notify_all();
  return requested_;
}

bool Scrubber::WaitFor(uint64_t pass, uint64_t timeout_ms) {
  std::unique_lock lock(mu_);
  auto ended = [&] { return (progress_.passes_started >= pass && !progress_.running) || stop_; };
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), ended) && !stop_;
}

void Scrubber::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    const bool due = options_.interval_ns > 0 && NowNs() >= next_due_ns_;
    if (resume_ || requested_ > progress_.passes_started || due) {
      const bool resume = resume_;
      resume_ = false;
      lock.unlock();
      RunPass(resume);
      lock.lock();
      continue;
    }
    if (queue_ && queue_->size() > 0) {
      lock.unlock();
      RepairQueued();
      lock.lock();
      continue;
    }
    // Read repairs are picked up within a second; passes when due or triggered.
    cv_.wait_for(lock, std::chrono::seconds(1));
  }
}

bool Scrubber::Stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

void Scrubber::Throttle(uint64_t bytes) {
  limiter_.Wait(bytes, mu_, cv_, stop_);
}

const LocalVdev* Scrubber::VdevById(const std::string& id) const {
  for (const LocalVdev& v : vdevs_)
    if (v.id == id) return &v;
  return nullptr;
}

ScrubCounts Scrubber::RunPass(bool resume) {
  const uint64_t start_ns = NowNs();
  std::vector<WalkCursor> cursors;
  uint64_t epoch = start_ns / kNsPerSecond;
  if (resume) {
    epoch = 0;
    for (const LocalVdev& v : vdevs_) {
      cursors.push_back(LoadWalkCursor(CursorFile(v)));
      epoch = std::max(epoch, cursors.back().epoch);
    }
  } else {
    cursors.assign(vdevs_.size(), WalkCursor{});
  }
  uint64_t estimate = 0;
  for (const LocalVdev& v : vdevs_) estimate += v.store->Capacity().chunk_count;
  {
    std::lock_guard lock(mu_);
    progress_.running = true;
    progress_.passes_started++;
    known_bad_.clear();  // the pass tries every bad copy again
    progress_.pass = ScrubCounts{};
    progress_.pass_started_ns = resume ? epoch * kNsPerSecond : start_ns;
    progress_.pass_chunks_estimate = estimate;
    next_due_ns_ = epoch * kNsPerSecond + options_.interval_ns;
  }
  limiter_.Restart();
  auto started = std::chrono::steady_clock::now();
  bool complete = true;
  for (size_t i = 0; i < vdevs_.size() && complete; ++i) {
    const LocalVdev& vdev = vdevs_[i];
    WalkCursor cursor = cursors[i];
    if (resume && cursor.epoch == epoch && !cursor.last) continue;  // walked in this pass already
    if (cursor.epoch != epoch) cursor = WalkCursor{epoch, std::nullopt};
    auto walked = WalkChunks(vdev, CursorFile(vdev), &cursor, [&](const HashId& chid) {
      if (Stopping()) return false;
      RepairQueued();
      ScrubCounts counts;
      Check(vdev, chid, &counts);
      return true;
    });
    if (!walked.ok()) {
      spdlog::warn("scrub: walking {}: {}", vdev.id, walked.status().ToString());
      complete = false;
    } else if (!*walked) {
      complete = false;  // stopping: the cursor resumes the walk after a restart
    } else {
      SaveWalkCursor(CursorFile(vdev), WalkCursor{epoch, std::nullopt});
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::lock_guard lock(mu_);
  progress_.running = false;
  progress_.last_pass_seconds = seconds;
  if (complete) {
    progress_.passes_completed++;
    progress_.last_finished_ns = NowNs();
    const ScrubCounts& p = progress_.pass;
    spdlog::log(p.corrupt ? spdlog::level::warn : spdlog::level::info,
                "scrub: pass done in {:.1f} s: {} chunks ({} bytes) verified, {} bad copies, {} repaired, "
                "{} unrepairable",
                seconds, p.chunks, p.bytes, p.corrupt, p.repaired, p.unrepairable);
  }
  cv_.notify_all();
  return progress_.pass;
}

Scrubber::Verdict Scrubber::Check(const LocalVdev& vdev, const HashId& chid, ScrubCounts* counts) {
  std::string bytes;
  Status s = vdev.store->Get(chid, &bytes);
  if (s.IsNotFound()) return Verdict::kGone;  // removed since the walk listed it
  Throttle(bytes.size());
  if (!s.ok()) {
    std::lock_guard lock(mu_);
    if (known_bad_.count({vdev.id, chid})) return Verdict::kUnrepairable;  // counted by this pass already
  }
  ScrubCounts c;
  if (s.ok()) {
    c.chunks = 1;
    c.bytes = bytes.size();
  } else {
    c.corrupt = 1;
  }
  Verdict v = s.ok() ? Verdict::kHealthy : Repair(vdev, chid, s);
  if (v == Verdict::kRepaired) c.repaired = 1;
  if (v == Verdict::kUnrepairable) c.unrepairable = 1;
  *counts = c;
  Update([&](ScrubProgress& p) {
    p.pass += c;
    p.total += c;
  });
  return v;
}

size_t Scrubber::RepairQueued() {
  if (!queue_) return 0;
  size_t handled = 0;
  // Only what was queued when the drain began: a repair's own fetch may queue its copy again.
  for (size_t n = queue_->size(); n > 0; --n) {
    auto item = queue_->Pop();
    if (!item) break;
    const LocalVdev* vdev = VdevById(item->first);
    if (!vdev) continue;
    {
      std::lock_guard lock(mu_);
      if (known_bad_.count(*item)) continue;  // reported; the next pass retries it
    }
    // The read that queued it may have raced a repair (the pass's, or this one's own
    // fetch meeting the bad copy): confirm before counting.
    std::string bytes;
    Status s = vdev->store->Get(item->second, &bytes);
    if (s.ok() || s.IsNotFound()) continue;
    ScrubCounts c;
    c.corrupt = c.read_repairs = 1;
    Verdict v = Repair(*vdev, item->second, s);
    c.repaired = v == Verdict::kRepaired;
    c.unrepairable = v == Verdict::kUnrepairable;
    Update([&](ScrubProgress& p) {
      p.total += c;
      if (p.running) p.pass += c;
    });
    handled++;
    if (Stopping()) break;
  }
  return handled;
}

Scrubber::Verdict Scrubber::Repair(const LocalVdev& vdev, const HashId& chid, const Status& damage) {
  spdlog::warn("scrub: {} holds a bad copy of {}: {}", vdev.id, chid.ToString(), damage.ToString());
  if (!options_.fetch_healthy_copy) {
    RecordFinding(vdev, chid, "no other copy on this node: " + damage.message());
    return Verdict::kUnrepairable;
  }
  std::string bytes;
  Status s = options_.fetch_healthy_copy(chid, &bytes);
  if (s.ok() && HashBytes(chid.algo(), bytes) != chid)
    s = Status::Corruption("the copy fetched does not hash to its CHID");
  if (!s.ok()) {
    std::string error = "no healthy replica answered: " + s.ToString();
    if (options_.set_aside_unrepairable && damage.code() == Code::kCorruption) {
      Status aside = vdev.store->RemoveChunk(chid);
      if (aside.ok()) aside = vdev.store->Sync();
      error += aside.ok() ? "; the bad copy was set aside (removed from the index) for healing or its stripe to replace"
                          : "; setting the bad copy aside failed: " + aside.ToString();
    }
    RecordFinding(vdev, chid, error);
    return Verdict::kUnrepairable;
  }
  // Replace the copy: the store never overwrites a CHID it holds, so the bad one goes
  // first. The recorded replication count goes with it and is put back.
  auto recorded = vdev.store->ReplicationCount(chid);
  bool stored_new = false;
  s = vdev.store->RemoveChunk(chid);
  if (s.ok()) s = vdev.store->Put(chid, bytes, &stored_new);
  if (s.ok() && recorded.ok() && *recorded > 0) s = vdev.store->RecordReplicationCount(chid, *recorded).status();
  if (s.ok()) s = vdev.store->Sync();
  std::string check;
  if (s.ok()) s = vdev.store->Get(chid, &check);
  if (!s.ok()) {
    RecordFinding(vdev, chid, "replacing the local copy failed: " + s.ToString());
    return Verdict::kUnrepairable;
  }
  spdlog::info("scrub: {} repaired {} ({} bytes) from a healthy replica", vdev.id, chid.ToString(), bytes.size());
  return Verdict::kRepaired;
}

void Scrubber::RecordFinding(const LocalVdev& vdev, const HashId& chid, const std::string& error) {
  {
    std::lock_guard lock(mu_);
    if (known_bad_.size() >= kMaxKnownBad) known_bad_.clear();
    known_bad_.insert({vdev.id, chid});
  }
  ScrubFinding f{vdev.id, chid.ToString(), error, {}, NowNs()};
  if (options_.find_objects) f.objects = options_.find_objects(chid, options_.max_object_names);
  spdlog::error("scrub: {} copy of {} is unrepairable ({}); referenced by {} object(s) found{}", vdev.id, f.chid,
                error, f.objects.size(), f.objects.empty() ? "" : ": " + f.objects.front());
  std::lock_guard lock(mu_);
  auto& list = progress_.unrepairable;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const ScrubFinding& o) { return o.vdev_id == f.vdev_id && o.chid == f.chid; }),
             list.end());
  list.insert(list.begin(), std::move(f));
  if (list.size() > options_.max_findings) list.resize(options_.max_findings);
}

ScrubProgress Scrubber::progress() const {
  ScrubProgress p;
  {
    std::lock_guard lock(mu_);
    p = progress_;
  }
  if (queue_) {
    p.read_repairs_queued = queue_->pushed();
    p.read_repairs_dropped = queue_->dropped();
    p.read_repairs_waiting = queue_->size();
  }
  return p;
}

}  // namespace ccow
