// zstd frames (libzstd), for bytes that cross a slow link: an Inter-Segment Gateway link's
// request bodies (isgw/isgw_link.h). Content-addressed chunks are stored as they are; only
// what travels is compressed, and only when that pays.
//
// Threads: both functions are reentrant (each call has its own context).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ccow {

// One zstd frame of `in` that records its decompressed size and a checksum of it; level
// 1..19 (3: zstd's default, hundreds of MB/s a core).
std::string ZstdCompress(std::string_view in, int level = 3);

// The bytes of one zstd frame. kInvalidArgument for anything else (not zstd, truncated,
// trailing bytes, a frame that does not record its size, content that does not match the
// checksum a frame carries) and for a frame that would
// decompress to more than max_bytes, which is refused before anything is allocated.
Result<std::string> ZstdDecompress(std::string_view frame, size_t max_bytes);

}  // namespace ccow
