// Cutting a byte stream into payload chunks, with memory bounded by a few chunk sizes.
//
// Fixed chunking cuts every chunk_size bytes. Content-defined chunking (FastCDC-style
// gear hash with normalized chunking) cuts where the content says, so inserting bytes in
// the middle of a file changes only the chunks around the insertion and everything else
// deduplicates. Either way, an object of at most single_chunk_max bytes is one chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "client/byte_stream.h"
#include "core/status.h"
#include "model/object_policy.h"

namespace ccow {

class Chunker {
 public:
  static std::unique_ptr<Chunker> Create(const ObjectPolicy& policy, ByteSource* source);
  virtual ~Chunker() = default;
  // Fills *chunk with the next chunk; returns false at the end of the stream.
  virtual Result<bool> Next(std::string* chunk) = 0;
};

// Content-defined cut parameters for an average chunk size (a power of two is not
// required; the masks use floor(log2(avg)) bits).
struct CdcParams {
  size_t min_size, avg_size, max_size;
  uint64_t mask_small, mask_large;  // stricter before avg, looser after
  static CdcParams ForAverage(size_t avg);
};

// Length of the first chunk of data[0, n): a content-defined cut, or n when n <= min,
// or max when no cut point is found before it. Exposed for benchmarks and tests.
size_t FindCdcCut(const uint8_t* data, size_t n, const CdcParams& params);

}  // namespace ccow
