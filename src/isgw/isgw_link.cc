#include "isgw/isgw_link.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "client/byte_stream.h"
#include "client/trlog.h"
#include "http/http_client.h"
#include "isgw/isgw_wire.h"
#include "model/chunk_manifest.h"
#include "model/version_manifest.h"

namespace ccow::isgw {
namespace {

constexpr size_t kListsPerRound = 1000;        // version lists compared per digests request
constexpr size_t kChidsPerHave = 20'000;
constexpr size_t kChunkBatchBytes = 8 << 20;  // per chunks request
constexpr size_t kMergeBatchBytes = 16 << 20;  // per merge request (a list may be large)

uint64_t WallNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

bool Serves(const ServiceRecord& svc, const std::string& bucket) {
  return std::binary_search(svc.serves.begin(), svc.serves.end(), bucket);
}

// The manifests and chunks one version references: its VM, then (depth first) its chunk
// manifests into *manifests and its payload chunks into *payload, each once.
Status CollectVersion(Backend& backend, const Chid& vm_chid, std::set<HashId>* seen, std::vector<HashId>* manifests,
                      std::vector<HashId>* payload) {
  if (!seen->insert(vm_chid).second) return Status::OK();
  manifests->push_back(vm_chid);
  std::string bytes;
  CCOW_RETURN_IF_ERROR(backend.GetChunk(vm_chid, &bytes));
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, VersionManifest::Decode(bytes));
  std::vector<std::pair<ChunkRef, int>> stack;
  for (auto it = vm.root_refs.rbegin(); it != vm.root_refs.rend(); ++it) stack.push_back({*it, 0});
  while (!stack.empty()) {
    auto [ref, depth] = stack.back();
    stack.pop_back();
    if (!seen->insert(ref.chid).second) continue;
    if (ref.kind != ChunkKind::kChunkManifest) {
      payload->push_back(ref.chid);
      continue;
    }
    if (depth > 16) return Status::Corruption("chunk manifest tree deeper than 16 levels");
    manifests->push_back(ref.chid);
    CCOW_RETURN_IF_ERROR(backend.GetChunk(ref.chid, &bytes));
    CCOW_ASSIGN_OR_RETURN(ChunkManifest cm, ChunkManifest::Decode(bytes));
    for (auto it = cm.refs.rbegin(); it != cm.refs.rend(); ++it) stack.push_back({*it, depth + 1});
  }
  return Status::OK();
}

// A Status carried by a merge reply's code (an unknown one, from a newer site: unavailable).
Status StatusOf(uint8_t code, const std::string& message) {
  if (code == 0) return Status::OK();
  if (code > static_cast<uint8_t>(Code::kPermissionDenied)) return Status::Unavailable(message);
  return Status(static_cast<Code>(code), message);
}

}  // namespace

struct IsgwLink::Remote {
  std::string host;
  uint16_t port = 0;
  std::string url;
};

IsgwLink::IsgwLink(std::shared_ptr<ObjectApi> api, LinkOptions options)
    : api_(std::move(api)), options_(std::move(options)) {}

IsgwLink::~IsgwLink() { Stop(); }

bool IsgwLink::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void IsgwLink::Note(const Status& s) {
  if (s.ok()) return;
  std::lock_guard lock(mu_);
  stats_.last_error = s.ToString();
}

// ---- receiver ----

