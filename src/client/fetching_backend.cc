#include "client/fetching_backend.h"

#include <algorithm>

#include "model/chunk_manifest.h"
#include "model/encoding.h"
#include "model/version_manifest.h"

namespace ccow {

FetchingBackend::FetchingBackend(std::shared_ptr<Backend> inner, std::unique_ptr<ChunkCache> cache)
    : inner_(std::move(inner)), cache_(std::move(cache)) {}

void FetchingBackend::SetSource(ChunkSource source) {
  std::lock_guard lock(mu_);
  source_ = std::move(source);
}

FetchStats FetchingBackend::fetch_stats() const {
  FetchStats s;
  {
    std::lock_guard lock(mu_);
    s = stats_;
  }
  if (cache_) s.cache = cache_->stats();
  return s;
}

Status FetchingBackend::GetHere(const Chid& chid, std::string* out) {
  Status here = inner_->GetChunk(chid, out);
  if (!here.IsNotFound() && here.code() != Code::kUnavailable) return here;
  if (cache_ && cache_->Get(chid, out).ok()) return Status::OK();
  return here;
}

void FetchingBackend::Observe(const Chid& chid, const std::string& bytes) {
  // Manifests start with their record kind; a payload chunk that happens to is not one
  // unless it decodes as one, and costs nothing but the read-ahead it names.
  if (bytes.empty()) return;
  const uint8_t kind = static_cast<uint8_t>(bytes[0]);
  std::vector<ChunkRef> refs;
  if (kind == static_cast<uint8_t>(RecordKind::kChunkManifest)) {
    auto cm = ChunkManifest::Decode(bytes);
    if (!cm.ok()) return;
    refs = std::move(cm->refs);
  } else if (kind == static_cast<uint8_t>(RecordKind::kVersionManifest)) {
    auto vm = VersionManifest::Decode(bytes);
    if (!vm.ok()) return;
    refs = std::move(vm->root_refs);
  } else {
    return;
  }
  std::vector<Next> payload;
  for (const auto& r : refs)
    if (r.kind == ChunkKind::kPayload) payload.push_back({r.chid, r.length});
  if (payload.size() < 2) return;
  std::lock_guard lock(mu_);
  for (const auto& [m, _] : manifests_)
    if (m == chid) return;  // known already
  if (manifests_.size() >= kReadAheadManifests) {
    const auto& [old, chunks] = manifests_.front();
    for (const auto& n : chunks)
      if (auto it = position_.find(n.chid); it != position_.end() && it->second.first == old) position_.erase(it);
    manifests_.pop_front();
  }
  for (size_t i = 0; i < payload.size(); ++i) position_[payload[i].chid] = {chid, i};
  manifests_.emplace_back(chid, std::move(payload));
}

std::vector<Chid> FetchingBackend::ReadAheadOf(const Chid& chid) {
  std::vector<Chid> more;
  if (!cache_) return more;  // nowhere to keep them
  // At most a quarter of the cache: read-ahead must not evict what it fetched before
  // it is read.
  const uint64_t capacity = cache_->stats().capacity;
  const uint64_t budget = std::min<uint64_t>(kReadAheadBytes, capacity == ChunkCache::kBoundUnknown ? 0 : capacity / 4);
  auto at = position_.find(chid);
  if (at == position_.end() || budget == 0) return more;
  for (const auto& [m, chunks] : manifests_) {
    if (m != at->second.first) continue;
    uint64_t bytes = 0;
    for (size_t i = at->second.second + 1; i < chunks.size() && more.size() + 1 < kReadAheadChunks; ++i) {
      const Chid& c = chunks[i].chid;
      // A chunk repeated in the object (zeros) is asked for once.
      if (c == chid || flights_.count(c) || cache_->Contains(c) || std::find(more.begin(), more.end(), c) != more.end())
        continue;
      bytes += chunks[i].length;
      if (bytes > budget) break;
      more.push_back(c);
    }
    break;
  }
  return more;
}

Status FetchingBackend::GetChunk(const Chid& chid, std::string* out) {
  ChunkSource source;
  std::vector<Chid> batch;
  std::vector<std::shared_ptr<Flight>> mine;
  // Until this read fetches the chunk itself or another's fetch of it answers: a read-ahead
  // the source left out is fetched again by the read that wanted it (at most once more).
  for (int round = 0;; ++round) {
    Status here = GetHere(chid, out);
    if (here.ok()) {
      Observe(chid, *out);
      return here;
    }
    // A cluster answers kUnavailable when a VDEV of the chunk's row did not answer: the
    // other site may still have it (what it sends is verified here).
    if (!here.IsNotFound() && here.code() != Code::kUnavailable) return here;
    std::unique_lock lock(mu_);
    source = source_;
    if (!source) return here;
    auto it = flights_.find(chid);
    if (it == flights_.end()) {
      batch.push_back(chid);
      for (const Chid& c : ReadAheadOf(chid)) batch.push_back(c);
      for (const Chid& c : batch) mine.push_back(flights_[c] = std::make_shared<Flight>());
      mine.front()->primary = true;
      stats_.requests++;
      break;
    }
    // Another read is fetching it: wait for that fetch, and take its answer (a failed
    // primary fetch fails this read too, rather than asking the links once per reader).
    std::shared_ptr<Flight> f = it->second;
    const bool primary = f->primary;
    f->primary = true;  // a read waits for it now
    stats_.merged++;
    done_.wait(lock, [&] { return f->done; });
    if (f->status.ok()) {
      *out = f->bytes;
      return Status::OK();
    }
    if (primary || round > 0) return f->status;
  }
  std::vector<std::string> got;
  Status fetched = source(batch, &got);
  got.resize(batch.size());
  std::vector<Status> results(batch.size());
  uint64_t fetches = 0, bytes = 0, ahead = 0, failures = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    Status& r = results[i];
    if (i == 0 && !fetched.ok()) {
      r = fetched;
    } else if (got[i].empty()) {
      r = Status::NotFound("the other site did not send chunk " + batch[i].ToString());
    } else if (HashBytes(batch[i].algo(), got[i]) != batch[i]) {
      r = Status::Corruption("chunk " + batch[i].ToString() + " fetched from the other site does not hash to its CHID");
    }
    if (r.ok()) {
      ++fetches;
      bytes += got[i].size();
      ahead += i > 0;
      // A cache that cannot write is no reason to fail the read.
      if (cache_) (void)cache_->Put(batch[i], got[i]);
    } else if (i == 0 || r.code() == Code::kCorruption) {
      ++failures;
    }
    if (!r.ok()) r = r.WithContext("chunk " + batch[i].ToString() + " is not stored here");
  }
  if (results[0].ok()) Observe(chid, got[0]);
  {
    std::lock_guard lock(mu_);
    stats_.fetches += fetches;
    stats_.fetched_bytes += bytes;
    stats_.read_ahead += ahead;
    stats_.fetch_failures += failures;
    for (size_t i = 0; i < batch.size(); ++i) {
      mine[i]->done = true;
      mine[i]->status = results[i];
      // Waiters copy the bytes; a read-ahead nobody waits for keeps none.
      if (results[i].ok() && mine[i].use_count() > 2) mine[i]->bytes = got[i];
      flights_.erase(batch[i]);
    }
  }
  done_.notify_all();
  if (!results[0].ok()) return results[0];
  *out = std::move(got[0]);
  return Status::OK();
}

}  // namespace ccow
