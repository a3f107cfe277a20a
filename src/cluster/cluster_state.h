// The cluster state that Raft replicates (issue 5, DESIGN.md §2 "cluster state"):
// membership (targets with their VDEVs, failure domains and state), the FlexHash
// generation in force, the namespace registry (segments, called "clusters" in the efscli
// grammar, tenants with overrides such as the replication count, buckets with their
// policy) and service definitions (later used by ISGW links).
//
// It changes only through commands. Apply() is deterministic: every replica that applies
// the same commands in the same order holds the same state, and Snapshot() encodes that
// state canonically (the same state always yields the same bytes). A command that is not
// valid (a name that exists, one that does not, an invalid policy, a generation that
// does not advance) fails with a Status and changes nothing, on every replica alike.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/hash.h"
#include "cluster/service_config.h"
#include "core/status.h"
#include "flexhash/flexhash.h"
#include "model/object_policy.h"
#include "model/version_list.h"

namespace ccow {

enum class TargetState : uint8_t { kAlive = 1, kReadOnly = 2, kDead = 3 };
const char* TargetStateName(TargetState state);

struct TargetRecord {
  std::string name;  // unique; also its server failure domain
  std::string zone;
  std::string address;  // where the target daemon answers (control and metrics)
  TargetState state = TargetState::kAlive;
  std::vector<VdevInfo> vdevs;
  friend bool operator==(const TargetRecord&, const TargetRecord&) = default;
};

// Whether a bucket keeps older versions (S3's versioning states).
enum class Versioning : uint8_t {
  kUnversioned = 0,  // never enabled: an overwrite moves the previous version to quarantine
  kEnabled = 1,
  kSuspended = 2,
};
const char* VersioningName(Versioning v);  // "", "Enabled", "Suspended" (S3's words)

// A bucket's erasure code that opts out of its tenant's: replication only, whatever the
// tenant's policy is (an empty one inherits the tenant's).
inline constexpr std::string_view kNoErasureCode = "none";

// A bucket and every setting it has: the registry of record for S3, the CLI and, later,
// the file gateways. New versions of its objects are written with its policy fields.
struct BucketRecord {
  // How new versions are cut, hashed and placed.
  uint32_t chunk_size = 1 << 20;
  ChunkingMode chunking = ChunkingMode::kFixed;
  HashAlgo hash = HashAlgo::kSha256;
  uint32_t replication_count = 0;  // 0: the tenant's, else the cluster's
  // "K:M:rs" (e.g. "4:2:rs"), "none" (kNoErasureCode: replication only) or "" (the
  // tenant's policy: ClusterState::ErasureCodeOf).
  std::string erasure_code;
  Versioning versioning = Versioning::kUnversioned;
  uint64_t quota_bytes = 0;   // 0: none
  uint64_t retention_ns = 0;  // quarantine retention of deleted versions; 0: the tenant's
  // S3 settings, kept as the client gave them (validated by the gateway).
  uint64_t created_ns = 0;
  std::string location;  // LocationConstraint at creation ("" = the default region)
  std::vector<std::pair<std::string, std::string>> tags;
  std::string cors_xml, lifecycle_xml;
  std::string access;  // access-control document (owner, ACL, policy); opaque here
  ObjectLockConfig object_lock;  // format 4
  // S3 default encryption (ServerSideEncryptionConfiguration) as the client gave it,
  // validated by the gateway; "" when none (format 5).
  std::string encryption_xml;
  // S3 server access logging (BucketLoggingStatus) as the gateway normalized it; "" when
  // off (format 5).
  std::string logging_xml;
  // Format 9: the bucket's objects are its file layer volume's files (fs/volume_objects.h):
  // S3 reads them from the volume's last checkpoint and refuses to write them. Set when
  // the bucket's volume is first opened on an empty bucket (fs/bucket_volume.h).
  bool file_volume = false;
  // Bumped by every UpdateBucket: a read-modify-write names the revision it read, so two
  // writers changing different settings at once never lose one of the changes.
  uint64_t revision = 0;

  Status Validate() const;
  friend bool operator==(const BucketRecord&, const BucketRecord&) = default;
};

// A tenant and the policy its buckets inherit where they have none of their own.
struct TenantRecord {
  uint32_t replication_count = 0;  // 0: the cluster default
  uint64_t retention_ns = 0;       // 0: the default (7 days)
  std::string erasure_code;        // "" (replication only) or "K:M:rs"
  // Bumped by every UpdateTenant (a compare-and-set, as BucketRecord's revision).
  uint64_t revision = 0;
  std::map<std::string, BucketRecord> buckets;

