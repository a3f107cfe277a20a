// Signed versions (model/version_signature.h): a site's signature vouches for every field
// of the manifest it wrote, under that site's id only, and keys travel as text.
#include "model/version_signature.h"

#include <gtest/gtest.h>

#include "core/hash.h"
#include "model/version_list.h"

namespace ccow {
namespace {

const std::string kSeedA(32, 'a'), kSeedB(32, 'b');
constexpr uint32_t kSiteA = 0xa1a1a1a1, kSiteB = 0xb2b2b2b2;

VersionManifest Sample(uint32_t site) {
  VersionManifest vm;
  vm.name = "S/T/B/o";
  vm.nhid = HashBytes(HashAlgo::kSha256, vm.name);
  vm.generation = 3;
  vm.uvid = {1700000000123456789ull, site, 7};
  vm.size = 5;
  vm.etag = "0123456789abcdef0123456789abcdef";
  vm.inline_payload = "hello";
  return vm;
}

TEST(VersionSignatureTest, ASignedManifestVerifiesUnderItsSitesKeyAndSurvivesEncoding) {
  VersionManifest vm = Sample(kSiteA);
  SignVersion(&vm, kSeedA);
  ASSERT_EQ(vm.signature.size(), VersionManifest::kSignatureBytes);
  auto decoded = VersionManifest::Decode(vm.Encode());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->signature, vm.signature);
  const TrustedSiteKeys trusted = {{kSiteA, SitePublicKey(kSeedA)}, {kSiteB, SitePublicKey(kSeedB)}};
  EXPECT_TRUE(VerifyVersion(*decoded, trusted).ok());
  // An unsigned manifest encodes as it always did (its CHID is unchanged).
  VersionManifest plain = Sample(kSiteA);
  EXPECT_NE(plain.Encode(), vm.Encode());
  EXPECT_EQ(VersionManifest::Decode(plain.Encode())->signature, "");
}

TEST(VersionSignatureTest, AnAlteredOrForeignOrUnsignedManifestIsRefused) {
  const TrustedSiteKeys trusted = {{kSiteA, SitePublicKey(kSeedA)}};
  VersionManifest vm = Sample(kSiteA);
  SignVersion(&vm, kSeedA);
  // Any field changed after signing: the etag, the size, the generation, one payload byte.
  for (int field = 0; field < 4; ++field) {
    VersionManifest altered = vm;
    if (field == 0) altered.etag[0] = 'f';
    if (field == 1) altered.size = 6;
    if (field == 2) altered.generation = 4;
    if (field == 3) altered.inline_payload[0] = 'j';
    EXPECT_EQ(VerifyVersion(altered, trusted).code(), Code::kPermissionDenied) << field;
  }
  // A flipped bit of the signature itself.
  VersionManifest flipped = vm;
  flipped.signature[10] ^= 1;
  EXPECT_EQ(VerifyVersion(flipped, trusted).code(), Code::kPermissionDenied);
  // Signed by B's key but claiming to be A's version: B's key vouches for B only.
  VersionManifest impostor = Sample(kSiteA);
  SignVersion(&impostor, kSeedB);
  EXPECT_EQ(VerifyVersion(impostor, {{kSiteA, SitePublicKey(kSeedA)}, {kSiteB, SitePublicKey(kSeedB)}}).code(),
            Code::kPermissionDenied);
  // A site nobody trusts, and no signature at all.
  VersionManifest from_b = Sample(kSiteB);
  SignVersion(&from_b, kSeedB);
  Status unknown = VerifyVersion(from_b, trusted);
  EXPECT_EQ(unknown.code(), Code::kPermissionDenied);
  EXPECT_NE(unknown.message().find("does not trust"), std::string::npos) << unknown.ToString();
  EXPECT_EQ(VerifyVersion(Sample(kSiteA), trusted).code(), Code::kPermissionDenied);
}

TEST(VersionSignatureTest, ASignatureOfTheWrongSizeDoesNotDecode) {
  VersionManifest vm = Sample(kSiteA);
  vm.signature = std::string(63, 's');
  EXPECT_EQ(VersionManifest::Decode(vm.Encode()).status().code(), Code::kCorruption);
}

TEST(VersionSignatureTest, SiteKeysRoundTripAsText) {
  const std::string pk = SitePublicKey(kSeedA);
  const std::string text = SiteKeyText(kSiteA, pk);
  EXPECT_EQ(text.substr(0, 9), "a1a1a1a1:");
  EXPECT_EQ(text.size(), 9u + 64u);
  uint32_t site = 0;
  std::string key;
  ASSERT_TRUE(ParseSiteKeyText(text, &site, &key).ok());
  EXPECT_EQ(site, kSiteA);
  EXPECT_EQ(key, pk);
  for (const std::string& bad : {std::string("a1a1a1a1"), text.substr(0, 70), "00000000" + text.substr(8),
                                 "a1a1a1a1-" + text.substr(9), "a1a1a1ag" + text.substr(8), text.substr(0, 72) + "z"})
    EXPECT_EQ(ParseSiteKeyText(bad, &site, &key).code(), Code::kInvalidArgument) << bad;
}

TEST(VersionListMergeTest, WithoutDropsTheNamedVersionsEverywhere) {
  VersionList vl("S/T/B/o", HashBytes(HashAlgo::kSha256, "S/T/B/o"));
  auto entry = [](uint64_t g) {
    VersionEntry e;
    e.generation = g;
    e.uvid = {g * 100, 1, 0};
    e.vm_chid = HashBytes(HashAlgo::kSha256, std::to_string(g));
    return e;
  };
  for (uint64_t g = 1; g <= 3; ++g) ASSERT_TRUE(vl.AddVersion(entry(g)).ok());
  ASSERT_TRUE(vl.CreateSnapshot("snap", VersionSelector{2, {}, {}, false}, 1000).ok());
  ASSERT_TRUE(vl.Delete(VersionRef(1), 2000).ok());
  VersionList kept = vl.Without({entry(2).vm_chid, entry(1).vm_chid});
  ASSERT_EQ(kept.versions().size(), 1u);
  EXPECT_EQ(kept.versions()[0].generation, 3u);
  EXPECT_TRUE(kept.quarantine().empty());
  EXPECT_TRUE(kept.snapshots().empty());
  EXPECT_EQ(vl.Without({}).Encode(), vl.Encode());
}

}  // namespace
}  // namespace ccow
