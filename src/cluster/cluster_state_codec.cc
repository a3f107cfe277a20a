// The canonical encoding of cluster commands and state snapshots (docs/FORMAT.md,
// "Cluster state"). Format 5 added the master key ring (AddMasterKey) and a bucket's
// default encryption and access logging. Format 4 added CreateBucket's unique-in-segment flag (S3 bucket names
// global per segment); format 3 added the tenant's policy (retention and erasure code in
// CreateTenant, UpdateTenant, a tenant's erasure code and revision in snapshots); format 2
// added users, UpdateBucket and the full bucket record. Formats 1 to 3 are still read, so
// a Raft log written by an older release replays, and re-encoded byte for byte when asked
// for their version.
#include "cluster/cluster_state.h"

#include "core/check.h"
#include "model/encoding.h"

namespace ccow {
namespace {

using namespace command;

constexpr uint8_t kCommandRecord = 0x10;
constexpr uint8_t kStateRecord = 0x11;
// Commands that format 1 knows (the variant's first 13 alternatives), format 2 (16),
// formats 3 and 4 (17), format 5 (18), format 6 (20), format 7 (21).
constexpr size_t kFormat1Commands = 13;
constexpr size_t kFormat2Commands = 16;
constexpr size_t kFormat4Commands = 17;
constexpr size_t kFormat5Commands = 18;
constexpr size_t kFormat6Commands = 20;
constexpr size_t kFormat7Commands = 21;
size_t CommandsOfFormat(uint8_t version) {
  return version == 1   ? kFormat1Commands
         : version == 2 ? kFormat2Commands
         : version <= 4 ? kFormat4Commands
         : version == 5 ? kFormat5Commands
         : version == 6 ? kFormat6Commands
         : version == 7 ? kFormat7Commands
                        : std::variant_size_v<ClusterCommand>;
}

// A service's settings (format 6): remote, direction and replication bits, metadata-only,
// chunk cache bytes, batch interval; format 8 the trusted site keys (count, then u32 site
// id and 32-byte key in site order).
void PutServiceConfig(Encoder& e, const ServiceConfig& c, uint8_t version) {
  e.PutBytes(c.remote);
  e.PutU8(c.direction);
  e.PutU8(c.replication);
  e.PutU8(static_cast<uint8_t>(c.metadata_only));
  e.PutVarint(c.chunk_cache_bytes);
  e.PutVarint(c.batch_interval_ns);
  if (version >= 8) {
    e.PutVarint(c.trusted_keys.size());
    for (const auto& [site, key] : c.trusted_keys) {
      e.PutU32(site);
      e.PutBytes(key);
    }
  }
}
ServiceConfig GetServiceConfig(Decoder& d, uint8_t version) {
  ServiceConfig c;
  c.remote = d.GetBytes();
  c.direction = d.GetU8();
  c.replication = d.GetU8();
  const uint8_t m = d.GetU8();
  if (m > static_cast<uint8_t>(ServiceConfig::MetadataOnly::kAll)) d.Fail("unknown metadata-only mode");
  c.metadata_only = static_cast<ServiceConfig::MetadataOnly>(m);
  c.chunk_cache_bytes = d.GetVarint();
  c.batch_interval_ns = d.GetVarint();
  if (version >= 8) {
    const uint64_t n = d.GetCount(5);
    for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
      const uint32_t site = d.GetU32();
      std::string key = d.GetBytes();
      if (!d.status().ok()) break;
      if (site == 0 || key.size() != 32) d.Fail("a trusted site key of site 0 or not 32 bytes");
      if (!c.trusted_keys.empty() && c.trusted_keys.rbegin()->first >= site) d.Fail("trusted site keys out of order");
      c.trusted_keys.emplace(site, std::move(key));
    }
  }
  return c;
}

void PutVdev(Encoder& e, const VdevInfo& v) {
  e.PutBytes(v.id);
  e.PutBytes(v.server);
  e.PutBytes(v.zone);
  e.PutVarint(v.capacity_bytes);
  e.PutVarint(v.used_bytes);
  e.PutBytes(v.address);
}
VdevInfo GetVdev(Decoder& d) {
  VdevInfo v;
  v.id = d.GetBytes();
  v.server = d.GetBytes();
  v.zone = d.GetBytes();
  v.capacity_bytes = d.GetVarint();
  v.used_bytes = d.GetVarint();
  v.address = d.GetBytes();
  return v;
}
TargetState GetState(Decoder& d) {
  uint8_t s = d.GetU8();
  if (s < 1 || s > 3) d.Fail("unknown target state");
  return static_cast<TargetState>(s < 1 || s > 3 ? 1 : s);
}
void PutTarget(Encoder& e, const TargetRecord& t) {
  e.PutBytes(t.name);
  e.PutBytes(t.zone);
  e.PutBytes(t.address);
  e.PutU8(static_cast<uint8_t>(t.state));
  e.PutVarint(t.vdevs.size());
  for (const auto& v : t.vdevs) PutVdev(e, v);
}
TargetRecord GetTarget(Decoder& d) {
  TargetRecord t;
  t.name = d.GetBytes();
  t.zone = d.GetBytes();
  t.address = d.GetBytes();
  t.state = GetState(d);
  uint64_t n = d.GetCount(6);
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) t.vdevs.push_back(GetVdev(d));
  return t;
}
uint32_t GetU32Varint(Decoder& d, const char* what) {
  uint64_t v = d.GetVarint();
  if (v > UINT32_MAX) d.Fail(std::string(what) + " out of range");
  return static_cast<uint32_t>(v);
}
bool GetFlag(Decoder& d, const char* what) {
  uint8_t v = d.GetU8();
  if (v > 1) d.Fail(std::string("bad ") + what + " flag");
  return v == 1;
}

