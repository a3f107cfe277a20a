// A throwaway key-value table for a background pass's working set (the garbage
// collector's marks, a VDEV's pins and marks during a pass): in a scratch RocksDB without
// a WAL, so that memory stays bounded whatever the number of chunks (a few MiB of
// memtable and cache; the rest on disk), or in memory when no directory is given (the
// simulation, tests, small one-shot passes).
//
// Nothing in it survives: the directory is wiped when the table opens, on Clear() and
// when it closes. A crash leaves files that the next Open wipes; the pass that owned them
// starts over anyway (its coordinator sees the restart).
//
// Errors: kIOError naming the directory when RocksDB fails.
// Thread safety: none; the owner serializes calls (a mutex of its own).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace rocksdb {
class DB;
}

namespace ccow {

class ScratchTable {
 public:
  // dir empty: in memory.
  static Result<std::unique_ptr<ScratchTable>> Open(const std::string& dir);
  ~ScratchTable();
  ScratchTable(const ScratchTable&) = delete;
  ScratchTable& operator=(const ScratchTable&) = delete;

  Result<std::optional<std::string>> Get(std::string_view key);
  Status Put(std::string_view key, std::string_view value);
  // Empties the table (on disk: wipes and reopens the directory).
  Status Clear();
  // Keys put since the last Clear that were absent before (counted by the owner's Put of
  // a key it found absent: see PutNew).
  uint64_t size() const { return size_; }
  // Put of a key the caller just found absent: counted in size().
  Status PutNew(std::string_view key, std::string_view value) {
    CCOW_RETURN_IF_ERROR(Put(key, value));
    ++size_;
    return Status::OK();
  }
  bool on_disk() const { return db_ != nullptr; }

 private:
  explicit ScratchTable(std::string dir);  // in the .cc: rocksdb::DB is incomplete here
  Status OpenDb();
  void CloseDb();

  const std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, std::string, std::less<>> memory_;
  uint64_t size_ = 0;
};

}  // namespace ccow
