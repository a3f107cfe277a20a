// The canonical binary encoding shared by every manifest and list (docs/FORMAT.md §1).
//
// Deterministic by construction: fixed-width integers are little-endian, variable integers
// are LEB128 with the shortest form required on decode, strings are length-prefixed. A
// decoder accepts exactly the bytes an encoder would produce for the same value, so a
// logical manifest has one encoding and therefore one CHID.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/hash.h"
#include "core/status.h"

namespace ccow {

// Record kinds: the first byte of every encoded record; the second is the format version.
enum class RecordKind : uint8_t {
  kChunkManifest = 0x02,
  kVersionManifest = 0x03,
  kVersionList = 0x04,
  kKeyValueChunk = 0x05,
  kStripeManifest = 0x06,
  kStripeSet = 0x07,  // every stripe of one erasure-coded version (model/stripe_set.h)
  kTrlogRecord = 0x08,  // one flush of a bucket's changed keys (client/trlog.h)
  kBtreeNode = 0x09,    // a node of the file layer's copy-on-write B+tree (fs/btree_node.h)
  kSnapViewRecord = 0x0a,  // a bucket view's record (model/snapview_record.h)
  // An Inter-Segment Gateway link's requests and replies (isgw/isgw_wire.h).
  kIsgwDigestsRequest = 0x41,
  kIsgwDigestsReply = 0x42,
  kIsgwHaveRequest = 0x43,
  kIsgwHaveReply = 0x44,
  kIsgwChunksRequest = 0x45,
  kIsgwChunksReply = 0x46,
  kIsgwMergeRequest = 0x47,
  kIsgwMergeReply = 0x48,
  kIsgwBucketRequest = 0x49,
  kIsgwBucketReply = 0x4a,
  kIsgwFetchRequest = 0x4b,
  kIsgwFetchReply = 0x4c,
  kIsgwNamesRequest = 0x4d,
  kIsgwNamesReply = 0x4e,
};

class Encoder {
 public:
  void PutU8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void PutU32(uint32_t v);
  void PutU64(uint64_t v);
  void PutVarint(uint64_t v);
  void PutBytes(std::string_view s);  // varint length + bytes
  // Bytes alone, for a record that wrote their length already (PutVarint) and keeps them
  // apart for a gathering write (replicast/message.h frames).
  void PutRaw(std::string_view s) { out_.append(s.data(), s.size()); }
  void PutHashId(const HashId& id);   // tag byte + digest
  const std::string& data() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads an encoding produced by Encoder. Every getter checks bounds; the first failure
// sticks, so a caller may read a whole record and check status() once at the end.
class Decoder {
 public:
  Decoder(std::string_view in, std::string what) : in_(in), what_(std::move(what)) {}

  uint8_t GetU8();
  uint32_t GetU32();
  uint64_t GetU64();
  uint64_t GetVarint();
  std::string GetBytes();
  // The same bytes as a view into the input (valid while it is): no copy.
  std::string_view GetBytesView();
  HashId GetHashId();
  // For counts that precede an array: fails unless at least `count * min_item_size` bytes
  // remain, so a hostile count cannot make the decoder allocate unbounded memory.
  uint64_t GetCount(size_t min_item_size);
  // A record's first two bytes: fails ("not a <what>", "unsupported format version")
  // unless they are `kind` and `version`.
  void GetRecordHeader(RecordKind kind, uint8_t version);

  bool done() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  void Fail(const std::string& why);
  // OK when no getter failed and the input was consumed exactly.
  Status Finish();
  const Status& status() const { return status_; }

 private:
  bool Need(size_t n);
  std::string_view in_;
  size_t pos_ = 0;
  std::string what_;
  Status status_;
};

}  // namespace ccow
