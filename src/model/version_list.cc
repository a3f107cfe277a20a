#include "model/version_list.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <tuple>

#include "core/check.h"
#include "model/encoding.h"

namespace ccow {

const char* LockModeName(LockMode mode) {
  switch (mode) {
    case LockMode::kNone: return "";
    case LockMode::kGovernance: return "GOVERNANCE";
    case LockMode::kCompliance: return "COMPLIANCE";
  }
  return "";
}

std::string ObjectLock::Refusal(uint64_t now_ns, bool bypass_governance) const {
  if (legal_hold) return "it is under a legal hold";
  if (mode == LockMode::kNone || retain_until_ns <= now_ns) return "";
  if (mode == LockMode::kGovernance && bypass_governance) return "";
  return std::string("it is under ") + LockModeName(mode) + " retention until " + std::to_string(retain_until_ns) +
         " ns" + (mode == LockMode::kGovernance ? " (bypass governance retention to delete it)" : "");
}

namespace {

void EncodeEntry(const VersionEntry& e, Encoder* enc) {
  enc->PutVarint(e.generation);
  enc->PutU64(e.uvid.timestamp_ns);
  enc->PutU32(e.uvid.segment_id);
  enc->PutU32(e.uvid.sequence);
  enc->PutHashId(e.vm_chid);
  enc->PutVarint(e.size);
  enc->PutBytes(e.etag);
  uint32_t flags = e.flags & (VersionEntry::kDeleteMarker | VersionEntry::kErasureCoded | VersionEntry::kNullVersion);
  if (e.lock.mode != LockMode::kNone) flags |= VersionEntry::kRetention;
  if (e.lock.legal_hold) flags |= VersionEntry::kLegalHold;
  if (e.storage_class != StorageClass::kDefault) flags |= VersionEntry::kStorageClassSet;
  enc->PutVarint(flags);
  // Only behind its flag: an entry that is not erasure coded keeps the encoding it had
  // before the field existed, so older lists decode unchanged and keep their CHIDs.
  if (e.erasure_coded()) {
    CCOW_CHECK_MSG(!e.ec_chid.empty(), "an erasure-coded version entry without its stripe set");
    enc->PutHashId(e.ec_chid);
  }
  if (e.lock.mode != LockMode::kNone) {
    enc->PutU8(static_cast<uint8_t>(e.lock.mode));
    enc->PutU64(e.lock.retain_until_ns);
  }
  if (e.storage_class != StorageClass::kDefault) enc->PutU8(static_cast<uint8_t>(e.storage_class));
}

VersionEntry DecodeEntry(Decoder* dec) {
  VersionEntry e;
  e.generation = dec->GetVarint();
  e.uvid.timestamp_ns = dec->GetU64();
  e.uvid.segment_id = dec->GetU32();
  e.uvid.sequence = dec->GetU32();
  e.vm_chid = dec->GetHashId();
  e.size = dec->GetVarint();
  e.etag = dec->GetBytes();
  uint64_t flags = dec->GetVarint();
  constexpr uint64_t kKnown = VersionEntry::kDeleteMarker | VersionEntry::kErasureCoded |
                              VersionEntry::kRetention | VersionEntry::kLegalHold | VersionEntry::kNullVersion |
                              VersionEntry::kStorageClassSet;
  if (flags & ~kKnown) dec->Fail("unknown version entry flags");
  e.flags = static_cast<uint32_t>(flags) &
            (VersionEntry::kDeleteMarker | VersionEntry::kErasureCoded | VersionEntry::kNullVersion);
  if (dec->status().ok() && e.erasure_coded()) e.ec_chid = dec->GetHashId();
  e.lock.legal_hold = (flags & VersionEntry::kLegalHold) != 0;
  if (dec->status().ok() && (flags & VersionEntry::kRetention)) {
    uint8_t mode = dec->GetU8();
    if (mode != static_cast<uint8_t>(LockMode::kGovernance) && mode != static_cast<uint8_t>(LockMode::kCompliance))
      dec->Fail("unknown object lock mode");
    e.lock.mode = static_cast<LockMode>(mode);
    e.lock.retain_until_ns = dec->GetU64();
  }
  if (dec->status().ok() && (flags & VersionEntry::kStorageClassSet)) {
    const uint8_t c = dec->GetU8();
    // kDefault is written as no flag: one entry, one encoding.
    if (c == 0 || c > kMaxStorageClass) dec->Fail("unknown storage class " + std::to_string(c));
    else e.storage_class = static_cast<StorageClass>(c);
  }
  return e;
}

bool NewerFirst(const VersionEntry& a, const VersionEntry& b) {
  if (a.generation != b.generation) return a.generation > b.generation;
  return a.uvid > b.uvid;
}

bool TombstoneOrder(const SnapshotTombstone& a, const SnapshotTombstone& b) {
  return std::tie(a.name, a.created_ns) < std::tie(b.name, b.created_ns);
}

bool QuarantineOrder(const QuarantinedVersion& a, const QuarantinedVersion& b) {
  if (a.deleted_at_ns != b.deleted_at_ns) return a.deleted_at_ns > b.deleted_at_ns;
  return NewerFirst(a.version, b.version);
}

}  // namespace

uint64_t VersionList::NextGeneration() const {
  uint64_t max = 0;
  for (const auto& v : versions_) max = std::max(max, v.generation);
  for (const auto& q : quarantine_) max = std::max(max, q.version.generation);
  for (const auto& s : snapshots_) max = std::max(max, s.version.generation);
  return max + 1;
}

Status VersionList::AddVersion(const VersionEntry& entry) {
  uint64_t next = NextGeneration();
  if (entry.generation != next)
    return Status::Conflict("object " + name_ + ": generation " +
                            std::to_string(entry.generation) + " is stale, next is " +
                            std::to_string(next));
  versions_.insert(versions_.begin(), entry);
  return Status::OK();
}

std::string VersionRef::ToString() const {
  std::string out = std::to_string(generation);
  if (segment_id) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "-%08x", *segment_id);
    out += hex;
  }
  return out;
}

