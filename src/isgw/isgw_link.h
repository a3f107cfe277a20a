// An Inter-Segment Gateway link (issue 14, docs/ARCHITECTURE.md "Inter-segment links"): the
// two ends of one registry service (cluster/service_config.h) that keep its served buckets
// the same at two segments.
//  - IsgwReceiver answers the link's requests (isgw/isgw_wire.h) on an HTTP endpoint: which
//    version lists differ, which chunks it lacks, the chunks themselves (each verified by
//    its CHID before it is stored), and the lists to merge (ObjectApi::MergeRemote).
//  - The sender runs a round per batch interval against the remote end: per served bucket
//    it reads the bucket's trlog (client/trlog.h) from its cursor on and compares the
//    version lists of the objects that changed by digest; for those that differ it sends
//    only the manifests and chunks the remote lacks, then the lists. The whole bucket is
//    compared instead for the initial replication, once per process start, and after the
//    link fell behind the trlog's horizon (7 days). Lists merge by a total order and
//    deletes are sticky, so both directions running at once converge and nothing
//    ping-pongs: once both sites hold equal lists a round ships nothing.
//  - The cursor of each (service, bucket) is durable (an object of the tenant's internal
//    bucket .isgw), so a restarted link resumes where it was; what it ships twice after a
//    crash is compared equal and skipped.
// Errors are counted and reported (LinkStats), never fatal: a round that fails is retried
// at the next batch interval, and nothing is committed at a receiver before every chunk it
// needs is stored and verified there.
//
// Threads: the receiver's Handle runs on the HTTP server's connection threads; the sender
// runs its rounds on its own thread (Start) or the caller's (RunRound). Stats are
// thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/fetching_backend.h"
#include "client/object_api.h"
#include "cluster/cluster_state.h"
#include "core/status.h"
#include "http/http_client.h"
#include "http/http_exchange.h"

