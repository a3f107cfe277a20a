// Runs a node's garbage collector in the background (issue 11): a pass every interval,
// and one on demand (`ccow system gc --now`, through the admin API). The admin calls it
// serves:
//   GET  /admin/gc              progress and totals as JSON
//   POST /admin/gc?now=1        starts a pass (no-op if one is running); with wait=1 the
//                               answer comes when that pass has ended (bounded by the
//                               caller's own timeout)
// Thread safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/admin_api.h"
#include "gc/collector.h"

namespace ccow::daemon {

struct GcServiceOptions {
  uint64_t interval_ns = 3600ull * 1'000'000'000;  // 0: on demand only
};

class GcService {
 public:
  GcService(std::unique_ptr<Collector> collector, GcServiceOptions options);
  ~GcService();  // stops after the pass under way

  // Starts a pass now (or notes that one is wanted when one is running). Returns the
  // number of the pass that will cover the request.
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

  std::unique_ptr<Collector> collector_;
  GcServiceOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t requested_ = 0;  // passes asked for (Trigger), by number
  uint64_t started_ = 0, ended_ = 0;
  std::thread thread_;
};

}  // namespace ccow::daemon
