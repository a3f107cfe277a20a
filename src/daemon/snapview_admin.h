// The admin API's SnapView calls (client/snapview.h). `ccow server` serves them on its admin
// endpoint; the CLI runs the same handler in its own process when no server holds the data
// directory (or on a cluster), so `ccow snapview` prints one JSON shape either way.
//
//   GET    /admin/snapview?bucket=B[&name=N]        {"snapviews": [view...]} (one view: N's)
//   POST   /admin/snapview?bucket=B&name=N[&at_ns=T]  the view taken
//   DELETE /admin/snapview?bucket=B&name=N          {"removed": N}
//   GET    /admin/snapview/members?bucket=B&name=N[&limit=L]   {"members": [...], "truncated"}
//   POST   /admin/snapview/clone?bucket=B&name=N&dest=D        {"cloned": n}
//   POST   /admin/snapview/restore?bucket=B&name=N             {"restored", "unchanged", "hidden"}
// A view: {"name", "complete", "present", and with its record "at_ns", "created_ns",
// "members", "members_digest"}. Errors as every admin call's (ReplyOf).
//
// Threads: any; each call runs on the caller's thread (a whole-bucket scan for most).
#pragma once

#include <optional>
#include <string>

#include "client/object_api.h"
#include "daemon/admin_api.h"
#include "http/query_string.h"

namespace ccow::daemon {

// nullopt when path is not a SnapView call.
std::optional<AdminReply> HandleSnapViewAdmin(ObjectApi& api, const std::string& method, const std::string& path,
                                              const http::ParsedTarget& target);

}  // namespace ccow::daemon