void IsgwLink::Handle(http::HttpExchange& ex) {
  const http::HttpRequest& req = ex.request();
  auto respond = [&](int code, const Status& s) {
    if (code >= 400) {
      std::lock_guard lock(mu_);
      stats_.refused++;
      stats_.last_error = "refused " + req.path + " from " + req.remote_address + ": " + s.ToString();
    }
    (void)ex.Respond(code, {{"content-type", "text/plain"}}, s.ToString() + "\n");
  };
  if (req.method != "POST" || req.path.rfind("/isgw/v1/", 0) != 0)
    return respond(404, Status::NotFound("no ISGW call " + req.method + " " + req.path));
  if (!options_.token.empty()) {
    const std::string* auth = req.Header("authorization");
    const std::string want = "Bearer " + options_.token;
    if (!auth || auth->size() != want.size() || CRYPTO_memcmp(auth->data(), want.data(), want.size()) != 0)
      return respond(401, Status::PermissionDenied("the link's token is missing or wrong"));
  }
  std::string body;
  {
    char buf[1 << 16];
    while (true) {
      auto n = ex.body().Read(buf, sizeof buf);
      if (!n.ok()) return respond(400, n.status());
      if (*n == 0) break;
      body.append(buf, *n);
      if (body.size() > kMaxBodyBytes)
        return respond(413, Status::InvalidArgument("a request body over " + std::to_string(kMaxBodyBytes) + " bytes"));
    }
  }
  auto state = options_.state();
  auto svc = state->services().find(options_.service);
  if (svc == state->services().end())
    return respond(404, Status::NotFound("no service " + options_.service + " at this site"));
  if (!(svc->second.config.direction & ServiceConfig::kReceive))
    return respond(403, Status::PermissionDenied("service " + options_.service + " does not receive at this site"));
  // The bucket (and the service named) a request is for must be this end's.
  auto check = [&](const std::string& service, const std::string* bucket) -> Status {
    if (service != options_.service)
      return Status::PermissionDenied("this end serves service " + options_.service + ", not " + service);
    if (bucket && !Serves(svc->second, *bucket))
      return Status::PermissionDenied("service " + options_.service + " does not serve " + *bucket + " at this site");
    return Status::OK();
  };
  auto under = [](const std::string& name, const std::string& bucket) {
    return name.size() > bucket.size() + 1 && name.compare(0, bucket.size(), bucket) == 0 && name[bucket.size()] == '/';
  };
  Backend& backend = api_->backend();
  const std::string op = req.path.substr(9);
  auto ok = [&](const std::string& reply) {
    (void)ex.Respond(200, {{"content-type", "application/octet-stream"}}, reply);
  };
  if (op == "digests") {
    auto r = DecodeDigestsRequest(body);
    if (!r.ok()) return respond(400, r.status());
    if (Status s = check(r->service, &r->bucket); !s.ok()) return respond(403, s);
    DigestsReply reply;
    for (uint32_t i = 0; i < r->items.size(); ++i) {
      const auto& item = r->items[i];
      if (!under(item.name, r->bucket))
        return respond(400, Status::InvalidArgument("object " + item.name + " is not in bucket " + r->bucket));
      auto local = backend.GetVersionList(item.name);
      if (!local.ok()) return respond(503, local.status());
      if (!*local || ListDigest(**local) != item.digest) reply.differ.push_back(i);
    }
    return ok(Encode(reply));
  }
  if (op == "have") {
    auto r = DecodeHaveRequest(body);
    if (!r.ok()) return respond(400, r.status());
    if (Status s = check(r->service, nullptr); !s.ok()) return respond(403, s);
    HaveReply reply;
    reply.want.resize(r->chids.size());
    for (size_t i = 0; i < r->chids.size(); ++i) {
      auto holders = backend.LocateChunk(r->chids[i]);
      if (!holders.ok()) return respond(503, holders.status());
      reply.want[i] = holders->empty();
    }
    return ok(Encode(reply));
  }
  if (op == "chunks") {
    auto r = DecodeChunksRequest(body);
    if (!r.ok()) return respond(400, r.status());
    if (Status s = check(r->service, &r->bucket); !s.ok()) return respond(403, s);
    // Every chunk is verified before any is stored: a request with one forged chunk stores none.
    for (const auto& c : r->chunks)
      if (HashBytes(c.chid.algo(), c.bytes) != c.chid)
        return respond(400, Status::Corruption("chunk " + c.chid.ToString() + " does not hash to its CHID"));
    uint32_t replicas = state->ReplicationCountOf(r->bucket);
    if (replicas == 0) replicas = backend.default_replication_count();
    ChunksReply reply;
    uint64_t bytes = 0;
    for (const auto& c : r->chunks) {
      bool stored_new = false;
      if (Status s = backend.PutChunk(c.chid, c.bytes, replicas, &stored_new, nullptr); !s.ok())
        return respond(s.code() == Code::kNoSpace ? 507 : 503, s);
      (stored_new ? reply.stored_new : reply.deduplicated)++;
      bytes += c.bytes.size();
    }
    if (Status s = backend.SyncChunks(); !s.ok()) return respond(503, s);
    {
      std::lock_guard lock(mu_);
      stats_.chunks_received += r->chunks.size();
      stats_.bytes_received += bytes;
    }
    return ok(Encode(reply));
  }
  if (op == "merge") {
    auto r = DecodeMergeRequest(body);
    if (!r.ok()) return respond(400, r.status());
    if (Status s = check(r->service, &r->bucket); !s.ok()) return respond(403, s);
    MergeReply reply;
    uint64_t merged = 0, changed = 0;
    for (const auto& bytes : r->lists) {
      MergeReply::Result result;
      auto list = VersionList::Decode(bytes);
      Result<bool> done = !list.ok()                     ? Result<bool>(list.status())
                          : !under(list->name(), r->bucket) ? Result<bool>(Status::InvalidArgument(
                                                                 "object " + list->name() + " is not in bucket " + r->bucket))
                                                           : api_->MergeRemote(*list);
      if (done.ok()) {
        result.changed = *done;
        ++merged;
        changed += *done;
      } else {
        result.code = static_cast<uint8_t>(done.status().code());
        result.message = done.status().message();
        Note(done.status());
      }
      reply.results.push_back(std::move(result));
    }
    {
      std::lock_guard lock(mu_);
      stats_.lists_merged += merged;
      stats_.lists_changed += changed;
    }
    return ok(Encode(reply));
  }
  respond(404, Status::NotFound("no ISGW call " + req.path));
}

