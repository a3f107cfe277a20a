#include "gc/collector.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "client/stripe_placement.h"
#include "flexhash/flexhash.h"
#include "model/chunk_manifest.h"
#include "model/stripe_set.h"
#include "model/version_manifest.h"
#include "store/scratch_table.h"

namespace ccow {

// The chunks a pass marked, each with the largest replication count sent for it and, for
// a manifest, the largest R its subtree was walked at: in a scratch table
// (store/scratch_table.h; a crash loses them, and the next pass starts over from nothing
// anyway), in memory without a directory.
class Collector::Marks {
 public:
  struct State {
    uint8_t sent = 0;    // the largest R marked at the backend (0: not marked)
    uint8_t walked = 0;  // a manifest's: the largest R its references were marked at
  };
  // What a new reference at some R asks of the collector.
  struct Step {
    bool first = false;  // never marked before in this pass
    bool send = false;   // mark it at the backend (again: at a higher R)
    bool walk = false;   // (re)walk the manifest's references at this R
  };

  static Result<std::unique_ptr<Marks>> Open(const std::string& dir) {
    auto m = std::unique_ptr<Marks>(new Marks());
    CCOW_ASSIGN_OR_RETURN(m->table_, ScratchTable::Open(dir));
    return m;
  }

  // Records a reference to chid from a version of R r (1..255), as a manifest whose
  // references are marked at r too when manifest is set. A chunk is marked again only at a
  // higher R, and a manifest walked again only at a higher R than before: shared subtrees
  // (clones, dedup) are walked once per R, not once per version.
  Result<Step> Raise(const Chid& chid, uint8_t r, bool manifest) {
    std::string key = chid.ToKey();
    CCOW_ASSIGN_OR_RETURN(std::optional<State> was, Get(key));
    State now = was.value_or(State{});
    Step step;
    step.first = !was;
    step.send = r > now.sent;
    step.walk = manifest && r > now.walked;
    if (!step.send && !step.walk) return step;
    now.sent = std::max(now.sent, r);
    if (manifest) now.walked = std::max(now.walked, r);
    CCOW_RETURN_IF_ERROR(Put(key, now));
    return step;
  }
  // Whether a manifest's references were walked (at any R).
  Result<bool> Walked(const Chid& chid) {
    CCOW_ASSIGN_OR_RETURN(std::optional<State> was, Get(chid.ToKey()));
    return was && was->walked > 0;
  }
  bool Has(const Chid& chid) {
    auto was = Get(chid.ToKey());
    return was.ok() && was->has_value();
  }

