// The object API: what every gateway and the CLI use. Objects are streamed in and out;
// each put creates a new immutable version (a merkle tree of chunks rooted in a version
// manifest); deletes move versions to a quarantine from which they can be restored;
// snapshots pin a version by name; clones are new names sharing the same chunks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/backend.h"
#include "client/byte_stream.h"
#include "core/status.h"
#include "model/object_cipher.h"
#include "model/object_policy.h"
#include "model/version_list.h"
#include "model/version_manifest.h"

namespace ccow {

struct ApiOptions {
  ObjectPolicy default_policy;
  uint32_t segment_id = 0;                                  // written into every UVID
  // When set, the segment id written into every UVID instead (the registry's site id,
  // read at each write: a segment gets one when it first serves an ISGW link).
  std::function<uint32_t()> site_id;
  // When set and not empty, the seed of the segment's signing key (the registry's
  // InitSiteKey): every version manifest written is signed with it
  // (model/version_signature.h), so that linked sites can verify where it comes from.
  std::function<std::string()> site_key_seed;
  uint64_t quarantine_retention_ns = 7ull * 24 * 3600 * 1000000000ull;  // 7 days
  // The retention of one bucket ("SEGMENT/TENANT/BUCKET"): its record's, else its
  // tenant's (the registry of record); 0 or empty: quarantine_retention_ns.
  std::function<uint64_t(const std::string& bucket_path)> bucket_retention;
  // Chunk puts and reads a few ahead on worker threads. Off, everything runs on the
  // caller's thread, as the simulated network (one deterministic thread) needs.
  bool parallel_io = true;
  // Wall-clock nanoseconds for UVIDs and deletion times; the simulation gives its virtual
  // clock so that a seed replays the same manifests. Empty: the system clock.
  std::function<uint64_t()> clock;
  // Opens encrypted versions for Get and Read when the call names no resolver of its own
  // (the master keys of a process that has the registry). Empty: they cannot be read.
  KeyResolver keys;
  // Whether changes of a bucket ("SEGMENT/TENANT/BUCKET") are recorded in its trlog
  // (client/trlog.h): an Inter-Segment Gateway service serves it and sends. Empty or
  // false: nothing is recorded and a write costs nothing more.
  std::function<bool(const std::string& bucket_path)> trlog_records;
};

// A condition on an object's current version, checked inside the version-list update
// that commits a write, so it holds atomically with it: of two writers racing under
// must_not_exist, one commits and the other fails. The current version is the newest
// active one; a delete marker there, or no version at all, is "no current version".
// Errors: kFailedPrecondition when it does not hold; kNotFound when an etag is required
// and there is no current version (S3 answers 404 NoSuchKey to If-Match then).
struct WriteCondition {
  bool must_not_exist = false;      // S3 If-None-Match: *
  bool must_exist = false;          // S3 If-Match: *
  std::optional<std::string> etag;  // S3 If-Match: the current version's ETag, unquoted
  // The current version must be exactly this one (its manifest's CHID): a compare-and-swap
  // of the whole version, as a file layer volume's checkpoint continues the one it opened.
  // kFailedPrecondition otherwise, also when there is no current version.
  std::optional<Chid> current_vm;

