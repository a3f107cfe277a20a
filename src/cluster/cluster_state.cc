#include "cluster/cluster_state.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "model/encoding.h"
#include "model/erasure_policy.h"
#include "model/object_name.h"

namespace ccow {
namespace {

using namespace command;

// A segment, tenant or bucket name: what ValidateBucketPath accepts for each part.
Status ValidName(const std::string& what, const std::string& name) {
  Status s = ValidateBucketPath(name + "/x/y");
  if (!s.ok() || name.find('/') != std::string::npos)
    return Status::InvalidArgument("invalid " + what + " name '" + name +
                                   "': 1..255 characters of A-Z a-z 0-9 . _ -");
  return Status::OK();
}

Status ValidAccessKey(const std::string& key) {
  bool ok = key.size() >= 3 && key.size() <= 128;
  for (char c : key)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '=' || c == '_' || c == '-' || c == '.');
  if (!ok)
    return Status::InvalidArgument("invalid access key '" + key + "': 3..128 characters of A-Z a-z 0-9 + = _ - .");
  return Status::OK();
}

}  // namespace

const char* TargetStateName(TargetState state) {
  switch (state) {
    case TargetState::kAlive: return "alive";
    case TargetState::kReadOnly: return "read-only";
    case TargetState::kDead: return "dead";
  }
  return "?";
}

const char* VersioningName(Versioning v) {
  switch (v) {
    case Versioning::kUnversioned: return "";
    case Versioning::kEnabled: return "Enabled";
    case Versioning::kSuspended: return "Suspended";
  }
  return "";
}

Status BucketRecord::Validate() const {
  if (replication_count > 8)
    return Status::InvalidArgument("replication count " + std::to_string(replication_count) +
                                   " is out of range (1..8, or 0 for the tenant's)");
  ObjectPolicy p;
  p.chunk_size = chunk_size;
  p.chunking = chunking;
  p.hash = hash;
  CCOW_RETURN_IF_ERROR(p.Validate());
  if (!erasure_code.empty() && erasure_code != kNoErasureCode)
    CCOW_RETURN_IF_ERROR(ErasurePolicy::Parse(erasure_code).status());
  const ObjectLockConfig& lock = object_lock;
  if (lock.enabled && versioning != Versioning::kEnabled)
    return Status::InvalidArgument("a bucket with Object Lock must keep versioning enabled");
  if (lock.default_mode > 2) return Status::InvalidArgument("unknown object lock mode " + std::to_string(lock.default_mode));
  if (lock.default_mode != 0 && !lock.enabled)
    return Status::InvalidArgument("a default retention needs Object Lock enabled on the bucket");
  if ((lock.default_mode != 0) != ((lock.default_days > 0) != (lock.default_years > 0)))
    return Status::InvalidArgument("a default retention has a mode and either days or years (not both)");
  if (lock.default_days > 36500 || lock.default_years > 100)
    return Status::InvalidArgument("a default retention is at most 100 years");
  return Status::OK();
}

Status TenantRecord::Validate() const {
  if (replication_count > 8)
    return Status::InvalidArgument("replication count " + std::to_string(replication_count) +
                                   " is out of range (1..8, or 0 for the default)");
  // A tenant has no policy to opt out of: "" is its "replication only".
  if (erasure_code == kNoErasureCode)
    return Status::InvalidArgument("a tenant's erasure code is K:M:rs, or \"\" for replication only (\"" +
                                   std::string(kNoErasureCode) + "\" is a bucket's way out of its tenant's)");
  if (!erasure_code.empty()) CCOW_RETURN_IF_ERROR(ErasurePolicy::Parse(erasure_code).status());
  return Status::OK();
}

