// What a sending end ships: the lists that differ at the remote, and only the chunks it
// lacks (IsgwLink::ShipLists), for a whole bucket (FullSync) or the names the trlog gives.
#include "isgw/isgw_link.h"
#include "isgw/isgw_wire.h"
#include "isgw/link_internal.h"
#include "model/chunk_manifest.h"
#include "model/object_name.h"
#include "model/version_manifest.h"

namespace ccow::isgw {

Status CollectVersion(Backend& backend, const Chid& vm_chid, std::set<HashId>* seen, std::vector<HashId>* manifests,
                      std::vector<HashId>* payload) {
  if (!seen->insert(vm_chid).second) return Status::OK();
  manifests->push_back(vm_chid);
  std::string bytes;
  CCOW_RETURN_IF_ERROR(backend.GetChunk(vm_chid, &bytes));
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, VersionManifest::Decode(bytes));
  std::vector<std::pair<ChunkRef, int>> stack;
  for (auto it = vm.root_refs.rbegin(); it != vm.root_refs.rend(); ++it) stack.push_back({*it, 0});
  while (!stack.empty()) {
    auto [ref, depth] = stack.back();
    stack.pop_back();
    if (!seen->insert(ref.chid).second) continue;
    if (ref.kind != ChunkKind::kChunkManifest) {
      payload->push_back(ref.chid);
      continue;
    }
    if (depth > 16) return Status::Corruption("chunk manifest tree deeper than 16 levels");
    manifests->push_back(ref.chid);
    CCOW_RETURN_IF_ERROR(backend.GetChunk(ref.chid, &bytes));
    CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
    for (auto it = cm.refs.rbegin(); it != cm.refs.rend(); ++it) stack.push_back({*it, depth + 1});
  }
  return Status::OK();
}

