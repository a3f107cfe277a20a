#include "store/segment_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

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

SegmentLog::~SegmentLog() = default;  // each File closes its descriptors with its last user

SegmentLog::File::~File() {
  (void)medium->Close(fd);
  if (direct_fd >= 0) (void)medium->Close(direct_fd);
}

uint64_t SegmentLog::Footprint(const HashId& chid, const SegmentLocation& loc) {
  constexpr uint64_t kAlign = Medium::kDirectAlignment;
  uint64_t header = HeaderSize(chid);
  uint64_t bytes = header + loc.length;
  if (loc.length >= kDirectMin && loc.offset >= header && (loc.offset - header) % kAlign == 0)
    bytes = (bytes + kAlign - 1) / kAlign * kAlign;
  return bytes;
}

std::string SegmentLog::PathOf(uint32_t id) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%08u.seg", id);
  return dir_ + "/" + name;
}

Status SegmentLog::OpenSegment(uint32_t id, bool create) {
  CCOW_ASSIGN_OR_RETURN(int fd, medium_->Open(PathOf(id), create));
  auto file = std::make_shared<File>();
  file->medium = medium_;
  file->fd = fd;
  files_[id] = std::move(file);
  return Status::OK();
}

void SegmentLog::SetLengthLocked(uint32_t id, uint64_t length) {
  uint64_t& current = lengths_[id];
  CCOW_CHECK(total_length_ >= current);
  total_length_ = total_length_ - current + length;
  current = length;
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
  std::vector<uint32_t> unrecorded;  // files with no recorded durable length
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string fname = entry.path().filename().string();
    unsigned id = 0;
    char tail[8] = {0};
    if (std::sscanf(fname.c_str(), "%8u.%3s", &id, tail) != 2 || std::strcmp(tail, "seg") != 0 ||
        id == 0)
      continue;
    CCOW_RETURN_IF_ERROR(log->OpenSegment(id, false));
    int fd = log->files_[id]->fd;
    CCOW_ASSIGN_OR_RETURN(uint64_t size, log->medium_->FileSize(fd));
    auto it = durable.find(id);
    uint64_t keep = it == durable.end() ? 0 : it->second;
    if (it == durable.end()) unrecorded.push_back(id);
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
    log->SetLengthLocked(id, keep);  // a short (damaged) segment is never appended to again
    max_id = std::max<uint32_t>(max_id, id);
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  for (const auto& [id, len] : durable) {
    max_id = std::max(max_id, id);
    if (len > 0 && !log->files_.count(id)) {
      spdlog::error("segment {} is missing; its chunks will be reported corrupt",
                    log->PathOf(id));
      damaged = true;
    }
  }
  // A file with no recorded length holds nothing the index refers to: the index records a
  // segment's length in the same write as the first location in it, and compaction drops
  // the record in the write that moves the last live chunk out. Below the highest id it
  // is an orphan (a compaction stopped before deleting it, or a segment never synced).
  for (uint32_t id : unrecorded) {
    if (id == max_id) continue;  // may be the segment appends were going to: keep using it
    spdlog::info("segment {}: deleting the file, which has no recorded length (left by an "
                 "interrupted compaction, or never synced)", log->PathOf(id));
    log->files_.erase(id);
    log->SetLengthLocked(id, 0);
    log->lengths_.erase(id);
    CCOW_RETURN_IF_ERROR(log->medium_->Remove(log->PathOf(id)));
  }
  if (log->lengths_.empty() || damaged) {
    // Never append to (or reuse the id of) a segment whose contents are in doubt.
    uint32_t fresh = max_id + 1;
    CCOW_RETURN_IF_ERROR(log->OpenSegment(fresh, true));
    log->SetLengthLocked(fresh, 0);
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
    SetLengthLocked(next, 0);
    new_files_ = true;  // its directory entry must be synced too
    active_ = next;
  }
  // Every segment id in lengths_ was opened (OpenSegment) before it became active.
  CCOW_CHECK(files_.count(active_) == 1);
  File& file = *files_[active_];
  if (payload.size() >= kDirectMin) {
    CCOW_RETURN_IF_ERROR(EnsureDirectLocked(file, active_));
    if (file.direct_fd >= 0) return AppendDirect(file, h, payload);
  }
  uint64_t at = lengths_[active_];
  struct iovec iov[2] = {{const_cast<char*>(h.data()), h.size()},
                         {const_cast<char*>(payload.data()), payload.size()}};
  Status st = medium_->WriteAt(file.fd, iov, 2, at);
  if (!st.ok()) {
    (void)medium_->Truncate(file.fd, at);  // leave no partial record behind
    return st.WithContext("segment " + PathOf(active_));
  }
  SetLengthLocked(active_, at + record);
  dirty_[active_] = lengths_[active_];
  return SegmentLocation{active_, at + h.size(), static_cast<uint32_t>(payload.size())};
}