// Format 1 had the policy fields only, with versioning as a flag; formats 2 and 3 are alike.
void PutBucket(Encoder& e, const BucketRecord& b, uint8_t version) {
  e.PutVarint(b.chunk_size);
  e.PutU8(static_cast<uint8_t>(b.chunking));
  e.PutU8(static_cast<uint8_t>(b.hash));
  e.PutBytes(b.erasure_code);
  if (version == 1) {
    e.PutU8(b.versioning == Versioning::kEnabled ? 1 : 0);
    e.PutVarint(b.quota_bytes);
    return;
  }
  e.PutU8(static_cast<uint8_t>(b.versioning));
  e.PutVarint(b.quota_bytes);
  e.PutVarint(b.replication_count);
  e.PutVarint(b.retention_ns);
  e.PutVarint(b.created_ns);
  e.PutBytes(b.location);
  e.PutVarint(b.tags.size());
  for (const auto& [k, v] : b.tags) {
    e.PutBytes(k);
    e.PutBytes(v);
  }
  e.PutBytes(b.cors_xml);
  e.PutBytes(b.lifecycle_xml);
  e.PutBytes(b.access);
  e.PutVarint(b.revision);
  if (version >= 4) {
    e.PutU8(b.object_lock.enabled ? 1 : 0);
    e.PutU8(b.object_lock.default_mode);
    e.PutVarint(b.object_lock.default_days);
    e.PutVarint(b.object_lock.default_years);
  }
  if (version >= 5) {
    e.PutBytes(b.encryption_xml);
    e.PutBytes(b.logging_xml);
  }
  if (version >= 9) e.PutU8(b.file_volume ? 1 : 0);
}
BucketRecord GetBucket(Decoder& d, uint8_t version) {
  BucketRecord b;
  b.chunk_size = GetU32Varint(d, "chunk size");
  uint8_t mode = d.GetU8();
  if (mode > 1) d.Fail("unknown chunking mode");
  b.chunking = static_cast<ChunkingMode>(mode > 1 ? 0 : mode);
  uint8_t hash = d.GetU8();
  if (!IsKnownHashAlgo(hash)) d.Fail("unknown hash algorithm");
  b.hash = static_cast<HashAlgo>(hash);
  b.erasure_code = d.GetBytes();
  uint8_t v = d.GetU8();
  if (v > (version == 1 ? 1 : 2)) d.Fail("bad versioning state");
  b.versioning = static_cast<Versioning>(v > 2 ? 0 : v);
  b.quota_bytes = d.GetVarint();
  if (version == 1) return b;
  b.replication_count = GetU32Varint(d, "replication count");
  b.retention_ns = d.GetVarint();
  b.created_ns = d.GetVarint();
  b.location = d.GetBytes();
  uint64_t n = d.GetCount(2);
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    std::string k = d.GetBytes();
    b.tags.emplace_back(std::move(k), d.GetBytes());
  }
  b.cors_xml = d.GetBytes();
  b.lifecycle_xml = d.GetBytes();
  b.access = d.GetBytes();
  b.revision = d.GetVarint();
  if (version >= 4) {
    b.object_lock.enabled = GetFlag(d, "object lock");
    b.object_lock.default_mode = d.GetU8();
    if (b.object_lock.default_mode > 2) d.Fail("unknown object lock mode");
    b.object_lock.default_days = GetU32Varint(d, "object lock days");
    b.object_lock.default_years = GetU32Varint(d, "object lock years");
  }
  if (version >= 5) {
    b.encryption_xml = d.GetBytes();
    b.logging_xml = d.GetBytes();
  }
  if (version >= 9) b.file_volume = GetFlag(d, "file volume");
  return b;
}
void PutUser(Encoder& e, const UserRecord& u) {
  e.PutBytes(u.access_key);
  e.PutBytes(u.secret_key);
  e.PutBytes(u.segment);
  e.PutBytes(u.tenant);
  e.PutVarint(u.created_ns);
}
UserRecord GetUser(Decoder& d) {
  UserRecord u;
  u.access_key = d.GetBytes();
  u.secret_key = d.GetBytes();
  u.segment = d.GetBytes();
  u.tenant = d.GetBytes();
  u.created_ns = d.GetVarint();
  return u;
}

