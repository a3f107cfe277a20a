// A file layer volume's namespace (fs/volume.h): a random sequence of POSIX operations
// (mkdir, create, link, unlink, rmdir, rename) gives the same results and errnos as a
// model of POSIX, and the same tree (names, types, link counts, hard links) after
// checkpoints and reopening from the root alone; inode records encode canonically.
#include "fs/volume.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <random>
#include <set>

#include "store/store_test_util.h"

namespace ccow::fs {
namespace {

using ccow::testing::ScratchDir;

// POSIX as a map: nodes by model id; a directory's entries name model ids.
struct Model {
  struct Node {
    bool dir = false;
    std::map<std::string, int> entries;
    int nlink = 1;
    int parent = 0;
  };
  std::map<int, Node> nodes{{1, Node{true, {}, 2, 1}}};
  int next = 2;

  bool Under(int at, int dir) const {  // at is dir or below it
    for (;;) {
      if (at == dir) return true;
      if (at == 1) return false;
      at = nodes.at(at).parent;
    }
  }
  std::vector<int> Dirs() const {
    std::vector<int> out;
    for (const auto& [id, n] : nodes)
      if (n.dir) out.push_back(id);
    return out;
  }
  int Make(int parent, const std::string& name, bool dir) {
    if (nodes[parent].entries.count(name)) return EEXIST;
    nodes[next] = Node{dir, {}, dir ? 2 : 1, parent};
    nodes[parent].entries[name] = next++;
    if (dir) nodes[parent].nlink++;
    return 0;
  }
  void Drop(int id) {
    if (nodes[id].dir || --nodes[id].nlink == 0) nodes.erase(id);
  }
  int Unlink(int parent, const std::string& name) {
    auto it = nodes[parent].entries.find(name);
    if (it == nodes[parent].entries.end()) return ENOENT;
    if (nodes[it->second].dir) return EISDIR;
    const int id = it->second;
    nodes[parent].entries.erase(it);
    Drop(id);
    return 0;
  }
  int Rmdir(int parent, const std::string& name) {
    auto it = nodes[parent].entries.find(name);
    if (it == nodes[parent].entries.end()) return ENOENT;
    if (!nodes[it->second].dir) return ENOTDIR;
    if (!nodes[it->second].entries.empty()) return ENOTEMPTY;
    const int id = it->second;
    nodes[parent].entries.erase(it);
    nodes.erase(id);
    nodes[parent].nlink--;
    return 0;
  }
  int Link(int id, int parent, const std::string& name) {
    if (nodes[parent].entries.count(name)) return EEXIST;
    nodes[parent].entries[name] = id;
    nodes[id].nlink++;
    return 0;
  }
  int Rename(int p, const std::string& n, int np, const std::string& nn) {
    auto it = nodes[p].entries.find(n);
    if (it == nodes[p].entries.end()) return ENOENT;
    const int src = it->second;
    auto dt = nodes[np].entries.find(nn);
    if (dt != nodes[np].entries.end() && dt->second == src) return 0;
    const bool dir = nodes[src].dir;
    if (dir && p != np && Under(np, src)) return EINVAL;
    if (dt != nodes[np].entries.end()) {
      const int dst = dt->second;
      if (dir && !nodes[dst].dir) return ENOTDIR;
      if (!dir && nodes[dst].dir) return EISDIR;
      if (nodes[dst].dir) {
        if (!nodes[dst].entries.empty()) return ENOTEMPTY;
        nodes[np].nlink--;
      }
      Drop(dst);
    }
    nodes[p].entries.erase(n);
    nodes[np].entries[nn] = src;
    if (dir && p != np) {
      nodes[src].parent = np;
      nodes[p].nlink--;
      nodes[np].nlink++;
    }
    return 0;
  }
};

int Errno(const Status& s) { return s.posix_errno(); }

const std::string kHome = "ccow/default/.fs/bk1";

// The object API over a scratch store, as a volume uses it.
std::unique_ptr<ObjectApi> Api(const ScratchDir& dir) {
  auto backend = OpenLocalBackend(dir.path() + "/store");
  EXPECT_TRUE(backend.ok()) << backend.status().ToString();
  return std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), ApiOptions{});
}

