// The settled layout of an erasure-coding simulation (cluster_ec_sim_test.cc), counted
// from the VDEVs' stores themselves, not from what the cluster reports, and compared with
// what the versions every copy of every list names need, now and as the last collector
// pass began (docs/ARCHITECTURE.md "Erasure coding on a cluster", "Trimming is garbage
// collection"):
//  - nothing is stored that no version references (parity of dropped versions and
//    orphaned stripe sets included), and nothing referenced is missing;
//  - a chunk a replicated version references (or a manifest or stripe set of an encoded
//    one) is held in at least min(R, domains of its row) failure domains, its holders
//    recording at most, and one of them exactly, the largest R of those versions;
//  - a fragment (payload or parity) that only encoded versions reference records R=1 at
//    every holder and is held once when every stripe it belongs to is the same stripe; a
//    chunk that several distinct stripes share (dedup between encoded objects) may need a
//    keeper per stripe, never more copies than it has stripes;
//  - each stripe's fragments sit in distinct failure domains: one copy of each can be
//    chosen, in its row, with no two in one domain;
//  - every version of the erasure-coded bucket big enough to encode has been encoded.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "client/stripe_placement.h"
#include "flexhash/flexhash.h"
#include "gc/erasure_encoder.h"
#include "model/chunk_manifest.h"
#include "model/object_name.h"
#include "model/stripe_set.h"
#include "model/version_manifest.h"
#include "target/sim_cluster.h"

namespace ccow::testing {

// Every copy of every version list, into *lists. Such a listing needs every VDEV to answer
// within one attempt (of the initiator's six), so with 10 VDEVs at 1% loss one in tens of
// thousands fails with every target up: asked again, up to three times. (A limit of
// Initiator::ScanNamed's liveness, not of safety: a collector pass fails the same way and
// the next one tries again.)
inline Status ScanEveryCopy(Backend& backend, std::vector<VersionList>* lists) {
  Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {
    lists->clear();
    s = backend.ScanVersionListCopies("", [&](const VersionList& vl) { return lists->push_back(vl), true; });
    if (s.ok() || s.code() != Code::kUnavailable) return s;
  }
  return s;
}

// What the seeds of a run exercised, summed: checked at the end of a run so that a change
// that stops the encoder, the trimming or the dedup across buckets fails the test instead
// of letting it pass vacuously.
struct EcCoverage {
  uint64_t versions_encoded = 0, stripes_written = 0, versions_failed = 0;
  uint64_t fragments_moved = 0, fragments_rebuilt = 0, stripes_unplaceable = 0;
  uint64_t degraded_reads = 0;        // payload chunks rebuilt from their stripe by a read
  uint64_t passes_before_commit = 0;  // collector passes between an encoding's puts and its commit
  uint64_t trimmed = 0;       // settled fragments only encoded versions reference
  uint64_t multi_stripe = 0;  // of those, in several distinct stripes
  uint64_t shared = 0;        // settled payload chunks of a stripe that a replicated version references
  uint64_t shared_with_replicated_bucket = 0;  // of those, by a version of the replicated bucket

  void Add(const EncodePassResult& r) {
    versions_encoded += r.versions_encoded;
    stripes_written += r.stripes_written;
    versions_failed += r.versions_failed;
    fragments_moved += r.fragments_moved;
    fragments_rebuilt += r.fragments_rebuilt;
    stripes_unplaceable += r.stripes_unplaceable;
  }
  std::string ToString() const {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "versions encoded %llu (%llu stripes, %llu failed, %llu unplaceable stripes), fragments moved "
                  "%llu, rebuilt %llu, degraded reads %llu, collector passes before an encoding's commit %llu; "
                  "settled: %llu fragments trimmed (%llu in several stripes), %llu shared with replicated versions "
                  "(%llu of the replicated bucket)",
                  (unsigned long long)versions_encoded, (unsigned long long)stripes_written,
                  (unsigned long long)versions_failed, (unsigned long long)stripes_unplaceable,
                  (unsigned long long)fragments_moved, (unsigned long long)fragments_rebuilt,
                  (unsigned long long)degraded_reads, (unsigned long long)passes_before_commit,
                  (unsigned long long)trimmed, (unsigned long long)multi_stripe, (unsigned long long)shared,
                  (unsigned long long)shared_with_replicated_bucket);
    return buf;
  }
  void ExpectExercised() const {
    EXPECT_GT(versions_encoded, 0u) << ToString();
    EXPECT_GT(degraded_reads, 0u) << ToString();
    EXPECT_GT(passes_before_commit, 0u) << ToString();
    EXPECT_GT(trimmed, 0u) << ToString();
    EXPECT_GT(multi_stripe, 0u) << ToString();
    EXPECT_GT(shared_with_replicated_bucket, 0u) << ToString();
  }
};

