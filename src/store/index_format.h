// Internal to src/store: how the chunk store opens and encodes its RocksDB index
// (docs/FORMAT.md §4), shared by the store (chunk_store.cc) and segment compaction (segment_compactor.cc).
#pragma once

#include <rocksdb/status.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/chunk_store.h"
#include "model/encoding.h"
#include "store/segment_log.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace ccow::store_internal {

// Reads the layout recorded in the store directory, or records options.layout in a new one.
Result<PayloadLayout> ReadOrCreateLayout(const StoreOptions& options);
// Opens (creating) DIR/index with its column families, in order: default (meta), chunks,
// names, attrs. kBusy when another process holds it.
Status OpenIndexDb(const std::string& path, PayloadLayout layout, rocksdb::DB** db,
                   std::vector<rocksdb::ColumnFamilyHandle*>* handles);

// Segments layout: each `chunks` value starts with its kind. Small payloads travel inside
// the synced index write itself, so a small durable put costs one WAL sync instead of a
// segment fdatasync plus a WAL sync; large ones go to segment files (written once, with
// direct I/O) and the index holds their location.
constexpr char kValueLocation = 0;
constexpr char kValueInline = 1;
constexpr size_t kInlineMax = 64 << 10;

// Meta (default CF) keys.
constexpr char kChunkCountKey[] = "chunk_count";
constexpr char kPayloadBytesKey[] = "payload_bytes";
constexpr char kInlineBytesKey[] = "inline_bytes";
constexpr char kSegmentKeyPrefix[] = "seg/";

inline std::string SegmentKey(uint32_t id) {
  std::string k = kSegmentKeyPrefix;
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>(id >> (8 * i)));
  return k;
}

inline std::string LocationValue(const SegmentLocation& loc) {
  return std::string(1, kValueLocation) + loc.Encode();
}

inline std::string U64Value(uint64_t v) {
  Encoder e;
  e.PutU64(v);
  return e.Take();
}

inline uint64_t DecodeU64Value(const std::string& s) {
  Decoder d(s, "counter");
  uint64_t v = d.GetU64();
  return d.Finish().ok() ? v : 0;
}

inline Status FromRocks(const rocksdb::Status& s, const std::string& context) {
  if (s.ok()) return Status::OK();
  if (s.IsNoSpace()) return Status::NoSpace(context + ": " + s.ToString());
  if (s.IsCorruption()) return Status::Corruption(context + ": " + s.ToString());
  if (s.IsNotFound()) return Status::NotFound(context + ": " + s.ToString());
  return Status::IOError(context + ": " + s.ToString());
}

}  // namespace ccow::store_internal
