// When a background job's passes run (issue 11): one every interval and one on demand,
// on a thread of the scheduler's own, and only where may_drive says (one node: always; a
// cluster: its Raft leader). The garbage collector's and the erasure encoder's services
// share it; the scrubber keeps its own schedule (per VDEV, persisted across restarts).
//
// A pass requested while one runs is the next one (the one under way may have read part
// of what the request wants covered). A due or requested pass where may_drive says no is
// skipped: the interval starts over and a request is dropped (WaitFor returns false).
//
// Thread safety: every method may be called from any thread. The destructor waits for
// the pass under way: declare the scheduler after whatever its pass uses.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/status.h"
#include "daemon/admin_api.h"

namespace ccow::daemon {

struct PassSchedulerOptions {
  uint64_t interval_ns = 0;  // 0: on demand only
  // Whether this process drives passes now (empty: always); asked before every pass.
  std::function<Status()> may_drive;
  // Called before every pass this process drives, on the scheduler's thread.
  std::function<void()> before_pass;
  std::string job = "pass";  // for the log: "gc", "ec"
};

class PassScheduler {
 public:
  // pass: one pass of the job; its Status is the pass's outcome (OutcomeOf).
  PassScheduler(std::function<Status()> pass, PassSchedulerOptions options);
  ~PassScheduler();  // stops after the pass under way

  // Asks for a pass; returns the number of the pass that will cover the request.
  uint64_t Trigger();
  // Waits until pass `pass` has ended, up to timeout_ms; true if it has.
  bool WaitFor(uint64_t pass, uint64_t timeout_ms);
  Status MayDrive() const { return options_.may_drive ? options_.may_drive() : Status::OK(); }
  // How pass `pass` ended, if it is among the last 16.
  std::optional<Status> OutcomeOf(uint64_t pass) const;
  uint64_t passes_started() const;
  uint64_t interval_ns() const { return options_.interval_ns; }
  // Seconds until the next periodic pass (0 while one runs); nullopt when passes run
  // only on demand or this process does not drive them.
  std::optional<double> NextPassInSeconds() const;

  // The admin API's "POST /admin/JOB?now=1[&wait=1[&wait_ms=N]]": refused where this
  // process does not drive (its error, with "driving": false: ask the leader); otherwise
  // a pass is triggered and, if asked, waited for. The answer is status_json() with
  // "pass", and once waited for "pass_ok" (and "pass_error", "pass_error_code").
  AdminReply HandlePost(const http::ParsedTarget& target, const std::function<std::string()>& status_json);

 private:
  void Run();

  const std::function<Status()> pass_;
  const PassSchedulerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool running_ = false;
  uint64_t requested_ = 0;  // passes asked for (Trigger), by number
  uint64_t started_ = 0, ended_ = 0;
  std::deque<std::pair<uint64_t, Status>> outcomes_;  // of the last passes, by number
  std::chrono::steady_clock::time_point next_;         // when the next periodic pass is due
  std::thread thread_;
};

}  // namespace ccow::daemon
