#include "core/buffer_pool.h"

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "core/check.h"

namespace ccow {

struct PooledBuffer::Shared {
  explicit Shared(size_t max_idle) : max_idle_bytes(max_idle) {}
  ~Shared() {
    for (auto& list : idle)
      for (char* p : list) std::free(p);
  }

  // Classes 4 KiB << i up to kMaxPooledBytes.
  static constexpr int kClasses = std::countr_zero(BufferPool::kMaxPooledBytes / BufferPool::kMinClassBytes) + 1;
  static size_t ClassBytes(int c) { return BufferPool::kMinClassBytes << c; }
  static int ClassOf(size_t size) {  // the smallest class that holds size; kClasses if none
    if (size <= BufferPool::kMinClassBytes) return 0;
    int c = std::bit_width((size - 1) / BufferPool::kMinClassBytes);
    return c < kClasses ? c : kClasses;
  }

  const size_t max_idle_bytes;
  std::mutex mu;
  std::vector<char*> idle[kClasses];
  BufferPool::Stats stats;
};

PooledBuffer& PooledBuffer::operator=(PooledBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::move(other.pool_);
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  return *this;
}

void PooledBuffer::Resize(size_t size) {
  CCOW_CHECK(size <= capacity_);
  size_ = size;
}

void PooledBuffer::Release() {
  if (data_ == nullptr) return;
  char* p = data_;
  data_ = nullptr;
  const int c = Shared::ClassOf(capacity_);
  bool keep = false;
  if (pool_ && c < Shared::kClasses && Shared::ClassBytes(c) == capacity_) {
    std::lock_guard lock(pool_->mu);
    if (pool_->stats.idle_bytes + capacity_ <= pool_->max_idle_bytes) {
      pool_->idle[c].push_back(p);
      pool_->stats.idle_bytes += capacity_;
      keep = true;
    } else {
      ++pool_->stats.freed;
    }
  }
  if (!keep) std::free(p);
  size_ = capacity_ = 0;
  pool_.reset();
}

BufferPool::BufferPool(size_t max_idle_bytes)
    : shared_(std::make_shared<PooledBuffer::Shared>(max_idle_bytes)) {}

BufferPool::~BufferPool() = default;

PooledBuffer BufferPool::Get(size_t size) {
  using Shared = PooledBuffer::Shared;
  PooledBuffer b;
  b.pool_ = shared_;
  const int c = Shared::ClassOf(size);
  size_t capacity = c < Shared::kClasses ? Shared::ClassBytes(c)
                                         : (size + kMinClassBytes - 1) / kMinClassBytes * kMinClassBytes;
  if (c < Shared::kClasses) {
    std::lock_guard lock(shared_->mu);
    auto& list = shared_->idle[c];
    if (!list.empty()) {
      b.data_ = list.back();
      list.pop_back();
      shared_->stats.idle_bytes -= capacity;
      ++shared_->stats.reused;
    } else {
      ++shared_->stats.allocated;
    }
  }
  if (b.data_ == nullptr) {
    if (c == Shared::kClasses) {
      std::lock_guard lock(shared_->mu);
      ++shared_->stats.allocated;
    }
    b.data_ = static_cast<char*>(std::aligned_alloc(kMinClassBytes, capacity));
    if (b.data_ == nullptr) throw std::bad_alloc();
  }
  b.capacity_ = capacity;
  b.size_ = size;
  return b;
}

BufferPool::Stats BufferPool::stats() const {
  std::lock_guard lock(shared_->mu);
  return shared_->stats;
}

}  // namespace ccow
