// The receiving end of an ISGW link: IsgwLink::Handle.
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "cluster/service_config.h"
#include "core/compression.h"
#include "isgw/isgw_link.h"
#include "isgw/isgw_wire.h"
#include "isgw/link_internal.h"
#include "model/version_signature.h"

namespace ccow::isgw {

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
  if (const std::string* encoding = req.Header("content-encoding"); encoding && !encoding->empty()) {
    if (*encoding != "zstd")
      return respond(415, Status::InvalidArgument("a body in content encoding " + *encoding + " (zstd or none)"));
    auto unpacked = ZstdDecompress(body, kMaxBodyBytes);
    if (!unpacked.ok()) return respond(400, unpacked.status().WithContext("the request body"));
    body = std::move(*unpacked);
  }
  auto [code, reply] = Answer(req.path.substr(9), std::move(body), req.remote_address);
  (void)ex.Respond(code, {{"content-type", code == 200 ? "application/octet-stream" : "text/plain"}}, reply);
}

std::pair<int, std::string> IsgwLink::Answer(const std::string& op, std::string body, const std::string& from) {
  auto respond = [&](int code, const Status& s) -> std::pair<int, std::string> {
    {
      std::lock_guard lock(mu_);
      stats_.refused++;
      stats_.last_error = "refused " + op + " from " + from + ": " + s.ToString();
    }
    return {code, s.ToString() + "\n"};
  };
  auto state = options_.state();
  auto svc = state->services().find(options_.service);
  if (svc == state->services().end())
    return respond(404, Status::NotFound("no service " + options_.service + " at this site"));
  // A fetch reads data, which a site that only receives does not give out; names reads
  // lists; the other calls write here and need the service to receive.
  if (op == "fetch" && !(svc->second.config.direction & ServiceConfig::kSend))
    return respond(403, Status::PermissionDenied("service " + options_.service + " does not send from this site"));
  if (op != "fetch" && op != "names" && !(svc->second.config.direction & ServiceConfig::kReceive))
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
  auto ok = [](std::string reply) -> std::pair<int, std::string> { return {200, std::move(reply)}; };
  if (op == "bucket") {
    // The other end's bucket: created here (with this segment's tenant policy) when
    // missing, and served by this end, so that the lists that follow are taken.
    auto r = DecodeBucketRequest(body);
    if (!r.ok()) return respond(400, r.status());
    if (Status s = check(r->service, nullptr); !s.ok()) return respond(403, s);
    auto cmd = DecodeCommand(r->create_bucket);
    if (!cmd.ok()) return respond(400, cmd.status());
    const auto* offered = std::get_if<command::CreateBucket>(&*cmd);
    if (!offered) return respond(400, Status::InvalidArgument("a bucket offer that is not a CreateBucket"));
    const std::string path = offered->segment + "/" + offered->tenant + "/" + offered->bucket;
    if (Status s = ValidateBucketPath(path); !s.ok()) return respond(400, s);
    BucketReply reply;
    if (!state->FindBucket(offered->segment, offered->tenant, offered->bucket).ok()) {
      if (!options_.propose)
        return respond(404, Status::NotFound("bucket " + path + " does not exist at this site"));
      Status s = options_.propose(command::CreateBucket{offered->segment, offered->tenant, offered->bucket,
                                                        LinkedBucketRecord(offered->record), true, true});
      if (s.ok()) {
        reply.created = true;
        spdlog::info("isgw {}: created bucket {} offered by the other end", options_.service, path);
      } else if (s.code() != Code::kAlreadyExists || !options_.state()->FindBucket(offered->segment, offered->tenant,
                                                                                  offered->bucket).ok()) {
        // Another tenant holds the name (bucket names are unique per segment), or the
        // registry could not commit.
        return respond(s.code() == Code::kAlreadyExists ? 409 : 503, s.WithContext("creating bucket " + path));
      }
    }
    if (!Serves(svc->second, path)) {
      if (!options_.propose)
        return respond(403, Status::PermissionDenied("service " + options_.service + " does not serve " + path +
                                                     " at this site"));
      Status s = options_.propose(command::ServiceServe{options_.service, path});
      if (!s.ok() && s.code() != Code::kAlreadyExists) return respond(503, s.WithContext("serving " + path));
    }
    return ok(Encode(reply));
  }
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
    // Only with a remote to fetch from: a site that cannot fetch is sent everything.
    if (!svc->second.config.remote.empty())
      reply.metadata_only = static_cast<uint8_t>(svc->second.config.metadata_only);
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
    // With trusted keys, each new version must be signed by the site that wrote it.
    const TrustedSiteKeys& trusted = svc->second.config.trusted_keys;
    ObjectApi::MergeOptions merge_options;
    if (!trusted.empty())
      merge_options.accept = [&trusted](const VersionManifest& vm) { return VerifyVersion(vm, trusted); };
    // A site that keeps only metadata was sent no payload (digests told the sender so).
    const auto mode = svc->second.config.metadata_only;
    merge_options.payload_may_be_absent = mode != ServiceConfig::MetadataOnly::kOff;
    merge_options.manifests_may_be_absent = mode == ServiceConfig::MetadataOnly::kVersions;
    std::vector<ObjectApi::RefusedVersion> refused;
    uint64_t locked_kept = 0;
    for (const auto& bytes : r->lists) {
      MergeReply::Result result;
      const size_t refused_before = refused.size();
      auto list = VersionList::Decode(bytes);
      Result<bool> done = !list.ok()                     ? Result<bool>(list.status())
                          : !under(list->name(), r->bucket) ? Result<bool>(Status::InvalidArgument(
                                                                 "object " + list->name() + " is not in bucket " + r->bucket))
                                                           : api_->MergeRemote(*list, merge_options, &refused);
      // Deletes kept off versions locked here are counted, and the merge stands: the
      // lock may hold for years, and offering the list again would change nothing.
      size_t vetted = 0;
      for (size_t k = refused_before; k < refused.size(); ++k) {
        if (refused[k].why.code() == Code::kLocked) ++locked_kept;
        else ++vetted;
      }
      if (done.ok() && vetted != 0) {
        // The rest of the list merged; the sender keeps the name in its retry set (its
        // lag shows it), so the versions arrive once trusted-keys is corrected.
        result.changed = *done;
        changed += *done;
        result.code = static_cast<uint8_t>(Code::kPermissionDenied);
        result.message = std::to_string(refused.size() - refused_before) + " version(s) of " + list->name() +
                         " refused: " + refused.back().why.message();
      } else if (done.ok()) {
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
      stats_.versions_refused += refused.size() - locked_kept;
      stats_.deletes_kept_locked += locked_kept;
      if (!refused.empty())
        stats_.last_error = "refused " + std::to_string(refused.size()) + " version(s) from " + from +
                            ": " + refused.back().why.message();
    }
    // The sender offers a refused version again each round: a few lines per request.
    for (size_t i = 0; i < refused.size() && i < 3; ++i)
      spdlog::warn("isgw {}: {} version {} from {}: {}", options_.service,
                   refused[i].why.code() == Code::kLocked ? "kept" : "refused", refused[i].vm_chid.ToString(),
                   from, refused[i].why.message());
    if (refused.size() > 3)
      spdlog::warn("isgw {}: refused {} more versions from {}", options_.service, refused.size() - 3,
                   from);
    return ok(Encode(reply));
  }
  if (op == "names") {
    // A page of the bucket's names and list digests (the other end's `service verify`).
    auto r = DecodeNamesRequest(body);
    if (!r.ok()) return respond(400, r.status());
    if (Status s = check(r->service, &r->bucket); !s.ok()) return respond(403, s);
    NamesReply reply;
    Status scanned = backend.ScanVersionLists(r->bucket + "/", r->start_after, [&](const VersionList& vl) {
      if (reply.items.size() == r->limit) {
        reply.more = true;
        return false;
      }
      reply.items.push_back({vl.name(), ListDigest(vl)});
      return true;
    });
    if (!scanned.ok()) return respond(503, scanned);
    return ok(Encode(reply));
  }
  if (op == "fetch") {
    // Chunks by CHID for a site that keeps only metadata: what this site stores (or has
    // cached), never fetched further (two metadata-only sites must not ask each other in
    // a circle). Up to half the body limit; the rest left empty, to be asked again.
    auto r = DecodeFetchRequest(body);
    if (!r.ok()) return respond(400, r.status());
    if (Status s = check(r->service, nullptr); !s.ok()) return respond(403, s);
    FetchReply reply;
    uint64_t bytes = 0, served = 0, forwarded = 0;
    std::vector<size_t> lacking;
    for (const auto& chid : r->chids) {
      std::string chunk;
      if (bytes < kMaxBodyBytes / 2) {
        Status s = options_.on_demand ? options_.on_demand->GetHere(chid, &chunk) : backend.GetChunk(chid, &chunk);
        if (!s.ok() && !s.IsNotFound()) return respond(503, s);
        if (!s.ok()) {
          chunk.clear();
          lacking.push_back(reply.chunks.size());
        }
      }
      bytes += chunk.size();
      served += !chunk.empty();
      reply.chunks.push_back(std::move(chunk));
    }
    if (!lacking.empty() && r->hops > 0 && options_.forward) {
      // What this site lacks is asked of its other links in one request (a second hop:
      // the asker's own links may not reach the site that holds it), verified, and kept
      // in this site's cache for the next asker.
      std::vector<Chid> ask;
      for (size_t i : lacking) ask.push_back(r->chids[i]);
      std::vector<std::string> got;
      (void)options_.forward(ask, static_cast<uint8_t>(r->hops - 1), options_.service, &got);
      got.resize(ask.size());
      for (size_t k = 0; k < ask.size() && bytes < kMaxBodyBytes / 2; ++k) {
        if (got[k].empty() || HashBytes(ask[k].algo(), got[k]) != ask[k]) continue;
        if (options_.on_demand && options_.on_demand->cache()) (void)options_.on_demand->cache()->Put(ask[k], got[k]);
        bytes += got[k].size();
        ++served;
        ++forwarded;
        reply.chunks[lacking[k]] = std::move(got[k]);
      }
    }
    {
      std::lock_guard lock(mu_);
      stats_.chunks_served += served;
      stats_.bytes_served += bytes;
      stats_.chunks_forwarded += forwarded;
    }
    return ok(Encode(reply));
  }
  return respond(404, Status::NotFound("no ISGW call " + op));
}

}  // namespace ccow::isgw
