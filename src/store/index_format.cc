// Opening the chunk store's RocksDB index and its LAYOUT file (docs/FORMAT.md §4).
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <filesystem>
#include <fstream>

#include "store/index_format.h"

namespace ccow::store_internal {

constexpr char kLayoutFile[] = "LAYOUT";

Result<PayloadLayout> ReadOrCreateLayout(const StoreOptions& options) {
  std::string path = options.path + "/" + kLayoutFile;
  std::ifstream in(path);
  if (in) {
    std::string name;
    in >> name;
    return ParsePayloadLayout(name);
  }
  if (!options.create_if_missing)
    return Status::NotFound("no chunk store at " + options.path);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << PayloadLayoutName(options.layout) << "\n";
    if (!out) return Status::IOError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot create " + path + ": " + ec.message());
  return options.layout;
}

Status OpenIndexDb(const std::string& path, PayloadLayout layout, rocksdb::DB** db,
                   std::vector<rocksdb::ColumnFamilyHandle*>* handles) {
  rocksdb::DBOptions dbo;
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  dbo.max_background_jobs = 2;
  dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  dbo.keep_log_file_num = 2;

  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions index_cf;
  index_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::ColumnFamilyOptions chunk_cf = index_cf;
  if (layout == PayloadLayout::kBlobDb) {
    chunk_cf.enable_blob_files = true;
    chunk_cf.min_blob_size = 4096;
    chunk_cf.blob_file_size = 256ull << 20;
    chunk_cf.write_buffer_size = 256ull << 20;
    chunk_cf.enable_blob_garbage_collection = true;
  }
  rocksdb::ColumnFamilyOptions names_cf;
  names_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // attrs: what a VDEV records about a chunk besides its bytes (its replication count).
  // Stores written before it existed get it empty on open.
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, index_cf},
                                                      {"chunks", chunk_cf},
                                                      {"names", names_cf},
                                                      {"attrs", index_cf}};
  auto s = rocksdb::DB::Open(dbo, path + "/index", cfs, handles, db);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
      return Status::Busy("data directory " + path +
                          " is in use by another ccow process (stop it first, or use "
                          "that process's interface)");
    return FromRocks(s, "opening the chunk index at " + path);
  }
  return Status::OK();
}

}  // namespace ccow::store_internal
