#include "cluster/cluster_state.h"

#include <algorithm>
#include <cstdio>

#include "model/encoding.h"
#include "model/object_name.h"

namespace ccow {
namespace {

using namespace command;

// A segment, tenant or bucket name: what ValidateBucketPath accepts for each part.
Status ValidName(const std::string& what, const std::string& name) {
  Status s = ValidateBucketPath(name + "/x/y");
  if (!s.ok() || name.find('/') != std::string::npos)
    return Status::InvalidArgument("invalid " + what + " name '" + name +
                                   "': 1..255 characters of A-Z a-z 0-9 . _ -");
  return Status::OK();
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
void PutPolicy(Encoder& e, const BucketPolicy& p) {
  e.PutVarint(p.chunk_size);
  e.PutU8(static_cast<uint8_t>(p.chunking));
  e.PutU8(static_cast<uint8_t>(p.hash));
  e.PutBytes(p.erasure_code);
  e.PutU8(p.versioning ? 1 : 0);
  e.PutVarint(p.quota_bytes);
}
BucketPolicy GetPolicy(Decoder& d) {
  BucketPolicy p;
  uint64_t chunk = d.GetVarint();
  if (chunk > UINT32_MAX) d.Fail("chunk size out of range");
  p.chunk_size = static_cast<uint32_t>(chunk);
  uint8_t mode = d.GetU8();
  if (mode > 1) d.Fail("unknown chunking mode");
  p.chunking = static_cast<ChunkingMode>(mode > 1 ? 0 : mode);
  uint8_t hash = d.GetU8();
  if (!IsKnownHashAlgo(hash)) d.Fail("unknown hash algorithm");
  p.hash = static_cast<HashAlgo>(hash);
  p.erasure_code = d.GetBytes();
  uint8_t v = d.GetU8();
  if (v > 1) d.Fail("bad versioning flag");
  p.versioning = v == 1;
  p.quota_bytes = d.GetVarint();
  return p;
}
uint32_t GetU32Varint(Decoder& d, const char* what) {
  uint64_t v = d.GetVarint();
  if (v > UINT32_MAX) d.Fail(std::string(what) + " out of range");
  return static_cast<uint32_t>(v);
}

// One Put/Get pair per command; the kind byte is the variant index + 1.
void Put(Encoder& e, const AddTarget& c) { PutTarget(e, c.target); }
void Get(Decoder& d, AddTarget& c) { c.target = GetTarget(d); }
void Put(Encoder& e, const SetTargetState& c) {
  e.PutBytes(c.name);
  e.PutU8(static_cast<uint8_t>(c.state));
}
void Get(Decoder& d, SetTargetState& c) {
  c.name = d.GetBytes();
  c.state = GetState(d);
}
void Put(Encoder& e, const RemoveTarget& c) { e.PutBytes(c.name); }
void Get(Decoder& d, RemoveTarget& c) { c.name = d.GetBytes(); }
void Put(Encoder& e, const PublishFlexHash& c) {
  e.PutVarint(c.generation);
  e.PutBytes(c.checkpoint_json);
}
void Get(Decoder& d, PublishFlexHash& c) {
  c.generation = d.GetVarint();
  c.checkpoint_json = d.GetBytes();
}
void Put(Encoder& e, const CreateSegment& c) { e.PutBytes(c.segment); }
void Get(Decoder& d, CreateSegment& c) { c.segment = d.GetBytes(); }
void Put(Encoder& e, const DeleteSegment& c) { e.PutBytes(c.segment); }
void Get(Decoder& d, DeleteSegment& c) { c.segment = d.GetBytes(); }
void Put(Encoder& e, const CreateTenant& c) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
  e.PutVarint(c.replication_count);
}
void Get(Decoder& d, CreateTenant& c) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
  c.replication_count = GetU32Varint(d, "replication count");
}
void Put(Encoder& e, const DeleteTenant& c) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
}
void Get(Decoder& d, DeleteTenant& c) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
}
void Put(Encoder& e, const CreateBucket& c) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
  e.PutBytes(c.bucket);
  PutPolicy(e, c.policy);
}
void Get(Decoder& d, CreateBucket& c) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
  c.bucket = d.GetBytes();
  c.policy = GetPolicy(d);
}
void Put(Encoder& e, const DeleteBucket& c) {
  e.PutBytes(c.segment);
  e.PutBytes(c.tenant);
  e.PutBytes(c.bucket);
}
void Get(Decoder& d, DeleteBucket& c) {
  c.segment = d.GetBytes();
  c.tenant = d.GetBytes();
  c.bucket = d.GetBytes();
}
void Put(Encoder& e, const CreateService& c) {
  e.PutBytes(c.name);
  e.PutBytes(c.type);
}
void Get(Decoder& d, CreateService& c) {
  c.name = d.GetBytes();
  c.type = d.GetBytes();
}
void Put(Encoder& e, const ServiceServe& c) {
  e.PutBytes(c.name);
  e.PutBytes(c.path);
}
void Get(Decoder& d, ServiceServe& c) {
  c.name = d.GetBytes();
  c.path = d.GetBytes();
}
void Put(Encoder& e, const DeleteService& c) { e.PutBytes(c.name); }
void Get(Decoder& d, DeleteService& c) { c.name = d.GetBytes(); }

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

