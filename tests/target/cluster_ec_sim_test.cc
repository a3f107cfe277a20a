// Erasure coding's trimming under garbage collection on a cluster, over the seeded
// simulated network (docs/ARCHITECTURE.md "Erasure coding on a cluster"). Objects live in
// a bucket with an erasure-code policy and in a replicated one, over shared content (the
// same chunks dedup across the two); puts, deletes, clones and composes across the
// buckets, snapshots, crashes and restarts run between encoder passes
// (gc/erasure_encoder.h) and collector passes, inside a collector pass's phases, and
// between an encoding's stored fragments and its commit. For every seed:
//  - after every step that could make a chunk unreadable (a collector pass that freed or
//    trimmed, a crash), and every eighth step, every version any copy of any list names
//    reads back whole, a lost payload chunk of an encoded version rebuilt from its stripe
//    (a target may be down); every eighth step with every target up, every name reads
//    back as some write left it;
//  - after an encoder pass and two quiet collector passes with every target up
//    (ec_sim_census.h): nothing unreferenced remains (parity of dropped versions and
//    orphaned stripe sets included); a fragment only encoded versions reference is kept
//    once (once per distinct stripe at most, when stripes share it), R=1, and each stripe
//    has its fragments in distinct failure domains; a chunk a replicated version
//    references keeps that version's R in as many domains; every version of the EC
//    bucket big enough is encoded.
// Three layouts, by seed: 5 targets of one VDEV and 2:1:rs; 5 targets of two VDEVs and
// 2:1:rs (rows repeat a server: keepers must differ by server, not by VDEV); 6 targets
// and 4:2:rs (a stripe spans every server).
// A failing seed replays with CCOW_EC_SIM_SEED=N (CCOW_EC_SIM_TRACE=1 prints each step, and
// CCOW_EC_SIM_WATCH=HEX where the chunk whose digest starts so is stored, at each line);
// CCOW_EC_SIM_RUNS sets how many run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "client/stripe_reader.h"
#include "gc/collector.h"
#include "gc/erasure_encoder.h"
#include "model/chunk_manifest.h"
#include "model/version_manifest.h"
#include "target/ec_sim_census.h"
#include "target/sim_cluster.h"
#include "target/sim_model.h"

namespace ccow {
namespace {

using replicast::SimOptions;
using testing::EcCensus;
using testing::EcCoverage;
using testing::GetString;
using testing::Model;
using testing::Payload;
using testing::PutString;
using testing::ScanEveryCopy;
using testing::SimCluster;

const std::string kEcBucket = "sim/ten/ec";    // erasure coded at rest
const std::string kRepBucket = "sim/ten/rep";  // replicated
constexpr uint64_t kChunk = 4 << 10;
constexpr uint64_t kMinEncoded = 2 * kChunk;  // smaller versions stay replicated

struct Layout {
  int targets, vdevs;
  const char* policy;
};
Layout LayoutOf(uint64_t seed) {
  switch (seed % 3) {
    case 0: return {5, 1, "2:1:rs"};
    case 1: return {5, 2, "2:1:rs"};
    default: return {6, 1, "4:2:rs"};
  }
}

EcCoverage coverage;  // summed over the seeds of a run

// Reads versions' trees as ObjectApi::Get does: while a target is down, a payload chunk of
// an encoded version that cannot be read is rebuilt from its stripe (client/stripe_reader.h)
// and counted; with every target up every chunk must be there to read (trimming never
// takes a fragment's last copy). A chunk read whole once is not read again for the next
// version (clones, snapshots and dedup share most of them): each check proves every chunk
// is still there, once.
class TreeReader {
 public:
  TreeReader(Backend& backend, bool all_up) : backend_(backend), all_up_(all_up) {}

  Status Read(const std::string& name, const VersionEntry& e) {
    std::vector<ChunkRef> todo;
    CCOW_RETURN_IF_ERROR(Refs(e.vm_chid, true, &todo).WithContext("version manifest"));
    std::optional<StripeReader> stripes;
    if (e.erasure_coded()) stripes.emplace(&backend_, name, e.vm_chid, e.ec_chid, false);
    while (!todo.empty()) {
      ChunkRef ref = todo.back();
      todo.pop_back();
      if (ref.kind == ChunkKind::kChunkManifest) {
        CCOW_RETURN_IF_ERROR(Refs(ref.chid, false, &todo).WithContext("a chunk manifest of " + name));
        continue;
      }
      if (read_.count(ref.chid)) continue;
      std::string bytes;
      Status got = backend_.GetChunk(ref.chid, &bytes);
      if (got.ok()) {
        read_.insert(ref.chid);
      } else if (stripes && !all_up_) {
        CCOW_RETURN_IF_ERROR(stripes->Rebuild(ref.chid, got).status());
        coverage.degraded_reads++;
      } else {
        return got.WithContext("a chunk of " + name);
      }
    }
    return Status::OK();
  }

