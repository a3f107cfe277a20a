#include "isgw/isgw_link.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cluster/service_config.h"
#include "core/compression.h"
#include "http/http_client.h"
#include "isgw/export_site.h"
#include "isgw/isgw_wire.h"
#include "isgw/link_internal.h"
#include "model/version_signature.h"

namespace ccow::isgw {
namespace {

// How long a fetch waits for each hop it allows (FetchChunks).
constexpr int kFetchHopMs = 6'000;

}  // namespace

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

// ---- the sending end: requests to the remote, and the rounds ----

Status IsgwLink::Post(const Remote& remote, const char* what, const std::string& body, std::string* reply,
                      int timeout_ms) {
  int status = 0;
  std::string answer;
  if (remote.call) {
    // In this process: no transport, nothing compressed.
    {
      std::lock_guard lock(mu_);
      stats_.body_bytes_sent += body.size();
      stats_.wire_bytes_sent += body.size();
    }
    std::tie(status, answer) = remote.call(what, body);
  } else {
    auto r = PostHttp(remote, what, body, timeout_ms);
    if (!r.ok()) return r.status();
    status = r->status;
    answer = std::move(r->body);
  }
  if (status != 200) {
    std::string text = answer.substr(0, 300);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const Code code = status == 401 || status == 403 ? Code::kPermissionDenied
                      : status == 400 || status == 413 ? Code::kInvalidArgument
                      : status == 404                  ? Code::kNotFound
                      : status == 409                  ? Code::kAlreadyExists
                      : status == 507                  ? Code::kNoSpace
                                                       : Code::kUnavailable;
    return Status(code, "ISGW link to " + remote.url + ": " + what + " answered " + std::to_string(status) + ": " +
                            text);
  }
  *reply = std::move(answer);
  return Status::OK();
}

Result<http::ClientResponse> IsgwLink::PostHttp(const Remote& remote, const char* what, const std::string& body,
                                          int timeout_ms) {
  http::HeaderList headers = {{"content-type", "application/octet-stream"}, {kServiceHeader, options_.service}};
  if (!options_.token.empty()) headers.push_back({"authorization", "Bearer " + options_.token});
  // Compressed when that saves a tenth or more (chunks of media or of encrypted objects
  // do not compress: they travel as they are, and the receiver spends nothing on them).
  std::string packed;
  if (body.size() >= kCompressMin) {
    packed = ZstdCompress(body);
    if (!packed.empty() && packed.size() < body.size() - body.size() / 10)
      headers.push_back({"content-encoding", "zstd"});
    else
      packed.clear();
  }
  const std::string& sent = packed.empty() ? body : packed;
  {
    std::lock_guard lock(mu_);
    stats_.body_bytes_sent += body.size();
    stats_.wire_bytes_sent += sent.size();
  }
  http::ClientTimeouts timeouts;
  timeouts.total = std::chrono::milliseconds(timeout_ms);
  auto r = http::Request(remote.host, remote.port, "POST", std::string("/isgw/v1/") + what, headers, sent, timeouts,
                         options_.tls ? &*options_.tls : nullptr);
  if (!r.ok()) return r.status().WithContext("ISGW link to " + remote.url);
  return r;
}

Result<IsgwLink::Remote> IsgwLink::RemoteOf(const std::string& url) {
  if (stopping()) return Status::Unavailable("ISGW link stopping");  // nothing reopened after Stop
  if (url.rfind("s3://", 0) == 0) {
    CCOW_ASSIGN_OR_RETURN(S3Target target, ParseS3Remote(url));
    Remote remote;
    remote.url = url;
    remote.s3 = std::make_shared<S3Mirror>(std::move(target), [this] { return stopping(); });
    return remote;
  }
  if (url.rfind("file://", 0) != 0) return ParseRemote(url);
  const std::string dir = url.substr(7);
  if (dir.empty() || dir[0] != '/') return Status::InvalidArgument("remote " + url + ": a file:// remote names an absolute directory (file:///DIR)");
  std::shared_ptr<ExportSite> site;
  {
    std::lock_guard lock(export_mu_);
    if (export_ && export_->dir() != dir) export_.reset();  // the service names another
    if (!export_) {
      // This segment's cursors in the export, should it import: by site id, as several
      // segments may import one directory under the same service name.
      char site[16];
      std::snprintf(site, sizeof site, "%08x", options_.state()->site_id());
      auto opened = ExportSite::Open(dir, options_.service, options_.service + "@" + site, this);
      if (!opened.ok()) return opened.status().WithContext("export directory " + dir);
      export_ = std::move(*opened);
    }
    site = export_;
  }
  Remote remote;
  remote.url = url;
  remote.call = [site](const std::string& op, std::string body) { return site->Answer(op, std::move(body)); };
  return remote;
}

Result<IsgwLink::Remote> IsgwLink::ParseRemote(const std::string& url) {
  if (url.rfind("ccow://", 0) != 0)
    return Status::InvalidArgument("remote " + url + ": expected ccow://HOST:PORT, file:///DIR or s3://HOST[:PORT]/BUCKET");
  Remote remote;
  remote.url = url;
  const std::string hp = url.substr(7);
  const size_t colon = hp.rfind(':');
  remote.host = hp.substr(0, colon);
  unsigned port = 0;
  const std::string digits = colon == std::string::npos ? std::string() : hp.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return Status::InvalidArgument("remote " + url + " has no valid port");
  remote.port = static_cast<uint16_t>(port);
  return remote;
}

Status IsgwLink::FetchChunks(const std::vector<Chid>& chids, std::vector<std::string>* out, uint8_t hops) {
  out->assign(chids.size(), std::string());
  if (chids.empty()) return Status::OK();
  if (chids.size() > kMaxChunksPerFetch) return Status::InvalidArgument("a fetch of more than 256 chunks");
  auto state = options_.state();
  auto svc = state->services().find(options_.service);
  if (svc == state->services().end()) return Status::NotFound("no ISGW service " + options_.service + " to fetch from");
  // The cache's bound follows the setting at once (a round may be 10 s away).
  if (options_.on_demand && options_.sizes_cache && options_.on_demand->cache())
    options_.on_demand->cache()->SetCapacity(svc->second.config.chunk_cache_bytes);
  if (svc->second.config.remote.empty())
    return Status::NotFound("ISGW service " + options_.service + " has no remote to fetch from");
  CCOW_ASSIGN_OR_RETURN(Remote remote, RemoteOf(svc->second.config.remote));
  if (remote.s3) return Status::NotFound("an s3:// remote holds objects, not chunks to fetch");
  std::string bytes;
  // A reader waits on it: a hung remote fails the read in seconds, not minutes. Each hop
  // the remote may take waits 6 s less than the one before it, so that a site forwarding
  // the fetch has its answer (or gives up) while its asker still waits.
  const int timeout_ms = kFetchHopMs * (hops + 1);
  CCOW_RETURN_IF_ERROR(
      Post(remote, "fetch", Encode(FetchRequest{options_.service, chids, hops}), &bytes, timeout_ms));
  CCOW_ASSIGN_OR_RETURN(FetchReply reply, DecodeFetchReply(bytes));
  if (reply.chunks.size() != chids.size())
    return Status::Corruption("ISGW link to " + remote.url + ": fetch reply of another length");
  *out = std::move(reply.chunks);
  if ((*out)[0].empty()) return Status::NotFound("the site at " + remote.url + " lacks " + chids[0].ToString() + " too");
  return Status::OK();
}

Status IsgwLink::RunRound() {
  auto state = options_.state();
  auto svc = state->services().find(options_.service);
  if (svc == state->services().end()) return Status::OK();
  const ServiceConfig& config = svc->second.config;
  if (options_.on_demand && options_.sizes_cache && options_.on_demand->cache())
    options_.on_demand->cache()->SetCapacity(config.chunk_cache_bytes);
  const bool import = !options_.transport && config.remote.rfind("file://", 0) == 0 &&
                      (config.direction & ServiceConfig::kReceive);
  if (!options_.transport && config.remote != last_remote_) {
    // Another remote: its buckets are offered and compared whole again, and a directory
    // no longer named is let go.
    progress_.clear();
    last_remote_ = config.remote;
    std::lock_guard lock(export_mu_);
    export_.reset();
  }
  if (config.remote.empty() && !options_.transport) return Status::OK();
  if (!(config.direction & ServiceConfig::kSend) && !import) return Status::OK();
  Status result;
  auto parsed = options_.transport ? Result<Remote>(Remote{"", 0, "this segment", options_.transport})
                                   : RemoteOf(config.remote);
  if (!parsed.ok()) {
    result = parsed.status().WithContext("service " + options_.service);
  } else {
    const Remote& remote = *parsed;
    if (remote.s3 && svc->second.serves.size() > 1) {
      // Keys are kept as they are: two buckets' objects would overwrite each other.
      result = Status::InvalidArgument("service " + options_.service + " serves " +
                                       std::to_string(svc->second.serves.size()) +
                                       " buckets: an s3:// remote takes one (a service per bucket)");
    } else if (remote.s3 && !(config.direction & ServiceConfig::kSend)) {
      result = Status::InvalidArgument("service " + options_.service +
                                       ": an s3:// remote is written to, not read from (direction send)");
    } else if (config.direction & ServiceConfig::kSend) {
      for (const std::string& bucket : svc->second.serves) {
        if (stopping()) break;
        Status s = SyncBucket(remote, bucket, config);
        if (!s.ok() && result.ok()) result = s;
      }
    }
    if (import && !stopping()) {
      // A file:// remote that this end receives from: the directory's changes are sent
      // here by the export's own sender (its cursor kept in the directory).
      std::shared_ptr<ExportSite> site;
      {
        std::lock_guard lock(export_mu_);
        site = export_;
      }
      Status s = site ? site->ImportRound() : Status::Unavailable("the export directory is not open");
      if (!s.ok() && result.ok()) result = s.WithContext("importing from " + config.remote);
    }
  }
  std::lock_guard lock(mu_);
  stats_.rounds++;
  if (result.ok()) {
    stats_.last_round_ns = api_->Now();
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
    // What of the service a round depends on: a change (the service created, a setting
    // or a served bucket changed) starts the next round at once instead of after the
    // interval, which is 10 s while the service does not exist yet.
    auto fingerprint = [this] {
      auto state = options_.state();
      auto svc = state->services().find(options_.service);
      if (svc == state->services().end()) return std::string();
      std::string f = std::to_string(svc->second.revision) + "|" + svc->second.config.remote;
      for (const auto& b : svc->second.serves) f += "|" + b;
      return f;
    };
    while (true) {
      Status s = RunRound();
      if (!s.ok()) spdlog::warn("isgw {}: {}", options_.service, s.ToString());
      uint64_t interval_ns = 10'000'000'000ull;
      auto state = options_.state();
      if (auto svc = state->services().find(options_.service); svc != state->services().end())
        interval_ns = svc->second.config.batch_interval_ns;
      const std::string before = fingerprint();
      const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(interval_ns);
      std::unique_lock lock(mu_);
      while (true) {
        const auto slice = std::min<std::chrono::steady_clock::duration>(until - std::chrono::steady_clock::now(),
                                                                          std::chrono::milliseconds(250));
        if (cv_.wait_for(lock, slice, [&] { return stopping_; })) return;
        if (std::chrono::steady_clock::now() >= until) break;
        lock.unlock();
        const bool changed = fingerprint() != before;
        lock.lock();
        if (changed) break;
      }
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
  std::lock_guard lock(export_mu_);
  export_.reset();
}

LinkStats IsgwLink::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::string IsgwLink::StatusJson() const {
  LinkStats s = stats();
  char site[16] = "";
  auto state = options_.state();
  if (uint32_t id = state->site_id()) std::snprintf(site, sizeof site, "%08x", id);
  // The sites whose signed versions this end accepts, as it applies them now (the
  // registry a link end follows may trail a `service config` by a moment).
  nlohmann::json trusted = nlohmann::json::array();
  std::string metadata_only = "off";
  if (auto svc = state->services().find(options_.service); svc != state->services().end()) {
    for (const auto& [id, key] : svc->second.config.trusted_keys) trusted.push_back(SiteKeyText(id, key).substr(0, 8));
    metadata_only = ServiceSettingText(svc->second.config, "metadata-only");
  }
  nlohmann::json j = {{"service", options_.service},
                      {"site_id", site},
                      {"trusted_sites", std::move(trusted)},
                      {"metadata_only", metadata_only},
                      {"rounds", s.rounds},
                      {"failed_rounds", s.failed_rounds},
                      {"last_round_ns", s.last_round_ns},
                      {"lists_compared", s.lists_compared},
                      {"lists_shipped", s.lists_shipped},
                      {"chunks_offered", s.chunks_offered},
                      {"chunks_sent", s.chunks_sent},
                      {"chunks_skipped", s.chunks_offered - s.chunks_sent},
                      {"bytes_sent", s.bytes_sent},
                      {"body_bytes_sent", s.body_bytes_sent},
                      {"wire_bytes_sent", s.wire_bytes_sent},
                      {"lists_merged", s.lists_merged},
                      {"lists_changed", s.lists_changed},
                      {"chunks_received", s.chunks_received},
                      {"bytes_received", s.bytes_received},
                      {"refused", s.refused},
                      {"versions_refused", s.versions_refused},
                      {"deletes_kept_locked", s.deletes_kept_locked},
                      {"chunks_served", s.chunks_served},
                      {"bytes_served", s.bytes_served},
                      {"chunks_forwarded", s.chunks_forwarded},
                      {"full_syncs", s.full_syncs},
                      {"full_lists", s.full_lists},
                      {"trlog_records", s.trlog_records},
                      {"trlog_names", s.trlog_names},
                      {"trlog_seconds_trimmed", s.trlog_seconds_trimmed},
                      {"last_error", s.last_error}};
  // Per bucket: the backlog the last round could not ship and its age (the lag).
  const uint64_t now_s = api_->Now() / 1'000'000'000;
  nlohmann::json buckets = nlohmann::json::object();
  uint64_t lag_s = 0, backlog = 0;
  for (const auto& [bucket, b] : s.buckets) {
    const uint64_t lag = b.oldest_unshipped_s && now_s > b.oldest_unshipped_s ? now_s - b.oldest_unshipped_s : 0;
    buckets[bucket] = {{"backlog", b.backlog}, {"lag_s", lag}};
    lag_s = std::max(lag_s, lag);
    backlog += b.backlog;
  }
  if (options_.on_demand) {
    // A metadata-only site's reads of what it lacks.
    FetchStats f = options_.on_demand->fetch_stats();
    j["fetches"] = f.fetches;
    j["fetched_bytes"] = f.fetched_bytes;
    j["fetch_failures"] = f.fetch_failures;
    j["fetch_requests"] = f.requests;
    j["read_ahead"] = f.read_ahead;
    j["fetches_merged"] = f.merged;
    j["cache_hits"] = f.cache.hits;
    j["cache_misses"] = f.cache.misses;
    j["cache_bytes"] = f.cache.bytes;
    j["cache_chunks"] = f.cache.chunks;
    j["cache_capacity"] = f.cache.capacity;
    j["cache_evictions"] = f.cache.evictions;
  }
  j["buckets"] = std::move(buckets);
  j["lag_s"] = lag_s;
  j["backlog"] = backlog;
  return j.dump();
}

std::string RenderMetrics(const MetricFamilies& families) {
  std::string out;
  for (const auto& name : families.order) {
    const auto& f = families.by_name.at(name);
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n" + f.samples;
  }
  return out;
}

void IsgwLink::AddMetrics(MetricFamilies* families) const {
  LinkStats s = stats();
  const std::string label = "{service=\"" + options_.service + "\"} ";
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    families->Add(name, help, "counter", name + label + std::to_string(v) + "\n");
  };
  counter("ccow_isgw_rounds_total", "anti-entropy rounds run", s.rounds);
  counter("ccow_isgw_failed_rounds_total", "rounds that met an error", s.failed_rounds);
  counter("ccow_isgw_lists_shipped_total", "version lists sent and merged at the remote", s.lists_shipped);
  counter("ccow_isgw_chunks_sent_total", "chunks and manifests the remote lacked, sent", s.chunks_sent);
  counter("ccow_isgw_chunks_skipped_total", "chunks the remote had already (dedup)", s.chunks_offered - s.chunks_sent);
  counter("ccow_isgw_bytes_sent_total", "chunk bytes sent", s.bytes_sent);
  counter("ccow_isgw_body_bytes_sent_total", "request body bytes before compression", s.body_bytes_sent);
  counter("ccow_isgw_wire_bytes_sent_total", "request body bytes sent (zstd where it saves a tenth or more)",
          s.wire_bytes_sent);
  counter("ccow_isgw_lists_merged_total", "version lists received and merged", s.lists_merged);
  counter("ccow_isgw_bytes_received_total", "chunk bytes received", s.bytes_received);
  counter("ccow_isgw_refused_total", "requests refused", s.refused);
  counter("ccow_isgw_versions_refused_total", "versions received unsigned or not signed by a trusted site",
          s.versions_refused);
  counter("ccow_isgw_full_syncs_total", "whole-bucket comparisons finished", s.full_syncs);
  counter("ccow_isgw_trlog_records_total", "trlog flushes read", s.trlog_records);
  counter("ccow_isgw_trlog_names_total", "changed names read from the trlog", s.trlog_names);
  counter("ccow_isgw_deletes_kept_locked_total", "deletes from the other site not applied to versions locked here",
          s.deletes_kept_locked);
  counter("ccow_isgw_chunks_served_total", "chunks fetched from here by a metadata-only site", s.chunks_served);
  counter("ccow_isgw_chunks_forwarded_total", "chunks served that this site fetched from another for the asker",
          s.chunks_forwarded);
  if (options_.on_demand) {
    FetchStats f = options_.on_demand->fetch_stats();
    counter("ccow_isgw_fetches_total", "chunks this site lacked, fetched from the remote on demand", f.fetches);
    counter("ccow_isgw_fetched_bytes_total", "bytes fetched on demand", f.fetched_bytes);
    counter("ccow_isgw_fetch_failures_total", "on-demand fetches that failed or did not verify", f.fetch_failures);
    counter("ccow_isgw_fetch_requests_total", "requests for on-demand fetches (each a batch)", f.requests);
    counter("ccow_isgw_read_ahead_total", "chunks fetched with another before a read asked for them", f.read_ahead);
    counter("ccow_isgw_fetches_merged_total", "reads that waited for another read's fetch of their chunk", f.merged);
    counter("ccow_isgw_cache_hits_total", "reads of fetched chunks answered by the chunk cache", f.cache.hits);
    counter("ccow_isgw_cache_evictions_total", "chunks evicted from the chunk cache", f.cache.evictions);
    families->Add("ccow_isgw_cache_bytes", "bytes in the chunk cache (at most chunk-cache-size)", "gauge",
                  "ccow_isgw_cache_bytes" + label + std::to_string(f.cache.bytes) + "\n");
  }
  const uint64_t now_s = api_->Now() / 1'000'000'000;
  for (const auto& [bucket, b] : s.buckets) {
    const std::string labels = "{service=\"" + options_.service + "\",bucket=\"" + bucket + "\"} ";
    families->Add("ccow_isgw_lag_seconds", "age of the oldest change the link could not ship yet (0: none)", "gauge",
                  "ccow_isgw_lag_seconds" + labels +
                      std::to_string(b.oldest_unshipped_s && now_s > b.oldest_unshipped_s ? now_s - b.oldest_unshipped_s
                                                                                         : 0) +
                      "\n");
    families->Add("ccow_isgw_backlog_names", "changed names the last round could not ship", "gauge",
                  "ccow_isgw_backlog_names" + labels + std::to_string(b.backlog) + "\n");
  }
}

}  // namespace ccow::isgw
