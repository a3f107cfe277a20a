#include "daemon/migration.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"

namespace ccow::daemon {
namespace {

Result<nlohmann::json> ReadJson(ObjectApi& api, const std::string& name) {
  StringSink sink;
  CCOW_RETURN_IF_ERROR(api.Get(name, {}, std::nullopt, sink));
  auto j = nlohmann::json::parse(sink.data(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption(name + " is not a JSON object");
  return j;
}

Result<BucketRecord> LegacyBucket(const nlohmann::json& j) {
  BucketRecord b;
  try {
    b.created_ns = j.value("created_ns", uint64_t{0});
    b.location = j.value("location", "");
    std::string v = j.value("versioning", "");
    b.versioning = v == "Enabled" ? Versioning::kEnabled
                   : v == "Suspended" ? Versioning::kSuspended
                                      : Versioning::kUnversioned;
    if (j.contains("tags")) b.tags = j["tags"].get<std::vector<std::pair<std::string, std::string>>>();
    b.cors_xml = j.value("cors_xml", "");
    b.lifecycle_xml = j.value("lifecycle_xml", "");
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("bucket record: ") + e.what());
  }
  return b;
}

// A proposal whose effect is there already counts as done.
Status Done(const Status& s) { return s.code() == Code::kAlreadyExists ? Status::OK() : s; }

}  // namespace

Result<MigrationReport> MigrateLegacyRecords(ObjectApi& api, Registry& registry, const std::string& segment,
                                             const std::string& done_marker) {
  MigrationReport report;
  if (!done_marker.empty() && ::access(done_marker.c_str(), F_OK) == 0) return report;
  // One walk of the segment's names (once per data directory: the marker records that it
  // finished). Records already moved are deleted, so they have no active version.
  const std::string users_prefix = segment + "/.system/users/";
  std::vector<std::string> users, buckets;
  CCOW_RETURN_IF_ERROR(api.backend().ScanVersionLists(segment + "/", "", [&](const VersionList& vl) {
    if (vl.versions().empty()) return true;
    const std::string& name = vl.name();
    if (name.rfind(users_prefix, 0) == 0) {
      users.push_back(name);
    } else {
      // SEGMENT/TENANT/.buckets/BUCKET
      size_t t = segment.size() + 1, slash = name.find('/', t);
      if (slash != std::string::npos && name.compare(slash, 10, "/.buckets/") == 0 &&
          name.find('/', slash + 10) == std::string::npos && name[t] != '.')
        buckets.push_back(name);
    }
    return true;
  }));
  for (const auto& name : users) {
    CCOW_ASSIGN_OR_RETURN(nlohmann::json j, ReadJson(api, name));
    UserRecord u{j.value("access_key", ""), j.value("secret_key", ""), segment, j.value("tenant", ""), NowNs()};
    if (u.tenant.empty()) u.tenant = "default";
    CCOW_RETURN_IF_ERROR(Done(registry.Propose(command::CreateUser{u})).WithContext("migrating key " + u.access_key));
    CCOW_RETURN_IF_ERROR(api.Delete(name, std::nullopt));
    ++report.users;
  }
  for (const auto& name : buckets) {
    size_t t = segment.size() + 1, slash = name.find('/', t);
    std::string tenant = name.substr(t, slash - t), bucket = name.substr(slash + 10);
    CCOW_ASSIGN_OR_RETURN(nlohmann::json j, ReadJson(api, name));
    CCOW_ASSIGN_OR_RETURN(BucketRecord record, LegacyBucket(j));
    CCOW_RETURN_IF_ERROR(Done(registry.Propose(command::CreateBucket{segment, tenant, bucket, record, true}))
                             .WithContext("migrating bucket " + tenant + "/" + bucket));
    CCOW_RETURN_IF_ERROR(api.Delete(name, std::nullopt));
    ++report.buckets;
  }
  if (report.buckets || report.users)
    spdlog::info("registry: moved {} buckets and {} key pairs from the store into the registry", report.buckets,
                 report.users);
  if (!done_marker.empty())
    CCOW_RETURN_IF_ERROR(WriteFileAtomically(done_marker, "the records of releases before the registry were moved "
                                                          "into it (src/daemon/migration.cc)\n"));
  return report;
}

Result<ServerRegistry> OpenSingleNodeRegistry(const std::string& data_dir, ObjectApi& api,
                                              const std::string& segment) {
  CCOW_ASSIGN_OR_RETURN(ServerRegistry r, OpenServerRegistry(data_dir));
  CCOW_RETURN_IF_ERROR(MigrateLegacyRecords(api, *r.registry, segment, data_dir + "/registry-migrated").status());
  return r;
}

}  // namespace ccow::daemon
