// Lifecycle rules, applied periodically to every bucket that has them: expiration of
// current versions (a delete marker in versioned buckets), of noncurrent versions, of
// lone delete markers, transitions of current and noncurrent versions to colder storage
// classes, and abort of multipart uploads left incomplete.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_util.h"
#include "gateway/s3/s3_xml.h"

namespace ccow::s3 {
namespace {

// How cold a class is: a transition only ever moves a version colder, as in AWS.
int Coldness(StorageClass c) {
  switch (c) {
    case StorageClass::kDefault:
    case StorageClass::kStandard:
    case StorageClass::kReducedRedundancy: return 0;
    case StorageClass::kIntelligentTiering: return 1;
    case StorageClass::kStandardIa: return 2;
    case StorageClass::kOneZoneIa: return 3;
    case StorageClass::kGlacierIr: return 4;
    case StorageClass::kGlacier: return 5;
    case StorageClass::kDeepArchive: return 6;
  }
  return 0;
}

// The coldest class of `transitions` (sorted by days) due `age_days` after `since_ns`,
// when it is colder than the version's; nullopt otherwise.
std::optional<StorageClass> DueTransition(const std::vector<std::pair<int, StorageClass>>& transitions,
                                          const VersionEntry& v, uint64_t since_ns, uint64_t now_ns,
                                          uint64_t day_ns) {
  std::optional<StorageClass> due;
  for (const auto& [days, c] : transitions)
    if (since_ns + static_cast<uint64_t>(days) * day_ns <= now_ns && (!due || Coldness(c) > Coldness(*due))) due = c;
  if (due && Coldness(*due) > Coldness(v.storage_class)) return due;
  return std::nullopt;
}

void ApplyRule(ObjectApi& api, const BucketInfo& bucket, const std::string& base,
               const LifecycleRule& rule, uint64_t now_ns, uint64_t day_ns) {
  ListOptions opts;
  opts.prefix = base + rule.prefix;
  opts.include_delete_markers = true;
  opts.with_version_lists = true;
  bool versioned = bucket.versioned();
  for (;;) {
    auto page = api.List(opts);
    if (!page.ok()) {
      spdlog::warn("lifecycle {}: {}", bucket.name, page.status().ToString());
      return;
    }
    for (size_t i = 0; i < page->names.size(); ++i) {
      const std::string& name = page->names[i];
      const auto& versions = page->version_lists[i].versions();
      if (versions.empty()) continue;
      const VersionEntry& latest = versions.front();
      if (rule.expiration_days && !latest.is_delete_marker() &&
          latest.uvid.timestamp_ns + *rule.expiration_days * day_ns <= now_ns) {
        if (versioned) LogIfFailed(api.PutDeleteMarker(name, {}, SlotForVersioning(true, bucket.versioning_enabled())).status(), "lifecycle expiration");
        else LogIfFailed(api.Delete(name, std::nullopt), "lifecycle expiration");
        continue;
      }
      if (!latest.is_delete_marker())
        if (auto c = DueTransition(rule.transitions, latest, latest.uvid.timestamp_ns, now_ns, day_ns))
          LogIfFailed(api.SetStorageClass(name, VersionRef::Of(latest), *c), "lifecycle transition");
      for (size_t j = 1; j < versions.size() && !rule.noncurrent_transitions.empty(); ++j) {
        if (versions[j].is_delete_marker()) continue;
        if (auto c = DueTransition(rule.noncurrent_transitions, versions[j], versions[j - 1].uvid.timestamp_ns, now_ns,
                                   day_ns))
          LogIfFailed(api.SetStorageClass(name, VersionRef::Of(versions[j]), *c), "lifecycle noncurrent transition");
      }
      if (rule.noncurrent_expiration_days) {
        // A version becomes noncurrent when the next newer one is written.
        for (size_t j = 1; j < versions.size(); ++j) {
          uint64_t noncurrent_since = versions[j - 1].uvid.timestamp_ns;
          // A version under Object Lock waits for its retention (or hold) to end; the
          // version list would refuse the delete anyway.
          if (!versions[j].lock.Refusal(now_ns, false).empty()) continue;
          if (noncurrent_since + *rule.noncurrent_expiration_days * day_ns <= now_ns)
            LogIfFailed(api.Delete(name, VersionRef::Of(versions[j])), "lifecycle noncurrent");
        }
      }
      if (rule.expired_object_delete_marker && versions.size() == 1 && latest.is_delete_marker())
        LogIfFailed(api.Delete(name, VersionRef::Of(latest)), "lifecycle delete marker");
    }
    if (!page->truncated) return;
    opts.start_after = page->next_start_after;
  }
}

}  // namespace

void S3Handler::RunLifecycle() {
  uint64_t now = NowNs();
  uint64_t day_ns = static_cast<uint64_t>(options_.lifecycle_day_seconds) * 1000000000ull;
  for (const auto& tenant : buckets_.Tenants()) {
    for (const auto& bucket : buckets_.List(tenant)) {
      if (bucket.record.lifecycle_xml.empty()) continue;
      std::vector<LifecycleRule> rules;
      if (!ParseLifecycleConfiguration(bucket.record.lifecycle_xml, &rules).ok()) continue;
      std::string base = buckets_.BucketPath(tenant, bucket.name) + "/";
      for (const auto& rule : rules) {
        if (!rule.enabled) continue;
        ApplyRule(*api_, bucket, base, rule, now, day_ns);
        if (!rule.abort_incomplete_upload_days) continue;
        ListOptions up;
        up.prefix = options_.segment + "/" + tenant + "/.uploads/" + bucket.name + "/";
        auto uploads = api_->List(up);
        if (!uploads.ok()) continue;
        for (size_t i = 0; i < uploads->names.size(); ++i) {
          const VersionEntry& v = uploads->objects[i];
          if (v.uvid.timestamp_ns + *rule.abort_incomplete_upload_days * day_ns > now) continue;
          StringSink sink;
          if (!api_->Get(uploads->names[i], {}, std::nullopt, sink).ok()) continue;
          auto j = nlohmann::json::parse(sink.data(), nullptr, false);
          if (j.is_discarded() || j.value("key", "").rfind(rule.prefix, 0) != 0) continue;
          LogIfFailed(AbortUpload(tenant, uploads->names[i].substr(up.prefix.size())),
                      "lifecycle abort upload");
          LogIfFailed(api_->Delete(uploads->names[i], std::nullopt), "lifecycle upload record");
        }
      }
    }
  }
}

}  // namespace ccow::s3