// The volume's tree as text: every path with its type and link count, and which paths
// share an inode (hard links), renumbered in walk order.
std::string Dump(Volume& v) {
  std::string out;
  std::map<Ino, int> seen;
  std::function<void(Ino, const std::string&)> walk = [&](Ino dir, const std::string& path) {
    std::vector<DirEntry> entries;
    EXPECT_TRUE(v.ReadDir(dir, "", [&](const DirEntry& e) {
                   entries.push_back(e);
                   return true;
                 }).ok());
    for (const auto& e : entries) {
      auto n = v.GetAttr(e.ino);
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      if (!n.ok()) continue;
      auto [it, fresh] = seen.try_emplace(e.ino, static_cast<int>(seen.size()));
      out += path + "/" + e.name + (n->is_dir() ? " dir " : " file ") + std::to_string(n->nlink) + " #" +
             std::to_string(it->second) + "\n";
      if (n->is_dir()) walk(e.ino, path + "/" + e.name);
    }
  };
  walk(kRootIno, "");
  return out;
}

std::string Dump(const Model& m) {
  std::string out;
  std::map<int, int> seen;
  std::function<void(int, const std::string&)> walk = [&](int dir, const std::string& path) {
    for (const auto& [name, id] : m.nodes.at(dir).entries) {
      const auto& n = m.nodes.at(id);
      auto [it, fresh] = seen.try_emplace(id, static_cast<int>(seen.size()));
      out += path + "/" + name + (n.dir ? " dir " : " file ") + std::to_string(n.nlink) + " #" +
             std::to_string(it->second) + "\n";
      if (n.dir) walk(id, path + "/" + name);
    }
  };
  walk(1, "");
  return out;
}

TEST(VolumeTest, RandomOperationsMatchAPosixModelAcrossCheckpoints) {
  ScratchDir dir;
  auto api = Api(dir);
  VolumeOptions o;
  o.btree.max_node_bytes = 1024;  // a tree of several levels
  o.root_uid = o.root_gid = 1000;
  auto created = Volume::Open(*api, kHome, o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<Volume> v = std::move(*created);
  Model m;
  std::map<int, Ino> ino{{1, kRootIno}};
  std::mt19937_64 rng(151);
  const std::vector<std::string> names = {"a", "b", "c", "d", "e", "f"};
  auto pick_name = [&] { return names[rng() % names.size()]; };
  auto pick_dir = [&] {
    auto dirs = m.Dirs();
    return dirs[rng() % dirs.size()];
  };
  int done = 0;
  for (int step = 0; step < 6000; ++step) {
    const int op = static_cast<int>(rng() % 7);
    const int p = pick_dir();
    const std::string n = pick_name();
    int want = 0, got = 0;
    if (op == 0 || op == 1) {
      const bool is_dir = op == 0;
      const int id = m.next;
      want = m.Make(p, n, is_dir);
      auto r = is_dir ? v->Mkdir(ino[p], n, 0755, 1, 1) : v->Create(ino[p], n, 0644, 1, 1);
      got = r.ok() ? 0 : Errno(r.status());
      if (r.ok() && want == 0) ino[id] = r->ino;
    } else if (op == 2) {
      want = m.Unlink(p, n);
      got = Errno(v->Unlink(ino[p], n));
    } else if (op == 3) {
      want = m.Rmdir(p, n);
      got = Errno(v->Rmdir(ino[p], n));
    } else if (op == 4) {
      std::vector<int> files;
      for (const auto& [id, node] : m.nodes)
        if (!node.dir) files.push_back(id);
      if (files.empty()) continue;
      const int f = files[rng() % files.size()];
      want = m.Link(f, p, n);
      auto r = v->Link(ino[f], ino[p], n);
      got = r.ok() ? 0 : Errno(r.status());
    } else {
      const int np = pick_dir();
      const std::string nn = pick_name();
      want = m.Rename(p, n, np, nn);
      got = Errno(v->Rename(ino[p], n, ino[np], nn));
    }
    ASSERT_EQ(got, want) << "step " << step << " op " << op << " in " << p << " name " << n;
    done += want == 0;
    if (step % 1000 == 999) {
      auto root = v->Checkpoint();
      ASSERT_TRUE(root.ok()) << root.status().ToString();
      auto reopened = Volume::Open(*api, kHome, o);
      ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
      v = std::move(*reopened);
      ASSERT_EQ(Dump(*v), Dump(m)) << "after step " << step;
    }
  }
  EXPECT_GT(done, 1500);
  // The root's link count: 2 and one per subdirectory.
  auto root = v->GetAttr(kRootIno);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->nlink, static_cast<uint32_t>(m.nodes[1].nlink));
}

