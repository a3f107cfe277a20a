#include "client/fetching_backend.h"

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

Status FetchingBackend::GetChunk(const Chid& chid, std::string* out) {
  Status here = GetHere(chid, out);
  // A cluster answers kUnavailable when a VDEV of the chunk's row did not answer: the
  // other site may still have it (what it sends is verified here).
  if (!here.IsNotFound() && here.code() != Code::kUnavailable) return here;
  ChunkSource source;
  {
    std::lock_guard lock(mu_);
    source = source_;
  }
  if (!source) return here;
  std::string bytes;
  Status fetched = source(chid, &bytes);
  if (fetched.ok() && HashBytes(chid.algo(), bytes) != chid)
    fetched = Status::Corruption("chunk " + chid.ToString() + " fetched from the other site does not hash to its CHID");
  {
    std::lock_guard lock(mu_);
    if (fetched.ok()) {
      stats_.fetches++;
      stats_.fetched_bytes += bytes.size();
    } else {
      stats_.fetch_failures++;
    }
  }
  if (!fetched.ok()) return fetched.WithContext("chunk " + chid.ToString() + " is not stored here");
  // A cache that cannot write is no reason to fail the read.
  if (cache_) (void)cache_->Put(chid, bytes);
  *out = std::move(bytes);
  return Status::OK();
}

}  // namespace ccow
