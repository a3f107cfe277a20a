#include "client/snapview.h"

#include <map>

#include "client/byte_stream.h"
#include "model/object_name.h"

namespace ccow {
namespace {

constexpr size_t kListsPerPage = 1000;
constexpr char kRecordContentType[] = "application/x-ccow-snapview";

// "\xffsnapview/": where a bucket keeps its views' records.
std::string RecordKeyPrefix() { return std::string(1, kSystemKeyPrefix) + "snapview/"; }

std::string RecordName(const std::string& bucket, const std::string& name) {
  return bucket + "/" + RecordKeyPrefix() + name;
}

VersionSelector PinSelector(const std::string& name) {
  VersionSelector s;
  s.snapshot = SnapViewPin(name);
  return s;
}

const Snapshot* FindPin(const VersionList& vl, const std::string& pin) {
  for (const auto& s : vl.snapshots())
    if (s.name == pin) return &s;
  return nullptr;
}

std::string Incomplete(const std::string& bucket, const SnapViewInfo& info) {
  if (info.record && info.record->created_ns == 0)
    return "snapview " + info.name + " of " + bucket + " is being taken, or its taking was interrupted (" +
           std::to_string(info.present) + " objects pinned so far; `ccow snapview rm` removes what it left)";
  if (!info.record)
    return "snapview " + info.name + " of " + bucket + " is not complete here: its record has not arrived (" +
           std::to_string(info.present) + " objects pinned so far)";
  return "snapview " + info.name + " of " + bucket + " is not complete here: " + std::to_string(info.present) +
         " of its " + std::to_string(info.record->members) + " objects have arrived" +
         (info.present == info.record->members ? " (but not the versions it names)" : "");
}

}  // namespace

std::string SnapViewPin(std::string_view view) { return std::string(kSnapViewPinPrefix) + std::string(view); }

Status SnapViews::ScanBucket(const std::string& bucket, const std::function<Status(const VersionList&)>& fn) {
  CCOW_RETURN_IF_ERROR(ValidateBucketPath(bucket));
  const std::string prefix = bucket + "/";
  std::string last;
  while (true) {
    std::vector<VersionList> page;
    bool system = false;
    CCOW_RETURN_IF_ERROR(api_->backend().ScanVersionLists(
        prefix, last.empty() ? std::string() : last.substr(prefix.size()), [&](const VersionList& vl) {
          if (!last.empty() && vl.name() <= last) return true;
          if (IsSystemKey(std::string_view(vl.name()).substr(prefix.size()))) {
            system = true;  // system keys sort last: the objects are done
            return false;
          }
          page.push_back(vl);
          return page.size() < kListsPerPage;
        }));
    for (const auto& vl : page) CCOW_RETURN_IF_ERROR(fn(vl));
    if (page.size() < kListsPerPage || system) return Status::OK();
    last = page.back().name();
  }
}

Result<std::optional<SnapViewRecord>> SnapViews::ReadRecord(const std::string& bucket, const std::string& name) {
  StringSink sink;
  Status s = api_->Get(RecordName(bucket, name), {}, std::nullopt, sink);
  if (s.code() == Code::kNotFound) return std::optional<SnapViewRecord>();
  CCOW_RETURN_IF_ERROR(s.WithContext("reading the record of snapview " + name + " of " + bucket));
  CCOW_ASSIGN_OR_RETURN(SnapViewRecord record, DecodeSnapViewRecord(sink.data()));
  if (record.name != name)
    return Status::Corruption("the record of snapview " + name + " of " + bucket + " names view " + record.name);
  return std::optional<SnapViewRecord>(std::move(record));
}

Result<std::vector<SnapViewInfo>> SnapViews::Gather(const std::string& bucket,
                                                     const std::optional<std::string>& only) {
  CCOW_RETURN_IF_ERROR(ValidateBucketPath(bucket));
  std::map<std::string, SnapViewInfo> views;
  // The records: the bucket's system keys under "\xffsnapview/".
  const std::string records = bucket + "/" + RecordKeyPrefix();
  std::vector<std::string> named;
  CCOW_RETURN_IF_ERROR(api_->backend().ScanVersionLists(records, "", [&](const VersionList& vl) {
    if (vl.HasActiveVersion() && !vl.versions().front().is_delete_marker()) {
      std::string name = vl.name().substr(records.size());
      if (!only || name == *only) named.push_back(std::move(name));
    }
    return true;
  }));
  for (const auto& name : named) {
    CCOW_ASSIGN_OR_RETURN(auto record, ReadRecord(bucket, name));
    if (!record) continue;  // removed meanwhile
    views[name].name = name;
    views[name].record = std::move(record);
  }
  // The pins, and the digest of each view's members as they are here.
  std::map<std::string, SnapViewDigest> digests;
  const size_t key_at = bucket.size() + 1;
  const std::string only_pin = only ? SnapViewPin(*only) : std::string();
  CCOW_RETURN_IF_ERROR(ScanBucket(bucket, [&](const VersionList& vl) {
    for (const auto& s : vl.snapshots()) {
      if (!IsSnapViewPin(s.name) || (only && s.name != only_pin)) continue;
      std::string name = s.name.substr(kSnapViewPinPrefix.size());
      digests[name].Add(std::string_view(vl.name()).substr(key_at), s.version.vm_chid);
    }
    return Status::OK();
  }));
  for (auto& [name, digest] : digests) {
    SnapViewInfo& info = views[name];
    info.name = name;
    info.present = digest.count();
    const HashId d = digest.Final();
    info.complete = info.record && info.record->created_ns != 0 && info.present == info.record->members &&
                    d == info.record->members_digest;
  }
  for (auto& [name, info] : views)  // an empty bucket's view
    if (info.record && info.record->created_ns != 0 && info.record->members == 0 && info.present == 0)
      info.complete = true;
  std::vector<SnapViewInfo> out;
  for (auto& [name, info] : views) out.push_back(std::move(info));
  return out;
}

Result<SnapViewInfo> SnapViews::Create(const std::string& bucket, const std::string& name,
                                       std::optional<uint64_t> at_ns) {
  CCOW_RETURN_IF_ERROR(ValidateBucketPath(bucket));
  CCOW_RETURN_IF_ERROR(ValidateSnapViewName(name));
  const uint64_t now = api_->Now();
  const uint64_t at = at_ns.value_or(now);
  if (at > now)
    return Status::InvalidArgument("snapview " + name + ": time " + std::to_string(at) + " ns is in the future");
  // Versions replaced or deleted before now - retention may be gone: a view of that time
  // would miss them, and a restore of it would hide their objects.
  const uint64_t retention = api_->RetentionOf(bucket + "/x");
  if (at_ns && now - at >= retention)
    return Status::InvalidArgument("snapview " + name + ": " + std::to_string((now - at) / 1'000'000'000) +
                                   " s ago is not within the bucket's quarantine retention (" +
                                   std::to_string(retention / 1'000'000'000) +
                                   " s): versions replaced or deleted before then may be gone");
  CCOW_ASSIGN_OR_RETURN(auto existing, ReadRecord(bucket, name));
  if (existing && existing->created_ns == 0)
    return Status::AlreadyExists("snapview " + name + " of " + bucket + " is being taken, or its taking was " +
                                 "interrupted: `ccow snapview rm` removes what it left");
  if (existing) return Status::AlreadyExists("bucket " + bucket + " already has snapview " + name);
  // A placeholder record first (created_ns 0: never complete), so that two takes of one
  // name cannot pin over each other: the second finds it and stops before pinning.
  auto put_record = [&](const SnapViewRecord& record, const WriteCondition& condition) {
    const std::string bytes = EncodeSnapViewRecord(record);
    StringSource source(bytes);
    PutOptions put;
    put.content_type = kRecordContentType;
    put.slot = VersionSlot::kReplaces;
    put.condition = condition;
    return api_->Put(RecordName(bucket, name), source, put);
  };
  SnapViewRecord record;
  record.name = name;
  record.at_ns = at;
  record.members_digest = SnapViewDigest().Final();
  WriteCondition fresh;
  fresh.must_not_exist = true;
  auto placeholder = put_record(record, fresh);
  if (placeholder.status().code() == Code::kFailedPrecondition)
    return Status::AlreadyExists("bucket " + bucket + " already has snapview " + name + " (taken meanwhile)");
  CCOW_RETURN_IF_ERROR(placeholder.status());
  const std::string pin = SnapViewPin(name);
  VersionSelector then;
  then.as_of_ns = at;
  SnapViewDigest digest;
  const size_t key_at = bucket.size() + 1;
  CCOW_RETURN_IF_ERROR(ScanBucket(bucket, [&](const VersionList& vl) -> Status {
    auto current = vl.CurrentAt(at);
    const Snapshot* left = FindPin(vl, pin);  // by an interrupted take or removal
    if (!current.ok() || (left && left->version.vm_chid != current->vm_chid)) {
      if (left) {
        Status dropped = api_->DeleteSnapshot(vl.name(), pin);
        if (!dropped.ok() && dropped.code() != Code::kNotFound) return dropped;
      }
      if (!current.ok()) return Status::OK();  // not in the view
    } else if (left) {
      digest.Add(std::string_view(vl.name()).substr(key_at), current->vm_chid);
      return Status::OK();
    }
    Status pinned = api_->CreateSnapshot(vl.name(), pin, then);
    // Changed since the scan read it: what it had at `at` is what the update saw.
    if (pinned.code() == Code::kNotFound) return Status::OK();
    CCOW_RETURN_IF_ERROR(pinned.WithContext("snapview " + name + ": pinning " + vl.name()));
    CCOW_ASSIGN_OR_RETURN(VersionList now_list, api_->Versions(vl.name()));
    const Snapshot* made = FindPin(now_list, pin);
    if (!made) return Status::Conflict("snapview " + name + ": the pin of " + vl.name() + " vanished as it was made; take the view again");
    digest.Add(std::string_view(vl.name()).substr(key_at), made->version.vm_chid);
    return Status::OK();
  }));
  record.created_ns = api_->Now();
  record.members = digest.count();
  record.members_digest = digest.Final();
  WriteCondition over;
  over.current_vm = placeholder->vm_chid;
  auto written = put_record(record, over);
  if (written.status().code() == Code::kFailedPrecondition)
    return Status::Conflict("snapview " + name + " of " + bucket + " was removed while it was being taken");
  CCOW_RETURN_IF_ERROR(written.status());
  SnapViewInfo info;
  info.name = name;
  info.record = record;
  info.present = record.members;
  info.complete = true;
  return info;
}

Result<std::vector<SnapViewInfo>> SnapViews::List(const std::string& bucket) { return Gather(bucket, std::nullopt); }

Result<SnapViewInfo> SnapViews::Stat(const std::string& bucket, const std::string& name) {
  CCOW_RETURN_IF_ERROR(ValidateSnapViewName(name));
  CCOW_ASSIGN_OR_RETURN(auto views, Gather(bucket, name));
  if (views.empty()) return Status::NotFound("bucket " + bucket + " has no snapview " + name);
  return std::move(views.front());
}

Status SnapViews::RequireComplete(const std::string& bucket, const std::string& name) {
  CCOW_ASSIGN_OR_RETURN(SnapViewInfo info, Stat(bucket, name));
  if (!info.complete) return Status::Unavailable(Incomplete(bucket, info));
  return Status::OK();
}

Status SnapViews::Members(const std::string& bucket, const std::string& name,
                          const std::function<bool(const SnapViewMember&)>& fn) {
  CCOW_RETURN_IF_ERROR(RequireComplete(bucket, name));
  const std::string pin = SnapViewPin(name);
  bool more = true;
  return ScanBucket(bucket, [&](const VersionList& vl) {
    if (!more) return Status::OK();
    if (const Snapshot* s = FindPin(vl, pin)) more = fn(SnapViewMember{vl.name().substr(bucket.size() + 1), s->version});
    return Status::OK();
  });
}

Result<VersionSelector> SnapViews::Selector(const std::string& bucket, const std::string& name) {
  CCOW_RETURN_IF_ERROR(ValidateBucketPath(bucket));
  CCOW_RETURN_IF_ERROR(ValidateSnapViewName(name));
  CCOW_ASSIGN_OR_RETURN(auto record, ReadRecord(bucket, name));
  if (!record) return Status::NotFound("bucket " + bucket + " has no snapview " + name);
  return PinSelector(name);
}

Status SnapViews::Remove(const std::string& bucket, const std::string& name) {
  CCOW_RETURN_IF_ERROR(ValidateBucketPath(bucket));
  CCOW_RETURN_IF_ERROR(ValidateSnapViewName(name));
  const std::string pin = SnapViewPin(name);
  bool found = false;
  // Pins first: a removal that stops half way leaves the record, and the view reported
  // incomplete, until it is removed again.
  CCOW_RETURN_IF_ERROR(ScanBucket(bucket, [&](const VersionList& vl) -> Status {
    if (!FindPin(vl, pin)) return Status::OK();
    found = true;
    Status s = api_->DeleteSnapshot(vl.name(), pin);
    return s.code() == Code::kNotFound ? Status::OK() : s;
  }));
  Status s = api_->Delete(RecordName(bucket, name), std::nullopt);
  if (s.ok()) return s;
  if (s.code() == Code::kNotFound)
    return found ? Status::OK() : Status::NotFound("bucket " + bucket + " has no snapview " + name);
  return s;
}

Result<uint64_t> SnapViews::Clone(const std::string& bucket, const std::string& name, const std::string& dest_bucket) {
  CCOW_RETURN_IF_ERROR(ValidateBucketPath(dest_bucket));
  const VersionSelector which = PinSelector(name);
  uint64_t cloned = 0;
  Status failed;
  CCOW_RETURN_IF_ERROR(Members(bucket, name, [&](const SnapViewMember& m) {
    auto c = api_->Clone(bucket + "/" + m.key, which, dest_bucket + "/" + m.key);
    if (!c.ok()) {
      failed = c.status().WithContext("snapview " + name + ": cloning " + m.key);
      return false;
    }
    ++cloned;
    return true;
  }));
  CCOW_RETURN_IF_ERROR(failed);
  return cloned;
}

Result<SnapViewRestoreStats> SnapViews::Restore(const std::string& bucket, const std::string& name) {
  CCOW_RETURN_IF_ERROR(RequireComplete(bucket, name));
  const std::string pin = SnapViewPin(name);
  const VersionSelector which = PinSelector(name);
  SnapViewRestoreStats stats;
  CCOW_RETURN_IF_ERROR(ScanBucket(bucket, [&](const VersionList& vl) -> Status {
    const bool exists = vl.HasActiveVersion() && !vl.versions().front().is_delete_marker();
    const Snapshot* s = FindPin(vl, pin);
    if (!s) {
      if (!exists) return Status::OK();
      CCOW_RETURN_IF_ERROR(api_->PutDeleteMarker(vl.name()).status().WithContext("snapview " + name + ": hiding " + vl.name()));
      ++stats.hidden;
      return Status::OK();
    }
    // The view's version, or a restored copy of it (a clone: another manifest with the
    // same bytes, content type and metadata), is current: nothing to do.
    if (exists && vl.versions().front().vm_chid == s->version.vm_chid) {
      ++stats.unchanged;
      return Status::OK();
    }
    if (exists) {
      auto now = api_->Stat(vl.name(), {});
      auto then = api_->Stat(vl.name(), which);
      if (now.ok() && then.ok() && now->etag == then->etag && now->size == then->size &&
          now->content_type == then->content_type && now->user_metadata == then->user_metadata) {
        ++stats.unchanged;
        return Status::OK();
      }
    }
    CCOW_RETURN_IF_ERROR(api_->Clone(vl.name(), which, vl.name()).status().WithContext("snapview " + name + ": restoring " + vl.name()));
    ++stats.restored;
    return Status::OK();
  }));
  return stats;
}

}  // namespace ccow
