// One block of a file's data in a file layer volume (fs/volume.h; issue 15): the pieces
// that hold its bytes, each a range of a chunk, sorted by where they start in the block
// and not overlapping; what no piece covers is a hole (zeros). A write lays a new piece
// over the block (Overlay), cutting the pieces it covers; nothing in a chunk is copied.
// Encoded as a value of the volume's B+tree (docs/FORMAT.md "Volume records").
//
// Errors (Decode): kCorruption for anything but a well-formed block (pieces out of order,
// overlapping, empty, or past the block's end).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/object_name.h"

namespace ccow::fs {

struct FileBlock {
  static constexpr uint8_t kFormatVersion = 1;
  struct Piece {
    uint64_t start = 0;   // in the block
    uint64_t length = 0;
    Chid chid;
    uint64_t chunk_offset = 0;  // where its bytes begin in the chunk
    uint64_t chunk_length = 0;  // the whole chunk's (what the volume's checkpoint references)
    uint64_t end() const { return start + length; }
    friend bool operator==(const Piece&, const Piece&) = default;
  };
  std::vector<Piece> pieces;

  // Lays `piece` over the block: what it covers of other pieces is cut away.
  void Overlay(const Piece& piece);
  // Keeps only what lies below `size` (in the block).
  void CutAt(uint64_t size);
  std::string Encode() const;
  static Result<FileBlock> Decode(std::string_view bytes, uint64_t block_bytes);
  friend bool operator==(const FileBlock&, const FileBlock&) = default;
};

}  // namespace ccow::fs