Status ClusterState::Apply(const ClusterCommand& command) {
  Status s = std::visit(
      [&](const auto& c) -> Status {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, AddTarget>) {
          CCOW_RETURN_IF_ERROR(ValidName("target", c.target.name));
          if (targets_.count(c.target.name))
            return Status::AlreadyExists("target " + c.target.name + " is already a member");
          if (c.target.vdevs.empty()) return Status::InvalidArgument("target " + c.target.name + " has no VDEV");
          for (const auto& v : c.target.vdevs)
            for (const auto& [name, t] : targets_)
              for (const auto& o : t.vdevs)
                if (o.id == v.id) return Status::AlreadyExists("VDEV " + v.id + " belongs to target " + name);
          targets_[c.target.name] = c.target;
        } else if constexpr (std::is_same_v<T, SetTargetState>) {
          auto it = targets_.find(c.name);
          if (it == targets_.end()) return Status::NotFound("no target " + c.name);
          it->second.state = c.state;
        } else if constexpr (std::is_same_v<T, RemoveTarget>) {
          if (!targets_.erase(c.name)) return Status::NotFound("no target " + c.name);
        } else if constexpr (std::is_same_v<T, PublishFlexHash>) {
          if (c.generation <= flexhash_generation_)
            return Status::Conflict("FlexHash generation " + std::to_string(c.generation) +
                                    " does not advance the current " + std::to_string(flexhash_generation_));
          auto table = FlexHashTable::FromJson(c.checkpoint_json);
          if (!table.ok()) return table.status().WithContext("FlexHash checkpoint");
          if (table->generation() != c.generation)
            return Status::InvalidArgument("the checkpoint is of generation " + std::to_string(table->generation()));
          flexhash_generation_ = c.generation;
          flexhash_json_ = c.checkpoint_json;
        } else if constexpr (std::is_same_v<T, CreateSegment>) {
          CCOW_RETURN_IF_ERROR(ValidName("cluster", c.segment));
          if (!segments_.emplace(c.segment, SegmentRecord{}).second)
            return Status::AlreadyExists("cluster " + c.segment + " exists");
        } else if constexpr (std::is_same_v<T, DeleteSegment>) {
          auto it = segments_.find(c.segment);
          if (it == segments_.end()) return Status::NotFound("no cluster " + c.segment);
          if (!it->second.tenants.empty())
            return Status::Conflict("cluster " + c.segment + " still has " +
                                    std::to_string(it->second.tenants.size()) + " tenants");
          segments_.erase(it);
        } else if constexpr (std::is_same_v<T, CreateTenant>) {
          CCOW_RETURN_IF_ERROR(ValidName("tenant", c.tenant));
          auto seg = segments_.find(c.segment);
          if (seg == segments_.end()) return Status::NotFound("no cluster " + c.segment);
          TenantRecord record;
          record.replication_count = c.replication_count;
          record.retention_ns = c.retention_ns;
          record.erasure_code = c.erasure_code;
          CCOW_RETURN_IF_ERROR(record.Validate());
          if (!seg->second.tenants.emplace(c.tenant, std::move(record)).second)
            return Status::AlreadyExists("tenant " + c.segment + "/" + c.tenant + " exists");
        } else if constexpr (std::is_same_v<T, UpdateTenant>) {
          CCOW_ASSIGN_OR_RETURN(const TenantRecord* current, FindTenant(c.segment, c.tenant));
          TenantRecord record = *current;
          record.replication_count = c.replication_count;
          record.retention_ns = c.retention_ns;
          record.erasure_code = c.erasure_code;
          CCOW_RETURN_IF_ERROR(record.Validate());
          if (current->revision != c.if_revision)
            return Status::Conflict("tenant " + c.segment + "/" + c.tenant + " changed (revision " +
                                    std::to_string(current->revision) + ", not " + std::to_string(c.if_revision) +
                                    "): read it again");
          record.revision = c.if_revision + 1;
          segments_[c.segment].tenants[c.tenant] = std::move(record);
        } else if constexpr (std::is_same_v<T, DeleteTenant>) {
          auto seg = segments_.find(c.segment);
          auto ten = seg == segments_.end() ? decltype(seg->second.tenants.end())() : seg->second.tenants.find(c.tenant);
          if (seg == segments_.end() || ten == seg->second.tenants.end())
            return Status::NotFound("no tenant " + c.segment + "/" + c.tenant);
          if (!ten->second.buckets.empty())
            return Status::Conflict("tenant " + c.segment + "/" + c.tenant + " still has " +
                                    std::to_string(ten->second.buckets.size()) + " buckets");
          size_t keys = 0;
          for (const auto& [key, u] : users_) keys += u.segment == c.segment && u.tenant == c.tenant;
          if (keys)
            return Status::Conflict("tenant " + c.segment + "/" + c.tenant + " still has " + std::to_string(keys) +
                                    " key pairs (ccow user delete them first)");
          seg->second.tenants.erase(ten);
        } else if constexpr (std::is_same_v<T, CreateBucket>) {
          CCOW_RETURN_IF_ERROR(ValidName("bucket", c.bucket));
          CCOW_RETURN_IF_ERROR(c.record.Validate());
          if (c.create_parents) {
            CCOW_RETURN_IF_ERROR(ValidName("cluster", c.segment));
            CCOW_RETURN_IF_ERROR(ValidName("tenant", c.tenant));
          } else {
            CCOW_RETURN_IF_ERROR(FindTenant(c.segment, c.tenant).status());
          }
          if (FindBucket(c.segment, c.tenant, c.bucket).ok())
            return Status::AlreadyExists("bucket " + c.segment + "/" + c.tenant + "/" + c.bucket + " exists");
          if (c.unique_in_segment) {
            if (auto seg = segments_.find(c.segment); seg != segments_.end())
              for (const auto& [name, t] : seg->second.tenants)
                if (t.buckets.count(c.bucket))
                  return Status::AlreadyExists("bucket name " + c.bucket + " is held by another tenant of " +
                                               c.segment);
          }
          BucketRecord record = c.record;
          record.revision = 0;
          segments_[c.segment].tenants[c.tenant].buckets.emplace(c.bucket, std::move(record));
        } else if constexpr (std::is_same_v<T, UpdateBucket>) {
          CCOW_ASSIGN_OR_RETURN(const BucketRecord* current, FindBucket(c.segment, c.tenant, c.bucket));
          CCOW_RETURN_IF_ERROR(c.record.Validate());
          if (current->revision != c.if_revision)
            return Status::Conflict("bucket " + c.segment + "/" + c.tenant + "/" + c.bucket + " changed (revision " +
                                    std::to_string(current->revision) + ", not " + std::to_string(c.if_revision) +
                                    "): read it again");
          if (current->object_lock.enabled && !c.record.object_lock.enabled)
            return Status::InvalidArgument("bucket " + c.segment + "/" + c.tenant + "/" + c.bucket +
                                           " has Object Lock, which cannot be turned off");
          BucketRecord record = c.record;
          record.revision = c.if_revision + 1;
          segments_[c.segment].tenants[c.tenant].buckets[c.bucket] = std::move(record);
        } else if constexpr (std::is_same_v<T, DeleteBucket>) {
          auto found = FindBucket(c.segment, c.tenant, c.bucket);
          if (!found.ok()) return found.status();
          segments_[c.segment].tenants[c.tenant].buckets.erase(c.bucket);
        } else if constexpr (std::is_same_v<T, CreateUser>) {
          const UserRecord& u = c.user;
          CCOW_RETURN_IF_ERROR(ValidAccessKey(u.access_key));
          if (u.secret_key.empty() || u.secret_key.size() > 128)
            return Status::InvalidArgument("a secret key must be 1 to 128 characters");
          CCOW_RETURN_IF_ERROR(ValidName("cluster", u.segment));
          CCOW_RETURN_IF_ERROR(ValidName("tenant", u.tenant));
          if (users_.count(u.access_key)) return Status::AlreadyExists("access key " + u.access_key + " exists");
          segments_[u.segment].tenants[u.tenant];  // created when missing
          users_[u.access_key] = u;
        } else if constexpr (std::is_same_v<T, DeleteUser>) {
          auto it = users_.find(c.access_key);
          if (it == users_.end()) return Status::NotFound("no access key " + c.access_key);
          users_.erase(it);
        } else if constexpr (std::is_same_v<T, CreateService>) {
          CCOW_RETURN_IF_ERROR(ValidName("service", c.name));
          if (c.type != "isgw") return Status::InvalidArgument("unknown service type '" + c.type + "' (isgw)");
          if (!services_.emplace(c.name, ServiceRecord{c.type, {}}).second)
            return Status::AlreadyExists("service " + c.name + " exists");
        } else if constexpr (std::is_same_v<T, ServiceServe>) {
          auto it = services_.find(c.name);
          if (it == services_.end()) return Status::NotFound("no service " + c.name);
          CCOW_RETURN_IF_ERROR(ValidateBucketPath(c.path));
          auto& serves = it->second.serves;
          auto pos = std::lower_bound(serves.begin(), serves.end(), c.path);
          if (pos != serves.end() && *pos == c.path)
            return Status::AlreadyExists("service " + c.name + " already serves " + c.path);
          serves.insert(pos, c.path);
        } else if constexpr (std::is_same_v<T, DeleteService>) {
          if (!services_.erase(c.name)) return Status::NotFound("no service " + c.name);
        } else if constexpr (std::is_same_v<T, ConfigureService>) {
          auto it = services_.find(c.name);
          if (it == services_.end()) return Status::NotFound("no service " + c.name);
          if (it->second.revision != c.if_revision)
            return Status::Conflict("service " + c.name + " changed meanwhile (revision " +
                                    std::to_string(it->second.revision) + ", not " + std::to_string(c.if_revision) +
                                    "); read it again");
          CCOW_RETURN_IF_ERROR(c.config.Validate());
          it->second.config = c.config;
          it->second.revision = c.if_revision + 1;
        } else if constexpr (std::is_same_v<T, ServiceUnserve>) {
          auto it = services_.find(c.name);
          if (it == services_.end()) return Status::NotFound("no service " + c.name);
          auto& serves = it->second.serves;
          auto pos = std::lower_bound(serves.begin(), serves.end(), c.path);
          if (pos == serves.end() || *pos != c.path)
            return Status::NotFound("service " + c.name + " does not serve " + c.path);
          serves.erase(pos);
        } else if constexpr (std::is_same_v<T, InitSite>) {
          if (c.site_id == 0) return Status::InvalidArgument("a site id is not 0");
          if (site_id_ != 0)
            return Status::AlreadyExists("this segment has site id " + std::to_string(site_id_) + " already");
          site_id_ = c.site_id;
        } else if constexpr (std::is_same_v<T, InitSiteKey>) {
          if (c.seed.size() != 32) return Status::InvalidArgument("a site key seed is 32 bytes");
          if (!site_key_seed_.empty()) return Status::AlreadyExists("this segment has a signing key already");
          site_key_seed_ = c.seed;
        } else if constexpr (std::is_same_v<T, AddMasterKey>) {
          if (c.key.size() != 32) return Status::InvalidArgument("a master key is 32 bytes");
          const uint32_t next = master_keys_.empty() ? 1 : master_keys_.rbegin()->first + 1;
          if (c.id < next) return Status::AlreadyExists("master key " + std::to_string(c.id) + " exists");
          if (c.id != next)
            return Status::InvalidArgument("master key " + std::to_string(c.id) + " skips ids (next is " +
                                           std::to_string(next) + ")");
          master_keys_[c.id] = c.key;
        }
        return Status::OK();
      },
      command);
  if (s.ok()) ++commands_applied_;
  return s;
}

