// Reusable byte buffers for the data path: a chunk being reassembled from a train, a
// record written with O_DIRECT.
//
// Why: a fresh multi-megabyte allocation is a fresh mmap. Its pages fault in one by one,
// are zero-filled by the kernel (and often again by std::string::assign), and are
// unmapped when freed; a profile of the targets during a large replicated put spent a
// third of their CPU there (issue 12). A pool hands back memory whose pages are already
// mapped, uninitialized, so moving a chunk costs its copies and nothing else.
//
// Buffers come in power-of-two size classes from 4 KiB, aligned to 4 KiB (O_DIRECT
// needs that). A released buffer is kept for reuse while the idle ones total at most
// max_idle_bytes; beyond, it is freed. Requests above kMaxPooledBytes are served but
// never kept. What is in use is never limited here: callers bound their own use (the
// target's max_buffered_bytes).
//
// Thread-safe. A PooledBuffer may outlive its pool's owner: it keeps the pool alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace ccow {

class BufferPool;

// An uninitialized byte buffer of size() bytes (capacity() >= size()), 4 KiB aligned,
// returned to its pool when destroyed. Move-only.
class PooledBuffer {
 public:
  PooledBuffer() = default;
  PooledBuffer(PooledBuffer&& other) noexcept { *this = std::move(other); }
  PooledBuffer& operator=(PooledBuffer&& other) noexcept;
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;
  ~PooledBuffer() { Release(); }

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_, size_}; }
  // Changes the size within the capacity (contents kept).
  void Resize(size_t size);

 private:
  friend class BufferPool;
  struct Shared;
  void Release();

  std::shared_ptr<Shared> pool_;
  char* data_ = nullptr;
  size_t size_ = 0, capacity_ = 0;
};

class BufferPool {
 public:
  static constexpr size_t kMinClassBytes = 4096;
  static constexpr size_t kMaxPooledBytes = size_t{32} << 20;

  explicit BufferPool(size_t max_idle_bytes);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of `size` bytes, reused when one of its class is idle. Throws std::bad_alloc
  // when the process is out of memory, as operator new does.
  PooledBuffer Get(size_t size);

  struct Stats {
    size_t idle_bytes = 0;  // kept for reuse now
    uint64_t reused = 0, allocated = 0, freed = 0;  // since creation
  };
  Stats stats() const;

 private:
  std::shared_ptr<PooledBuffer::Shared> shared_;
};

}  // namespace ccow