Status VersionList::Delete(std::optional<VersionRef> version, uint64_t now_ns, bool bypass_governance) {
  if (versions_.empty()) return Status::NotFound("object " + name_ + " has no active version");
  auto locked = [&](const VersionEntry& v) -> Status {
    std::string why = v.lock.Refusal(now_ns, bypass_governance);
    if (why.empty()) return Status::OK();
    return Status::Locked("object " + name_ + " generation " + std::to_string(v.generation) +
                          " cannot be deleted: " + why);
  };
  std::vector<QuarantinedVersion> moved;
  if (version) {
    auto it = std::find_if(versions_.begin(), versions_.end(), [&](const VersionEntry& v) { return version->Matches(v); });
    if (it == versions_.end())
      return Status::NotFound("object " + name_ + " has no active generation " + version->ToString());
    CCOW_RETURN_IF_ERROR(locked(*it));
    moved.push_back({*it, now_ns});
    versions_.erase(it);
  } else {
    for (const auto& v : versions_) CCOW_RETURN_IF_ERROR(locked(v));
    for (auto& v : versions_) moved.push_back({v, now_ns});
    versions_.clear();
  }
  quarantine_.insert(quarantine_.end(), moved.begin(), moved.end());
  std::stable_sort(quarantine_.begin(), quarantine_.end(), QuarantineOrder);
  return Status::OK();
}

Status VersionList::Undelete(std::optional<VersionRef> version) {
  if (quarantine_.empty())
    return Status::NotFound("object " + name_ + " has no deleted version to restore");
  std::vector<VersionEntry> restored;
  if (version) {
    auto it = std::find_if(quarantine_.begin(), quarantine_.end(),
                           [&](const auto& q) { return version->Matches(q.version); });
    if (it == quarantine_.end())
      return Status::NotFound("object " + name_ + " has no deleted generation " + version->ToString());
    restored.push_back(it->version);
    quarantine_.erase(it);
  } else {
    uint64_t batch = quarantine_.front().deleted_at_ns;
    auto end = std::find_if(quarantine_.begin(), quarantine_.end(),
                            [&](const auto& q) { return q.deleted_at_ns != batch; });
    for (auto it = quarantine_.begin(); it != end; ++it) restored.push_back(it->version);
    quarantine_.erase(quarantine_.begin(), end);
  }
  versions_.insert(versions_.end(), restored.begin(), restored.end());
  std::sort(versions_.begin(), versions_.end(), NewerFirst);
  return Status::OK();
}

