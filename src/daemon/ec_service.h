// Runs the erasure encoder in the background (issue 11 §3; gc/erasure_encoder.h): a pass
// every interval and one on demand (`ccow system ec --now`), on a cluster only where the
// Raft leader's target runs it (may_drive; daemon/cluster_gc.h starts it beside the
// collector). A pass encodes the versions at rest of buckets with an erasure-code policy
// and keeps the stripes of the versions encoded earlier whole (moves fragments to their
// keepers, rebuilds lost ones). The admin calls it serves:
//   GET  /admin/ec           progress, the last pass, totals, raw bytes per logical byte
//                            of every bucket (as the last pass found them), whether this
//                            process drives passes and when the next is due
//   POST /admin/ec?now=1     a pass now ([&wait=1[&wait_ms=N]]: the answer when it ended,
//                            "pass_ok" false when it found stripes with fewer than K
//                            fragments left); refused with "driving": false elsewhere
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "daemon/admin_api.h"
#include "daemon/pass_scheduler.h"
#include "gc/erasure_encoder.h"

namespace ccow::daemon {

struct EcServiceOptions {
  uint64_t interval_ns = 3600ull * 1'000'000'000;  // 0: on demand only
  std::function<Status()> may_drive;               // empty: always
  std::function<void()> before_pass;
  std::string name;  // shown as "target"
  uint64_t rest_age_ns = 0;        // shown in the status (the encoder's settings)
  uint64_t min_object_bytes = 0;
};

class EcService {
 public:
  EcService(std::unique_ptr<ErasureEncoder> encoder, EcServiceOptions options);
  ~EcService();  // stops after the pass under way

  uint64_t Trigger() { return scheduler_->Trigger(); }
  bool WaitFor(uint64_t pass, uint64_t timeout_ms) { return scheduler_->WaitFor(pass, timeout_ms); }

  std::string StatusJson() const;
  std::string MetricsText() const;  // Prometheus lines ccow_ec_*
  std::optional<AdminReply> Handle(const std::string& method, const std::string& path,
                                   const http::ParsedTarget& target);

 private:
  Status RunPass();

  std::unique_ptr<ErasureEncoder> encoder_;
  const EcServiceOptions options_;
  mutable std::mutex mu_;
  bool running_ = false;
  uint64_t passes_completed_ = 0, passes_failed_ = 0;
  uint64_t last_started_ns_ = 0, last_finished_ns_ = 0;
  std::string last_error_;
  EncodePassResult last_, total_;  // total_: counters summed over passes (no buckets)
  std::unique_ptr<PassScheduler> scheduler_;  // last: stopped before the encoder goes
};

}  // namespace ccow::daemon
