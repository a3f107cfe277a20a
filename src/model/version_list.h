// The version list of one object (its name index entry, found by NHID): the active
// versions newest first, the quarantine of deleted versions kept until retention passes,
// and named snapshots that pin a version for as long as they exist.
//
// All changes go through the methods below so that the same rules hold wherever the
// list lives (the local backend today, the target owning the NHID's row in a cluster).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/version_manifest.h"

namespace ccow {

// S3 Object Lock on one version (write once, read many). A retention keeps the version
// from being deleted until retain_until_ns: in GOVERNANCE mode a caller allowed to bypass
// governance may still delete it or shorten the retention, in COMPLIANCE mode nobody may,
// and the retention can only be extended. A legal hold keeps it whatever the retention,
// until it is lifted. Kept in the version list entry (not the immutable version manifest)
// so that it can change without a new version, and so that every path that removes a
// version (VersionList::Delete, ExpireQuarantine) checks it under the list's update.
enum class LockMode : uint8_t { kNone = 0, kGovernance = 1, kCompliance = 2 };
const char* LockModeName(LockMode mode);  // "", "GOVERNANCE", "COMPLIANCE" (S3's words)

struct ObjectLock {
  LockMode mode = LockMode::kNone;
  uint64_t retain_until_ns = 0;  // with a mode: wall-clock nanoseconds
  bool legal_hold = false;

  bool empty() const { return mode == LockMode::kNone && !legal_hold; }
  // Whether a delete at now_ns is refused (kLocked), and why, for the message; "" when not.
  std::string Refusal(uint64_t now_ns, bool bypass_governance) const;
  friend bool operator==(const ObjectLock&, const ObjectLock&) = default;
};

// S3 Object Lock of a bucket (its registry record, cluster/cluster_state.h BucketRecord):
// once enabled it stays enabled and the bucket stays versioned (BucketRecord::Validate,
// and the registry refuses turning it off). The default retention,
// when set, is given to new versions that name none (days or years, not both).
struct ObjectLockConfig {
  bool enabled = false;
  uint8_t default_mode = 0;  // 0 none, else LockMode (1 GOVERNANCE, 2 COMPLIANCE)
  uint32_t default_days = 0, default_years = 0;
  friend bool operator==(const ObjectLockConfig&, const ObjectLockConfig&) = default;
};

// The S3 storage class of a version, and so how it is kept at rest. kStandard (and
// REDUCED_REDUNDANCY) stays replicated; the infrequent-access and archive classes are
// erasure coded at rest with the bucket's code (where it has none they stay replicated);
// kDefault, no class named, is erasure coded exactly when the bucket has a code (what
// every version written before storage classes existed does). Numbers are part of the
// version list encoding: never renumber.
enum class StorageClass : uint8_t {
  kDefault = 0,
  kStandard = 1,
  kReducedRedundancy = 2,
  kStandardIa = 3,
  kOneZoneIa = 4,
  kIntelligentTiering = 5,
  kGlacierIr = 6,
  kGlacier = 7,
  kDeepArchive = 8,
};
inline constexpr uint8_t kMaxStorageClass = 8;
const char* StorageClassName(StorageClass c);  // S3's words; "" for kDefault
std::optional<StorageClass> ParseStorageClass(std::string_view name);
// Whether versions of the class are erasure coded at rest in a bucket that has a code.
bool ErasureCodedClass(StorageClass c, bool bucket_has_code);

struct VersionEntry {
  // A delete marker (S3 versioning): the newest "version" says the object is deleted, yet
  // older versions stay readable by generation. Its VM has no payload.
  static constexpr uint32_t kDeleteMarker = 1;
  // The version's payload chunks are erasure coded: ec_chid names its stripe set
  // (model/stripe_set.h), which a read needs to rebuild a lost chunk. Set once the
  // encoder job has stored the parity and the set (VersionList::SetErasureCoding).
  static constexpr uint32_t kErasureCoded = 2;
  // Encoding bits only (the lock field is what code reads): a retention follows as a mode
  // byte and the retain-until time; a legal hold has no payload. An entry without a lock
  // keeps the bytes (and the list its CHID) it had before Object Lock existed.
  static constexpr uint32_t kRetention = 4;
  static constexpr uint32_t kLegalHold = 8;
  // S3's "null" version: written while the bucket's versioning was off or suspended. At
  // most one entry of a list has it; the next such write replaces it (ObjectApi's
  // VersionSlot), and S3 names it "null" instead of its generation.
  static constexpr uint32_t kNullVersion = 16;
  // Encoding bit only (storage_class is what code reads): a u8 storage class follows the
  // lock fields. An entry of kDefault class keeps the bytes it had before classes existed.
  static constexpr uint32_t kStorageClassSet = 32;