ClusterState::BucketPathRecords ClusterState::RecordsOf(const std::string& bucket_path) const {
  // "SEGMENT/TENANT/BUCKET": segment and tenant names hold no '/' (the bucket's may not either).
  BucketPathRecords r;
  const size_t a = bucket_path.find('/');
  const size_t b = a == std::string::npos ? a : bucket_path.find('/', a + 1);
  if (b == std::string::npos) return r;
  const std::string segment = bucket_path.substr(0, a), tenant = bucket_path.substr(a + 1, b - a - 1);
  if (auto t = FindTenant(segment, tenant); t.ok()) r.tenant = *t;
  if (auto k = FindBucket(segment, tenant, bucket_path.substr(b + 1)); k.ok()) r.bucket = *k;
  return r;
}

uint64_t ClusterState::QuarantineRetentionOf(const std::string& bucket_path) const {
  auto r = RecordsOf(bucket_path);
  if (r.bucket && r.bucket->retention_ns) return r.bucket->retention_ns;
  return r.tenant ? r.tenant->retention_ns : 0;
}

std::string ClusterState::ErasureCodeOf(const std::string& bucket_path) const {
  // Internal buckets stay replicated (the header says why).
  if (const size_t b = bucket_path.rfind('/'); b != std::string::npos && bucket_path.compare(b + 1, 1, ".") == 0)
    return "";
  auto r = RecordsOf(bucket_path);
  if (r.bucket && r.bucket->erasure_code == kNoErasureCode) return "";
  if (r.bucket && !r.bucket->erasure_code.empty()) return r.bucket->erasure_code;
  return r.tenant ? r.tenant->erasure_code : "";
}