// ---- sender ----

Status IsgwLink::Post(const Remote& remote, const char* what, const std::string& body, std::string* reply) {
  http::HeaderList headers = {{"content-type", "application/octet-stream"}};
  if (!options_.token.empty()) headers.push_back({"authorization", "Bearer " + options_.token});
  http::ClientTimeouts timeouts;
  timeouts.total = std::chrono::milliseconds(120'000);
  auto r = http::Request(remote.host, remote.port, "POST", std::string("/isgw/v1/") + what, headers, body, timeouts);
  if (!r.ok()) return r.status().WithContext("ISGW link to " + remote.url);
  if (r->status != 200) {
    std::string text = r->body.substr(0, 300);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const Code code = r->status == 401 || r->status == 403 ? Code::kPermissionDenied
                      : r->status == 400 || r->status == 413 ? Code::kInvalidArgument
                      : r->status == 404                  ? Code::kNotFound
                      : r->status == 507                  ? Code::kNoSpace
                                                          : Code::kUnavailable;
    return Status(code, "ISGW link to " + remote.url + ": " + what + " answered " + std::to_string(r->status) +
                            ": " + text);
  }
  *reply = std::move(r->body);
  return Status::OK();
}

// Ships `lists` of bucket to the remote: which differ there (digests), the chunks they
// reference that it lacks (have, chunks), then the lists (merge). A list that cannot be
// shipped (a chunk missing here, a merge refused there) is reported in *first and
// skipped (its name goes into *failed, the first such error into *first); a failed
// exchange with the remote is returned.
Status IsgwLink::ShipLists(const Remote& remote, const std::string& bucket, const std::vector<VersionList>& lists,
                           Status* first, std::set<std::string>* failed) {
  Backend& backend = api_->backend();
  auto note = [&](const Status& s) {
    if (!s.ok() && first->ok()) *first = s;
  };
  if (lists.empty()) return Status::OK();
  DigestsRequest digests{options_.service, bucket, {}};
  for (const auto& vl : lists) digests.items.push_back({vl.name(), ListDigest(vl)});
  std::string bytes;
  CCOW_RETURN_IF_ERROR(Post(remote, "digests", Encode(digests), &bytes));
  CCOW_ASSIGN_OR_RETURN(DigestsReply differ, DecodeDigestsReply(bytes));
  {
    std::lock_guard lock(mu_);
    stats_.lists_compared += lists.size();
  }
  // What the differing lists reference, manifests first: the receiver keeps only those
  // it lacks, and merges a list only once everything it names is stored. A list whose
  // tree cannot be read here is left out of this round.
  std::set<HashId> seen;
  std::vector<HashId> manifests, payload;
  std::vector<const VersionList*> shipping;
  for (uint32_t i : differ.differ) {
    if (i >= lists.size()) return Status::Corruption("ISGW link to " + remote.url + ": digests reply out of range");
    const VersionList& vl = lists[i];
    std::set<HashId> seen_here = seen;
    std::vector<HashId> m, p;
    Status collected;
    auto collect = [&](const VersionEntry& e) {
      if (collected.ok()) collected = CollectVersion(backend, e.vm_chid, &seen_here, &m, &p);
    };
    for (const auto& v : vl.versions()) collect(v);
    for (const auto& q : vl.quarantine()) collect(q.version);
    for (const auto& s : vl.snapshots()) collect(s.version);
    if (!collected.ok()) {
      note(collected.WithContext("ISGW link to " + remote.url + ": reading the tree of " + vl.name()));
      failed->insert(vl.name());
      continue;
    }
    seen = std::move(seen_here);
    manifests.insert(manifests.end(), m.begin(), m.end());
    payload.insert(payload.end(), p.begin(), p.end());
    shipping.push_back(&vl);
  }
  if (!shipping.empty()) {
    std::vector<HashId> all = std::move(manifests);
    all.insert(all.end(), payload.begin(), payload.end());
    std::vector<HashId> wanted;
    for (size_t at = 0; at < all.size(); at += kChidsPerHave) {
      HaveRequest have{options_.service, {}};
      have.chids.assign(all.begin() + at, all.begin() + std::min(all.size(), at + kChidsPerHave));
      CCOW_RETURN_IF_ERROR(Post(remote, "have", Encode(have), &bytes));
      CCOW_ASSIGN_OR_RETURN(HaveReply want, DecodeHaveReply(bytes));
      if (want.want.size() != have.chids.size())
        return Status::Corruption("ISGW link to " + remote.url + ": have reply of another length");
      for (size_t k = 0; k < have.chids.size(); ++k)
        if (want.want[k]) wanted.push_back(have.chids[k]);
    }
    ChunksRequest batch{options_.service, bucket, {}};
    uint64_t batch_bytes = 0, sent_bytes = 0, sent = 0;
    auto flush = [&]() -> Status {
      if (batch.chunks.empty()) return Status::OK();
      std::string reply;
      CCOW_RETURN_IF_ERROR(Post(remote, "chunks", Encode(batch), &reply));
      CCOW_RETURN_IF_ERROR(DecodeChunksReply(reply).status());
      sent_bytes += batch_bytes;
      sent += batch.chunks.size();
      batch.chunks.clear();
      batch_bytes = 0;
      return Status::OK();
    };
    for (const HashId& chid : wanted) {
      if (stopping()) return Status::Unavailable("ISGW link stopping");
      ChunksRequest::Chunk c{chid, {}};
      // Verified on read. One that cannot be read here is not sent: the lists naming it
      // fail to merge at the remote (kNotFound), and are reported, until it is repaired.
      if (Status s = backend.GetChunk(chid, &c.bytes); !s.ok()) {
        note(s.WithContext("ISGW link to " + remote.url + ": reading a chunk to ship"));
        continue;
      }
      batch_bytes += c.bytes.size();
      batch.chunks.push_back(std::move(c));
      if (batch_bytes >= kChunkBatchBytes) CCOW_RETURN_IF_ERROR(flush());
    }
    CCOW_RETURN_IF_ERROR(flush());
    {
      std::lock_guard lock(mu_);
      stats_.chunks_offered += all.size();
      stats_.chunks_sent += sent;
      stats_.bytes_sent += sent_bytes;
    }
    // The lists, in requests of at most kMergeBatchBytes.
    for (size_t at = 0; at < shipping.size();) {
      MergeRequest merge{options_.service, bucket, {}};
      size_t merge_bytes = 0;
      const size_t from = at;
      while (at < shipping.size() && (merge.lists.empty() || merge_bytes < kMergeBatchBytes)) {
        merge.lists.push_back(shipping[at]->Encode());
        merge_bytes += merge.lists.back().size();
        ++at;
      }
      CCOW_RETURN_IF_ERROR(Post(remote, "merge", Encode(merge), &bytes));
      CCOW_ASSIGN_OR_RETURN(MergeReply merged, DecodeMergeReply(bytes));
      if (merged.results.size() != merge.lists.size())
        return Status::Corruption("ISGW link to " + remote.url + ": merge reply of another length");
      uint64_t shipped = 0;
      for (size_t k = 0; k < merged.results.size(); ++k) {
        Status s = StatusOf(merged.results[k].code, merged.results[k].message);
        if (s.ok()) {
          ++shipped;
        } else {
          note(s.WithContext("ISGW link to " + remote.url + ": merging " + shipping[from + k]->name()));
          failed->insert(shipping[from + k]->name());
        }
      }
      std::lock_guard lock(mu_);
      stats_.lists_shipped += shipped;
    }
  }
  return Status::OK();
}

// Compares the whole bucket, 1,000 lists at a time. Lists that could not be shipped go
// into *failed (and the first such error into *first); a failed exchange is returned.
Status IsgwLink::FullSync(const Remote& remote, const std::string& bucket, Status* first,
                          std::set<std::string>* failed) {
  const std::string prefix = bucket + "/";
  std::string last;  // the last name compared
  while (true) {
    if (stopping()) return Status::Unavailable("ISGW link stopping");
    std::vector<VersionList> lists;
    CCOW_RETURN_IF_ERROR(api_->backend().ScanVersionLists(
        prefix, last.empty() ? std::string() : last.substr(prefix.size()), [&](const VersionList& vl) {
          if (!last.empty() && vl.name() <= last) return true;
          lists.push_back(vl);
          return lists.size() < kListsPerRound;
        }));
    if (lists.empty()) return Status::OK();
    CCOW_RETURN_IF_ERROR(ShipLists(remote, bucket, lists, first, failed));
    {
      std::lock_guard lock(mu_);
      stats_.full_lists += lists.size();
    }
    last = lists.back().name();
    if (lists.size() < kListsPerRound) return Status::OK();
  }
}

// ---- the trlog cursor of one served bucket ----

namespace {
// Seconds of the trlog read again behind the cursor each round: a change recorded in
// second s may commit (and its record become visible) a little later, and the gateways
// of a cluster do not share one clock. A record seen before is skipped by its id.
constexpr uint64_t kTrlogWindowS = 60;
// A record is shipped when first read, and once more when it is older than this: a
// change commits within kTrlogSettleNs of its record (client/trlog.h), so a round that
// read the record before the commit landed is followed by one that sees it.
constexpr uint64_t kSettleS = kTrlogSettleNs / 1'000'000'000 + 1;
static_assert(kSettleS < kTrlogWindowS);
// Records kept for a link that does not run (EdgeFS's catch-up horizon): past it, the
// link compares whole buckets again instead.
constexpr uint64_t kTrlogKeepS = 7 * 24 * 3600;
constexpr uint64_t kTrimEveryNs = 60'000'000'000ull;
constexpr size_t kNamesPerRound = 100'000;  // changed names one round reads from the trlog
constexpr size_t kMaxRetries = 10'000;      // names kept for retry in a cursor

// Where a service's cursor over a bucket's trlog is kept: SEG/TEN/.isgw/SERVICE/BKT.
std::string CursorName(const std::string& service, const std::string& bucket) {
  const size_t a = bucket.find('/'), b = bucket.find('/', a + 1);
  return bucket.substr(0, b) + "/.isgw/" + service + "/" + bucket.substr(b + 1);
}
}  // namespace

Result<std::optional<IsgwLink::Cursor>> IsgwLink::LoadCursor(const std::string& service, const std::string& bucket) {
  StringSink sink;
  Status s = api_->Get(CursorName(service, bucket), {}, std::nullopt, sink);
  if (s.code() == Code::kNotFound) return std::optional<Cursor>();
  CCOW_RETURN_IF_ERROR(s);
  auto j = nlohmann::json::parse(sink.data(), nullptr, false);
  auto bad = [&] { return Status::Corruption("ISGW cursor " + CursorName(service, bucket) + " is not a cursor's JSON"); };
  if (j.is_discarded() || !j.is_object() || !j.contains("cursor") || !j["cursor"].is_number_unsigned()) return bad();
  Cursor c;
  c.second = j["cursor"].get<uint64_t>();
  c.initial_done = j.value("initial_done", false);
  if (j.contains("retry")) {
    if (!j["retry"].is_object()) return bad();
    for (const auto& [name, since] : j["retry"].items()) {
      if (!since.is_number_unsigned()) return bad();
      c.retry[name] = since.get<uint64_t>();
    }
  }
  return std::optional<Cursor>(c);
}

Status IsgwLink::SaveCursor(const std::string& bucket, const Cursor& c) {
  nlohmann::json j = {{"cursor", c.second}, {"initial_done", c.initial_done}};
  if (!c.retry.empty()) j["retry"] = c.retry;
  const std::string text = j.dump();
  StringSource source(text);
  PutOptions put;
  put.content_type = "application/json";
  put.slot = VersionSlot::kReplaces;
  return api_->Put(CursorName(options_.service, bucket), source, put).status();
}

Status IsgwLink::SyncBucket(const Remote& remote, const std::string& bucket, const ServiceConfig& config) {
  BucketProgress& p = progress_[bucket];
  const uint64_t now_s = WallNs() / 1'000'000'000;
  if (!p.loaded) {
    CCOW_ASSIGN_OR_RETURN(auto saved, LoadCursor(options_.service, bucket));
    if (saved) {
      p.cursor = *saved;
    } else {
      // Saved before anything is compared, so that another link trimming the trlog keeps
      // what this one reads once its first comparison is done, however long that takes.
      p.cursor = Cursor{now_s, false, {}};
      CCOW_RETURN_IF_ERROR(SaveCursor(bucket, p.cursor));
    }
    p.loaded = true;
  }
  const bool initial = config.replication & ServiceConfig::kInitial;
  const bool continuous = config.replication & ServiceConfig::kContinuous;
  if (!p.cursor.initial_done && !initial) {
    // Continuous only: what the bucket held before the link began is not shipped.
    p.cursor.initial_done = true;
    CCOW_RETURN_IF_ERROR(SaveCursor(bucket, p.cursor));
  }
  const bool behind = continuous && p.cursor.second + kTrlogKeepS < now_s;
  if (behind && !initial && !p.warned_behind) {
    // Nothing to compare against that would not ship the bucket's older objects too.
    p.warned_behind = true;
    spdlog::warn("isgw {}: {} fell behind the trlog's horizon", options_.service, bucket);
    Note(Status::FailedPrecondition("ISGW service " + options_.service + " was down longer than the trlog keeps changes (7 "
                          "days): changes of " + bucket + " before the oldest kept were not shipped (replication "
                          "is continuous only, so the bucket is not compared whole)"));
  }
  // What failed to ship before is tried again with this round's changes.
  std::set<std::string> names;
  for (const auto& [name, since] : p.cursor.retry) names.insert(name);
  Status first;
  std::set<std::string> failed;
  // The whole bucket is compared when the initial replication has not finished, once per
  // process (a change whose record a crash lost, a write by a process that records
  // nothing), and when the link fell behind the trlog's horizon.
  bool full = false;
  if (initial && (!p.cursor.initial_done || !p.full_done || behind)) {
    const uint64_t started = now_s;
    CCOW_RETURN_IF_ERROR(FullSync(remote, bucket, &first, &failed));
    {
      std::lock_guard lock(mu_);
      stats_.full_syncs++;
    }
    full = true;
    p.full_done = true;
    p.cursor.initial_done = true;
    // Changes recorded from a window before the comparison began on are read next.
    p.cursor.second = std::max(p.cursor.second, started);
  }

  // The records from the window behind the cursor on: new ones, and ones shipped before
  // they settled (the change may have committed after that round read its list).
  std::vector<std::pair<Chid, uint64_t>> records;
  uint64_t newest = p.cursor.second;
  if (continuous) {
    const uint64_t from = p.cursor.second > kTrlogWindowS ? p.cursor.second - kTrlogWindowS : 0;
    auto settled = [&](uint64_t second) { return second + kSettleS < now_s; };
    CCOW_RETURN_IF_ERROR(ReadTrlog(
        *api_, bucket, from,
        [&](const TrlogEntry& e) {
          records.push_back({e.id, e.second});
          names.insert(e.names.begin(), e.names.end());
          newest = std::max(newest, e.second);
          return names.size() < kNamesPerRound;
        },
        [&](const Chid& id, uint64_t second) {
          auto it = p.handled.find(id);
          return it != p.handled.end() && (it->second.settled || !settled(second));
        }));
    {
      std::lock_guard lock(mu_);
      stats_.trlog_records += records.size();
      stats_.trlog_names += names.size();
    }
  }
  // Names the full comparison shipped need not go again.
  std::vector<VersionList> lists;
  Status shipped;
  for (const std::string& name : names) {
    if (stopping()) return Status::Unavailable("ISGW link stopping");
    auto vl = api_->backend().GetVersionList(name);
    if (!vl.ok()) {
      shipped = vl.status();
      break;
    }
    if (!*vl) continue;  // removed here since (its quarantine expired): nothing to ship
    lists.push_back(std::move(**vl));
    if (lists.size() >= kListsPerRound) {
      shipped = ShipLists(remote, bucket, lists, &first, &failed);
      lists.clear();
      if (!shipped.ok()) break;
    }
  }
  if (shipped.ok()) shipped = ShipLists(remote, bucket, lists, &first, &failed);
  // An exchange that failed (the remote down, the store here unreadable): nothing moves,
  // and the round is tried again.
  if (!shipped.ok()) {
    std::lock_guard lock(mu_);
    auto& lag = stats_.buckets[bucket];
    lag.backlog = names.size();
    for (const auto& [id, second] : records) lag.oldest_unshipped_s = lag.oldest_unshipped_s ? std::min(lag.oldest_unshipped_s, second) : second;
    return shipped;
  }
  (void)full;
  // Every list read is at the remote but those in `failed`, kept for retry (with the
  // second since when) in the cursor, which moves to the newest second read.
  std::map<std::string, uint64_t> retry;
  for (const std::string& name : failed) {
    auto was = p.cursor.retry.find(name);
    retry[name] = was != p.cursor.retry.end() ? was->second : now_s;
    if (retry.size() >= kMaxRetries) break;
  }
  for (const auto& [id, second] : records) p.handled[id] = Handled{second, second + kSettleS < now_s};
  const uint64_t floor = newest > kTrlogWindowS ? newest - kTrlogWindowS : 0;
  for (auto it = p.handled.begin(); it != p.handled.end();) it = it->second.second < floor ? p.handled.erase(it) : std::next(it);
  const bool moved = newest != p.cursor.second || retry != p.cursor.retry || full;
  p.cursor.second = newest;
  p.cursor.retry = std::move(retry);
  {
    std::lock_guard lock(mu_);
    auto& lag = stats_.buckets[bucket];
    lag.backlog = p.cursor.retry.size();
    lag.oldest_unshipped_s = 0;
    for (const auto& [name, since] : p.cursor.retry)
      lag.oldest_unshipped_s = lag.oldest_unshipped_s ? std::min(lag.oldest_unshipped_s, since) : since;
  }
  if (moved) CCOW_RETURN_IF_ERROR(SaveCursor(bucket, p.cursor));
  CCOW_RETURN_IF_ERROR(Trim(bucket, p));
  return first;
}

// Removes the trlog seconds that every continuous sending service serving the bucket has
// passed (each one's saved cursor, less twice the window), or that are older than the
// horizon. A service that never ran has no cursor: it compares the whole bucket when it
// starts (a continuous-only one starts from then).
Status IsgwLink::Trim(const std::string& bucket, BucketProgress& p) {
  const uint64_t now_ns = WallNs();
  if (p.last_trim_ns && now_ns - p.last_trim_ns < kTrimEveryNs) return Status::OK();
  p.last_trim_ns = now_ns;
  const uint64_t now_s = now_ns / 1'000'000'000;
  uint64_t keep_from = p.cursor.second;
  auto state = options_.state();
  for (const auto& [name, svc] : state->services()) {
    if (name == options_.service || !(svc.config.direction & ServiceConfig::kSend) ||
        !(svc.config.replication & ServiceConfig::kContinuous) || !Serves(svc, bucket))
      continue;
    CCOW_ASSIGN_OR_RETURN(auto other, LoadCursor(name, bucket));
    if (other) keep_from = std::min(keep_from, other->second);
  }
  keep_from = keep_from > 2 * kTrlogWindowS ? keep_from - 2 * kTrlogWindowS : 0;
  keep_from = std::max(keep_from, now_s > kTrlogKeepS ? now_s - kTrlogKeepS : 0);
  uint64_t removed = 0;
  Status s = TrimTrlog(*api_, bucket, keep_from, &removed);
  std::lock_guard lock(mu_);
  stats_.trlog_seconds_trimmed += removed;
  return s;
}

Status IsgwLink::RunRound() {
  auto state = options_.state();
  auto svc = state->services().find(options_.service);
  if (svc == state->services().end()) return Status::OK();
  const ServiceConfig& config = svc->second.config;
  if (!(config.direction & ServiceConfig::kSend) || config.remote.empty()) return Status::OK();
  Status result;
  if (config.remote.rfind("ccow://", 0) != 0) {
    result = Status::Unsupported("service " + options_.service + ": remote " + config.remote +
                                 " is not served yet (ccow:// links only, today)");
  } else {
    Remote remote;
    remote.url = config.remote;
    const std::string hp = config.remote.substr(7);
    const size_t colon = hp.rfind(':');
    remote.host = hp.substr(0, colon);
    unsigned port = 0;
    const std::string digits = colon == std::string::npos ? std::string() : hp.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      std::lock_guard lock(mu_);
      stats_.rounds++;
      stats_.failed_rounds++;
      stats_.last_error = "service " + options_.service + ": remote " + config.remote + " has no valid port";
      return Status::InvalidArgument(stats_.last_error);
    }
    remote.port = static_cast<uint16_t>(port);
    for (const std::string& bucket : svc->second.serves) {
      if (stopping()) break;
      Status s = SyncBucket(remote, bucket, config);
      if (!s.ok() && result.ok()) result = s;
    }
  }
  std::lock_guard lock(mu_);
  stats_.rounds++;
  if (result.ok()) {
    stats_.last_round_ns = WallNs();
  } else {
    stats_.failed_rounds++;
    stats_.last_error = result.ToString();
  }
  return result;
}

