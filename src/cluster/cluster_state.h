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
#include <variant>
#include <vector>

#include "core/hash.h"
#include "core/status.h"
#include "flexhash/flexhash.h"
#include "model/object_policy.h"

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

struct BucketPolicy {
  uint32_t chunk_size = 1 << 20;
  ChunkingMode chunking = ChunkingMode::kFixed;
  HashAlgo hash = HashAlgo::kSha256;
  std::string erasure_code;  // "" (replication only) or "K:M:rs", e.g. "4:2:rs"
  bool versioning = false;
  uint64_t quota_bytes = 0;  // 0: none
  Status Validate() const;
  friend bool operator==(const BucketPolicy&, const BucketPolicy&) = default;
};

struct TenantRecord {
  uint32_t replication_count = 0;  // 0: the cluster default
  std::map<std::string, BucketPolicy> buckets;
  friend bool operator==(const TenantRecord&, const TenantRecord&) = default;
};

struct SegmentRecord {
  std::map<std::string, TenantRecord> tenants;
  friend bool operator==(const SegmentRecord&, const SegmentRecord&) = default;
};

struct ServiceRecord {
  std::string type;                // "isgw", ...
  std::vector<std::string> serves;  // SEGMENT/TENANT/BUCKET paths, sorted
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
struct CreateTenant { std::string segment, tenant; uint32_t replication_count = 0; };
struct DeleteTenant { std::string segment, tenant; };
struct CreateBucket { std::string segment, tenant, bucket; BucketPolicy policy; };
struct DeleteBucket { std::string segment, tenant, bucket; };
struct CreateService { std::string name, type; };
struct ServiceServe { std::string name, path; };
struct DeleteService { std::string name; };
}  // namespace command

using ClusterCommand =
    std::variant<command::AddTarget, command::SetTargetState, command::RemoveTarget,
                 command::PublishFlexHash, command::CreateSegment, command::DeleteSegment,
                 command::CreateTenant, command::DeleteTenant, command::CreateBucket,
                 command::DeleteBucket, command::CreateService, command::ServiceServe,
                 command::DeleteService>;

std::string EncodeCommand(const ClusterCommand& command);
Result<ClusterCommand> DecodeCommand(std::string_view bytes);

class ClusterState {
 public:
  static constexpr uint8_t kFormatVersion = 1;

  // Applies one command; on error nothing changes.
  Status Apply(const ClusterCommand& command);

  const std::map<std::string, TargetRecord>& targets() const { return targets_; }
  const std::map<std::string, SegmentRecord>& segments() const { return segments_; }
  const std::map<std::string, ServiceRecord>& services() const { return services_; }
  uint64_t flexhash_generation() const { return flexhash_generation_; }
  const std::string& flexhash_json() const { return flexhash_json_; }
  uint64_t commands_applied() const { return commands_applied_; }

  // Lookups the CLI and gateways need, with errors a user can act on.
  Result<const TenantRecord*> FindTenant(const std::string& segment, const std::string& tenant) const;
  Result<const BucketPolicy*> FindBucket(const std::string& segment, const std::string& tenant,
                                         const std::string& bucket) const;

  // Canonical encoding of the whole state (Raft snapshots) and its inverse.
  std::string Snapshot() const;
  static Result<ClusterState> Restore(std::string_view bytes);

  friend bool operator==(const ClusterState&, const ClusterState&) = default;

 private:
  std::map<std::string, TargetRecord> targets_;
  std::map<std::string, SegmentRecord> segments_;
  std::map<std::string, ServiceRecord> services_;
  uint64_t flexhash_generation_ = 0;
  std::string flexhash_json_;
  uint64_t commands_applied_ = 0;  // successful ones
};

}  // namespace ccow