Status VersionList::SetErasureCoding(const Chid& vm_chid, const Chid& ec_chid) {
  if (ec_chid.empty())
    return Status::InvalidArgument("object " + name_ + ": erasure coding " + vm_chid.ToString() +
                                   " needs its stripe set's CHID");
  size_t set = 0;
  auto mark = [&](VersionEntry& e) {
    if (e.vm_chid != vm_chid) return;
    e.flags |= VersionEntry::kErasureCoded;
    e.ec_chid = ec_chid;
    ++set;
  };
  for (auto& v : versions_) mark(v);
  for (auto& q : quarantine_) mark(q.version);
  for (auto& s : snapshots_) mark(s.version);
  if (set == 0)
    return Status::NotFound("object " + name_ + " has no entry for version " +
                            vm_chid.ToString() + " (expired meanwhile, or never listed here)");
  return Status::OK();
}

Status VersionList::SetRetention(VersionRef version, LockMode mode, uint64_t retain_until_ns, uint64_t now_ns,
                                 bool bypass_governance) {
  auto it = std::find_if(versions_.begin(), versions_.end(), [&](const VersionEntry& v) { return version.Matches(v); });
  if (it == versions_.end())
    return Status::NotFound("object " + name_ + " has no active generation " + version.ToString());
  std::string what = "object " + name_ + " generation " + version.ToString();
  if (it->is_delete_marker()) return Status::InvalidArgument(what + " is a delete marker, which cannot be locked");
  if (mode != LockMode::kNone && retain_until_ns <= now_ns)
    return Status::InvalidArgument(what + ": the retain-until date must be in the future");
  const ObjectLock& old = it->lock;
  if (old.mode != LockMode::kNone && old.retain_until_ns > now_ns) {
    bool extends = mode == old.mode && retain_until_ns >= old.retain_until_ns;
    if (!extends && !(old.mode == LockMode::kGovernance && bypass_governance))
      return Status::Locked(what + " is under " + LockModeName(old.mode) + " retention until " +
                            std::to_string(old.retain_until_ns) + " ns, which may only be extended" +
                            (old.mode == LockMode::kGovernance ? " (or changed bypassing governance retention)" : ""));
  }
  Chid vm = it->vm_chid;
  auto set = [&](VersionEntry& e) {
    if (e.vm_chid != vm) return;
    e.lock.mode = mode;
    e.lock.retain_until_ns = mode == LockMode::kNone ? 0 : retain_until_ns;
  };
  for (auto& v : versions_) set(v);
  for (auto& q : quarantine_) set(q.version);
  for (auto& s : snapshots_) set(s.version);
  return Status::OK();
}

Status VersionList::SetStorageClass(const Chid& vm_chid, StorageClass storage_class) {
  if (storage_class == StorageClass::kDefault)
    return Status::InvalidArgument("a version's storage class can change, not go back to none");
  bool found = false;
  auto set = [&](VersionEntry& e) {
    if (e.vm_chid != vm_chid) return;
    e.storage_class = storage_class;
    found = true;
  };
  for (auto& v : versions_) set(v);
  for (auto& q : quarantine_) set(q.version);
  for (auto& s : snapshots_) set(s.version);
  if (!found) return Status::NotFound("object " + name_ + " has no version " + vm_chid.ToString());
  return Status::OK();
}

namespace {
constexpr const char* kStorageClassNames[] = {"",           "STANDARD",            "REDUCED_REDUNDANCY",
                                              "STANDARD_IA", "ONEZONE_IA",          "INTELLIGENT_TIERING",
                                              "GLACIER_IR",  "GLACIER",             "DEEP_ARCHIVE"};
static_assert(std::size(kStorageClassNames) == kMaxStorageClass + 1);
}  // namespace