class EcCensus {
 public:
  // replicated_bucket: "SEGMENT/TENANT/BUCKET/", for the coverage count of dedup across
  // the buckets.
  EcCensus(SimCluster& cluster, std::string where, bool keep_deleted, std::string replicated_bucket)
      : c_(cluster),
        where_(std::move(where)),
        keep_deleted_(keep_deleted),
        replicated_bucket_prefix_(std::move(replicated_bucket)) {}

  // earlier: every copy of every list as the last collector pass began. Its marks follow
  // them, and its own expiries rewrite lists: a stale copy it saw may be gone since (a
  // copy left on a VDEV of the row that is not a home replica stays stale until a write
  // lands there; the healer offers lists to home replicas only).
  // ec_bucket: "SEGMENT/TENANT/BUCKET" whose versions of min_encoded bytes or more must all
  // be encoded now (empty: some stripe could not be placed, skip that check).
  void Check(const std::vector<VersionList>& earlier, const std::string& ec_bucket, uint64_t min_encoded,
             EcCoverage* cov) {
    table_ = c_.initiator().flexhash();
    for (const VdevInfo& v : table_->vdevs()) domain_[v.id] = DomainOf(v, table_->failure_domain());
    CountCopies();
    if (::testing::Test::HasFailure()) return;
    CollectNeeds(earlier);
    if (::testing::Test::HasFailure()) return;
    CheckNothingLeakedOrLost();
    CheckReplicated();
    CheckFragments(cov);
    CheckStripeDomains();
    if (!ec_bucket.empty()) CheckAllEncoded(ec_bucket, min_encoded);
  }

 private:
  struct Copy {
    std::string vdev;
    uint32_t r = 0;
  };

  void CountCopies() {
    for (int t = 0; t < c_.targets(); ++t)
      for (int v = 0; v < c_.vdevs(); ++v) {
        const std::string id = "t" + std::to_string(t) + "/vdev" + std::to_string(v);
        MemoryChunkStore& store = c_.store(t, v);
        ASSERT_TRUE(store.ScanChunks(std::nullopt, [&](const HashId& chid) {
          held_[chid].push_back({id, *store.ReplicationCount(chid)});
          return true;
        }).ok());
      }
  }

  void Need(const Chid& chid, uint32_t r, const std::string& why) {
    need_[chid] = std::max(need_[chid], r);
    if (by_[chid].size() < 400) by_[chid] += " " + why + ";";
  }

  // What every version of every copy of every list needs, now and as the last pass began
  // (quarantined ones only with a retention: else the quiet passes expired them, and a
  // stale copy may still name them).
  void CollectNeeds(const std::vector<VersionList>& earlier) {
    Backend& backend = c_.api().backend();
    std::vector<VersionList> lists;
    Status scanned = ScanEveryCopy(backend, &lists);
    ASSERT_TRUE(scanned.ok()) << where_ << ": " << scanned.ToString();
    lists.insert(lists.end(), earlier.begin(), earlier.end());
    std::set<std::pair<Chid, Chid>> done;
    for (const VersionList& vl : lists) {
      std::vector<VersionEntry> entries(vl.versions().begin(), vl.versions().end());
      if (keep_deleted_)
        for (const auto& q : vl.quarantine()) entries.push_back(q.version);
      for (const auto& sn : vl.snapshots()) entries.push_back(sn.version);
      for (const VersionEntry& e : entries) {
        if (!done.insert({e.vm_chid, e.ec_chid}).second) continue;
        std::string bytes;
        ASSERT_TRUE(backend.GetChunk(e.vm_chid, &bytes).ok()) << where_;
        auto vm = VersionManifest::Decode(bytes);
        ASSERT_TRUE(vm.ok()) << where_;
        const uint32_t r = vm->policy.replication_count ? vm->policy.replication_count
                                                        : backend.default_replication_count();
        const std::string what = vl.name() + (e.erasure_coded() ? " (encoded)" : "") + " at R=" + std::to_string(r);
        Need(e.vm_chid, r, what + " (its manifest)");
        std::vector<Chid> payload;
        std::vector<ChunkRef> todo = vm->root_refs;
        while (!todo.empty()) {
          ChunkRef ref = todo.back();
          todo.pop_back();
          if (ref.kind != ChunkKind::kChunkManifest) {
            payload.push_back(ref.chid);
            continue;
          }
          Need(ref.chid, r, what + " (a chunk manifest)");
          ASSERT_TRUE(backend.GetChunk(ref.chid, &bytes).ok()) << where_;
          auto cm = ChunkManifest::Decode(bytes);
          ASSERT_TRUE(cm.ok()) << where_;
          todo.insert(todo.end(), cm->refs.begin(), cm->refs.end());
        }
        if (!e.erasure_coded()) {
          const bool replicated_bucket = vl.name().rfind(replicated_bucket_prefix_, 0) == 0;
          for (const Chid& p : payload) {
            Need(p, r, what);
            if (replicated_bucket) in_replicated_bucket_.insert(p);
          }
          continue;
        }
        Need(e.ec_chid, r, what + " (its stripe set)");
        ASSERT_TRUE(backend.GetChunk(e.ec_chid, &bytes).ok()) << where_;
        auto set = StripeSet::Decode(bytes);
        ASSERT_TRUE(set.ok()) << where_ << ": " << set.status().ToString();
        EXPECT_EQ(set->vm_chid, e.vm_chid) << where_ << ": the stripe set of " << what << " encodes another version";
        std::set<Chid> members;
        for (const StripeManifest& stripe : set->stripes) {
          const std::string key = stripe.Encode();
          stripes_.emplace(key, stripe);
          for (int i = 0; i < stripe.policy.width(); ++i)
            if (stripe.IsStored(i)) stripes_of_[stripe.FragmentChid(i)].insert(key);
          for (const StripeMember& m : stripe.data) members.insert(m.chid);
        }
        for (const Chid& p : payload)
          EXPECT_TRUE(members.count(p)) << where_ << ": " << what << ": payload chunk " << p.ToString()
                                        << " is in none of its stripes";
      }
    }
  }

