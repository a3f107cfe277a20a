// The S3 view of a volume (fs/volume_objects.h): its files and directories are objects
// keyed by path, listed exactly as ObjectApi::List lists the same keys put as objects,
// read through their read plans from the last checkpoint.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "client/byte_stream.h"
#include "fs/volume_objects.h"
#include "store/store_test_util.h"

namespace ccow::fs {
namespace {

using ccow::testing::ScratchDir;

const std::string kVolumeBucket = "ccow/t/vol";
const std::string kMirrorBucket = "ccow/t/mirror";  // the same keys as objects

struct Fixture {
  Fixture() {
    auto backend = OpenLocalBackend(dir.path() + "/store");
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    api = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), ApiOptions{});
    VolumeOptions o;
    o.btree.max_node_bytes = 2048;  // several levels of nodes (the view reads any tree)
    auto v = Volume::Open(*api, *Volume::HomeOf(kVolumeBucket), o);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    volume = std::move(*v);
  }
  std::unique_ptr<VolumeObjects> View() {
    auto view = VolumeObjects::Open(*api, kVolumeBucket);
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    return std::move(*view);
  }
  void PutMirror(const std::string& key) {
    StringSource none("");
    auto put = api->Put(kMirrorBucket + "/" + key, none, PutOptions{});
    ASSERT_TRUE(put.ok()) << key << ": " << put.status().ToString();
  }
  ScratchDir dir;
  std::unique_ptr<ObjectApi> api;
  std::unique_ptr<Volume> volume;
};

std::string ReadAll(VolumeObjects& view, const std::string& key, std::optional<ByteRange> range = std::nullopt) {
  StringSink sink;
  Status s = view.Read(key, [&](const ObjectInfo&) -> Result<std::optional<ByteRange>> { return range; }, sink);
  EXPECT_TRUE(s.ok()) << key << ": " << s.ToString();
  return sink.data();
}

// What a listing says, with the bucket's part of the names cut off.
struct Page {
  std::vector<std::string> keys, prefixes;
  bool truncated = false;
  std::string next;
  friend bool operator==(const Page&, const Page&) = default;
};
std::ostream& operator<<(std::ostream& os, const Page& p) {
  os << "keys:";
  for (const auto& k : p.keys) os << " [" << k << "]";
  os << " prefixes:";
  for (const auto& k : p.prefixes) os << " [" << k << "]";
  return os << " truncated " << p.truncated << " next [" << p.next << "]";
}
Page Cut(const ListResult& r, const std::string& bucket) {
  const size_t n = bucket.size() + 1;
  Page p;
  for (const auto& name : r.names) p.keys.push_back(name.substr(n));
  for (const auto& cp : r.common_prefixes) p.prefixes.push_back(cp.substr(n));
  p.truncated = r.truncated;
  if (!r.next_start_after.empty()) p.next = r.next_start_after.substr(n);
  return p;
}

// Random trees whose names sort around '/' ("a-b" and "a.c" before "a/", "a0" after),
// listed with random prefixes, delimiters, start points and page sizes: every page is
// the page ObjectApi::List gives for the same keys put as objects, and so is every
// listing followed page by page to its end.
TEST(VolumeObjectsTest, ListingsAreObjectApiListingsOfTheSameKeys) {
  // "..data" and ".x" sort before "/" and start with a dot: "." and ".." are never
  // entries, though a lookup answers them.
  const std::vector<std::string> names = {"a", "a-b", "a.c", "a0", "ab", "a b", "b", "b-", "z", "a!x", "..data", ".x", "a/"};
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Fixture f;
    std::mt19937_64 rng(seed);
    std::set<std::string> keys;
    std::vector<std::pair<Ino, std::string>> dirs = {{kRootIno, ""}};
    for (int i = 0; i < 120; ++i) {
      auto [parent, path] = dirs[rng() % dirs.size()];
      const std::string name = names[rng() % (names.size() - 1)];  // "a/" is for prefixes only
      const int kind = static_cast<int>(rng() % 10);
      if (kind < 4 && path.size() < 12) {
        auto d = f.volume->Mkdir(parent, name, 0755, 0, 0);
        if (!d.ok()) continue;  // the name is taken
        dirs.emplace_back(d->ino, path + name + "/");
        keys.insert(path + name + "/");
      } else if (kind < 9) {
        auto n = f.volume->Create(parent, name, 0644, 0, 0);
        if (!n.ok()) continue;
        ASSERT_TRUE(f.volume->Write(n->ino, 0, std::string(rng() % 100, 'x')).ok());
        keys.insert(path + name);
      } else {
        (void)f.volume->Symlink(parent, name, "elsewhere", 0, 0);  // not an object
      }
    }
    ASSERT_TRUE(f.volume->Checkpoint().ok());
    for (const auto& k : keys) f.PutMirror(k);
    auto view = f.View();

    std::vector<std::string> prefixes = {"", "a", "a/", "a-", "a/a", "b", "a/a/", "zz", ".", "./", "..", "../", "a/..", "a/./"};
    std::vector<std::string> afters = {"", "a", "a/", "a-b", "a/a", "a/a-b", "a0", "b/z", "~", "..data", ".", "./", "..", "a/..data"};
    for (const auto& k : keys) {
      prefixes.push_back(k.substr(0, rng() % (k.size() + 1)));
      afters.push_back(k);
    }
    const std::vector<std::string> delimiters = {"", "/", "-", "b"};
    for (int q = 0; q < 400; ++q) {
      ListOptions o;
      const std::string prefix = prefixes[rng() % prefixes.size()];
      const std::string after = afters[rng() % afters.size()];
      o.delimiter = delimiters[rng() % delimiters.size()];
      o.limit = rng() % 3 == 0 ? 1000 : 1 + rng() % 5;
      SCOPED_TRACE("prefix [" + prefix + "] after [" + after + "] delimiter [" + o.delimiter + "] limit " +
                   std::to_string(o.limit));
      ListOptions m = o;
      o.prefix = kVolumeBucket + "/" + prefix;
      m.prefix = kMirrorBucket + "/" + prefix;
      if (!after.empty()) {
        o.start_after = kVolumeBucket + "/" + after;
        m.start_after = kMirrorBucket + "/" + after;
      }
      // Page by page to the end.
      for (int pages = 0; pages < 200; ++pages) {
        auto got = view->List(o);
        auto want = f.api->List(m);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ASSERT_TRUE(want.ok()) << want.status().ToString();
        ASSERT_EQ(Cut(*got, kVolumeBucket), Cut(*want, kMirrorBucket));
        if (!got->truncated) break;
        o.start_after = got->next_start_after;
        m.start_after = want->next_start_after;
      }
    }
  }
}

