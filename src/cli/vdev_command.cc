// `ccow vdev ...`: offline tools on the directory of one stopped VDEV (a target's, or a
// data directory's DIR/vdev0), in the spirit of ceph-objectstore-tool:
//   ccow vdev verify --vdev DIR                      read back and verify every chunk
//   ccow vdev chunk list --vdev DIR                  every chunk and where its bytes are
//   ccow vdev chunk locate --vdev DIR CHID           where one chunk's bytes are
//   ccow vdev chunk damage --vdev DIR CHID --mode flip|truncate|punch
//                                                   failure drills (store/chunk_damage.h)
// The VDEV must not be in use: a running target or server holds it (exit code 6).
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "core/config.h"
#include "store/chunk_damage.h"
#include "store/chunk_store.h"

namespace ccow::cli {
namespace {

struct VdevFlags {
  std::string dir, chid, mode;
};

Result<std::unique_ptr<ChunkStore>> OpenVdev(const std::string& dir) {
  StoreOptions o;
  o.path = dir;
  o.create_if_missing = false;
  auto store = ChunkStore::Open(o);
  if (!store.ok() && store.status().code() == Code::kBusy)
    return store.status().WithContext("stop the target or server holding " + dir + " first");
  return store;
}

nlohmann::json PlacementJson(const HashId& chid, const StoredChunkPlace& p) {
  nlohmann::json j = {{"chid", chid.ToString()}, {"length", p.length}, {"in_index", p.in_index}};
  if (!p.in_index) {
    j["file"] = p.file;
    j["offset"] = p.offset;
  }
  return j;
}

void PrintPlacement(const nlohmann::json& j) {
  std::cout << j["chid"].get<std::string>() << "  " << j["length"].get<uint64_t>() << " bytes  "
            << (j["in_index"].get<bool>() ? std::string("in the index")
                                           : j["file"].get<std::string>() + " @" + std::to_string(j["offset"].get<uint64_t>()))
            << "\n";
}

int List(const VdevFlags& f) {
  auto store = OpenVdev(f.dir);
  if (!store.ok()) return Fail(store.status());
  nlohmann::json all = nlohmann::json::array();
  Status failed;
  Status s = (*store)->ScanChunks(std::nullopt, [&](const HashId& chid) {
    auto p = (*store)->Locate(chid);
    if (!p.ok()) {
      failed = p.status();
      return false;
    }
    nlohmann::json j = PlacementJson(chid, *p);
    if (Globals().json)
      all.push_back(std::move(j));
    else
      PrintPlacement(j);
    return true;
  });
  if (!s.ok()) return Fail(s);
  if (!failed.ok()) return Fail(failed);
  if (Globals().json) std::cout << all.dump(2) << std::endl;
  return 0;
}

int Locate(const VdevFlags& f, bool damage) {
  auto chid = HashId::Parse(f.chid);
  if (!chid.ok()) return Fail(chid.status());
  auto store = OpenVdev(f.dir);
  if (!store.ok()) return Fail(store.status());
  auto p = (*store)->Locate(*chid);
  if (!p.ok()) return Fail(p.status());
  nlohmann::json j = PlacementJson(*chid, *p);
  if (damage) {
    auto mode = ParseDamageMode(f.mode);
    if (!mode.ok()) return Fail(mode.status());
    store->reset();  // the index closes before its segment file changes under it
    auto done = DamageStoredBytes(*p, *mode);
    if (!done.ok()) return Fail(done.status());
    j["damage"] = *done;
  }
  if (Globals().json) {
    std::cout << j.dump(2) << std::endl;
  } else {
    PrintPlacement(j);
    if (damage) std::cout << j["damage"].get<std::string>() << std::endl;
  }
  return 0;
}

// Reads every chunk back through the store's verifying Get; exit code 4 if any is bad.
int Verify(const VdevFlags& f) {
  auto store = OpenVdev(f.dir);
  if (!store.ok()) return Fail(store.status());
  uint64_t chunks = 0, bytes = 0;
  nlohmann::json bad = nlohmann::json::array();
  Status s = (*store)->ScanChunks(std::nullopt, [&](const HashId& chid) {
    std::string data;
    Status got = (*store)->Get(chid, &data);
    chunks++;
    bytes += data.size();
    if (!got.ok() && !got.IsNotFound()) bad.push_back({{"chid", chid.ToString()}, {"error", got.ToString()}});
    return true;
  });
  if (!s.ok()) return Fail(s);
  if (Globals().json) {
    std::cout << nlohmann::json{{"chunks", chunks}, {"bytes", bytes}, {"bad", bad}}.dump(2) << std::endl;
  } else {
    std::cout << chunks << " chunks (" << FormatSize(bytes) << ") verified, " << bad.size() << " bad\n";
    for (const auto& b : bad) std::cout << "  " << b["error"].get<std::string>() << "\n";
  }
  return bad.empty() ? 0 : ExitCodeFor(Status::Corruption("bad chunks"));
}

}  // namespace

void RegisterVdevCommands(CLI::App& app, int* exit_code) {
  static VdevFlags f;
  auto* vdev = app.add_subcommand("vdev", "offline tools on a stopped VDEV's directory");
  vdev->require_subcommand(1);
  auto* verify = vdev->add_subcommand("verify", "read back and verify every chunk (exit code 4 if any is bad)");
  verify->add_option("--vdev", f.dir, "the VDEV's directory")->required();
  verify->callback([exit_code] { *exit_code = Verify(f); });
  auto* chunk = vdev->add_subcommand("chunk", "where chunks live, and failure drills");
  chunk->require_subcommand(1);
  auto* list = chunk->add_subcommand("list", "every chunk with the file and offset of its bytes");
  list->add_option("--vdev", f.dir, "the VDEV's directory")->required();
  list->callback([exit_code] { *exit_code = List(f); });
  auto* locate = chunk->add_subcommand("locate", "the file and offset of one chunk's bytes");
  locate->add_option("--vdev", f.dir, "the VDEV's directory")->required();
  locate->add_option("CHID", f.chid, "the chunk's CHID")->required();
  locate->callback([exit_code] { *exit_code = Locate(f, false); });
  auto* damage = chunk->add_subcommand(
      "damage", "failure drill: damage one chunk's stored bytes (flip a bit, truncate its file, punch a hole)");
  damage->add_option("--vdev", f.dir, "the VDEV's directory")->required();
  damage->add_option("CHID", f.chid, "the chunk's CHID")->required();
  damage->add_option("--mode", f.mode, "flip, truncate or punch")->required();
  damage->callback([exit_code] { *exit_code = Locate(f, true); });
}

}  // namespace ccow::cli
