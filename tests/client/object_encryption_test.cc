// Server-side encryption below the object API (model/object_cipher.h): chunks are sealed
// before they are named, so what is stored is ciphertext, reads open it with the key the
// caller resolves, and a convergent key keeps dedup.
#include <gtest/gtest.h>

#include "client/object_api.h"
#include "model/object_cipher.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

// A data key wrapped by a fixed key-encryption key, as the S3 gateway would make one (a
// convergent one is a master key's, as SSE-S3 makes it).
ObjectKey KeyUnder(const std::string& kek, const std::string& data_key) {
  ObjectKey k;
  const bool convergent = data_key.size() == ChunkCipher::kConvergentKeySize;
  k.record.source = convergent ? ObjectEncryption::KeySource::kMasterKey : ObjectEncryption::KeySource::kCustomerKey;
  k.record.convergent = convergent;
  k.record.master_key_id = convergent ? 1 : 0;
  k.record.wrapped_key = WrapDataKey(kek, data_key);
  k.cipher = std::make_shared<const ChunkCipher>(*ChunkCipher::Create(data_key));
  return k;
}

KeyResolver ResolverFor(const std::string& kek) {
  return [kek](const ObjectEncryption& e) -> Result<std::shared_ptr<const ChunkCipher>> {
    CCOW_ASSIGN_OR_RETURN(std::string dk, UnwrapDataKey(kek, e.wrapped_key));
    CCOW_ASSIGN_OR_RETURN(ChunkCipher c, ChunkCipher::Create(dk));
    return std::make_shared<const ChunkCipher>(std::move(c));
  };
}

class ObjectEncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = OpenLocalBackend(dir_.path());
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    ApiOptions opts;
    opts.default_policy.chunk_size = 4096;
    opts.default_policy.single_chunk_max = 4096;
    opts.default_policy.manifest_fanout = 4;
    api_ = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), opts);
  }

  ObjectInfo Put(const std::string& name, const std::string& data, const ObjectKey& key, PutStats* stats = nullptr) {
    StringSource src(data);
    PutOptions opts;
    opts.encryption = key;
    auto info = api_->Put(name, src, opts, stats);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : ObjectInfo();
  }

  Result<std::string> Get(const std::string& name, const KeyResolver* keys, std::optional<ByteRange> range = {}) {
    StringSink sink;
    CCOW_RETURN_IF_ERROR(api_->Get(name, {}, range, sink, nullptr, keys));
    return sink.data();
  }

  // Every stored chunk of the version, as stored.
  std::vector<std::string> StoredChunks(const std::string& name) {
    std::vector<std::string> out;
    auto placed = api_->Locate(name, {});
    EXPECT_TRUE(placed.ok()) << placed.status().ToString();
    if (!placed.ok()) return out;
    for (const auto& p : *placed) {
      std::string bytes;
      EXPECT_TRUE(api_->backend().GetChunk(p.chid, &bytes).ok());
      out.push_back(bytes);
    }
    return out;
  }

  const std::string kek_ = std::string(32, '\x42');
  ScratchDir dir_;
  std::unique_ptr<ObjectApi> api_;
};

TEST_F(ObjectEncryptionTest, StoredChunksAreCiphertextAndReadsOpenThem) {
  const std::string data = RandomBytes(37 * 4096 + 123, 1);  // 38 chunks, a manifest tree
  ObjectKey key = KeyUnder(kek_, ChunkCipher::NewRandomKey());
  ObjectInfo info = Put("S/T/B/secret", data, key);
  EXPECT_EQ(info.size, data.size());
  EXPECT_EQ(info.encryption, key.record);
  // No stored chunk holds a 64-byte run of the plaintext.
  for (const std::string& chunk : StoredChunks("S/T/B/secret"))
    for (size_t at = 0; at + 64 <= data.size(); at += 4096)
      ASSERT_EQ(chunk.find(data.substr(at, 64)), std::string::npos) << "plaintext stored at object offset " << at;
  KeyResolver keys = ResolverFor(kek_);
  auto whole = Get("S/T/B/secret", &keys);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(*whole, data);
  // Ranges inside one chunk and across several.
  for (auto [off, len] : {std::pair<uint64_t, uint64_t>{0, 1}, {4090, 20}, {5000, 3 * 4096}, {data.size() - 7, 7}}) {
    auto part = Get("S/T/B/secret", &keys, ByteRange{off, len});
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    EXPECT_EQ(*part, data.substr(off, len)) << off << "+" << len;
  }
  auto stat = api_->Stat("S/T/B/secret", {});
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->encryption, key.record);
}

