// Degraded reads through the object API on one local store: an erasure-coded version
// whose payload chunks are lost, corrupt or unreachable still reads back byte for byte
// while at most M fragments of each stripe are gone, fails naming the stripe when more
// are, and a version that is not erasure coded fails exactly as it always did.
//
// The stripes are built here as the encoder job will build them: EncodeStripe over the
// version's payload chunks in object order, parity and the stripe set put as chunks, then
// SetErasureCoding on the version list.
#include "client/stripe_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "client/object_api.h"
#include "ec/stripe.h"
#include "store/chunk_damage.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

// The local backend with two test seams: it records OnDegradedRead, and makes chosen
// chunks answer as a cluster's unreachable or corrupt replicas would.
class RecordingBackend final : public Backend {
 public:
  explicit RecordingBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}

  void OnDegradedRead(const StripeManifest&, const Chid& lost_chid) override {
    std::lock_guard lock(mu_);
    rebuilt_.push_back(lost_chid);
  }
  std::vector<Chid> rebuilt() {
    std::lock_guard lock(mu_);
    return rebuilt_;
  }
  void FailWith(const Chid& chid, Code code) {
    std::lock_guard lock(mu_);
    failing_[chid] = code;
  }

  Status GetChunk(const Chid& chid, std::string* out) override {
    {
      std::lock_guard lock(mu_);
      auto it = failing_.find(chid);
      if (it != failing_.end())
        return Status(it->second, "chunk " + chid.ToString() + " failed on purpose");
    }
    return inner_->GetChunk(chid, out);
  }
  Status PutChunk(const Chid& chid, std::string_view bytes, uint32_t r, bool* stored_new,
                  WriteFence* fence) override {
    return inner_->PutChunk(chid, bytes, r, stored_new, fence);
  }
  Status PutChunk(const Chid& chid, std::string_view bytes) {
    bool stored_new = false;
    return PutChunk(chid, bytes, 1, &stored_new, nullptr);
  }
  Status SyncChunks() override { return inner_->SyncChunks(); }
  Result<std::vector<ChunkHolder>> LocateChunk(const Chid& chid) override {
    return inner_->LocateChunk(chid);
  }
  Status RaiseReplication(const Chid& chid, uint32_t r) override {
    return inner_->RaiseReplication(chid, r);
  }
  Status TouchChunk(const Chid& chid, uint32_t r, WriteFence* fence) override {
    return inner_->TouchChunk(chid, r, fence);
  }
  ChunkCollection* collection() override { return inner_->collection(); }
  ChunkStore* local_store() override { return inner_->local_store(); }
  Result<std::optional<VersionList>> GetVersionList(const std::string& name) override {
    return inner_->GetVersionList(name);
  }
  Status UpdateVersionList(const std::string& name, const Nhid& nhid,
                           const std::function<Status(VersionList*)>& mutate,
                           WriteFence* fence) override {
    return inner_->UpdateVersionList(name, nhid, mutate, fence);
  }
  Status ScanVersionLists(const std::string& prefix, const std::string& start_after,
                          const std::function<bool(const VersionList&)>& fn) override {
    return inner_->ScanVersionLists(prefix, start_after, fn);
  }
  Status ScanVersionListCopies(const std::string& start_after,
                               const std::function<bool(const VersionList&)>& fn) override {
    return inner_->ScanVersionListCopies(start_after, fn);
  }
  uint32_t default_replication_count() const override {
    return inner_->default_replication_count();
  }
  StoreCapacity Capacity() override { return inner_->Capacity(); }
  StoreStats Stats() override { return inner_->Stats(); }

 private:
  std::unique_ptr<Backend> inner_;
  std::mutex mu_;
  std::vector<Chid> rebuilt_;
  std::map<Chid, Code> failing_;
};

// What the test's encoder made of a version.
struct Encoded {
  Chid vm_chid, ec_chid;
  StripeSet set;
  std::vector<Chid> chunks;  // payload chunks in object order
  // Data chunk d of stripe s.
  const Chid& Data(size_t s, size_t d) const { return set.stripes.at(s).data.at(d).chid; }
};

class DegradedReadTest : public ::testing::Test {
 protected:
  static constexpr size_t kChunk = 4096;
  const std::string kName = "S/T/B/object";

  void SetUp() override { Open(Policy(kChunk)); }

  static ObjectPolicy Policy(uint64_t chunk_size) {
    ObjectPolicy p;
    p.chunk_size = chunk_size;
    p.single_chunk_max = chunk_size;
    p.manifest_fanout = 4;  // chunk manifests too: they stay replicated, never rebuilt
    return p;
  }