 private:
  Marks() = default;
  Result<std::optional<State>> Get(const std::string& key) {
    CCOW_ASSIGN_OR_RETURN(auto v, table_->Get(key));
    if (!v) return std::optional<State>();
    if (v->size() != 2)
      return Status::Corruption("a mark in the collector's scratch table has " + std::to_string(v->size()) + " bytes, not 2");
    return std::optional<State>(State{static_cast<uint8_t>((*v)[0]), static_cast<uint8_t>((*v)[1])});
  }
  Status Put(const std::string& key, const State& state) {
    const char value[2] = {static_cast<char>(state.sent), static_cast<char>(state.walked)};
    return table_->Put(key, std::string_view(value, 2));
  }
  std::unique_ptr<ScratchTable> table_;
};

Result<std::unique_ptr<Collector>> Collector::Create(ObjectApi* api, CollectorOptions options) {
  return std::unique_ptr<Collector>(new Collector(api, std::move(options)));
}

Collector::Collector(ObjectApi* api, CollectorOptions options)
    : api_(api), chunks_(api->backend().collection()), options_(std::move(options)) {}

Collector::~Collector() = default;

GcProgress Collector::progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

void Collector::SetPhase(const std::string& phase) {
  {
    std::lock_guard lock(mu_);
    progress_.phase = phase;
  }
  if (options_.on_phase) options_.on_phase(phase);
}

Result<GcPassResult> Collector::RunPass() {
  auto clock = [this] {
    return options_.clock ? options_.clock()
                          : static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                      std::chrono::system_clock::now().time_since_epoch())
                                                      .count());
  };
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    progress_.running = true;
    progress_.last_started_ns = clock();
  }
  GcPassResult r;
  Status st = [&]() -> Status {
    CCOW_RETURN_IF_ERROR(chunks_->OpenPinWindow());
    if (chunks_->drains_writes()) {
      SetPhase("drain");
      CCOW_RETURN_IF_ERROR(api_->DrainEarlierWrites(options_.drain_timeout_ns));
    }
    SetPhase("fence");
    CCOW_RETURN_IF_ERROR(chunks_->FenceEarlierWrites());
    CCOW_ASSIGN_OR_RETURN(auto marks, Marks::Open(options_.scratch_dir));
    encoded_marked_.clear();
    // A stripe whose keeper seems to lack its fragment is located again this many times
    // before it is kept whole: at 1% loss, the EC simulation found stripes left untrimmed,
    // and fragments kept twice, after two quiet passes.
    constexpr int kRelocate = 4;
    locator_ = std::make_unique<PassLocator>(
        [this](const Chid& chid) -> Result<std::vector<std::string>> {
          CCOW_ASSIGN_OR_RETURN(auto holders, api_->backend().LocateChunk(chid));
          std::vector<std::string> ids;
          for (auto& h : holders) ids.push_back(std::move(h.vdev_id));
          return ids;
        },
        kRelocate);
    SetPhase("mark");
    CCOW_RETURN_IF_ERROR(ExpireAndMark(*marks, &r));
    SetPhase("sweep");
    return Sweep(*marks, &r);
  }();
  chunks_->ClosePinWindow();
  locator_.reset();
  // Compaction needs no pins: it moves records, never frees what the index still holds.
  // Its failure (a full disk) keeps what the sweep freed and is reported.
  Status compacted;
  if (st.ok() && options_.compact && !stop_.stop_requested()) {
    SetPhase("compact");
    CompactionOptions co = options_.compaction;
    co.stop = stop_.get_token();
    auto c = chunks_->Compact(co);
    if (c.ok()) {
      r.segments_compacted = c->segments_compacted;
      r.segments_deleted = c->segments_deleted;
      r.bytes_rewritten = c->bytes_rewritten;
      r.file_bytes_reclaimed = c->bytes_reclaimed;
    } else {
      compacted = c.status().WithContext("gc: compaction after the sweep");
      spdlog::warn("{}", compacted.ToString());
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(mu_);
  progress_.running = false;
  progress_.phase.clear();
  progress_.last_finished_ns = clock();
  if (!st.ok()) {
    progress_.passes_failed++;
    progress_.last_error = st.ToString();
    spdlog::warn("gc: pass failed after {:.1f} s, nothing more freed: {}", r.seconds, st.ToString());
    return st;
  }
  progress_.passes_completed++;
  progress_.last_error = compacted.ok() ? std::string() : compacted.ToString();
  progress_.last = r;
  progress_.total += r;
  if (r.versions_expired || r.chunks_freed || r.file_bytes_reclaimed || r.chunks_lowered)
    spdlog::info("gc: pass done in {:.1f} s: {} versions expired, {} of {} chunks freed ({} bytes), {} segment "
                 "file bytes given back, {} replication counts lowered",
                 r.seconds, r.versions_expired, r.chunks_freed, r.chunks_scanned, r.bytes_freed,
                 r.file_bytes_reclaimed, r.chunks_lowered);
  return r;
}

Status Collector::ExpireAndMark(Marks& marks, GcPassResult* r) {
  Backend& backend = api_->backend();
  std::string after;
  for (;;) {
    std::vector<VersionList> page;
    // A page ends between names: a cluster's copies of one name arrive together, and the
    // next page starts after the last name.
    CCOW_RETURN_IF_ERROR(backend.ScanVersionListCopies(after, [&](const VersionList& vl) {
      if (page.size() >= options_.page && vl.name() != page.back().name()) return false;
      page.push_back(vl);
      return true;
    }));
    if (page.empty()) return Status::OK();
    after = page.back().name();
    for (VersionList& vl : page) {
      r->lists_scanned++;
      const uint64_t retention = api_->RetentionOf(vl.name());
      const uint64_t now = options_.clock ? options_.clock() : NowNs();
      const bool expired_any = vl.HasExpired(now, retention);
      auto mark_list = [&](const VersionList& list) -> Status {
        auto mark_version = [&](const VersionEntry& v) {
          return v.erasure_coded() ? MarkEncodedVersion(marks, v, r) : MarkVersion(marks, v.vm_chid, r);
        };
        for (const auto& v : list.versions()) CCOW_RETURN_IF_ERROR(mark_version(v));
        for (const auto& q : list.quarantine()) CCOW_RETURN_IF_ERROR(mark_version(q.version));
        for (const auto& s : list.snapshots()) CCOW_RETURN_IF_ERROR(mark_version(s.version));
        return Status::OK();
      };
      if (expired_any) {
        // Under the name's lock, on the list as it is now (it may have changed since the
        // scan read it); what remains is marked.
        std::optional<VersionList> kept;
        CCOW_RETURN_IF_ERROR(backend.UpdateVersionList(
            vl.name(), vl.nhid(),
            [&](VersionList* list) {
              r->versions_expired += list->ExpireQuarantine(now, retention).size();
              kept = *list;
              return Status::OK();
            },
            nullptr));
        if (kept->Empty()) r->lists_removed++;
        CCOW_RETURN_IF_ERROR(mark_list(*kept));
        // The copy scanned may be a stale replica's, naming versions the current list
        // no longer does: they stay referenced (marked) until it converges, expired ones
        // aside.
        vl.ExpireQuarantine(now, retention);
      }
      CCOW_RETURN_IF_ERROR(mark_list(vl));
    }
    if (options_.on_phase) options_.on_phase("mark-page");
  }
}

namespace {

// Counts a reference and sends its mark when it is new or its R rose.
Status Send(ChunkCollection* chunks, const Chid& chid, uint8_t rc, bool first, bool send, GcPassResult* r) {
  if (first) r->chunks_marked++;
  return send ? chunks->Mark(chid, rc) : Status::OK();
}

}  // namespace

// Marks a version manifest and its whole tree at the version's replication count.
Status Collector::MarkVersion(Marks& marks, const Chid& vm_chid, GcPassResult* r) {
  // A version manifest's R is in its own bytes: walked once, it was walked at that R.
  CCOW_ASSIGN_OR_RETURN(bool walked, marks.Walked(vm_chid));
  if (walked) return Status::OK();
  std::string bytes;
  if (Status s = api_->backend().GetChunk(vm_chid, &bytes); !s.ok())
    return s.WithContext("gc: version manifest " + vm_chid.ToString() +
                         " cannot be read, so what it references is unknown; nothing is freed");
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, VersionManifest::Decode(bytes));
  const uint32_t asked = vm.policy.replication_count != 0 ? vm.policy.replication_count
                                                          : api_->backend().default_replication_count();
  const uint8_t rc = static_cast<uint8_t>(std::clamp<uint32_t>(asked, 1, 255));
  CCOW_ASSIGN_OR_RETURN(Marks::Step step, marks.Raise(vm_chid, rc, true));
  CCOW_RETURN_IF_ERROR(Send(chunks_, vm_chid, rc, step.first, step.send, r));
  return MarkRefs(marks, vm.root_refs, rc, 1, r);
}