TEST_F(ObjectEncryptionTest, ASmallObjectIsSealedInsideItsManifest) {
  ObjectKey key = KeyUnder(kek_, ChunkCipher::NewRandomKey());
  PutStats stats;
  Put("S/T/B/small", "a short secret message", key, &stats);
  EXPECT_EQ(stats.inline_bytes, 22u);
  for (const std::string& chunk : StoredChunks("S/T/B/small"))
    EXPECT_EQ(chunk.find("short secret"), std::string::npos);
  KeyResolver keys = ResolverFor(kek_);
  auto back = Get("S/T/B/small", &keys, ByteRange{2, 5});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "short");
}

TEST_F(ObjectEncryptionTest, AReadWithoutTheKeyOrWithAnotherFailsAndReturnsNoByte) {
  Put("S/T/B/x", RandomBytes(3 * 4096, 2), KeyUnder(kek_, ChunkCipher::NewRandomKey()));
  StringSink sink;
  Status none = api_->Get("S/T/B/x", {}, std::nullopt, sink);
  EXPECT_EQ(none.code(), Code::kInvalidArgument) << none.ToString();
  KeyResolver wrong = ResolverFor(std::string(32, '\x43'));
  Status bad = api_->Get("S/T/B/x", {}, std::nullopt, sink, nullptr, &wrong);
  EXPECT_EQ(bad.code(), Code::kCorruption) << bad.ToString();
  EXPECT_EQ(sink.data(), "");
}

TEST_F(ObjectEncryptionTest, RandomKeysDoNotDeduplicateAndAConvergentKeyDoes) {
  const std::string data = RandomBytes(8 * 4096, 3);
  PutStats first, second;
  Put("S/T/B/r1", data, KeyUnder(kek_, ChunkCipher::NewRandomKey()), &first);
  Put("S/T/B/r2", data, KeyUnder(kek_, ChunkCipher::NewRandomKey()), &second);
  EXPECT_EQ(first.new_chunks, 8u);
  EXPECT_EQ(second.new_chunks, 8u) << "equal plaintext under two random keys must not be equal ciphertext";
  // Two objects of one scope share its convergent key, each wrapped on its own.
  const std::string convergent = ChunkCipher::ConvergentKey(std::string(32, '\x07'), "S/T");
  Put("S/T/B/c1", data, KeyUnder(kek_, convergent), &first);
  Put("S/T/B/c2", data, KeyUnder(kek_, convergent), &second);
  EXPECT_EQ(first.new_chunks, 8u);
  EXPECT_EQ(second.new_chunks, 0u) << "a convergent key must keep dedup";
  KeyResolver keys = ResolverFor(kek_);
  EXPECT_EQ(*Get("S/T/B/c2", &keys), data);
  // Another scope's convergent key seals the same bytes differently.
  Put("S/T2/B/c3", data, KeyUnder(kek_, ChunkCipher::ConvergentKey(std::string(32, '\x07'), "S/T2")), &second);
  EXPECT_EQ(second.new_chunks, 8u);
}