// One Put/Get pair per command; the kind byte is the variant index + 1.
void Put(Encoder& e, const AddTarget& c, uint8_t) { PutTarget(e, c.target); }
void Get(Decoder& d, AddTarget& c, uint8_t) { c.target = GetTarget(d); }
void Put(Encoder& e, const SetTargetState& c, uint8_t) {
  e.PutBytes(c.name);
  e.PutU8(static_cast<uint8_t>(c.state));
}
void Get(Decoder& d, SetTargetState& c, uint8_t) {
  c.name = d.GetBytes();
  c.state = GetState(d);
}
void Put(Encoder& e, const RemoveTarget& c, uint8_t) { e.PutBytes(c.name); }
void Get(Decoder& d, RemoveTarget& c, uint8_t) { c.name = d.GetBytes(); }
void Put(Encoder& e, const PublishFlexHash& c, uint8_t) {
  e.PutVarint(c.generation);
  e.PutBytes(c.checkpoint_json);
}
void Get(Decoder& d, PublishFlexHash& c, uint8_t) {
  c.generation = d.GetVarint();
  c.checkpoint_json = d.GetBytes();
}
void Put(Encoder& e, const CreateSegment& c, uint8_t) { e.PutBytes(c.segment); }
void Get(Decoder& d, CreateSegment& c, uint8_t) { c.segment = d.GetBytes(); }
void Put(Encoder& e, const DeleteSegment& c, uint8_t) { e.PutBytes(c.segment); }
void Get(Decoder& d, DeleteSegment& c, uint8_t) { c.segment = d.GetBytes(); }
void Put(Encoder& e, const CreateTenant& c, uint8_t version) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
  e.PutVarint(c.replication_count);
  if (version < 3) return;
  e.PutVarint(c.retention_ns);
  e.PutBytes(c.erasure_code);
}
void Get(Decoder& d, CreateTenant& c, uint8_t version) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
  c.replication_count = GetU32Varint(d, "replication count");
  if (version < 3) return;
  c.retention_ns = d.GetVarint();
  c.erasure_code = d.GetBytes();
}
void Put(Encoder& e, const DeleteTenant& c, uint8_t) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
}
void Get(Decoder& d, DeleteTenant& c, uint8_t) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
}
void Put(Encoder& e, const CreateBucket& c, uint8_t version) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
  e.PutBytes(c.bucket);
  PutBucket(e, c.record, version);
  if (version >= 2) e.PutU8(c.create_parents ? 1 : 0);
  if (version >= 4) e.PutU8(c.unique_in_segment ? 1 : 0);
}
void Get(Decoder& d, CreateBucket& c, uint8_t version) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
  c.bucket = d.GetBytes();
  c.record = GetBucket(d, version);
  if (version >= 2) c.create_parents = GetFlag(d, "create-parents");
  if (version >= 4) c.unique_in_segment = GetFlag(d, "unique-in-segment");
}
void Put(Encoder& e, const DeleteBucket& c, uint8_t) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
  e.PutBytes(c.bucket);
}
void Get(Decoder& d, DeleteBucket& c, uint8_t) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
  c.bucket = d.GetBytes();
}
void Put(Encoder& e, const CreateService& c, uint8_t) {
  e.PutBytes(c.name);
  e.PutBytes(c.type);
}
void Get(Decoder& d, CreateService& c, uint8_t) {
  c.name = d.GetBytes();
  c.type = d.GetBytes();
}
void Put(Encoder& e, const ServiceServe& c, uint8_t) {
  e.PutBytes(c.name);
  e.PutBytes(c.path);
}
void Get(Decoder& d, ServiceServe& c, uint8_t) {
  c.name = d.GetBytes();
  c.path = d.GetBytes();
}
void Put(Encoder& e, const DeleteService& c, uint8_t) { e.PutBytes(c.name); }
void Get(Decoder& d, DeleteService& c, uint8_t) { c.name = d.GetBytes(); }
void Put(Encoder& e, const ConfigureService& c, uint8_t version) {
  e.PutBytes(c.name);
  PutServiceConfig(e, c.config, version);
  e.PutVarint(c.if_revision);
}
void Get(Decoder& d, ConfigureService& c, uint8_t version) {
  c.name = d.GetBytes();
  c.config = GetServiceConfig(d, version);
  c.if_revision = d.GetVarint();
}
void Put(Encoder& e, const ServiceUnserve& c, uint8_t) {
  e.PutBytes(c.name);
  e.PutBytes(c.path);
}
void Get(Decoder& d, ServiceUnserve& c, uint8_t) {
  c.name = d.GetBytes();
  c.path = d.GetBytes();
}
void Put(Encoder& e, const InitSite& c, uint8_t) { e.PutU32(c.site_id); }
void Get(Decoder& d, InitSite& c, uint8_t) { c.site_id = d.GetU32(); }
void Put(Encoder& e, const InitSiteKey& c, uint8_t) { e.PutBytes(c.seed); }
void Get(Decoder& d, InitSiteKey& c, uint8_t) { c.seed = d.GetBytes(); }
void Put(Encoder& e, const UpdateBucket& c, uint8_t version) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
  e.PutBytes(c.bucket);
  PutBucket(e, c.record, version);
  e.PutVarint(c.if_revision);
}
void Get(Decoder& d, UpdateBucket& c, uint8_t version) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
  c.bucket = d.GetBytes();
  c.record = GetBucket(d, version);
  c.if_revision = d.GetVarint();
}
void Put(Encoder& e, const CreateUser& c, uint8_t) { PutUser(e, c.user); }
void Get(Decoder& d, CreateUser& c, uint8_t) { c.user = GetUser(d); }
void Put(Encoder& e, const DeleteUser& c, uint8_t) { e.PutBytes(c.access_key); }
void Get(Decoder& d, DeleteUser& c, uint8_t) { c.access_key = d.GetBytes(); }
void Put(Encoder& e, const UpdateTenant& c, uint8_t) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
  e.PutVarint(c.replication_count);
  e.PutVarint(c.retention_ns);
  e.PutBytes(c.erasure_code);
  e.PutVarint(c.if_revision);
}
void Get(Decoder& d, UpdateTenant& c, uint8_t) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
  c.replication_count = GetU32Varint(d, "replication count");
  c.retention_ns = d.GetVarint();
  c.erasure_code = d.GetBytes();
  c.if_revision = d.GetVarint();
}