void IsgwLink::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    while (true) {
      Status s = RunRound();
      if (!s.ok()) spdlog::warn("isgw {}: {}", options_.service, s.ToString());
      uint64_t interval_ns = 10'000'000'000ull;
      auto state = options_.state();
      if (auto svc = state->services().find(options_.service); svc != state->services().end())
        interval_ns = svc->second.config.batch_interval_ns;
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::nanoseconds(interval_ns), [&] { return stopping_; })) return;
    }
  });
}

void IsgwLink::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

LinkStats IsgwLink::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::string IsgwLink::StatusJson() const {
  LinkStats s = stats();
  nlohmann::json j = {{"service", options_.service},
                      {"rounds", s.rounds},
                      {"failed_rounds", s.failed_rounds},
                      {"last_round_ns", s.last_round_ns},
                      {"lists_compared", s.lists_compared},
                      {"lists_shipped", s.lists_shipped},
                      {"chunks_offered", s.chunks_offered},
                      {"chunks_sent", s.chunks_sent},
                      {"chunks_skipped", s.chunks_offered - s.chunks_sent},
                      {"bytes_sent", s.bytes_sent},
                      {"lists_merged", s.lists_merged},
                      {"lists_changed", s.lists_changed},
                      {"chunks_received", s.chunks_received},
                      {"bytes_received", s.bytes_received},
                      {"refused", s.refused},
                      {"full_syncs", s.full_syncs},
                      {"full_lists", s.full_lists},
                      {"trlog_records", s.trlog_records},
                      {"trlog_names", s.trlog_names},
                      {"trlog_seconds_trimmed", s.trlog_seconds_trimmed},
                      {"last_error", s.last_error}};
  // Per bucket: the backlog the last round could not ship and its age (the lag).
  const uint64_t now_s = WallNs() / 1'000'000'000;
  nlohmann::json buckets = nlohmann::json::object();
  uint64_t lag_s = 0, backlog = 0;
  for (const auto& [bucket, b] : s.buckets) {
    const uint64_t lag = b.oldest_unshipped_s && now_s > b.oldest_unshipped_s ? now_s - b.oldest_unshipped_s : 0;
    buckets[bucket] = {{"backlog", b.backlog}, {"lag_s", lag}};
    lag_s = std::max(lag_s, lag);
    backlog += b.backlog;
  }
  j["buckets"] = std::move(buckets);
  j["lag_s"] = lag_s;
  j["backlog"] = backlog;
  return j.dump();
}