  void CheckNothingLeakedOrLost() {
    std::vector<std::string> leaked;
    for (const auto& [chid, copies] : held_)
      if (!need_.count(chid) && !stripes_of_.count(chid)) leaked.push_back(chid.ToString() + " on " + copies[0].vdev);
    EXPECT_TRUE(leaked.empty()) << where_ << ": " << leaked.size()
                                << " unreferenced chunks survived the quiet passes, e.g. " << leaked.front();
    for (const auto& [chid, r] : need_)
      EXPECT_TRUE(held_.count(chid)) << where_ << ": chunk " << chid.ToString() << " is stored nowhere; needed by"
                                     << by_[chid];
    for (const auto& [chid, keys] : stripes_of_)
      EXPECT_TRUE(held_.count(chid)) << where_ << ": fragment " << chid.ToString() << " is stored nowhere";
  }

  std::string Recorded(const Chid& chid) {
    std::string out;
    for (const Copy& c : held_[chid]) out += " " + c.vdev + "=" + std::to_string(c.r);
    return out;
  }
  // The distinct failure domains of chid's row, and of its copies in that row.
  std::set<std::string> RowDomains(const Chid& chid) {
    std::set<std::string> out;
    for (uint32_t m : table_->Row(table_->RowOf(chid))) out.insert(domain_[table_->vdevs()[m].id]);
    return out;
  }
  std::set<std::string> CopyDomains(const Chid& chid) {
    std::set<std::string> row;
    for (uint32_t m : table_->Row(table_->RowOf(chid))) row.insert(table_->vdevs()[m].id);
    std::set<std::string> out;
    for (const Copy& c : held_[chid])
      if (row.count(c.vdev)) out.insert(domain_[c.vdev]);
    return out;
  }

  // Replicated references keep their R: in as many domains as the row allows, recorded.
  void CheckReplicated() {
    for (const auto& [chid, r] : need_) {
      if (!held_.count(chid)) continue;
      const size_t want = std::min<size_t>(r, RowDomains(chid).size());
      const size_t got = CopyDomains(chid).size();
      uint32_t highest = 0;
      bool above = false;
      for (const Copy& c : held_[chid]) {
        highest = std::max(highest, c.r);
        above |= c.r > r;
      }
      EXPECT_GE(got, want) << where_ << ": chunk " << chid.ToString() << " is held in " << got
                           << " failure domains and needs " << want << "; holders:" << Recorded(chid)
                           << "; needed by" << by_[chid];
      EXPECT_EQ(highest, r) << where_ << ": chunk " << chid.ToString() << " is needed at R=" << r
                            << " and its holders record" << Recorded(chid) << "; needed by" << by_[chid];
      EXPECT_FALSE(above) << where_ << ": chunk " << chid.ToString() << " needs R=" << r
                          << " and a holder still records more:" << Recorded(chid);
      if (::testing::Test::HasFailure()) return;
    }
  }

