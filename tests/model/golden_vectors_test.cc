// Golden vectors: fixed logical records -> fixed bytes -> fixed CHIDs. If one of these
// fails, the encoding changed: every existing CHID would change with it and stored data
// would stop deduplicating or verifying. Change the format only with a new format
// version, and add vectors for it; never edit the expected bytes of an existing one.
#include <gtest/gtest.h>

#include "core/hash.h"
#include "model/chunk_manifest.h"
#include "model/kv_chunk.h"
#include "model/stripe_manifest.h"
#include "model/version_list.h"
#include "model/version_manifest.h"

namespace ccow {
namespace {

Chid PayloadChid(const char* text) { return HashBytes(HashAlgo::kSha256, text); }

ChunkManifest SampleChunkManifest() {
  ChunkManifest cm;
  cm.refs.push_back({0, 1048576, ChunkKind::kPayload, PayloadChid("chunk-0")});
  cm.refs.push_back({1048576, 4096, ChunkKind::kPayload, PayloadChid("chunk-1")});
  return cm;
}

VersionManifest SampleVersionManifest() {
  VersionManifest vm;
  vm.name = "Hawaii/Cola/bk1/photos/a.jpg";
  vm.nhid = HashBytes(HashAlgo::kSha256, vm.name);
  vm.generation = 3;
  vm.uvid = {1700000000123456789ull, 7, 42};
  vm.size = 1052672;
  vm.etag = "0123456789abcdef0123456789abcdef";
  vm.content_type = "image/jpeg";
  vm.user_metadata = {{"camera", "x100"}, {"album", "hawaii"}};
  vm.policy.replication_count = 1;  // as a put resolves it on one node
  vm.root_refs.push_back({0, 1052672, ChunkKind::kChunkManifest,
                          HashBytes(HashAlgo::kSha256, SampleChunkManifest().Encode())});
  return vm;
}

VersionList SampleVersionList() {
  VersionManifest vm = SampleVersionManifest();
  VersionList vl(vm.name, vm.nhid);
  VersionEntry v1{1, {1700000000000000000ull, 7, 1}, PayloadChid("vm-1"), 10, "e1"};
  VersionEntry v2{2, {1700000001000000000ull, 7, 2}, PayloadChid("vm-2"), 20, "e2"};
  VersionEntry v3{3, vm.uvid, HashBytes(HashAlgo::kSha256, vm.Encode()), vm.size, vm.etag};
  EXPECT_TRUE(vl.AddVersion(v1).ok());
  EXPECT_TRUE(vl.AddVersion(v2).ok());
  EXPECT_TRUE(vl.AddVersion(v3).ok());
  EXPECT_TRUE(vl.Delete(1, 1700000002000000000ull).ok());
  EXPECT_TRUE(vl.CreateSnapshot("before-edit", VersionSelector{2, {}}, 1700000003000000000ull).ok());
  return vl;
}

void ExpectGolden(const std::string& bytes, const char* want_hex, const char* want_chid) {
  EXPECT_EQ(ToHex(bytes.data(), bytes.size()), want_hex);
  EXPECT_EQ(HashBytes(HashAlgo::kSha256, bytes).ToString(), want_chid);
}

TEST(GoldenVectorsTest, ChunkManifestEncodingIsPinned) {
  ExpectGolden(SampleChunkManifest().Encode(),
               "020102008080400001b18efa847f7a3fa48fe0aafd4a6250aa5129740e05126859377af20ced"
               "afdeee808040802000012725aea2d2dea736fbe38e41ecb518f6098cb68ac77362c5e34faafb"
               "356567c5",
               "sha256:e21290ec10529c1b19c07e6e1fa43ee1f66171974258090b9846b353b0595189");
}

TEST(GoldenVectorsTest, VersionManifestEncodingIsPinned) {
  ExpectGolden(SampleVersionManifest().Encode(),
               "03011c4861776169692f436f6c612f626b312f70686f746f732f612e6a706701174d142c6158"
               "9a5ef202b65cdc2c63ecbe20e9194cc10734dc3b426e5e930c330315cd853dfe9c9717070000"
               "002a00000080a040203031323334353637383961626364656630313233343536373839616263"
               "6465660a696d6167652f6a7065670205616c62756d066861776169690663616d657261047831"
               "303001008080408080108008010000010080a0400201e21290ec10529c1b19c07e6e1fa43ee1"
               "f66171974258090b9846b353b0595189",
               "sha256:562b13ae25751cb7d254c19d07e9145b22b93abc86200dfaf1e03f54090adc8f");
}

// Version 2: a small object inline in its manifest (extension tag 1). A manifest without
// extensions keeps version 1 (the vector above).
TEST(GoldenVectorsTest, VersionManifestWithAnInlinePayloadIsPinned) {
  VersionManifest vm = SampleVersionManifest();
  vm.root_refs.clear();
  vm.inline_payload = "aloha";
  vm.size = 5;
  // The tail: flags 0, no origin, no root refs, one extension: tag 1, 5 bytes "aloha".
  ExpectGolden(vm.Encode(),
               "03021c4861776169692f436f6c612f626b312f70686f746f732f612e6a706701174d142c6158"
               "9a5ef202b65cdc2c63ecbe20e9194cc10734dc3b426e5e930c330315cd853dfe9c9717070000"
               "002a000000052030313233343536373839616263646566303132333435363738396162636465"
               "660a696d6167652f6a7065670205616c62756d066861776169690663616d6572610478313030"
               "0100808040808010800801000000010105616c6f6861",
               "sha256:a9ce0a5e5d4736e6e434b82bc85d774963fa0bf9fc4b614edbb54bafca3d9423");
  auto back = VersionManifest::Decode(vm.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->inline_payload, "aloha");
  EXPECT_TRUE(back->root_refs.empty());
}

// Both extensions: an inline payload (tag 1) and an object checksum (tag 2, CRC32 of
// "aloha", full object).
TEST(GoldenVectorsTest, VersionManifestWithAChecksumIsPinned) {
  VersionManifest vm = SampleVersionManifest();
  vm.root_refs.clear();
  vm.inline_payload = "aloha";
  vm.size = 5;
  vm.checksum.algo = ObjectChecksum::Algo::kCrc32;
  vm.checksum.digest = std::string("\xc7\x9a\xdd\x27", 4);  // big-endian, as S3 sends it
  // The tail: two extensions; tag 2 holds u8 1 (CRC32), u8 0, varint 0, 4 digest bytes.
  ExpectGolden(vm.Encode(),
               "03021c4861776169692f436f6c612f626b312f70686f746f732f612e6a706701174d142c6158"
               "9a5ef202b65cdc2c63ecbe20e9194cc10734dc3b426e5e930c330315cd853dfe9c9717070000"
               "002a000000052030313233343536373839616263646566303132333435363738396162636465"
               "660a696d6167652f6a7065670205616c62756d066861776169690663616d6572610478313030"
               "0100808040808010800801000000020105616c6f6861020801000004c79add27",
               "sha256:dbd6cf62d7ca02a9ae154b01efa1ff4446077c45252dda0d4a9b55c9cddf9ee8");
  auto back = VersionManifest::Decode(vm.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->checksum, vm.checksum);
}

// An encrypted version (extension tag 3): u8 key source 1 (master key), u8 convergent 0,
// varint master key id 1, and the wrapped data key (60 bytes: nonce, key, tag).
TEST(GoldenVectorsTest, VersionManifestOfAnEncryptedVersionIsPinned) {
  VersionManifest vm = SampleVersionManifest();
  vm.encryption.source = ObjectEncryption::KeySource::kMasterKey;
  vm.encryption.master_key_id = 1;
  vm.encryption.wrapped_key = std::string(60, '\xab');
  ExpectGolden(vm.Encode(),
               "03021c4861776169692f436f6c612f626b312f70686f746f732f612e6a706701174d142c6158"
               "9a5ef202b65cdc2c63ecbe20e9194cc10734dc3b426e5e930c330315cd853dfe9c9717070000"
               "002a00000080a040203031323334353637383961626364656630313233343536373839616263"
               "6465660a696d6167652f6a7065670205616c62756d066861776169690663616d657261047831"
               "303001008080408080108008010000010080a0400201e21290ec10529c1b19c07e6e1fa43ee1"
               "f66171974258090b9846b353b0595189"
               "010340010001" "3c"
               "abababababababababababababababababababababababababababababababababababababab"
               "abababababababababababababababababababababab",
               "sha256:53a6b313d69a6355dccd71a8f2f8fa444afd103f6342d5f3598c86cbc53b0388");
  auto back = VersionManifest::Decode(vm.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->encryption, vm.encryption);
  // A sealed inline payload is its size plus the seal's 29 bytes, and nothing else.
  VersionManifest small = SampleVersionManifest();
  small.root_refs.clear();
  small.size = 5;
  small.encryption = vm.encryption;
  small.inline_payload = std::string(5 + 29, 's');
  EXPECT_TRUE(VersionManifest::Decode(small.Encode()).ok());
  small.inline_payload = std::string(5, 's');
  EXPECT_TRUE(VersionManifest::Decode(small.Encode()).status().IsCorruption());
  // A wrapped key of the wrong length, an unknown source, convergent under a customer key.
  for (auto mutate : {+[](ObjectEncryption* e) { e->wrapped_key.pop_back(); },
                      +[](ObjectEncryption* e) { e->source = static_cast<ObjectEncryption::KeySource>(3); },
                      +[](ObjectEncryption* e) {
                        e->source = ObjectEncryption::KeySource::kCustomerKey;
                        e->master_key_id = 0;
                        e->convergent = true;
                        e->wrapped_key = std::string(12 + 64 + 16, 'x');
                      }}) {
    VersionManifest bad = vm;
    mutate(&bad.encryption);
    EXPECT_TRUE(VersionManifest::Decode(bad.Encode()).status().IsCorruption());
  }
}

TEST(GoldenVectorsTest, VersionListEncodingIsPinned) {
  ExpectGolden(SampleVersionList().Encode(),
               "04011c4861776169692f436f6c612f626b312f70686f746f732f612e6a706701174d142c6158"
               "9a5ef202b65cdc2c63ecbe20e9194cc10734dc3b426e5e930c33020315cd853dfe9c97170700"
               "00002a00000001562b13ae25751cb7d254c19d07e9145b22b93abc86200dfaf1e03f54090adc"
               "8f80a04020303132333435363738396162636465663031323334353637383961626364656600"
               "0200cac471fe9c97170700000002000000015383aed7a626f0567f59f90c06c8778dc64599b1"
               "45fe2271a9f2d50a9fa0e8801402653200010100002a36fe9c97170700000001000000012d62"
               "b0035f348790d3b99c33de8058c46bc32f90383b78dd834ff07eed596cf40a0265310000945f"
               "adfe9c9717010b6265666f72652d65646974005efae8fe9c97170200cac471fe9c9717070000"
               "0002000000015383aed7a626f0567f59f90c06c8778dc64599b145fe2271a9f2d50a9fa0e880"
               "1402653200",
               "sha256:2a6aa5968521d73b815d5ca59500c1ddd240e658fe1c013620d8ccf08045cc62");
}

// An erasure-coded entry (flag 2) carries its stripe set's CHID after the flags; the
// entry that is not keeps the layout it always had. Computed from docs/FORMAT.md by an
// independent encoder.
TEST(GoldenVectorsTest, VersionListWithAnErasureCodedEntryIsPinned) {
  VersionManifest vm = SampleVersionManifest();
  VersionList vl(vm.name, vm.nhid);
  VersionEntry v1{1, {1700000000000000000ull, 7, 1}, PayloadChid("vm-1"), 10, "e1"};
  VersionEntry v2{2, {1700000001000000000ull, 7, 2}, PayloadChid("vm-2"), 20, "e2"};
  ASSERT_TRUE(vl.AddVersion(v1).ok());
  ASSERT_TRUE(vl.AddVersion(v2).ok());
  ASSERT_TRUE(vl.SetErasureCoding(v2.vm_chid, PayloadChid("stripes-2")).ok());
  ExpectGolden(vl.Encode(),
               "04011c4861776169692f436f6c612f626b312f70686f746f732f612e6a706701174d142c6158"
               "9a5ef202b65cdc2c63ecbe20e9194cc10734dc3b426e5e930c33020200cac471fe9c97170700"
               "000002000000015383aed7a626f0567f59f90c06c8778dc64599b145fe2271a9f2d50a9fa0e8"
               "8014026532020144ec46473f9c5ae1494690b100ef04e9dd01712e3b726296b1cfec7636080c"
               "1f0100002a36fe9c97170700000001000000012d62b0035f348790d3b99c33de8058c46bc32f"
               "90383b78dd834ff07eed596cf40a026531000000",
               "sha256:4e6ed8e7719aafd89e82fc2bb5b68ae2a908c82d8421841380d7a89d9feb32a3");
  auto back = VersionList::Decode(vl.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->versions(), vl.versions());
}

// A storage class (entry flag 32, then u8 class: 3 STANDARD_IA) on one entry; the other,
// of no class, keeps the bytes entries had before classes existed.
TEST(GoldenVectorsTest, VersionListWithAStorageClassIsPinned) {
  VersionManifest vm = SampleVersionManifest();
  VersionList vl(vm.name, vm.nhid);
  VersionEntry v1{1, {1700000000000000000ull, 7, 1}, PayloadChid("vm-1"), 10, "e1"};
  VersionEntry v2{2, {1700000001000000000ull, 7, 2}, PayloadChid("vm-2"), 20, "e2"};
  v2.storage_class = StorageClass::kStandardIa;
  ASSERT_TRUE(vl.AddVersion(v1).ok());
  ASSERT_TRUE(vl.AddVersion(v2).ok());
  // v2's entry ends `14 02 6532 20 03`: size 20, etag "e2", flags 32, class 3.
  ExpectGolden(vl.Encode(),
               "04011c4861776169692f436f6c612f626b312f70686f746f732f612e6a706701174d142c6158"
               "9a5ef202b65cdc2c63ecbe20e9194cc10734dc3b426e5e930c33020200cac471fe9c97170700"
               "000002000000015383aed7a626f0567f59f90c06c8778dc64599b145fe2271a9f2d50a9fa0e8"
               "801402653220030100002a36fe9c97170700000001000000012d62b0035f348790d3b99c33de"
               "8058c46bc32f90383b78dd834ff07eed596cf40a026531000000",
               "sha256:34d9b62d1c87993d784401e20c1defa7bc5f54015460a9141725a19aa2911100");
  auto back = VersionList::Decode(vl.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->versions(), vl.versions());
  EXPECT_EQ(back->versions().front().storage_class, StorageClass::kStandardIa);
  ASSERT_TRUE(vl.SetStorageClass(v1.vm_chid, StorageClass::kGlacier).ok());
  EXPECT_EQ(vl.versions().back().storage_class, StorageClass::kGlacier);
  EXPECT_TRUE(vl.SetStorageClass(PayloadChid("vm-9"), StorageClass::kGlacier).IsNotFound());
  // Class 0 is written as no flag, and classes past the last are unknown.
  std::string bytes = vl.Encode();
  const size_t at = bytes.rfind(std::string(1, '\x07'));  // GLACIER, the last entry's class byte
  ASSERT_NE(at, std::string::npos);
  for (char bad : {'\x00', '\x09'}) {
    bytes[at] = bad;
    EXPECT_TRUE(VersionList::Decode(bytes).status().IsCorruption()) << int(bad);
  }
  EXPECT_STREQ(StorageClassName(StorageClass::kStandardIa), "STANDARD_IA");
  EXPECT_EQ(ParseStorageClass("GLACIER_IR"), StorageClass::kGlacierIr);
  EXPECT_EQ(ParseStorageClass("OUTPOSTS"), std::nullopt);
}

TEST(GoldenVectorsTest, KeyValueChunkEncodingIsPinned) {
  auto kv = KeyValueChunk::FromUnsorted({{"b", "2"}, {"a", "1"}, {"c", ""}});
  ASSERT_TRUE(kv.ok());
  ExpectGolden(kv->Encode(), "0501030161013101620132016300",
               "sha256:4c396a59fd1b7d961b4aeafd0e3a4b99c92000842a46d42524bd997b6d93adc7");
}

// A 4:2:rs tail stripe: three data chunks (one shorter than the fragment), one absent.
StripeManifest SampleStripeManifest() {
  StripeManifest sm;
  sm.policy = ErasurePolicy::Parse("4:2:rs").value();
  sm.fragment_length = 1048576;
  sm.data = {{1048576, PayloadChid("chunk-0")}, {1048576, PayloadChid("chunk-1")},
             {4096, PayloadChid("chunk-2")}};
  sm.parity = {PayloadChid("parity-0"), PayloadChid("parity-1")};
  return sm;
}

TEST(GoldenVectorsTest, StripeManifestEncodingIsPinned) {
  ExpectGolden(SampleStripeManifest().Encode(),
               "06010104028080400380804001b18efa847f7a3fa48fe0aafd4a6250aa5129740e0512685937"
               "7af20cedafdeee808040012725aea2d2dea736fbe38e41ecb518f6098cb68ac77362c5e34faa"
               "fb356567c5802001b6f3c15844fe12f966ad90db59da8332a9a6d9dfd198ac83949be2045ec6"
               "dc1e019edb3086e76d69f94976d6ee6cad8850f04cd6961437ea11232701e16c1283ca01e9d3"
               "0a133f4cd1f16d21493f29ba914db0d200ae5f9b62487f118185bc5372da",
               "sha256:23947a6e48f36aec5917657972e6bb9b6757d94079c607785cfbee8a28eefcff");
}

TEST(GoldenVectorsTest, PinnedBytesDecodeToTheSameRecords) {
  auto sm = StripeManifest::Decode(SampleStripeManifest().Encode());
  ASSERT_TRUE(sm.ok()) << sm.status().ToString();
  EXPECT_EQ(*sm, SampleStripeManifest());
  auto cm = ChunkManifest::Decode(SampleChunkManifest().Encode());
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ(cm->refs, SampleChunkManifest().refs);
  auto vm = VersionManifest::Decode(SampleVersionManifest().Encode());
  ASSERT_TRUE(vm.ok()) << vm.status().ToString();
  EXPECT_EQ(vm->Encode(), SampleVersionManifest().Encode());
  EXPECT_EQ(vm->user_metadata.begin()->first, "album");
  auto vl = VersionList::Decode(SampleVersionList().Encode());
  ASSERT_TRUE(vl.ok()) << vl.status().ToString();
  EXPECT_EQ(vl->versions().size(), 2u);
  EXPECT_EQ(vl->quarantine().size(), 1u);
  EXPECT_EQ(vl->snapshots().size(), 1u);
  EXPECT_EQ(vl->Encode(), SampleVersionList().Encode());
}

}  // namespace
}  // namespace ccow
