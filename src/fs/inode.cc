#include "fs/inode.h"

#include "model/encoding.h"

namespace ccow::fs {

std::string Inode::Encode() const {
  Encoder e;
  e.PutU8(kFormatVersion);
  e.PutVarint(ino);
  e.PutU8(static_cast<uint8_t>(type));
  e.PutVarint(mode);
  e.PutVarint(uid);
  e.PutVarint(gid);
  e.PutVarint(nlink);
  e.PutVarint(size);
  e.PutVarint(atime_ns);
  e.PutVarint(mtime_ns);
  e.PutVarint(ctime_ns);
  e.PutVarint(generation);
  e.PutVarint(parent);
  e.PutBytes(target);
  return e.Take();
}

Result<Inode> Inode::Decode(std::string_view bytes) {
  Decoder d(bytes, "inode");
  Inode n;
  if (d.GetU8() != kFormatVersion && d.status().ok()) d.Fail("unsupported format version");
  n.ino = d.GetVarint();
  const uint8_t type = d.GetU8();
  if (d.status().ok() && (type < 1 || type > 3)) d.Fail("unknown file type " + std::to_string(type));
  n.type = static_cast<FileType>(type);
  auto u32 = [&](uint32_t* out) {
    const uint64_t v = d.GetVarint();
    if (d.status().ok() && v > UINT32_MAX) d.Fail("a 32-bit field over its range");
    *out = static_cast<uint32_t>(v);
  };
  u32(&n.mode);
  u32(&n.uid);
  u32(&n.gid);
  u32(&n.nlink);
  n.size = d.GetVarint();
  n.atime_ns = d.GetVarint();
  n.mtime_ns = d.GetVarint();
  n.ctime_ns = d.GetVarint();
  n.generation = d.GetVarint();
  n.parent = d.GetVarint();
  n.target = d.GetBytes();
  Status s = d.Finish();
  if (!s.ok()) return Status::Corruption(s.message());
  return n;
}

}  // namespace ccow::fs
