// Runs a garbage collector in the background (issue 11): a pass every interval, and one
// on demand (`ccow system gc --now`, through the admin API). One node (`ccow server`) runs
// one; on a cluster every target daemon runs one and only the Raft leader's drives passes
// (`may_drive`, daemon/cluster_gc.h). The admin calls it serves:
//   GET  /admin/gc              progress and totals as JSON, whether this process drives
//                               passes (and why not), when the next is due, the
//                               compaction's rate limit ("rate_limit_bytes_per_second")
//   POST /admin/gc?now=1        starts a pass (no-op if one is running); with wait=1 the
//                               answer comes when that pass has ended (bounded by the
//                               caller's own timeout), saying whether it succeeded
//                               ("pass_ok", and "pass_error" with "pass_error_code").
//                               Where may_drive says no: its error, with "driving": false
//                               (a cluster's follower: ask the leader).
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/admin_api.h"
#include "daemon/pass_scheduler.h"
#include "gc/collector.h"

namespace ccow::daemon {

struct GcServiceOptions {
  uint64_t interval_ns = 3600ull * 1'000'000'000;  // 0: on demand only
  // Whether this process drives passes now (empty: always). Asked before every pass: a
  // due pass is skipped while it says no (the interval starts over), a requested one is
  // refused with its error.
  std::function<Status()> may_drive;
  // Called before every pass this process drives, on the service's thread.
  std::function<void()> before_pass;
  // Shown as "target" in the status (the target daemon that runs the service).
  std::string name;
};

class GcService {
 public:
  GcService(std::unique_ptr<Collector> collector, GcServiceOptions options);
  ~GcService();  // stops after the pass under way, whose compaction ends at its next record

  // Starts a pass now (or notes that one is wanted when one is running). Returns the
  // number of the pass that will cover the request (if this process still drives when
  // it is due; otherwise the request is dropped and WaitFor returns false).
  uint64_t Trigger() { return scheduler_->Trigger(); }
  // Waits until pass `pass` has ended, up to timeout_ms; true if it has.
  bool WaitFor(uint64_t pass, uint64_t timeout_ms) { return scheduler_->WaitFor(pass, timeout_ms); }

  GcProgress progress() const { return collector_->progress(); }
  std::string StatusJson() const;
  std::string MetricsText() const;  // Prometheus lines ccow_gc_*
  // The /admin/gc handler (method, path, query); nullopt for other paths.
  std::optional<AdminReply> Handle(const std::string& method, const std::string& path,
                                   const http::ParsedTarget& target);

 private:
  std::unique_ptr<Collector> collector_;
  std::string name_;
  std::unique_ptr<PassScheduler> scheduler_;  // last: stopped before the collector goes
};

}  // namespace ccow::daemon
