// ObjectApi::MergeRemote (issue 14): a version list from another segment is merged once the
// manifests and chunks it references are stored here, so the object reads back
// byte-identical at the receiving site with its origin's generations and UVIDs; a missing
// chunk is refused (kNotFound, nothing changes) until it is shipped; a manifest that is
// not its entry's is refused as corruption; merging twice changes nothing; a link that
// trusts signatures merges only the versions signed by the sites it trusts.
#include "client/object_api.h"

#include <gtest/gtest.h>

#include "model/version_signature.h"
#include "store/store_test_util.h"

namespace ccow {
namespace {

using testing::RandomBytes;
using testing::ScratchDir;

struct Site {
  explicit Site(uint32_t id, std::string seed = "") {
    auto backend = OpenLocalBackend(dir.path());
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    ApiOptions opts;
    opts.segment_id = id;
    if (!seed.empty()) opts.site_key_seed = [seed] { return seed; };
    opts.default_policy.chunk_size = 4096;
    opts.default_policy.single_chunk_max = 4096;
    opts.default_policy.manifest_fanout = 4;
    api = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), opts);
  }
  ScratchDir dir;
  std::unique_ptr<ObjectApi> api;
};

void PutString(ObjectApi& api, const std::string& name, const std::string& data) {
  StringSource src(data);
  auto info = api.Put(name, src, PutOptions{});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
}

std::string GetString(ObjectApi& api, const std::string& name) {
  StringSink sink;
  Status st = api.Get(name, {}, std::nullopt, sink);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return sink.data();
}

// Ships every chunk of `name`'s current version from one site to the other (what a link
// sends for the chunks the receiver lacks), except `skip`.
void Ship(Site& from, Site& to, const std::string& name, const Chid* skip = nullptr) {
  auto placed = from.api->Locate(name, {});
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  for (const auto& p : *placed) {
    if (skip && p.chid == *skip) continue;
    std::string bytes;
    ASSERT_TRUE(from.api->backend().GetChunk(p.chid, &bytes).ok());
    bool stored_new = false;
    ASSERT_TRUE(to.api->backend().PutChunk(p.chid, bytes, 1, &stored_new, nullptr).ok());
  }
  ASSERT_TRUE(to.api->backend().SyncChunks().ok());
}

TEST(ObjectMergeTest, AShippedVersionReadsBackAtTheOtherSiteWithItsIdentity) {
  Site a(1), b(2);
  const std::string data = RandomBytes(50'000, 7);
  PutString(*a.api, "S/T/B/o", data);
  Ship(a, b, "S/T/B/o");
  auto list = a.api->Versions("S/T/B/o");
  ASSERT_TRUE(list.ok());
  auto changed = b.api->MergeRemote(*list);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(GetString(*b.api, "S/T/B/o"), data);
  auto at_b = b.api->Versions("S/T/B/o");
  ASSERT_TRUE(at_b.ok());
  EXPECT_EQ(at_b->Encode(), list->Encode()) << "the same generations, UVIDs and manifests";
  EXPECT_EQ(at_b->versions()[0].uvid.segment_id, 1u);
  auto again = b.api->MergeRemote(*list);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  // A write at b after the merge takes the next generation, after a's.
  PutString(*b.api, "S/T/B/o", "newer at b");
  auto after = b.api->Versions("S/T/B/o");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->versions()[0].generation, list->versions()[0].generation + 1);
}

