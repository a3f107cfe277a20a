// A file:// remote of an Inter-Segment Gateway service (issue 14): a content-addressed
// export directory that a link writes as if it were another segment's link end, and that
// a link receiving from it imports.
//
// DIR/vdev0 is a chunk store as a data directory has one: chunks by CHID, so dedup is
// kept (a chunk is written once whatever names it), with the exported buckets' version
// lists, manifests and trlog. DIR/export.state is the export's own registry state (the
// buckets with their records as the exporting site offered them, and the services that
// use the directory), a canonical ClusterState snapshot (docs/FORMAT.md "Cluster
// state") replaced atomically after each change.
//
// An export answers a link's requests in this process, as a receiving end would
// (IsgwLink::Answer over the export's object API). Importing is the export's own sender:
// an IsgwLink over the export's object API whose remote is the importing link's Answer,
// with its cursors kept in the export under the importing segment's site id, so that
// several segments import one directory, each from where it left; it trims the export's
// trlog only past the 7-day horizon, as it cannot know the others' cursors. Lists merge
// by the same total order as a ccow:// link, so exporting and importing the same
// directory at one site ships nothing back.
//
// The store stays open (with its lock) while the service names the directory: one
// process at a time; another gets kBusy at each round until the first lets go (its
// service's remote changed or its link stopped).
//
// Errors (Open): what opening the store answers (kBusy: another process holds it),
// kCorruption for an export.state that does not decode.
// Threads: Answer from any thread; ImportRound from the owning link's sender thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "client/object_api.h"
#include "cluster/cluster_state.h"
#include "core/status.h"

namespace ccow::isgw {

class IsgwLink;

class ExportSite {
 public:
  // Opens (creating) the export in dir for `service` of the segment `into` runs the end
  // of; cursor_key names that segment's import cursors.
  static Result<std::shared_ptr<ExportSite>> Open(const std::string& dir, const std::string& service,
                                                  const std::string& cursor_key, IsgwLink* into);
  ~ExportSite();

  const std::string& dir() const { return dir_; }
  // One request of the exporting link, answered by the export's end.
  std::pair<int, std::string> Answer(const std::string& op, std::string body);
  // One round of the export's changes sent to the importing segment.
  Status ImportRound();

 private:
  ExportSite() = default;
  std::shared_ptr<const ClusterState> state() const;
  Status Propose(const ClusterCommand& command);

  std::string dir_, service_;
  std::shared_ptr<ObjectApi> api_;
  mutable std::mutex mu_;
  std::shared_ptr<const ClusterState> state_;
  std::unique_ptr<IsgwLink> end_;     // answers the exporting link
  std::unique_ptr<IsgwLink> import_;  // sends to the importing one
};

}  // namespace ccow::isgw
