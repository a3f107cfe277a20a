// ObjectApi::Put: chunking, inline dedup and building the merkle tree of a version.
#include <algorithm>
#include <deque>
#include <optional>
#include <future>
#include <memory>
#include <set>
#include <vector>

#include "client/chunker.h"
#include "client/object_api.h"
#include "client/trlog.h"
#include "core/check.h"
#include "core/hash.h"
#include "model/object_name.h"
#include "model/version_signature.h"

namespace ccow {
namespace {

// Builds the tree of chunk manifests bottom-up as references arrive, holding at most
// fan-out references per level: memory stays bounded however large the object.
class ManifestBuilder {
 public:
  ManifestBuilder(Backend* backend, const ObjectPolicy& policy, PutStats* stats, WriteFence* fence)
      : backend_(backend),
        fence_(fence),
        algo_(policy.hash),
        fanout_(policy.manifest_fanout),
        replication_count_(policy.replication_count),
        stats_(stats) {}

  Status Add(const ChunkRef& ref) { return AddAt(0, ref); }

  // Returns the root references (at most fan-out of them).
  Result<std::vector<ChunkRef>> Finish() {
    for (size_t lvl = 0; lvl < levels_.size(); ++lvl) {
      if (lvl + 1 == levels_.size()) return std::move(levels_[lvl]);
      if (!levels_[lvl].empty()) CCOW_RETURN_IF_ERROR(EmitLevel(lvl));
    }
    return std::vector<ChunkRef>();
  }

 private:
  Status AddAt(size_t lvl, const ChunkRef& ref) {
    if (levels_.size() <= lvl) levels_.resize(lvl + 1);
    levels_[lvl].push_back(ref);
    if (levels_[lvl].size() == fanout_) return EmitLevel(lvl);
    return Status::OK();
  }

  Status EmitLevel(size_t lvl) {
    ChunkManifest cm;
    cm.refs.swap(levels_[lvl]);
    std::string bytes = cm.Encode();
    Chid chid = HashBytes(algo_, bytes);
    bool stored_new = false;
    CCOW_RETURN_IF_ERROR(backend_->PutChunk(chid, bytes, replication_count_, &stored_new, fence_));
    stats_->manifests++;
    const ChunkRef& first = cm.refs.front();
    const ChunkRef& last = cm.refs.back();
    ChunkRef up{first.offset, last.offset + last.length - first.offset, ChunkKind::kChunkManifest,
                chid};
    return AddAt(lvl + 1, up);
  }