TEST(ObjectMergeTest, AMissingChunkIsRefusedUntilShipped) {
  Site a(1), b(2);
  const std::string data = RandomBytes(20'000, 8);
  PutString(*a.api, "S/T/B/o", data);
  auto placed = a.api->Locate("S/T/B/o", {});
  ASSERT_TRUE(placed.ok());
  Chid payload;
  for (const auto& p : *placed)
    if (p.kind == "payload") payload = p.chid;
  Ship(a, b, "S/T/B/o", &payload);
  auto list = a.api->Versions("S/T/B/o");
  ASSERT_TRUE(list.ok());
  auto refused = b.api->MergeRemote(*list);
  EXPECT_EQ(refused.status().code(), Code::kNotFound) << refused.status().ToString();
  EXPECT_EQ(b.api->Versions("S/T/B/o").status().code(), Code::kNotFound) << "nothing committed";
  Ship(a, b, "S/T/B/o");
  ASSERT_TRUE(b.api->MergeRemote(*list).ok());
  EXPECT_EQ(GetString(*b.api, "S/T/B/o"), data);
}

TEST(ObjectMergeTest, AManifestThatIsNotItsEntrysIsRefused) {
  Site a(1), b(2);
  PutString(*a.api, "S/T/B/o", RandomBytes(9000, 9));
  PutString(*a.api, "S/T/B/p", RandomBytes(9000, 10));
  Ship(a, b, "S/T/B/o");
  Ship(a, b, "S/T/B/p");
  auto o = a.api->Versions("S/T/B/o");
  auto p = a.api->Versions("S/T/B/p");
  ASSERT_TRUE(o.ok() && p.ok());
  // o's list naming p's manifest: a forged or confused list.
  VersionList forged("S/T/B/o", o->nhid());
  VersionEntry e = o->versions()[0];
  e.vm_chid = p->versions()[0].vm_chid;
  ASSERT_TRUE(forged.AddVersion(e).ok());
  EXPECT_EQ(b.api->MergeRemote(forged).status().code(), Code::kCorruption);
  EXPECT_EQ(b.api->Versions("S/T/B/o").status().code(), Code::kNotFound);
}

TEST(ObjectMergeTest, AnEntryThatMisstatesItsManifestsSizeOrEtagIsRefused) {
  Site a(1), b(2);
  PutString(*a.api, "S/T/B/o", RandomBytes(9000, 11));
  Ship(a, b, "S/T/B/o");
  auto o = a.api->Versions("S/T/B/o");
  ASSERT_TRUE(o.ok());
  for (int field = 0; field < 2; ++field) {
    VersionList forged("S/T/B/o", o->nhid());
    VersionEntry e = o->versions()[0];
    if (field == 0) e.size += 1;
    if (field == 1) e.etag = "ffffffffffffffffffffffffffffffff";
    ASSERT_TRUE(forged.AddVersion(e).ok());
    EXPECT_EQ(b.api->MergeRemote(forged).status().code(), Code::kCorruption) << field;
  }
  EXPECT_EQ(b.api->Versions("S/T/B/o").status().code(), Code::kNotFound);
}

TEST(ObjectMergeTest, OnlyVersionsSignedByATrustedSiteMerge) {
  const std::string seed_a(32, 'k');
  Site a(1, seed_a), c(3), b(2);
  PutString(*a.api, "S/T/B/o", RandomBytes(9000, 12));
  // c learns a's version, then writes one of its own, unsigned (c has no key).
  Ship(a, c, "S/T/B/o");
  auto from_a = a.api->Versions("S/T/B/o");
  ASSERT_TRUE(from_a.ok());
  ASSERT_TRUE(c.api->MergeRemote(*from_a).ok());
  const std::string at_c = RandomBytes(7000, 13);
  PutString(*c.api, "S/T/B/o", at_c);
  Ship(c, b, "S/T/B/o");
  Ship(a, b, "S/T/B/o");
  auto list = c.api->Versions("S/T/B/o");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->versions().size(), 2u);
  const TrustedSiteKeys trusted = {{1, SitePublicKey(seed_a)}};
  std::vector<ObjectApi::RefusedVersion> refused;
  auto merged = b.api->MergeRemote(
      *list, {.accept = [&](const VersionManifest& vm) { return VerifyVersion(vm, trusted); }}, &refused);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_TRUE(*merged);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].vm_chid, list->versions()[0].vm_chid);  // c's own, unsigned
  EXPECT_EQ(refused[0].why.code(), Code::kPermissionDenied);
  auto at_b = b.api->Versions("S/T/B/o");
  ASSERT_TRUE(at_b.ok());
  ASSERT_EQ(at_b->versions().size(), 1u);
  EXPECT_EQ(at_b->versions()[0].vm_chid, from_a->versions()[0].vm_chid);
  // Trusting nobody else, the same list merged again refuses the same version again.
  refused.clear();
  auto again = b.api->MergeRemote(
      *list, {.accept = [&](const VersionManifest& vm) { return VerifyVersion(vm, trusted); }}, &refused);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(refused.size(), 1u);
}

// A site that keeps only metadata merges a version whose payload is elsewhere (with
// `all`, the chunk manifests shipped; with `versions`, the version manifest only); the
// version manifest itself is always required.
TEST(ObjectMergeTest, AMetadataOnlySiteMergesWithoutThePayload) {
  Site a(1), b(2);
  const std::string data = RandomBytes(40'000, 21);  // 4 KiB chunks, fan-out 4: manifests
  PutString(*a.api, "S/T/B/o", data);
  auto placed = a.api->Locate("S/T/B/o", {});
  ASSERT_TRUE(placed.ok());
  auto list = a.api->Versions("S/T/B/o");
  ASSERT_TRUE(list.ok());
  const Chid vm = list->versions()[0].vm_chid;
  auto ship_one = [&](const Chid& chid) {
    std::string bytes;
    ASSERT_TRUE(a.api->backend().GetChunk(chid, &bytes).ok());
    bool stored_new = false;
    ASSERT_TRUE(b.api->backend().PutChunk(chid, bytes, 1, &stored_new, nullptr).ok());
  };
  EXPECT_EQ(b.api->MergeRemote(*list, {.payload_may_be_absent = true}).status().code(), Code::kNotFound)
      << "no version manifest here";
  ship_one(vm);
  EXPECT_EQ(b.api->MergeRemote(*list).status().code(), Code::kNotFound) << "a full site needs every chunk";
  EXPECT_EQ(b.api->MergeRemote(*list, {.payload_may_be_absent = true}).status().code(), Code::kNotFound)
      << "`all` needs the chunk manifests";
  size_t manifests = 0;
  for (const auto& p : *placed)
    if (p.kind == "chunk manifest") {
      ship_one(p.chid);
      ++manifests;
    }
  ASSERT_GT(manifests, 0u);
  auto merged = b.api->MergeRemote(*list, {.payload_may_be_absent = true});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_TRUE(*merged);
  auto at_b = b.api->Versions("S/T/B/o");
  ASSERT_TRUE(at_b.ok());
  EXPECT_EQ(at_b->versions()[0].vm_chid, vm);
  StringSink sink;
  EXPECT_EQ(b.api->Get("S/T/B/o", {}, std::nullopt, sink).code(), Code::kNotFound) << "the payload is elsewhere";
  // `versions`: the manifest alone.
  Site c(3);
  std::string vm_bytes;
  ASSERT_TRUE(a.api->backend().GetChunk(vm, &vm_bytes).ok());
  bool stored_new = false;
  ASSERT_TRUE(c.api->backend().PutChunk(vm, vm_bytes, 1, &stored_new, nullptr).ok());
  auto alone = c.api->MergeRemote(*list, {.payload_may_be_absent = true, .manifests_may_be_absent = true});
  ASSERT_TRUE(alone.ok()) << alone.status().ToString();
  EXPECT_TRUE(*alone);
}

}  // namespace
}  // namespace ccow