const char* StorageClassName(StorageClass c) {
  const auto i = static_cast<uint8_t>(c);
  return i <= kMaxStorageClass ? kStorageClassNames[i] : "";
}

std::optional<StorageClass> ParseStorageClass(std::string_view name) {
  for (uint8_t i = 1; i <= kMaxStorageClass; ++i)
    if (name == kStorageClassNames[i]) return static_cast<StorageClass>(i);
  return std::nullopt;
}

bool ErasureCodedClass(StorageClass c, bool bucket_has_code) {
  if (!bucket_has_code) return false;
  return c != StorageClass::kStandard && c != StorageClass::kReducedRedundancy;
}

Status VersionList::SetLegalHold(VersionRef version, bool on) {
  auto it = std::find_if(versions_.begin(), versions_.end(), [&](const VersionEntry& v) { return version.Matches(v); });
  if (it == versions_.end())
    return Status::NotFound("object " + name_ + " has no active generation " + version.ToString());
  if (it->is_delete_marker())
    return Status::InvalidArgument("object " + name_ + " generation " + version.ToString() +
                                   " is a delete marker, which cannot be held");
  Chid vm = it->vm_chid;
  auto set = [&](VersionEntry& e) {
    if (e.vm_chid == vm) e.lock.legal_hold = on;
  };
  for (auto& v : versions_) set(v);
  for (auto& q : quarantine_) set(q.version);
  for (auto& s : snapshots_) set(s.version);
  return Status::OK();
}

VersionList VersionList::Without(const std::set<Chid>& vm_chids) const {
  VersionList out(name_, nhid_);
  for (const auto& v : versions_)
    if (!vm_chids.count(v.vm_chid)) out.versions_.push_back(v);
  for (const auto& q : quarantine_)
    if (!vm_chids.count(q.version.vm_chid)) out.quarantine_.push_back(q);
  for (const auto& s : snapshots_)
    if (!vm_chids.count(s.version.vm_chid)) out.snapshots_.push_back(s);
  return out;
}