  // The settings (the buckets are not judged here).
  Status Validate() const;
  friend bool operator==(const TenantRecord&, const TenantRecord&) = default;
};

struct SegmentRecord {
  std::map<std::string, TenantRecord> tenants;
  friend bool operator==(const SegmentRecord&, const SegmentRecord&) = default;
};

// An S3 key pair. SigV4 needs the secret itself to check a signature, so it is kept as
// given (the Raft log and snapshots are as private as the data directory).
struct UserRecord {
  std::string access_key;  // 3..128 of A-Z a-z 0-9 + = _ - . (no '/')
  std::string secret_key;
  std::string segment, tenant;  // the tenant whose buckets the key reaches
  uint64_t created_ns = 0;
  friend bool operator==(const UserRecord&, const UserRecord&) = default;
};

struct ServiceRecord {
  std::string type;                // "isgw", ...
  std::vector<std::string> serves;  // SEGMENT/TENANT/BUCKET paths, sorted
  ServiceConfig config;             // format 6 (older formats: the defaults)
  uint64_t revision = 0;            // format 6: ConfigureService commands applied
  friend bool operator==(const ServiceRecord&, const ServiceRecord&) = default;
};

// Commands, one struct each; encoded as a kind byte then the fields (docs/FORMAT.md).
namespace command {
struct AddTarget { TargetRecord target; };
struct SetTargetState { std::string name; TargetState state; };
struct RemoveTarget { std::string name; };
struct PublishFlexHash { uint64_t generation; std::string checkpoint_json; };
struct CreateSegment { std::string segment; };
struct DeleteSegment { std::string segment; };
struct CreateTenant {
  std::string segment, tenant;
  uint32_t replication_count = 0;
  uint64_t retention_ns = 0;     // format 3
  std::string erasure_code = {};  // format 3
};
struct DeleteTenant { std::string segment, tenant; };
// create_parents: the segment and tenant are made too when missing (S3 CreateBucket of a
// tenant that has no record yet), in the same command. unique_in_segment (format 4): refused
// (kAlreadyExists) when any tenant of the segment has a bucket of that name, so S3 bucket
// names are global per segment as in AWS, decided by the one log order.
struct CreateBucket {
  std::string segment, tenant, bucket;
  BucketRecord record;
  bool create_parents = false;
  bool unique_in_segment = false;
};
struct DeleteBucket { std::string segment, tenant, bucket; };
struct CreateService { std::string name, type; };
struct ServiceServe { std::string name, path; };
struct DeleteService { std::string name; };
// Replaces a service's settings if its revision is still if_revision (kConflict
// otherwise: read again and retry); the service gets revision if_revision + 1 (format 6).
struct ConfigureService { std::string name; ServiceConfig config; uint64_t if_revision = 0; };
// The service stops serving a bucket (format 6).
struct ServiceUnserve { std::string name, path; };
// Format 7: the segment's site id, drawn at random (non-zero) by whoever proposes it first;
// set once (kAlreadyExists after). It goes into every UVID written here, so that the
// versions two linked segments write concurrently differ (ObjectApi, S3 version ids).
struct InitSite { uint32_t site_id = 0; };
// Format 8: the seed (32 random bytes) of the segment's ed25519 signing key pair
// (model/version_signature.h), drawn by the proposer; set once (kAlreadyExists after).
// Versions the segment writes are signed with it so that linked sites can verify them.
struct InitSiteKey { std::string seed; };
// Replaces a bucket's settings if its revision is still if_revision (kConflict otherwise:
// read again and retry). The stored record gets revision if_revision + 1.
struct UpdateBucket { std::string segment, tenant, bucket; BucketRecord record; uint64_t if_revision = 0; };
// Adds a key pair; its segment and tenant are created when missing.
struct CreateUser { UserRecord user; };
struct DeleteUser { std::string access_key; };
// Replaces a tenant's settings (not its buckets) if its revision is still if_revision
// (kConflict otherwise: read again and retry); the tenant gets revision if_revision + 1.
struct UpdateTenant {
  std::string segment, tenant;
  uint32_t replication_count = 0;
  uint64_t retention_ns = 0;
  std::string erasure_code = {};
  uint64_t if_revision = 0;
};
// Adds a master key to the key ring that wraps server-side encryption's data keys
// (format 5). The proposer draws the 32 random bytes, so every replica applies the same
// key; id must be one more than the newest (1 for the first), so of two gateways racing
// to make the first key one wins and the other, refused with kAlreadyExists, reads it.
// Keys are never removed: versions sealed under an old key stay readable.
struct AddMasterKey {
  uint32_t id = 0;
  std::string key;
};
}  // namespace command

using ClusterCommand =
    std::variant<command::AddTarget, command::SetTargetState, command::RemoveTarget,
                 command::PublishFlexHash, command::CreateSegment, command::DeleteSegment,
                 command::CreateTenant, command::DeleteTenant, command::CreateBucket,
                 command::DeleteBucket, command::CreateService, command::ServiceServe,
                 command::DeleteService, command::UpdateBucket, command::CreateUser,
                 command::DeleteUser, command::UpdateTenant, command::AddMasterKey,
                 command::ConfigureService, command::ServiceUnserve, command::InitSite,
                 command::InitSiteKey>;

// The format of commands and snapshots written now (docs/FORMAT.md "Cluster state").
inline constexpr uint8_t kClusterStateFormat = 9;

// The encoding of a command in the current format, or in an older one the decoder still
// reads, as it was: version 1 has no users, no UpdateBucket and fewer bucket settings;
// version 2 has no UpdateTenant, and its CreateTenant carries the replication count only.
std::string EncodeCommand(const ClusterCommand& command, uint8_t version = kClusterStateFormat);
// Reads formats 1 to 9; *version tells which it was.
Result<ClusterCommand> DecodeCommand(std::string_view bytes, uint8_t* version = nullptr);

class ClusterState {
 public:
  static constexpr uint8_t kFormatVersion = kClusterStateFormat;