  bool empty() const { return !must_not_exist && !must_exist && !etag && !current_vm; }
  Status Check(const VersionList* list, const std::string& name) const;
};

// How a new version sits among the object's others, decided in the same version-list
// update as its commit, so readers never see zero or two current versions.
enum class VersionSlot : uint8_t {
  kAdded,     // one more version (S3 versioning Enabled; the native API)
  kNull,      // S3's "null" version (versioning Suspended): marked kNullVersion, and the
              // previous null version, if any, moves to the quarantine
  kReplaces,  // never versioned: marked kNullVersion, and every older version moves to
              // the quarantine (an S3 overwrite)
  kSupersedes,  // never versioned and nothing kept: as kReplaces, but the older versions
                // (and any the quarantine held) are dropped at once (a file layer volume's
                // checkpoint: its old tree is garbage once the new one is committed, and a
                // quarantine of every checkpoint grew its list without bound)
};

struct PutOptions {
  std::string content_type;
  std::map<std::string, std::string> user_metadata;
  std::optional<ObjectPolicy> policy;  // overrides ApiOptions::default_policy
  // Where the new version goes among the others (S3 versioning); see VersionSlot.
  VersionSlot slot = VersionSlot::kAdded;
  // Called with the finished manifest (size, ETag) once every chunk is stored and before
  // the version is committed; an error aborts the put with nothing visible (used for
  // Content-MD5 and payload-hash checks). It may record what it verified in the manifest
  // (the S3 gateway's object checksum); it must not change what the manifest references.
  std::function<Status(VersionManifest&)> before_commit;
  // The SHA-256 of the whole stream, when the source itself checks it before reporting
  // its end (S3's signed x-amz-content-sha256). A one-chunk object under SHA-256 then
  // uses it as the chunk's CHID instead of hashing the bytes a second time.
  std::optional<Chid> stream_sha256;
  // Commit only if the current version satisfies this (checked atomically with the commit).
  WriteCondition condition;
  // S3 Object Lock of the new version, committed with it in the same version-list update.
  ObjectLock lock;
  // Server-side encryption: every payload chunk (and an inline payload) is sealed with
  // the key's cipher, and its record goes into the manifest. Compose and Clone keep their
  // sources' encryption instead (they reuse sealed chunks): Compose refuses a different one.
  std::optional<ObjectKey> encryption;
  // The new version's storage class (how it is kept at rest: model/version_list.h),
  // committed with it in its version list entry.
  StorageClass storage_class = StorageClass::kDefault;
};

// One source of Compose: a version of an existing object, whose chunks are reused.
struct ComposePart {
  std::string name;
  VersionSelector which;
};

// What a put did below the API: how much was new and how much deduplicated.
struct PutStats {
  uint64_t chunks = 0;             // payload chunks the object was cut into
  uint64_t new_chunks = 0;         // of those, not already stored
  uint64_t new_payload_bytes = 0;  // payload bytes actually written
  uint64_t manifests = 0;          // chunk manifests written (including the VM)
  // Payload bytes stored inside the version manifest instead of in a chunk: a small
  // object's (VersionManifest::kInlinePayloadMax). Then chunks is 0.
  uint64_t inline_bytes = 0;
};

struct ObjectInfo {
  std::string name;
  uint64_t generation = 0;
  Uvid uvid;
  uint64_t size = 0;
  std::string etag;
  std::string content_type;
  std::map<std::string, std::string> user_metadata;
  ObjectPolicy policy;
  Chid vm_chid;
  uint32_t flags = 0;
  std::string origin;
  ObjectChecksum checksum;  // as verified by the writer (S3 x-amz-checksum-*), if any
  ObjectLock lock;          // from the version list entry, not the manifest: it can change
  bool null_version = false;  // the entry's kNullVersion: S3 names it "null"
  ObjectEncryption encryption;  // how its bytes are sealed (empty: they are not)
  StorageClass storage_class = StorageClass::kDefault;  // from the version list entry
};

// One chunk of a version and where it lives (`ccow object stat --replicas`).
struct ChunkPlacement {
  Chid chid;
  std::string kind;  // "version manifest", "chunk manifest", "payload", "key/value"
  uint64_t offset = 0, length = 0;  // the object bytes it covers
  std::vector<ChunkHolder> holders;
};

struct ByteRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;  // to the end when empty
};

struct ListOptions {
  std::string prefix;       // full: SEGMENT/TENANT/BUCKET/ followed by a key prefix
  std::string start_after;  // full name; listing continues after it
  std::string delimiter;    // when set, keys with it past the prefix roll up
  size_t limit = 1000;
  // Names whose newest version is a delete marker are skipped unless this is set.
  bool include_delete_markers = false;
  // Also return each listed name's whole version list (S3 ListObjectVersions).
  bool with_version_lists = false;
  // Also list the bucket's system keys (model/object_name.h IsSystemKey: SnapView
  // records), which every listing for users leaves out.
  bool include_system_keys = false;
};

struct ListResult {
  std::vector<VersionEntry> objects;  // latest version of each, in name order
  std::vector<std::string> names;     // names[i] belongs to objects[i]
  std::vector<VersionList> version_lists;  // with_version_lists: lists[i] is names[i]'s
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_start_after;  // pass back as start_after to continue
};

// How ObjectApi::MergeRemote vets what another segment sends.
struct RemoteMergeOptions {
  using VersionCheck = std::function<Status(const VersionManifest&)>;
  // When set, vets each new version's manifest (a link checks its signature): a version
  // it refuses is left out of the merge, as if the other site did not have it, and
  // appended to *refused (with accept's status) while the others merge.
  VersionCheck accept;
  // A site that keeps only metadata (a metadata-only link, client/fetching_backend.h):
  // payload chunks may be absent, and with manifests_may_be_absent chunk manifests too
  // (only the version manifest is required). What is here is touched as usual.
  bool payload_may_be_absent = false;
  bool manifests_may_be_absent = false;
};

class ObjectApi {
 public:
  ObjectApi(std::shared_ptr<Backend> backend, ApiOptions options);