constexpr uint8_t kCommandRecord = 0x10;
constexpr uint8_t kStateRecord = 0x11;

}  // namespace

const char* TargetStateName(TargetState state) {
  switch (state) {
    case TargetState::kAlive: return "alive";
    case TargetState::kReadOnly: return "read-only";
    case TargetState::kDead: return "dead";
  }
  return "?";
}

Status BucketPolicy::Validate() const {
  ObjectPolicy p;
  p.chunk_size = chunk_size;
  p.chunking = chunking;
  p.hash = hash;
  CCOW_RETURN_IF_ERROR(p.Validate());
  if (!erasure_code.empty()) {
    unsigned k = 0, m = 0;
    char kind[8] = {};
    if (std::sscanf(erasure_code.c_str(), "%u:%u:%7s", &k, &m, kind) != 3 || std::string(kind) != "rs" ||
        k < 2 || k > 32 || m < 1 || m > 16 ||
        erasure_code != std::to_string(k) + ":" + std::to_string(m) + ":rs")
      return Status::InvalidArgument("invalid erasure code '" + erasure_code +
                                     "': K:M:rs with 2 <= K <= 32 data and 1 <= M <= 16 parity chunks, e.g. 4:2:rs");
  }
  return Status::OK();
}

std::string EncodeCommand(const ClusterCommand& command) {
  Encoder e;
  e.PutU8(kCommandRecord);
  e.PutU8(ClusterState::kFormatVersion);
  e.PutU8(static_cast<uint8_t>(command.index() + 1));
  std::visit([&](const auto& c) { Put(e, c); }, command);
  return e.Take();
}

Result<ClusterCommand> DecodeCommand(std::string_view bytes) {
  Decoder d(bytes, "cluster command");
  uint8_t record = d.GetU8(), version = d.GetU8(), kind = d.GetU8();
  CCOW_RETURN_IF_ERROR(d.status());
  if (record != kCommandRecord) return Status::Corruption("not a cluster command");
  if (version != ClusterState::kFormatVersion)
    return Status::Unsupported("cluster command format " + std::to_string(version));
  ClusterCommand c;
  if (kind == 0 || !EmplaceByIndex(kind - 1, &c))
    return Status::Corruption("unknown cluster command kind " + std::to_string(kind));
  std::visit([&](auto& body) { Get(d, body); }, c);
  CCOW_RETURN_IF_ERROR(d.Finish());
  return c;
}