std::string IsgwLink::MetricsText() const {
  LinkStats s = stats();
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + "{service=\"" +
           options_.service + "\"} " + std::to_string(v) + "\n";
  };
  counter("ccow_isgw_rounds_total", "anti-entropy rounds run", s.rounds);
  counter("ccow_isgw_failed_rounds_total", "rounds that met an error", s.failed_rounds);
  counter("ccow_isgw_lists_shipped_total", "version lists sent and merged at the remote", s.lists_shipped);
  counter("ccow_isgw_chunks_sent_total", "chunks and manifests the remote lacked, sent", s.chunks_sent);
  counter("ccow_isgw_chunks_skipped_total", "chunks the remote had already (dedup)", s.chunks_offered - s.chunks_sent);
  counter("ccow_isgw_bytes_sent_total", "chunk bytes sent", s.bytes_sent);
  counter("ccow_isgw_lists_merged_total", "version lists received and merged", s.lists_merged);
  counter("ccow_isgw_bytes_received_total", "chunk bytes received", s.bytes_received);
  counter("ccow_isgw_refused_total", "requests refused", s.refused);
  counter("ccow_isgw_full_syncs_total", "whole-bucket comparisons finished", s.full_syncs);
  counter("ccow_isgw_trlog_records_total", "trlog flushes read", s.trlog_records);
  counter("ccow_isgw_trlog_names_total", "changed names read from the trlog", s.trlog_names);
  const uint64_t now_s = WallNs() / 1'000'000'000;
  std::string lag = "# HELP ccow_isgw_lag_seconds age of the oldest change the link could not ship yet (0: none)\n"
                    "# TYPE ccow_isgw_lag_seconds gauge\n";
  std::string backlog = "# HELP ccow_isgw_backlog_names changed names the last round could not ship\n"
                        "# TYPE ccow_isgw_backlog_names gauge\n";
  for (const auto& [bucket, b] : s.buckets) {
    const std::string labels = "{service=\"" + options_.service + "\",bucket=\"" + bucket + "\"} ";
    lag += "ccow_isgw_lag_seconds" + labels +
           std::to_string(b.oldest_unshipped_s && now_s > b.oldest_unshipped_s ? now_s - b.oldest_unshipped_s : 0) + "\n";
    backlog += "ccow_isgw_backlog_names" + labels + std::to_string(b.backlog) + "\n";
  }
  return out + lag + backlog;
}

}  // namespace ccow::isgw
