// The trlog (DESIGN.md vocabulary): a segment's ordered, durable log of which objects of a
// bucket changed, read in batches by the Inter-Segment Gateway links that serve the
// bucket (issue 14, docs/ARCHITECTURE.md "Inter-segment links"), so that what a link ships
// each batch interval is proportional to the changes, not to the bucket.
//
// Where it lives. The log of bucket SEG/TEN/BKT is objects of the tenant's internal bucket
// .trlog, one per second of wall-clock time: SEG/TEN/.trlog/BKT/<second, 16 hex digits>.
// Each flush of changes adds one version to the second's object, whose payload is a
// TrlogRecord (the changed keys). So the log is replicated, made durable and collected
// like any object (an internal bucket keeps no quarantine: a trimmed second goes at the
// next collection), on one node and on a cluster alike.
//
// Who writes. ObjectApi records every change of a bucket that ApiOptions::trlog_records
// names before the change commits (a write-ahead intent: a change that then fails leaves
// a record of an unchanged object, which a link finds equal and skips), merges from
// another segment among them when they change the list (so a mesh forwards them).
// Concurrent writers share one flush (group commit): one record per bucket per flush.
// Tenants and buckets whose name starts with '.' (internal) record nothing.
//
// Who reads. A link reads the seconds from its cursor on (ReadTrlog), ships the named
// objects' lists, and moves its cursor; TrimTrlog removes seconds every link has passed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/status.h"
#include "model/object_name.h"

namespace ccow {

class ObjectApi;

// A change commits within this long of its record: a writer whose commit would land later
// (retries of a busy object) records the change again first. So a reader that shipped an
// object's list while its change was still in flight ships it once more after this long.
inline constexpr uint64_t kTrlogSettleNs = 10'000'000'000ull;

// One flush's changed keys of one bucket (keys, not full names), sorted, each once.
// Encoding (docs/FORMAT.md "Trlog record"): kind 0x08, version 1, varint n, n x bytes key.
struct TrlogRecord {
  std::vector<std::string> keys;
  friend bool operator==(const TrlogRecord&, const TrlogRecord&) = default;
};
std::string EncodeTrlogRecord(const TrlogRecord& record);
// kCorruption naming what is wrong: another kind, another version, truncated or trailing
// bytes, keys out of order or repeated, an empty key.
Result<TrlogRecord> DecodeTrlogRecord(std::string_view bytes);

// "SEG/TEN/.trlog/BKT/": where bucket SEG/TEN/BKT's log is. kInvalidArgument for a path
// that is not a bucket's.
Result<std::string> TrlogPrefix(const std::string& bucket_path);

// One flush read back: the second it landed in, its version's manifest CHID (what
// identifies a record: a reader that saw it skips it when it reads the second again) and
// the changed objects' full names.
struct TrlogEntry {
  uint64_t second = 0;
  Chid id;
  std::vector<std::string> names;
};
// Visits the records of bucket_path's log from second `from` on, in order of seconds
// (within a second, in the order of their flushes), until fn returns false. skip (when
// given) is asked first, with a record's id and second: true leaves it unread.
Status ReadTrlog(ObjectApi& api, const std::string& bucket_path, uint64_t from,
                 const std::function<bool(const TrlogEntry&)>& fn,
                 const std::function<bool(const Chid& id, uint64_t second)>& skip = {});
// Removes the seconds of bucket_path's log before `before`; *removed (when given) counts them.
Status TrimTrlog(ObjectApi& api, const std::string& bucket_path, uint64_t before, uint64_t* removed = nullptr);
// The first second bucket_path's log holds (0 when it is empty).
Result<uint64_t> OldestTrlogSecond(ObjectApi& api, const std::string& bucket_path);

}  // namespace ccow
