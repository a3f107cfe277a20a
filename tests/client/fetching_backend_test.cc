// FetchingBackend (client/fetching_backend.h): a chunk this site lacks is fetched from the
// source once, verified and then read from the cache; what the source forges is refused
// and not cached; without a source, or when it fails, the read fails naming the chunk;
// nothing fetched enters the site's own store.
#include "client/fetching_backend.h"

#include <gtest/gtest.h>

#include "client/object_api.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

struct Fixture {
  Fixture() {
    auto inner = OpenLocalBackend(dir.path() + "/store");
    EXPECT_TRUE(inner.ok()) << inner.status().ToString();
    auto cache = ChunkCache::Open(dir.path() + "/cache", 1 << 20);
    EXPECT_TRUE(cache.ok());
    backend = std::make_unique<FetchingBackend>(std::shared_ptr<Backend>(std::move(*inner)), std::move(*cache));
  }
  // The other site: chunks by CHID; each fetch counted.
  void Remote(const std::string& bytes) { remote[HashBytes(HashAlgo::kSha256, bytes)] = bytes; }
  ChunkSource Source() {
    return [this](const Chid& chid, std::string* out) {
      ++fetches;
      auto it = remote.find(chid);
      if (it == remote.end()) return Status::NotFound("the other site lacks " + chid.ToString());
      *out = forge ? it->second + "x" : it->second;
      return Status::OK();
    };
  }
  ScratchDir dir;
  std::unique_ptr<FetchingBackend> backend;
  std::map<Chid, std::string> remote;
  int fetches = 0;
  bool forge = false;
};

TEST(FetchingBackendTest, AnAbsentChunkIsFetchedOnceThenReadFromTheCache) {
  Fixture f;
  const std::string data = RandomBytes(50'000, 1);
  const Chid chid = HashBytes(HashAlgo::kSha256, data);
  f.Remote(data);
  std::string out;
  EXPECT_TRUE(f.backend->GetChunk(chid, &out).IsNotFound()) << "no source yet";
  f.backend->SetSource(f.Source());
  ASSERT_TRUE(f.backend->GetChunk(chid, &out).ok());
  EXPECT_EQ(out, data);
  ASSERT_TRUE(f.backend->GetChunk(chid, &out).ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(f.fetches, 1);
  FetchStats s = f.backend->fetch_stats();
  EXPECT_EQ(s.fetches, 1u);
  EXPECT_EQ(s.fetched_bytes, data.size());
  EXPECT_EQ(s.cache.hits, 1u);
  // The site's own store did not take it.
  auto holders = f.backend->LocateChunk(chid);
  ASSERT_TRUE(holders.ok());
  EXPECT_TRUE(holders->empty());
}

TEST(FetchingBackendTest, ForgedBytesAreRefusedAndNotCached) {
  Fixture f;
  const std::string data = RandomBytes(10'000, 2);
  const Chid chid = HashBytes(HashAlgo::kSha256, data);
  f.Remote(data);
  f.forge = true;
  f.backend->SetSource(f.Source());
  std::string out;
  Status s = f.backend->GetChunk(chid, &out);
  EXPECT_EQ(s.code(), Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find(chid.ToString()), std::string::npos);
  f.forge = false;
  ASSERT_TRUE(f.backend->GetChunk(chid, &out).ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(f.fetches, 2);
  EXPECT_EQ(f.backend->fetch_stats().fetch_failures, 1u);
}

TEST(FetchingBackendTest, ChunksStoredHereAreNeverFetchedAndMissesEverywhereFail) {
  Fixture f;
  f.backend->SetSource(f.Source());
  const std::string data = RandomBytes(3000, 3);
  const Chid chid = HashBytes(HashAlgo::kSha256, data);
  bool stored_new = false;
  ASSERT_TRUE(f.backend->PutChunk(chid, data, 1, &stored_new, nullptr).ok());
  ASSERT_TRUE(f.backend->SyncChunks().ok());
  std::string out;
  ASSERT_TRUE(f.backend->GetChunk(chid, &out).ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(f.fetches, 0);
  const Chid nowhere = HashBytes(HashAlgo::kSha256, std::string("stored at no site"));
  Status s = f.backend->GetChunk(nowhere, &out);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.message().find("the other site lacks"), std::string::npos);
}

}  // namespace
}  // namespace ccow