TEST(VolumeTest, NamesAndTypesAreCheckedAsPosixDoes) {
  ScratchDir dir;
  auto api = Api(dir);
  auto v = Volume::Open(*api, kHome);
  ASSERT_TRUE(v.ok());
  Volume& vol = **v;
  auto d = vol.Mkdir(kRootIno, "d", 0755, 0, 0);
  ASSERT_TRUE(d.ok());
  auto f = vol.Create(d->ino, "f", 0600, 5, 6);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Errno(vol.Mkdir(kRootIno, "x/y", 0755, 0, 0).status()), EINVAL);
  EXPECT_EQ(Errno(vol.Create(kRootIno, "..", 0644, 0, 0).status()), EINVAL);
  EXPECT_EQ(Errno(vol.Create(kRootIno, std::string(256, 'n'), 0644, 0, 0).status()), ENAMETOOLONG);
  EXPECT_TRUE(vol.Create(kRootIno, std::string(255, 'n'), 0644, 0, 0).ok());
  EXPECT_EQ(Errno(vol.Lookup(f->ino, "x").status()), ENOTDIR);
  EXPECT_EQ(Errno(vol.Link(d->ino, kRootIno, "hard").status()), EPERM);
  EXPECT_EQ(Errno(vol.Rename(kRootIno, "d", d->ino, "inside")), EINVAL);
  EXPECT_EQ(Errno(vol.SetAttr(d->ino, AttrChange{.size = 5}).status()), EISDIR);
  // Lookup of "." and "..", and the attributes given.
  auto dot = vol.Lookup(d->ino, "..");
  ASSERT_TRUE(dot.ok());
  EXPECT_EQ(dot->ino, kRootIno);
  auto got = vol.Lookup(d->ino, "f");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->mode, 0600u);
  EXPECT_EQ(got->uid, 5u);
  EXPECT_EQ(got->gid, 6u);
  auto sym = vol.Symlink(d->ino, "s", "../target", 0, 0);
  ASSERT_TRUE(sym.ok());
  EXPECT_EQ(sym->type, FileType::kSymlink);
  EXPECT_EQ(sym->size, 9u);
  auto changed = vol.SetAttr(f->ino, AttrChange{.mode = 0640, .size = 4096});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->mode, 0640u);
  EXPECT_EQ(changed->size, 4096u);
  // ReadDir pages by name.
  std::vector<std::string> after;
  ASSERT_TRUE(vol.ReadDir(d->ino, "f", [&](const DirEntry& e) {
                   after.push_back(e.name);
                   return true;
                 }).ok());
  EXPECT_EQ(after, std::vector<std::string>{"s"});
}

