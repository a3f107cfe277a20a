#include "daemon/admin_api.h"

#include <nlohmann/json.hpp>

#include "cluster/cluster_state_json.h"
#include "core/hash.h"

namespace ccow::daemon {
namespace {

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case Code::kOk: return 200;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists: return 409;
    case Code::kConflict:
    case Code::kFailedPrecondition: return 412;
    case Code::kInvalidArgument: return 400;
    case Code::kLocked:
    case Code::kPermissionDenied: return 403;
    case Code::kUnsupported: return 501;
    case Code::kUnavailable:
    case Code::kFenced: return 503;
    default: return 500;
  }
}

// Longest a long poll may hold a connection: below the admin client's request timeout.
constexpr uint64_t kMaxWaitMs = 3000;

}  // namespace

AdminReply ReplyOf(const Status& s) {
  if (s.ok()) return {200, R"({"ok":true})"};
  return {HttpStatusOf(s), nlohmann::json{{"error", s.message()}, {"code", CodeName(s.code())}}.dump()};
}

Status StatusOfReply(int http, const std::string& body) {
  if (http == 200) return Status::OK();
  auto j = nlohmann::json::parse(body, nullptr, false);
  std::string message = j.is_object() ? j.value("error", body) : body;
  std::string code = j.is_object() ? j.value("code", "") : "";
  // The code travels by name; the HTTP status is the fallback for other servers.
  for (Code c : {Code::kNotFound, Code::kAlreadyExists, Code::kConflict, Code::kInvalidArgument,
                 Code::kUnsupported, Code::kUnavailable, Code::kCorruption, Code::kNoSpace, Code::kBusy,
                 Code::kFailedPrecondition, Code::kLocked})
    if (code == CodeName(c)) return Status(c, message);
  if (http == 401 || http == 403) return Status::InvalidArgument(message);
  if (http == 404) return Status::NotFound(message);
  if (http == 409) return Status::AlreadyExists(message);
  if (http == 503) return Status::Unavailable(message);
  return Status::Internal(message);
}

std::string QueryValue(const http::ParsedTarget& target, std::string_view name) {
  const std::string* v = target.Find(name);
  return v ? *v : std::string();
}

std::optional<AdminReply> WaitForPassReply(const http::ParsedTarget& target, uint64_t pass,
                                           const std::function<bool(uint64_t pass, uint64_t ms)>& wait_for) {
  if (QueryValue(target, "wait") != "1") return std::nullopt;
  uint64_t wait_ms = 0;
  try {
    std::string w = QueryValue(target, "wait_ms");
    wait_ms = w.empty() ? 5000 : std::stoull(w);
  } catch (...) {
    return ReplyOf(Status::InvalidArgument("wait_ms must be a number of milliseconds"));
  }
  if (!wait_for(pass, wait_ms))
    return ReplyOf(Status::Unavailable("pass " + std::to_string(pass) + " has not ended within " +
                                       std::to_string(wait_ms) + " ms; it goes on"));
  return std::nullopt;
}

AdminApi::AdminApi(std::string token, ClusterNode* node, std::function<std::string()> status_extra, Extra extra)
    : token_(std::move(token)), node_(node), status_extra_(std::move(status_extra)), extra_(std::move(extra)) {}

AdminReply AdminApi::Handle(const std::string& method, const std::string& target, const std::string& authorization) {
  if (!token_.empty() && authorization != "Bearer " + token_)
    return {401, nlohmann::json{{"error", "missing or wrong admin token (it is in cluster.json or the data "
                                          "directory's server.json)"},
                                {"code", "Unauthorized"}}.dump()};
  const http::ParsedTarget parsed = http::ParseTarget(target);
  const std::string& path = parsed.path;
  if (method == "GET" && path == "/admin/status") return Status_();
  if (node_ && method == "POST" && path == "/admin/command") return Command(QueryValue(parsed, "hex"));
  if (node_ && method == "GET" && path == "/admin/state")
    return State(std::strtoull(QueryValue(parsed, "after").c_str(), nullptr, 10),
                 std::strtoull(QueryValue(parsed, "wait_ms").c_str(), nullptr, 10));
  if (extra_) return extra_(method, path, parsed);
  if (!node_ && (path == "/admin/command" || path == "/admin/state"))
    return ReplyOf(Status::Unsupported("this daemon is not a member of a Raft group (no \"raft\" in its configuration)"));
  return {404, R"({"error":"unknown admin call","code":"NotFound"})"};
}

AdminReply AdminApi::Status_() {
  nlohmann::json j = nlohmann::json::object();
  if (status_extra_) {
    auto extra = nlohmann::json::parse(status_extra_(), nullptr, false);
    if (extra.is_object()) j = extra;
  }
  if (node_) {
    RaftInfo i = node_->info();
    j["raft"] = {{"id", i.id}, {"role", i.role}, {"leader_id", i.leader_id}, {"leader_address", i.leader_address},
                 {"term", i.term}, {"commit_index", i.commit_index}, {"last_applied", i.last_applied}};
    j["state"] = nlohmann::json::parse(ClusterStateJson(*node_->current()));
  }
  return {200, j.dump()};
}

AdminReply AdminApi::Command(const std::string& hex) {
  auto bytes = FromHex(hex);
  if (!bytes.ok()) return ReplyOf(Status::InvalidArgument("the command is not hex"));
  auto command = DecodeCommand(*bytes);
  if (!command.ok()) return ReplyOf(command.status());
  Status s = node_->Propose(*command);
  if (!s.ok()) return ReplyOf(s);
  // The version that includes this command: a follower of the state waits for it.
  return {200, nlohmann::json{{"ok", true}, {"version", node_->current()->commands_applied()}}.dump()};
}

AdminReply AdminApi::State(uint64_t after, uint64_t wait_ms) {
  auto state = node_->WaitNewer(after, std::chrono::milliseconds(std::min(wait_ms, kMaxWaitMs)));
  RaftInfo i = node_->info();
  nlohmann::json j = {{"version", state->commands_applied()}, {"role", i.role}};
  if (state->commands_applied() > after || after == 0) {
    std::string bytes = state->Snapshot();
    j["state"] = ToHex(bytes.data(), bytes.size());
  }
  return {200, j.dump()};
}

}  // namespace ccow::daemon