 private:
  // Appends the references of a version manifest or chunk manifest to *out.
  Status Refs(const Chid& chid, bool version, std::vector<ChunkRef>* out) {
    auto it = manifests_.find(chid);
    if (it == manifests_.end()) {
      std::string bytes;
      CCOW_RETURN_IF_ERROR(backend_.GetChunk(chid, &bytes));
      std::vector<ChunkRef> refs;
      if (version) {
        CCOW_ASSIGN_OR_RETURN(VersionManifest vm, VersionManifest::Decode(bytes));
        refs = std::move(vm.root_refs);
      } else {
        CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
        refs = std::move(cm.refs);
      }
      it = manifests_.emplace(chid, std::move(refs)).first;
    }
    out->insert(out->end(), it->second.begin(), it->second.end());
    return Status::OK();
  }

  Backend& backend_;
  const bool all_up_;
  std::set<Chid> read_;  // payload chunks read whole
  std::map<Chid, std::vector<ChunkRef>> manifests_;
};

class EcSim {
 public:
  explicit EcSim(uint64_t seed)
      : seed_(seed),
        layout_(LayoutOf(seed)),
        keep_deleted_((seed / 3) % 3 == 0),
        rng_(seed),
        cluster_(Net(seed), layout_.targets, layout_.vdevs, 3, false,
                 [this](ApiOptions* o) {
                   o->default_policy.chunk_size = kChunk;  // several stripes per object
                   o->default_policy.single_chunk_max = kChunk;
                   o->default_policy.manifest_fanout = 4;
                   o->quarantine_retention_ns = keep_deleted_ ? 3'600'000'000'000ull : 0;
                 },
                 [] {
                   ClusterGcOptions g;
                   g.fence_grace_ns = 5'000'000;  // 5 ms of virtual time
                   return g;
                 }()) {
    policy_ = *ErasurePolicy::Parse(layout_.policy);
    // Whole chunks, most with a short tail: content built of them shares chunks at the
    // start of objects and wherever a piece without a tail precedes another.
    for (int i = 0; i < 6; ++i) {
      size_t n = (1 + rng_() % 3) * kChunk;
      if (rng_() % 2) n += 1 + rng_() % (kChunk - 1);
      pool_.push_back(Payload(rng_, n));
    }
    CollectorOptions co;  // marks in memory
    co.page = 3;
    co.clock = [this] { return cluster_.net().NowNs(); };
    co.on_phase = [this](const std::string& phase) { InsideCollection(phase); };
    auto c = Collector::Create(&cluster_.api(), co);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    collector_ = std::move(*c);
    ErasureEncoderOptions eo;
    eo.rest_age_ns = 0;  // at rest as soon as written
    eo.min_object_bytes = kMinEncoded;
    eo.page = 3;
    eo.clock = [this] { return cluster_.net().NowNs(); };
    eo.bucket_policy = [this](const std::string& bucket) -> std::optional<ErasurePolicy> {
      if (bucket == kEcBucket) return policy_;
      return std::nullopt;
    };
    eo.on_phase = [this](const std::string& phase) { InsideEncoding(phase); };
    encoder_ = std::make_unique<ErasureEncoder>(&cluster_.api(), eo);
  }

