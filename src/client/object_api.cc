// ObjectApi: everything but the data paths (object_writer.cc, object_reader.cc).
#include "client/object_api.h"

#include <algorithm>
#include <chrono>

#include "core/check.h"
#include "model/object_name.h"

namespace ccow {

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

ObjectInfo InfoFromManifest(const VersionManifest& vm, const Chid& vm_chid) {
  ObjectInfo info;
  info.name = vm.name;
  info.generation = vm.generation;
  info.uvid = vm.uvid;
  info.size = vm.size;
  info.etag = vm.etag;
  info.content_type = vm.content_type;
  info.user_metadata = vm.user_metadata;
  info.policy = vm.policy;
  info.vm_chid = vm_chid;
  info.flags = vm.flags;
  info.origin = vm.origin;
  info.checksum = vm.checksum;
  info.encryption = vm.encryption;
  return info;
}

ObjectApi::ObjectApi(std::shared_ptr<Backend> backend, ApiOptions options)
    : backend_(std::move(backend)), options_(std::move(options)) {
  options_.default_policy = Resolve(options_.default_policy);
}

ObjectApi::WriteScope::WriteScope(ObjectApi* api) : api_(api) {
  std::lock_guard lock(api_->writes_mu_);
  epoch_ = api_->write_epoch_;
  api_->writes_in_flight_[epoch_]++;
}

ObjectApi::WriteScope::~WriteScope() {
  std::lock_guard lock(api_->writes_mu_);
  auto it = api_->writes_in_flight_.find(epoch_);
  CCOW_CHECK(it != api_->writes_in_flight_.end() && it->second > 0);
  if (--it->second == 0) api_->writes_in_flight_.erase(it);
  api_->writes_cv_.notify_all();
}

Status ObjectApi::DrainEarlierWrites(uint64_t timeout_ns) {
  std::unique_lock lock(writes_mu_);
  const uint64_t epoch = ++write_epoch_;
  bool drained = writes_cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] {
    return writes_in_flight_.empty() || writes_in_flight_.begin()->first >= epoch;
  });
  if (drained) return Status::OK();
  uint64_t open = 0;
  for (const auto& [e, n] : writes_in_flight_)
    if (e < epoch) open += n;
  return Status::Busy(std::to_string(open) + " writes begun before the collection started are still running after " +
                          std::to_string(timeout_ns / 1'000'000'000) + " s");
}

uint64_t ObjectApi::RetentionOf(const std::string& name) const {
  // SEGMENT/TENANT/BUCKET/KEY
  size_t a = name.find('/');
  size_t b = a == std::string::npos ? a : name.find('/', a + 1);
  size_t c = b == std::string::npos ? b : name.find('/', b + 1);
  if (c == std::string::npos) return options_.quarantine_retention_ns;
  if (name[b + 1] == '.') return 0;
  uint64_t r = options_.bucket_retention ? options_.bucket_retention(name.substr(0, c)) : 0;
  return r ? r : options_.quarantine_retention_ns;
}

ObjectPolicy ObjectApi::Resolve(ObjectPolicy policy) const {
  if (policy.replication_count == 0)
    policy.replication_count = static_cast<uint8_t>(std::min<uint32_t>(backend_->default_replication_count(), 255));
  return policy;
}

uint64_t ObjectApi::Now() const { return options_.clock ? options_.clock() : NowNs(); }

Uvid ObjectApi::NextUvid() {
  return Uvid{Now(), options_.site_id ? options_.site_id() : options_.segment_id,
              sequence_.fetch_add(1, std::memory_order_relaxed)};
}

Result<VersionManifest> ObjectApi::LoadManifest(const std::string& name,
                                                const VersionSelector& which,
                                                VersionEntry* entry_out) {
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(name));
  CCOW_ASSIGN_OR_RETURN(auto vl, backend_->GetVersionList(parsed.Full()));
  if (!vl) return Status::NotFound("object " + parsed.Full() + " does not exist");
  CCOW_ASSIGN_OR_RETURN(VersionEntry entry, vl->Resolve(which));
  std::string bytes;
  Status st = backend_->GetChunk(entry.vm_chid, &bytes);
  if (st.IsNotFound())
    return Status::Corruption("object " + parsed.Full() + " generation " +
                              std::to_string(entry.generation) + ": its version manifest " +
                              entry.vm_chid.ToString() + " is missing");
  CCOW_RETURN_IF_ERROR(st);
  auto vm = VersionManifest::Decode(bytes);
  if (!vm.ok()) return vm.status().WithContext("chunk " + entry.vm_chid.ToString());
  if (vm->name != parsed.Full())
    return Status::Corruption("version manifest " + entry.vm_chid.ToString() + " names " +
                              vm->name + ", not " + parsed.Full());
  if (entry_out) *entry_out = std::move(entry);
  return vm;
}