void Put(Encoder& e, const AddMasterKey& c, uint8_t) {
  e.PutVarint(c.id);
  e.PutBytes(c.key);
}
void Get(Decoder& d, AddMasterKey& c, uint8_t) {
  c.id = GetU32Varint(d, "master key id");
  c.key = d.GetBytes();
}

template <size_t I = 0>
bool EmplaceByIndex(size_t index, ClusterCommand* c) {
  if constexpr (I < std::variant_size_v<ClusterCommand>) {
    if (index == I) {
      c->emplace<I>();
      return true;
    }
    return EmplaceByIndex<I + 1>(index, c);
  } else {
    return false;
  }
}

bool KnownVersion(uint8_t v) { return v >= 1 && v <= ClusterState::kFormatVersion; }

}  // namespace

std::string EncodeCommand(const ClusterCommand& command, uint8_t version) {
  CCOW_CHECK(KnownVersion(version));
  CCOW_CHECK(command.index() < CommandsOfFormat(version));
  Encoder e;
  e.PutU8(kCommandRecord);
  e.PutU8(version);
  e.PutU8(static_cast<uint8_t>(command.index() + 1));
  std::visit([&](const auto& c) { Put(e, c, version); }, command);
  return e.Take();
}

Result<ClusterCommand> DecodeCommand(std::string_view bytes, uint8_t* version_out) {
  Decoder d(bytes, "cluster command");
  uint8_t record = d.GetU8(), version = d.GetU8(), kind = d.GetU8();
  CCOW_RETURN_IF_ERROR(d.status());
  if (record != kCommandRecord) return Status::Corruption("not a cluster command");
  if (!KnownVersion(version)) return Status::Unsupported("cluster command format " + std::to_string(version));
  ClusterCommand c;
  if (kind == 0 || kind > CommandsOfFormat(version) || !EmplaceByIndex(kind - 1, &c))
    return Status::Corruption("unknown cluster command kind " + std::to_string(kind));
  std::visit([&](auto& body) { Get(d, body, version); }, c);
  CCOW_RETURN_IF_ERROR(d.Finish());
  if (version_out) *version_out = version;
  return c;
}