Result<bool> VersionList::MergeRemote(const VersionList& remote, uint64_t now_ns, std::vector<Chid>* kept_locked) {
  if (remote.name_ != name_ || remote.nhid_ != nhid_)
    return Status::InvalidArgument("object " + name_ + ": cannot merge the version list of " + remote.name_);
  const VersionList before = *this;
  // A version new here arrives without erasure coding: its stripe set is the other site's.
  auto arriving = [](VersionEntry e) {
    e.flags &= ~VersionEntry::kErasureCoded;
    e.ec_chid = Chid{};
    return e;
  };
  auto find_active = [&](const Chid& vm) {
    return std::find_if(versions_.begin(), versions_.end(), [&](const VersionEntry& v) { return v.vm_chid == vm; });
  };
  auto find_quarantined = [&](const Chid& vm) {
    return std::find_if(quarantine_.begin(), quarantine_.end(),
                        [&](const QuarantinedVersion& q) { return q.version.vm_chid == vm; });
  };
  for (const QuarantinedVersion& q : remote.quarantine_) {
    if (auto it = find_quarantined(q.version.vm_chid); it != quarantine_.end()) {
      it->deleted_at_ns = std::min(it->deleted_at_ns, q.deleted_at_ns);
    } else if (auto a = find_active(q.version.vm_chid); a != versions_.end()) {
      if (now_ns && !a->lock.Refusal(now_ns, false).empty()) {
        if (kept_locked) kept_locked->push_back(a->vm_chid);  // locked here: it stays
        continue;
      }
      quarantine_.push_back({*a, q.deleted_at_ns});  // deleted there: deleted here too
      versions_.erase(a);
    } else {
      quarantine_.push_back({arriving(q.version), q.deleted_at_ns});
    }
  }
  for (const VersionEntry& v : remote.versions_)
    if (find_active(v.vm_chid) == versions_.end() && find_quarantined(v.vm_chid) == quarantine_.end())
      versions_.push_back(arriving(v));
  std::sort(versions_.begin(), versions_.end(), NewerFirst);
  // One null version: a null version was replaced by the newer ones, wherever each was
  // written. An older one still active moves to the quarantine, deleted when the first of
  // the newer ones was written (the earliest timestamp: clocks of two sites need not agree
  // with the order); a quarantined one is deleted no later than that. Taken from the whole
  // merged set, so the result is the same whatever order sites merged in: what a site that
  // knew fewer versions computed is never earlier.
  std::vector<std::pair<VersionEntry, bool>> nulls;  // (entry, active), newest first
  for (const auto& v : versions_)
    if (v.is_null_version()) nulls.push_back({v, true});
  for (const auto& q : quarantine_)
    if (q.version.is_null_version()) nulls.push_back({q.version, false});
  std::sort(nulls.begin(), nulls.end(), [](const auto& a, const auto& b) { return NewerFirst(a.first, b.first); });
  uint64_t replaced_at = UINT64_MAX;
  for (size_t i = 1; i < nulls.size(); ++i) {
    replaced_at = std::min(replaced_at, nulls[i - 1].first.uvid.timestamp_ns);
    const Chid& vm = nulls[i].first.vm_chid;
    if (nulls[i].second) {
      auto a = find_active(vm);
      quarantine_.push_back({*a, replaced_at});
      versions_.erase(a);
    } else {
      auto q = find_quarantined(vm);
      q->deleted_at_ns = std::min(q->deleted_at_ns, replaced_at);
    }
  }
  std::stable_sort(quarantine_.begin(), quarantine_.end(), QuarantineOrder);
  // Tombstones first (the earlier deletion of one snapshot wins), so that a snapshot
  // deleted on either side is left out of the join on both.
  for (const SnapshotTombstone& t : remote.tombstones_) {
    auto pos = std::lower_bound(tombstones_.begin(), tombstones_.end(), t, TombstoneOrder);
    if (pos != tombstones_.end() && pos->name == t.name && pos->created_ns == t.created_ns)
      pos->deleted_ns = std::min(pos->deleted_ns, t.deleted_ns);
    else
      tombstones_.insert(pos, t);
  }
  std::erase_if(snapshots_, [&](const Snapshot& s) { return Tombstoned(s); });
  for (const Snapshot& s : remote.snapshots_) {
    if (Tombstoned(s)) continue;
    auto pos = std::lower_bound(snapshots_.begin(), snapshots_.end(), s.name,
                                [](const Snapshot& a, const std::string& n) { return a.name < n; });
    if (pos == snapshots_.end() || pos->name != s.name) {
      Snapshot copy = s;
      copy.version = arriving(s.version);
      snapshots_.insert(pos, copy);
    } else if (s.created_ns > pos->created_ns ||
               (s.created_ns == pos->created_ns && NewerFirst(s.version, pos->version))) {
      pos->created_ns = s.created_ns;
      pos->version = arriving(s.version);
    }
  }
  return !(*this == before);
}

Result<VersionEntry> VersionList::CurrentAt(uint64_t t_ns) const {
  const VersionEntry* current = nullptr;
  auto consider = [&](const VersionEntry& e) {
    if (e.uvid.timestamp_ns <= t_ns && (!current || NewerFirst(e, *current))) current = &e;
  };
  for (const auto& v : versions_) consider(v);
  for (const auto& q : quarantine_)
    if (q.deleted_at_ns > t_ns) consider(q.version);
  if (!current || current->is_delete_marker())
    return Status::NotFound("object " + name_ + " had no current version at " + std::to_string(t_ns) + " ns");
  return *current;
}

uint64_t VersionList::NewestTombstone(const std::string& name) const {
  // Sorted by (name, created): the last of the name's run.
  auto end = std::lower_bound(tombstones_.begin(), tombstones_.end(), SnapshotTombstone{name + '\0', 0, 0},
                              TombstoneOrder);
  return end != tombstones_.begin() && std::prev(end)->name == name ? std::prev(end)->created_ns : 0;
}

