// The one admin API of every ccow daemon (a target of a cluster, or `ccow server`): the
// calls through which the CLI and the gateways reach the registry of record. One scheme
// of authentication everywhere: "Authorization: Bearer TOKEN", the token kept in
// cluster.json (a cluster) or DATA/server.json (one node), both readable by their owner
// only.
//
//   GET  /admin/status                      this member: Raft role, the state as JSON, plus
//                                           what the daemon adds (healing on a target)
//   POST /admin/command?hex=COMMAND         commits an encoded cluster command through this
//                                           member, which must lead (else 503 naming the
//                                           leader); answers {"ok":true,"version":N}
//   GET  /admin/state?after=N&wait_ms=M     the whole state (canonical snapshot, hex) once it
//                                           is newer than version N, waiting up to M ms
//                                           (long poll: how gateways follow changes)
// Other /admin/ paths go to the daemon's own handler (join, publish on a target).
//
// Handlers block (a long poll waits on the registry); the HTTP server runs each connection
// on its own thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "cluster/cluster_node.h"
#include "core/status.h"
#include "http/query_string.h"

namespace ccow::daemon {

struct AdminReply {
  int http_status = 200;
  std::string body;  // JSON
};

// A Status as the admin API's error reply ({"error": message, "code": CodeName}), and back.
AdminReply ReplyOf(const Status& status);
Status StatusOfReply(int http_status, const std::string& body);

class AdminApi {
 public:
  // The daemon's own calls: method, path and the parsed query (http/query_string.h).
  using Extra = std::function<AdminReply(const std::string& method, const std::string& path,
                                         const http::ParsedTarget& target)>;
  // node may be null (a target outside any Raft group answers status only).
  AdminApi(std::string token, ClusterNode* node, std::function<std::string()> status_extra = {},
           Extra extra = {});

  // An /admin/ request: method, target (path and query) and the Authorization header.
  AdminReply Handle(const std::string& method, const std::string& target, const std::string& authorization);

 private:
  AdminReply Status_();
  AdminReply Command(const std::string& hex);
  AdminReply State(uint64_t after, uint64_t wait_ms);

  std::string token_;
  ClusterNode* node_;
  std::function<std::string()> status_extra_;  // a JSON object merged into /admin/status
  Extra extra_;
};

// The value of a query parameter ("" when absent).
std::string QueryValue(const http::ParsedTarget& target, std::string_view name);

// A background job's "POST ...?now=1[&wait=1[&wait_ms=N]]" (GC, scrub): when the query
// asks to wait, waits (wait_for(pass, ms), default 5000 ms) for pass `pass` to end.
// Returns an error reply (a bad wait_ms; kUnavailable when the pass has not ended in
// time: it goes on), or nullopt when the caller answers with its status.
std::optional<AdminReply> WaitForPassReply(const http::ParsedTarget& target, uint64_t pass,
                                           const std::function<bool(uint64_t pass, uint64_t ms)>& wait_for);

}  // namespace ccow::daemon
