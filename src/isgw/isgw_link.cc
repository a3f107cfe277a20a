#include "isgw/isgw_link.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

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

Status IsgwLink::SyncBucket(const Remote& remote, const std::string& bucket) {
  Backend& backend = api_->backend();
  const std::string prefix = bucket + "/";
  std::string last;  // the last name compared
  // The first error of the bucket: a list that cannot be shipped (a chunk missing here,
  // a merge the remote refuses) is reported and skipped, never a reason to stop comparing
  // the names after it.
  Status first;
  auto note = [&](const Status& s) {
    if (!s.ok() && first.ok()) first = s;
  };
  while (true) {
    if (stopping()) return Status::Unavailable("ISGW link stopping");
    std::vector<VersionList> lists;
    CCOW_RETURN_IF_ERROR(backend.ScanVersionLists(
        prefix, last.empty() ? std::string() : last.substr(prefix.size()), [&](const VersionList& vl) {
          if (!last.empty() && vl.name() <= last) return true;
          lists.push_back(vl);
          return lists.size() < kListsPerRound;
        }));
    if (lists.empty()) return first;
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
          if (s.ok()) ++shipped;
          else note(s.WithContext("ISGW link to " + remote.url + ": merging " + shipping[from + k]->name()));
        }
        std::lock_guard lock(mu_);
        stats_.lists_shipped += shipped;
      }
    }
    last = lists.back().name();
    if (lists.size() < kListsPerRound) return first;
  }
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
      Status s = SyncBucket(remote, bucket);
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
                      {"last_error", s.last_error}};
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
  return out;
}

}  // namespace ccow::isgw
