#include "store/segment_log.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/check.h"
#include "model/encoding.h"

namespace ccow {

std::string SegmentLocation::Encode() const {
  Encoder enc;
  enc.PutU32(segment);
  enc.PutU64(offset);
  enc.PutU32(length);
  return enc.Take();
}

Result<SegmentLocation> SegmentLocation::Decode(std::string_view bytes) {
  Decoder dec(bytes, "segment location");
  SegmentLocation loc;
  loc.segment = dec.GetU32();
  loc.offset = dec.GetU64();
  loc.length = dec.GetU32();
  CCOW_RETURN_IF_ERROR(dec.Finish());
  return loc;
}

SegmentLog::SegmentLog(std::string dir, std::shared_ptr<Medium> medium, uint64_t segment_size)
    : dir_(std::move(dir)), medium_(std::move(medium)), segment_size_(segment_size) {}

SegmentLog::~SegmentLog() {
  for (auto& [id, fd] : fds_) (void)medium_->Close(fd);
  for (auto& [id, fd] : direct_fds_)
    if (fd >= 0) (void)medium_->Close(fd);
}

std::string SegmentLog::PathOf(uint32_t id) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%08u.seg", id);
  return dir_ + "/" + name;
}

Status SegmentLog::OpenSegment(uint32_t id, bool create) {
  CCOW_ASSIGN_OR_RETURN(int fd, medium_->Open(PathOf(id), create));
  fds_[id] = fd;
  return Status::OK();
}

Result<std::unique_ptr<SegmentLog>> SegmentLog::Open(const std::string& dir,
                                                     std::shared_ptr<Medium> medium,
                                                     uint64_t segment_size,
                                                     const std::map<uint32_t, uint64_t>& durable) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, std::move(medium), segment_size));
  uint32_t max_id = 0;
  bool damaged = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string fname = entry.path().filename().string();
    unsigned id = 0;
    char tail[8] = {0};
    if (std::sscanf(fname.c_str(), "%8u.%3s", &id, tail) != 2 || std::strcmp(tail, "seg") != 0 ||
        id == 0)
      continue;
    CCOW_RETURN_IF_ERROR(log->OpenSegment(id, false));
    int fd = log->fds_[id];
    CCOW_ASSIGN_OR_RETURN(uint64_t size, log->medium_->FileSize(fd));
    auto it = durable.find(id);
    uint64_t keep = it == durable.end() ? 0 : it->second;
    if (size < keep) {
      // The medium lost acknowledged bytes. Keep the store readable: reads of chunks in
      // the lost range fail verification and name their CHID; new writes go elsewhere.
      spdlog::error("segment {} is {} bytes but {} were acknowledged durable: the medium lost "
                    "data; chunks in the lost range will fail verification",
                    log->PathOf(id), size, keep);
      damaged = true;
    } else if (size > keep) {
      // Appended but never made durable (a crash between append and sync): discard.
      spdlog::info("segment {}: discarding {} bytes written after the last sync",
                   log->PathOf(id), size - keep);
      CCOW_RETURN_IF_ERROR(log->medium_->Truncate(fd, keep));
    }
    log->lengths_[id] = keep;  // a short (damaged) segment is never appended to again
    max_id = std::max<uint32_t>(max_id, id);
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  for (const auto& [id, len] : durable) {
    max_id = std::max(max_id, id);
    if (len > 0 && !log->fds_.count(id)) {
      spdlog::error("segment {} is missing; its chunks will be reported corrupt",
                    log->PathOf(id));
      damaged = true;
    }
  }
  if (log->lengths_.empty() || damaged) {
    // Never append to (or reuse the id of) a segment whose contents are in doubt.
    uint32_t fresh = max_id + 1;
    CCOW_RETURN_IF_ERROR(log->OpenSegment(fresh, true));
    log->lengths_[fresh] = 0;
    CCOW_RETURN_IF_ERROR(log->medium_->SyncDirectory(dir));
    max_id = fresh;
  }
  log->active_ = max_id;
  return log;
}

Result<SegmentLocation> SegmentLog::Append(const HashId& chid, std::string_view payload) {
  Encoder header;
  header.PutU32(kRecordMagic);
  header.PutU32(static_cast<uint32_t>(payload.size()));
  header.PutHashId(chid);
  const std::string& h = header.data();

  std::lock_guard<std::mutex> lock(mu_);
  uint64_t record = h.size() + payload.size();
  if (lengths_[active_] > 0 && lengths_[active_] + record > segment_size_) {
    uint32_t next = active_ + 1;
    CCOW_RETURN_IF_ERROR(OpenSegment(next, true));
    lengths_[next] = 0;
    new_files_ = true;  // its directory entry must be synced too
    active_ = next;
  }
  if (payload.size() >= kDirectMin) {
    auto it = direct_fds_.find(active_);
    if (it == direct_fds_.end()) {
      CCOW_ASSIGN_OR_RETURN(int dfd, medium_->OpenDirect(PathOf(active_)));
      it = direct_fds_.emplace(active_, dfd).first;
    }
    if (it->second >= 0) return AppendDirect(it->second, h, payload);
  }
  // Every segment id in lengths_ was opened (OpenSegment) before it became active;
  // fds_[active_] on a missing id would insert fd 0 and write the record to stdin.
  CCOW_CHECK(fds_.count(active_) == 1);
  uint64_t at = lengths_[active_];
  struct iovec iov[2] = {{const_cast<char*>(h.data()), h.size()},
                         {const_cast<char*>(payload.data()), payload.size()}};
  Status st = medium_->WriteAt(fds_[active_], iov, 2, at);
  if (!st.ok()) {
    (void)medium_->Truncate(fds_[active_], at);  // leave no partial record behind
    return st.WithContext("segment " + PathOf(active_));
  }
  lengths_[active_] = at + record;
  dirty_[active_] = lengths_[active_];
  return SegmentLocation{active_, at + h.size(), static_cast<uint32_t>(payload.size())};
}