  template <typename... Args>
  void Trace(const char* fmt, Args... args) {
    if (!trace_) return;
    std::fprintf(stderr, "[%llu ms] ", static_cast<unsigned long long>(cluster_.net().NowNs() / 1'000'000));
    std::fprintf(stderr, fmt, args...);
    std::fprintf(stderr, "%s\n", Watched().c_str());
  }
  // With CCOW_EC_SIM_WATCH=HEX (the start of a CHID's digest), where that chunk is stored
  // and what each holder records, for every line traced.
  std::string Watched() {
    if (watch_.empty()) return "";
    std::string out;
    for (int t = 0; t < layout_.targets; ++t)
      for (int v = 0; v < layout_.vdevs; ++v)
        (void)cluster_.store(t, v).ScanChunks(std::nullopt, [&](const HashId& c) {
          if (c.ToString().find(":" + watch_) != std::string::npos)
            out += " t" + std::to_string(t) + "/vdev" + std::to_string(v) + "=" +
                   std::to_string(*cluster_.store(t, v).ReplicationCount(c));
          return true;
        });
    return "   [" + watch_ + " on" + out + "]";
  }
  std::string Where() const {
    return "seed " + std::to_string(seed_) + " (" + layout_.policy + " over " + std::to_string(layout_.targets) +
           " targets of " + std::to_string(layout_.vdevs) + " VDEVs; replay with CCOW_EC_SIM_SEED=" +
           std::to_string(seed_) + ")";
  }

  void Run(int steps) {
    for (int i = 0; i < steps; ++i) {
      const uint64_t kind = rng_() % 100;
      changes_ = 0;
      if (kind < 20) Collect("step");
      else if (kind < 35) Encode("step");
      else Write();
      // Only collector passes that free or trim chunks and crashes can make a version
      // unreadable (encoder passes add copies, restarts bring them back): the versions
      // are read after steps that ran any, and every eighth step, which reads every name
      // whole too.
      if (changes_ > 0 || i % 8 == 7) CheckReads("after step " + std::to_string(i), i % 8 == 7);
      if (::testing::Test::HasFailure()) return;
    }
  }

