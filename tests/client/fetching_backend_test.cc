// FetchingBackend (client/fetching_backend.h): a chunk this site lacks is fetched from the
// source once, verified and then read from the cache; what the source forges is refused
// and not cached; without a source, or when it fails, the read fails naming the chunk;
// nothing fetched enters the site's own store.
#include "client/fetching_backend.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "model/chunk_manifest.h"

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
    return [this](const std::vector<Chid>& chids, std::vector<std::string>* out) {
      ++requests;
      batches.push_back(chids);
      if (gate) gate();
      out->assign(chids.size(), std::string());
      for (size_t i = 0; i < chids.size(); ++i) {
        auto it = remote.find(chids[i]);
        if (it == remote.end()) continue;
        ++fetches;
        (*out)[i] = forge ? it->second + "x" : it->second;
      }
      return (*out)[0].empty() ? Status::NotFound("the other site lacks " + chids[0].ToString()) : Status::OK();
    };
  }
  ScratchDir dir;
  std::unique_ptr<FetchingBackend> backend;
  std::map<Chid, std::string> remote;
  std::atomic<int> fetches{0}, requests{0};
  std::vector<std::vector<Chid>> batches;
  std::function<void()> gate;  // runs inside each fetch (a test holds a fetch open)
  bool forge = false;
};

// A chunk manifest of `n` payload chunks, each at the other site only; the manifest is
// stored here (a metadata-only site holds the manifests).
std::vector<std::string> ManifestHere(Fixture& f, size_t n, Chid* manifest) {
  std::vector<std::string> chunks;
  ChunkManifest cm;
  uint64_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    chunks.push_back(RandomBytes(20'000 + i, 100 + i));
    f.Remote(chunks.back());
    cm.refs.push_back({offset, chunks.back().size(), ChunkKind::kPayload, HashBytes(HashAlgo::kSha256, chunks.back())});
    offset += chunks.back().size();
  }
  const std::string bytes = cm.Encode();
  *manifest = HashBytes(HashAlgo::kSha256, bytes);
  bool stored_new = false;
  EXPECT_TRUE(f.backend->PutChunk(*manifest, bytes, 1, &stored_new, nullptr).ok());
  EXPECT_TRUE(f.backend->SyncChunks().ok());
  return chunks;
}

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

// A read of an object walks its manifest, then its chunks in order: the first missing
// chunk is fetched with the next ones of the manifest in one request, and the reads that
// follow find them in the cache.
TEST(FetchingBackendTest, TheNextChunksOfAManifestComeInTheSameRequest) {
  Fixture f;
  f.backend->SetSource(f.Source());
  Chid manifest;
  const auto chunks = ManifestHere(f, 6, &manifest);
  std::string out;
  ASSERT_TRUE(f.backend->GetChunk(manifest, &out).ok());
  for (const auto& c : chunks) {
    ASSERT_TRUE(f.backend->GetChunk(HashBytes(HashAlgo::kSha256, c), &out).ok());
    EXPECT_EQ(out, c);
  }
  EXPECT_EQ(f.requests, 1);
  ASSERT_EQ(f.batches.size(), 1u);
  EXPECT_EQ(f.batches[0].size(), chunks.size());
  FetchStats s = f.backend->fetch_stats();
  EXPECT_EQ(s.fetches, chunks.size());
  EXPECT_EQ(s.read_ahead, chunks.size() - 1);
  EXPECT_EQ(s.requests, 1u);
}

// Read-ahead the other site leaves out, or sends forged, costs nothing but the chunk: it is
// not cached, and its own read fetches it again.
TEST(FetchingBackendTest, ReadAheadThatFailsIsFetchedAgainWhenRead) {
  Fixture f;
  f.backend->SetSource(f.Source());
  Chid manifest;
  const auto chunks = ManifestHere(f, 3, &manifest);
  f.remote.erase(HashBytes(HashAlgo::kSha256, chunks[1]));  // not there yet
  std::string out;
  ASSERT_TRUE(f.backend->GetChunk(manifest, &out).ok());
  ASSERT_TRUE(f.backend->GetChunk(HashBytes(HashAlgo::kSha256, chunks[0]), &out).ok());
  EXPECT_EQ(f.requests, 1);
  f.Remote(chunks[1]);
  ASSERT_TRUE(f.backend->GetChunk(HashBytes(HashAlgo::kSha256, chunks[1]), &out).ok());
  EXPECT_EQ(out, chunks[1]);
  ASSERT_TRUE(f.backend->GetChunk(HashBytes(HashAlgo::kSha256, chunks[2]), &out).ok());
  EXPECT_EQ(out, chunks[2]);
  EXPECT_EQ(f.requests, 2);  // chunk 2 came with chunk 0
}

// Reads of one missing chunk at once share one fetch.
TEST(FetchingBackendTest, ConcurrentReadsOfOneChunkShareOneFetch) {
  Fixture f;
  const std::string data = RandomBytes(40'000, 9);
  const Chid chid = HashBytes(HashAlgo::kSha256, data);
  f.Remote(data);
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  f.gate = [&] {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  f.backend->SetSource(f.Source());
  std::string first, second;
  Status s1, s2;
  std::thread a([&] { s1 = f.backend->GetChunk(chid, &first); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  std::thread b([&] { s2 = f.backend->GetChunk(chid, &second); });
  // b finds a's fetch under way and waits for it (merged is counted before it waits).
  for (int i = 0; i < 200 && f.backend->fetch_stats().merged == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  a.join();
  b.join();
  ASSERT_TRUE(s1.ok()) << s1.ToString();
  ASSERT_TRUE(s2.ok()) << s2.ToString();
  EXPECT_EQ(first, data);
  EXPECT_EQ(second, data);
  EXPECT_EQ(f.requests, 1);
  EXPECT_EQ(f.backend->fetch_stats().merged, 1u);
}

}  // namespace
}  // namespace ccow