namespace ccow::isgw {

class ExportSite;
class S3Mirror;

// Prometheus text: families in the order first added, each with its HELP, TYPE and samples.
struct MetricFamilies {
  struct Family {
    std::string help, type, samples;
  };
  std::vector<std::string> order;
  std::map<std::string, Family> by_name;
  void Add(const std::string& name, const char* help, const char* type, const std::string& sample_line) {
    auto [it, added] = by_name.try_emplace(name, Family{help, type, ""});
    if (added) order.push_back(name);
    it->second.samples += sample_line;
  }
};
std::string RenderMetrics(const MetricFamilies& families);

// The header naming the service a request is for: one endpoint serves every link of a
// site (a site linked with several others runs a service per link).
inline constexpr const char* kServiceHeader = "ccow-isgw-service";

struct LinkOptions {
  std::string service;  // the registry's service this process is an end of
  // Shared by both ends: requests carry it as a Bearer token and the receiver refuses
  // others (401). Empty: no authentication, for a lab on loopback only.
  std::string token;
  // The registry's state now (the served buckets and the settings follow it).
  std::function<std::shared_ptr<const ClusterState>()> state;
  // Mutual TLS to the remote end (its certificate must chain to tls->ca_file and name the
  // remote's host; this end presents tls->cert_file). Empty: plain HTTP, for a lab.
  std::optional<http::ClientTls> tls;
  // Commits a command to the registry (the receiver creates and serves the buckets the
  // other end offers). Empty: offered buckets must exist and be served here already.
  std::function<Status(const ClusterCommand&)> propose;
  // This site's reads of chunks it lacks (client/fetching_backend.h), when it may keep
  // only metadata: fetches answered for the other end read from it without fetching
  // further, its cache is sized by the service's chunk-cache-size, and its counts are
  // reported. Null: fetches read the object API's backend.
  std::shared_ptr<FetchingBackend> on_demand;
  // Whether this link's chunk-cache-size bounds on_demand's cache (one link of a site's).
  bool sizes_cache = true;
  // A fetch this end answers for a chunk the site lacks, when the asker allows more hops:
  // asked of the site's other links (not `service`, whose remote asked) with `hops`
  // left. Empty: answered from what the site holds only.
  std::function<Status(const std::vector<Chid>& chids, uint8_t hops, const std::string& service,
                       std::vector<std::string>* out)>
      forward;
  // Set for a link whose remote is in this process, whatever the service's remote says
  // (an export directory's changes sent to this segment, isgw/export_site.h): answers a
  // request as IsgwLink::Answer does.
  std::function<std::pair<int, std::string>(const std::string& op, std::string body)> transport;
  // The name its cursors are kept under when not the service's (several segments import
  // from one export directory, each with its own cursor); such a link trims the trlog
  // only past the horizon, as it cannot know the others' cursors.
  std::string cursor_key;
};

struct LinkStats {
  // Sender.
  uint64_t rounds = 0, failed_rounds = 0;
  uint64_t lists_compared = 0, lists_shipped = 0;
  uint64_t chunks_offered = 0, chunks_sent = 0, bytes_sent = 0;  // offered - sent: the remote had them
  uint64_t body_bytes_sent = 0, wire_bytes_sent = 0;  // every request's body, before and after zstd
  uint64_t last_round_ns = 0;  // wall clock of the last round that finished without error
  uint64_t full_syncs = 0, full_lists = 0;      // whole-bucket comparisons, and the lists they read
  uint64_t trlog_records = 0, trlog_names = 0;  // trlog flushes read, and the changed names in them
  uint64_t trlog_seconds_trimmed = 0;
  struct BucketLag {
    uint64_t backlog = 0;             // changed names the last round read but could not ship
    uint64_t oldest_unshipped_s = 0;  // trlog second of the oldest of them; 0 when none
  };
  std::map<std::string, BucketLag> buckets;
  // Receiver.
  uint64_t lists_merged = 0, lists_changed = 0, chunks_received = 0, bytes_received = 0;
  uint64_t refused = 0;  // requests refused (authentication, a bucket not served, bad bodies, bad chunks)
  // Versions left out of merges: unsigned, signed by a site not in trusted-keys, or whose
  // signature does not verify (model/version_signature.h); the rest of their lists merge.
  uint64_t versions_refused = 0;
  // Deletes from the other site not applied to versions under Object Lock here.
  uint64_t deletes_kept_locked = 0;
  uint64_t chunks_served = 0, bytes_served = 0;  // fetched from here by a metadata-only site
  uint64_t chunks_forwarded = 0;  // of those, fetched from another site for the asker (a second hop)
  std::string last_error;
};

class IsgwLink {
 public:
  IsgwLink(std::shared_ptr<ObjectApi> api, LinkOptions options);
  ~IsgwLink();  // stops the sender

  // Receiver: serves POST /isgw/v1/{bucket,digests,have,chunks,merge,fetch,names}; anything
  // else is 404. A fetch needs the service to send from here, names
  // is answered whatever the direction, the rest need it to receive.
  void Handle(http::HttpExchange& ex);
  // What Handle answers to one request (op: "digests", "merge"...; its body decoded;
  // from: who asked, for the log): the HTTP status and body. Refusals are counted.
  std::pair<int, std::string> Answer(const std::string& op, std::string body, const std::string& from);

  // Reads chunks from the service's remote in one request (a metadata-only site reading
  // data it lacks; any thread), which may ask `hops` sites further for them (isgw_wire.h
  // FetchRequest): *out one entry per chid, empty where the remote lacks it. kNotFound
  // when the remote lacks chids[0] or no remote is set, kUnavailable when it does not
  // answer; the bytes are not verified here.
  Status FetchChunks(const std::vector<Chid>& chids, std::vector<std::string>* out, uint8_t hops = 1);

  // `ccow service verify`: compares every served bucket with the remote's, name by name,
  // by the digest of each version list (which names every version's manifest, so equal
  // digests mean equal trees), both sides read a page at a time. JSON: per bucket the
  // names compared, equal, differing, only here and only there (up to 20 of each
  // named), and "in_sync". kUnavailable/kPermissionDenied as the remote answers; a
  // bucket the remote does not serve is reported in its entry, not as a failure.
  Result<std::string> VerifyJson();

