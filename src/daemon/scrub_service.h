// The scrubber of a daemon as operators see it (issue 11 §2): one node (`ccow server`)
// and every target daemon run a Scrubber (target/scrubber.h) and serve through this
//   GET  /admin/scrub              progress, totals and unrepairable copies as JSON
//   POST /admin/scrub?now=1        starts a pass (noted if one runs); with wait=1 the
//                                  answer comes when that pass has ended (wait_ms bounds it)
// and the Prometheus lines ccow_scrub_* on /metrics. /admin/status carries the same JSON
// under "scrub", which `ccow system status` prints.
// Thread safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "daemon/admin_api.h"
#include "target/scrubber.h"

namespace ccow::daemon {

// The JSON of GET /admin/scrub for a scrubber's progress.
std::string ScrubStatusJson(const ScrubProgress& progress);

class ScrubService {
 public:
  // Starts the scrubber's thread.
  explicit ScrubService(std::unique_ptr<Scrubber> scrubber);
  ~ScrubService();  // stops the scrubber (a pass under way stops at its next chunk)

  Scrubber& scrubber() { return *scrubber_; }
  std::string StatusJson() const;
  std::string MetricsText() const;
  // The /admin/scrub handler; nullopt for other paths.
  std::optional<AdminReply> Handle(const std::string& method, const std::string& path,
                                   const http::ParsedTarget& target);

 private:
  std::unique_ptr<Scrubber> scrubber_;
};

}  // namespace ccow::daemon