  // Applies one command; on error nothing changes.
  Status Apply(const ClusterCommand& command);

  const std::map<std::string, TargetRecord>& targets() const { return targets_; }
  const std::map<std::string, SegmentRecord>& segments() const { return segments_; }
  const std::map<std::string, ServiceRecord>& services() const { return services_; }
  const std::map<std::string, UserRecord, std::less<>>& users() const { return users_; }
  // The master keys of server-side encryption by id (the newest wraps new data keys).
  // As private as the users' secrets: never shown by the JSON view or the admin API.
  const std::map<uint32_t, std::string>& master_keys() const { return master_keys_; }
  uint32_t site_id() const { return site_id_; }  // 0: none yet (InitSite)
  // The seed of the segment's signing key (InitSiteKey), or empty. As private as the
  // master keys: the JSON view and the admin API show only its public key.
  const std::string& site_key_seed() const { return site_key_seed_; }
  uint64_t flexhash_generation() const { return flexhash_generation_; }
  const std::string& flexhash_json() const { return flexhash_json_; }
  // Successful commands applied: the same on every replica at the same point of the log,
  // so it names a version of the state (watchers wait for a newer one).
  uint64_t commands_applied() const { return commands_applied_; }

  // Lookups the CLI and gateways need, with errors a user can act on.
  Result<const TenantRecord*> FindTenant(const std::string& segment, const std::string& tenant) const;
  Result<const BucketRecord*> FindBucket(const std::string& segment, const std::string& tenant,
                                         const std::string& bucket) const;
  const UserRecord* FindUser(std::string_view access_key) const;
  // The quarantine retention of "SEGMENT/TENANT/BUCKET": the bucket's, else its tenant's,
  // else 0 (the node's default applies).
  uint64_t QuarantineRetentionOf(const std::string& bucket_path) const;
  // The erasure-code policy in force for a bucket ("SEGMENT/TENANT/BUCKET"), "K:M:rs": the
  // bucket's, else (its own empty) its tenant's; "" when the bucket opted out ("none"),
  // neither has one, or the bucket's tenant does not exist. A bucket without a record
  // (one node) gets its tenant's; a tenant's internal buckets (a name starting with '.':
  // .uploads, .trlog, .isgw, .fs) get "": their versions are short-lived, or, a file
  // layer volume's, read chunk by chunk by CHID without the stripe set that rebuilds one.
  std::string ErasureCodeOf(const std::string& bucket_path) const;
  // The replication count of a bucket's new versions: the bucket's, else its tenant's,
  // else 0 (the cluster's default applies).
  uint32_t ReplicationCountOf(const std::string& bucket_path) const;
  // Whether changes of a bucket go to its trlog (client/trlog.h): a service serves it
  // that sends from this segment and replicates continuously.
  bool TrlogRecords(const std::string& bucket_path) const;

  // Canonical encoding of the whole state (Raft snapshots) and its inverse. Restore reads
  // formats 1 to 8 (*version tells which); Snapshot(v) re-encodes a state read as format v
  // to the same bytes (an older format drops the settings it cannot hold).
  std::string Snapshot(uint8_t version = kFormatVersion) const;
  static Result<ClusterState> Restore(std::string_view bytes, uint8_t* version = nullptr);

  friend bool operator==(const ClusterState&, const ClusterState&) = default;

 private:
  // The records a "SEGMENT/TENANT/BUCKET" path names (null where absent).
  struct BucketPathRecords {
    const TenantRecord* tenant = nullptr;
    const BucketRecord* bucket = nullptr;
  };
  BucketPathRecords RecordsOf(const std::string& bucket_path) const;

  std::map<std::string, TargetRecord> targets_;
  std::map<std::string, SegmentRecord> segments_;
  std::map<std::string, ServiceRecord> services_;
  std::map<std::string, UserRecord, std::less<>> users_;
  std::map<uint32_t, std::string> master_keys_;  // format 5
  uint32_t site_id_ = 0;                          // format 7
  std::string site_key_seed_;                     // format 8
  uint64_t flexhash_generation_ = 0;
  std::string flexhash_json_;
  uint64_t commands_applied_ = 0;  // successful ones
};

}  // namespace ccow