  uint64_t generation = 0;
  Uvid uvid;
  Chid vm_chid;
  uint64_t size = 0;
  std::string etag;
  uint32_t flags = 0;  // kDeleteMarker mirrors the VM's flags so listings need not load it
  Chid ec_chid{};      // with kErasureCoded: the stripe set's CHID; empty otherwise
  ObjectLock lock;     // S3 Object Lock; empty for most versions
  StorageClass storage_class = StorageClass::kDefault;

  bool is_delete_marker() const { return (flags & kDeleteMarker) != 0; }
  bool erasure_coded() const { return (flags & kErasureCoded) != 0; }
  bool is_null_version() const { return (flags & kNullVersion) != 0; }

  friend bool operator==(const VersionEntry&, const VersionEntry&) = default;
};

struct QuarantinedVersion {
  VersionEntry version;
  uint64_t deleted_at_ns = 0;
  friend bool operator==(const QuarantinedVersion&, const QuarantinedVersion&) = default;
};

struct Snapshot {
  std::string name;
  uint64_t created_ns = 0;
  VersionEntry version;
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// A deleted snapshot, remembered so that a merge with a site that still has it does not
// bring it back (snapshots join by name). Names the snapshot by its name and creation
// time: one created again under the same name later is another snapshot. Kept as long
// as the bucket keeps deleted versions (ExpireQuarantine), then forgotten.
struct SnapshotTombstone {
  std::string name;
  uint64_t created_ns = 0;
  uint64_t deleted_ns = 0;
  friend bool operator==(const SnapshotTombstone&, const SnapshotTombstone&) = default;
};

// Names one version by its generation and, where two segments wrote one generation
// concurrently (an Inter-Segment Gateway link merged both), by the segment id of its UVID
// too; a generation alone names the newest entry of that generation.
struct VersionRef {
  uint64_t generation = 0;
  std::optional<uint32_t> segment_id;
  VersionRef(uint64_t g) : generation(g) {}  // NOLINT(google-explicit-constructor): a generation alone
  VersionRef(uint64_t g, std::optional<uint32_t> segment) : generation(g), segment_id(segment) {}
  // The exact reference of an entry: its segment named unless it is 0 (a version written
  // before its segment had an id, or never linked), which matches the generation alone.
  static VersionRef Of(uint64_t generation, const Uvid& uvid) {
    return VersionRef(generation, uvid.segment_id ? std::optional<uint32_t>(uvid.segment_id) : std::nullopt);
  }
  static VersionRef Of(const VersionEntry& e) { return Of(e.generation, e.uvid); }
  bool Matches(const VersionEntry& e) const {
    return e.generation == generation && (!segment_id || e.uvid.segment_id == *segment_id);
  }
  std::string ToString() const;  // "G", or "G-ssssssss" (8 hex digits) with a segment id
};

// Which version a read names: the latest, a generation, a snapshot, or the one that was
// current at a time.
struct VersionSelector {
  std::optional<uint64_t> generation;
  std::optional<uint32_t> segment_id;  // with generation: VersionRef's segment id
  std::optional<std::string> snapshot;
  bool null_version = false;  // S3's versionId=null: the active entry with kNullVersion
  // The version current at this wall-clock time (VersionList::CurrentAt), which may be
  // quarantined by now.
  std::optional<uint64_t> as_of_ns;
};

class VersionList {
 public:
  static constexpr uint8_t kFormatVersion = 1;

