#include "client/chunker.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace ccow {
namespace {

// The gear table fixes where content-defined cuts fall, so it is part of the format:
// changing it would stop new writes from deduplicating against old ones. It is
// splitmix64 from a fixed seed (docs/FORMAT.md §5).
constexpr std::array<uint64_t, 256> MakeGear() {
  std::array<uint64_t, 256> g{};
  uint64_t x = 0x63636f77'67656172ull;  // "ccowgear"
  for (auto& v : g) {
    x += 0x9e3779b97f4a7c15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    v = z ^ (z >> 31);
  }
  return g;
}
constexpr std::array<uint64_t, 256> kGear = MakeGear();

uint64_t TopBitsMask(int bits) {
  bits = std::clamp(bits, 1, 63);
  return ((uint64_t{1} << bits) - 1) << (64 - bits);
}

// Serves the first single_chunk_max + 1 bytes, which decide whether the object is a
// single chunk, then whatever the subclass cuts.
class StreamChunker : public Chunker {
 public:
  StreamChunker(const ObjectPolicy& policy, ByteSource* source)
      : single_max_(policy.single_chunk_max), source_(source) {}

 protected:
  // Reads the probe; returns true (and the whole object in *chunk) for a single chunk.
  // The buffer grows as data arrives: most objects are small, and zero-filling the
  // whole probe up front cost a 256 KiB memset per 4 KiB put.
  Result<bool> Probe(std::string* head, bool* single) {
    const size_t want = single_max_ + 1;
    head->resize(std::min<size_t>(want, 64 << 10));
    size_t have = 0;
    for (;;) {
      CCOW_ASSIGN_OR_RETURN(size_t got,
                            ReadFull(*source_, head->data() + have, head->size() - have));
      have += got;
      if (have < head->size() || head->size() == want) break;  // the end, or full
      head->resize(std::min(want, head->size() * 2));
    }
    head->resize(have);
    *single = have <= single_max_;
    return have > 0;
  }
  size_t single_max_;
  ByteSource* source_;
};

class FixedChunker final : public StreamChunker {
 public:
  FixedChunker(const ObjectPolicy& policy, ByteSource* source)
      : StreamChunker(policy, source), chunk_size_(policy.chunk_size) {}

  Result<bool> Next(std::string* chunk) override {
    if (!started_) {
      started_ = true;
      bool single = false;
      CCOW_ASSIGN_OR_RETURN(bool any, Probe(&head_, &single));
      if (!any) return false;
      if (single) {
        *chunk = std::move(head_);
        done_ = true;
        return true;
      }
    }
    if (done_) return false;
    // The probe holds the start of the stream; serve it before reading more.
    if (head_pos_ < head_.size()) {
      size_t take = std::min<size_t>(chunk_size_, head_.size() - head_pos_);
      chunk->assign(head_, head_pos_, take);
      head_pos_ += take;
      if (take < chunk_size_) {
        chunk->resize(chunk_size_);
        CCOW_ASSIGN_OR_RETURN(size_t got, ReadFull(*source_, chunk->data() + take,
                                                   chunk_size_ - take));
        chunk->resize(take + got);
        if (got < chunk_size_ - take) done_ = true;
      }
      if (head_pos_ == head_.size()) std::string().swap(head_);
      return !chunk->empty();
    }
    chunk->resize(chunk_size_);
    CCOW_ASSIGN_OR_RETURN(size_t got, ReadFull(*source_, chunk->data(), chunk_size_));
    chunk->resize(got);
    if (got < chunk_size_) done_ = true;
    return got > 0;
  }

 private:
  size_t chunk_size_;
  bool started_ = false, done_ = false;
  std::string head_;
  size_t head_pos_ = 0;
};

class CdcChunker final : public StreamChunker {
 public:
  CdcChunker(const ObjectPolicy& policy, ByteSource* source)
      : StreamChunker(policy, source), params_(CdcParams::ForAverage(policy.chunk_size)) {
    buf_.resize(4 * params_.max_size + single_max_ + 1);
  }

  Result<bool> Next(std::string* chunk) override {
    if (!started_) {
      started_ = true;
      std::string head;
      bool single = false;
      CCOW_ASSIGN_OR_RETURN(bool any, Probe(&head, &single));
      if (!any) return false;
      if (single) {
        *chunk = std::move(head);
        eof_ = true;
        return true;
      }
      std::memcpy(buf_.data(), head.data(), head.size());
      end_ = head.size();
    }
    CCOW_RETURN_IF_ERROR(Fill());
    if (begin_ == end_) return false;
    const auto* data = reinterpret_cast<const uint8_t*>(buf_.data() + begin_);
    size_t cut = FindCdcCut(data, end_ - begin_, params_);
    chunk->assign(buf_.data() + begin_, cut);
    begin_ += cut;
    return true;
  }

 private:
  // Ensures max_size bytes are buffered unless the stream ended.
  Status Fill() {
    if (eof_ || end_ - begin_ >= params_.max_size) return Status::OK();
    if (buf_.size() - end_ < params_.max_size) {  // compact: move the remainder to the front
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    while (end_ - begin_ < params_.max_size) {
      CCOW_ASSIGN_OR_RETURN(size_t got, source_->Read(buf_.data() + end_, buf_.size() - end_));
      if (got == 0) {
        eof_ = true;
        break;
      }
      end_ += got;
    }
    return Status::OK();
  }

  CdcParams params_;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  bool started_ = false, eof_ = false;
};

}  // namespace

CdcParams CdcParams::ForAverage(size_t avg) {
  CdcParams p;
  p.avg_size = avg;
  p.min_size = avg / 4;
  p.max_size = avg * 4;
  int bits = std::bit_width(avg) - 1;
  p.mask_small = TopBitsMask(bits + 2);
  p.mask_large = TopBitsMask(bits - 2);
  return p;
}

size_t FindCdcCut(const uint8_t* data, size_t n, const CdcParams& p) {
  if (n <= p.min_size) return n;
  size_t normal = std::min(n, p.avg_size);
  size_t limit = std::min(n, p.max_size);
  uint64_t h = 0;
  size_t i = p.min_size;
  for (; i < normal; ++i) {
    h = (h << 1) + kGear[data[i]];
    if ((h & p.mask_small) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    h = (h << 1) + kGear[data[i]];
    if ((h & p.mask_large) == 0) return i + 1;
  }
  return limit;
}

std::unique_ptr<Chunker> Chunker::Create(const ObjectPolicy& policy, ByteSource* source) {
  if (policy.chunking == ChunkingMode::kCdc) return std::make_unique<CdcChunker>(policy, source);
  return std::make_unique<FixedChunker>(policy, source);
}

}  // namespace ccow