  Backend* backend_;
  WriteFence* fence_;
  HashAlgo algo_;
  size_t fanout_;
  uint32_t replication_count_;
  PutStats* stats_;
  std::vector<std::vector<ChunkRef>> levels_;
};

// Pins a chunk that a new version references without putting it (a clone, a compose).
// One not stored here but readable is stored here, as a put would: a metadata-only site's
// copy of another site's object (its backend fetches what it lacks through the links) is
// this site's own version. kNotFound when it is neither.
Status TouchOrStore(Backend& backend, const Chid& chid, uint32_t r, WriteFence* fence) {
  Status touched = backend.TouchChunk(chid, r, fence);
  if (!touched.IsNotFound()) return touched;
  std::string bytes;
  if (!backend.GetChunk(chid, &bytes).ok()) return touched;
  bool stored_new = false;
  return backend.PutChunk(chid, bytes, r, &stored_new, fence);
}

// Touches ref and, for a chunk manifest, everything below it, for a version of R r
// (touch), and brings each payload chunk back to r replicas where it has fewer (raise):
// the collector trims a fragment of an erasure-coded version to one copy (its keeper), and
// a touch only pins and records R, so a version that references such a chunk without
// putting it would otherwise be committed below its R (manifests are never trimmed).
// At a site that keeps only metadata (a metadata-only link), a touched payload chunk
// that is not here is skipped (payload_may_be_absent), and so is a chunk manifest with
// its subtree (manifests_may_be_absent); a chunk manifest that is here is read from here.
Status WalkRefs(Backend& backend, const ChunkRef& ref, uint32_t r, int depth, WriteFence* fence, bool touch,
                bool raise, bool payload_may_be_absent = false, bool manifests_may_be_absent = false) {
  const bool manifest = ref.kind == ChunkKind::kChunkManifest;
  if (touch) {
    const bool may_be_absent = manifest ? manifests_may_be_absent : payload_may_be_absent;
    Status touched = may_be_absent ? backend.TouchChunk(ref.chid, r, fence) : TouchOrStore(backend, ref.chid, r, fence);
    if (touched.IsNotFound() && may_be_absent) return Status::OK();
    CCOW_RETURN_IF_ERROR(touched);
  }
  if (!manifest) return raise ? backend.RaiseReplication(ref.chid, r) : Status::OK();
  if (depth > 16) return Status::Corruption("chunk manifest tree deeper than 16 levels");
  std::string bytes;
  CCOW_RETURN_IF_ERROR(backend.GetChunk(ref.chid, &bytes));
  CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
  for (const auto& child : cm.refs)
    CCOW_RETURN_IF_ERROR(WalkRefs(backend, child, r, depth + 1, fence, touch, raise, payload_may_be_absent,
                                  manifests_may_be_absent));
  return Status::OK();
}

// Whether the payload of version `entry` of `name`, which a new version references without
// putting it, may sit on fewer replicas than its R: the version is erasure coded (its
// fragments are trimmed to one copy), or, read again once the new version's touches have
// pinned them, it has been encoded or has gone meanwhile (a pass may have trimmed them
// before the pins). A version still replicated then keeps them at its R in every later
// pass until the new version is committed (and a commit fenced by such a pass raises).
Result<bool> MayBeTrimmed(Backend& backend, const std::string& name, const VersionEntry& entry) {
  if (entry.erasure_coded()) return true;
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(name));
  CCOW_ASSIGN_OR_RETURN(auto vl, backend.GetVersionList(parsed.Full()));
  if (!vl) return true;
  auto replicated = [&](const VersionEntry& e) { return e.vm_chid == entry.vm_chid && !e.erasure_coded(); };
  for (const auto& v : vl->versions())
    if (replicated(v)) return false;
  for (const auto& q : vl->quarantine())
    if (replicated(q.version)) return false;
  for (const auto& sn : vl->snapshots())
    if (replicated(sn.version)) return false;
  return true;
}

}  // namespace