  // Every target up, no writes: an encoder pass (encodes what is left, puts fragments
  // back on their keepers), then two collector passes, leave the layout the census checks.
  void Settle() {
    for (int t = 0; t < layout_.targets; ++t)
      if (!cluster_.running(t)) cluster_.StartTarget(t);
    quiet_ = true;
    Trace("settling: an encoder pass, then two collector passes");
    auto enc = encoder_->RunPass();
    ASSERT_TRUE(enc.ok()) << Where() << ": the encoder pass with every target up failed: " << enc.status().ToString();
    EXPECT_EQ(enc->stripes_lost, 0u) << Where() << ": a stripe lost more than M fragments to one crash at a time";
    coverage.Add(*enc);
    std::vector<VersionList> before_last;  // the copies the second pass scans
    int unavailable = 0;                   // passes that failed for want of an answer
    for (int pass = 0; pass < 2; ++pass) {
      if (pass == 1) {
        Status scanned = ScanEveryCopy(cluster_.api().backend(), &before_last);
        ASSERT_TRUE(scanned.ok()) << Where() << ": " << scanned.ToString();
      }
      Trace("quiet collector pass %d", pass + 1);
      auto r = collector_->RunPass();
      // A pass needs every VDEV's answer to one listing attempt (ScanEveryCopy says why):
      // one that failed so is run again, twice at most; any other failure is a failure.
      if (!r.ok() && r.status().code() == Code::kUnavailable && ++unavailable <= 2) {
        Trace("  that pass failed for want of an answer: %s", r.status().ToString().c_str());
        --pass;
        continue;
      }
      ASSERT_TRUE(r.ok()) << Where() << ": a quiet pass with every target up failed: " << r.status().ToString();
    }
    CheckReads("after settling", true);
    if (::testing::Test::HasFailure()) return;
    EcCensus census(cluster_, Where(), keep_deleted_, kRepBucket + "/");
    census.Check(before_last, enc->stripes_unplaceable == 0 ? kEcBucket : std::string(), kMinEncoded, &coverage);
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

  bool AllUp() const {
    for (int t = 0; t < layout_.targets; ++t)
      if (!cluster_.running(t)) return false;
    return true;
  }
  std::string Name() { return (rng_() % 2 ? kEcBucket : kRepBucket) + "/o" + std::to_string(rng_() % 4); }
  std::string Content() {
    std::string s;
    int n = 1 + rng_() % 3;
    for (int i = 0; i < n; ++i) s += pool_[rng_() % pool_.size()];
    return s;
  }

  // A collector pass, unless one is under way (it may fail: a target down or restarted).
  void Collect(const std::string& where) {
    if (collecting_) return;
    collecting_ = true;
    Trace("collector pass begins (%s)", where.c_str());
    auto r = collector_->RunPass();
    if (!r.ok() || r->chunks_freed > 0 || r->chunks_lowered > 0) changes_++;  // a failed one may have swept some VDEVs
    Trace("collector pass ends: %s", r.ok() ? ("freed " + std::to_string(r->chunks_freed) + ", lowered " +
                                               std::to_string(r->chunks_lowered)).c_str()
                                            : r.status().ToString().c_str());
    collecting_ = false;
  }
  // An encoder pass, unless one is under way.
  void Encode(const std::string& where) {
    if (encoding_) return;
    encoding_ = true;
    Trace("encoder pass begins (%s)", where.c_str());
    auto r = encoder_->RunPass();
    if (r.ok()) coverage.Add(*r);
    Trace("encoder pass ends: %s",
          r.ok() ? ("encoded " + std::to_string(r->versions_encoded) + ", failed " + std::to_string(r->versions_failed) +
                    ", moved " + std::to_string(r->fragments_moved) + ", rebuilt " + std::to_string(r->fragments_rebuilt))
                       .c_str()
                 : r.status().ToString().c_str());
    encoding_ = false;
  }

  // Inside a collector pass, as it enters a phase or turns a page: writes, crashes and
  // restarts, and encoder passes (their fragment puts and fenced commits race the marks).
  void InsideCollection(const std::string& phase) {
    Trace(" collection enters %s", phase.c_str());
    if (quiet_ || depth_ > 0) return;
    depth_++;
    int n = static_cast<int>(rng_() % 3);
    for (int i = 0; i < n; ++i) rng_() % 3 == 0 ? Encode("inside a collection's " + phase) : Write();
    depth_--;
  }
  // Inside an encoder pass: before a list, a write now and then; between a version's
  // stored fragments and its commit, often a whole collector pass (the commit is then
  // fenced and touches what it adds again), else now and then a write.
  void InsideEncoding(const std::string& phase) {
    if (quiet_ || depth_ > 1) return;
    depth_++;
    if (phase == "commit" && rng_() % 3 == 0 && !collecting_) {
      Trace("  a collector pass runs before an encoding's commit");
      coverage.passes_before_commit++;
      Collect("before an encoding's commit");
    } else if (rng_() % 6 == 0) {
      Write();
    }
    depth_--;
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
      if (depth_ == 0 && rng_() % 5 == 0) {
        // A slow put: a whole pass runs between its chunks and its commit.
        const bool encode = rng_() % 2;
        po.before_commit = [this, encode](const VersionManifest&) {
          encode ? Encode("before a put's commit") : Collect("before a put's commit");
          return Status::OK();
        };
      }
      auto put = PutString(cluster_.api(), name, data, po);
      Trace("put %s (%zu bytes, R=%d): %s", name.c_str(), data.size(), int(po.policy->replication_count),
            put.status().ToString().c_str());
      put.ok() ? model_.Acked(name, data) : model_.Failed(name, data);
    } else if (kind < 53) {
      Status s = cluster_.api().Delete(name, std::nullopt);
      Trace("delete %s: %s", name.c_str(), s.ToString().c_str());
      if (s.ok()) model_.Acked(name, std::nullopt);
      else if (s.code() != Code::kNotFound) model_.Failed(name, std::nullopt);
    } else if (kind < 66) {
      std::string source = Name();
      auto known = model_.Known(source);
      if (!known) return;
      auto cloned = cluster_.api().Clone(source, VersionSelector{}, name);
      Trace("clone %s to %s: %s", source.c_str(), name.c_str(), cloned.status().ToString().c_str());
      cloned.ok() ? model_.Acked(name, *known) : model_.Failed(name, *known);
    } else if (kind < 76) {
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
    } else if (kind < 84) {
      Status s = cluster_.api().CreateSnapshot(name, "s" + std::to_string(rng_() % 3), VersionSelector{});
      Trace("snapshot %s: %s", name.c_str(), s.ToString().c_str());
    } else if (kind < 92) {
      if (!AllUp()) return;  // one target down at a time: a stripe loses at most one fragment
      int t = static_cast<int>(rng_() % layout_.targets);
      Trace("crash t%d", t);
      cluster_.CrashTarget(t);
      changes_++;
    } else {
      for (int t = 0; t < layout_.targets; ++t)
        if (!cluster_.running(t)) {
          Trace("restart t%d", t);
          cluster_.StartTarget(t);
        }
    }
  }

