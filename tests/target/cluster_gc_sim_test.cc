// Garbage collection on a cluster over the seeded simulated network (issue 11,
// docs/ARCHITECTURE.md "Garbage collection on a cluster"). Writes that deduplicate, clone,
// compose, snapshot and delete run inside collector passes (as each phase begins and
// between pages of the mark, and between a put's chunks and its commit), over a lossy,
// reordering network, while targets crash and restart. For every seed:
//  - every version any list names (current, quarantined or snapshotted) reads back whole:
//    nothing referenced is ever freed;
//  - every acknowledged write reads back as written;
//  - two quiet passes then leave exactly the chunks some version references (in a copy of
//    its list now, or as the second pass began: it marked those), each recording
//    at its holders the largest replication count of those versions (puts ask R=2, 3 or
//    4, and content recurs across them): never less, and no more once deleted versions of
//    a higher R are gone.
// A failing seed replays with CCOW_GC_SIM_SEED=N (CCOW_GC_SIM_TRACE=1 prints each step);
// CCOW_GC_SIM_RUNS sets how many run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gc/collector.h"
#include "model/chunk_manifest.h"
#include "model/version_manifest.h"
#include "target/sim_cluster.h"
#include "target/sim_model.h"

namespace ccow {
namespace {

using replicast::SimOptions;
using testing::GetString;
using testing::Model;
using testing::Payload;
using testing::PutString;
using testing::SimCluster;

constexpr int kTargets = 5;
const std::string kBucket = "sim/ten/bkt/";

// Walks a version's tree; every chunk must be readable. Collects what it references.
Status WalkVersion(Backend& backend, const Chid& vm_chid, std::set<Chid>* refs) {
  refs->insert(vm_chid);
  std::string bytes;
  CCOW_RETURN_IF_ERROR(backend.GetChunk(vm_chid, &bytes).WithContext("version manifest"));
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, VersionManifest::Decode(bytes));
  std::vector<ChunkRef> todo = vm.root_refs;
  while (!todo.empty()) {
    ChunkRef ref = todo.back();
    todo.pop_back();
    refs->insert(ref.chid);
    CCOW_RETURN_IF_ERROR(backend.GetChunk(ref.chid, &bytes).WithContext("a chunk of " + vm.name));
    if (ref.kind == ChunkKind::kChunkManifest) {
      CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
      todo.insert(todo.end(), cm.refs.begin(), cm.refs.end());
    }
  }
  return Status::OK();
}

class GcSim {
 public:
  GcSim(uint64_t seed, bool keep_deleted)
      : seed_(seed),
        keep_deleted_(keep_deleted),
        rng_(seed),
        cluster_(Net(seed), kTargets, 1, 3, false,
                 [keep_deleted](ApiOptions* o) {
                   o->default_policy.chunk_size = 4 << 10;  // several chunks and manifests per object
                   o->default_policy.single_chunk_max = 4 << 10;
                   o->default_policy.manifest_fanout = 4;
                   o->quarantine_retention_ns = keep_deleted ? 3'600'000'000'000ull : 0;
                 },
                 [] {
                   ClusterGcOptions g;
                   g.fence_grace_ns = 5'000'000;  // 5 ms of virtual time
                   return g;
                 }()) {
    for (int i = 0; i < 6; ++i) pool_.push_back(Payload(rng_, 1 + rng_() % 12000));
    CollectorOptions co;  // marks in memory
    co.page = 3;
    co.clock = [this] { return cluster_.net().NowNs(); };
    co.on_phase = [this](const std::string& phase) { Interfere(phase); };
    auto c = Collector::Create(&cluster_.api(), co);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    collector_ = std::move(*c);
  }

  template <typename... Args>
  void Trace(const char* fmt, Args... args) {
    if (!trace_) return;
    std::fprintf(stderr, "[%llu ms] ", static_cast<unsigned long long>(cluster_.net().NowNs() / 1'000'000));
    std::fprintf(stderr, fmt, args...);
    std::fprintf(stderr, "\n");
  }
  std::string Where() const { return "seed " + std::to_string(seed_) + " (replay with CCOW_GC_SIM_SEED=" + std::to_string(seed_) + ")"; }