  // Sender: one round over every bucket the service serves, to its remote, when the
  // service exists, sends (direction) and has a remote; with a file:// remote it
  // receives from, then the directory's changes imported (isgw/export_site.h); OK with
  // nothing to do otherwise. The first error of the round is returned (and counted) after the other
  // buckets had their turn.
  Status RunRound();
  // Runs rounds on a thread, one per the service's batch interval, until Stop.
  void Start();
  void Stop();

  const std::string& service() const { return options_.service; }
  LinkStats stats() const;
  std::string StatusJson() const;  // for /admin/isgw
  // ccow_isgw_* for /metrics, labelled with the service, into *families (several links
  // share them; RenderMetrics writes each family's samples as one group).
  void AddMetrics(MetricFamilies* families) const;

 private:
  struct Remote;
  // Where a service is in a bucket's trlog: every record before second - window shipped,
  // but the names in retry (that could not be shipped, each since a second: the lag).
  struct Cursor {
    uint64_t second = 0;
    bool initial_done = false;  // the initial replication compared the whole bucket
    std::map<std::string, uint64_t> retry;
  };
  struct Handled {
    uint64_t second = 0;
    bool settled = false;  // shipped once its change had surely committed
    // Rounds that shipped it: a record not settled yet goes again at the next round (a
    // put commits within moments of recording; waiting for it to settle cost 10 s of lag
    // when a round read the record first), then once settled.
    uint32_t rounds = 0;
  };
  // The sender's own state of one bucket (its thread only).
  struct BucketProgress {
    bool loaded = false;     // cursor read from its object
    bool full_done = false;  // this process compared the whole bucket
    bool warned_behind = false;
    bool offered = false;  // the bucket was offered to the remote (created there if missing)
    Cursor cursor;
    std::map<Chid, Handled> handled;  // records of the window already shipped
    uint64_t last_trim_ns = 0;
  };
  Status SyncBucket(const Remote& remote, const std::string& bucket_path, const ServiceConfig& config);
  Status FullSync(const Remote& remote, const std::string& bucket_path, Status* first, std::set<std::string>* failed);
  Status ShipLists(const Remote& remote, const std::string& bucket_path, const std::vector<VersionList>& lists,
                   Status* first, std::set<std::string>* failed);
  Status Trim(const std::string& bucket_path, BucketProgress& progress);
  Status OfferBucket(const Remote& remote, const std::string& bucket_path);
  // Where a link to an s3:// remote records the multipart upload it runs for a bucket
  // (isgw/s3_mirror.h EnsureBucket): SEG/TEN/.isgw/SERVICE/BKT/s3-uploads.
  std::string UploadsJournal(const std::string& bucket_path) const;
  Result<std::optional<Cursor>> LoadCursor(const std::string& service, const std::string& bucket_path);
  Status SaveCursor(const std::string& bucket_path, const Cursor& cursor);
  Status Post(const Remote& remote, const char* what, const std::string& body, std::string* reply,
              int timeout_ms = 120'000);
  Result<http::ClientResponse> PostHttp(const Remote& remote, const char* what, const std::string& body,
                                        int timeout_ms);
  static Result<Remote> ParseRemote(const std::string& url);
  // The remote of url: ccow://HOST:PORT, or file://DIR (the export directory, opened once
  // and kept while the service names it).
  Result<Remote> RemoteOf(const std::string& url);
  bool stopping() const;
  const std::string& CursorKey() const { return options_.cursor_key.empty() ? options_.service : options_.cursor_key; }
  void Note(const Status& s);

  std::shared_ptr<ObjectApi> api_;
  LinkOptions options_;
  mutable std::mutex mu_;
  LinkStats stats_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::map<std::string, BucketProgress> progress_;  // the sender thread's
  std::string last_remote_;                          // the remote progress_ is about
  std::mutex export_mu_;
  std::shared_ptr<ExportSite> export_;  // a file:// remote's directory, while it is named
};

}  // namespace ccow::isgw