TEST_F(ObjectEncryptionTest, ComposeKeepsOneDataKeyAndRefusesToMixKeys) {
  ObjectKey upload = KeyUnder(kek_, ChunkCipher::NewRandomKey());
  const std::string a = RandomBytes(5 * 4096 + 9, 4), b = "tail under the same key";  // b is inline
  Put("S/T/B/p1", a, upload);
  Put("S/T/B/p2", b, upload);
  PutOptions opts;
  opts.encryption = ObjectKey{upload.record, nullptr};
  auto whole = api_->Compose("S/T/B/whole", {{"S/T/B/p1", {}}, {"S/T/B/p2", {}}}, opts, "e-2");
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->encryption, upload.record);
  KeyResolver keys = ResolverFor(kek_);
  EXPECT_EQ(*Get("S/T/B/whole", &keys), a + b);
  // A part under another data key cannot join: its chunks would not open.
  Put("S/T/B/other", "x", KeyUnder(kek_, ChunkCipher::NewRandomKey()));
  auto mixed = api_->Compose("S/T/B/mixed", {{"S/T/B/p1", {}}, {"S/T/B/other", {}}}, {}, "e-2");
  EXPECT_EQ(mixed.status().code(), Code::kInvalidArgument) << mixed.status().ToString();
  StringSource plain("plain");
  ASSERT_TRUE(api_->Put("S/T/B/plain", plain, {}).ok());
  auto half = api_->Compose("S/T/B/half", {{"S/T/B/plain", {}}, {"S/T/B/p2", {}}}, {}, "e-2");
  EXPECT_EQ(half.status().code(), Code::kInvalidArgument) << half.status().ToString();
  // A clone keeps the record, so it reads with the same key.
  auto clone = api_->Clone("S/T/B/whole", {}, "S/T/B/clone");
  ASSERT_TRUE(clone.ok());
  EXPECT_EQ(*Get("S/T/B/clone", &keys), a + b);
}

TEST(ChunkCipherTest, SealedChunksOpenOnlyIntactAndUnderTheirKey) {
  auto cipher = ChunkCipher::Create(ChunkCipher::NewRandomKey());
  ASSERT_TRUE(cipher.ok());
  const std::string plain = "the payload of one chunk";
  const std::string sealed = cipher->Seal(plain);
  EXPECT_EQ(sealed.size(), plain.size() + ChunkCipher::kOverhead);
  EXPECT_NE(cipher->Seal(plain), sealed) << "random nonces";
  std::string out;
  ASSERT_TRUE(cipher->Open(sealed, &out).ok());
  EXPECT_EQ(out, plain);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_TRUE(cipher->Open(bad, &out).IsCorruption()) << "byte " << i;
  }
  EXPECT_TRUE(cipher->Open(sealed.substr(0, 20), &out).IsCorruption());
  auto other = ChunkCipher::Create(ChunkCipher::NewRandomKey());
  EXPECT_TRUE(other->Open(sealed, &out).IsCorruption());
  EXPECT_EQ(ChunkCipher::Create("short").status().code(), Code::kInvalidArgument);
}

TEST(ChunkCipherTest, ConvergentSealingIsDeterministicPerPlaintextAndScope) {
  const std::string master(32, '\x01');
  auto a = ChunkCipher::Create(ChunkCipher::ConvergentKey(master, "S/T"));
  auto b = ChunkCipher::Create(ChunkCipher::ConvergentKey(master, "S/T"));
  auto c = ChunkCipher::Create(ChunkCipher::ConvergentKey(master, "S/U"));
  ASSERT_TRUE(a->convergent());
  EXPECT_EQ(a->Seal("same bytes"), b->Seal("same bytes"));
  EXPECT_NE(a->Seal("same bytes"), a->Seal("other bytes"));
  EXPECT_NE(a->Seal("same bytes"), c->Seal("same bytes"));
  std::string out;
  ASSERT_TRUE(b->Open(a->Seal("same bytes"), &out).ok());
  EXPECT_EQ(out, "same bytes");
}

TEST(ChunkCipherTest, AWrappedDataKeyOpensOnlyUnderItsKeyEncryptionKey) {
  const std::string kek(32, 'k'), dk = ChunkCipher::NewRandomKey();
  const std::string wrapped = WrapDataKey(kek, dk);
  EXPECT_EQ(wrapped.size(), 12 + 32 + 16u);
  EXPECT_NE(WrapDataKey(kek, dk), wrapped);
  auto back = UnwrapDataKey(kek, wrapped);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, dk);
  EXPECT_TRUE(UnwrapDataKey(std::string(32, 'j'), wrapped).status().IsCorruption());
  std::string bad = wrapped;
  bad[20] ^= 1;
  EXPECT_TRUE(UnwrapDataKey(kek, bad).status().IsCorruption());
}

}  // namespace
}  // namespace ccow
