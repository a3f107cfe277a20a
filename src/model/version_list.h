// The version list of one object (its name index entry, found by NHID): the active
// versions newest first, the quarantine of deleted versions kept until retention passes,
// and named snapshots that pin a version for as long as they exist.
//
// All changes go through the methods below so that the same rules hold wherever the
// list lives (the local backend today, the target owning the NHID's row in a cluster).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/version_manifest.h"

namespace ccow {

struct VersionEntry {
  // A delete marker (S3 versioning): the newest "version" says the object is deleted, yet
  // older versions stay readable by generation. Its VM has no payload.
  static constexpr uint32_t kDeleteMarker = 1;
  // The version's payload chunks are erasure coded: ec_chid names its stripe set
  // (model/stripe_set.h), which a read needs to rebuild a lost chunk. Set once the
  // encoder job has stored the parity and the set (VersionList::SetErasureCoding).
  static constexpr uint32_t kErasureCoded = 2;

  uint64_t generation = 0;
  Uvid uvid;
  Chid vm_chid;
  uint64_t size = 0;
  std::string etag;
  uint32_t flags = 0;  // kDeleteMarker mirrors the VM's flags so listings need not load it
  Chid ec_chid{};      // with kErasureCoded: the stripe set's CHID; empty otherwise

  bool is_delete_marker() const { return (flags & kDeleteMarker) != 0; }
  bool erasure_coded() const { return (flags & kErasureCoded) != 0; }

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

// Which version a read names: the latest, a generation, or a snapshot.
struct VersionSelector {
  std::optional<uint64_t> generation;
  std::optional<std::string> snapshot;
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
  bool HasActiveVersion() const { return !versions_.empty(); }
  // True when nothing (active, quarantined or snapshot) remains: the list can be dropped.
  bool Empty() const { return versions_.empty() && quarantine_.empty() && snapshots_.empty(); }

  // One above every generation ever used by this name, so generations are never reused.
  uint64_t NextGeneration() const;

  // Adds a new latest version. Fails with kConflict unless entry.generation is
  // NextGeneration(): a concurrent writer got there first and the caller must retry.
  Status AddVersion(const VersionEntry& entry);
  // Moves one active version (or all, when generation is empty) to the quarantine.
  Status Delete(std::optional<uint64_t> generation, uint64_t now_ns);
  // Restores one quarantined version, or when generation is empty every version of the
  // most recent deletion.
  Status Undelete(std::optional<uint64_t> generation);
  Status CreateSnapshot(const std::string& snapshot, const VersionSelector& which,
                        uint64_t now_ns);
  Status DeleteSnapshot(const std::string& snapshot);
  // Drops quarantined versions deleted before now - retention; returns what was dropped
  // (their chunks become garbage unless referenced elsewhere).
  std::vector<VersionEntry> ExpireQuarantine(uint64_t now_ns, uint64_t retention_ns);

  // Records that version vm_chid is erasure coded, its stripes in the stripe set ec_chid
  // (sets VersionEntry::kErasureCoded and ec_chid): on every entry naming that version,
  // active, quarantined and snapshot alike, since each one may be read. kNotFound when no
  // entry does (the version was expired from the quarantine meanwhile, a deletion alone
  // keeps it: the encoder drops its work); kInvalidArgument for an empty ec_chid.
  Status SetErasureCoding(const Chid& vm_chid, const Chid& ec_chid);

  // The active version a selector names (snapshots may name quarantined versions).
  Result<VersionEntry> Resolve(const VersionSelector& which) const;

  std::string Encode() const;
  static Result<VersionList> Decode(std::string_view bytes);

 private:
  std::string name_;
  Nhid nhid_;
  std::vector<VersionEntry> versions_;
  std::vector<QuarantinedVersion> quarantine_;  // most recent deletion first
  std::vector<Snapshot> snapshots_;
};

}  // namespace ccow