Status ClusterState::Apply(const ClusterCommand& command) {
  Status s = std::visit(
      [&](const auto& c) -> Status {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, AddTarget>) {
          CCOW_RETURN_IF_ERROR(ValidName("target", c.target.name));
          if (targets_.count(c.target.name))
            return Status::AlreadyExists("target " + c.target.name + " is already a member");
          if (c.target.vdevs.empty()) return Status::InvalidArgument("target " + c.target.name + " has no VDEV");
          for (const auto& v : c.target.vdevs)
            for (const auto& [name, t] : targets_)
              for (const auto& o : t.vdevs)
                if (o.id == v.id) return Status::AlreadyExists("VDEV " + v.id + " belongs to target " + name);
          targets_[c.target.name] = c.target;
        } else if constexpr (std::is_same_v<T, SetTargetState>) {
          auto it = targets_.find(c.name);
          if (it == targets_.end()) return Status::NotFound("no target " + c.name);
          it->second.state = c.state;
        } else if constexpr (std::is_same_v<T, RemoveTarget>) {
          if (!targets_.erase(c.name)) return Status::NotFound("no target " + c.name);
        } else if constexpr (std::is_same_v<T, PublishFlexHash>) {
          if (c.generation <= flexhash_generation_)
            return Status::Conflict("FlexHash generation " + std::to_string(c.generation) +
                                    " does not advance the current " + std::to_string(flexhash_generation_));
          auto table = FlexHashTable::FromJson(c.checkpoint_json);
          if (!table.ok()) return table.status().WithContext("FlexHash checkpoint");
          if (table->generation() != c.generation)
            return Status::InvalidArgument("the checkpoint is of generation " + std::to_string(table->generation()));
          flexhash_generation_ = c.generation;
          flexhash_json_ = c.checkpoint_json;
        } else if constexpr (std::is_same_v<T, CreateSegment>) {
          CCOW_RETURN_IF_ERROR(ValidName("cluster", c.segment));
          if (!segments_.emplace(c.segment, SegmentRecord{}).second)
            return Status::AlreadyExists("cluster " + c.segment + " exists");
        } else if constexpr (std::is_same_v<T, DeleteSegment>) {
          auto it = segments_.find(c.segment);
          if (it == segments_.end()) return Status::NotFound("no cluster " + c.segment);
          if (!it->second.tenants.empty())
            return Status::Conflict("cluster " + c.segment + " still has " +
                                    std::to_string(it->second.tenants.size()) + " tenants");
          segments_.erase(it);
        } else if constexpr (std::is_same_v<T, CreateTenant>) {
          CCOW_RETURN_IF_ERROR(ValidName("tenant", c.tenant));
          auto seg = segments_.find(c.segment);
          if (seg == segments_.end()) return Status::NotFound("no cluster " + c.segment);
          if (c.replication_count > 8)
            return Status::InvalidArgument("replication count " + std::to_string(c.replication_count) +
                                           " is out of range (1..8, or 0 for the default)");
          if (!seg->second.tenants.emplace(c.tenant, TenantRecord{c.replication_count, {}}).second)
            return Status::AlreadyExists("tenant " + c.segment + "/" + c.tenant + " exists");
        } else if constexpr (std::is_same_v<T, DeleteTenant>) {
          auto seg = segments_.find(c.segment);
          auto ten = seg == segments_.end() ? decltype(seg->second.tenants.end())() : seg->second.tenants.find(c.tenant);
          if (seg == segments_.end() || ten == seg->second.tenants.end())
            return Status::NotFound("no tenant " + c.segment + "/" + c.tenant);
          if (!ten->second.buckets.empty())
            return Status::Conflict("tenant " + c.segment + "/" + c.tenant + " still has " +
                                    std::to_string(ten->second.buckets.size()) + " buckets");
          seg->second.tenants.erase(ten);
        } else if constexpr (std::is_same_v<T, CreateBucket>) {
          CCOW_RETURN_IF_ERROR(ValidName("bucket", c.bucket));
          CCOW_RETURN_IF_ERROR(c.policy.Validate());
          auto seg = segments_.find(c.segment);
          if (seg == segments_.end()) return Status::NotFound("no cluster " + c.segment);
          auto ten = seg->second.tenants.find(c.tenant);
          if (ten == seg->second.tenants.end()) return Status::NotFound("no tenant " + c.segment + "/" + c.tenant);
          if (!ten->second.buckets.emplace(c.bucket, c.policy).second)
            return Status::AlreadyExists("bucket " + c.segment + "/" + c.tenant + "/" + c.bucket + " exists");
        } else if constexpr (std::is_same_v<T, DeleteBucket>) {
          auto found = FindBucket(c.segment, c.tenant, c.bucket);
          if (!found.ok()) return found.status();
          segments_[c.segment].tenants[c.tenant].buckets.erase(c.bucket);
        } else if constexpr (std::is_same_v<T, CreateService>) {
          CCOW_RETURN_IF_ERROR(ValidName("service", c.name));
          if (c.type != "isgw") return Status::InvalidArgument("unknown service type '" + c.type + "' (isgw)");
          if (!services_.emplace(c.name, ServiceRecord{c.type, {}}).second)
            return Status::AlreadyExists("service " + c.name + " exists");
        } else if constexpr (std::is_same_v<T, ServiceServe>) {
          auto it = services_.find(c.name);
          if (it == services_.end()) return Status::NotFound("no service " + c.name);
          CCOW_RETURN_IF_ERROR(ValidateBucketPath(c.path));
          auto& serves = it->second.serves;
          auto pos = std::lower_bound(serves.begin(), serves.end(), c.path);
          if (pos != serves.end() && *pos == c.path)
            return Status::AlreadyExists("service " + c.name + " already serves " + c.path);
          serves.insert(pos, c.path);
        } else if constexpr (std::is_same_v<T, DeleteService>) {
          if (!services_.erase(c.name)) return Status::NotFound("no service " + c.name);
        }
        return Status::OK();
      },
      command);
  if (s.ok()) ++commands_applied_;
  return s;
}

