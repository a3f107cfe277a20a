// SnapView (issue 14): a named, read-only view of a whole bucket as it was at one time.
//
// What a view is made of, all of it ordinary objects and version lists, so that the
// collector, erasure coding, repair and Inter-Segment Gateway links need nothing new:
//  - each object that was current at the view's time is pinned by an object snapshot
//    named "snapview:NAME" (model/version_list.h): the version stays readable, and
//    collected only once the view is removed, whatever is written or deleted meanwhile;
//  - the view's record (model/snapview_record.h) is a system object of the bucket, key
//    "\xffsnapview/NAME" (model/object_name.h IsSystemKey): its time, its member count and
//    the digest of its members, so that a site can tell whether the whole view is there.
// A link ships the pins with their objects' lists and the record with the bucket; a site
// reports a view complete only once every member it names has arrived (count and digest),
// and serves listings, clones and restores of complete views only: a view is read whole or
// not at all. A removed view's pins leave tombstones, so that no link brings them back.
//
// A view shows the bucket at a time T: for each object, the version that was current at
// T (VersionList::CurrentAt, which may have been overwritten or deleted since, the
// quarantine still holding it), or none. T is compared with the versions' UVID times:
// writers' clocks, so gateways whose clocks are skewed by d may see writes within d of T
// fall on either side. Taking a view costs one version-list update per member.
//
// Threads: a SnapViews is as thread-safe as its ObjectApi (calls share nothing else).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/object_api.h"
#include "model/snapview_record.h"

namespace ccow {

// The object snapshot that pins a view's members: "snapview:NAME". Object snapshots of
// users may not take names with this prefix (the CLI refuses them).
inline constexpr std::string_view kSnapViewPinPrefix = "snapview:";
std::string SnapViewPin(std::string_view view);
inline bool IsSnapViewPin(std::string_view snapshot) { return snapshot.starts_with(kSnapViewPinPrefix); }

struct SnapViewInfo {
  std::string name;
  // The record, when it is here: a view without one is being taken, being removed, or
  // still arriving over a link (its pins came first).
  std::optional<SnapViewRecord> record;
  uint64_t present = 0;   // members whose pin is here
  bool complete = false;  // a record, and exactly the members it names are pinned here
};

struct SnapViewMember {
  std::string key;        // the object's key in the bucket
  VersionEntry version;   // the version pinned
};

struct SnapViewRestoreStats {
  uint64_t restored = 0;   // members whose view version became current again
  uint64_t unchanged = 0;  // members already current as in the view
  uint64_t hidden = 0;     // objects not in the view, given a delete marker
};

class SnapViews {
 public:
  explicit SnapViews(ObjectApi* api) : api_(api) {}

  // Takes view `name` of bucket ("SEGMENT/TENANT/BUCKET") at at_ns (default: now).
  // kAlreadyExists when the bucket has a view of that name, kInvalidArgument for a bad
  // name or a time in the future. A failed call leaves pins that a retry reuses or
  // replaces (and Remove removes).
  Result<SnapViewInfo> Create(const std::string& bucket, const std::string& name,
                              std::optional<uint64_t> at_ns = std::nullopt);
  // Every view of the bucket (with a record or pins), by name: one scan of the bucket.
  Result<std::vector<SnapViewInfo>> List(const std::string& bucket);
  // One view; kNotFound when it has neither a record nor a pin here.
  Result<SnapViewInfo> Stat(const std::string& bucket, const std::string& name);
  // The members in key order (fn returns false to stop). kUnavailable when the view is not
  // complete here (names how much has arrived), kNotFound without the view.
  Status Members(const std::string& bucket, const std::string& name,
                 const std::function<bool(const SnapViewMember&)>& fn);
  // The selector that reads an object as the view has it (ObjectApi::Get, Read, Stat,
  // Clone). kNotFound when the bucket has no such view here.
  Result<VersionSelector> Selector(const std::string& bucket, const std::string& name);
  // Removes the view: its pins (their versions become collectable unless something else
  // keeps them), then its record. kNotFound when there is nothing of it.
  Status Remove(const std::string& bucket, const std::string& name);
  // Makes every member an object of dest_bucket under the same key, sharing its chunks
  // (no payload copied). Returns how many. kUnavailable unless the view is complete.
  Result<uint64_t> Clone(const std::string& bucket, const std::string& name, const std::string& dest_bucket);
  // Makes the bucket show what the view shows, losing nothing: a member whose current
  // version differs gets the view's version back as a new version (a clone of it), an
  // object not in the view a delete marker (its versions stay). kUnavailable unless the
  // view is complete.
  Result<SnapViewRestoreStats> Restore(const std::string& bucket, const std::string& name);

 private:
  // Scans the bucket's lists (system keys aside), a page at a time.
  Status ScanBucket(const std::string& bucket, const std::function<Status(const VersionList&)>& fn);
  Result<std::optional<SnapViewRecord>> ReadRecord(const std::string& bucket, const std::string& name);
  Result<std::vector<SnapViewInfo>> Gather(const std::string& bucket, const std::optional<std::string>& only);
  Status RequireComplete(const std::string& bucket, const std::string& name);

  ObjectApi* api_;
};

}  // namespace ccow