std::string ClusterState::Snapshot(uint8_t version) const {
  CCOW_CHECK(KnownVersion(version));
  Encoder e;
  e.PutU8(kStateRecord);
  e.PutU8(version);
  e.PutVarint(commands_applied_);
  e.PutVarint(flexhash_generation_);
  e.PutBytes(flexhash_json_);
  e.PutVarint(targets_.size());
  for (const auto& [name, t] : targets_) PutTarget(e, t);
  e.PutVarint(segments_.size());
  for (const auto& [name, seg] : segments_) {
    e.PutBytes(name);
    e.PutVarint(seg.tenants.size());
    for (const auto& [tname, ten] : seg.tenants) {
      e.PutBytes(tname);
      e.PutVarint(ten.replication_count);
      if (version >= 2) e.PutVarint(ten.retention_ns);
      if (version >= 3) {
        e.PutBytes(ten.erasure_code);
        e.PutVarint(ten.revision);
      }
      e.PutVarint(ten.buckets.size());
      for (const auto& [bname, bucket] : ten.buckets) {
        e.PutBytes(bname);
        PutBucket(e, bucket, version);
      }
    }
  }
  e.PutVarint(services_.size());
  for (const auto& [name, svc] : services_) {
    e.PutBytes(name);
    e.PutBytes(svc.type);
    e.PutVarint(svc.serves.size());
    for (const auto& p : svc.serves) e.PutBytes(p);
    if (version >= 6) {
      PutServiceConfig(e, svc.config, version);
      e.PutVarint(svc.revision);
    }
  }
  if (version >= 2) {
    e.PutVarint(users_.size());
    for (const auto& [key, u] : users_) PutUser(e, u);
  }
  if (version >= 5) {
    e.PutVarint(master_keys_.size());
    for (const auto& [id, key] : master_keys_) {
      e.PutVarint(id);
      e.PutBytes(key);
    }
  }
  if (version >= 7) e.PutU32(site_id_);
  if (version >= 8) e.PutBytes(site_key_seed_);
  return e.Take();
}