  VersionList() = default;
  VersionList(std::string name, Nhid nhid) : name_(std::move(name)), nhid_(nhid) {}

  const std::string& name() const { return name_; }
  const Nhid& nhid() const { return nhid_; }
  const std::vector<VersionEntry>& versions() const { return versions_; }  // newest first
  const std::vector<QuarantinedVersion>& quarantine() const { return quarantine_; }
  const std::vector<Snapshot>& snapshots() const { return snapshots_; }  // by name
  // By name, then creation time.
  const std::vector<SnapshotTombstone>& snapshot_tombstones() const { return tombstones_; }
  bool HasActiveVersion() const { return !versions_.empty(); }
  // True when nothing (active, quarantined, snapshot, or the tombstone of a deleted
  // snapshot) remains: the list can be dropped.
  bool Empty() const {
    return versions_.empty() && quarantine_.empty() && snapshots_.empty() && tombstones_.empty();
  }
  // Whether ExpireQuarantine at now_ns would drop anything.
  bool HasExpired(uint64_t now_ns, uint64_t retention_ns) const;

  // One above every generation ever used by this name, so generations are never reused.
  uint64_t NextGeneration() const;

  // Adds a new latest version. Fails with kConflict unless entry.generation is
  // NextGeneration(): a concurrent writer got there first and the caller must retry.
  Status AddVersion(const VersionEntry& entry);
  // Moves one active version (or all, when generation is empty) to the quarantine.
  // kLocked (nothing moves) when a version it would move is under Object Lock at now_ns
  // (ObjectLock::Refusal); bypass_governance lets a GOVERNANCE retention pass.
  Status Delete(std::optional<VersionRef> version, uint64_t now_ns, bool bypass_governance = false);
  // Restores one quarantined version, or when generation is empty every version of the
  // most recent deletion.
  Status Undelete(std::optional<VersionRef> version);
  // Pins the version `which` names (any selector but a snapshot; with as_of_ns a
  // quarantined version too) under a new snapshot name, created at now_ns (or just after
  // the newest tombstone of the name, so that no merge takes the new one for the deleted
  // one). kAlreadyExists for a name taken, kNotFound when no version is selected.
  Status CreateSnapshot(const std::string& snapshot, const VersionSelector& which,
                        uint64_t now_ns);
  // Removes a snapshot, leaving its tombstone (deleted at now_ns). kNotFound without one.
  Status DeleteSnapshot(const std::string& snapshot, uint64_t now_ns);
  // Drops quarantined versions deleted before now - retention, and tombstones of
  // snapshots deleted before then; returns the versions dropped (their chunks become
  // garbage unless referenced elsewhere). A version under a legal hold or an unexpired
  // COMPLIANCE retention is kept whatever the quarantine retention (it cannot normally be
  // deleted; this is the backstop that keeps GC away from it).
  std::vector<VersionEntry> ExpireQuarantine(uint64_t now_ns, uint64_t retention_ns);
  // The version that was current at t_ns: the newest entry (active or quarantined) written
  // at or before t_ns and not deleted by then. kNotFound when there was none, or it was a
  // delete marker. Timestamps are the writers' (UVID) clocks.
  Result<VersionEntry> CurrentAt(uint64_t t_ns) const;

  // Records that version vm_chid is erasure coded, its stripes in the stripe set ec_chid
  // (sets VersionEntry::kErasureCoded and ec_chid): on every entry naming that version,
  // active, quarantined and snapshot alike, since each one may be read. kNotFound when no
  // entry does (the version was expired from the quarantine meanwhile, a deletion alone
  // keeps it: the encoder drops its work); kInvalidArgument for an empty ec_chid.
  Status SetErasureCoding(const Chid& vm_chid, const Chid& ec_chid);

