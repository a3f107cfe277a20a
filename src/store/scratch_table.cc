#include "store/scratch_table.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <filesystem>

namespace ccow {
namespace {

rocksdb::Options ScratchOptions() {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.keep_log_file_num = 1;
  o.write_buffer_size = 8 << 20;  // the memory bound: two memtables and a small cache
  o.max_write_buffer_number = 2;
  rocksdb::BlockBasedTableOptions table;
  // Most lookups (a sweep asking whether an unmarked chunk is marked) miss: the bloom
  // filter answers them without a read.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

}  // namespace

Result<std::unique_ptr<ScratchTable>> ScratchTable::Open(const std::string& dir) {
  auto t = std::unique_ptr<ScratchTable>(new ScratchTable(dir));
  if (!dir.empty()) CCOW_RETURN_IF_ERROR(t->OpenDb());
  return t;
}

ScratchTable::ScratchTable(std::string dir) : dir_(std::move(dir)) {}

ScratchTable::~ScratchTable() { CloseDb(); }

Status ScratchTable::OpenDb() {
  rocksdb::Options o = ScratchOptions();
  (void)rocksdb::DestroyDB(dir_, o);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IOError("creating the scratch directory " + dir_ + ": " + ec.message());
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(o, dir_, &db);
  if (!s.ok()) return Status::IOError("opening the scratch table at " + dir_ + ": " + s.ToString());
  db_.reset(db);
  return Status::OK();
}

void ScratchTable::CloseDb() {
  if (!db_) return;
  (void)db_->Close();
  db_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Result<std::optional<std::string>> ScratchTable::Get(std::string_view key) {
  if (dir_.empty()) {
    auto it = memory_.find(key);
    if (it == memory_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  std::string v;
  const rocksdb::Slice k(key.data(), key.size());
  if (!db_->KeyMayExist(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), k, &v))
    return std::optional<std::string>();
  auto s = db_->Get(rocksdb::ReadOptions(), k, &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Status::IOError("reading the scratch table at " + dir_ + ": " + s.ToString());
  return std::optional<std::string>(std::move(v));
}

Status ScratchTable::Put(std::string_view key, std::string_view value) {
  if (dir_.empty()) {
    auto it = memory_.find(key);
    if (it == memory_.end())
      memory_.emplace(std::string(key), std::string(value));
    else
      it->second.assign(value);
    return Status::OK();
  }
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  auto s = db_->Put(wo, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
  if (!s.ok()) return Status::IOError("writing the scratch table at " + dir_ + ": " + s.ToString());
  return Status::OK();
}

Status ScratchTable::Clear() {
  size_ = 0;
  if (dir_.empty()) {
    memory_.clear();
    return Status::OK();
  }
  CloseDb();
  return OpenDb();
}

}  // namespace ccow
