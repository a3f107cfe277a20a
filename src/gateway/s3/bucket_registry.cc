#include "gateway/s3/bucket_registry.h"

#include <nlohmann/json.hpp>

namespace ccow::s3 {

std::string BucketInfo::ToJson() const {
  nlohmann::json j;
  j["tenant"] = tenant;
  j["name"] = name;
  j["created_ns"] = created_ns;
  j["location"] = location;
  j["versioning"] = versioning;
  j["tags"] = tags;
  j["cors_xml"] = cors_xml;
  j["lifecycle_xml"] = lifecycle_xml;
  return j.dump();
}

Result<BucketInfo> BucketInfo::FromJson(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::Corruption("bucket record is not a JSON object");
  BucketInfo b;
  try {
    b.tenant = j.value("tenant", "");
    b.name = j.value("name", "");
    b.created_ns = j.value("created_ns", uint64_t{0});
    b.location = j.value("location", "");
    b.versioning = j.value("versioning", "");
    if (j.contains("tags")) b.tags = j["tags"].get<std::vector<std::pair<std::string, std::string>>>();
    b.cors_xml = j.value("cors_xml", "");
    b.lifecycle_xml = j.value("lifecycle_xml", "");
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("bucket record: ") + e.what());
  }
  return b;
}

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
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find({tenant, bucket});
    if (it != cache_.end()) return it->second;
  }
  StringSink sink;
  Status st = api_.Get(RecordName(tenant, bucket), {}, std::nullopt, sink);
  if (st.IsNotFound()) return Status::NotFound("bucket " + bucket + " does not exist");
  CCOW_RETURN_IF_ERROR(st);
  CCOW_ASSIGN_OR_RETURN(BucketInfo info, BucketInfo::FromJson(sink.data()));
  std::lock_guard lock(mu_);
  cache_[{tenant, bucket}] = info;
  return info;
}

Status BucketRegistry::Store(const BucketInfo& info) {
  std::string json = info.ToJson();
  StringSource src(json);
  PutOptions opts;
  opts.content_type = "application/json";
  opts.replace_previous = true;
  CCOW_RETURN_IF_ERROR(api_.Put(RecordName(info.tenant, info.name), src, opts).status());
  std::lock_guard lock(mu_);
  cache_[{info.tenant, info.name}] = info;
  return Status::OK();
}

Status BucketRegistry::Create(const BucketInfo& info) {
  auto existing = Get(info.tenant, info.name);
  if (existing.ok()) return Status::AlreadyExists("bucket " + info.name + " exists");
  if (!existing.status().IsNotFound()) return existing.status();
  return Store(info);
}

Status BucketRegistry::Update(const BucketInfo& info) { return Store(info); }

Status BucketRegistry::Delete(const std::string& tenant, const std::string& bucket) {
  {
    std::lock_guard lock(mu_);
    cache_.erase({tenant, bucket});
  }
  return api_.Delete(RecordName(tenant, bucket), std::nullopt);
}

Result<std::vector<BucketInfo>> BucketRegistry::List(const std::string& tenant) {
  std::vector<BucketInfo> out;
  ListOptions opts;
  opts.prefix = segment_ + "/" + tenant + "/.buckets/";
  opts.limit = 1000;
  for (;;) {
    CCOW_ASSIGN_OR_RETURN(ListResult page, api_.List(opts));
    for (const auto& name : page.names) {
      std::string bucket = name.substr(opts.prefix.size());
      auto info = Get(tenant, bucket);
      if (info.ok()) out.push_back(std::move(*info));
    }
    if (!page.truncated) break;
    opts.start_after = page.next_start_after;
  }
  return out;
}

}  // namespace ccow::s3
