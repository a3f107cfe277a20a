// Server access logging in the gateway: a bucket's ?logging subresource, the record of
// each request to a logging bucket (spooled as its answer starts), and the delivery of
// spooled records as log objects into their target buckets.
#include <spdlog/spdlog.h>

#include "cluster/master_keys.h"
#include "gateway/s3/s3_encryption.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_util.h"

namespace ccow::s3 {

void S3Handler::BucketLoggingRequest(RequestContext& ctx, const BucketInfo& bucket) {
  const std::string& m = ctx.req.method;
  if (m == "GET") {
    if (bucket.record.logging_xml.empty()) return SendXml(ctx, 200, BucketLoggingStatusXml(std::nullopt));
    return SendXml(ctx, 200, bucket.record.logging_xml);
  }
  if (m != "PUT")
    return SendError(ctx, MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource."));
  std::string body;
  Status read = ReadSmallBody(ctx, &body);
  if (!read.ok()) return SendError(ctx, ErrorFromStatus(read));
  std::optional<BucketLogging> logging;
  S3Error e = ParseBucketLoggingStatus(body, &logging);
  if (!e.ok()) return SendError(ctx, e);
  if (logging) {
    if (!access_log_)
      return SendError(ctx, MakeError(501, "NotImplemented", "This gateway has no access log spool (--access-log-spool)."));
    auto target = buckets_.Resolve(bucket.tenant, logging->target_bucket);
    if (!target.ok())
      return SendError(ctx, MakeError(400, "InvalidTargetBucketForLogging", "The target bucket for logging does not exist"));
    // Log objects are written as the target's owner; only a bucket's own owner may send
    // its logs there (AWS's rule before bucket policies could grant the log service).
    if (target->tenant != bucket.tenant)
      return SendError(ctx, MakeError(400, "InvalidTargetBucketForLogging",
                                      "The owner for the bucket to be logged and the target bucket must be the same."));
  }
  const std::string stored = logging ? BucketLoggingStatusXml(logging) : std::string();
  Status st = buckets_.Update(ctx.tenant, ctx.bucket, [&](BucketRecord* r) {
    r->logging_xml = stored;
    return Status::OK();
  });
  if (!st.ok()) return SendError(ctx, ErrorFromStatus(st, "NoSuchBucket"));
  SendEmpty(ctx, 200, {{"Content-Length", "0"}});
}

Status S3Handler::LogAccess(RequestContext& ctx, int status, uint64_t bytes_sent) {
  if (!ctx.logging || !access_log_) return Status::OK();
  const HttpRequest& req = ctx.req;
  const uint64_t now = NowNs();
  AccessLogRecord r;
  r.bucket_owner = ctx.bucket_owner;
  r.bucket = ctx.bucket;
  r.time_ns = now;
  r.remote_ip = req.remote_address;
  if (!ctx.auth.anonymous) r.requester = ctx.requester.account;
  r.request_id = ctx.request_id;
  r.operation = AccessLogOperation(req, !ctx.key.empty());
  r.key = ctx.key;
  r.request_uri = req.method + " " + req.target + " HTTP/1.1";
  r.http_status = status;
  r.error_code = ctx.error_code;
  r.bytes_sent = bytes_sent;
  r.total_ms = now > ctx.started_ns ? (now - ctx.started_ns) / 1000000 : 0;
  r.turnaround_ms = r.total_ms;
  auto header = [&](const char* name) {
    const std::string* v = req.Header(name);
    return v ? *v : std::string();
  };
  r.referer = header("referer");
  r.user_agent = header("user-agent");
  if (const std::string* v = req.Query("versionId")) r.version_id = *v;
  if (!ctx.auth.anonymous) {
    r.signature_version = ctx.auth.signature_version == 2 ? "SigV2" : "SigV4";
    r.auth_type = ctx.auth.presigned ? "QueryString" : "AuthHeader";
  }
  r.host_header = header("host");
  if (req.secure) r.tls_version = "TLSv1.2+";
  // The target's owner: the source's own, as PutBucketLogging required.
  AccessLogSpool::Destination to{ctx.bucket_owner, ctx.logging->target_bucket,
                                 AccessLogPrefix(*ctx.logging, ctx.bucket_owner, options_.region, ctx.bucket),
                                 ctx.logging->partitioned};
  Status st = access_log_->Append(to, FormatAccessLogRecord(r));
  if (!st.ok()) spdlog::error("s3 access log: a record of {} could not be spooled: {}", ctx.bucket, st.ToString());
  return st;
}

void S3Handler::FlushAccessLogs() {
  if (!access_log_) return;
  Status st = access_log_->Flush([this](const AccessLogSpool::Destination& to, uint64_t batch_ns,
                                        const std::string& unique, const std::string& body) -> Status {
    auto target = buckets_.Get(to.tenant, to.bucket);
    if (!target.ok()) {
      if (!target.status().IsNotFound()) return target.status();
      // Nowhere to deliver (the target bucket was deleted): AWS drops such logs too.
      spdlog::warn("s3 access log: target bucket {} of tenant {} is gone; {} bytes of records dropped", to.bucket,
                   to.tenant, body.size());
      return Status::OK();
    }
    PutOptions opts;
    opts.content_type = "text/plain";
    opts.policy = PolicyFor(*target);
    opts.slot = SlotForVersioning(target->versioned(), target->versioning_enabled());
    BucketEncryption sse;
    if (!target->record.encryption_xml.empty() && ParseBucketEncryption(target->record.encryption_xml, &sse).ok()) {
      auto key = NewMasterKeyedKey(*registry_, sse.convergent, options_.segment + "/" + to.tenant);
      if (!key.ok()) return key.status();
      opts.encryption = std::move(*key);
    }
    StringSource src(body);
    const std::string name =
        buckets_.BucketPath(to.tenant, to.bucket) + "/" + AccessLogObjectKey(to.prefix, to.partitioned, batch_ns, unique);
    return api_->Put(name, src, opts).status();
  });
  if (!st.ok()) spdlog::warn("s3 access log: delivery incomplete, retried at the next flush: {}", st.ToString());
}

}  // namespace ccow::s3