  // Every version every copy of every list names reads back whole, through its stripes
  // where a chunk is lost; with every target up and with_names, every name reads back as
  // a write left it (each object read whole again: not after every step, for time).
  void CheckReads(const std::string& when, bool with_names) {
    Backend& backend = cluster_.api().backend();
    const bool all_up = AllUp();
    std::vector<VersionList> lists;
    Status scanned = all_up ? ScanEveryCopy(backend, &lists)
                            : backend.ScanVersionListCopies("", [&](const VersionList& vl) {
                                return lists.push_back(vl), true;
                              });
    if (!scanned.ok()) {
      // A target is down: the copies it holds cannot be listed; the newest copy of each
      // list, what a reader resolves, can.
      EXPECT_FALSE(all_up) << Where() << ", " << when << ": listing every copy failed: " << scanned.ToString();
      lists.clear();
      scanned = backend.ScanVersionLists("", "", [&](const VersionList& vl) { return lists.push_back(vl), true; });
      if (!scanned.ok()) return;  // too many answers lost to list: checked later
    }
    std::set<std::pair<Chid, Chid>> read;  // (version, stripe set): each once
    TreeReader reader(backend, all_up);
    for (const VersionList& vl : lists) {
      std::vector<VersionEntry> entries(vl.versions().begin(), vl.versions().end());
      if (keep_deleted_)  // else a stale copy may name a version expired since
        for (const auto& q : vl.quarantine()) entries.push_back(q.version);
      for (const auto& sn : vl.snapshots()) entries.push_back(sn.version);
      for (const VersionEntry& e : entries) {
        if (!read.insert({e.vm_chid, e.ec_chid}).second) continue;
        Status s = reader.Read(vl.name(), e);
        EXPECT_TRUE(s.ok()) << Where() << ", " << when << (all_up ? "" : " (a target down)") << ": a version of "
                            << vl.name() << (e.erasure_coded() ? " (encoded)" : "") << " does not read: " << s.ToString();
        if (!s.ok()) return;
      }
    }
    if (!all_up || !with_names) return;  // a list's newest copy may be on the target that is down
    for (const auto& [name, allowed] : model_.allowed()) {
      auto got = GetString(cluster_.api(), name);
      std::optional<std::string> seen;
      if (got.ok()) seen = *got;
      else
        ASSERT_EQ(got.status().code(), Code::kNotFound) << Where() << ", " << when << ": " << name << ": "
                                                        << got.status().ToString();
      EXPECT_TRUE(std::find(allowed.begin(), allowed.end(), seen) != allowed.end())
          << Where() << ", " << when << ": " << name << " reads back "
          << (seen ? std::to_string(seen->size()) + " bytes" : "absent") << ", which no write left";
    }
  }

  uint64_t seed_;
  Layout layout_;
  bool keep_deleted_;  // a retention of an hour; else 0, and deleted versions may go at once
  std::mt19937_64 rng_;
  SimCluster cluster_;
  ErasurePolicy policy_;
  std::vector<std::string> pool_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<ErasureEncoder> encoder_;
  Model model_;
  bool quiet_ = false, collecting_ = false, encoding_ = false;
  int depth_ = 0;    // how deep inside passes' hooks the current write runs
  int changes_ = 0;  // collector passes that freed or lowered, and crashes, in this step
  const bool trace_ = std::getenv("CCOW_EC_SIM_TRACE") != nullptr;
  const std::string watch_ = std::getenv("CCOW_EC_SIM_WATCH") ? std::getenv("CCOW_EC_SIM_WATCH") : "";
};

void RunSeed(uint64_t seed) {
  EcSim sim(seed);
  sim.Run(20);
  if (::testing::Test::HasFailure()) return;
  sim.Settle();
}

TEST(ClusterEcSimTest, EncodedVersionsStayReadableAndTrimToOneCopyPerFragmentInDistinctDomains) {
  if (const char* one = std::getenv("CCOW_EC_SIM_SEED")) {
    RunSeed(std::strtoull(one, nullptr, 10));
    return;
  }
  const char* runs_env = std::getenv("CCOW_EC_SIM_RUNS");
  const uint64_t runs = runs_env ? std::strtoull(runs_env, nullptr, 10) : 1000;
  for (uint64_t seed = 1; seed <= runs; ++seed) {
    RunSeed(seed);
    if (::testing::Test::HasFailure()) return;
  }
  std::printf("%s\n", coverage.ToString().c_str());
  // The simulation proves something only if it did these (a change that stops the
  // encoder or the trimming must fail here, not pass vacuously).
  if (runs >= 100) coverage.ExpectExercised();
}

}  // namespace
}  // namespace ccow