// Ships `lists` of bucket to the remote: which differ there (digests), the chunks they
// reference that it lacks (have, chunks), then the lists (merge). A list that cannot be
// shipped (a chunk missing here, a merge refused there) is reported in *first and
// skipped (its name goes into *failed, the first such error into *first); a failed
// exchange with the remote is returned.
Status IsgwLink::ShipLists(const Remote& remote, const std::string& bucket, const std::vector<VersionList>& lists,
                           Status* first, std::set<std::string>* failed) {
  Backend& backend = api_->backend();
  auto note = [&](const Status& s) {
    if (!s.ok() && first->ok()) *first = s;
  };
  if (lists.empty()) return Status::OK();
  if (remote.s3) {
    // Plain objects: each name's current version written there, or deleted.
    const std::string journal = UploadsJournal(bucket);
    for (const auto& vl : lists) {
      if (stopping()) return Status::Unavailable("ISGW link stopping");
      const std::string key = vl.name().substr(bucket.size() + 1);
      // A system key (a SnapView's record) is no S3 object: it stays a ccow site's.
      if (IsSystemKey(key)) continue;
      bool changed = false;
      uint64_t bytes = 0;
      Status s = remote.s3->Mirror(*api_, vl.name(), key, journal, &changed, &bytes);
      if (s.code() == Code::kNotFound) {
        // A write answered 404: the target bucket is gone (removed while the link ran);
        // made again, and the object sent once more.
        CCOW_RETURN_IF_ERROR(OfferBucket(remote, bucket));
        s = remote.s3->Mirror(*api_, vl.name(), key, journal, &changed, &bytes);
      }
      if (s.code() == Code::kUnavailable || s.code() == Code::kIOError) return s;  // the target: retried
      if (!s.ok()) {
        note(s);
        failed->insert(vl.name());
      }
      std::lock_guard lock(mu_);
      stats_.lists_compared++;
      stats_.lists_shipped += changed;
      stats_.bytes_sent += bytes;
      stats_.body_bytes_sent += bytes;
      stats_.wire_bytes_sent += bytes;
    }
    return Status::OK();
  }
  DigestsRequest digests{options_.service, bucket, {}};
  for (const auto& vl : lists) digests.items.push_back({vl.name(), ListDigest(vl)});
  std::string bytes;
  CCOW_RETURN_IF_ERROR(Post(remote, "digests", Encode(digests), &bytes));
  CCOW_ASSIGN_OR_RETURN(DigestsReply differ, DecodeDigestsReply(bytes));
  // A remote that keeps only metadata gets no payload; with `versions`, no chunk
  // manifests either. It reads them from here on demand (fetch).
  const bool ship_payload = differ.metadata_only == 0;
  const bool ship_manifests = differ.metadata_only != 1;
  {
    std::lock_guard lock(mu_);
    stats_.lists_compared += lists.size();
  }
  // What the differing lists reference, manifests first: the receiver keeps only those
  // it lacks, and merges a list only once everything it names is stored. A list whose
  // tree cannot be read here is left out of this round.
  std::set<HashId> seen;
  std::vector<HashId> manifests, payload;
  std::vector<const VersionList*> shipping;
  for (uint32_t i : differ.differ) {
    if (i >= lists.size()) return Status::Corruption("ISGW link to " + remote.url + ": digests reply out of range");
    const VersionList& vl = lists[i];
    std::set<HashId> seen_here = seen;
    std::vector<HashId> m, p;
    Status collected;
    auto collect = [&](const VersionEntry& e) {
      if (!collected.ok()) return;
      if (ship_manifests) {
        collected = CollectVersion(backend, e.vm_chid, &seen_here, &m, &p);
      } else if (seen_here.insert(e.vm_chid).second) {
        m.push_back(e.vm_chid);
      }
    };
    for (const auto& v : vl.versions()) collect(v);
    for (const auto& q : vl.quarantine()) collect(q.version);
    for (const auto& s : vl.snapshots()) collect(s.version);
    if (!collected.ok()) {
      note(collected.WithContext("ISGW link to " + remote.url + ": reading the tree of " + vl.name()));
      failed->insert(vl.name());
      continue;
    }
    seen = std::move(seen_here);
    manifests.insert(manifests.end(), m.begin(), m.end());
    if (ship_payload) payload.insert(payload.end(), p.begin(), p.end());
    shipping.push_back(&vl);
  }
  if (!shipping.empty()) {
    std::vector<HashId> all = std::move(manifests);
    all.insert(all.end(), payload.begin(), payload.end());
    std::vector<HashId> wanted;
    for (size_t at = 0; at < all.size(); at += kChidsPerHave) {
      HaveRequest have{options_.service, {}};
      have.chids.assign(all.begin() + at, all.begin() + std::min(all.size(), at + kChidsPerHave));
      CCOW_RETURN_IF_ERROR(Post(remote, "have", Encode(have), &bytes));
      CCOW_ASSIGN_OR_RETURN(HaveReply want, DecodeHaveReply(bytes));
      if (want.want.size() != have.chids.size())
        return Status::Corruption("ISGW link to " + remote.url + ": have reply of another length");
      for (size_t k = 0; k < have.chids.size(); ++k)
        if (want.want[k]) wanted.push_back(have.chids[k]);
    }
    ChunksRequest batch{options_.service, bucket, {}};
    uint64_t batch_bytes = 0, sent_bytes = 0, sent = 0;
    auto flush = [&]() -> Status {
      if (batch.chunks.empty()) return Status::OK();
      std::string reply;
      CCOW_RETURN_IF_ERROR(Post(remote, "chunks", Encode(batch), &reply));
      CCOW_RETURN_IF_ERROR(DecodeChunksReply(reply).status());
      sent_bytes += batch_bytes;
      sent += batch.chunks.size();
      batch.chunks.clear();
      batch_bytes = 0;
      return Status::OK();
    };
    for (const HashId& chid : wanted) {
      if (stopping()) return Status::Unavailable("ISGW link stopping");
      ChunksRequest::Chunk c{chid, {}};
      // Verified on read. One that cannot be read here is not sent: the lists naming it
      // fail to merge at the remote (kNotFound), and are reported, until it is repaired.
      if (Status s = backend.GetChunk(chid, &c.bytes); !s.ok()) {
        note(s.WithContext("ISGW link to " + remote.url + ": reading a chunk to ship"));
        continue;
      }
      batch_bytes += c.bytes.size();
      batch.chunks.push_back(std::move(c));
      if (batch_bytes >= kChunkBatchBytes) CCOW_RETURN_IF_ERROR(flush());
    }
    CCOW_RETURN_IF_ERROR(flush());
    {
      std::lock_guard lock(mu_);
      stats_.chunks_offered += all.size();
      stats_.chunks_sent += sent;
      stats_.bytes_sent += sent_bytes;
    }
    // The lists, in requests of at most kMergeBatchBytes.
    for (size_t at = 0; at < shipping.size();) {
      MergeRequest merge{options_.service, bucket, {}};
      size_t merge_bytes = 0;
      const size_t from = at;
      while (at < shipping.size() && (merge.lists.empty() || merge_bytes < kMergeBatchBytes)) {
        merge.lists.push_back(shipping[at]->Encode());
        merge_bytes += merge.lists.back().size();
        ++at;
      }
      CCOW_RETURN_IF_ERROR(Post(remote, "merge", Encode(merge), &bytes));
      CCOW_ASSIGN_OR_RETURN(MergeReply merged, DecodeMergeReply(bytes));
      if (merged.results.size() != merge.lists.size())
        return Status::Corruption("ISGW link to " + remote.url + ": merge reply of another length");
      uint64_t shipped = 0;
      for (size_t k = 0; k < merged.results.size(); ++k) {
        Status s = StatusOf(merged.results[k].code, merged.results[k].message);
        if (s.ok()) {
          ++shipped;
        } else {
          note(s.WithContext("ISGW link to " + remote.url + ": merging " + shipping[from + k]->name()));
          failed->insert(shipping[from + k]->name());
        }
      }
      std::lock_guard lock(mu_);
      stats_.lists_shipped += shipped;
    }
  }
  return Status::OK();
}

// Compares the whole bucket, 1,000 lists at a time. Lists that could not be shipped go
// into *failed (and the first such error into *first); a failed exchange is returned.
Status IsgwLink::FullSync(const Remote& remote, const std::string& bucket, Status* first,
                          std::set<std::string>* failed) {
  const std::string prefix = bucket + "/";
  std::string last;  // the last name compared
  while (true) {
    if (stopping()) return Status::Unavailable("ISGW link stopping");
    std::vector<VersionList> lists;
    CCOW_RETURN_IF_ERROR(api_->backend().ScanVersionLists(
        prefix, last.empty() ? std::string() : last.substr(prefix.size()), [&](const VersionList& vl) {
          if (!last.empty() && vl.name() <= last) return true;
          lists.push_back(vl);
          return lists.size() < kListsPerRound;
        }));
    if (lists.empty()) return Status::OK();
    CCOW_RETURN_IF_ERROR(ShipLists(remote, bucket, lists, first, failed));
    {
      std::lock_guard lock(mu_);
      stats_.full_lists += lists.size();
    }
    last = lists.back().name();
    if (lists.size() < kListsPerRound) return Status::OK();
  }
}

}  // namespace ccow::isgw
