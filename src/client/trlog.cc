#include "client/trlog.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <set>

#include "client/byte_stream.h"
#include "client/object_api.h"
#include "model/encoding.h"
#include "model/object_name.h"

namespace ccow {
namespace {

constexpr uint8_t kTrlogRecordVersion = 1;
constexpr char kTrlogBucket[] = ".trlog";
constexpr size_t kSecondsPerScan = 256;  // lists read by one scan before their records are

std::string SecondKey(uint64_t second) {
  static const char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, second >>= 4) s[i] = kHex[second & 15];
  return s;
}

bool ParseSecondKey(std::string_view key, uint64_t* second) {
  if (key.size() != 16) return false;
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), *second, 16);
  return ec == std::errc() && end == key.data() + key.size();
}

}  // namespace

std::string EncodeTrlogRecord(const TrlogRecord& record) {
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(RecordKind::kTrlogRecord));
  enc.PutU8(kTrlogRecordVersion);
  enc.PutVarint(record.keys.size());
  for (const auto& k : record.keys) enc.PutBytes(k);
  return enc.Take();
}

Result<TrlogRecord> DecodeTrlogRecord(std::string_view bytes) {
  Decoder dec(bytes, "trlog record");
  dec.GetRecordHeader(RecordKind::kTrlogRecord, kTrlogRecordVersion);
  TrlogRecord record;
  const uint64_t n = dec.GetCount(2);  // each key: a length and at least one byte
  for (uint64_t i = 0; i < n && dec.status().ok(); ++i) {
    std::string key = dec.GetBytes();
    if (!dec.status().ok()) break;
    if (key.empty()) dec.Fail("an empty key");
    else if (!record.keys.empty() && key <= record.keys.back()) dec.Fail("keys out of order or repeated");
    record.keys.push_back(std::move(key));
  }
  CCOW_RETURN_IF_ERROR(dec.Finish());
  return record;
}

Result<std::string> TrlogPrefix(const std::string& bucket_path) {
  CCOW_RETURN_IF_ERROR(ValidateBucketPath(bucket_path));
  const size_t a = bucket_path.find('/'), b = bucket_path.find('/', a + 1);
  return bucket_path.substr(0, b) + "/" + kTrlogBucket + "/" + bucket_path.substr(b + 1) + "/";
}

// ---- writing: group commit ----

struct ObjectApi::TrlogBatch {
  std::map<std::string, std::set<std::string>> keys;  // bucket path -> changed keys
  bool done = false;
  std::map<std::string, Status> results;  // bucket path -> its record's put
};

