#include "core/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace ccow {
namespace {

TEST(BufferPoolTest, BuffersAreAlignedForDirectIoAndSizedAsAsked) {
  BufferPool pool(64 << 20);
  for (size_t size : {size_t{1}, size_t{4096}, size_t{4097}, size_t{1} << 20, (size_t{1} << 20) + 41}) {
    PooledBuffer b = pool.Get(size);
    EXPECT_EQ(b.size(), size);
    EXPECT_GE(b.capacity(), size);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 4096, 0u) << size;
    std::memset(b.data(), 0xab, b.size());  // the whole size is writable
  }
}

TEST(BufferPoolTest, AReleasedBufferIsReusedForTheSameClass) {
  BufferPool pool(64 << 20);
  const char* first;
  {
    PooledBuffer b = pool.Get(1 << 20);
    first = b.data();
  }
  EXPECT_EQ(pool.stats().idle_bytes, size_t{1} << 20);
  PooledBuffer again = pool.Get((1 << 20) - 100);  // same class
  EXPECT_EQ(again.data(), first);
  EXPECT_EQ(pool.stats().reused, 1u);
  EXPECT_EQ(pool.stats().idle_bytes, 0u);
  PooledBuffer other = pool.Get((1 << 20) + 1);  // the next class: a new allocation
  EXPECT_NE(other.data(), first);
  EXPECT_EQ(pool.stats().allocated, 2u);
}

TEST(BufferPoolTest, IdleMemoryNeverExceedsTheBound) {
  BufferPool pool(3 << 20);
  {
    std::vector<PooledBuffer> held;
    for (int i = 0; i < 8; ++i) held.push_back(pool.Get(1 << 20));
  }
  EXPECT_EQ(pool.stats().idle_bytes, size_t{3} << 20);
  EXPECT_EQ(pool.stats().freed, 5u);
}

TEST(BufferPoolTest, BuffersLargerThanTheLargestClassAreServedButNotKept) {
  BufferPool pool(size_t{1} << 30);
  { PooledBuffer big = pool.Get(BufferPool::kMaxPooledBytes + 1); EXPECT_GE(big.capacity(), BufferPool::kMaxPooledBytes + 1); }
  EXPECT_EQ(pool.stats().idle_bytes, 0u);
}

TEST(BufferPoolTest, ABufferOutlivingItsPoolIsStillValidAndFreed) {
  PooledBuffer b;
  {
    BufferPool pool(64 << 20);
    b = pool.Get(8192);
  }
  std::memset(b.data(), 1, b.size());  // ASan would flag a use after free
  b = PooledBuffer();
}

TEST(BufferPoolTest, MovedBuffersKeepTheirBytesAndResizeWithinCapacity) {
  BufferPool pool(64 << 20);
  PooledBuffer a = pool.Get(10);
  std::memcpy(a.data(), "0123456789", 10);
  PooledBuffer b = std::move(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.view(), "0123456789");
  b.Resize(4);
  EXPECT_EQ(b.view(), "0123");
}

TEST(BufferPoolTest, ConcurrentGetsAndReleasesKeepTheAccountsStraight) {
  BufferPool pool(16 << 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&pool, t] {
      for (int i = 0; i < 2000; ++i) {
        PooledBuffer b = pool.Get(size_t{4096} << ((t + i) % 6));
        b.data()[0] = static_cast<char>(i);
      }
    });
  for (auto& th : threads) th.join();
  BufferPool::Stats s = pool.stats();
  EXPECT_EQ(s.reused + s.allocated, 4u * 2000u);
  EXPECT_LE(s.idle_bytes, size_t{16} << 20);
}

}  // namespace
}  // namespace ccow