  Result<ObjectInfo> Put(const std::string& name, ByteSource& data, const PutOptions& options,
                         PutStats* stats = nullptr);
  // Streams a version (or a byte range of it) into sink. Every chunk is verified (and,
  // when the version is encrypted, opened with the key `keys` gives, else the
  // ApiOptions' resolver: kInvalidArgument when neither can).
  Status Get(const std::string& name, const VersionSelector& which,
             const std::optional<ByteRange>& range, ByteSink& sink, ObjectInfo* info = nullptr,
             const KeyResolver* keys = nullptr);
  // Like Get, but on_open sees the version first and picks the range to stream (none for
  // all of it; a zero-length range when the caller answered from the version alone, as
  // for HEAD or a failed condition), or fails to stop before any byte is read:
  // conditional requests, ranges relative to the size, and response headers all need
  // the version up front.
  using OpenCallback = std::function<Result<std::optional<ByteRange>>(const ObjectInfo&)>;
  Status Read(const std::string& name, const VersionSelector& which, const OpenCallback& on_open,
              ByteSink& sink, const KeyResolver* keys = nullptr);
  // A delete marker as the latest version is returned too (flags tell); Get refuses it.
  Result<ObjectInfo> Stat(const std::string& name, const VersionSelector& which);
  // Every chunk of a version (its manifest, chunk manifests and payload chunks in object
  // order) with the VDEVs that hold it.
  Result<std::vector<ChunkPlacement>> Locate(const std::string& name, const VersionSelector& which);
  Result<ListResult> List(const ListOptions& options);
  Result<VersionList> Versions(const std::string& name);
  // Moves every active version (or one generation) to the quarantine; with a condition,
  // only if the current version satisfies it (atomically with the delete).
  // kLocked when a version it would delete is under Object Lock (bypass_governance lets
  // a GOVERNANCE retention pass: the caller checked that its requester may bypass it).
  Status Delete(const std::string& name, std::optional<VersionRef> version,
                const WriteCondition& condition = {}, bool bypass_governance = false);
  // Object Lock of one active version, kept in its version list entry (the version and
  // its generation stay as they are). Rules and errors: VersionList::SetRetention.
  Status SetRetention(const std::string& name, VersionRef version, LockMode mode, uint64_t retain_until_ns,
                      bool bypass_governance);
  Status SetLegalHold(const std::string& name, VersionRef version, bool on);
  // Moves the version (generation) of `name` to another storage class without a new
  // version (S3 lifecycle transitions). Rules and errors: VersionList::SetStorageClass.
  Status SetStorageClass(const std::string& name, VersionRef version, StorageClass storage_class);
  Status Undelete(const std::string& name, std::optional<VersionRef> version);
  Status CreateSnapshot(const std::string& name, const std::string& snapshot,
                        const VersionSelector& which);
  Status DeleteSnapshot(const std::string& name, const std::string& snapshot);
  // Makes `dest` a new version referencing the chunks of source's selected version;
  // no payload is copied.
  Result<ObjectInfo> Clone(const std::string& source, const VersionSelector& which,
                           const std::string& dest);
  // Makes a new version of `dest` whose bytes are the parts' bytes in order, referencing
  // their chunks: no payload is read or copied (S3 CompleteMultipartUpload). etag is
  // recorded as given.
  Result<ObjectInfo> Compose(const std::string& dest, const std::vector<ComposePart>& parts,
                             const PutOptions& options, const std::string& etag);
  // Makes a new version of `name`, superseding the others (VersionSlot::kSupersedes), whose bytes are those the
  // chunk manifest `root` covers (a structure that keeps its own chunks, such as a file
  // layer volume's checkpoint, so that the collector, links and repair walk it as any
  // object's tree), with the content type and user metadata given. fence: what putting
  // those chunks observed (a pass that began meanwhile refuses, and the tree is touched
  // again); condition: checked atomically with the commit, as Put's. Errors as Put's.
  Result<ObjectInfo> PutTree(const std::string& name, const ChunkRef& root, const std::string& content_type,
                             const std::map<std::string, std::string>& user_metadata, WriteFence* fence,
                             const WriteCondition& condition = {});
  // Adds a delete marker as the newest version (S3 DELETE in a versioned bucket).
  Result<ObjectInfo> PutDeleteMarker(const std::string& name, const WriteCondition& condition = {},
                                     VersionSlot slot = VersionSlot::kAdded);

  // Merges another segment's version list of an object into this one's (an Inter-Segment
  // Gateway link receiving, issue 14; VersionList::MergeRemote says how). Every version new
  // here must have its manifest and every chunk it references stored here already (the
  // link ships them first): each new manifest is read and verified (its name, generation
  // and UVID must be the entry's) and its tree is touched for the garbage collector, as a
  // clone's. Returns whether the list changed. kNotFound when a chunk is missing (ship it,
  // then merge again), kCorruption for a manifest that does not match its entry (name,
  // generation, UVID, size, ETag, delete marker), kInvalidArgument for a bad name.
  // *refused (when given) gets each version options.accept refused (left out), and each
  // version under Object Lock here that the other site deleted (kLocked: it stays active
  // here, and the rest of the list merges).
  using VersionCheck = RemoteMergeOptions::VersionCheck;
  using MergeOptions = RemoteMergeOptions;
  struct RefusedVersion {
    Chid vm_chid;
    Status why;
  };
  Result<bool> MergeRemote(const VersionList& remote, const MergeOptions& options = {},
                           std::vector<RefusedVersion>* refused = nullptr);