Result<const TenantRecord*> ClusterState::FindTenant(const std::string& segment,
                                                     const std::string& tenant) const {
  auto seg = segments_.find(segment);
  if (seg == segments_.end()) return Status::NotFound("no cluster " + segment);
  auto ten = seg->second.tenants.find(tenant);
  if (ten == seg->second.tenants.end()) return Status::NotFound("no tenant " + segment + "/" + tenant);
  return &ten->second;
}

Result<const BucketPolicy*> ClusterState::FindBucket(const std::string& segment, const std::string& tenant,
                                                     const std::string& bucket) const {
  CCOW_ASSIGN_OR_RETURN(const TenantRecord* t, FindTenant(segment, tenant));
  auto b = t->buckets.find(bucket);
  if (b == t->buckets.end()) return Status::NotFound("no bucket " + segment + "/" + tenant + "/" + bucket);
  return &b->second;
}

std::string ClusterState::Snapshot() const {
  Encoder e;
  e.PutU8(kStateRecord);
  e.PutU8(kFormatVersion);
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
      e.PutVarint(ten.buckets.size());
      for (const auto& [bname, policy] : ten.buckets) {
        e.PutBytes(bname);
        PutPolicy(e, policy);
      }
    }
  }
  e.PutVarint(services_.size());
  for (const auto& [name, svc] : services_) {
    e.PutBytes(name);
    e.PutBytes(svc.type);
    e.PutVarint(svc.serves.size());
    for (const auto& p : svc.serves) e.PutBytes(p);
  }
  return e.Take();
}

Result<ClusterState> ClusterState::Restore(std::string_view bytes) {
  Decoder d(bytes, "cluster state snapshot");
  uint8_t record = d.GetU8(), version = d.GetU8();
  CCOW_RETURN_IF_ERROR(d.status());
  if (record != kStateRecord) return Status::Corruption("not a cluster state snapshot");
  if (version != kFormatVersion) return Status::Unsupported("cluster state format " + std::to_string(version));
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
      uint64_t nb = d.GetCount(8);
      std::string bprev;
      for (uint64_t k = 0; k < nb && d.status().ok(); ++k) {
        std::string bname = d.GetBytes();
        ordered(bprev, bname, k == 0);
        bprev = bname;
        ten.buckets[bname] = GetPolicy(d);
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
  }
  CCOW_RETURN_IF_ERROR(d.Finish());
  return s;
}

}  // namespace ccow
