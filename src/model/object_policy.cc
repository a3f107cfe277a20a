#include "model/object_policy.h"

namespace ccow {

const char* ChunkingModeName(ChunkingMode mode) {
  return mode == ChunkingMode::kCdc ? "cdc" : "fixed";
}

Result<ChunkingMode> ParseChunkingMode(const std::string& name) {
  if (name == "fixed") return ChunkingMode::kFixed;
  if (name == "cdc") return ChunkingMode::kCdc;
  return Status::InvalidArgument("unknown chunking mode '" + name + "' (choose fixed or cdc)");
}

Status ObjectPolicy::Validate() const {
  if (DigestSize(hash) == 0) return Status::InvalidArgument("unknown hash algorithm");
  if (chunk_size < 4096 || chunk_size > (16u << 20))
    return Status::InvalidArgument("chunk size " + std::to_string(chunk_size) +
                                   " is outside 4 KiB..16 MiB");
  if (single_chunk_max > (16u << 20))
    return Status::InvalidArgument("single-chunk limit is above 16 MiB");
  if (manifest_fanout < 2 || manifest_fanout > 65536)
    return Status::InvalidArgument("manifest fan-out must be 2..65536");
  if (chunking != ChunkingMode::kFixed && chunking != ChunkingMode::kCdc)
    return Status::InvalidArgument("unknown chunking mode");
  return Status::OK();
}

}  // namespace ccow