Result<ObjectInfo> ObjectApi::Put(const std::string& name, ByteSource& data,
                                  const PutOptions& options, PutStats* stats) {
  WriteScope scope(this);
  PutStats local_stats;
  if (!stats) stats = &local_stats;
  *stats = PutStats();
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(name));
  ObjectPolicy policy = Resolve(options.policy ? *options.policy : options_.default_policy);
  CCOW_RETURN_IF_ERROR(policy.Validate());

  auto chunker = Chunker::Create(policy, &data);
  WriteFence fence;
  ManifestBuilder builder(backend_.get(), policy, stats, &fence);
  Md5 md5;
  // The MD5 of the stream (the S3 ETag) is inherently sequential and runs here; each
  // chunk's CHID hash and store write run on a worker, a few chunks ahead, so the two
  // cores overlap. References still reach the manifest builder in stream order.
  struct InFlight {
    uint64_t offset, size;
    std::future<std::pair<Status, std::pair<Chid, bool>>> stored;
  };
  std::deque<InFlight> window;
  // Chunks in flight: enough that every VDEV of a cluster has a few transfers at once,
  // whose fsyncs its store's group commit then merges (one flush per chunk and replica
  // held a 3-chunk window to a third of what the disk writes); bounded in bytes.
  constexpr uint64_t kWindowBytes = 8 << 20;
  const size_t kWindow = std::clamp<uint64_t>(kWindowBytes / std::max<uint32_t>(policy.chunk_size, 1), 3, 8);
  auto retire_oldest = [&]() -> Status {
    InFlight f = std::move(window.front());
    window.pop_front();
    auto [st, result] = f.stored.get();
    CCOW_RETURN_IF_ERROR(st);
    stats->chunks++;
    if (result.second) {
      stats->new_chunks++;
      stats->new_payload_bytes += f.size;
    }
    return builder.Add({f.offset, f.size, ChunkKind::kPayload, result.first});
  };
  auto drain = [&](Status st) {
    for (auto& f : window) f.stored.wait();
    window.clear();
    return st;
  };
  Backend* backend = backend_.get();
  HashAlgo algo = policy.hash;
  uint32_t r = policy.replication_count;
  WriteFence* fence_ptr = &fence;
  // An encrypted object's chunks are sealed before they are named: the CHID is the hash
  // of what is stored (model/object_cipher.h), so nothing below needs the key.
  const ChunkCipher* cipher = options.encryption ? options.encryption->cipher.get() : nullptr;
  CCOW_CHECK(!options.encryption || cipher != nullptr);
  auto launch = [&](std::shared_ptr<std::string> buf, uint64_t at, std::launch how,
                    std::optional<Chid> known) {
    window.push_back({at, buf->size(), std::async(how, [backend, algo, r, buf, known, fence_ptr, cipher] {
                        std::string sealed;
                        if (cipher) sealed = cipher->Seal(*buf);
                        const std::string& stored = cipher ? sealed : *buf;
                        Chid chid = known ? *known : HashBytes(algo, stored);
                        bool stored_new = false;
                        Status st = backend->PutChunk(chid, stored, r, &stored_new, fence_ptr);
                        return std::make_pair(st, std::make_pair(chid, stored_new));
                      })});
  };
  // The first chunk is held until the next one arrives: most objects are one chunk,
  // which then needs no thread, and may already have a verified hash (below).
  std::shared_ptr<std::string> held;
  std::string chunk;
  uint64_t offset = 0;
  while (true) {
    auto more = chunker->Next(&chunk);
    if (!more.ok()) return drain(more.status());
    if (!*more) break;
    md5.Update(chunk.data(), chunk.size());
    auto buf = std::make_shared<std::string>(std::move(chunk));
    chunk = std::string();
    if (offset == 0 && !held) {
      held = buf;
      offset += buf->size();
      continue;
    }
    if (held) {
      // Two chunks or more: the write's puts need not each be durable when answered. A
      // cluster VDEV then syncs what it took of them once, before the commit, rather than
      // once per chunk (WriteFence::DeferSync).
      fence.DeferSync();
      launch(held, 0, std::launch::deferred, std::nullopt);
      held.reset();
    }
    launch(buf, offset, options_.parallel_io ? std::launch::async : std::launch::deferred,
           std::nullopt);
    offset += buf->size();
    if (window.size() >= kWindow) {
      Status st = retire_oldest();
      if (!st.ok()) return drain(st);
    }
  }
  // inline_payload: the object's bytes when they travel inside the manifest.
  auto make_vm = [&](std::string inline_payload = {}) -> Result<VersionManifest> {
    VersionManifest vm;
    vm.name = parsed.Full();
    vm.nhid = parsed.ComputeNhid(policy.hash);
    vm.size = offset;
    vm.etag = md5.HexFinal();
    vm.content_type = options.content_type;
    vm.user_metadata = options.user_metadata;
    vm.policy = policy;
    CCOW_ASSIGN_OR_RETURN(vm.root_refs, builder.Finish());
    vm.inline_payload = std::move(inline_payload);
    if (options.encryption) vm.encryption = options.encryption->record;
    if (options.before_commit) CCOW_RETURN_IF_ERROR(options.before_commit(vm));
    // (Content-MD5 was checked against the MD5 above.) A version under a key its client
    // holds gets an ETag only that key makes: the MD5 of its bytes would let whoever holds
    // the store confirm a guess of them.
    if (cipher && vm.encryption.source == ObjectEncryption::KeySource::kCustomerKey) {
      auto md5 = FromHex(vm.etag);
      CCOW_CHECK(md5.ok());
      const std::string digest = cipher->KeyedDigest(*md5);
      vm.etag = ToHex(digest.data(), 16);
    }
    return vm;
  };
  if (held && held->size() <= VersionManifest::kInlinePayloadMax) {
    // A small object travels inside its version manifest: one chunk to store, not two,
    // and a get reads it with the manifest. Its bytes are verified with the manifest's
    // CHID like any chunk's.
    stats->inline_bytes = held->size();
    CCOW_ASSIGN_OR_RETURN(VersionManifest vm, make_vm(cipher ? cipher->Seal(*held) : std::move(*held)));
    return CommitVersion(std::move(vm), &fence, &stats->manifests, options.slot, {},
                       options.condition, options.lock, options.storage_class);
  }
  if (held) {
    // A one-chunk object: the source has reported its end, so a whole-stream SHA-256 it
    // promised has been checked, and it is this chunk's CHID; no second pass over it.
    std::optional<Chid> known;
    if (options.stream_sha256 && algo == HashAlgo::kSha256 && !cipher) known = options.stream_sha256;
    if (options_.parallel_io && backend_->network_bound()) {
      const uint64_t plain_size = held->size();
      if (cipher) held = std::make_shared<std::string>(cipher->Seal(*held));
      // On a cluster the chunk and the version manifest are stored at once (the manifest
      // names the chunk by its CHID, known before it is stored), and the commit's
      // compare-and-swap waits for both: one durable round before the commit instead of
      // two. The version list never names a chunk that is not durable yet.
      const Chid chid = known ? *known : HashBytes(algo, *held);
      auto stored = std::async(std::launch::async, [backend, chid, held, r, fence_ptr] {
        bool stored_new = false;
        Status st = backend->PutChunk(chid, *held, r, &stored_new, fence_ptr);
        return std::make_pair(st, stored_new);
      });
      std::optional<Status> durable;
      auto chunk_durable = [&]() -> Status {
        if (!durable) {
          auto [st, stored_new] = stored.get();
          durable = st;
          if (st.ok()) {
            stats->chunks++;
            if (stored_new) {
              stats->new_chunks++;
              stats->new_payload_bytes += held->size();
            }
          }
        }
        return *durable;
      };
      Status added = builder.Add({0, plain_size, ChunkKind::kPayload, chid});
      auto vm = added.ok() ? make_vm() : Result<VersionManifest>(added);
      if (!vm.ok()) {
        (void)chunk_durable();
        return vm.status();
      }
      auto info = CommitVersion(std::move(*vm), &fence, &stats->manifests, options.slot, chunk_durable,
                                options.condition, options.lock, options.storage_class);
      (void)chunk_durable();  // a commit that failed before waiting for it
      return info;
    }
    launch(held, 0, std::launch::deferred, known);
  }
  while (!window.empty()) {
    Status st = retire_oldest();
    if (!st.ok()) return drain(st);
  }
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, make_vm());
  return CommitVersion(std::move(vm), &fence, &stats->manifests, options.slot, {},
                       options.condition, options.lock, options.storage_class);
}

