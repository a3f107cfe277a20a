#include "client/chunk_cache.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace ccow {
namespace {

namespace fs = std::filesystem;

// The protected segment's share of the capacity, in percent.
constexpr uint64_t kProtectedPercent = 80;

}  // namespace

Result<std::unique_ptr<ChunkCache>> ChunkCache::Open(const std::string& dir, uint64_t capacity_bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("chunk cache directory " + dir + ": " + ec.message());
  std::unique_ptr<ChunkCache> cache(new ChunkCache(dir, capacity_bytes));
  // What an earlier run left: indexed oldest first, so the newest end up most recent.
  std::vector<std::tuple<fs::file_time_type, std::string, uint64_t>> found;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    std::error_code ec2;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0 && name[0] == '.') {
      fs::remove(e.path(), ec2);  // a put cut short
      continue;
    }
    auto key = FromHex(name);
    if (!key.ok() || !HashId::FromKey(*key).ok() || !e.is_regular_file(ec2)) continue;  // not ours: left alone
    found.emplace_back(e.last_write_time(ec2), name, e.file_size(ec2));
  }
  if (ec) return Status::IOError("chunk cache directory " + dir + ": " + ec.message());
  std::sort(found.begin(), found.end());
  std::lock_guard lock(cache->mu_);
  for (const auto& [when, name, size] : found) cache->Insert(name, size);
  if (capacity_bytes != kBoundUnknown) cache->EvictTo(cache->capacity_);
  return cache;
}

std::string ChunkCache::KeyOf(const HashId& chid) {
  const std::string raw = chid.ToKey();
  return ToHex(raw.data(), raw.size());
}

std::string ChunkCache::PathOf(const std::string& key) const { return dir_ + "/" + key; }

void ChunkCache::Insert(const std::string& key, uint64_t size) {
  probation_.push_front(key);
  index_[key] = Entry{size, false, probation_.begin()};
  bytes_ += size;
}

void ChunkCache::Remove(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  (it->second.is_protected ? protected_ : probation_).erase(it->second.at);
  bytes_ -= it->second.size;
  if (it->second.is_protected) protected_bytes_ -= it->second.size;
  index_.erase(it);
  std::error_code ec;
  fs::remove(PathOf(key), ec);
}

void ChunkCache::Promote(const std::string& key) {
  Entry& e = index_.at(key);
  if (e.is_protected) {
    protected_.splice(protected_.begin(), protected_, e.at);
    return;
  }
  protected_.splice(protected_.begin(), probation_, e.at);
  e.is_protected = true;
  protected_bytes_ += e.size;
  // The protected segment's least recent fall back to probation, as most recent there.
  while (protected_bytes_ > capacity_ * kProtectedPercent / 100 && protected_.size() > 1) {
    const std::string demoted = protected_.back();
    Entry& d = index_.at(demoted);
    probation_.splice(probation_.begin(), protected_, d.at);
    d.is_protected = false;
    protected_bytes_ -= d.size;
  }
}

void ChunkCache::EvictTo(uint64_t capacity) {
  while (bytes_ > capacity && (!probation_.empty() || !protected_.empty())) {
    // Probation's least recent, unless that is the one chunk just put there.
    const bool from_probation = !probation_.empty() && (probation_.size() > 1 || protected_.empty());
    const std::string victim = from_probation ? probation_.back() : protected_.back();
    Remove(victim);
    stats_.evictions++;
  }
}

bool ChunkCache::Contains(const HashId& chid) const {
  std::lock_guard lock(mu_);
  return index_.count(KeyOf(chid)) != 0;
}

Status ChunkCache::Get(const HashId& chid, std::string* out) {
  const std::string key = KeyOf(chid);
  {
    std::lock_guard lock(mu_);
    if (!index_.count(key)) {
      stats_.misses++;
      return Status::NotFound("chunk " + chid.ToString() + " is not cached");
    }
  }
  // Read outside the lock: an eviction meanwhile makes this a miss.
  std::ifstream in(PathOf(key), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::lock_guard lock(mu_);
  if (!in.good() && !in.eof()) bytes.clear();
  if (bytes.empty() || HashBytes(chid.algo(), bytes) != chid) {
    Remove(key);  // damaged, or evicted while read
    stats_.misses++;
    return Status::NotFound("chunk " + chid.ToString() + " is not cached");
  }
  if (index_.count(key)) Promote(key);
  stats_.hits++;
  *out = std::move(bytes);
  return Status::OK();
}

Status ChunkCache::Put(const HashId& chid, std::string_view bytes) {
  const std::string key = KeyOf(chid);
  {
    std::lock_guard lock(mu_);
    if (capacity_ == kBoundUnknown || bytes.size() > capacity_ || index_.count(key)) return Status::OK();
  }
  // Written beside, then renamed: a crash leaves no partial chunk under its name. No
  // fsync: a chunk lost with a power cut is fetched again.
  static std::atomic<uint64_t> serial{0};
  const std::string tmp = PathOf("." + key + "." + std::to_string(serial.fetch_add(1)) + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f.good()) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return Status::IOError("writing chunk cache file " + tmp);
    }
  }
  std::error_code ec;
  fs::rename(tmp, PathOf(key), ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Status::IOError("chunk cache file " + PathOf(key) + ": " + ec.message());
  }
  std::lock_guard lock(mu_);
  if (index_.count(key)) return Status::OK();  // another thread put it meanwhile
  Insert(key, bytes.size());
  stats_.inserts++;
  // Room for the new chunk comes from the others first.
  EvictTo(capacity_);
  return Status::OK();
}

void ChunkCache::SetCapacity(uint64_t bytes) {
  std::lock_guard lock(mu_);
  capacity_ = bytes;
  EvictTo(capacity_);
}

ChunkCacheStats ChunkCache::stats() const {
  std::lock_guard lock(mu_);
  ChunkCacheStats s = stats_;
  s.bytes = bytes_;
  s.chunks = index_.size();
  s.capacity = capacity_;
  return s;
}

}  // namespace ccow