// Called with mu_ held. The record goes to the next 4 KiB boundary (the gap after a small
// buffered record stays a hole of zeros) and is padded to one, from an aligned copy: the
// user-space copy costs far less than the page-cache copy it replaces.
Result<SegmentLocation> SegmentLog::AppendDirect(File& file, const std::string& header,
                                                 std::string_view payload) {
  constexpr size_t kAlign = Medium::kDirectAlignment;
  uint64_t before = lengths_[active_];
  uint64_t at = (before + kAlign - 1) / kAlign * kAlign;
  size_t record = header.size() + payload.size();
  size_t padded = (record + kAlign - 1) / kAlign * kAlign;
  static_assert(kAlign <= BufferPool::kMinClassBytes, "pooled buffers are aligned for O_DIRECT");
  // A reused buffer: a fresh one would fault its pages in (and out) for every record.
  PooledBuffer buf = direct_buffers_.Get(padded);
  std::memcpy(buf.data(), header.data(), header.size());
  std::memcpy(buf.data() + header.size(), payload.data(), payload.size());
  std::memset(buf.data() + record, 0, padded - record);
  struct iovec iov = {buf.data(), padded};
  Status st = medium_->WriteAt(file.direct_fd, &iov, 1, at);
  if (!st.ok()) {
    (void)medium_->Truncate(file.fd, before);  // leave no partial record behind
    return st.WithContext("segment " + PathOf(active_));
  }
  SetLengthLocked(active_, at + padded);
  dirty_[active_] = lengths_[active_];
  return SegmentLocation{active_, at + header.size(), static_cast<uint32_t>(payload.size())};
}

Status SegmentLog::Sync(std::vector<std::pair<uint32_t, uint64_t>>* durable) {
  std::lock_guard<std::mutex> sync_lock(sync_mu_);
  std::map<uint32_t, uint64_t> dirty;
  std::vector<std::shared_ptr<File>> files;
  bool new_files = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty.swap(dirty_);
    std::swap(new_files, new_files_);
    for (auto& [id, len] : dirty) {
      // Lengths only grow between syncs (a failed append cuts back to where it began),
      // and a segment with appends not yet synced is never removed.
      CCOW_CHECK(lengths_[id] >= len && files_.count(id) == 1);
      len = lengths_[id];
      files.push_back(files_[id]);
    }
  }
  size_t i = 0;
  for (auto& [id, len] : dirty) {
    Status st = medium_->Sync(files[i++]->fd);
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

Result<std::shared_ptr<SegmentLog::File>> SegmentLog::FileOf(uint32_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(id);
  if (it == files_.end())
    return Status::Corruption("segment " + PathOf(id) + " is missing");
  return it->second;
}

Status SegmentLog::EnsureDirectLocked(File& file, uint32_t id) {
  if (file.direct_fd != File::kDirectUnopened) return Status::OK();
  CCOW_ASSIGN_OR_RETURN(int dfd, medium_->OpenDirect(PathOf(id)));
  file.direct_fd = dfd;
  return Status::OK();
}

Status SegmentLog::Read(const SegmentLocation& loc, std::string* out) {
  std::shared_ptr<File> file;
  int dfd = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(loc.segment);
    if (it == files_.end())
      return Status::Corruption("segment " + PathOf(loc.segment) + " is missing");
    file = it->second;  // keeps the descriptors open until this read is done
    if (loc.length >= kDirectMin) {
      CCOW_RETURN_IF_ERROR(EnsureDirectLocked(*file, loc.segment));
      dfd = file->direct_fd;
    }
  }
  if (dfd >= 0) {
    // Large records were written with direct I/O and padded to 4 KiB, so the aligned
    // pages around the payload are in the file; reading them directly skips filling the
    // page cache, which on this kind of VM costs more than the copy out of the buffer.
    constexpr size_t kAlign = Medium::kDirectAlignment;
    uint64_t begin = loc.offset / kAlign * kAlign;
    uint64_t end = (loc.offset + loc.length + kAlign - 1) / kAlign * kAlign;
    PooledBuffer buf = direct_buffers_.Get(end - begin);  // reused: no page faults per read
    Status st = medium_->ReadAt(dfd, buf.data(), end - begin, begin);
    if (st.ok()) {
      out->assign(buf.data() + (loc.offset - begin), loc.length);
      return Status::OK();
    }
    // A record written without direct I/O (by a medium without it, e.g. tmpfs) is not
    // padded: the last one in a file ends before the 4 KiB boundary the aligned read asks
    // for. Read just the payload instead, which also reports real truncation precisely.
  }
  out->resize(loc.length);
  Status st = medium_->ReadAt(file->fd, out->data(), loc.length, loc.offset);
  if (!st.ok()) return st.WithContext("segment " + PathOf(loc.segment));
  return Status::OK();
}

