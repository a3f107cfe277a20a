// A sending end's progress in a served bucket: its durable cursor in the bucket's trlog,
// the round that reads the changes from it (IsgwLink::SyncBucket), and trimming.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "client/byte_stream.h"
#include "client/trlog.h"
#include "cluster/service_config.h"
#include "isgw/isgw_link.h"
#include "isgw/isgw_wire.h"
#include "isgw/link_internal.h"

namespace ccow::isgw {

namespace {
// Seconds of the trlog read again behind the cursor each round: a change recorded in
// second s may commit (and its record become visible) a little later, and the gateways
// of a cluster do not share one clock. A record seen before is skipped by its id.
constexpr uint64_t kTrlogWindowS = 60;
// A record is shipped when first read, and once more when it is older than this: a
// change commits within kTrlogSettleNs of its record (client/trlog.h), so a round that
// read the record before the commit landed is followed by one that sees it.
constexpr uint64_t kSettleS = kTrlogSettleNs / 1'000'000'000 + 1;
static_assert(kSettleS < kTrlogWindowS);
// Records kept for a link that does not run (EdgeFS's catch-up horizon): past it, the
// link compares whole buckets again instead.
constexpr uint64_t kTrlogKeepS = 7 * 24 * 3600;
constexpr uint64_t kTrimEveryNs = 60'000'000'000ull;
constexpr size_t kNamesPerRound = 100'000;  // changed names one round reads from the trlog
constexpr size_t kMaxRetries = 10'000;      // names kept for retry in a cursor

// Where a service's cursor over a bucket's trlog is kept: SEG/TEN/.isgw/SERVICE/BKT.
std::string CursorName(const std::string& service, const std::string& bucket) {
  const size_t a = bucket.find('/'), b = bucket.find('/', a + 1);
  return bucket.substr(0, b) + "/.isgw/" + service + "/" + bucket.substr(b + 1);
}
}  // namespace

Result<std::optional<IsgwLink::Cursor>> IsgwLink::LoadCursor(const std::string& service, const std::string& bucket) {
  StringSink sink;
  Status s = api_->Get(CursorName(service, bucket), {}, std::nullopt, sink);
  if (s.code() == Code::kNotFound) return std::optional<Cursor>();
  CCOW_RETURN_IF_ERROR(s);
  auto j = nlohmann::json::parse(sink.data(), nullptr, false);
  auto bad = [&] { return Status::Corruption("ISGW cursor " + CursorName(service, bucket) + " is not a cursor's JSON"); };
  if (j.is_discarded() || !j.is_object() || !j.contains("cursor") || !j["cursor"].is_number_unsigned()) return bad();
  Cursor c;
  c.second = j["cursor"].get<uint64_t>();
  c.initial_done = j.value("initial_done", false);
  if (j.contains("retry")) {
    if (!j["retry"].is_object()) return bad();
    for (const auto& [name, since] : j["retry"].items()) {
      if (!since.is_number_unsigned()) return bad();
      c.retry[name] = since.get<uint64_t>();
    }
  }
  return std::optional<Cursor>(c);
}

Status IsgwLink::SaveCursor(const std::string& bucket, const Cursor& c) {
  nlohmann::json j = {{"cursor", c.second}, {"initial_done", c.initial_done}};
  if (!c.retry.empty()) j["retry"] = c.retry;
  const std::string text = j.dump();
  StringSource source(text);
  PutOptions put;
  put.content_type = "application/json";
  put.slot = VersionSlot::kReplaces;
  return api_->Put(CursorName(CursorKey(), bucket), source, put).status();
}

std::string IsgwLink::UploadsJournal(const std::string& bucket) const {
  return CursorName(CursorKey(), bucket) + "/s3-uploads";
}

// Offers the bucket's record to the remote, which creates and serves it if it lacks it.
Status IsgwLink::OfferBucket(const Remote& remote, const std::string& bucket) {
  if (remote.s3) return remote.s3->EnsureBucket(*api_, UploadsJournal(bucket));
  const size_t a = bucket.find('/'), b = bucket.find('/', a + 1);
  const std::string seg = bucket.substr(0, a), ten = bucket.substr(a + 1, b - a - 1), bkt = bucket.substr(b + 1);
  auto record = options_.state()->FindBucket(seg, ten, bkt);
  if (!record.ok()) return Status::OK();  // no record here (yet): nothing to offer
  BucketRequest offer{options_.service, EncodeCommand(command::CreateBucket{seg, ten, bkt, **record, true, true})};
  std::string reply;
  CCOW_RETURN_IF_ERROR(Post(remote, "bucket", Encode(offer), &reply));
  CCOW_ASSIGN_OR_RETURN(BucketReply answer, DecodeBucketReply(reply));
  if (answer.created) spdlog::info("isgw {}: bucket {} created at {}", options_.service, bucket, remote.url);
  return Status::OK();
}

Status IsgwLink::SyncBucket(const Remote& remote, const std::string& bucket, const ServiceConfig& config) {
  BucketProgress& p = progress_[bucket];
  const uint64_t now_s = api_->Now() / 1'000'000'000;
  if (!p.offered) {
    CCOW_RETURN_IF_ERROR(OfferBucket(remote, bucket));
    p.offered = true;
  }
  if (!p.loaded) {
    CCOW_ASSIGN_OR_RETURN(auto saved, LoadCursor(CursorKey(), bucket));
    if (saved) {
      p.cursor = *saved;
    } else {
      // Saved before anything is compared, so that another link trimming the trlog keeps
      // what this one reads once its first comparison is done, however long that takes.
      p.cursor = Cursor{now_s, false, {}};
      CCOW_RETURN_IF_ERROR(SaveCursor(bucket, p.cursor));
    }
    p.loaded = true;
  }
  const bool initial = config.replication & ServiceConfig::kInitial;
  const bool continuous = config.replication & ServiceConfig::kContinuous;
  if (!p.cursor.initial_done && !initial) {
    // Continuous only: what the bucket held before the link began is not shipped.
    p.cursor.initial_done = true;
    CCOW_RETURN_IF_ERROR(SaveCursor(bucket, p.cursor));
  }
  const bool behind = continuous && p.cursor.second + kTrlogKeepS < now_s;
  if (behind && !initial && !p.warned_behind) {
    // Nothing to compare against that would not ship the bucket's older objects too.
    p.warned_behind = true;
    spdlog::warn("isgw {}: {} fell behind the trlog's horizon", options_.service, bucket);
    Note(Status::FailedPrecondition("ISGW service " + options_.service + " was down longer than the trlog keeps changes (7 "
                          "days): changes of " + bucket + " before the oldest kept were not shipped (replication "
                          "is continuous only, so the bucket is not compared whole)"));
  }
  // What failed to ship before is tried again with this round's changes.
  std::set<std::string> names;
  for (const auto& [name, since] : p.cursor.retry) names.insert(name);
  Status first;
  std::set<std::string> failed;
  // The whole bucket is compared when the initial replication has not finished, once per
  // process (a change whose record a crash lost, a write by a process that records
  // nothing), and when the link fell behind the trlog's horizon.
  bool full = false;
  if (initial && (!p.cursor.initial_done || !p.full_done || behind)) {
    const uint64_t started = now_s;
    CCOW_RETURN_IF_ERROR(FullSync(remote, bucket, &first, &failed));
    {
      std::lock_guard lock(mu_);
      stats_.full_syncs++;
    }
    full = true;
    p.full_done = true;
    p.cursor.initial_done = true;
    // Changes recorded from a window before the comparison began on are read next.
    p.cursor.second = std::max(p.cursor.second, started);
  }

  // The records from the window behind the cursor on: new ones, and ones shipped before
  // they settled (the change may have committed after that round read its list).
  std::vector<std::pair<Chid, uint64_t>> records;
  uint64_t newest = p.cursor.second;
  if (continuous) {
    const uint64_t from = p.cursor.second > kTrlogWindowS ? p.cursor.second - kTrlogWindowS : 0;
    auto settled = [&](uint64_t second) { return second + kSettleS < now_s; };
    CCOW_RETURN_IF_ERROR(ReadTrlog(
        *api_, bucket, from,
        [&](const TrlogEntry& e) {
          records.push_back({e.id, e.second});
          names.insert(e.names.begin(), e.names.end());
          newest = std::max(newest, e.second);
          return names.size() < kNamesPerRound;
        },
        [&](const Chid& id, uint64_t second) {
          auto it = p.handled.find(id);
          return it != p.handled.end() && (it->second.settled || (!settled(second) && it->second.rounds >= 2));
        }));
    {
      std::lock_guard lock(mu_);
      stats_.trlog_records += records.size();
      stats_.trlog_names += names.size();
    }
  }
  // Names the full comparison shipped need not go again.
  std::vector<VersionList> lists;
  Status shipped;
  for (const std::string& name : names) {
    if (stopping()) return Status::Unavailable("ISGW link stopping");
    auto vl = api_->backend().GetVersionList(name);
    if (!vl.ok()) {
      shipped = vl.status();
      break;
    }
    if (!*vl) continue;  // removed here since (its quarantine expired): nothing to ship
    lists.push_back(std::move(**vl));
    if (lists.size() >= kListsPerRound) {
      shipped = ShipLists(remote, bucket, lists, &first, &failed);
      lists.clear();
      if (!shipped.ok()) break;
    }
  }
  if (shipped.ok()) shipped = ShipLists(remote, bucket, lists, &first, &failed);
  // An exchange that failed (the remote down, the store here unreadable): nothing moves,
  // and the round is tried again.
  if (!shipped.ok()) {
    std::lock_guard lock(mu_);
    auto& lag = stats_.buckets[bucket];
    lag.backlog = names.size();
    for (const auto& [id, second] : records) lag.oldest_unshipped_s = lag.oldest_unshipped_s ? std::min(lag.oldest_unshipped_s, second) : second;
    return shipped;
  }
  (void)full;
  // Every list read is at the remote but those in `failed`, kept for retry (with the
  // second since when) in the cursor, which moves to the newest second read.
  std::map<std::string, uint64_t> retry;
  for (const std::string& name : failed) {
    auto was = p.cursor.retry.find(name);
    retry[name] = was != p.cursor.retry.end() ? was->second : now_s;
    if (retry.size() >= kMaxRetries) break;
  }
  for (const auto& [id, second] : records) {
    Handled& h = p.handled[id];
    h = Handled{second, second + kSettleS < now_s, h.rounds + 1};
  }
  const uint64_t floor = newest > kTrlogWindowS ? newest - kTrlogWindowS : 0;
  for (auto it = p.handled.begin(); it != p.handled.end();) it = it->second.second < floor ? p.handled.erase(it) : std::next(it);
  const bool moved = newest != p.cursor.second || retry != p.cursor.retry || full;
  p.cursor.second = newest;
  p.cursor.retry = std::move(retry);
  {
    std::lock_guard lock(mu_);
    auto& lag = stats_.buckets[bucket];
    lag.backlog = p.cursor.retry.size();
    lag.oldest_unshipped_s = 0;
    for (const auto& [name, since] : p.cursor.retry)
      lag.oldest_unshipped_s = lag.oldest_unshipped_s ? std::min(lag.oldest_unshipped_s, since) : since;
  }
  if (moved) CCOW_RETURN_IF_ERROR(SaveCursor(bucket, p.cursor));
  CCOW_RETURN_IF_ERROR(Trim(bucket, p));
  return first;
}

// Removes the trlog seconds that every continuous sending service serving the bucket has
// passed (each one's saved cursor, less twice the window), or that are older than the
// horizon. A service that never ran has no cursor: it compares the whole bucket when it
// starts (a continuous-only one starts from then).
Status IsgwLink::Trim(const std::string& bucket, BucketProgress& p) {
  const uint64_t now_ns = api_->Now();
  if (p.last_trim_ns && now_ns - p.last_trim_ns < kTrimEveryNs) return Status::OK();
  p.last_trim_ns = now_ns;
  const uint64_t now_s = now_ns / 1'000'000'000;
  uint64_t keep_from = p.cursor.second;
  auto state = options_.state();
  // Importers of an export directory keep their cursors under their own keys: none
  // trims what another may not have read.
  if (!options_.cursor_key.empty()) keep_from = 0;
  for (const auto& [name, svc] : state->services()) {
    if (name == options_.service || !(svc.config.direction & ServiceConfig::kSend) ||
        !(svc.config.replication & ServiceConfig::kContinuous) || !Serves(svc, bucket))
      continue;
    CCOW_ASSIGN_OR_RETURN(auto other, LoadCursor(name, bucket));
    if (other) keep_from = std::min(keep_from, other->second);
  }
  keep_from = keep_from > 2 * kTrlogWindowS ? keep_from - 2 * kTrlogWindowS : 0;
  keep_from = std::max(keep_from, now_s > kTrlogKeepS ? now_s - kTrlogKeepS : 0);
  uint64_t removed = 0;
  Status s = TrimTrlog(*api_, bucket, keep_from, &removed);
  std::lock_guard lock(mu_);
  stats_.trlog_seconds_trimmed += removed;
  return s;
}

}  // namespace ccow::isgw