bool VersionList::Tombstoned(const Snapshot& s) const {
  auto end = std::lower_bound(tombstones_.begin(), tombstones_.end(), SnapshotTombstone{s.name + '\0', 0, 0},
                              TombstoneOrder);
  return end != tombstones_.begin() && std::prev(end)->name == s.name && std::prev(end)->created_ns >= s.created_ns;
}

Result<VersionEntry> VersionList::Resolve(const VersionSelector& which) const {
  if (which.as_of_ns) return CurrentAt(*which.as_of_ns);
  if (which.snapshot) {
    for (const auto& s : snapshots_)
      if (s.name == *which.snapshot) return s.version;
    return Status::NotFound("object " + name_ + " has no snapshot '" + *which.snapshot + "'");
  }
  if (versions_.empty()) return Status::NotFound("object " + name_ + " does not exist");
  if (which.null_version) {
    for (const auto& v : versions_)
      if (v.is_null_version()) return v;
    return Status::NotFound("object " + name_ + " has no null version");
  }
  if (!which.generation) return versions_.front();
  const VersionRef ref(*which.generation, which.segment_id);
  for (const auto& v : versions_)
    if (ref.Matches(v)) return v;
  return Status::NotFound("object " + name_ + " has no active generation " + ref.ToString());
}

Status VersionList::CreateSnapshot(const std::string& snapshot, const VersionSelector& which,
                                   uint64_t now_ns) {
  if (snapshot.empty() || snapshot.size() > 255)
    return Status::InvalidArgument("snapshot name must be 1..255 bytes");
  for (const auto& s : snapshots_)
    if (s.name == snapshot)
      return Status::AlreadyExists("object " + name_ + " already has snapshot '" + snapshot +
                                   "'");
  VersionSelector target = which;
  target.snapshot.reset();
  CCOW_ASSIGN_OR_RETURN(VersionEntry v, Resolve(target));
  Snapshot s{snapshot, std::max(now_ns, NewestTombstone(snapshot) + 1), v};
  auto pos = std::lower_bound(snapshots_.begin(), snapshots_.end(), snapshot,
                              [](const Snapshot& a, const std::string& n) { return a.name < n; });
  snapshots_.insert(pos, s);
  return Status::OK();
}

Status VersionList::DeleteSnapshot(const std::string& snapshot, uint64_t now_ns) {
  auto it = std::find_if(snapshots_.begin(), snapshots_.end(),
                         [&](const Snapshot& s) { return s.name == snapshot; });
  if (it == snapshots_.end())
    return Status::NotFound("object " + name_ + " has no snapshot '" + snapshot + "'");
  SnapshotTombstone t{it->name, it->created_ns, now_ns};
  snapshots_.erase(it);
  auto pos = std::lower_bound(tombstones_.begin(), tombstones_.end(), t, TombstoneOrder);
  if (pos == tombstones_.end() || pos->name != t.name || pos->created_ns != t.created_ns) tombstones_.insert(pos, t);
  return Status::OK();
}

bool VersionList::HasExpired(uint64_t now_ns, uint64_t retention_ns) const {
  for (const auto& q : quarantine_)
    if (q.deleted_at_ns + retention_ns <= now_ns && q.version.lock.Refusal(now_ns, true).empty()) return true;
  for (const auto& t : tombstones_)
    if (t.deleted_ns + retention_ns <= now_ns) return true;
  return false;
}

std::vector<VersionEntry> VersionList::ExpireQuarantine(uint64_t now_ns, uint64_t retention_ns) {
  std::vector<VersionEntry> dropped;
  auto keep = std::stable_partition(quarantine_.begin(), quarantine_.end(), [&](const auto& q) {
    // A bypassed GOVERNANCE retention does not hold the version back: its deleter chose.
    return q.deleted_at_ns + retention_ns > now_ns || !q.version.lock.Refusal(now_ns, true).empty();
  });
  for (auto it = keep; it != quarantine_.end(); ++it) dropped.push_back(it->version);
  quarantine_.erase(keep, quarantine_.end());
  std::erase_if(tombstones_, [&](const SnapshotTombstone& t) { return t.deleted_ns + retention_ns <= now_ns; });
  return dropped;
}

