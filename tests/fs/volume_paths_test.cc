// A volume's operations by path (fs/volume.h "Paths"), what S3 writes into a file volume
// use: PutFile lays stored chunks as a file in one step, keeping a replaced file's inode;
// missing directories are made as their parent's owner's; refusals change nothing.
#include <gtest/gtest.h>

#include <cerrno>

#include "fs/volume.h"
#include "store/store_test_util.h"

namespace ccow::fs {
namespace {

using ccow::testing::ScratchDir;

const std::string kHome = "ccow/t/.fs/paths";

struct Fixture {
  Fixture() {
    auto backend = OpenLocalBackend(dir.path() + "/store");
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    api = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), ApiOptions{});
    volume = Open();
  }
  std::unique_ptr<Volume> Open() {
    VolumeOptions o;
    o.root_uid = 1000;
    o.root_gid = 100;
    o.btree.max_node_bytes = 2048;
    auto v = Volume::Open(*api, kHome, o);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return std::move(*v);
  }
  // The blocks of `data` as an S3 PUT stores them: a chunk per block.
  std::vector<std::pair<uint64_t, FileBlock>> Blocks(const std::string& data, WriteFence* fence) {
    std::vector<std::pair<uint64_t, FileBlock>> blocks;
    const uint64_t bb = volume->block_bytes();
    for (uint64_t at = 0; at < data.size(); at += bb) {
      auto piece = volume->StoreChunk(std::string_view(data).substr(at, bb), fence);
      EXPECT_TRUE(piece.ok()) << piece.status().ToString();
      blocks.push_back({at / bb, FileBlock{{*piece}}});
    }
    return blocks;
  }
  std::string ReadPath(Volume& v, const std::string& path) {
    auto n = v.LookupPath(path);
    EXPECT_TRUE(n.ok()) << path << ": " << n.status().ToString();
    if (!n.ok()) return "";
    auto got = v.Read(n->ino, 0, n->size + 1);
    EXPECT_TRUE(got.ok());
    return got.ok() ? *got : "";
  }
  ScratchDir dir;
  std::unique_ptr<ObjectApi> api;
  std::unique_ptr<Volume> volume;
};

TEST(VolumePathsTest, PutFileReplacesAFileInOneStepKeepingItsInode) {
  Fixture f;
  auto docs = f.volume->Mkdir(kRootIno, "docs", 0700, 1000, 100);
  ASSERT_TRUE(docs.ok());
  auto old = f.volume->Create(docs->ino, "a.txt", 0600, 1000, 100);
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE(f.volume->Write(old->ino, 0, std::string(3 << 20, 'o')).ok());
  ASSERT_TRUE(f.volume->Link(old->ino, kRootIno, "hard").ok());

  std::string data(2'500'000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + (i >> 12));
  WriteFence fence;
  auto blocks = f.Blocks(data, &fence);
  auto put = f.volume->PutFile("docs/a.txt", blocks, data.size(), 0644, fence);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->ino, old->ino);
  EXPECT_EQ(put->mode, 0600u) << "a replaced file keeps its mode";
  EXPECT_EQ(put->size, data.size());
  EXPECT_TRUE(f.ReadPath(*f.volume, "docs/a.txt") == data);
  EXPECT_TRUE(f.ReadPath(*f.volume, "hard") == data) << "another name of the inode sees the new bytes";
  ASSERT_TRUE(f.volume->Checkpoint().ok());
  auto again = f.Open();
  EXPECT_TRUE(f.ReadPath(*again, "docs/a.txt") == data);

  // A sparse file: blocks 0 and 2 given, block 1 a hole.
  std::vector<std::pair<uint64_t, FileBlock>> sparse = {blocks[0], {2, blocks[2].second}};
  const uint64_t size = 2 * f.volume->block_bytes() + blocks[2].second.pieces[0].length;
  ASSERT_TRUE(f.volume->PutFile("sparse", sparse, size, 0644, fence).ok());
  const std::string got = f.ReadPath(*f.volume, "sparse");
  ASSERT_EQ(got.size(), size);
  EXPECT_EQ(got.substr(f.volume->block_bytes(), f.volume->block_bytes()), std::string(f.volume->block_bytes(), '\0'));
  EXPECT_TRUE(got.substr(0, f.volume->block_bytes()) == data.substr(0, f.volume->block_bytes()));
}