// Called with mu_ held. The record goes to the next 4 KiB boundary (the gap after a small
// buffered record stays a hole of zeros) and is padded to one, from an aligned copy: the
// user-space copy costs far less than the page-cache copy it replaces.
Result<SegmentLocation> SegmentLog::AppendDirect(int fd, const std::string& header,
                                                 std::string_view payload) {
  constexpr size_t kAlign = Medium::kDirectAlignment;
  uint64_t before = lengths_[active_];
  uint64_t at = (before + kAlign - 1) / kAlign * kAlign;
  CCOW_CHECK(fds_.count(active_) == 1);
  size_t record = header.size() + payload.size();
  size_t padded = (record + kAlign - 1) / kAlign * kAlign;
  void* raw = std::aligned_alloc(kAlign, padded);
  if (!raw) return Status::NoSpace("out of memory for a " + std::to_string(padded) + "-byte record");
  std::unique_ptr<char, decltype(&std::free)> buf(static_cast<char*>(raw), &std::free);
  std::memcpy(buf.get(), header.data(), header.size());
  std::memcpy(buf.get() + header.size(), payload.data(), payload.size());
  std::memset(buf.get() + record, 0, padded - record);
  struct iovec iov = {buf.get(), padded};
  Status st = medium_->WriteAt(fd, &iov, 1, at);
  if (!st.ok()) {
    (void)medium_->Truncate(fds_[active_], before);  // leave no partial record behind
    return st.WithContext("segment " + PathOf(active_));
  }
  lengths_[active_] = at + padded;
  dirty_[active_] = lengths_[active_];
  return SegmentLocation{active_, at + header.size(), static_cast<uint32_t>(payload.size())};
}

Status SegmentLog::Sync(std::vector<std::pair<uint32_t, uint64_t>>* durable) {
  std::lock_guard<std::mutex> sync_lock(sync_mu_);
  std::map<uint32_t, uint64_t> dirty;
  std::vector<int> fds;
  bool new_files = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty.swap(dirty_);
    std::swap(new_files, new_files_);
    for (auto& [id, len] : dirty) {
      // Lengths only grow between syncs (a failed append cuts back to where it began).
      CCOW_CHECK(lengths_[id] >= len && fds_.count(id) == 1);
      len = lengths_[id];
      fds.push_back(fds_[id]);
    }
  }
  size_t i = 0;
  for (auto& [id, len] : dirty) {
    Status st = medium_->Sync(fds[i++]);
    if (!st.ok()) {
      // After a failed fsync the page cache can no longer be trusted; the caller must
      // stop acknowledging writes (see ChunkStore::Sync).
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [rid, rlen] : dirty) dirty_.emplace(rid, rlen);
      new_files_ = new_files_ || new_files;
      return st.WithContext("segment " + PathOf(id));
    }
    durable->emplace_back(id, len);
  }
  if (new_files) CCOW_RETURN_IF_ERROR(medium_->SyncDirectory(dir_));
  return Status::OK();
}

Result<int> SegmentLog::FdOf(uint32_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = fds_.find(id);
  if (it == fds_.end())
    return Status::Corruption("segment " + PathOf(id) + " is missing");
  return it->second;
}

Result<int> SegmentLog::DirectFdOf(uint32_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = direct_fds_.find(id);
  if (it != direct_fds_.end()) return it->second;
  if (!fds_.count(id)) return Status::Corruption("segment " + PathOf(id) + " is missing");
  CCOW_ASSIGN_OR_RETURN(int dfd, medium_->OpenDirect(PathOf(id)));
  direct_fds_[id] = dfd;
  return dfd;
}

Status SegmentLog::Read(const SegmentLocation& loc, std::string* out) {
  if (loc.length >= kDirectMin) {
    // Large records were written with direct I/O and padded to 4 KiB, so the aligned
    // pages around the payload are in the file; reading them directly skips filling the
    // page cache, which on this kind of VM costs more than the copy out of the buffer.
    CCOW_ASSIGN_OR_RETURN(int dfd, DirectFdOf(loc.segment));
    if (dfd >= 0) {
      constexpr size_t kAlign = Medium::kDirectAlignment;
      uint64_t begin = loc.offset / kAlign * kAlign;
      uint64_t end = (loc.offset + loc.length + kAlign - 1) / kAlign * kAlign;
      void* raw = std::aligned_alloc(kAlign, end - begin);
      if (!raw) return Status::IOError("out of memory reading a " + std::to_string(loc.length) + "-byte chunk");
      std::unique_ptr<char, decltype(&std::free)> buf(static_cast<char*>(raw), &std::free);
      Status st = medium_->ReadAt(dfd, buf.get(), end - begin, begin);
      if (!st.ok()) return st.WithContext("segment " + PathOf(loc.segment));
      out->assign(buf.get() + (loc.offset - begin), loc.length);
      return Status::OK();
    }
  }
  CCOW_ASSIGN_OR_RETURN(int fd, FdOf(loc.segment));
  out->resize(loc.length);
  Status st = medium_->ReadAt(fd, out->data(), loc.length, loc.offset);
  if (!st.ok()) return st.WithContext("segment " + PathOf(loc.segment));
  return Status::OK();
}

uint64_t SegmentLog::bytes_on_disk() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t total = 0;
  for (const auto& [id, len] : lengths_) total += len;
  return total;
}

}  // namespace ccow