std::string VersionList::Encode() const {
  Encoder enc;
  enc.PutU8(static_cast<uint8_t>(RecordKind::kVersionList));
  enc.PutU8(kFormatVersion);
  enc.PutBytes(name_);
  enc.PutHashId(nhid_);
  enc.PutVarint(versions_.size());
  for (const auto& v : versions_) EncodeEntry(v, &enc);
  enc.PutVarint(quarantine_.size());
  for (const auto& q : quarantine_) {
    EncodeEntry(q.version, &enc);
    enc.PutU64(q.deleted_at_ns);
  }
  enc.PutVarint(snapshots_.size());
  for (const auto& s : snapshots_) {
    enc.PutBytes(s.name);
    enc.PutU64(s.created_ns);
    EncodeEntry(s.version, &enc);
  }
  // Only when there are some: a list without keeps the bytes it had before they existed.
  if (!tombstones_.empty()) {
    enc.PutVarint(tombstones_.size());
    for (const auto& t : tombstones_) {
      enc.PutBytes(t.name);
      enc.PutU64(t.created_ns);
      enc.PutU64(t.deleted_ns);
    }
  }
  return enc.Take();
}

Result<VersionList> VersionList::Decode(std::string_view bytes) {
  Decoder dec(bytes, "version list");
  dec.GetRecordHeader(RecordKind::kVersionList, kFormatVersion);
  VersionList vl;
  vl.name_ = dec.GetBytes();
  vl.nhid_ = dec.GetHashId();
  constexpr size_t kMinEntry = 1 + 16 + 2 + 1 + 1 + 1;
  uint64_t n = dec.GetCount(kMinEntry);
  for (uint64_t i = 0; i < n && dec.status().ok(); ++i) vl.versions_.push_back(DecodeEntry(&dec));
  n = dec.GetCount(kMinEntry + 8);
  for (uint64_t i = 0; i < n && dec.status().ok(); ++i) {
    QuarantinedVersion q;
    q.version = DecodeEntry(&dec);
    q.deleted_at_ns = dec.GetU64();
    vl.quarantine_.push_back(std::move(q));
  }
  n = dec.GetCount(kMinEntry + 9);
  for (uint64_t i = 0; i < n && dec.status().ok(); ++i) {
    Snapshot s;
    s.name = dec.GetBytes();
    s.created_ns = dec.GetU64();
    s.version = DecodeEntry(&dec);
    if (!vl.snapshots_.empty() && dec.status().ok() && !(vl.snapshots_.back().name < s.name))
      dec.Fail("snapshots not sorted by name");
    vl.snapshots_.push_back(std::move(s));
  }
  if (dec.status().ok() && !dec.done()) {
    n = dec.GetCount(1 + 8 + 8);
    if (dec.status().ok() && n == 0) dec.Fail("an empty snapshot tombstone section");
    for (uint64_t i = 0; i < n && dec.status().ok(); ++i) {
      SnapshotTombstone t;
      t.name = dec.GetBytes();
      t.created_ns = dec.GetU64();
      t.deleted_ns = dec.GetU64();
      if (!vl.tombstones_.empty() && dec.status().ok() && !TombstoneOrder(vl.tombstones_.back(), t))
        dec.Fail("snapshot tombstones not sorted by name and creation time");
      vl.tombstones_.push_back(std::move(t));
    }
  }
  CCOW_RETURN_IF_ERROR(dec.Finish());
  if (!std::is_sorted(vl.versions_.begin(), vl.versions_.end(), NewerFirst))
    return Status::Corruption("version list of " + vl.name_ + ": versions out of order");
  if (!std::is_sorted(vl.quarantine_.begin(), vl.quarantine_.end(), QuarantineOrder))
    return Status::Corruption("version list of " + vl.name_ + ": quarantine out of order");
  return vl;
}

}  // namespace ccow