Result<ObjectInfo> ObjectApi::CommitVersion(VersionManifest vm, WriteFence* fence,
                                            uint64_t* manifests_written, VersionSlot slot,
                                            const std::function<Status()>& chunks_durable,
                                            const WriteCondition& condition, const ObjectLock& lock,
                                            StorageClass storage_class) {
  constexpr int kMaxAttempts = 32;
  bool retouched = false;
  CCOW_RETURN_IF_ERROR(RecordChange(vm.name));
  uint64_t recorded_ns = Now();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    // The list as read now: its next generation, and where the update's compare-and-swap
    // starts (a cluster reads it once per attempt, not twice).
    CCOW_ASSIGN_OR_RETURN(Backend::VersionListRead read, backend_->ReadVersionList(vm.name));
    const auto& current = read.list;
    // Checked here too, so that a write whose condition already fails stores nothing more;
    // what decides is the check inside the update below.
    CCOW_RETURN_IF_ERROR(condition.Check(current ? &*current : nullptr, vm.name));
    vm.generation = current ? current->NextGeneration() : 1;
    vm.uvid = NextUvid();
    // A hybrid logical clock: later than every version the list holds, even one another
    // segment wrote with a clock ahead of this one's, so timestamps follow causality.
    if (current)
      for (const auto& v : current->versions())
        vm.uvid.timestamp_ns = std::max(vm.uvid.timestamp_ns, v.uvid.timestamp_ns + 1);
    // Signed last, over everything else the manifest says (its name, generation and UVID).
    if (options_.site_key_seed)
      if (std::string seed = options_.site_key_seed(); !seed.empty()) SignVersion(&vm, seed);
    std::string bytes = vm.Encode();
    Chid vm_chid = HashBytes(vm.policy.hash, bytes);
    // New: it names its own generation and UVID.
    CCOW_RETURN_IF_ERROR(backend_->PutNewChunk(vm_chid, bytes, vm.policy.replication_count, fence));
    (*manifests_written)++;
    if (chunks_durable) CCOW_RETURN_IF_ERROR(chunks_durable());
    VersionEntry entry{vm.generation, vm.uvid, vm_chid, vm.size, vm.etag};
    if (vm.flags & VersionManifest::kFlagDeleteMarker) entry.flags |= VersionEntry::kDeleteMarker;
    entry.lock = lock;
    entry.storage_class = storage_class;
    if (slot != VersionSlot::kAdded) entry.flags |= VersionEntry::kNullVersion;
    // A commit lands within kTrlogSettleNs of its record (client/trlog.h): one whose
    // chunks or retries took long records again first.
    if (Now() - recorded_ns > kTrlogSettleNs / 2) {
      CCOW_RETURN_IF_ERROR(RecordChange(vm.name));
      recorded_ns = Now();
    }
    Status st = backend_->UpdateVersionList(vm.name, vm.nhid, [&](VersionList* vl) {
      // A list that did not exist arrives here empty, so "no current version" holds.
      CCOW_RETURN_IF_ERROR(condition.Check(vl, vm.name));
      CCOW_RETURN_IF_ERROR(vl->AddVersion(entry));
      if (slot != VersionSlot::kAdded) {
        std::vector<uint64_t> replaced;
        for (const auto& v : vl->versions())
          if (v.generation != entry.generation && (slot != VersionSlot::kNull || v.is_null_version()))
            replaced.push_back(v.generation);
        for (uint64_t g : replaced) CCOW_RETURN_IF_ERROR(vl->Delete(g, vm.uvid.timestamp_ns));
        // Dropped rather than kept: what only they referenced is the collector's to free.
        if (slot == VersionSlot::kSupersedes) (void)vl->ExpireQuarantine(vm.uvid.timestamp_ns, 0);
      }
      return Status::OK();
    }, fence, &read);
    if (st.ok()) {
      ObjectInfo info = InfoFromManifest(vm, vm_chid);
      info.lock = lock;
      info.storage_class = storage_class;
      info.null_version = entry.is_null_version();
      return info;
    }
    if (st.code() == Code::kFenced && !retouched) {
      // A collection pass began after this write's first chunks were answered: touch the
      // whole tree again (pinning it in the pass) and commit with the new answers. A chunk
      // gone meanwhile was collected: the write fails rather than commit a hole. A chunk
      // an erasure-coded version shares may have been trimmed to one copy meanwhile: it
      // is raised back to this version's R.
      retouched = true;
      fence->Reset();
      for (const auto& ref : vm.root_refs) {
        Status touched = WalkRefs(*backend_, ref, vm.policy.replication_count, 0, fence, true, true);
        if (touched.code() == Code::kNotFound)
          return Status::Unavailable("object " + vm.name + ": a garbage collection pass collected chunks this "
                                     "write had stored before it committed (it ran longer than the GC grace "
                                     "period); retry the write");
        CCOW_RETURN_IF_ERROR(touched);
      }
      continue;
    }
    if (st.code() != Code::kConflict) return st;
  }
  return Status::Conflict("object " + vm.name + ": too many concurrent writers, retry later");
}

