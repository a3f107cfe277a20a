#include "core/compression.h"

#include <zstd.h>

#include <memory>

#include "core/check.h"

namespace ccow {

std::string ZstdCompress(std::string_view in, int level) {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  CCOW_CHECK(cctx != nullptr);
  // The frame carries its size (the reader bounds its allocation by it) and a checksum of
  // its content (a damaged frame is refused, never read as other bytes).
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1);
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const size_t n = ZSTD_compress2(cctx.get(), out.data(), out.size(), in.data(), in.size());
  // Compressing into a buffer of ZSTD_compressBound cannot fail but for a bad level.
  CCOW_CHECK(!ZSTD_isError(n));
  out.resize(n);
  return out;
}

Result<std::string> ZstdDecompress(std::string_view frame, size_t max_bytes) {
  const size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size))
    return Status::InvalidArgument(std::string("not a zstd frame: ") + ZSTD_getErrorName(frame_size));
  if (frame_size != frame.size())
    return Status::InvalidArgument(std::to_string(frame.size() - frame_size) + " bytes after the zstd frame");
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
    return Status::InvalidArgument("a zstd frame that does not record its size");
  if (size > max_bytes)
    return Status::InvalidArgument("a zstd frame of " + std::to_string(size) + " bytes, over the limit of " +
                                   std::to_string(max_bytes));
  std::string out(static_cast<size_t>(size), '\0');
  const size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) return Status::InvalidArgument(std::string("a corrupt zstd frame: ") + ZSTD_getErrorName(n));
  if (n != out.size()) return Status::InvalidArgument("a zstd frame shorter than the size it records");
  return out;
}

}  // namespace ccow
