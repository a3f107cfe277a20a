#include "gc/erasure_encoder.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "client/stripe_placement.h"
#include "client/stripe_repair.h"
#include "ec/erasure_code.h"
#include "ec/stripe.h"
#include "flexhash/flexhash.h"
#include "model/chunk_manifest.h"
#include "model/object_name.h"
#include "model/stripe_set.h"

namespace ccow {
namespace {

uint64_t SystemNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

struct PayloadChunk {
  Chid chid;
  uint64_t length;
};

// The distinct payload chunks of a version, in object order (a chunk repeated in an
// object is protected once: two fragments of one stripe must not share a CHID, or one
// lost copy would cost the stripe two fragments).
Status CollectPayload(Backend& backend, const std::vector<ChunkRef>& refs, int depth,
                      std::set<Chid>& seen, std::vector<PayloadChunk>* out) {
  if (depth > 16) return Status::Corruption("chunk manifest tree deeper than 16 levels");
  for (const ChunkRef& ref : refs) {
    if (ref.kind == ChunkKind::kChunkManifest) {
      std::string bytes;
      CCOW_RETURN_IF_ERROR(backend.GetChunk(ref.chid, &bytes));
      CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
      CCOW_RETURN_IF_ERROR(CollectPayload(backend, cm.refs, depth + 1, seen, out));
    } else if (seen.insert(ref.chid).second) {
      out->push_back({ref.chid, ref.length});
    }
  }
  return Status::OK();
}

Result<VersionManifest> LoadVersionManifest(Backend& backend, const Chid& vm_chid) {
  std::string bytes;
  CCOW_RETURN_IF_ERROR(backend.GetChunk(vm_chid, &bytes));
  return VersionManifest::Decode(bytes);
}

}  // namespace

ErasureEncoder::ErasureEncoder(ObjectApi* api, ErasureEncoderOptions options)
    : api_(api), options_(std::move(options)) {}
ErasureEncoder::~ErasureEncoder() = default;

const ErasureCode& ErasureEncoder::CodeFor(const ErasurePolicy& policy) {
  auto& slot = codes_[{policy.data, policy.parity}];
  if (!slot) {
    auto code = ErasureCode::Create(policy);
    CCOW_CHECK(code.ok());  // the policy was validated when it was parsed
    slot = std::move(*code);
  }
  return *slot;
}

Result<EncodePassResult> ErasureEncoder::RunPass() {
  Backend& backend = api_->backend();
  if (!backend.placement())
    return Status::Unsupported(
        "erasure coding places fragments in distinct failure domains of a cluster; this store has one");
  const auto started = std::chrono::steady_clock::now();
  EncodePassResult r;
  std::string after;
  for (;;) {
    std::vector<VersionList> page;
    CCOW_RETURN_IF_ERROR(backend.ScanVersionLists("", after, [&](const VersionList& vl) {
      page.push_back(vl);
      return page.size() < options_.page;
    }));
    if (page.empty()) break;
    after = page.back().name();
    for (const VersionList& vl : page) {
      if (options_.on_phase) options_.on_phase("list");
      r.lists_scanned++;
      std::optional<ErasurePolicy> policy;
      std::string bucket_path;
      if (auto name = ObjectName::Parse(vl.name()); name.ok()) bucket_path = name->BucketPath();
      if (!bucket_path.empty() && options_.bucket_policy) policy = options_.bucket_policy(bucket_path);
      uint32_t replicas = options_.bucket_replication ? options_.bucket_replication(bucket_path) : 0;
      if (replicas == 0) replicas = backend.default_replication_count();
      BucketLayout& layout = r.buckets[bucket_path];
      // Each version once, wherever its entries are (active, quarantine, snapshots).
      std::set<Chid> done;
      std::vector<VersionEntry> entries;
      for (const auto& v : vl.versions()) entries.push_back(v);
      for (const auto& q : vl.quarantine()) entries.push_back(q.version);
      for (const auto& s : vl.snapshots()) entries.push_back(s.version);
      const uint64_t now = options_.clock ? options_.clock() : SystemNowNs();
      for (const VersionEntry& e : entries) {
        if (e.is_delete_marker() || !done.insert(e.vm_chid).second) continue;
        layout.versions++;
        layout.logical_bytes += e.size;
        uint64_t stored = 0;
        Status s = Status::NotFound("replicated");
        if (e.erasure_coded()) {
          s = CheckStripes(vl.name(), e, &r, &stored);
          if (!s.ok()) spdlog::warn("ec: {} generation {}: {}", vl.name(), e.generation, s.ToString());
        } else if (policy && !ErasureCodedClass(e.storage_class, true)) {
          r.versions_standard_class++;  // its class asks for replication whatever the bucket's code
        } else if (!policy || e.size < options_.min_object_bytes) {
          if (policy) r.versions_too_small++;
        } else if (e.uvid.timestamp_ns + options_.rest_age_ns > now) {
          r.versions_not_at_rest++;
        } else {
          s = EncodeVersion(vl.name(), vl.nhid(), e, *policy, &r, &stored);
          if (!s.ok()) {
            r.versions_failed++;
            spdlog::warn("ec: {} generation {}: {}", vl.name(), e.generation, s.ToString());
          }
        }
        if (s.ok()) {
          layout.encoded_versions++;
          layout.raw_bytes += stored;
        } else {
          layout.raw_bytes += e.size * replicas;
        }
      }
    }
    if (page.size() < options_.page) break;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("ec: pass done in {:.1f} s: {} lists, {} versions encoded ({} stripes, {} data bytes, {} parity "
               "bytes), {} stripes checked, {} fragments moved, {} rebuilt, {} unplaceable, {} lost",
               r.seconds, r.lists_scanned, r.versions_encoded, r.stripes_written, r.data_bytes_encoded,
               r.parity_bytes_written, r.stripes_checked, r.fragments_moved, r.fragments_rebuilt,
               r.stripes_unplaceable, r.stripes_lost);
  return r;
}

Status ErasureEncoder::EncodeVersion(const std::string& name, const Nhid& nhid, const VersionEntry& entry,
                                     const ErasurePolicy& policy, EncodePassResult* r, uint64_t* stored) {
  Backend& backend = api_->backend();
  auto table = backend.placement();
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, LoadVersionManifest(backend, entry.vm_chid));
  std::vector<PayloadChunk> payload;
  std::set<Chid> seen;
  CCOW_RETURN_IF_ERROR(CollectPayload(backend, vm.root_refs, 0, seen, &payload));
  if (payload.empty()) return Status::OK();
  const uint32_t rc = vm.policy.replication_count ? vm.policy.replication_count : backend.default_replication_count();
  const ErasureCode& code = CodeFor(policy);

  WriteFence fence;
  StripeSet set;
  set.vm_chid = entry.vm_chid;
  std::vector<std::pair<Chid, uint32_t>> new_refs;  // what the commit newly references, with its R
  uint64_t data_bytes = 0, parity_bytes = 0;
  for (size_t first = 0; first < payload.size(); first += policy.data) {
    const size_t n = std::min<size_t>(policy.data, payload.size() - first);
    std::vector<std::string> data(n);
    std::vector<StripeInput> inputs;
    for (size_t i = 0; i < n; ++i) {
      CCOW_RETURN_IF_ERROR(backend.GetChunk(payload[first + i].chid, &data[i]));
      inputs.push_back({payload[first + i].chid, data[i]});
      data_bytes += data[i].size();
    }
    CCOW_ASSIGN_OR_RETURN(EncodedStripe es, EncodeStripe(code, inputs, vm.policy.hash));
    CCOW_ASSIGN_OR_RETURN(auto sites, LocateFragments(backend, es.manifest));
    auto keepers = PlaceFragments(*table, sites);
    if (!keepers.ok()) {
      r->stripes_unplaceable++;
      return keepers.status();
    }
    // Stored fragments in order: the n data chunks, then the M parity chunks.
    for (size_t f = 0; f < sites.size(); ++f) {
      const bool parity = f >= n;
      const std::string_view bytes = parity ? std::string_view(es.parity[f - n]) : std::string_view(data[f]);
      if (parity) new_refs.push_back({sites[f].chid, 1});
      if ((*keepers)[f].holds) {
        // Stored there already (a parity chunk equal to one stored before): pin it for
        // any collection under way, as a dedup put would.
        if (parity) CCOW_RETURN_IF_ERROR(backend.TouchChunk(sites[f].chid, 1, &fence));
        continue;
      }
      CCOW_RETURN_IF_ERROR(backend.PutChunkOn(sites[f].chid, bytes, (*keepers)[f].vdev_id, 1, &fence));
      if (parity) parity_bytes += bytes.size();
    }
    set.stripes.push_back(std::move(es.manifest));
  }
  const std::string set_bytes = set.Encode();
  const Chid set_chid = HashBytes(vm.policy.hash, set_bytes);
  bool stored_new = false;
  CCOW_RETURN_IF_ERROR(backend.PutChunk(set_chid, set_bytes, rc, &stored_new, &fence));
  new_refs.push_back({set_chid, rc});
  CCOW_RETURN_IF_ERROR(backend.SyncChunks());
  if (options_.on_phase) options_.on_phase("commit");

  auto commit = [&](WriteFence& f) {
    return backend.UpdateVersionList(
        name, nhid, [&](VersionList* vl) { return vl->SetErasureCoding(entry.vm_chid, set_chid); }, &f);
  };
  Status s = commit(fence);
  if (s.code() == Code::kFenced) {
    // A collection fenced this write: pin what it newly references under the new pass
    // and present that epoch instead (as ObjectApi::CommitVersion does).
    WriteFence again;
    for (const auto& [c, cr] : new_refs) CCOW_RETURN_IF_ERROR(backend.TouchChunk(c, cr, &again));
    s = commit(again);
  }
  if (s.code() == Code::kNotFound) return Status::OK();  // deleted and expired meanwhile
  CCOW_RETURN_IF_ERROR(s);
  r->versions_encoded++;
  for (const StripeManifest& stripe : set.stripes)
    for (int i = 0; i < stripe.policy.width(); ++i)
      if (stripe.IsStored(i)) *stored += stripe.StoredLength(i);
  r->stripes_written += set.stripes.size();
  r->data_bytes_encoded += data_bytes;
  r->parity_bytes_written += parity_bytes;
  return Status::OK();
}

Status ErasureEncoder::CheckStripes(const std::string& name, const VersionEntry& entry, EncodePassResult* r,
                                    uint64_t* stored) {
  Backend& backend = api_->backend();
  auto table = backend.placement();
  std::string bytes;
  CCOW_RETURN_IF_ERROR(backend.GetChunk(entry.ec_chid, &bytes));
  CCOW_ASSIGN_OR_RETURN(StripeSet set, StripeSet::Decode(bytes));
  for (size_t si = 0; si < set.stripes.size(); ++si) {
    const StripeManifest& stripe = set.stripes[si];
    r->stripes_checked++;
    for (int i = 0; i < stripe.policy.width(); ++i)
      if (stripe.IsStored(i)) *stored += stripe.StoredLength(i);
    StripeRepair repair;
    Status s = RepairStripe(backend, *table, CodeFor(stripe.policy), stripe, &repair);
    r->fragments_moved += repair.fragments_moved;
    r->fragments_rebuilt += repair.fragments_rebuilt;
    CCOW_RETURN_IF_ERROR(s);
    if (repair.outcome == StripeRepair::Outcome::kUnplaceable) {
      r->stripes_unplaceable++;
      spdlog::warn("ec: {} stripe {}: {}", name, si, repair.detail.ToString());
    } else if (repair.outcome == StripeRepair::Outcome::kLost) {
      r->stripes_lost++;
      spdlog::error("ec: {} generation {} stripe {} ({}): {}", name, entry.generation, si,
                    stripe.policy.ToString(), repair.detail.ToString());
    }
  }
  return Status::OK();
}

}  // namespace ccow