// File data against a string: writes anywhere (past the end: a hole, read as zeros),
// overwrites of parts of earlier writes, truncation down and up, across blocks and
// checkpoints, with blocks compacted when laid over too often.
TEST(VolumeTest, FileDataMatchesAStringThroughWritesTruncationsAndCheckpoints) {
  ScratchDir dir;
  auto api = Api(dir);
  VolumeOptions o;
  o.block_bytes = 4096;  // many blocks, many pieces
  auto created = Volume::Open(*api, kHome, o);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<Volume> v = std::move(*created);
  auto f = v->Create(kRootIno, "data", 0644, 0, 0);
  ASSERT_TRUE(f.ok());
  const Ino ino = f->ino;
  std::string model;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 3000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      const uint64_t off = rng() % 40000;
      std::string data(1 + rng() % 9000, '\0');
      for (auto& c : data) c = static_cast<char>(rng());
      ASSERT_TRUE(v->Write(ino, off, data).ok());
      if (model.size() < off + data.size()) model.resize(off + data.size(), '\0');
      model.replace(off, data.size(), data);
    } else if (op < 7) {
      const uint64_t size = rng() % 45000;
      auto r = v->SetAttr(ino, AttrChange{.size = size});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      model.resize(size, '\0');
    } else {
      const uint64_t off = rng() % 46000, len = rng() % 12000;
      auto got = v->Read(ino, off, len);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      const std::string want = off >= model.size() ? std::string() : model.substr(off, len);
      ASSERT_EQ(*got, want) << "step " << step << " read " << off << "+" << len;
    }
    auto attr = v->GetAttr(ino);
    ASSERT_TRUE(attr.ok());
    ASSERT_EQ(attr->size, model.size());
    if (step % 500 == 499) {
      auto root = v->Checkpoint();
      ASSERT_TRUE(root.ok());
      auto reopened = Volume::Open(*api, kHome, o);
      ASSERT_TRUE(reopened.ok());
      v = std::move(*reopened);
      auto all = v->Read(ino, 0, model.size() + 10);
      ASSERT_TRUE(all.ok());
      ASSERT_EQ(*all, model) << "after step " << step;
    }
  }
  // Unlinking the last name drops the data with the inode.
  ASSERT_TRUE(v->Unlink(kRootIno, "data").ok());
  EXPECT_EQ(Errno(v->Read(ino, 0, 10).status()), ENOENT);
}

// The same bytes written twice, in two files, are stored once.
TEST(VolumeTest, DataWrittenTwiceIsStoredOnce) {
  ScratchDir dir;
  auto api = Api(dir);
  auto v = Volume::Open(*api, kHome);
  ASSERT_TRUE(v.ok());
  std::string data(256 << 10, '\0');
  std::mt19937_64 rng(9);
  for (auto& c : data) c = static_cast<char>(rng());
  auto a = (*v)->Create(kRootIno, "a", 0644, 0, 0);
  auto b = (*v)->Create(kRootIno, "b", 0644, 0, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*v)->Write(a->ino, 0, data).ok());
  const uint64_t before = api->backend().Stats().payload_bytes_written;
  ASSERT_TRUE((*v)->Write(b->ino, 0, data).ok());
  EXPECT_EQ(api->backend().Stats().payload_bytes_written, before);
  auto got = (*v)->Read(b->ino, 0, data.size());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, data);
  EXPECT_EQ(Errno((*v)->Write(kRootIno, 0, "x")), EISDIR);
}

TEST(InodeTest, EncodingRoundTripsAndRefusesDamage) {
  Inode n;
  n.ino = 77;
  n.type = FileType::kSymlink;
  n.mode = 0777;
  n.uid = 1000;
  n.nlink = 3;
  n.size = 1ull << 40;
  n.mtime_ns = 1'700'000'000'123'456'789ull;
  n.target = "../x";
  auto back = Inode::Decode(n.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, n);
  std::string bytes = n.Encode();
  EXPECT_EQ(Inode::Decode(bytes + "x").status().code(), Code::kCorruption);
  EXPECT_EQ(Inode::Decode(bytes.substr(0, bytes.size() - 1)).status().code(), Code::kCorruption);
  bytes[2] = 9;  // the type byte (after the version and a one-byte ino)
  EXPECT_EQ(Inode::Decode(bytes).status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace ccow::fs