Status SegmentLog::ForEachRecord(
    uint32_t id, const std::function<bool(const HashId&, const SegmentLocation&)>& fn) {
  constexpr uint64_t kAlign = Medium::kDirectAlignment;
  CCOW_ASSIGN_OR_RETURN(std::shared_ptr<File> file, FileOf(id));
  uint64_t end = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = lengths_.find(id);
    if (it == lengths_.end()) return Status::Corruption("segment " + PathOf(id) + " is missing");
    end = it->second;
  }
  char buf[8 + 1 + HashId::kMaxDigest];
  uint64_t pos = 0;
  while (pos < end) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof(buf), end - pos));
    Status st = medium_->ReadAt(file->fd, buf, n, pos);
    if (!st.ok()) return st.WithContext("segment " + PathOf(id));
    Decoder d(std::string_view(buf, n), "segment record header");
    uint32_t magic = d.GetU32();
    if (d.status().ok() && magic == 0) {
      // Padding: zeros run from the end of a record to the next 4 KiB boundary, where
      // the next (directly written) record starts.
      pos = (pos / kAlign + 1) * kAlign;
      continue;
    }
    uint32_t length = d.GetU32();
    HashId chid = d.GetHashId();
    if (!d.status().ok() || magic != kRecordMagic)
      return Status::Corruption("segment " + PathOf(id) + " has no record at offset " +
                                std::to_string(pos) + " (of " + std::to_string(end) + ")");
    SegmentLocation loc{id, pos + HeaderSize(chid), length};
    if (loc.offset + length > end)
      return Status::Corruption("segment " + PathOf(id) + ": the record at offset " +
                                std::to_string(pos) + " runs past the end of the file");
    if (!fn(chid, loc)) return Status::OK();
    pos = loc.offset + length;
  }
  return Status::OK();
}

Status SegmentLog::Remove(uint32_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    CCOW_CHECK(id != active_);
    CCOW_CHECK(dirty_.count(id) == 0);
    auto it = files_.find(id);
    if (it == files_.end()) return Status::NotFound("segment " + PathOf(id) + " is not open");
    files_.erase(it);  // reads in flight keep their handle; the descriptors close after them
    SetLengthLocked(id, 0);
    lengths_.erase(id);
  }
  return medium_->Remove(PathOf(id));
}

Status SegmentLog::Roll() {
  std::lock_guard<std::mutex> lock(mu_);
  if (lengths_[active_] == 0) return Status::OK();
  uint32_t next = active_ + 1;
  CCOW_RETURN_IF_ERROR(OpenSegment(next, true));
  SetLengthLocked(next, 0);
  new_files_ = true;  // its directory entry must be synced too
  active_ = next;
  return Status::OK();
}

uint32_t SegmentLog::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_;
}

std::map<uint32_t, uint64_t> SegmentLog::Lengths() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lengths_;
}

uint64_t SegmentLog::bytes_on_disk() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_length_;
}

}  // namespace ccow