Result<ObjectInfo> ObjectApi::Clone(const std::string& source, const VersionSelector& which,
                                    const std::string& dest) {
  WriteScope scope(this);
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(dest));
  VersionEntry entry;
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, LoadManifest(source, which, &entry));
  // The clone shares the source's chunks without putting them: touch them all, so a
  // collection under way keeps them even if the source goes meanwhile; a clone of an
  // erasure-coded version is replicated, so its payload is raised back to R.
  WriteFence fence;
  for (const auto& ref : vm.root_refs)
    CCOW_RETURN_IF_ERROR(WalkRefs(*backend_, ref, vm.policy.replication_count, 0, &fence, true, false));
  CCOW_ASSIGN_OR_RETURN(bool trimmed, MayBeTrimmed(*backend_, source, entry));
  if (trimmed)
    for (const auto& ref : vm.root_refs)
      CCOW_RETURN_IF_ERROR(WalkRefs(*backend_, ref, vm.policy.replication_count, 0, &fence, false, true));
  vm.origin = vm.name;
  vm.name = parsed.Full();
  vm.nhid = parsed.ComputeNhid(vm.policy.hash);
  vm.flags |= VersionManifest::kFlagClone;
  uint64_t manifests = 0;
  return CommitVersion(std::move(vm), &fence, &manifests);
}