  // Fragments only encoded versions reference are trimmed: R=1, one copy per distinct
  // stripe at most, exactly one when they belong to one stripe.
  void CheckFragments(EcCoverage* cov) {
    for (const auto& [chid, keys] : stripes_of_) {
      if (!held_.count(chid)) continue;
      if (need_.count(chid)) {
        cov->shared++;
        cov->shared_with_replicated_bucket += in_replicated_bucket_.count(chid);
        continue;
      }
      cov->trimmed++;
      cov->multi_stripe += keys.size() > 1;
      const auto& copies = held_[chid];
      bool above = false;
      for (const Copy& c : copies) above |= c.r != 1;
      EXPECT_FALSE(above) << where_ << ": fragment " << chid.ToString()
                          << " only encoded versions reference does not record R=1:" << Recorded(chid) << Keepers(keys);
      if (keys.size() == 1)
        EXPECT_EQ(copies.size(), 1u) << where_ << ": fragment " << chid.ToString()
                                     << " of one stripe, only encoded versions referencing it, is still held "
                                     << copies.size() << " times:" << Recorded(chid) << Keepers(keys);
      else
        EXPECT_LE(copies.size(), keys.size()) << where_ << ": fragment " << chid.ToString() << " of " << keys.size()
                                              << " stripes is held " << copies.size() << " times:" << Recorded(chid)
                                              << Keepers(keys);
      if (::testing::Test::HasFailure()) return;
    }
  }

  // For a message: the keepers the collector would choose now for each of these stripes.
  std::string Keepers(const std::set<std::string>& keys) {
    std::string out;
    for (const std::string& key : keys) {
      const StripeManifest& stripe = stripes_.at(key);
      auto sites = LocateFragments(c_.api().backend(), stripe);
      if (!sites.ok()) return out + "; locating failed: " + sites.status().ToString();
      auto keepers = PlaceFragments(*table_, *sites);
      out += "; a stripe's keepers now:";
      if (!keepers.ok()) {
        out += " none (" + keepers.status().ToString() + ")";
        continue;
      }
      for (size_t f = 0; f < keepers->size(); ++f)
        out += " " + (*sites)[f].chid.ToString().substr(7, 8) + "->" + (*keepers)[f].vdev_id +
               ((*keepers)[f].holds ? "" : " (lacks it)");
    }
    return out;
  }

  // One copy of each stored fragment of each stripe can be chosen in its row with no two
  // in one failure domain: losing a domain costs a stripe one fragment at most.
  void CheckStripeDomains() {
    for (const auto& [key, stripe] : stripes_) {
      std::vector<std::set<std::string>> options;
      std::string shown;
      for (int i = 0; i < stripe.policy.width(); ++i) {
        if (!stripe.IsStored(i)) continue;
        const Chid& chid = stripe.FragmentChid(i);
        options.push_back(CopyDomains(chid));
        shown += " [" + std::to_string(i) + "]" + Recorded(chid);
      }
      std::set<std::string> used;
      EXPECT_TRUE(Assign(options, 0, used)) << where_ << ": a " << stripe.policy.ToString()
                                            << " stripe cannot have its fragments in distinct failure domains; "
                                            << "holders by fragment:" << shown;
      if (::testing::Test::HasFailure()) return;
    }
  }
  static bool Assign(const std::vector<std::set<std::string>>& options, size_t f, std::set<std::string>& used) {
    if (f == options.size()) return true;
    for (const std::string& d : options[f]) {
      if (!used.insert(d).second) continue;
      if (Assign(options, f + 1, used)) return true;
      used.erase(d);
    }
    return false;
  }

  // The encoder pass before the quiet passes, every target up, left nothing to encode.
  void CheckAllEncoded(const std::string& ec_bucket, uint64_t min_encoded) {
    ASSERT_TRUE(c_.api().backend().ScanVersionLists(ec_bucket + "/", "", [&](const VersionList& vl) {
      std::vector<VersionEntry> entries(vl.versions().begin(), vl.versions().end());
      for (const auto& q : vl.quarantine()) entries.push_back(q.version);
      for (const auto& sn : vl.snapshots()) entries.push_back(sn.version);
      for (const VersionEntry& e : entries)
        EXPECT_TRUE(e.is_delete_marker() || e.erasure_coded() || e.size < min_encoded)
            << where_ << ": " << vl.name() << " generation " << e.generation << " (" << e.size
            << " bytes) is still replicated after an encoder pass with every target up";
      return true;
    }).ok());
  }

  SimCluster& c_;
  const std::string where_;
  const bool keep_deleted_;
  const std::string replicated_bucket_prefix_;
  std::shared_ptr<const FlexHashTable> table_;
  std::map<std::string, std::string> domain_;  // VDEV id -> failure domain
  std::map<Chid, std::vector<Copy>> held_;
  std::map<Chid, uint32_t> need_;  // chunk -> largest R of the replicated references
  std::map<Chid, std::string> by_;
  std::map<std::string, StripeManifest> stripes_;        // distinct stripes, by their encoding
  std::map<Chid, std::set<std::string>> stripes_of_;     // fragment -> the stripes it is in
  std::set<Chid> in_replicated_bucket_;
};

}  // namespace ccow::testing