  void Open(ObjectPolicy policy) {
    api_.reset();
    backend_.reset();
    auto local = OpenLocalBackend(dir_.path());
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    backend_ = std::make_shared<RecordingBackend>(std::move(*local));
    ApiOptions opts;
    opts.default_policy = policy;
    api_ = std::make_unique<ObjectApi>(backend_, opts);
  }

  void Put(const std::string& data) {
    StringSource src(data);
    auto info = api_->Put(kName, src, {});
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }

  // Stripes the latest version's payload chunks under `policy`, stores the parity chunks
  // and the stripe set, and (with mark) records it in the version list.
  Encoded Encode(const char* policy, bool mark = true) {
    Encoded e;
    auto placements = api_->Locate(kName, {});
    EXPECT_TRUE(placements.ok()) << placements.status().ToString();
    if (!placements.ok()) return e;
    e.vm_chid = placements->front().chid;
    for (const auto& p : *placements)
      if (p.kind == "payload") e.chunks.push_back(p.chid);
    auto code = ErasureCode::Create(ErasurePolicy::Parse(policy).value()).value();
    const size_t k = code->data_count();
    for (size_t first = 0; first < e.chunks.size(); first += k) {
      std::vector<std::string> bytes(std::min(k, e.chunks.size() - first));
      std::vector<StripeInput> in;
      for (size_t i = 0; i < bytes.size(); ++i) {
        EXPECT_TRUE(backend_->GetChunk(e.chunks[first + i], &bytes[i]).ok());
        in.push_back({e.chunks[first + i], bytes[i]});
      }
      auto stripe = EncodeStripe(*code, in, HashAlgo::kSha256);
      EXPECT_TRUE(stripe.ok()) << stripe.status().ToString();
      if (!stripe.ok()) return e;
      for (size_t j = 0; j < stripe->parity.size(); ++j)
        EXPECT_TRUE(backend_->PutChunk(stripe->manifest.parity[j], stripe->parity[j]).ok());
      e.set.stripes.push_back(stripe->manifest);
    }
    e.set.vm_chid = e.vm_chid;
    std::string set_bytes = e.set.Encode();
    e.ec_chid = HashBytes(HashAlgo::kSha256, set_bytes);
    EXPECT_TRUE(backend_->PutChunk(e.ec_chid, set_bytes).ok());
    if (mark) Mark(e.vm_chid, e.ec_chid);
    return e;
  }