TEST(VolumeObjectsTest, AFileIsReadThroughItsReadPlanFromTheLastCheckpoint) {
  Fixture f;
  std::mt19937_64 rng(7);
  auto docs = f.volume->Mkdir(kRootIno, "docs", 0755, 0, 0);
  ASSERT_TRUE(docs.ok());
  auto file = f.volume->Create(docs->ino, "report.bin", 0644, 0, 0);
  ASSERT_TRUE(file.ok());
  std::string data(300'000, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  ASSERT_TRUE(f.volume->Write(file->ino, 0, data).ok());
  // A hole (all of block 1), then a piece laid over the middle of a block.
  ASSERT_TRUE(f.volume->Write(file->ino, 2'500'000, "tail").ok());
  data.resize(2'500'000, '\0');
  data += "tail";
  ASSERT_TRUE(f.volume->Write(file->ino, 70'000, "overwritten").ok());
  data.replace(70'000, 11, "overwritten");
  ASSERT_TRUE(f.volume->Symlink(kRootIno, "link", "docs/report.bin", 0, 0).ok());
  auto empty = f.volume->Create(kRootIno, "empty", 0644, 0, 0);
  ASSERT_TRUE(empty.ok());

  // Nothing before the first checkpoint.
  EXPECT_TRUE(f.View()->Stat("docs/report.bin").status().IsNotFound());
  ASSERT_TRUE(f.volume->Checkpoint().ok());

  auto view = f.View();
  auto info = view->Stat("docs/report.bin");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->name, kVolumeBucket + "/docs/report.bin");
  ASSERT_EQ(info->etag.size(), 34u) << info->etag;  // 32 hex digits and "-1": no MD5 of the bytes
  EXPECT_EQ(info->etag.substr(32), "-1");
  EXPECT_TRUE(ReadAll(*view, "docs/report.bin") == data);
  EXPECT_TRUE(ReadAll(*view, "docs/report.bin", ByteRange{69'990, 100}) == data.substr(69'990, 100));
  EXPECT_TRUE(ReadAll(*view, "docs/report.bin", ByteRange{299'000, 1'800'000}) == data.substr(299'000, 1'800'000));
  EXPECT_TRUE(ReadAll(*view, "docs/report.bin", ByteRange{2'499'998, std::nullopt}) == data.substr(2'499'998));
  auto dir = view->Stat("docs/");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->size, 0u);
  EXPECT_EQ(dir->content_type, "application/x-directory");
  auto none = view->Stat("empty");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->etag, "d41d8cd98f00b204e9800998ecf8427e");  // the MD5 of nothing
  for (const char* missing : {"docs", "docs/report.bin/", "link", "docs//report.bin", "docs/./report.bin", "nope",
                              "docs/report.bin/x", "/docs/report.bin"})
    EXPECT_TRUE(view->Stat(missing).status().IsNotFound()) << missing;

  // The ETag follows the bytes: a rewrite of the same bytes elsewhere keeps the other
  // file's; a change of one byte changes it; it shows at the next checkpoint only.
  const std::string before = info->etag;
  ASSERT_TRUE(f.volume->Write(file->ino, 1, std::string(1, static_cast<char>(data[1] ^ 1))).ok());
  EXPECT_EQ(f.View()->Stat("docs/report.bin")->etag, before);
  ASSERT_TRUE(f.volume->Checkpoint().ok());
  EXPECT_NE(f.View()->Stat("docs/report.bin")->etag, before);
  auto other = f.volume->Create(kRootIno, "other", 0644, 0, 0);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(f.volume->Write(other->ino, 0, "x").ok());
  const std::string etag = f.View()->Stat("docs/report.bin")->etag;
  ASSERT_TRUE(f.volume->Checkpoint().ok());
  EXPECT_EQ(f.View()->Stat("docs/report.bin")->etag, etag);
}

TEST(VolumeObjectsTest, ABucketWithoutAVolumeHasNoObjects) {
  Fixture f;
  auto view = VolumeObjects::Open(*f.api, "ccow/t/novolume");
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE((*view)->Stat("x").status().IsNotFound());
  ListOptions o;
  o.prefix = "ccow/t/novolume/";
  auto page = (*view)->List(o);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->names.empty() && page->common_prefixes.empty() && !page->truncated);
  o.prefix = "ccow/t/other/";
  EXPECT_EQ((*view)->List(o).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace ccow::fs