TEST(VolumePathsTest, MissingDirectoriesAreMadeAsTheirParentsOwner) {
  Fixture f;
  WriteFence fence;
  ASSERT_TRUE(f.volume->PutFile("x/y/z.bin", f.Blocks("zz", &fence), 2, 0640, fence).ok());
  for (const char* path : {"x", "x/y"}) {
    auto d = f.volume->LookupPath(path);
    ASSERT_TRUE(d.ok()) << path;
    EXPECT_TRUE(d->is_dir());
    EXPECT_EQ(d->mode, 0755u);
    EXPECT_EQ(d->uid, 1000u);
    EXPECT_EQ(d->gid, 100u);
  }
  auto z = f.volume->LookupPath("x/y/z.bin");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->mode, 0640u);
  EXPECT_EQ(z->uid, 1000u);
  auto d = f.volume->MakeDirectories("x/y/w/v");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(f.volume->LookupPath("x/y/w/v")->is_dir());
  EXPECT_EQ(f.volume->MakeDirectories("x/y")->ino, f.volume->LookupPath("x/y")->ino) << "mkdir -p of one there";
}

TEST(VolumePathsTest, RefusalsChangeNothing) {
  Fixture f;
  WriteFence fence;
  ASSERT_TRUE(f.volume->PutFile("d/f", f.Blocks("f", &fence), 1, 0644, fence).ok());
  ASSERT_TRUE(f.volume->Symlink(kRootIno, "link", "d", 1000, 100).ok());
  ASSERT_TRUE(f.volume->Checkpoint().ok());
  auto errno_of = [](const Status& s) { return s.ok() ? 0 : s.posix_errno(); };
  EXPECT_EQ(errno_of(f.volume->PutFile("d/f/g", {}, 0, 0644, fence).status()), ENOTDIR);
  EXPECT_EQ(errno_of(f.volume->PutFile("d/new/f/g", {}, 0, 0644, fence).status()), 0) << "d/new is made";
  EXPECT_EQ(errno_of(f.volume->PutFile("d/new/f/g/h", {}, 0, 0644, fence).status()), ENOTDIR);
  EXPECT_EQ(errno_of(f.volume->PutFile("d", {}, 0, 0644, fence).status()), EISDIR);
  EXPECT_EQ(errno_of(f.volume->PutFile("link", {}, 0, 0644, fence).status()), EINVAL);
  EXPECT_EQ(errno_of(f.volume->PutFile("d//x", {}, 0, 0644, fence).status()), EINVAL);
  EXPECT_EQ(errno_of(f.volume->PutFile("d/../x", {}, 0, 0644, fence).status()), EINVAL);
  auto blocks = f.Blocks("abc", &fence);
  EXPECT_EQ(errno_of(f.volume->PutFile("d/short", blocks, 2, 0644, fence).status()), EINVAL) << "blocks past the size";
  EXPECT_EQ(errno_of(f.volume->MakeDirectories("d/f/x").status()), ENOTDIR);
  EXPECT_EQ(errno_of(f.volume->MakeDirectories("d/f").status()), ENOTDIR);
  // Nothing of the refused calls is there: no directory made on the way to a refusal.
  int entries = 0;
  ASSERT_TRUE(f.volume->ReadDir(f.volume->LookupPath("d/new/f")->ino, "", [&](const DirEntry&) {
    ++entries;
    return true;
  }).ok());
  EXPECT_EQ(entries, 1) << "only g";
  EXPECT_TRUE(f.volume->LookupPath("d/short").status().IsNotFound());
  EXPECT_TRUE(f.ReadPath(*f.volume, "d/f") == "f");

  // RemovePath: a file, an empty directory with its '/', not a directory that holds files.
  EXPECT_EQ(errno_of(f.volume->RemovePath("d/")), ENOTEMPTY);
  EXPECT_EQ(errno_of(f.volume->RemovePath("d/new/f/g")), 0);
  EXPECT_EQ(errno_of(f.volume->RemovePath("d/new/f/")), 0);
  EXPECT_EQ(errno_of(f.volume->RemovePath("d/new/f/")), ENOENT);
  EXPECT_EQ(errno_of(f.volume->RemovePath("d/f/")), ENOTDIR);
  EXPECT_EQ(errno_of(f.volume->RemovePath("d")), EISDIR);
}

}  // namespace
}  // namespace ccow::fs