  void Mark(const Chid& vm_chid, const Chid& ec_chid) {
    auto vl = api_->Versions(kName);
    ASSERT_TRUE(vl.ok());
    Status st = backend_->UpdateVersionList(
        kName, vl->nhid(),
        [&](VersionList* list) { return list->SetErasureCoding(vm_chid, ec_chid); }, nullptr);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  void Remove(const Chid& chid) {
    ASSERT_TRUE(backend_->local_store()->RemoveChunk(chid).ok());
    std::string unused;
    ASSERT_TRUE(backend_->GetChunk(chid, &unused).IsNotFound());
  }

  // Get of the latest version (or a range of it): the status, and every byte the sink saw.
  std::pair<Status, std::string> Get(std::optional<ByteRange> range = std::nullopt) {
    StringSink sink;
    Status st = api_->Get(kName, {}, range, sink);
    return {st, sink.data()};
  }

  std::set<Chid> Rebuilt() {
    auto v = backend_->rebuilt();
    return {v.begin(), v.end()};
  }

  ScratchDir dir_;
  std::shared_ptr<RecordingBackend> backend_;
  std::unique_ptr<ObjectApi> api_;
};

// 11 chunks under 4:2:rs: stripes of chunks 0-3, 4-7 and the tail 8-10 (chunk 10 short,
// data member 3 absent).
std::string ElevenChunks() { return RandomBytes(10 * 4096 + 1000, 11); }

TEST_F(DegradedReadTest, UpToMLostChunksPerStripeReadBackIdenticalAndEachIsReported) {
  const std::string data = ElevenChunks();
  Put(data);
  Encoded e = Encode("4:2:rs");
  ASSERT_EQ(e.chunks.size(), 11u);
  ASSERT_EQ(e.set.stripes.size(), 3u);
  // Stripe 0: two data chunks. Stripe 1: a data chunk and a parity chunk, so its rebuild
  // has to fetch beyond the first K candidates. Stripe 2 (the tail): two of its three data
  // chunks, the short last one among them.
  const std::set<Chid> lost = {e.Data(0, 0), e.Data(0, 3), e.Data(1, 1), e.Data(2, 0),
                               e.Data(2, 2)};
  for (const Chid& c : lost) Remove(c);
  Remove(e.set.stripes[1].parity[0]);

  auto [st, bytes] = Get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(bytes == data) << "the rebuilt object differs from what was put";
  EXPECT_EQ(Rebuilt(), lost);
  EXPECT_EQ(backend_->rebuilt().size(), lost.size()) << "one report per rebuilt chunk";

  // Ranges: across a lost and a present chunk, inside one lost chunk, across a stripe
  // boundary, the tail, one byte of the short chunk.
  for (ByteRange r :
       {ByteRange{100, 5000}, ByteRange{3 * 4096 + 10, 50}, ByteRange{4096 * 5 - 7, 4096 * 3},
        ByteRange{10 * 4096 + 3, std::nullopt}, ByteRange{10 * 4096 + 999, 1}}) {
    auto [rst, rbytes] = Get(r);
    ASSERT_TRUE(rst.ok()) << rst.ToString();
    EXPECT_TRUE(rbytes == data.substr(r.offset, r.length.value_or(std::string::npos)))
        << "range at " << r.offset;
  }
  // The S3 path (Read with an open callback) rebuilds too.
  StringSink sink;
  Status rst = api_->Read(
      kName, {},
      [](const ObjectInfo&) -> Result<std::optional<ByteRange>> {
        return std::optional<ByteRange>();
      },
      sink);
  ASSERT_TRUE(rst.ok()) << rst.ToString();
  EXPECT_TRUE(sink.data() == data);
}

TEST_F(DegradedReadTest, MoreThanMLostInOneStripeFailsNamingTheStripeAndWritesNoWrongByte) {
  const std::string data = ElevenChunks();
  Put(data);
  Encoded e = Encode("4:2:rs");
  // Stripe 1 loses three data chunks (M + 1): three fragments remain (data 3, both
  // parity), one short of the K = 4 a rebuild needs.
  Remove(e.Data(1, 0));
  Remove(e.Data(1, 1));
  Remove(e.Data(1, 2));

  auto [st, bytes] = Get();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
  const std::string& m = st.message();
  for (const std::string& want : std::vector<std::string>{
           "object " + kName, "payload chunk " + e.Data(1, 0).ToString(), "could not be read",
           "stripe 1 of 3 (4:2:rs)", "stripe set " + e.ec_chid.ToString(),
           "3 usable fragments where 4 are needed", "lost: data 1, data 2"})
    EXPECT_NE(m.find(want), std::string::npos) << "missing '" << want << "' in: " << m;
  // Everything before stripe 1 was written, nothing of it or after.
  EXPECT_EQ(bytes.size(), 4 * kChunk);
  EXPECT_TRUE(bytes == data.substr(0, bytes.size()));
  EXPECT_TRUE(Rebuilt().empty());

  // A range inside another lost chunk of that stripe names that chunk and the others.
  auto [rst, rbytes] = Get(ByteRange{5 * kChunk + 1, 10});
  EXPECT_EQ(rst.code(), Code::kUnavailable);
  EXPECT_NE(rst.message().find("lost: data 0, data 2"), std::string::npos) << rst.message();
  EXPECT_TRUE(rbytes.empty());
  // Stripes 0 and 2 are whole: their ranges still read.
  auto [ok0, bytes0] = Get(ByteRange{0, 4 * kChunk});
  EXPECT_TRUE(ok0.ok()) << ok0.ToString();
  EXPECT_TRUE(bytes0 == data.substr(0, 4 * kChunk));
}

TEST_F(DegradedReadTest, FragmentsThatFailTheirChidAreNamedCorrupt) {
  const std::string data = ElevenChunks();
  Put(data);
  Encoded e = Encode("4:2:rs");
  Remove(e.Data(0, 0));
  Remove(e.Data(0, 1));
  backend_->FailWith(e.set.stripes[0].parity[1], Code::kCorruption);
  auto [st, bytes] = Get();
  EXPECT_EQ(st.code(), Code::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("lost: data 1; corrupt: parity 1"), std::string::npos)
      << st.message();
  EXPECT_TRUE(bytes.empty());
}

// Any failed read is repaired from parity, not only a missing chunk: a replica failing its
// CHID or a target that does not answer.
TEST_F(DegradedReadTest, UnreachableAndCorruptChunksAreRebuiltToo) {
  const std::string data = ElevenChunks();
  Put(data);
  Encoded e = Encode("4:2:rs");
  backend_->FailWith(e.Data(0, 2), Code::kUnavailable);
  backend_->FailWith(e.Data(1, 3), Code::kCorruption);
  backend_->FailWith(e.Data(2, 1), Code::kIOError);
  auto [st, bytes] = Get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(bytes == data);
  EXPECT_EQ(Rebuilt(), (std::set<Chid>{e.Data(0, 2), e.Data(1, 3), e.Data(2, 1)}));
}

// A real bit flip on disk: chunks of more than 64 KiB live in segment files, where the
// damage helper can reach them; the store's verifying read refuses the chunk, parity
// restores it.
TEST_F(DegradedReadTest, ABitFlippedChunkOnDiskIsRebuilt) {
  constexpr size_t kBig = 80 * 1024;
  Open(Policy(kBig));
  const std::string data = RandomBytes(5 * kBig + 3000, 5);  // 6 chunks: 4 + a tail of 2
  Put(data);
  Encoded e = Encode("4:2:rs");
  ASSERT_EQ(e.set.stripes.size(), 2u);
  const Chid victim = e.Data(0, 2);
  auto where = backend_->local_store()->Locate(victim);
  ASSERT_TRUE(where.ok()) << where.status().ToString();
  ASSERT_FALSE(where->in_index);
  // The store must be closed while its segment file changes under it.
  api_.reset();
  backend_.reset();
  auto done = DamageStoredBytes(*where, DamageMode::kFlip);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  Open(Policy(kBig));
  std::string unused;
  ASSERT_TRUE(backend_->GetChunk(victim, &unused).IsCorruption()) << "the flip did not take";

  auto [st, bytes] = Get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(bytes == data);
  EXPECT_EQ(Rebuilt(), std::set<Chid>{victim});
}

TEST_F(DegradedReadTest, AVersionThatIsNotErasureCodedFailsAsBefore) {
  const std::string data = ElevenChunks();
  Put(data);
  // Parity and a stripe set exist, but the version list does not say so.
  Encoded e = Encode("4:2:rs", /*mark=*/false);
  auto vl = api_->Versions(kName);
  ASSERT_TRUE(vl.ok());
  ASSERT_FALSE(vl->versions().front().erasure_coded());
  const Chid lost = e.Data(1, 0);
  Remove(lost);
  std::string unused;
  const Status direct = backend_->GetChunk(lost, &unused);

  auto [st, bytes] = Get();
  EXPECT_EQ(st.code(), direct.code());
  EXPECT_EQ(st.message(), direct.message()) << "the store's own error, unchanged";
  EXPECT_EQ(bytes.size(), 4 * kChunk);
  EXPECT_TRUE(Rebuilt().empty());
}

TEST_F(DegradedReadTest, AStripeSetOfAnotherVersionIsRefused) {
  Put(ElevenChunks());
  Encoded first = Encode("4:2:rs", /*mark=*/false);
  const std::string second = RandomBytes(10 * 4096 + 1000, 12);
  Put(second);
  Encoded e = Encode("4:2:rs", /*mark=*/false);
  Mark(e.vm_chid, first.ec_chid);  // a bug upstream: the set of generation 1
  Remove(e.Data(0, 0));
  auto [st, bytes] = Get();
  EXPECT_EQ(st.code(), Code::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("its stripe set " + first.ec_chid.ToString() + " encodes version " +
                              first.vm_chid.ToString() + ", not " + e.vm_chid.ToString()),
            std::string::npos)
      << st.message();
  EXPECT_TRUE(bytes.empty());

  // And a set that is gone is damage, not an absent object.
  Mark(e.vm_chid, HashBytes(HashAlgo::kSha256, "no such set"));
  auto [st2, bytes2] = Get();
  EXPECT_EQ(st2.code(), Code::kCorruption) << st2.ToString();
  EXPECT_NE(st2.message().find("is missing"), std::string::npos) << st2.message();
}

// The tree reader fetches on worker threads, and so several rebuilds (and the one load of
// the stripe set) run at once; so do whole reads.
TEST_F(DegradedReadTest, ConcurrentReadsRebuildConsistently) {
  const std::string data = RandomBytes(40 * 4096, 40);
  Put(data);
  Encoded e = Encode("4:2:rs");
  for (size_t s = 0; s < e.set.stripes.size(); ++s) {
    Remove(e.Data(s, s % 4));
    Remove(e.Data(s, (s + 1) % 4));
  }
  std::vector<std::thread> readers;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      auto [st, bytes] = Get();
      if (st.ok() && bytes == data) ++good;
    });
  for (auto& t : readers) t.join();
  EXPECT_EQ(good.load(), 4);
  EXPECT_EQ(backend_->rebuilt().size(), 4 * 2 * e.set.stripes.size());
}

}  // namespace
}  // namespace ccow