Result<ClusterState> ClusterState::Restore(std::string_view bytes, uint8_t* version_out) {
  Decoder d(bytes, "cluster state snapshot");
  uint8_t record = d.GetU8(), version = d.GetU8();
  CCOW_RETURN_IF_ERROR(d.status());
  if (record != kStateRecord) return Status::Corruption("not a cluster state snapshot");
  if (!KnownVersion(version)) return Status::Unsupported("cluster state format " + std::to_string(version));
  ClusterState s;
  s.commands_applied_ = d.GetVarint();
  s.flexhash_generation_ = d.GetVarint();
  s.flexhash_json_ = d.GetBytes();
  // Maps must come in strictly increasing key order, or the encoding would not be canonical.
  auto ordered = [&](const std::string& prev, const std::string& next, bool first) {
    if (!first && !(prev < next)) d.Fail("keys out of order");
  };
  uint64_t n = d.GetCount(7);
  std::string prev;
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    TargetRecord t = GetTarget(d);
    ordered(prev, t.name, i == 0);
    prev = t.name;
    s.targets_[t.name] = std::move(t);
  }
  n = d.GetCount(2);
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    std::string name = d.GetBytes();
    ordered(prev, name, i == 0);
    prev = name;
    SegmentRecord& seg = s.segments_[name];
    uint64_t nt = d.GetCount(3);
    std::string tprev;
    for (uint64_t j = 0; j < nt && d.status().ok(); ++j) {
      std::string tname = d.GetBytes();
      ordered(tprev, tname, j == 0);
      tprev = tname;
      TenantRecord& ten = seg.tenants[tname];
      ten.replication_count = GetU32Varint(d, "replication count");
      if (version >= 2) ten.retention_ns = d.GetVarint();
      if (version >= 3) {
        ten.erasure_code = d.GetBytes();
        ten.revision = d.GetVarint();
      }
      uint64_t nb = d.GetCount(8);
      std::string bprev;
      for (uint64_t k = 0; k < nb && d.status().ok(); ++k) {
        std::string bname = d.GetBytes();
        ordered(bprev, bname, k == 0);
        bprev = bname;
        ten.buckets[bname] = GetBucket(d, version);
      }
    }
  }
  n = d.GetCount(3);
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    std::string name = d.GetBytes();
    ordered(prev, name, i == 0);
    prev = name;
    ServiceRecord& svc = s.services_[name];
    svc.type = d.GetBytes();
    uint64_t np = d.GetCount(1);
    for (uint64_t j = 0; j < np && d.status().ok(); ++j) {
      std::string p = d.GetBytes();
      if (!svc.serves.empty() && !(svc.serves.back() < p)) d.Fail("served paths out of order");
      svc.serves.push_back(std::move(p));
    }
    if (version >= 6) {
      svc.config = GetServiceConfig(d, version);
      svc.revision = d.GetVarint();
    }
  }
  if (version >= 2) {
    n = d.GetCount(5);
    for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
      UserRecord u = GetUser(d);
      ordered(prev, u.access_key, i == 0);
      prev = u.access_key;
      s.users_[u.access_key] = std::move(u);
    }
  }
  if (version >= 5) {
    n = d.GetCount(2);
    for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
      const uint32_t id = GetU32Varint(d, "master key id");
      std::string key = d.GetBytes();
      // Ids run 1, 2, 3... in order: the only ring AddMasterKey can build.
      if (id != i + 1) d.Fail("master key ids not 1..n in order");
      if (key.size() != 32) d.Fail("master key not 32 bytes");
      s.master_keys_[id] = std::move(key);
    }
  }
  if (version >= 7) s.site_id_ = d.GetU32();
  if (version >= 8) {
    s.site_key_seed_ = d.GetBytes();
    if (!s.site_key_seed_.empty() && s.site_key_seed_.size() != 32) d.Fail("site key seed not 32 bytes");
  }
  CCOW_RETURN_IF_ERROR(d.Finish());
  if (version_out) *version_out = version;
  return s;
}

}  // namespace ccow