  // Object Lock of the active version `generation` (every entry naming its version
  // manifest, snapshots included, gets the same lock). SetRetention replaces the
  // retention (mode kNone removes it): an unexpired COMPLIANCE retention may only be
  // extended in the same mode, an unexpired GOVERNANCE one only extended unless
  // bypass_governance; otherwise kLocked. kNotFound without such a version,
  // kInvalidArgument for a delete marker or a new retention already past at now_ns.
  Status SetRetention(VersionRef version, LockMode mode, uint64_t retain_until_ns, uint64_t now_ns,
                      bool bypass_governance);
  Status SetLegalHold(VersionRef version, bool on);
  // The storage class of the version vm_chid names (every entry naming it: active,
  // quarantined and snapshot alike), as a lifecycle transition moves it; the erasure
  // encoder then protects it as its new class says. kNotFound when no entry names it;
  // kInvalidArgument for kDefault (a version never goes back to having none).
  Status SetStorageClass(const Chid& vm_chid, StorageClass storage_class);

  // The active version a selector names (snapshots may name quarantined versions).
  Result<VersionEntry> Resolve(const VersionSelector& which) const;

  // Merges another segment's list of the same object into this one (Inter-Segment Gateway,
  // issue 14); true when this list changed. A state-based merge, so that sites that
  // exchange their lists in any order, any number of times, converge to equal lists:
  //  - a version is known by its VM's CHID; a version either list has is kept, each at
  //    its own generation and UVID (versions are ordered by both, so a later write at any
  //    site, which takes the next generation of the list it saw, sorts after);
  //  - a delete is sticky: a version quarantined on either side is quarantined in the
  //    result (deleted at the earlier time), so a deleted version never comes back;
  //  - at most one active version is S3's null version (kNullVersion): the newest; an
  //    older one, replaced concurrently at another site, moves to the quarantine (deleted
  //    at the newest one's UVID time);
  //  - snapshots join by name: of the same name on both, the newer creation wins (then
  //    the newer version); a tombstone removes every snapshot of its name created at or
  //    before its own. So the result is, per name, the newest snapshot any site made
  //    unless a deletion at least as new removed it, whatever order lists travel in
  //    (keeping the older instead would diverge: a site that had dropped the newer one
  //    for it could not bring it back once the older was deleted).
  // What only this site knows of a version it already has stays as it is here: whether it
  // is erasure coded (ec_chid names a stripe set of this site), its Object Lock and storage
  // class. A version new here comes without erasure coding: its chunks arrive replicated.
  // With now_ns, a version under Object Lock here at now_ns (a retention not yet past,
  // GOVERNANCE included: the other site's permission to bypass it is not known here, or
  // a legal hold) stays active when the other site deleted it, and its VM CHID is
  // appended to *kept_locked: the lock is this site's, and no other site lifts it. The
  // two lists then differ until either changes again.
  // kInvalidArgument when `remote` is another object's list.
  Result<bool> MergeRemote(const VersionList& remote, uint64_t now_ns = 0, std::vector<Chid>* kept_locked = nullptr);
  // This list without the entries (active, quarantined or snapshot) naming the version
  // manifests in vm_chids: what a link merges of another site's list once it refused some
  // of its versions.
  VersionList Without(const std::set<Chid>& vm_chids) const;

  std::string Encode() const;
  static Result<VersionList> Decode(std::string_view bytes);

  friend bool operator==(const VersionList&, const VersionList&) = default;

 private:
  std::string name_;
  Nhid nhid_;
  std::vector<VersionEntry> versions_;
  std::vector<QuarantinedVersion> quarantine_;  // most recent deletion first
  std::vector<Snapshot> snapshots_;
  std::vector<SnapshotTombstone> tombstones_;  // by (name, created_ns)

  // A tombstone of its name created at or after it: it was deleted.
  bool Tombstoned(const Snapshot& s) const;
  // The creation time of the newest deleted snapshot of the name; 0 when none.
  uint64_t NewestTombstone(const std::string& name) const;
};

}  // namespace ccow
