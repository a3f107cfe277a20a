// The NFSv3 gateway (gateway/nfs/nfs_gateway.h) driven by libnfs's client through a random
// workload checked against a model after every step: writes at offsets (holes read as
// zeros), truncates, renames, hard links, symlinks, unlinks, mkdir/rmdir (a non-empty one
// refused), listings; then the gateway is stopped and a new one serves the volume from its
// last checkpoint, and the whole tree must still be as the model says.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nfsc/libnfs.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "client/object_api.h"
#include "fs/volume.h"
#include "gateway/nfs/nfs_gateway.h"
#include "store/store_test_util.h"

namespace ccow::nfs {
namespace {

using testing::ScratchDir;

const std::string kHome = "ccow/default/.fs/m";
const std::string kExport = "/ccow/default/m";

// The volume served over NFS, and a libnfs client mounted on it.
class Served {
 public:
  explicit Served(const ScratchDir& dir) {
    auto backend = OpenLocalBackend(dir.path() + "/store");
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    api_ = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), ApiOptions{});
    Start();
  }
  ~Served() { Stop(); }

  void Start() {
    fs::VolumeOptions vo;
    vo.root_uid = getuid();  // the client calls as this user
    vo.root_gid = getgid();
    auto volume = fs::Volume::Open(*api_, kHome, vo);
    ASSERT_TRUE(volume.ok()) << volume.status().ToString();
    volume_ = std::make_shared<fs::SharedVolume>();
    volume_->volume = std::move(*volume);
    NfsOptions o;
    o.port = 0;
    o.export_path = kExport;
    o.rules.root_squash = false;
    auto gateway = NfsGateway::Start(volume_, o);
    ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
    gateway_ = std::move(*gateway);
    nfs_ = Connect(-1, -1);
  }
  // A client mounted on the export, calling as uid/gid (-1: this process's).
  nfs_context* Connect(int uid, int gid) {
    nfs_context* nfs = nfs_init_context();
    EXPECT_NE(nfs, nullptr);
    const std::string port = std::to_string(gateway_->port());
    std::string url = "nfs://127.0.0.1" + kExport + "?nfsport=" + port + "&mountport=" + port + "&version=3";
    if (uid >= 0) url += "&uid=" + std::to_string(uid) + "&gid=" + std::to_string(gid);
    nfs_url* u = nfs_parse_url_dir(nfs, url.c_str());
    EXPECT_NE(u, nullptr) << nfs_get_error(nfs);
    EXPECT_EQ(nfs_mount(nfs, u->server, u->path), 0) << nfs_get_error(nfs);
    nfs_destroy_url(u);
    return nfs;
  }
  void Stop() {
    if (nfs_) nfs_destroy_context(nfs_);
    nfs_ = nullptr;
    if (gateway_) EXPECT_TRUE(gateway_->Stop().ok());
    gateway_.reset();
    volume_.reset();
  }
  nfs_context* nfs() { return nfs_; }

 private:
  std::unique_ptr<ObjectApi> api_;
  std::shared_ptr<fs::SharedVolume> volume_;
  std::unique_ptr<NfsGateway> gateway_;
  nfs_context* nfs_ = nullptr;
};

// What the tree should be: paths to nodes; hard links share a node.
struct Model {
  struct Node {
    char type = 'f';  // f file, d directory, l symlink
    std::string data;  // a file's bytes, a symlink's target
  };
  std::map<std::string, int> paths;  // "/a/b" -> node id
  std::map<int, Node> nodes;
  int next = 0;

  bool Has(const std::string& p) const { return paths.count(p) > 0; }
  const Node* At(const std::string& p) const { return Has(p) ? &nodes.at(paths.at(p)) : nullptr; }
  static std::string Parent(const std::string& p) { return p.substr(0, p.rfind('/')); }
  bool DirOk(const std::string& dir) const { return dir.empty() || (Has(dir) && At(dir)->type == 'd'); }
  bool Empty(const std::string& dir) const {
    for (const auto& [p, id] : paths)
      if (p.size() > dir.size() && p.compare(0, dir.size() + 1, dir + "/") == 0) return false;
    return true;
  }
  void Add(const std::string& p, Node n) {
    nodes[next] = std::move(n);
    paths[p] = next++;
  }
};