Result<ObjectInfo> ObjectApi::Stat(const std::string& name, const VersionSelector& which) {
  VersionEntry entry;
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, LoadManifest(name, which, &entry));
  ObjectInfo info = InfoFromManifest(vm, entry.vm_chid);
  info.lock = entry.lock;
  info.storage_class = entry.storage_class;
  info.null_version = entry.is_null_version();
  return info;
}

namespace {

const char* KindName(ChunkKind kind) {
  switch (kind) {
    case ChunkKind::kPayload: return "payload";
    case ChunkKind::kKeyValue: return "key/value";
    case ChunkKind::kChunkManifest: return "chunk manifest";
  }
  return "unknown";
}

Status LocateRefs(Backend& backend, const ChunkRef& ref, int depth, std::vector<ChunkPlacement>* out) {
  CCOW_ASSIGN_OR_RETURN(auto holders, backend.LocateChunk(ref.chid));
  out->push_back({ref.chid, KindName(ref.kind), ref.offset, ref.length, std::move(holders)});
  if (ref.kind != ChunkKind::kChunkManifest) return Status::OK();
  if (depth > 16) return Status::Corruption("chunk manifest tree deeper than 16 levels");
  std::string bytes;
  CCOW_RETURN_IF_ERROR(backend.GetChunk(ref.chid, &bytes));
  CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
  for (const auto& child : cm.refs) CCOW_RETURN_IF_ERROR(LocateRefs(backend, child, depth + 1, out));
  return Status::OK();
}

}  // namespace

Result<std::vector<ChunkPlacement>> ObjectApi::Locate(const std::string& name, const VersionSelector& which) {
  VersionEntry entry;
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, LoadManifest(name, which, &entry));
  std::vector<ChunkPlacement> out;
  CCOW_ASSIGN_OR_RETURN(auto holders, backend_->LocateChunk(entry.vm_chid));
  out.push_back({entry.vm_chid, "version manifest", 0, vm.size, std::move(holders)});
  for (const auto& ref : vm.root_refs) CCOW_RETURN_IF_ERROR(LocateRefs(*backend_, ref, 0, &out));
  return out;
}

Result<ListResult> ObjectApi::List(const ListOptions& options) {
  size_t slashes = 0, pos = 0;
  while (slashes < 3 && (pos = options.prefix.find('/', pos)) != std::string::npos) {
    ++slashes;
    ++pos;
  }
  if (slashes < 3)
    return Status::InvalidArgument("list prefix '" + options.prefix +
                                   "' must start with SEGMENT/TENANT/BUCKET/");
  CCOW_RETURN_IF_ERROR(ValidateBucketPath(options.prefix.substr(0, pos - 1)));
  if (options.limit == 0) return Status::InvalidArgument("list limit must be at least 1");

  ListResult result;
  std::string cursor = options.start_after;
  std::string last_prefix = options.start_after;  // the common prefix reported last
  // The scan restarts past each common prefix, so a delimiter listing skips whole
  // "directories" instead of visiting every object below them.
  bool again = true;
  while (again) {
    again = false;
    std::string skip_past;
    std::string seek_suffix;
    if (cursor.compare(0, options.prefix.size(), options.prefix) == 0)
      seek_suffix = cursor.substr(options.prefix.size());
    CCOW_RETURN_IF_ERROR(backend_->ScanVersionLists(
        options.prefix, seek_suffix, [&](const VersionList& vl) {
          const std::string& name = vl.name();
          if (!cursor.empty() && name <= cursor) return true;
          if (!options.include_system_keys && IsSystemKey(std::string_view(name).substr(pos))) return true;
          if (!vl.HasActiveVersion()) return true;
          if (!options.include_delete_markers && vl.versions().front().is_delete_marker())
            return true;
          std::string common_prefix;
          if (!options.delimiter.empty()) {
            size_t d = name.find(options.delimiter, options.prefix.size());
            if (d != std::string::npos) common_prefix = name.substr(0, d + options.delimiter.size());
          }
          // A page that ended on a common prefix (its next_start_after is that prefix) must
          // not report it again; a start_after inside a prefix ("a/1") still reports it.
          bool already_reported = !common_prefix.empty() && common_prefix == last_prefix;
          if (!already_reported &&
              result.objects.size() + result.common_prefixes.size() >= options.limit) {
            result.truncated = true;
            return false;
          }
          if (!common_prefix.empty()) {
            if (!already_reported) {
              last_prefix = common_prefix;
              result.common_prefixes.push_back(common_prefix);
              result.next_start_after = common_prefix;
            }
            skip_past = common_prefix;
            return false;
          }
          result.objects.push_back(vl.versions().front());
          result.names.push_back(name);
          if (options.with_version_lists) result.version_lists.push_back(vl);
          result.next_start_after = name;
          return true;
        }));
    if (!skip_past.empty()) {
      // Continue after every name that starts with the common prefix.
      cursor = skip_past + std::string(1, '\xff');
      again = true;
    }
  }
  if (!result.truncated) result.next_start_after.clear();
  return result;
}

