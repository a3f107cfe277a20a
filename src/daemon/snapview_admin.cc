#include "daemon/snapview_admin.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "client/snapview.h"

namespace ccow::daemon {
namespace {

using nlohmann::json;

json ViewJson(const SnapViewInfo& v) {
  json j = {{"name", v.name}, {"complete", v.complete}, {"present", v.present}};
  if (v.record) {
    j["at_ns"] = v.record->at_ns;
    j["created_ns"] = v.record->created_ns;
    j["members"] = v.record->members;
    j["members_digest"] = v.record->members_digest.ToString();
  }
  return j;
}

json EntryJson(const std::string& key, const VersionEntry& e) {
  return {{"key", key},          {"generation", e.generation}, {"size", e.size},
          {"etag", e.etag},      {"mtime_ns", e.uvid.timestamp_ns}, {"vm_chid", e.vm_chid.ToString()}};
}

Result<uint64_t> Number(const http::ParsedTarget& target, std::string_view name, uint64_t fallback) {
  const std::string text = QueryValue(target, name);
  if (text.empty()) return fallback;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return Status::InvalidArgument(std::string(name) + "=" + text + ": expected a number");
  return v;
}

Result<std::string> Required(const http::ParsedTarget& target, std::string_view name) {
  std::string v = QueryValue(target, name);
  if (v.empty()) return Status::InvalidArgument("the call needs " + std::string(name) + "=");
  return v;
}

Result<json> Call(ObjectApi& api, const std::string& method, const std::string& path,
                  const http::ParsedTarget& target) {
  SnapViews views(&api);
  CCOW_ASSIGN_OR_RETURN(std::string bucket, Required(target, "bucket"));
  const std::string name = QueryValue(target, "name");
  if (path == "/admin/snapview" && method == "GET") {
    json list = json::array();
    if (!name.empty()) {
      CCOW_ASSIGN_OR_RETURN(SnapViewInfo v, views.Stat(bucket, name));
      list.push_back(ViewJson(v));
    } else {
      CCOW_ASSIGN_OR_RETURN(auto all, views.List(bucket));
      for (const auto& v : all) list.push_back(ViewJson(v));
    }
    return json{{"snapviews", list}};
  }
  CCOW_ASSIGN_OR_RETURN(std::string view, Required(target, "name"));
  if (path == "/admin/snapview" && method == "POST") {
    CCOW_ASSIGN_OR_RETURN(uint64_t at, Number(target, "at_ns", 0));
    CCOW_ASSIGN_OR_RETURN(SnapViewInfo v, views.Create(bucket, view, at ? std::optional<uint64_t>(at) : std::nullopt));
    return ViewJson(v);
  }
  if (path == "/admin/snapview" && method == "DELETE") {
    CCOW_RETURN_IF_ERROR(views.Remove(bucket, view));
    return json{{"removed", view}};
  }
  if (path == "/admin/snapview/members" && method == "GET") {
    CCOW_ASSIGN_OR_RETURN(uint64_t limit, Number(target, "limit", UINT64_MAX));
    json members = json::array();
    bool truncated = false;
    CCOW_RETURN_IF_ERROR(views.Members(bucket, view, [&](const SnapViewMember& m) {
      if (members.size() >= limit) {
        truncated = true;
        return false;
      }
      members.push_back(EntryJson(m.key, m.version));
      return true;
    }));
    return json{{"members", members}, {"truncated", truncated}};
  }
  if (path == "/admin/snapview/clone" && method == "POST") {
    CCOW_ASSIGN_OR_RETURN(std::string dest, Required(target, "dest"));
    CCOW_ASSIGN_OR_RETURN(uint64_t n, views.Clone(bucket, view, dest));
    return json{{"cloned", n}, {"dest", dest}};
  }
  if (path == "/admin/snapview/restore" && method == "POST") {
    CCOW_ASSIGN_OR_RETURN(SnapViewRestoreStats s, views.Restore(bucket, view));
    return json{{"restored", s.restored}, {"unchanged", s.unchanged}, {"hidden", s.hidden}};
  }
  return Status::NotFound("no admin call " + method + " " + path);
}

}  // namespace

std::optional<AdminReply> HandleSnapViewAdmin(ObjectApi& api, const std::string& method, const std::string& path,
                                              const http::ParsedTarget& target) {
  if (path != "/admin/snapview" && !path.starts_with("/admin/snapview/")) return std::nullopt;
  auto j = Call(api, method, path, target);
  if (!j.ok()) return ReplyOf(j.status());
  return AdminReply{200, j->dump()};
}

}  // namespace ccow::daemon