std::string Random(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

class NfsModelTest : public ::testing::Test {
 protected:
  // `steps` random operations from `seed`, each checked; the tree after each 20 and at the end.
  void RunWorkload(uint64_t seed, int steps);
  // The tree through NFS equals the model: every path's type and bytes, every listing.
  void Check(nfs_context* nfs, const Model& m, const std::string& when) {
    std::map<std::string, std::set<std::string>> listed;
    listed[""];
    for (const auto& [p, id] : m.paths) {
      listed[Model::Parent(p)].insert(p.substr(p.rfind('/') + 1));
      const Model::Node& n = m.nodes.at(id);
      if (n.type == 'd') listed[p];
      nfs_stat_64 st{};
      ASSERT_EQ(nfs_lstat64(nfs, p.c_str(), &st), 0) << when << ": stat " << p << ": " << nfs_get_error(nfs);
      if (n.type == 'f') {
        ASSERT_EQ(st.nfs_size, n.data.size()) << when << ": size of " << p;
        nfsfh* fh = nullptr;
        ASSERT_EQ(nfs_open(nfs, p.c_str(), O_RDONLY, &fh), 0) << when << ": open " << p << ": " << nfs_get_error(nfs);
        std::string got(n.data.size() + 16, '\0');
        const int r = nfs_pread(nfs, fh, 0, got.size(), got.data());
        nfs_close(nfs, fh);
        ASSERT_EQ(r, static_cast<int>(n.data.size())) << when << ": read of " << p;
        got.resize(n.data.size());
        ASSERT_EQ(got, n.data) << when << ": bytes of " << p;
      } else if (n.type == 'l') {
        char target[4200] = {};
        ASSERT_EQ(nfs_readlink(nfs, p.c_str(), target, sizeof target - 1), 0) << when << ": readlink " << p;
        ASSERT_EQ(std::string(target), n.data) << when;
      }
    }
    for (const auto& [dir, names] : listed) {
      nfsdir* d = nullptr;
      ASSERT_EQ(nfs_opendir(nfs, dir.empty() ? "/" : dir.c_str(), &d), 0) << when << ": opendir " << dir;
      std::set<std::string> got;
      while (nfsdirent* e = nfs_readdir(nfs, d))
        if (std::string(e->name) != "." && std::string(e->name) != "..") got.insert(e->name);
      nfs_closedir(nfs, d);
      ASSERT_EQ(got, names) << when << ": listing of '" << dir << "'";
    }
  }
};

TEST_F(NfsModelTest, ARandomWorkloadMatchesTheModelAndSurvivesARestart) {
  for (uint64_t seed : {1813, 7, 4242}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunWorkload(seed, 600);
    if (HasFatalFailure()) return;
  }
}

void NfsModelTest::RunWorkload(uint64_t seed, int steps) {
  ScratchDir dir;
  Served served(dir);
  std::mt19937_64 rng(seed);
  Model m;
  const std::vector<std::string> dirs = {"", "/d0", "/d1", "/d0/e"};
  auto pick_dir = [&] { return dirs[rng() % dirs.size()]; };
  auto pick_name = [&] { return pick_dir() + "/n" + std::to_string(rng() % 6); };
  for (int step = 0; step < steps; ++step) {
    nfs_context* nfs = served.nfs();
    const std::string a = pick_name(), b = pick_name();
    const int op = static_cast<int>(rng() % 10);
    std::string what;
    int r = 0;
    bool expect_ok = false;
    if (op <= 2) {  // write at an offset, creating the file
      const uint64_t offset = rng() % 3 == 0 ? rng() % 3'000'000 : rng() % 5000;
      const std::string data = Random(rng, 1 + rng() % (rng() % 4 == 0 ? 300'000 : 3000));
      what = "write " + a + " @" + std::to_string(offset) + " +" + std::to_string(data.size());
      const Model::Node* n = m.At(a);
      expect_ok = m.DirOk(Model::Parent(a)) && (!n || n->type == 'f');
      nfsfh* fh = nullptr;
      r = nfs_create(nfs, a.c_str(), O_RDWR | O_CREAT, 0644, &fh);
      if (r == 0) {
        r = nfs_pwrite(nfs, fh, offset, data.size(), data.data()) == static_cast<int>(data.size()) ? 0 : -1;
        nfs_close(nfs, fh);
      }
      if (expect_ok && r == 0) {
        if (!n) m.Add(a, {'f', ""});
        std::string& bytes = m.nodes[m.paths[a]].data;
        if (bytes.size() < offset + data.size()) bytes.resize(offset + data.size(), '\0');
        bytes.replace(offset, data.size(), data);
      }
    } else if (op == 3) {  // truncate
      const uint64_t size = rng() % 8000;
      what = "truncate " + a + " to " + std::to_string(size);
      expect_ok = m.Has(a) && m.At(a)->type == 'f';
      r = nfs_truncate(nfs, a.c_str(), size);
      if (expect_ok && r == 0) m.nodes[m.paths[a]].data.resize(size, '\0');
    } else if (op == 4) {  // rename, as POSIX allows: a non-directory over one, a directory over an empty one
      what = "rename " + a + " -> " + b;
      const Model::Node* from = m.At(a);
      const Model::Node* to = m.At(b);
      if (from && from->type == 'd') {
        // Over nothing or an empty directory, never under itself.
        expect_ok = (!to || (to->type == 'd' && m.Empty(b))) && m.DirOk(Model::Parent(b)) &&
                    b.compare(0, a.size() + 1, a + "/") != 0;
      } else {
        expect_ok = from && m.DirOk(Model::Parent(b)) && (!to || to->type != 'd');
      }
      if (a == b) expect_ok = from != nullptr;
      r = nfs_rename(nfs, a.c_str(), b.c_str());
      // Two links of one file: POSIX's rename does nothing and succeeds.
      const bool same = from && to && m.paths[a] == m.paths[b];
      if (expect_ok && r == 0 && !same) {
        std::map<std::string, int> moved;
        for (auto it = m.paths.begin(); it != m.paths.end();) {
          if (it->first == a || it->first.compare(0, a.size() + 1, a + "/") == 0) {
            moved[b + it->first.substr(a.size())] = it->second;
            it = m.paths.erase(it);
          } else {
            ++it;
          }
        }
        m.paths.erase(b);
        for (auto& [p, id] : moved) m.paths[p] = id;
      }
    } else if (op == 5) {  // hard link
      what = "link " + a + " -> " + b;
      expect_ok = m.Has(a) && m.At(a)->type == 'f' && !m.Has(b) && m.DirOk(Model::Parent(b));
      r = nfs_link(nfs, a.c_str(), b.c_str());
      if (expect_ok && r == 0) m.paths[b] = m.paths[a];
    } else if (op == 6) {  // unlink
      what = "unlink " + a;
      expect_ok = m.Has(a) && m.At(a)->type != 'd';
      r = nfs_unlink(nfs, a.c_str());
      if (expect_ok && r == 0) m.paths.erase(a);
    } else if (op == 7) {  // mkdir of one of the known directories, or a name
      const std::string d = rng() % 2 ? dirs[1 + rng() % 3] : a;
      what = "mkdir " + d;
      expect_ok = !m.Has(d) && m.DirOk(Model::Parent(d));
      r = nfs_mkdir(nfs, d.c_str());
      if (expect_ok && r == 0) m.Add(d, {'d', ""});
    } else if (op == 8) {  // rmdir (refused when not empty)
      const std::string d = rng() % 2 ? dirs[1 + rng() % 3] : a;
      what = "rmdir " + d;
      expect_ok = m.Has(d) && m.At(d)->type == 'd' && m.Empty(d);
      r = nfs_rmdir(nfs, d.c_str());
      if (expect_ok && r == 0) m.paths.erase(d);
    } else {  // symlink
      const std::string target = "../t" + std::to_string(rng() % 100);
      what = "symlink " + a + " -> " + target;
      expect_ok = !m.Has(a) && m.DirOk(Model::Parent(a));
      r = nfs_symlink(nfs, target.c_str(), a.c_str());
      if (expect_ok && r == 0) m.Add(a, {'l', target});
    }
    ASSERT_EQ(r == 0, expect_ok) << "step " << step << ": " << what << " answered " << r << " ("
                                 << nfs_get_error(nfs) << "); the model has " << (m.Has(a) ? std::string(1, m.At(a)->type) : "no")
                                 << " " << a;
    if (step % 20 == 19) Check(nfs, m, "step " + std::to_string(step));
    if (HasFatalFailure()) return;
  }
  Check(served.nfs(), m, "the end");
  // A new gateway over the volume's last checkpoint (taken by Stop).
  served.Stop();
  served.Start();
  Check(served.nfs(), m, "after a restart");
}

// The gateway, not the client, holds permissions: another user may not truncate a file
// through CREATE, nor remove or rename away someone else's file in a sticky directory.
TEST(NfsPermissionTest, OthersFilesAreKeptByModeBitsAndTheStickyBit) {
  ScratchDir dir;
  Served served(dir);
  nfs_context* owner = served.nfs();
  ASSERT_EQ(nfs_mkdir2(owner, "/shared", 01777), 0) << nfs_get_error(owner);
  ASSERT_EQ(nfs_chmod(owner, "/shared", 01777), 0) << nfs_get_error(owner);
  nfs_context* alice = served.Connect(1000, 1000);
  nfs_context* bob = served.Connect(1001, 1001);
  nfsfh* fh = nullptr;
  ASSERT_EQ(nfs_create(alice, "/shared/a", O_WRONLY | O_CREAT, 0644, &fh), 0) << nfs_get_error(alice);
  ASSERT_EQ(nfs_pwrite(alice, fh, 0, 5, "alice"), 5);
  nfs_close(alice, fh);
  ASSERT_EQ(nfs_create(bob, "/shared/b", O_WRONLY | O_CREAT, 0644, &fh), 0) << nfs_get_error(bob);
  nfs_close(bob, fh);
  // Bob: no truncation of Alice's 0644 file, no unlink or rename of it, and no rename of
  // his own file over hers.
  EXPECT_NE(nfs_create(bob, "/shared/a", O_WRONLY | O_CREAT | O_TRUNC, 0644, &fh), 0);
  EXPECT_NE(nfs_truncate(bob, "/shared/a", 0), 0);
  EXPECT_NE(nfs_unlink(bob, "/shared/a"), 0);
  EXPECT_NE(nfs_rename(bob, "/shared/a", "/shared/mine"), 0);
  EXPECT_NE(nfs_rename(bob, "/shared/b", "/shared/a"), 0);
  nfs_stat_64 st{};
  ASSERT_EQ(nfs_stat64(alice, "/shared/a", &st), 0);
  EXPECT_EQ(st.nfs_size, 5u);
  EXPECT_EQ(st.nfs_uid, 1000u);
  // Each may remove their own; the directory's owner may remove anyone's.
  EXPECT_EQ(nfs_unlink(bob, "/shared/b"), 0) << nfs_get_error(bob);
  EXPECT_EQ(nfs_rename(alice, "/shared/a", "/shared/a2"), 0) << nfs_get_error(alice);
  EXPECT_EQ(nfs_unlink(owner, "/shared/a2"), 0) << nfs_get_error(owner);
  nfs_destroy_context(alice);
  nfs_destroy_context(bob);
}

}  // namespace
}  // namespace ccow::nfs