// Marks references at R rc, and below every chunk manifest not walked at rc or more yet.
Status Collector::MarkRefs(Marks& marks, const std::vector<ChunkRef>& refs, uint8_t rc, int depth,
                           GcPassResult* r) {
  for (const ChunkRef& ref : refs) {
    const bool manifest = ref.kind == ChunkKind::kChunkManifest;
    CCOW_ASSIGN_OR_RETURN(Marks::Step step, marks.Raise(ref.chid, rc, manifest));
    CCOW_RETURN_IF_ERROR(Send(chunks_, ref.chid, rc, step.first, step.send, r));
    if (!step.walk) continue;
    if (depth > 16) return Status::Corruption("chunk manifest tree deeper than 16 levels at " + ref.chid.ToString());
    std::string bytes;
    if (Status s = api_->backend().GetChunk(ref.chid, &bytes); !s.ok())
      return s.WithContext("gc: chunk manifest " + ref.chid.ToString() +
                           " cannot be read, so what it references is unknown; nothing is freed");
    CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
    CCOW_RETURN_IF_ERROR(MarkRefs(marks, cm.refs, rc, depth + 1, r));
  }
  return Status::OK();
}

// Marks an erasure-coded version (entry.ec_chid names its stripe set): its manifests at
// the version's R as any version's, its stripe set at R too, and each fragment of each
// stripe only on its keeper, at R 1, when every fragment of that stripe sits on its keeper
// (client/stripe_placement.h): the sweep then removes the surplus replicas. A stripe with
// a keeper that lacks its fragment, or on a backend without placement, is marked
// everywhere at R: nothing of it is trimmed until the encoder's check has healed it.
//
// Nothing here records a manifest as walked: a replicated version sharing these manifests
// (a clone not encoded yet, a stale list copy without the flag) must still walk them and
// mark their payload everywhere, and its marks win over the keeper-only ones.
Status Collector::MarkEncodedVersion(Marks& marks, const VersionEntry& entry, GcPassResult* r) {
  if (!encoded_marked_.insert(entry.vm_chid).second) return Status::OK();  // another copy of the list
  Backend& backend = api_->backend();
  std::string bytes;
  if (Status s = backend.GetChunk(entry.vm_chid, &bytes); !s.ok())
    return s.WithContext("gc: version manifest " + entry.vm_chid.ToString() +
                         " cannot be read, so what it references is unknown; nothing is freed");
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, VersionManifest::Decode(bytes));
  const uint32_t asked = vm.policy.replication_count != 0 ? vm.policy.replication_count
                                                          : backend.default_replication_count();
  const uint8_t rc = static_cast<uint8_t>(std::clamp<uint32_t>(asked, 1, 255));
  if (Status s = backend.GetChunk(entry.ec_chid, &bytes); !s.ok())
    return s.WithContext("gc: stripe set " + entry.ec_chid.ToString() + " of " + vm.name +
                         " cannot be read, so its parity is unknown; nothing is freed");
  CCOW_ASSIGN_OR_RETURN(StripeSet set, StripeSet::Decode(bytes));
  std::unordered_set<Chid, HashIdHasher> in_stripes;
  for (const auto& stripe : set.stripes)
    for (const auto& m : stripe.data) in_stripes.insert(m.chid);

  auto mark_everywhere = [&](const Chid& chid) -> Status {
    CCOW_ASSIGN_OR_RETURN(Marks::Step step, marks.Raise(chid, rc, false));
    return Send(chunks_, chid, rc, step.first, step.send, r);
  };
  CCOW_RETURN_IF_ERROR(mark_everywhere(entry.vm_chid));
  CCOW_RETURN_IF_ERROR(mark_everywhere(entry.ec_chid));
  // The manifest tree: manifests everywhere, payload outside every stripe everywhere
  // (there is none when the encoder covered the version), payload in a stripe below.
  std::function<Status(const std::vector<ChunkRef>&, int)> walk = [&](const std::vector<ChunkRef>& refs,
                                                                     int depth) -> Status {
    for (const ChunkRef& ref : refs) {
      if (ref.kind != ChunkKind::kChunkManifest) {
        if (!in_stripes.count(ref.chid)) CCOW_RETURN_IF_ERROR(mark_everywhere(ref.chid));
        continue;
      }
      CCOW_RETURN_IF_ERROR(mark_everywhere(ref.chid));
      if (depth > 16) return Status::Corruption("chunk manifest tree deeper than 16 levels at " + ref.chid.ToString());
      std::string cm_bytes;
      if (Status s = backend.GetChunk(ref.chid, &cm_bytes); !s.ok())
        return s.WithContext("gc: chunk manifest " + ref.chid.ToString() +
                             " cannot be read, so what it references is unknown; nothing is freed");
      CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(cm_bytes));
      CCOW_RETURN_IF_ERROR(walk(cm.refs, depth + 1));
    }
    return Status::OK();
  };
  CCOW_RETURN_IF_ERROR(walk(vm.root_refs, 1));

  auto table = backend.placement();
  for (const StripeManifest& stripe : set.stripes) {
    std::optional<std::vector<FragmentKeeper>> keepers;
    std::vector<FragmentSite> sites;
    if (!table) {
      for (int i = 0; i < stripe.policy.width(); ++i)
        if (stripe.IsStored(i)) sites.push_back({stripe.FragmentChid(i), {}});
    } else {
      CCOW_ASSIGN_OR_RETURN(sites, locator_->Locate(*table, stripe));
      auto placed = PlaceFragments(*table, sites);
      bool all_hold = placed.ok();
      if (placed.ok())
        for (const auto& k : *placed) all_hold = all_hold && k.holds;
      if (all_hold) keepers = std::move(*placed);
    }
    for (size_t f = 0; f < sites.size(); ++f) {
      if (keepers) {
        r->chunks_marked++;
        CCOW_RETURN_IF_ERROR(chunks_->MarkOn(sites[f].chid, (*keepers)[f].vdev_id, 1));
      } else {
        CCOW_RETURN_IF_ERROR(mark_everywhere(sites[f].chid));
      }
    }
  }
  return Status::OK();
}

Status Collector::Sweep(Marks& marks, GcPassResult* r) {
  CCOW_ASSIGN_OR_RETURN(SweepResult swept, chunks_->Sweep([&](const Chid& chid) { return marks.Has(chid); }));
  r->chunks_scanned += swept.scanned;
  r->chunks_freed += swept.removed;
  r->bytes_freed += swept.bytes_removed;
  r->chunks_pinned += swept.pinned;
  r->chunks_lowered += swept.lowered;
  return Status::OK();
}

}  // namespace ccow
