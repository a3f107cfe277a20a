#include "model/encoding.h"

#include <cstring>

#include "core/check.h"

namespace ccow {

void Encoder::PutU32(uint32_t v) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
}

void Encoder::PutU64(uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
}

void Encoder::PutVarint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void Encoder::PutBytes(std::string_view s) {
  PutVarint(s.size());
  out_.append(s.data(), s.size());
}

void Encoder::PutHashId(const HashId& id) {
  PutU8(static_cast<uint8_t>(id.algo()));
  out_.append(reinterpret_cast<const char*>(id.digest()), id.size());
}

void Decoder::Fail(const std::string& why) {
  if (status_.ok())
    status_ = Status::Corruption(what_ + ": " + why + " at byte " + std::to_string(pos_));
}

bool Decoder::Need(size_t n) {
  if (!status_.ok()) return false;
  // Every read advances pos_ only after Need() allowed it; past the end, the unsigned
  // subtraction below would wrap and let the next read run off the buffer.
  CCOW_CHECK(pos_ <= in_.size());
  if (in_.size() - pos_ < n) {
    Fail("truncated (need " + std::to_string(n) + " more bytes)");
    return false;
  }
  return true;
}

uint8_t Decoder::GetU8() {
  if (!Need(1)) return 0;
  return static_cast<uint8_t>(in_[pos_++]);
}

uint32_t Decoder::GetU32() {
  if (!Need(4)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  pos_ += 4;
  return v;
}

uint64_t Decoder::GetU64() {
  if (!Need(8)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  pos_ += 8;
  return v;
}

uint64_t Decoder::GetVarint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (!Need(1)) return 0;
    uint8_t b = static_cast<uint8_t>(in_[pos_++]);
    if (shift == 63 && b > 1) {
      Fail("varint overflows 64 bits");
      return 0;
    }
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      if (b == 0 && shift > 0) {
        Fail("varint not in shortest form");
        return 0;
      }
      return v;
    }
  }
  Fail("varint too long");
  return 0;
}

std::string Decoder::GetBytes() { return std::string(GetBytesView()); }

std::string_view Decoder::GetBytesView() {
  uint64_t n = GetVarint();
  if (!status_.ok() || !Need(n)) return {};
  std::string_view s = in_.substr(pos_, n);
  pos_ += n;
  return s;
}

HashId Decoder::GetHashId() {
  uint8_t tag = GetU8();
  if (!status_.ok()) return {};
  if (!IsKnownHashAlgo(tag)) {
    Fail("unknown hash algorithm tag " + std::to_string(tag));
    return {};
  }
  auto algo = static_cast<HashAlgo>(tag);
  if (!Need(DigestSize(algo))) return {};
  HashId id(algo, reinterpret_cast<const uint8_t*>(in_.data() + pos_));
  pos_ += DigestSize(algo);
  return id;
}

uint64_t Decoder::GetCount(size_t min_item_size) {
  uint64_t n = GetVarint();
  if (!status_.ok()) return 0;
  size_t left = in_.size() - pos_;
  if (min_item_size > 0 && n > left / min_item_size) {
    Fail("count " + std::to_string(n) + " exceeds what the remaining bytes can hold");
    return 0;
  }
  return n;
}

void Decoder::GetRecordHeader(RecordKind kind, uint8_t version) {
  if (GetU8() != static_cast<uint8_t>(kind)) Fail("not a " + what_);
  if (status_.ok() && GetU8() != version) Fail("unsupported format version");
}

Status Decoder::Finish() {
  if (status_.ok() && pos_ != in_.size())
    Fail(std::to_string(in_.size() - pos_) + " trailing bytes");
  return status_;
}

}  // namespace ccow
