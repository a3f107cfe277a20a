// Runs a garbage collector in the background (issue 11): a pass every interval, and one
// on demand (`ccow system gc --now`, through the admin API). One node (`ccow server`) runs
// one; on a cluster every target daemon runs one and only the Raft leader's drives passes
// (`may_drive`, daemon/cluster_gc.h). The admin calls it serves:
//   GET  /admin/gc              progress and totals as JSON, whether this process drives
//                               passes (and why not), when the next is due
//   POST /admin/gc?now=1        starts a pass (no-op if one is running); with wait=1 the
//                               answer comes when that pass has ended (bounded by the
//                               caller's own timeout), saying whether it succeeded
//                               ("pass_ok", and "pass_error" with "pass_error_code").
//                               Where may_drive says no: its error, with "driving": false
//                               (a cluster's follower: ask the leader).
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "daemon/admin_api.h"
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
  ~GcService();  // stops after the pass under way

  // Starts a pass now (or notes that one is wanted when one is running). Returns the
  // number of the pass that will cover the request (if this process still drives when
  // it is due; otherwise the request is dropped and WaitFor returns false).
  uint64_t Trigger();
  // Waits until pass `pass` has ended, up to timeout_ms; true if it has.
  bool WaitFor(uint64_t pass, uint64_t timeout_ms);

  GcProgress progress() const { return collector_->progress(); }
  std::string StatusJson() const;
  std::string MetricsText() const;  // Prometheus lines ccow_gc_*
  // The /admin/gc handler (method, path, query); nullopt for other paths.
  std::optional<AdminReply> Handle(const std::string& method, const std::string& path,
                                   const http::ParsedTarget& target);

 private:
  void Run();

  Status MayDrive() const { return options_.may_drive ? options_.may_drive() : Status::OK(); }
  // How pass `pass` ended, if it is among the last ones.
  std::optional<Status> OutcomeOf(uint64_t pass) const;

  std::unique_ptr<Collector> collector_;
  GcServiceOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t requested_ = 0;  // passes asked for (Trigger), by number
  uint64_t started_ = 0, ended_ = 0;
  std::deque<std::pair<uint64_t, Status>> outcomes_;  // of the last passes, by number
  std::chrono::steady_clock::time_point next_;  // when the next periodic pass is due
  std::thread thread_;
};

}  // namespace ccow::daemon