Result<ObjectInfo> ObjectApi::PutTree(const std::string& name, const ChunkRef& root, const std::string& content_type,
                                      const std::map<std::string, std::string>& user_metadata, WriteFence* fence,
                                      const WriteCondition& condition) {
  WriteScope scope(this);
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(name));
  if (root.kind != ChunkKind::kChunkManifest || root.offset != 0 || root.length == 0)
    return Status::InvalidArgument("the root of a tree version must be a chunk manifest covering its bytes");
  VersionManifest vm;
  vm.name = parsed.Full();
  vm.policy = Resolve(ObjectPolicy{});
  vm.nhid = parsed.ComputeNhid(vm.policy.hash);
  vm.size = root.length;
  vm.content_type = content_type;
  vm.user_metadata = user_metadata;
  vm.root_refs = {root};
  uint64_t manifests = 0;
  return CommitVersion(std::move(vm), fence, &manifests, VersionSlot::kSupersedes, {}, condition);
}

Result<bool> ObjectApi::MergeRemote(const VersionList& remote, const MergeOptions& options,
                                     std::vector<RefusedVersion>* refused) {
  const VersionCheck& accept = options.accept;
  WriteScope scope(this);
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(remote.name()));
  if (parsed.Full() != remote.name())
    return Status::InvalidArgument("version list of '" + remote.name() + "': not a full object name");
  CCOW_ASSIGN_OR_RETURN(auto local, backend_->GetVersionList(remote.name()));
  auto known = [&](const Chid& vm) {
    if (!local) return false;
    for (const auto& v : local->versions())
      if (v.vm_chid == vm) return true;
    for (const auto& q : local->quarantine())
      if (q.version.vm_chid == vm) return true;
    for (const auto& s : local->snapshots())
      if (s.version.vm_chid == vm) return true;
    return false;
  };
  // The versions new here: their manifests are checked and their trees pinned (touched)
  // for a collection under way, under one fence the list update presents.
  WriteFence fence;
  std::set<Chid> checked, left_out;
  auto take = [&](const VersionEntry& e) -> Status {
    if (known(e.vm_chid) || !checked.insert(e.vm_chid).second) return Status::OK();
    std::string bytes;
    CCOW_RETURN_IF_ERROR(backend_->GetChunk(e.vm_chid, &bytes));
    CCOW_ASSIGN_OR_RETURN(VersionManifest vm, VersionManifest::Decode(bytes));
    if (vm.name != remote.name() || vm.generation != e.generation || vm.uvid != e.uvid)
      return Status::Corruption("version list of " + remote.name() + ": manifest " + e.vm_chid.ToString() +
                                " is of " + vm.name + " generation " + std::to_string(vm.generation) +
                                ", not of its entry (generation " + std::to_string(e.generation) + ")");
    // What listings show without reading the manifest must be the manifest's too.
    if (vm.size != e.size || vm.etag != e.etag ||
        ((vm.flags & VersionManifest::kFlagDeleteMarker) != 0) != e.is_delete_marker())
      return Status::Corruption("version list of " + remote.name() + ": the entry of generation " +
                                std::to_string(e.generation) + " says another size, ETag or delete marker than its manifest " +
                                e.vm_chid.ToString());
    if (accept) {
      if (Status why = accept(vm); !why.ok()) {
        left_out.insert(e.vm_chid);
        if (refused) refused->push_back({e.vm_chid, std::move(why)});
        return Status::OK();
      }
    }
    CCOW_RETURN_IF_ERROR(backend_->TouchChunk(e.vm_chid, vm.policy.replication_count, &fence));
    // Raised too: a chunk found here may be a fragment of a version erasure coded here,
    // trimmed to one copy, and the merged version is replicated (as a clone's).
    for (const auto& ref : vm.root_refs)
      CCOW_RETURN_IF_ERROR(WalkRefs(*backend_, ref, vm.policy.replication_count, 0, &fence, true, true,
                                    options.payload_may_be_absent, options.manifests_may_be_absent));
    return Status::OK();
  };
  for (const auto& v : remote.versions()) CCOW_RETURN_IF_ERROR(take(v));
  for (const auto& q : remote.quarantine()) CCOW_RETURN_IF_ERROR(take(q.version));
  for (const auto& s : remote.snapshots()) CCOW_RETURN_IF_ERROR(take(s.version));
  if (!left_out.empty()) {
    VersionList vetted = remote.Without(left_out);
    return MergeVetted(vetted, local ? &*local : nullptr, &fence, refused);
  }
  return MergeVetted(remote, local ? &*local : nullptr, &fence, refused);
}

