#include "gateway/s3/bucket_registry.h"

namespace ccow::s3 {

Status ValidateS3BucketName(const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("bucket name '" + name + "' " + why);
  };
  if (name.size() < 3 || name.size() > 63) return bad("must be 3 to 63 characters long");
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
      return bad("may contain only lower-case letters, digits, '.' and '-'");
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back()))
    return bad("must start and end with a letter or digit");
  if (name.find("..") != std::string::npos) return bad("must not contain '..'");
  int dots = 0;
  bool digits_and_dots = true;
  for (char c : name) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') digits_and_dots = false;
  }
  if (digits_and_dots && dots == 3) return bad("must not look like an IP address");
  return Status::OK();
}

Result<BucketInfo> BucketRegistry::Get(const std::string& tenant, const std::string& bucket) {
  auto state = registry_.current();
  auto found = state->FindBucket(segment_, tenant, bucket);
  if (!found.ok()) return Status::NotFound("bucket " + bucket + " does not exist");
  BucketInfo info{tenant, bucket, **found};
  if (auto t = state->FindTenant(segment_, tenant); t.ok()) info.tenant_replication_count = (*t)->replication_count;
  return info;
}

Result<BucketInfo> BucketRegistry::Resolve(const std::string& requester, const std::string& bucket) {
  if (!requester.empty()) {
    auto own = Get(requester, bucket);
    if (own.ok()) return own;
  }
  std::vector<std::string> holders = Holders(bucket);
  if (holders.size() != 1) return Status::NotFound("bucket " + bucket + " does not exist");
  return Get(holders[0], bucket);
}

std::vector<std::string> BucketRegistry::Holders(const std::string& bucket) {
  std::vector<std::string> out;
  auto state = registry_.current();
  auto seg = state->segments().find(segment_);
  if (seg == state->segments().end()) return out;
  for (const auto& [name, t] : seg->second.tenants)
    if (t.buckets.count(bucket)) out.push_back(name);
  return out;
}

std::optional<TenantRecord> BucketRegistry::Tenant(const std::string& tenant) {
  auto state = registry_.current();
  auto found = state->FindTenant(segment_, tenant);
  if (!found.ok()) return std::nullopt;
  TenantRecord t = **found;
  t.buckets.clear();  // callers want the tenant's own settings
  return t;
}

Status BucketRegistry::Create(const std::string& tenant, const std::string& bucket, BucketRecord record) {
  Status s = registry_.Propose(command::CreateBucket{segment_, tenant, bucket, std::move(record), true, /*unique_in_segment=*/true});
  if (s.code() == Code::kAlreadyExists) return Status::AlreadyExists("bucket " + bucket + " exists");
  return s;
}

Status BucketRegistry::Update(const std::string& tenant, const std::string& bucket,
                              const std::function<Status(BucketRecord*)>& mutate) {
  Status last;
  for (int attempt = 0; attempt < 8; ++attempt) {
    CCOW_ASSIGN_OR_RETURN(BucketInfo info, Get(tenant, bucket));
    BucketRecord next = info.record;
    CCOW_RETURN_IF_ERROR(mutate(&next));
    last = registry_.Propose(command::UpdateBucket{segment_, tenant, bucket, next, info.record.revision});
    if (last.code() != Code::kConflict) return last;
  }
  return last;
}

Status BucketRegistry::Delete(const std::string& tenant, const std::string& bucket) {
  Status s = registry_.Propose(command::DeleteBucket{segment_, tenant, bucket});
  if (s.IsNotFound()) return Status::NotFound("bucket " + bucket + " does not exist");
  return s;
}

std::vector<BucketInfo> BucketRegistry::List(const std::string& tenant) {
  std::vector<BucketInfo> out;
  auto state = registry_.current();
  auto t = state->FindTenant(segment_, tenant);
  if (!t.ok()) return out;
  for (const auto& [name, record] : (*t)->buckets) out.push_back({tenant, name, record});
  return out;
}

std::vector<std::string> BucketRegistry::Tenants() {
  std::vector<std::string> out;
  auto state = registry_.current();
  auto seg = state->segments().find(segment_);
  if (seg == state->segments().end()) return out;
  for (const auto& [name, t] : seg->second.tenants) out.push_back(name);
  return out;
}

}  // namespace ccow::s3
