#include "fs/file_block.h"

#include <algorithm>

#include "model/encoding.h"

namespace ccow::fs {

void FileBlock::Overlay(const Piece& piece) {
  std::vector<Piece> out;
  for (const Piece& p : pieces) {
    if (p.end() <= piece.start || p.start >= piece.end()) {
      out.push_back(p);
      continue;
    }
    if (p.start < piece.start) {  // the part before the new piece
      Piece head = p;
      head.length = piece.start - p.start;
      out.push_back(head);
    }
    if (p.end() > piece.end()) {  // the part after it
      Piece tail = p;
      const uint64_t skip = piece.end() - p.start;
      tail.start = piece.end();
      tail.length = p.length - skip;
      tail.chunk_offset = p.chunk_offset + skip;
      out.push_back(tail);
    }
  }
  out.push_back(piece);
  std::sort(out.begin(), out.end(), [](const Piece& a, const Piece& b) { return a.start < b.start; });
  pieces = std::move(out);
}

void FileBlock::CutAt(uint64_t size) {
  std::vector<Piece> out;
  for (Piece p : pieces) {
    if (p.start >= size) continue;
    if (p.end() > size) p.length = size - p.start;
    out.push_back(p);
  }
  pieces = std::move(out);
}

std::string FileBlock::Encode() const {
  Encoder e;
  e.PutU8(kFormatVersion);
  e.PutVarint(pieces.size());
  for (const Piece& p : pieces) {
    e.PutVarint(p.start);
    e.PutVarint(p.length);
    e.PutHashId(p.chid);
    e.PutVarint(p.chunk_offset);
    e.PutVarint(p.chunk_length);
  }
  return e.Take();
}

Result<FileBlock> FileBlock::Decode(std::string_view bytes, uint64_t block_bytes) {
  Decoder d(bytes, "file block");
  FileBlock b;
  if (d.GetU8() != kFormatVersion && d.status().ok()) d.Fail("unsupported format version");
  const uint64_t n = d.GetCount(4);
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    Piece p;
    p.start = d.GetVarint();
    p.length = d.GetVarint();
    p.chid = d.GetHashId();
    p.chunk_offset = d.GetVarint();
    p.chunk_length = d.GetVarint();
    if (!d.status().ok()) break;
    if (p.length == 0 || p.start >= block_bytes || p.length > block_bytes - p.start)
      d.Fail("a piece outside the block");
    else if (p.chunk_offset > p.chunk_length || p.length > p.chunk_length - p.chunk_offset)
      d.Fail("a piece outside its chunk");
    else if (!b.pieces.empty() && b.pieces.back().end() > p.start)
      d.Fail("pieces out of order or overlapping");
    b.pieces.push_back(p);
  }
  Status s = d.Finish();
  if (!s.ok()) return Status::Corruption(s.message());
  return b;
}

}  // namespace ccow::fs