Result<bool> ObjectApi::MergeVetted(const VersionList& remote, const VersionList* local, WriteFence* fence,
                                    std::vector<RefusedVersion>* refused) {
  // A delete from the other site does not reach a version under Object Lock here.
  const uint64_t now = Now();
  // Recorded first when the merge will change the list as read (as every change is), so
  // that the links of this segment's other services forward it (a mesh); a merge that
  // changes nothing records nothing, so a list does not travel back and forth.
  {
    VersionList trial = local ? *local : VersionList(remote.name(), remote.nhid());
    CCOW_ASSIGN_OR_RETURN(bool would_change, trial.MergeRemote(remote, now));
    if (would_change) CCOW_RETURN_IF_ERROR(RecordChange(remote.name()));
  }
  bool changed = false;
  std::vector<Chid> kept;
  Status st = backend_->UpdateVersionList(
      remote.name(), remote.nhid(),
      [&](VersionList* vl) -> Status {
        if (vl->Empty()) *vl = VersionList(remote.name(), remote.nhid());
        kept.clear();
        CCOW_ASSIGN_OR_RETURN(changed, vl->MergeRemote(remote, now, &kept));
        return Status::OK();
      },
      fence);
  CCOW_RETURN_IF_ERROR(st);
  if (refused)
    for (const Chid& vm : kept)
      refused->push_back({vm, Status::Locked("a version of " + remote.name() +
                                             " is under Object Lock here: the other site's delete of it is not applied")});
  return changed;
}

}  // namespace ccow