  void Run(int steps) {
    for (int i = 0; i < steps; ++i) {
      if (rng_() % 4 == 0) {
        Trace("pass begins");
        auto r = collector_->RunPass();  // may fail: a target is down or restarted meanwhile
        Trace("pass ends: %s", r.ok() ? ("freed " + std::to_string(r->chunks_freed)).c_str() : r.status().ToString().c_str());
        passes_++;
      } else {
        Write();
      }
      CheckEveryVersionReads("after step " + std::to_string(i));
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  // Everything up, no writes: two passes leave exactly what is referenced.
  void Settle() {
    for (int t = 0; t < kTargets; ++t)
      if (!cluster_.running(t)) cluster_.StartTarget(t);
    quiet_ = true;
    for (int pass = 0; pass < 2; ++pass) {
      if (pass == 1) {
        ASSERT_TRUE(cluster_.api().backend().ScanVersionListCopies("", [&](const VersionList& vl) {
          return before_last_.push_back(vl), true;
        }).ok());
      }
      auto r = collector_->RunPass();
      ASSERT_TRUE(r.ok()) << Where() << ": a quiet pass with every target up failed: " << r.status().ToString();
    }
    std::set<Chid> referenced = CheckEveryVersionReads("after settling");
    // What the copies the second pass saw named, it marked, though a copy may be gone
    // since: the pass's own expiries rewrite lists, and a stale copy on a VDEV of the row
    // that is not a home replica is rewritten only so (the healer offers lists to home
    // replicas only). Its chunks go one pass later.
    for (const VersionList& vl : before_last_)
      for (const Chid& vm : Versions(vl)) (void)WalkVersion(cluster_.api().backend(), vm, &referenced);
    std::set<Chid> stored;
    for (int t = 0; t < kTargets; ++t)
      ASSERT_TRUE(cluster_.store(t, 0).ScanChunks(std::nullopt, [&](const HashId& c) { return stored.insert(c), true; }).ok());
    std::vector<std::string> leaked;
    for (const Chid& c : stored)
      if (!referenced.count(c)) {
        leaked.push_back(c.ToString());
        for (int t = 0; t < kTargets; ++t)
          if (cluster_.store(t, 0).Has(c)) {
            auto table = cluster_.initiator().flexhash();
            std::string row;
            for (uint32_t m : table->Row(table->RowOf(c))) row += table->vdevs()[m].id + " ";
            Trace("leaked %s is on t%d; its row: %s", c.ToString().c_str(), t, row.c_str());
          }
        if (trace_) {
          std::vector<VersionList> lists;
          (void)cluster_.api().backend().ScanVersionListCopies("", [&](const VersionList& vl) { return lists.push_back(vl), true; });
          for (const auto& vl : lists) {
            auto show = [&](const char* what, const Chid& vm) {
              std::set<Chid> refs;
              Status st = WalkVersion(cluster_.api().backend(), vm, &refs);
              Trace("  copy of %s: %s %s %s%s", vl.name().c_str(), what, vm.ToString().substr(7, 12).c_str(),
                    st.ToString().c_str(), refs.count(c) ? " REFERENCES IT" : "");
            };
            for (const auto& v : vl.versions()) show("version", v.vm_chid);
            for (const auto& q : vl.quarantine()) show("quarantined", q.version.vm_chid);
            for (const auto& sn : vl.snapshots()) show("snapshot", sn.version.vm_chid);
          }
        }
      }
    EXPECT_TRUE(leaked.empty()) << Where() << ": " << leaked.size() << " unreferenced chunks survived two quiet passes, e.g. "
                                << leaked.front();
    CheckReplicationCounts();
    for (const auto& [name, allowed] : model_.allowed()) {
      auto got = GetString(cluster_.api(), name);
      std::optional<std::string> seen;
      if (got.ok()) seen = *got;
      else
        ASSERT_EQ(got.status().code(), Code::kNotFound) << Where() << ": " << name << ": " << got.status().ToString();
      EXPECT_TRUE(std::find(allowed.begin(), allowed.end(), seen) != allowed.end())
          << Where() << ": " << name << " reads back " << (seen ? std::to_string(seen->size()) + " bytes" : "absent")
          << ", which no write left";
    }
  }

 private:
  static SimOptions Net(uint64_t seed) {
    SimOptions o;
    o.seed = seed;
    o.loss = 0.01;
    o.duplication = 0.01;
    o.min_delay_ns = 10'000;
    o.max_delay_ns = 1'000'000;
    return o;
  }

  std::string Name() { return kBucket + "o" + std::to_string(rng_() % 8); }
  std::string Content() {
    // Pieces of a small pool: whole chunks recur across objects (dedup).
    std::string s;
    int n = 1 + rng_() % 3;
    for (int i = 0; i < n; ++i) s += pool_[rng_() % pool_.size()];
    return s;
  }

  // One random write (or a crash or restart).
  void Write() {
    const uint64_t kind = rng_() % 100;
    const std::string name = Name();
    if (kind < 40) {
      std::string data = Content();
      PutOptions po;
      po.policy = cluster_.api().options().default_policy;
      po.policy->replication_count = static_cast<uint8_t>(2 + rng_() % 3);
      if (!in_pass_ && rng_() % 5 == 0) {
        // A slow put: a whole pass runs between its chunks and its commit.
        po.before_commit = [this](const VersionManifest&) {
          Trace("  slow put: a pass runs before its commit");
          auto r = collector_->RunPass();
          Trace("  slow put's pass ends: %s", r.ok() ? "ok" : r.status().ToString().c_str());
          passes_++;
          return Status::OK();
        };
      }
      auto put = PutString(cluster_.api(), name, data, po);
      Trace("put %s (%zu bytes, R=%d): %s vm %s", name.c_str(), data.size(), int(po.policy->replication_count),
            put.status().ToString().c_str(),
            put.ok() ? put->vm_chid.ToString().substr(7, 12).c_str() : "-");
      put.ok() ? model_.Acked(name, data) : model_.Failed(name, data);
    } else if (kind < 55) {
      Status s = cluster_.api().Delete(name, std::nullopt);
      Trace("delete %s: %s", name.c_str(), s.ToString().c_str());
      if (s.ok()) model_.Acked(name, std::nullopt);
      else if (s.code() != Code::kNotFound) model_.Failed(name, std::nullopt);
    } else if (kind < 67) {
      std::string source = Name();
      auto known = model_.Known(source);
      if (!known) return;
      auto cloned = cluster_.api().Clone(source, VersionSelector{}, name);
      Trace("clone %s to %s: %s", source.c_str(), name.c_str(), cloned.status().ToString().c_str());
      cloned.ok() ? model_.Acked(name, *known) : model_.Failed(name, *known);
    } else if (kind < 77) {
      std::vector<ComposePart> parts;
      std::string whole;
      for (int i = 0; i < 2; ++i) {
        std::string part = Name();
        auto known = model_.Known(part);
        if (!known) return;
        parts.push_back({part, VersionSelector{}});
        whole += *known;
      }
      auto composed = cluster_.api().Compose(name, parts, PutOptions{}, "etag");
      Trace("compose %s: %s", name.c_str(), composed.status().ToString().c_str());
      composed.ok() ? model_.Acked(name, whole) : model_.Failed(name, whole);
    } else if (kind < 85) {
      Status s = cluster_.api().CreateSnapshot(name, "s" + std::to_string(rng_() % 3), VersionSelector{});
      Trace("snapshot %s: %s", name.c_str(), s.ToString().c_str());
    } else if (kind < 93) {
      int t = static_cast<int>(rng_() % kTargets);
      bool any_down = false;
      for (int i = 0; i < kTargets; ++i) any_down |= !cluster_.running(i);
      if (!any_down) {
        Trace("crash t%d", t);
        cluster_.CrashTarget(t);
      }
    } else {
      for (int t = 0; t < kTargets; ++t)
        if (!cluster_.running(t)) {
          Trace("restart t%d", t);
          cluster_.StartTarget(t);
        }
    }
  }

  // Inside a pass: writes, crashes and restarts as it enters a phase or turns a page.
  void Interfere(const std::string& phase) {
    if (quiet_ || in_pass_) return;
    Trace(" pass enters %s", phase.c_str());
    in_pass_ = true;
    int n = static_cast<int>(rng_() % 3);
    for (int i = 0; i < n; ++i) Write();
    in_pass_ = false;
  }

  // Every version of every copy of every list reads back whole; returns the
  // chunks they reference.
  std::set<Chid> CheckEveryVersionReads(const std::string& when) {
    std::set<Chid> refs;
    std::vector<VersionList> lists;
    // Every replica's copy: a stale one keeps what it names referenced until it converges.
    Status scanned = cluster_.api().backend().ScanVersionListCopies(
        "", [&](const VersionList& vl) { return lists.push_back(vl), true; });
    if (!scanned.ok()) return refs;  // too many targets down to list: checked later
    for (const VersionList& vl : lists) {
      std::vector<Chid> versions;
      for (const auto& v : vl.versions()) versions.push_back(v.vm_chid);
      if (keep_deleted_)
        for (const auto& q : vl.quarantine()) versions.push_back(q.version.vm_chid);
      for (const auto& s : vl.snapshots()) versions.push_back(s.version.vm_chid);
      for (const Chid& vm : versions) {
        Status s = WalkVersion(cluster_.api().backend(), vm, &refs);
        // With a target down a read may be unavailable, never missing or corrupt.
        if (s.code() == Code::kUnavailable) continue;
        EXPECT_TRUE(s.ok()) << Where() << ", " << when << " (" << passes_ << " passes): a version of " << vl.name()
                            << " lost a chunk: " << s.ToString();
        if (!s.ok()) return refs;
      }
    }
    return refs;
  }

  // The versions of a copy of a list that its chunks are kept for: active, snapshotted and,
  // with a retention, quarantined (else past its retention: a stale copy may still name it).
  std::vector<Chid> Versions(const VersionList& vl) const {
    std::vector<Chid> versions;
    for (const auto& v : vl.versions()) versions.push_back(v.vm_chid);
    if (keep_deleted_)
      for (const auto& q : vl.quarantine()) versions.push_back(q.version.vm_chid);
    for (const auto& sn : vl.snapshots()) versions.push_back(sn.version.vm_chid);
    return versions;
  }

  // After the quiet passes: every referenced chunk's holders record at most the largest R
  // of the versions referencing it (the sweep lowered the rest), and one of them exactly
  // that (the healer keeps the largest any holder records).
  void CheckReplicationCounts() {
    std::map<Chid, uint32_t> needed;
    std::map<Chid, std::string> by;  // the versions referencing each chunk, for the message
    std::vector<VersionList> lists = before_last_;  // as the last pass began, and now
    ASSERT_TRUE(cluster_.api().backend().ScanVersionListCopies("", [&](const VersionList& vl) {
      return lists.push_back(vl), true;
    }).ok());
    for (const VersionList& vl : lists) {
      for (const Chid& vm_chid : Versions(vl)) {
        std::string bytes;
        ASSERT_TRUE(cluster_.api().backend().GetChunk(vm_chid, &bytes).ok());
        auto vm = VersionManifest::Decode(bytes);
        ASSERT_TRUE(vm.ok());
        std::set<Chid> refs;
        ASSERT_TRUE(WalkVersion(cluster_.api().backend(), vm_chid, &refs).ok());
        for (const Chid& c : refs) {
          needed[c] = std::max<uint32_t>(needed[c], vm->policy.replication_count);
          by[c] += " " + vl.name() + (c == vm_chid ? " (its manifest)" : "") + " at R=" +
                   std::to_string(vm->policy.replication_count) + ";";
        }
      }
    }
    for (const auto& [chid, r] : needed) {
      uint32_t highest = 0;
      bool above = false;
      std::string recorded;
      for (int t = 0; t < kTargets; ++t)
        if (cluster_.store(t, 0).Has(chid)) {
          const uint32_t got = *cluster_.store(t, 0).ReplicationCount(chid);
          highest = std::max(highest, got);
          above |= got > r;
          recorded += " t" + std::to_string(t) + "=" + std::to_string(got);
        }
      EXPECT_EQ(highest, r) << Where() << ": chunk " << chid.ToString() << " is referenced by versions of R up to " << r
                            << " and its holders record" << recorded << "; referenced by" << by[chid];
      EXPECT_FALSE(above) << Where() << ": chunk " << chid.ToString() << " needs R=" << r
                          << " and a holder still records more:" << recorded;
      if (::testing::Test::HasFailure()) return;
    }
  }

  uint64_t seed_;
  bool keep_deleted_;  // a retention of an hour; else 0, and deleted versions may go at once
  std::mt19937_64 rng_;
  SimCluster cluster_;
  std::vector<std::string> pool_;
  std::unique_ptr<Collector> collector_;
  Model model_;
  std::vector<VersionList> before_last_;  // every copy of every list as the last quiet pass began
  bool in_pass_ = false, quiet_ = false;
  const bool trace_ = std::getenv("CCOW_GC_SIM_TRACE") != nullptr;
  int passes_ = 0;
};

void RunSeed(uint64_t seed) {
  GcSim sim(seed, seed % 3 == 0);
  sim.Run(25);
  if (::testing::Test::HasFailure()) return;
  sim.Settle();
}

TEST(ClusterGcSimTest, AThousandSeedsFreeNothingReferencedAndEverythingElseWithinTwoPasses) {
  if (const char* one = std::getenv("CCOW_GC_SIM_SEED")) {
    RunSeed(std::strtoull(one, nullptr, 10));
    return;
  }
  const char* runs_env = std::getenv("CCOW_GC_SIM_RUNS");
  const uint64_t runs = runs_env ? std::strtoull(runs_env, nullptr, 10) : 1000;
  for (uint64_t seed = 1; seed <= runs; ++seed) {
    RunSeed(seed);
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace ccow
