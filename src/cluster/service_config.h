// The settings of a service of the registry: for an Inter-Segment Gateway link (issue 14,
// docs/OPERATIONS.md "Inter-segment links") where it ships to, which way, what it ships
// and how often. Set one at a time by `ccow service config NAME KEY VALUE` as a
// read-modify-write of the service's record that names the revision it read, so that two
// operators changing different settings at once never lose one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ccow {

class Registry;
struct BucketRecord;

struct ServiceConfig {
  // Bits of `direction` and `replication`; both default to every bit.
  static constexpr uint8_t kSend = 1, kReceive = 2;
  static constexpr uint8_t kInitial = 1, kContinuous = 2;
  enum class MetadataOnly : uint8_t { kOff = 0, kVersions = 1, kAll = 2 };

  std::string remote;  // "ccow://HOST:PORT", "file://DIR" or "s3://ENDPOINT/BUCKET"; "": not set
  uint8_t direction = kSend | kReceive;
  uint8_t replication = kInitial | kContinuous;
  MetadataOnly metadata_only = MetadataOnly::kOff;
  uint64_t chunk_cache_bytes = 0;  // a metadata-only site's cache of fetched chunks; 0: none
  uint64_t batch_interval_ns = 10'000'000'000ull;
  // Format 8: the sites whose versions this end accepts, by site id (32-byte ed25519
  // public keys, model/version_signature.h). Empty: versions are taken unverified (a lab);
  // otherwise every version received must be signed by the trusted key of the site that
  // wrote it, and one that is not is refused and reported.
  std::map<uint32_t, std::string> trusted_keys;

  // kInvalidArgument naming the setting that is out of range.
  Status Validate() const;
  friend bool operator==(const ServiceConfig&, const ServiceConfig&) = default;
};

// The settings' names, in the order `service show` prints them.
const std::vector<std::string>& ServiceSettingNames();
// Sets one setting from its text as an operator writes it:
//   remote            ccow://HOST:PORT | file:///DIR | s3://HOST[:PORT]/BUCKET
//   direction         send | receive | send+receive
//   replication       initial | continuous | initial+continuous
//   metadata-only     off | versions | all
//   chunk-cache-size  a size (64M, 1G; 0 for none)
//   batch-interval    a duration from 100ms to 1h (500ms, 10s)
//   trusted-keys      SSSSSSSS:KEY[,SSSSSSSS:KEY...] (the other sites' `service show`), or none
// kInvalidArgument naming the setting and its accepted values; nothing changes then.
Status ApplyServiceSetting(ServiceConfig* config, std::string_view key, std::string_view value);
// A setting's value as ApplyServiceSetting reads it back ("" for an unknown key).
std::string ServiceSettingText(const ServiceConfig& config, std::string_view key);

// Sets `key` of service `name` to `value` through the registry of record: reads the
// service, applies the setting (the errors above) and proposes command::ConfigureService
// with the revision it read; when someone changed the service meanwhile (kConflict), reads
// again and retries, a few times. kNotFound when there is no such service.
Status ChangeServiceSetting(Registry& registry, const std::string& name, const std::string& key,
                            const std::string& value);

// A bucket as a linked segment creates it from another's record (an ISGW link offering a
// bucket the receiving segment lacks): what S3 clients see of it everywhere (versioning,
// Object Lock, chunking, tags, access, encryption, CORS, lifecycle, quota, location), with
// the receiving tenant's policy for what each segment decides for itself (replication
// count, erasure code and retention: 0 or empty, the tenant's) and no access logging
// (its target bucket is the sender's).
BucketRecord LinkedBucketRecord(const BucketRecord& origin);

// The segment's site id (ClusterState::site_id), proposing a random one (command::InitSite)
// when it has none: whoever proposes first wins and every other proposer reads it. A
// segment needs one once it links with another (ObjectApi writes it into every UVID).
// The segment's signing key (command::InitSiteKey, format 8) is made with it, the same way.
// Errors: the registry's (kUnavailable when it cannot commit).
Result<uint32_t> EnsureSiteId(Registry& registry);

}  // namespace ccow