namespace ccow {
namespace {

// Appends the payload references below `ref` to out, shifted by `shift`: chunk manifests
// hold absolute offsets, so a composed object needs a new tree, but only manifests are
// read to build it, never payload.
Status FlattenRefs(Backend& backend, const ChunkRef& ref, int64_t shift,
                   std::vector<ChunkRef>* out, int depth) {
  if (ref.kind != ChunkKind::kChunkManifest) {
    ChunkRef moved = ref;
    moved.offset = static_cast<uint64_t>(static_cast<int64_t>(ref.offset) + shift);
    out->push_back(moved);
    return Status::OK();
  }
  if (depth > 16) return Status::Corruption("chunk manifest tree deeper than 16 levels");
  std::string bytes;
  CCOW_RETURN_IF_ERROR(backend.GetChunk(ref.chid, &bytes));
  CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
  for (const auto& child : cm.refs)
    CCOW_RETURN_IF_ERROR(FlattenRefs(backend, child, shift, out, depth + 1));
  return Status::OK();
}

}  // namespace

Result<ObjectInfo> ObjectApi::Compose(const std::string& dest,
                                      const std::vector<ComposePart>& parts,
                                      const PutOptions& options, const std::string& etag) {
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(dest));
  if (parts.empty()) return Status::InvalidArgument("compose needs at least one part");
  WriteScope scope(this);
  PutStats stats;
  WriteFence fence;
  std::optional<ManifestBuilder> builder;
  VersionManifest vm;
  uint64_t offset = 0;
  for (const auto& part : parts) {
    VersionEntry entry;
    CCOW_ASSIGN_OR_RETURN(VersionManifest src, LoadManifest(part.name, part.which, &entry));
    if (src.flags & VersionManifest::kFlagDeleteMarker)
      return Status::NotFound("object " + part.name + " is a delete marker");
    // The composed version references the parts' sealed chunks: they must all be sealed
    // under one data key (a multipart upload's), which the new version records too.
    if (&part == &parts.front()) {
      vm.encryption = src.encryption;
      if (options.encryption && options.encryption->record != src.encryption)
        return Status::InvalidArgument("compose keeps its sources' encryption; " + part.name +
                                       " is encrypted otherwise than asked (copy its bytes instead)");
    } else if (src.encryption != vm.encryption) {
      return Status::InvalidArgument("the parts of " + dest + " are not encrypted under one data key (" +
                                     part.name + " differs from the first)");
    }
    if (!builder) {
      vm.policy = Resolve(options.policy ? *options.policy : src.policy);
      builder.emplace(backend_.get(), vm.policy, &stats, &fence);
    }
    std::vector<ChunkRef> refs;
    for (const auto& ref : src.root_refs)
      CCOW_RETURN_IF_ERROR(FlattenRefs(*backend_, ref, static_cast<int64_t>(offset), &refs, 0));
    if (src.is_inline()) {
      // A small part travels inside its manifest: it becomes a chunk of the composed
      // object (one put of at most kInlinePayloadMax bytes).
      const Chid chid = HashBytes(vm.policy.hash, src.inline_payload);
      bool stored_new = false;
      CCOW_RETURN_IF_ERROR(backend_->PutChunk(chid, src.inline_payload, vm.policy.replication_count,
                                              &stored_new, &fence));
      refs.push_back({offset, src.size, ChunkKind::kPayload, chid});
    }
    // The new manifests reference the parts' chunks without putting them (a collection
    // under way keeps what is touched).
    for (const auto& ref : refs)
      CCOW_RETURN_IF_ERROR(TouchOrStore(*backend_, ref.chid, vm.policy.replication_count, &fence));
    // The new version is kept at its own R: chunks it shares with a source of a lower R
    // (a copy into a bucket of a higher R), or with an erasure-coded one (trimmed to one
    // copy each), are raised to it.
    bool raise = vm.policy.replication_count > src.policy.replication_count;
    if (!raise) {
      CCOW_ASSIGN_OR_RETURN(raise, MayBeTrimmed(*backend_, part.name, entry));
    }
    if (raise)
      for (const auto& ref : refs)
        CCOW_RETURN_IF_ERROR(backend_->RaiseReplication(ref.chid, vm.policy.replication_count));
    for (const auto& ref : refs) CCOW_RETURN_IF_ERROR(builder->Add(ref));
    offset += src.size;
  }
  vm.name = parsed.Full();
  vm.nhid = parsed.ComputeNhid(vm.policy.hash);
  vm.size = offset;
  vm.etag = etag;
  vm.content_type = options.content_type;
  vm.user_metadata = options.user_metadata;
  CCOW_ASSIGN_OR_RETURN(vm.root_refs, builder->Finish());
  if (options.before_commit) CCOW_RETURN_IF_ERROR(options.before_commit(vm));
  return CommitVersion(std::move(vm), &fence, &stats.manifests, options.slot, {}, options.condition,
                       options.lock, options.storage_class);
}

Result<ObjectInfo> ObjectApi::PutDeleteMarker(const std::string& name, const WriteCondition& condition,
                                              VersionSlot slot) {
  WriteScope scope(this);
  CCOW_ASSIGN_OR_RETURN(ObjectName parsed, ObjectName::Parse(name));
  VersionManifest vm;
  vm.name = parsed.Full();
  vm.policy = options_.default_policy;
  vm.nhid = parsed.ComputeNhid(vm.policy.hash);
  vm.flags = VersionManifest::kFlagDeleteMarker;
  uint64_t manifests = 0;
  WriteFence fence;  // observes only the marker's own manifest
  return CommitVersion(std::move(vm), &fence, &manifests, slot, {}, condition);
}

}  // namespace ccow