uint32_t ClusterState::ReplicationCountOf(const std::string& bucket_path) const {
  auto r = RecordsOf(bucket_path);
  if (r.bucket && r.bucket->replication_count) return r.bucket->replication_count;
  return r.tenant ? r.tenant->replication_count : 0;
}

bool ClusterState::TrlogRecords(const std::string& bucket_path) const {
  for (const auto& [name, svc] : services_) {
    if (!(svc.config.direction & ServiceConfig::kSend) || !(svc.config.replication & ServiceConfig::kContinuous))
      continue;
    if (std::binary_search(svc.serves.begin(), svc.serves.end(), bucket_path)) return true;
  }
  return false;
}

Result<const TenantRecord*> ClusterState::FindTenant(const std::string& segment,
                                                     const std::string& tenant) const {
  auto seg = segments_.find(segment);
  if (seg == segments_.end()) return Status::NotFound("no cluster " + segment);
  auto ten = seg->second.tenants.find(tenant);
  if (ten == seg->second.tenants.end()) return Status::NotFound("no tenant " + segment + "/" + tenant);
  return &ten->second;
}

Result<const BucketRecord*> ClusterState::FindBucket(const std::string& segment, const std::string& tenant,
                                                     const std::string& bucket) const {
  CCOW_ASSIGN_OR_RETURN(const TenantRecord* t, FindTenant(segment, tenant));
  auto b = t->buckets.find(bucket);
  if (b == t->buckets.end()) return Status::NotFound("no bucket " + segment + "/" + tenant + "/" + bucket);
  return &b->second;
}

const UserRecord* ClusterState::FindUser(std::string_view access_key) const {
  auto it = users_.find(access_key);
  return it == users_.end() ? nullptr : &it->second;
}

}  // namespace ccow
