// S3 object operations: Put (with Content-MD5 and payload-hash checks), Copy, Get/Head
// (ranges, conditional requests), Delete (versioned and not), DeleteObjects, tagging.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "core/hash.h"
#include "gateway/s3/aws_chunked.h"
#include "gateway/s3/s3_checksum.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_parts.h"
#include "gateway/s3/s3_object_util.h"
#include "gateway/s3/s3_xml.h"

namespace ccow::s3 {

constexpr uint64_t kMaxSinglePut = 5ull << 30;  // S3's limit for one PUT

Result<std::unique_ptr<ByteSource>> S3Handler::RequestBody(RequestContext& ctx, uint64_t* length,
                                                           AwsChunkedSource** chunked) {
  const HttpRequest& req = ctx.req;
  if (!req.content_length && !req.chunked_transfer)
    return Status::InvalidArgument("MissingContentLength: You must provide the Content-Length HTTP header.");
  ChunkedMode mode;
  std::unique_ptr<ByteSource> source;
  auto* raw = &ctx.ex.body();
  if (ParseChunkedMode(ctx.auth.payload_hash, &mode)) {
    const std::string* decoded = req.Header("x-amz-decoded-content-length");
    if (!decoded)
      return Status::InvalidArgument(
          "MissingContentLength: aws-chunked uploads need x-amz-decoded-content-length");
    uint64_t n = 0;
    try {
      n = std::stoull(*decoded);
    } catch (...) {
      return Status::InvalidArgument("InvalidArgument: bad x-amz-decoded-content-length");
    }
    *length = n;
    auto decoder = std::make_unique<AwsChunkedSource>(*raw, mode, ctx.auth, n);
    if (chunked) *chunked = decoder.get();
    source = std::move(decoder);
  } else {
    *length = req.content_length.value_or(0);
    source = std::make_unique<VerifyingSource>(*raw, ctx.auth.payload_hash, *length,
                                               req.content_length.has_value());
  }
  return std::unique_ptr<ByteSource>(
      std::make_unique<CountingSource>(std::move(source), &bytes_in_));
}

Result<std::unique_ptr<ByteSource>> S3Handler::UploadBody(RequestContext& ctx, uint64_t max_size,
                                                          const char* too_large, PutOptions* opts) {
  std::string expected_md5;
  S3Error e = ContentMd5(ctx.req, &expected_md5);
  if (!e.ok()) return Status::InvalidArgument(e.code + ": " + e.message);
  CCOW_ASSIGN_OR_RETURN(RequestedChecksum checksum, ChecksumFromHeaders(ctx.req));
  uint64_t length = 0;
  AwsChunkedSource* chunked = nullptr;
  CCOW_ASSIGN_OR_RETURN(auto body, RequestBody(ctx, &length, &chunked));
  if (length > max_size) return Status::InvalidArgument(std::string("EntityTooLarge: ") + too_large);
  std::shared_ptr<Checksummer> sum(Checksummer::Create(checksum.algo));
  if (sum) body = std::make_unique<ChecksumSource>(std::move(body), sum.get());
  opts->stream_sha256 = SignedBodySha256(ctx.auth.payload_hash);
  // Transfer-Encoding: chunked without aws-chunked framing carries no length to check.
  bool length_known = ctx.req.content_length.has_value() ||
                      ctx.req.Header("x-amz-decoded-content-length") != nullptr;
  opts->before_commit = [length_known, length, expected_md5, checksum, sum, chunked](VersionManifest& vm) -> Status {
    if (length_known && vm.size != length)
      return Status::InvalidArgument("IncompleteBody: The request body terminated unexpectedly");
    if (!expected_md5.empty() && vm.etag != expected_md5)
      return Status::InvalidArgument(
          "BadDigest: The Content-MD5 you specified did not match what we received.");
    if (sum) {
      // The source has reported its end, so the sum covers every byte, and an aws-chunked
      // body's trailers have been read and verified.
      std::string want = checksum.expected;
      if (checksum.in_trailer) {
        const std::string* t = chunked ? chunked->Trailer(ChecksumHeader(checksum.algo)) : nullptr;
        auto raw = t ? Base64Decode(*t) : std::nullopt;
        if (!raw)
          return Status::InvalidArgument("InvalidRequest: x-amz-trailer announced " + ChecksumHeader(checksum.algo) +
                                         ", which the body's trailer did not carry");
        want = *raw;
      }
      std::string got = sum->Final();
      if (got != want)
        return Status::InvalidArgument(std::string("BadDigest: The ") + ChecksumName(checksum.algo) +
                                       " you specified did not match the calculated checksum.");
      vm.checksum = {checksum.algo, false, 0, std::move(got)};
    }
    return Status::OK();
  };
  return body;
}

Status S3Handler::ReadSmallBody(RequestContext& ctx, std::string* body) {
  uint64_t length = 0;
  body->clear();
  if (!ctx.req.content_length && !ctx.req.chunked_transfer) return Status::OK();
  CCOW_ASSIGN_OR_RETURN(auto source, RequestBody(ctx, &length));
  char buf[16384];
  for (;;) {
    CCOW_ASSIGN_OR_RETURN(size_t n, source->Read(buf, sizeof buf));
    if (n == 0) break;
    body->append(buf, n);
    if (body->size() > kMaxXmlBody)
      return Status::InvalidArgument("MalformedXML: the request body is larger than 1 MiB");
  }
  return Status::OK();
}

void S3Handler::ObjectRequest(RequestContext& ctx, const BucketInfo& bucket) {
  const HttpRequest& req = ctx.req;
  const std::string& m = req.method;
  bool version = req.HasQuery("versionId");
  // What needs no version to decide is authorized here; reads, tags and ACLs once the
  // version (its owner, ACL and tags) is known.
  auto allowed = [&](AccessCheck check) {
    S3Error e = Authorize(ctx, bucket, check);
    if (!e.ok()) SendError(ctx, e);
    return e.ok();
  };
  const AccessCheck kWrite{"s3:PutObject", AclScope::kBucket, kPermWrite};
  if (bucket.record.file_volume) return FileObjectRequest(ctx, bucket);
  if (req.HasQuery("uploadId")) {
    if (m == "PUT") return allowed(kWrite) ? UploadPart(ctx, bucket) : void();
    if (m == "POST") return allowed(kWrite) ? CompleteMultipartUpload(ctx, bucket) : void();
    if (m == "DELETE")
      return allowed({"s3:AbortMultipartUpload", AclScope::kBucket, kPermWrite}) ? AbortMultipartUpload(ctx, bucket)
                                                                                 : void();
    if (m == "GET")
      return allowed({"s3:ListMultipartUploadParts", AclScope::kBucket, kPermRead}) ? ListParts(ctx, bucket) : void();
  }
  if (req.HasQuery("uploads") && m == "POST") return allowed(kWrite) ? CreateMultipartUpload(ctx, bucket) : void();
  if (req.HasQuery("tagging")) return ObjectTagging(ctx, bucket);
  if (req.HasQuery("acl")) return ObjectAclRequest(ctx, bucket);
  if (req.HasQuery("retention")) return ObjectLockRequest(ctx, bucket, /*legal_hold=*/false);
  if (req.HasQuery("legal-hold")) return ObjectLockRequest(ctx, bucket, /*legal_hold=*/true);
  if (m == "PUT") {
    if (!allowed(kWrite)) return;
    if (const std::string* src = req.Header("x-amz-copy-source")) return CopyObject(ctx, bucket, *src);
    return PutObject(ctx, bucket);
  }
  if (req.HasQuery("attributes")) {
    if (m == "GET") return GetObjectAttributes(ctx, bucket);
    return SendError(ctx, MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource."));
  }
  if (m == "GET") return GetObject(ctx, bucket, false);
  if (m == "HEAD") return GetObject(ctx, bucket, true);
  if (m == "DELETE") {
    if (!allowed({version ? "s3:DeleteObjectVersion" : "s3:DeleteObject", AclScope::kBucket, kPermWrite})) return;
    return DeleteObject(ctx, bucket);
  }
  SendError(ctx, MakeError(405, "MethodNotAllowed",
                           "The specified method is not allowed against this resource."));
}

std::optional<ObjectInfo> S3Handler::VersionForSubresource(RequestContext& ctx, const BucketInfo& bucket,
                                                          VersionSelector* which) {
  S3Error e = VersionSelectorFromQuery(ctx.req, bucket.versioned(), which);
  if (!e.ok()) {
    SendError(ctx, e);
    return std::nullopt;
  }
  bool by_version = which->generation || which->null_version;
  auto info = api_->Stat(ObjectName(ctx), *which);
  if (!info.ok()) {
    S3Error err = ErrorFromStatus(info.status(), by_version ? "NoSuchVersion" : "NoSuchKey");
    SendError(ctx, info.status().IsNotFound() ? MissingObjectError(ctx, bucket, err) : err);
    return std::nullopt;
  }
  if (info->flags & VersionManifest::kFlagDeleteMarker) {
    SendError(ctx, by_version
                       ? MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
                       : MissingObjectError(ctx, bucket, MakeError(404, "NoSuchKey", "The specified key does not exist.")));
    return std::nullopt;
  }
  return std::move(*info);
}

void S3Handler::PutObject(RequestContext& ctx, const BucketInfo& bucket) {
  PutOptions opts;
  S3Error e = MetadataFromHeaders(ctx.req, &opts);
  if (e.ok()) e = WriteConditionFromHeaders(ctx.req, /*is_delete=*/false, &opts.condition);
  if (e.ok()) e = ApplyObjectAcl(ctx, bucket, &opts);
  if (e.ok()) e = ApplyObjectLock(ctx, bucket, &opts);
  SseRequest sse;
  if (e.ok()) e = ApplyEncryption(ctx, bucket, &opts, &sse);
  if (!e.ok()) return SendError(ctx, e);
  auto body = UploadBody(ctx, kMaxSinglePut,
                         "Your proposed upload exceeds the maximum allowed size "
                         "(5 GiB for one PUT; use multipart).",
                         &opts);
  if (!body.ok()) return SendError(ctx, ErrorFromStatus(body.status()));
  Status quota = ApplyBucketPolicy(bucket, ctx.req.content_length.value_or(0), &opts);
  if (!quota.ok()) return SendError(ctx, ErrorFromStatus(quota));
  // A never-versioned bucket replaces; a suspended one replaces only its "null" version,
  // keeping those made while versioning was on.
  opts.slot = SlotForVersioning(bucket.versioned(), bucket.versioning_enabled());
  auto info = api_->Put(ObjectName(ctx), **body, opts);
  if (!info.ok()) return SendError(ctx, ErrorFromStatus(info.status()));
  if (bucket.record.quota_bytes) ForgetUsage(bucket);
  HeaderList h{{"ETag", Quoted(info->etag)}, {"Content-Length", "0"}};
  if (bucket.versioning_enabled())
    h.emplace_back("x-amz-version-id", S3VersionId(true, VersionRef::Of(info->generation, info->uvid), false));
  AddChecksumHeaders(info->checksum, &h);
  AddSseHeaders(info->encryption, sse, &h);
  SendEmpty(ctx, 200, h);
}

S3Error S3Handler::OpenCopySource(RequestContext& ctx, const std::string& header, OpenedSource* out) {
  CopySource& src = out->source;
  S3Error e = ParseCopySource(header, &src);
  if (!e.ok()) return e;
  auto src_bucket = buckets_.Resolve(ctx.requester.account, src.bucket);
  if (!src_bucket.ok()) return ErrorFromStatus(src_bucket.status(), "NoSuchBucket");
  out->bucket = std::move(*src_bucket);
  if (out->bucket.record.file_volume)
    return MakeError(501, "NotImplemented",
                     "Bucket " + src.bucket + " is a file volume: copying one of its files is not supported yet (GET it "
                     "and PUT it).");
  out->name = buckets_.BucketPath(out->bucket.tenant, src.bucket) + "/" + src.key;
  if (!out->bucket.versioned()) src.which.null_version = false;  // "null" is its only version
  // The source is read as the requester: its policy and ACLs apply, under its own key.
  RequestContext src_ctx{ctx.ex, ctx.req, ctx.auth, ctx.requester, out->bucket.tenant, src.bucket, src.key,
                         ctx.request_id, {}, {}, out->bucket.tenant, {}, ctx.started_ns};
  auto info = api_->Stat(out->name, src.which);
  if (!info.ok() || (info->flags & VersionManifest::kFlagDeleteMarker))
    return info.ok() || info.status().IsNotFound()
               ? MissingObjectError(src_ctx, out->bucket, MakeError(404, "NoSuchKey", "The specified key does not exist."))
               : ErrorFromStatus(info.status());
  out->info = std::move(*info);
  e = Authorize(src_ctx, out->bucket,
                {src.which.generation ? "s3:GetObjectVersion" : "s3:GetObject", AclScope::kObject, kPermRead},
                &out->info);
  if (e.ok()) e = CheckConditions(ctx.req, out->info, /*copy_source=*/true);
  SseRequest src_sse;
  if (e.ok()) e = ParseSseHeaders(ctx.req, /*copy_source=*/true, &src_sse);
  if (e.ok()) e = OpenObjectKey(ctx, out->info.encryption, src_sse, &out->cipher);
  return e;
}

void S3Handler::CopyObject(RequestContext& ctx, const BucketInfo& bucket, const std::string& source) {
  OpenedSource opened;
  S3Error e = OpenCopySource(ctx, source, &opened);
  if (!e.ok()) return SendError(ctx, e);
  const CopySource& src = opened.source;
  const std::string& src_name = opened.name;
  const ObjectInfo* info = &opened.info;
  const BucketInfo* src_bucket = &opened.bucket;

  PutOptions opts;
  const std::string* directive = ctx.req.Header("x-amz-metadata-directive");
  bool replace = directive && *directive == "REPLACE";
  if (directive && *directive != "REPLACE" && *directive != "COPY")
    return SendError(ctx, MakeError(400, "InvalidArgument", "Unknown metadata directive."));
  if (replace) {
    e = MetadataFromHeaders(ctx.req, &opts);
    if (!e.ok()) return SendError(ctx, e);
  } else {
    opts.content_type = info->content_type;
    opts.user_metadata = info->user_metadata;
    // Not the source's: a copy is STANDARD (its bucket's default) unless it names one.
    e = StorageClassFromHeaders(ctx.req, &opts.storage_class);
    if (!e.ok()) return SendError(ctx, e);
  }
  // A copy gets its own ACL, never the source's (as in AWS).
  e = ApplyObjectAcl(ctx, bucket, &opts);
  if (e.ok()) e = ApplyObjectLock(ctx, bucket, &opts);  // never the source's lock, as in AWS
  // The copy is encrypted as its request or its bucket says, never as the source was.
  SseRequest sse;
  if (e.ok()) e = ApplyEncryption(ctx, bucket, &opts, &sse);
  if (!e.ok()) return SendError(ctx, e);
  const std::string* tag_directive = ctx.req.Header("x-amz-tagging-directive");
  if (tag_directive && *tag_directive == "REPLACE") {
    opts.user_metadata.erase("x-amz-tagging");
    if (const std::string* t = ctx.req.Header("x-amz-tagging")) opts.user_metadata["x-amz-tagging"] = *t;
  } else if (replace) {
    auto it = info->user_metadata.find("x-amz-tagging");
    if (it != info->user_metadata.end()) opts.user_metadata[it->first] = it->second;
  }
  std::string dest = ObjectName(ctx);
  if (dest == src_name && !replace && !src.which.generation && !src.which.null_version &&
      sse.kind == SseRequest::Kind::kNone && !ctx.req.Header("x-amz-storage-class"))
    return SendError(ctx, MakeError(400, "InvalidRequest",
                                    "This copy request is illegal because it is trying to copy an "
                                    "object to itself without changing the object's metadata, "
                                    "storage class, website redirect location or encryption "
                                    "attributes."));
  opts.slot = SlotForVersioning(bucket.versioned(), bucket.versioning_enabled());  // as in PutObject
  Status quota = ApplyBucketPolicy(bucket, info->size, &opts);
  if (!quota.ok()) return SendError(ctx, ErrorFromStatus(quota));
  // The copy's checksum, of x-amz-checksum-algorithm's algorithm or else the source's: the
  // source's own when it is a whole-object checksum of that algorithm, else computed from
  // the bytes copied (a composite one cannot be: a copy is one part).
  ChecksumAlgo sum_algo = info->checksum.algo;
  if (const std::string* a = ctx.req.Header("x-amz-checksum-algorithm")) {
    sum_algo = ChecksumAlgoFromName(*a);
    if (sum_algo == ChecksumAlgo::kNone)
      return SendError(ctx, MakeError(400, "InvalidRequest", "Value for x-amz-checksum-algorithm header is invalid."));
  }
  const bool keep_sum = sum_algo != ChecksumAlgo::kNone && sum_algo == info->checksum.algo && !info->checksum.composite;
  std::shared_ptr<Checksummer> sum(keep_sum ? nullptr : Checksummer::Create(sum_algo));
  if (!keep_sum) opts.user_metadata.erase(kPartChecksumsKey);  // of another checksum
  if (sum_algo != ChecksumAlgo::kNone) CommitChecksum(sum, keep_sum ? info->checksum : ObjectChecksum{}, &opts);
  VersionSelector exact;
  exact.generation = info->generation;
  KeyResolver src_keys = OpenedKey(&opened.cipher);
  // The copy references the source's chunks (no byte moves) when it may keep the
  // source's data key: both unencrypted, or both under the segment's master keys (SSE-S3).
  // Otherwise its bytes are read, opened and sealed again under the copy's own key.
  using Source = ObjectEncryption::KeySource;
  const bool reuse = opts.encryption ? opts.encryption->record.source == Source::kMasterKey &&
                                           info->encryption.source == Source::kMasterKey
                                     : info->encryption.empty();
  Result<ObjectInfo> copied = Status::Internal("not copied");
  if (reuse) {
    opts.encryption.reset();  // Compose keeps the source's
    if (sum) {
      // No byte moves for the copy itself, but a new checksum needs them all read once.
      ChecksumSink summed(sum.get());
      Status read = api_->Get(src_name, exact, std::nullopt, summed, nullptr, &src_keys);
      if (!read.ok()) return SendError(ctx, ErrorFromStatus(read));
    }
    copied = api_->Compose(dest, {ComposePart{src_name, exact}}, opts, info->etag);
  } else {
    std::unique_ptr<ByteSource> bytes =
        std::make_unique<VersionRangeSource>(*api_, src_name, exact, 0, info->size, &src_keys);
    if (sum) bytes = std::make_unique<ChecksumSource>(std::move(bytes), sum.get());
    copied = api_->Put(dest, *bytes, opts);
  }
  if (!copied.ok()) return SendError(ctx, ErrorFromStatus(copied.status()));
  XmlWriter w;
  w.Open("CopyObjectResult", true);
  w.Element("LastModified", IsoDate(copied->uvid.timestamp_ns));
  w.Element("ETag", Quoted(copied->etag));
  WriteChecksumElements(copied->checksum, /*with_type=*/true, w);
  HeaderList h;
  if (bucket.versioning_enabled())
    h.emplace_back("x-amz-version-id", S3VersionId(true, VersionRef::Of(copied->generation, copied->uvid), false));
  if (src_bucket->versioned())
    h.emplace_back("x-amz-copy-source-version-id", S3VersionId(true, *info));
  AddSseHeaders(copied->encryption, sse, &h);
  SendXml(ctx, 200, w.Finish(), h);
}

namespace {

// Forwards the object's bytes to the response once on_open has started it.
class ForwardSink : public ByteSink {
 public:
  explicit ForwardSink(std::atomic<uint64_t>* counter) : counter_(counter) {}
  Status Write(std::string_view data) override {
    *counter_ += data.size();
    return target->Write(data);
  }
  ByteSink* target = nullptr;

 private:
  std::atomic<uint64_t>* counter_;
};

}  // namespace

void S3Handler::GetObject(RequestContext& ctx, const BucketInfo& bucket, bool head) {
  VersionSelector which;
  S3Error e = VersionSelectorFromQuery(ctx.req, bucket.versioned(), &which);
  if (!e.ok()) return SendError(ctx, e);
  std::optional<uint32_t> part_number;
  if (const std::string* p = ctx.req.Query("partNumber")) {
    uint32_t n = 0;
    e = ParsePartNumber(*p, &n);
    if (e.ok() && ctx.req.Header("range"))
      e = MakeError(400, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter");
    if (!e.ok()) return SendError(ctx, e);
    part_number = n;
  }
  SseRequest sse;
  e = ParseSseHeaders(ctx.req, /*copy_source=*/false, &sse);
  if (!e.ok()) return SendError(ctx, e);
  std::shared_ptr<const ChunkCipher> cipher;  // opened in on_open, before any byte is sent
  KeyResolver keys = OpenedKey(&cipher);
  S3Error deferred;
  HeaderList deferred_headers;
  bool started = false;
  ForwardSink sink(&bytes_out_);
  auto on_open = [&](const ObjectInfo& info) -> Result<std::optional<ByteRange>> {
    // Answered from the version alone: a zero-length range reads nothing.
    auto stop = [&](S3Error err, HeaderList h = {}) -> Result<std::optional<ByteRange>> {
      deferred = std::move(err);
      deferred_headers = std::move(h);
      return std::optional<ByteRange>(ByteRange{0, 0});
    };
    std::string version_id = S3VersionId(bucket.versioned(), info);
    if (info.flags & VersionManifest::kFlagDeleteMarker) {
      HeaderList h{{"x-amz-delete-marker", "true"}, {"x-amz-version-id", version_id}};
      if (which.generation)
        return stop(MakeError(405, "MethodNotAllowed",
                              "The specified method is not allowed against this resource."),
                    h);
      S3Error missing = MissingObjectError(ctx, bucket, MakeError(404, "NoSuchKey", "The specified key does not exist."));
      return stop(missing, missing.http_status == 404 ? h : HeaderList{});
    }
    S3Error denied = Authorize(ctx, bucket,
                               {which.generation ? "s3:GetObjectVersion" : "s3:GetObject", AclScope::kObject, kPermRead},
                               &info);
    if (!denied.ok()) return stop(denied);
    S3Error key_error = OpenObjectKey(ctx, info.encryption, sse, &cipher);
    if (!key_error.ok()) return stop(key_error);
    S3Error cond = CheckConditions(ctx.req, info, false);
    if (!cond.ok()) {
      if (cond.http_status == 304)
        return stop(cond, {{"ETag", Quoted(info.etag)},
                           {"Last-Modified", HttpDate(info.uvid.timestamp_ns)}});
      return stop(cond);
    }
    HeaderList h = ResponseHeaders(ctx.req, info);
    AddSseHeaders(info.encryption, sse, &h);
    // As AWS: named for every class but STANDARD.
    if (std::string c = StorageClassOf(bucket, info.storage_class); c != "STANDARD")
      h.emplace_back("x-amz-storage-class", c);
    if (bucket.versioned()) h.emplace_back("x-amz-version-id", version_id);
    for (auto& x : ctx.extra_headers) h.push_back(x);
    h.emplace_back("x-amz-request-id", ctx.request_id);
    std::optional<ByteRange> range;
    int status = 200;
    uint64_t length = info.size;
    bool single_part = false;  // ?partNumber=1 of a version no multipart upload made
    if (part_number) {
      // A part of the upload that made the version (the whole of any other version is
      // its part 1): 206 with the part's span, and the count of parts when there are.
      auto sizes = PartSizesOf(info.user_metadata);
      PartSpan span;
      S3Error bad = PartOf(sizes, info.size, *part_number, &span);
      if (!bad.ok()) return stop(bad);
      if (!sizes.empty()) h.emplace_back("x-amz-mp-parts-count", std::to_string(sizes.size()));
      single_part = sizes.empty();
      if (span.length > 0) {
        range = ByteRange{span.offset, span.length};
        length = span.length;
        status = 206;
        h.emplace_back("Content-Range", "bytes " + std::to_string(span.offset) + "-" +
                                            std::to_string(span.offset + span.length - 1) + "/" +
                                            std::to_string(info.size));
      }
    } else if (const std::string* r = ctx.req.Header("range")) {
      auto parsed = ParseRange(*r, info.size);
      if (parsed.unsatisfiable)
        return stop(MakeError(416, "InvalidRange", "The requested range is not satisfiable"),
                    {{"Content-Range", "bytes */" + std::to_string(info.size)}});
      if (parsed.range) {
        range = parsed.range;
        length = *range->length;
        status = 206;
        h.emplace_back("Content-Range", "bytes " + std::to_string(range->offset) + "-" +
                                            std::to_string(range->offset + length - 1) + "/" +
                                            std::to_string(info.size));
      }
    }
    // A stored checksum covers the whole object: returned when asked, and not for a range.
    // A part (?partNumber=) has its own where the upload's parts had checksums.
    const std::string* mode = ctx.req.Header("x-amz-checksum-mode");
    if (mode && (*mode == "ENABLED" || *mode == "enabled")) {
      if (!range || single_part) {
        AddChecksumHeaders(info.checksum, &h);
      } else if (part_number) {
        if (auto sum = PartChecksumOf(info.user_metadata, info.checksum, *part_number)) AddChecksumHeaders(*sum, &h);
      }
    }
    if (head) {
      h.emplace_back("Content-Length", std::to_string(length));
      (void)ctx.ex.Respond(status, h, "");
      started = true;
      return stop(S3Error::None());
    }
    auto out = ctx.ex.StartResponse(status, h, length);
    if (!out.ok()) return out.status();
    started = true;
    sink.target = *out;
    if (length == 0) return stop(S3Error::None());  // nothing to read
    if (!range) range = ByteRange{0, info.size};
    return range;
  };
  Status st = ReadKey(ctx, bucket, which, on_open, sink, &keys);
  if (started) {
    if (st.ok() && sink.target) {
      (void)ctx.ex.FinishResponse();
    } else if (!st.ok()) {
      // The status line is gone; closing the connection short of Content-Length is how
      // the client learns the body is incomplete.
      spdlog::warn("s3 GET {}: failed after the response started: {}", ctx.req.target,
                   st.ToString());
    }
    return;
  }
  if (!deferred.ok()) return SendError(ctx, deferred, deferred_headers);
  if (st.IsNotFound())
    return SendError(ctx, MissingObjectError(ctx, bucket, ErrorFromStatus(st, which.generation ? "NoSuchVersion" : "NoSuchKey")));
  if (!st.ok()) SendError(ctx, ErrorFromStatus(st));
}

void S3Handler::DeleteObject(RequestContext& ctx, const BucketInfo& bucket) {
  VersionSelector which;
  S3Error e = VersionSelectorFromQuery(ctx.req, bucket.versioned(), &which);
  if (!e.ok()) return SendError(ctx, e);
  WriteCondition condition;
  e = WriteConditionFromHeaders(ctx.req, /*is_delete=*/true, &condition);
  if (!e.ok()) return SendError(ctx, e);
  std::string name = ObjectName(ctx);
  HeaderList h;
  if (ctx.req.HasQuery("versionId")) {
    auto vl = api_->Versions(name);
    if (!condition.empty() && !(vl.ok() && vl->Resolve(which).ok()))
      return SendError(ctx, MakeError(404, "NoSuchVersion", "The specified version does not exist."));
    if (vl.ok()) {
      auto entry = vl->Resolve(which);
      if (entry.ok()) {
        // A version never changes: its ETag checked now holds when it is deleted.
        if (condition.etag && *condition.etag != entry->etag)
          return SendError(ctx, ErrorFromStatus(Status::FailedPrecondition("ETag does not match")));
        Status st = api_->Delete(name, VersionRef::Of(*entry), {}, !entry->lock.empty() && BypassGovernance(ctx, bucket));
        if (!st.ok() && !st.IsNotFound()) return SendError(ctx, ErrorFromStatus(st));
        if (entry->is_delete_marker()) h.emplace_back("x-amz-delete-marker", "true");
      }
    }
    h.emplace_back("x-amz-version-id", *ctx.req.Query("versionId"));
    return SendEmpty(ctx, 204, h);
  }
  if (bucket.versioned()) {
    // Suspended: the marker is the null version, replacing the previous one.
    auto marker = api_->PutDeleteMarker(name, condition, SlotForVersioning(true, bucket.versioning_enabled()));
    if (!marker.ok()) return SendError(ctx, ErrorFromStatus(marker.status()));
    h.emplace_back("x-amz-delete-marker", "true");
    h.emplace_back("x-amz-version-id", S3VersionId(true, *marker));
    return SendEmpty(ctx, 204, h);
  }
  Status st = api_->Delete(name, std::nullopt, condition);
  // Deleting what is not there succeeds in S3, unless a condition asked for it.
  if (!st.ok() && (!st.IsNotFound() || !condition.empty()))
    return SendError(ctx, ErrorFromStatus(st, "NoSuchKey"));
  SendEmpty(ctx, 204);
}

void S3Handler::DeleteObjects(RequestContext& ctx, const BucketInfo& bucket) {
  std::shared_ptr<fs::SharedVolume> files;  // a file volume bucket's, checkpointed once at the end
  if (bucket.record.file_volume) {
    auto served = ServedVolume(bucket);
    if (!served.ok()) return SendError(ctx, ErrorFromStatus(served.status()));
    files = std::move(*served);
  }
  std::string body;
  Status st = ReadSmallBody(ctx, &body);
  if (!st.ok()) return SendError(ctx, ErrorFromStatus(st));
  bool quiet = false;
  std::vector<ObjectToDelete> objects;
  S3Error e = ParseDelete(body, &quiet, &objects);
  if (!e.ok()) return SendError(ctx, e);
  XmlWriter w;
  w.Open("DeleteResult", true);
  for (const auto& obj : objects) {
    std::string name = buckets_.BucketPath(ctx.tenant, ctx.bucket) + "/" + obj.key;
    Status result;
    std::string marker_version;
    bool was_marker = false;
    RequestContext key_ctx{ctx.ex,        ctx.req,    ctx.auth,         ctx.requester, ctx.tenant, ctx.bucket, obj.key,
                           ctx.request_id, {},         ctx.logging,      ctx.bucket_owner, {},  ctx.started_ns};
    S3Error denied = obj.key.empty() ? S3Error::None()
                                     : Authorize(key_ctx, bucket,
                                                 {obj.version_id.empty() ? "s3:DeleteObject" : "s3:DeleteObjectVersion",
                                                  AclScope::kBucket, kPermWrite});
    if (!denied.ok()) {
      w.Open("Error");
      w.Element("Key", obj.key);
      if (!obj.version_id.empty()) w.Element("VersionId", obj.version_id);
      w.Element("Code", denied.code);
      w.Element("Message", denied.message);
      w.Close();
      continue;
    }
    if (obj.key.empty() || obj.key.size() > 1024) {
      result = Status::InvalidArgument("invalid key");
    } else if (files) {
      result = obj.version_id.empty() || obj.version_id == "null"
                   ? RemoveFile(*files, obj.key, /*checkpoint=*/false)
                   : Status::InvalidArgument("a file of a file volume has one version, \"null\"");
    } else if (!obj.version_id.empty()) {
      VersionSelector which;
      if (!ParseVersionId(obj.version_id, bucket.versioned(), &which).ok())
        result = Status::InvalidArgument("Invalid version id specified");
      if (result.ok()) {
        auto vl = api_->Versions(name);
        if (vl.ok()) {
          auto entry = vl->Resolve(which);
          if (entry.ok()) {
            was_marker = entry->is_delete_marker();
            result = api_->Delete(name, VersionRef::Of(*entry), {},
                                  !entry->lock.empty() && BypassGovernance(key_ctx, bucket));
          }
        }
      }
    } else if (bucket.versioned()) {
      auto marker = api_->PutDeleteMarker(name, {}, SlotForVersioning(true, bucket.versioning_enabled()));
      result = marker.status();
      if (marker.ok()) marker_version = S3VersionId(true, *marker);
    } else {
      result = api_->Delete(name, std::nullopt);
    }
    if (result.IsNotFound()) result = Status::OK();
    if (!result.ok()) {
      S3Error err = ErrorFromStatus(result);
      w.Open("Error");
      w.Element("Key", obj.key);
      if (!obj.version_id.empty()) w.Element("VersionId", obj.version_id);
      w.Element("Code", err.code);
      w.Element("Message", err.message);
      w.Close();
      continue;
    }
    if (quiet) continue;
    w.Open("Deleted");
    w.Element("Key", obj.key);
    if (!obj.version_id.empty()) w.Element("VersionId", obj.version_id);
    if (was_marker) w.Element("DeleteMarker", "true");
    if (!marker_version.empty()) {
      w.Element("DeleteMarker", "true");
      w.Element("DeleteMarkerVersionId", marker_version);
    }
    w.Close();
  }
  if (files) {
    std::lock_guard lock(files->mu);
    auto done = files->volume->Checkpoint();
    if (!done.ok()) return SendError(ctx, ErrorFromStatus(done.status()));
  }
  SendXml(ctx, 200, w.Finish());
}

void S3Handler::ObjectTagging(RequestContext& ctx, const BucketInfo& bucket) {
  VersionSelector which;
  S3Error e = VersionSelectorFromQuery(ctx.req, bucket.versioned(), &which);
  if (!e.ok()) return SendError(ctx, e);
  std::string name = ObjectName(ctx);
  auto info = api_->Stat(name, which);
  if (!info.ok() || (info->flags & VersionManifest::kFlagDeleteMarker)) {
    S3Error err = info.ok() || info.status().IsNotFound()
                      ? MissingObjectError(ctx, bucket, MakeError(404, "NoSuchKey", "The specified key does not exist."))
                      : ErrorFromStatus(info.status());
    return SendError(ctx, err);
  }
  const std::string& m = ctx.req.method;
  const char* action = m == "GET" ? "s3:GetObjectTagging" : m == "PUT" ? "s3:PutObjectTagging" : "s3:DeleteObjectTagging";
  e = Authorize(ctx, bucket, {action, AclScope::kObject, 0}, &*info);
  if (!e.ok()) return SendError(ctx, e);
  if (m == "GET") {
    auto it = info->user_metadata.find("x-amz-tagging");
    std::vector<std::pair<std::string, std::string>> tags;
    if (it != info->user_metadata.end()) tags = ParseTagQuery(it->second);
    return SendXml(ctx, 200, TaggingXml(tags));
  }
  // Versions are immutable, so new tags make a new version sharing every chunk of the
  // old one (in an unversioned bucket the old one goes to the quarantine as usual).
  PutOptions opts;
  opts.content_type = info->content_type;
  opts.user_metadata = info->user_metadata;
  if (m == "PUT") {
    std::string body;
    Status st = ReadSmallBody(ctx, &body);
    if (!st.ok()) return SendError(ctx, ErrorFromStatus(st));
    std::vector<std::pair<std::string, std::string>> tags;
    e = ParseTagging(body, 10, &tags);
    if (!e.ok()) return SendError(ctx, e);
    opts.user_metadata["x-amz-tagging"] = TagQuery(tags);
  } else if (m == "DELETE") {
    opts.user_metadata.erase("x-amz-tagging");
  } else {
    return SendError(ctx, MakeError(405, "MethodNotAllowed", "The specified method is not allowed"));
  }
  if (which.generation || which.null_version) {
    // The new version becomes the latest: for a noncurrent version (or one under a delete
    // marker) that would silently roll the object back to it, so refuse instead.
    auto latest = api_->Stat(name, {});
    if (!latest.ok() || latest->generation != info->generation)
      return SendError(ctx, MakeError(501, "NotImplemented",
                                      "ccow cannot change the tags of a noncurrent version."));
  }
  opts.slot = SlotForRewrite(bucket.versioned(), info->null_version);
  opts.lock = info->lock;  // the new current version keeps the object's Object Lock
  opts.storage_class = info->storage_class;  // and its storage class
  VersionSelector exact;
  exact.generation = info->generation;
  auto updated = api_->Compose(name, {ComposePart{name, exact}}, opts, info->etag);
  if (!updated.ok()) return SendError(ctx, ErrorFromStatus(updated.status()));
  HeaderList h;
  if (bucket.versioned())
    h.emplace_back("x-amz-version-id", S3VersionId(true, *updated));
  SendEmpty(ctx, m == "DELETE" ? 204 : 200, h);
}

}  // namespace ccow::s3