  Backend& backend() { return *backend_; }
  // The API's clock (ApiOptions::clock, else the host's), in wall-clock nanoseconds: what
  // version timestamps, the trlog's seconds and retention read, and so what a link
  // reading the trlog must read too.
  uint64_t Now() const;
  // options().default_policy has its replication count resolved (never 0).
  const ApiOptions& options() const { return options_; }
  // How long a deleted version of `name` stays restorable. Internal buckets (a name
  // starting with '.', such as a tenant's .uploads of multipart parts) keep none.
  uint64_t RetentionOf(const std::string& name) const;

  // The garbage collector's barrier: starts a new write epoch and waits until every
  // operation that began in an earlier one has ended (committed or failed), so that
  // whatever it referenced is in a version list before the collector scans them.
  // kBusy (nothing changes) if they have not ended within timeout_ns.
  Status DrainEarlierWrites(uint64_t timeout_ns);

  // An operation that may commit a version referencing chunks (put, compose, clone,
  // delete marker) holds one for its whole run, in the write epoch it began in: a
  // garbage collection pass waits for those begun before its pin window (gc/collector.h),
  // so what they put stays until their version is committed. Public for writes that span
  // calls: the file layer holds one from a volume's first change to its checkpoint.
  class WriteScope {
   public:
    explicit WriteScope(ObjectApi* api);
    ~WriteScope();
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;

   private:
    ObjectApi* api_;
    uint64_t epoch_;
  };

 private:
  // The manifest of the version `which` names; *entry (when given) gets its version list
  // entry: the VM's CHID, and whether and how it is erasure coded (a read needs ec_chid).
  Result<VersionManifest> LoadManifest(const std::string& name, const VersionSelector& which,
                                       VersionEntry* entry = nullptr);
  // The policy with a replication count of 0 replaced by the backend's default.
  ObjectPolicy Resolve(ObjectPolicy policy) const;
  // Writes vm for the next generation of its name, retrying when a concurrent writer
  // took the generation first.
  // fence: what the write's chunk puts and touches observed (the version manifest's put
  // adds to it); a kFenced refusal touches the tree again once and retries.
  // chunks_durable, when given, is called after the version manifest is stored and before
  // the version list is updated, and must return OK only once every chunk the version
  // references is durable (a put still storing its chunk meanwhile waits there).
  Result<ObjectInfo> CommitVersion(VersionManifest vm, WriteFence* fence, uint64_t* manifests_written,
                                   VersionSlot slot = VersionSlot::kAdded,
                                   const std::function<Status()>& chunks_durable = {},
                                   const WriteCondition& condition = {}, const ObjectLock& lock = {},
                                   StorageClass storage_class = StorageClass::kDefault);
  // MergeRemote once every new version of `remote` is checked and its tree touched under
  // *fence; local is the list as read before (null: none).
  Result<bool> MergeVetted(const VersionList& remote, const VersionList* local, WriteFence* fence,
                           std::vector<RefusedVersion>* refused);
  Uvid NextUvid();
  // Records that `full_name` changes (or changed) in its bucket's trlog when
  // options_.trlog_records names the bucket; durable on return. Concurrent callers share
  // one flush (client/trlog.cc). Internal buckets (a name starting with '.') never record.
  Status RecordChange(const std::string& full_name);
  // Deletes, undeletes, snapshots and Object Lock changes: mutation of an existing
  // object's list, recorded first unless `record` is false (what each segment keeps for
  // itself and a link does not ship: Object Lock, storage class).
  Status MutateList(const std::string& name, const std::function<Status(VersionList*)>& fn, bool record = true);

  std::shared_ptr<Backend> backend_;
  ApiOptions options_;
  std::atomic<uint32_t> sequence_{0};
  std::mutex writes_mu_;
  std::condition_variable writes_cv_;
  uint64_t write_epoch_ = 0;
  std::map<uint64_t, uint64_t> writes_in_flight_;  // epoch -> operations under way
  // The trlog's group commit: changes wait in the open batch; one writer at a time flushes.
  struct TrlogBatch;
  std::mutex trlog_mu_;
  std::condition_variable trlog_cv_;
  std::shared_ptr<TrlogBatch> trlog_open_;
  bool trlog_flushing_ = false;
};

ObjectInfo InfoFromManifest(const VersionManifest& vm, const Chid& vm_chid);
uint64_t NowNs();

}  // namespace ccow