Result<VersionList> ObjectApi::Versions(const std::string& name) {
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(name));
  CCOW_ASSIGN_OR_RETURN(auto vl, backend_->GetVersionList(parsed.Full()));
  if (!vl) return Status::NotFound("object " + parsed.Full() + " does not exist");
  return std::move(*vl);
}

// Runs a version list mutation for an existing object.
Status ObjectApi::MutateList(const std::string& name, const std::function<Status(VersionList*)>& fn, bool record) {
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(name));
  std::string full = parsed.Full();
  CCOW_ASSIGN_OR_RETURN(auto vl, backend_->GetVersionList(full));
  if (!vl) return Status::NotFound("object " + full + " does not exist");
  if (record) CCOW_RETURN_IF_ERROR(RecordChange(full));
  // Deletes, undeletes and snapshots reference nothing the list did not already.
  return backend_->UpdateVersionList(
      full, vl->nhid(),
      [&](VersionList* list) {
        if (list->Empty()) return Status::NotFound("object " + full + " does not exist");
        return fn(list);
      },
      nullptr);
}

Status WriteCondition::Check(const VersionList* list, const std::string& name) const {
  const VersionEntry* current = nullptr;
  if (list && !list->versions().empty() && !list->versions().front().is_delete_marker())
    current = &list->versions().front();
  if (must_not_exist && current)
    return Status::FailedPrecondition("object " + name + " exists (generation " +
                                      std::to_string(current->generation) + ") and the write required that it not");
  if ((etag || must_exist) && !current) return Status::NotFound("object " + name + " has no current version, and the write required one");
  if (etag && *etag != current->etag)
    return Status::FailedPrecondition("object " + name + " has ETag " + current->etag + ", the write required " + *etag);
  if (current_vm && !current)
    return Status::FailedPrecondition("object " + name + " has no current version, and the write required " +
                                      current_vm->ToString());
  if (current_vm && *current_vm != current->vm_chid)
    return Status::FailedPrecondition("object " + name + " is at version " + current->vm_chid.ToString() +
                                      ", and the write required " + current_vm->ToString());
  return Status::OK();
}

Status ObjectApi::Delete(const std::string& name, std::optional<VersionRef> generation,
                         const WriteCondition& condition, bool bypass_governance) {
  uint64_t now = Now();
  return MutateList(name, [&](VersionList* vl) {
    CCOW_RETURN_IF_ERROR(condition.Check(vl, name));
    vl->ExpireQuarantine(now, RetentionOf(name));
    return vl->Delete(generation, now, bypass_governance);
  });
}

Status ObjectApi::SetRetention(const std::string& name, VersionRef generation, LockMode mode,
                               uint64_t retain_until_ns, bool bypass_governance) {
  uint64_t now = Now();
  return MutateList(name, [&](VersionList* vl) {
    return vl->SetRetention(generation, mode, retain_until_ns, now, bypass_governance);
  }, false);
}

Status ObjectApi::SetLegalHold(const std::string& name, VersionRef generation, bool on) {
  return MutateList(name, [&](VersionList* vl) { return vl->SetLegalHold(generation, on); }, false);
}

Status ObjectApi::SetStorageClass(const std::string& name, VersionRef generation, StorageClass storage_class) {
  return MutateList(name, [&](VersionList* vl) {
    VersionSelector which;
    which.generation = generation.generation;
    which.segment_id = generation.segment_id;
    CCOW_ASSIGN_OR_RETURN(VersionEntry entry, vl->Resolve(which));
    return vl->SetStorageClass(entry.vm_chid, storage_class);
  }, false);
}

Status ObjectApi::Undelete(const std::string& name, std::optional<VersionRef> generation) {
  uint64_t now = Now();
  return MutateList(name, [&](VersionList* vl) {
    vl->ExpireQuarantine(now, RetentionOf(name));
    return vl->Undelete(generation);
  });
}

Status ObjectApi::CreateSnapshot(const std::string& name, const std::string& snapshot,
                                 const VersionSelector& which) {
  uint64_t now = Now();
  return MutateList(name,
                [&](VersionList* vl) { return vl->CreateSnapshot(snapshot, which, now); });
}

Status ObjectApi::DeleteSnapshot(const std::string& name, const std::string& snapshot) {
  uint64_t now = Now();
  return MutateList(name, [&](VersionList* vl) { return vl->DeleteSnapshot(snapshot, now); });
}

}  // namespace ccow