Status ObjectApi::RecordChange(const std::string& full_name) {
  if (!options_.trlog_records) return Status::OK();
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(full_name));
  // Internal: the trlog's own objects among them.
  if (parsed.bucket[0] == '.' || parsed.tenant[0] == '.') return Status::OK();
  const std::string bucket_path = parsed.BucketPath();
  if (!options_.trlog_records(bucket_path)) return Status::OK();
  std::unique_lock lock(trlog_mu_);
  if (!trlog_open_) trlog_open_ = std::make_shared<TrlogBatch>();
  std::shared_ptr<TrlogBatch> mine = trlog_open_;
  mine->keys[bucket_path].insert(parsed.object);
  while (!mine->done) {
    if (trlog_flushing_) {
      trlog_cv_.wait(lock);
      continue;
    }
    // No flush under way: mine is the open batch (a batch leaves the open slot only to be
    // flushed); this caller flushes it, and whoever arrives meanwhile opens the next.
    trlog_flushing_ = true;
    std::shared_ptr<TrlogBatch> batch = std::move(trlog_open_);
    lock.unlock();
    std::map<std::string, Status> results;
    for (const auto& [bucket, keys] : batch->keys) {
      auto prefix = TrlogPrefix(bucket);
      if (!prefix.ok()) {
        results[bucket] = prefix.status();
        continue;
      }
      TrlogRecord record{{keys.begin(), keys.end()}};
      const std::string bytes = EncodeTrlogRecord(record);
      StringSource source(bytes);
      PutOptions options;
      options.content_type = "application/octet-stream";
      auto put = Put(*prefix + SecondKey(Now() / 1'000'000'000), source, options);
      results[bucket] = put.status().WithContext("recording a change of " + bucket +
                                                 " in its trlog (an Inter-Segment Gateway link serves it)");
    }
    lock.lock();
    batch->results = std::move(results);
    batch->done = true;
    trlog_flushing_ = false;
    trlog_cv_.notify_all();
  }
  return mine->results[bucket_path];
}

// ---- reading ----

Status ReadTrlog(ObjectApi& api, const std::string& bucket_path, uint64_t from,
                 const std::function<bool(const TrlogEntry&)>& fn,
                 const std::function<bool(const Chid&, uint64_t)>& skip) {
  CCOW_ASSIGN_OR_RETURN(std::string prefix, TrlogPrefix(bucket_path));
  const std::string bucket = bucket_path + "/";
  std::string after = from > 0 ? SecondKey(from - 1) : std::string();
  while (true) {
    std::vector<VersionList> lists;
    CCOW_RETURN_IF_ERROR(api.backend().ScanVersionLists(prefix, after, [&](const VersionList& vl) {
      lists.push_back(vl);
      return lists.size() < kSecondsPerScan;
    }));
    for (const VersionList& vl : lists) {
      TrlogEntry entry;
      // Another name under the prefix is not the log's: skipped.
      if (!ParseSecondKey(std::string_view(vl.name()).substr(prefix.size()), &entry.second)) continue;
      // Oldest flush first; a trimmed second has no active version left.
      for (auto it = vl.versions().rbegin(); it != vl.versions().rend(); ++it) {
        if (skip && skip(it->vm_chid, entry.second)) continue;
        StringSink sink;
        VersionSelector which;
        which.generation = it->generation;
        CCOW_RETURN_IF_ERROR(api.Get(vl.name(), which, std::nullopt, sink));
        auto record = DecodeTrlogRecord(sink.data());
        if (!record.ok()) return record.status().WithContext("trlog " + vl.name() + " generation " +
                                                             std::to_string(it->generation));
        entry.id = it->vm_chid;
        entry.names.clear();
        for (const auto& key : record->keys) entry.names.push_back(bucket + key);
        if (!fn(entry)) return Status::OK();
      }
    }
    if (lists.size() < kSecondsPerScan) return Status::OK();
    after = lists.back().name().substr(prefix.size());
  }
}

Status TrimTrlog(ObjectApi& api, const std::string& bucket_path, uint64_t before, uint64_t* removed) {
  CCOW_ASSIGN_OR_RETURN(std::string prefix, TrlogPrefix(bucket_path));
  std::vector<std::pair<std::string, Nhid>> old;
  CCOW_RETURN_IF_ERROR(api.backend().ScanVersionLists(prefix, "", [&](const VersionList& vl) {
    uint64_t second = 0;
    if (!ParseSecondKey(std::string_view(vl.name()).substr(prefix.size()), &second)) return true;
    if (second >= before) return false;
    old.push_back({vl.name(), vl.nhid()});
    return true;
  }));
  for (const auto& [name, nhid] : old) {
    // The whole second goes in one update: every version deleted and, as an internal
    // bucket keeps no quarantine, expired, so the list itself is removed and the next
    // collection frees its manifests.
    CCOW_RETURN_IF_ERROR(api.backend().UpdateVersionList(
        name, nhid,
        [](VersionList* vl) {
          *vl = VersionList(vl->name(), vl->nhid());
          return Status::OK();
        },
        nullptr));
    if (removed) ++*removed;
  }
  return Status::OK();
}

Result<uint64_t> OldestTrlogSecond(ObjectApi& api, const std::string& bucket_path) {
  CCOW_ASSIGN_OR_RETURN(std::string prefix, TrlogPrefix(bucket_path));
  uint64_t oldest = 0;
  CCOW_RETURN_IF_ERROR(api.backend().ScanVersionLists(prefix, "", [&](const VersionList& vl) {
    if (vl.versions().empty()) return true;
    return !ParseSecondKey(std::string_view(vl.name()).substr(prefix.size()), &oldest);
  }));
  return oldest;
}

}  // namespace ccow
