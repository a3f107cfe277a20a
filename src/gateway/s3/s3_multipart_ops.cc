// S3 multipart uploads. An upload is a small JSON record under
// SEGMENT/TENANT/.uploads/BUCKET/UPLOAD_ID; each part is an ordinary object under
// SEGMENT/TENANT/.parts/UPLOAD_ID/NNNNN. Completing composes the parts' chunks into the
// final version (ObjectApi::Compose): no part byte is read or copied again.
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "gateway/s3/base64.h"
#include "gateway/s3/s3_checksum.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_parts.h"
#include "gateway/s3/s3_object_util.h"
#include "gateway/s3/s3_xml.h"

namespace ccow::s3 {
namespace {

constexpr uint64_t kMinPartSize = 5ull << 20;  // every part but the last (S3's rule)
constexpr uint64_t kMaxPartSize = 5ull << 30;

std::string NewUploadId() {
  // Time first, so that a listing of one bucket's uploads comes out in initiation order.
  unsigned char rnd[8];
  RAND_bytes(rnd, sizeof rnd);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(NowNs()));
  return std::string(buf) + ToHex(rnd, sizeof rnd);
}

bool ValidUploadId(const std::string& id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string PartKey(int part) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%05d", part);
  return buf;
}

struct UploadRecord {
  std::string key;
  uint64_t initiated_ns = 0;
  PutOptions opts;
  // The upload's encryption, decided when it began: every part is sealed under this one
  // data key, so the completed object can reference their chunks (opts.encryption holds
  // the record only; each part request opens it).
  ObjectEncryption encryption;
  // x-amz-checksum-algorithm with x-amz-checksum-type FULL_OBJECT at creation: the
  // completed object's checksum is the CRC of all its bytes, combined from the parts'.
  ChecksumAlgo full_object_crc = ChecksumAlgo::kNone;
  // x-amz-checksum-algorithm at creation (either type): a part may carry no other.
  ChecksumAlgo checksum_algorithm = ChecksumAlgo::kNone;
};

// The checksum type CreateMultipartUpload asks for: FULL_OBJECT (a CRC of the whole
// object, the only type CRC64NVME has) or COMPOSITE (the default otherwise), with AWS's
// refusals.
S3Error FullObjectCrcFromHeaders(const HttpRequest& req, ChecksumAlgo* out) {
  *out = ChecksumAlgo::kNone;
  const std::string* algo_name = req.Header("x-amz-checksum-algorithm");
  const std::string* type = req.Header("x-amz-checksum-type");
  const ChecksumAlgo algo = algo_name ? ChecksumAlgoFromName(*algo_name) : ChecksumAlgo::kNone;
  if (algo_name && algo == ChecksumAlgo::kNone)
    return MakeError(400, "InvalidRequest", "Value for x-amz-checksum-algorithm header is invalid.");
  if (type && *type != "FULL_OBJECT" && *type != "COMPOSITE")
    return MakeError(400, "InvalidRequest", "Value for x-amz-checksum-type header is invalid.");
  if (type && !algo_name)
    return MakeError(400, "InvalidRequest", "The x-amz-checksum-type header can only be used with the "
                                            "x-amz-checksum-algorithm header.");
  const bool crc = algo == ChecksumAlgo::kCrc32 || algo == ChecksumAlgo::kCrc32c || algo == ChecksumAlgo::kCrc64Nvme;
  const bool full = (type && *type == "FULL_OBJECT") || (!type && algo == ChecksumAlgo::kCrc64Nvme);
  if (full && !crc)
    return MakeError(400, "InvalidRequest", std::string("The FULL_OBJECT checksum type cannot be used with the ") +
                                                ChecksumName(algo) + " checksum algorithm.");
  if (!full && algo == ChecksumAlgo::kCrc64Nvme)
    return MakeError(400, "InvalidRequest", "The COMPOSITE checksum type cannot be used with the CRC64NVME "
                                            "checksum algorithm.");
  if (full) *out = algo;
  return S3Error::None();
}

nlohmann::json EncryptionJson(const ObjectEncryption& e) {
  return {{"source", static_cast<uint8_t>(e.source)},
          {"convergent", e.convergent},
          {"master_key_id", e.master_key_id},
          {"wrapped_key", Base64Encode(e.wrapped_key)}};
}

Status EncryptionFromJson(const nlohmann::json& j, ObjectEncryption* e) {
  if (!j.is_object()) return Status::Corruption("upload record's encryption is not an object");
  const uint8_t source = j.value("source", uint8_t{0});
  if (source != 1 && source != 2) return Status::Corruption("upload record has an unknown encryption key source");
  auto wrapped = Base64Decode(j.value("wrapped_key", ""));
  if (!wrapped) return Status::Corruption("upload record's wrapped key is not base64");
  e->source = static_cast<ObjectEncryption::KeySource>(source);
  e->convergent = j.value("convergent", false);
  e->master_key_id = j.value("master_key_id", uint32_t{0});
  e->wrapped_key = std::move(*wrapped);
  return Status::OK();
}

S3Error NoSuchUpload() {
  return MakeError(404, "NoSuchUpload",
                   "The specified upload does not exist. The upload ID may be invalid, or the "
                   "upload may have been aborted or completed.");
}

Result<UploadRecord> LoadUpload(ObjectApi& api, const std::string& record_name) {
  StringSink sink;
  CCOW_RETURN_IF_ERROR(api.Get(record_name, {}, std::nullopt, sink));
  auto j = nlohmann::json::parse(sink.data(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("upload record is not JSON");
  UploadRecord r;
  r.key = j.value("key", "");
  r.initiated_ns = j.value("initiated_ns", uint64_t{0});
  r.opts.content_type = j.value("content_type", "");
  if (j.contains("metadata") && j["metadata"].is_object())
    for (auto& [k, v] : j["metadata"].items())
      if (v.is_string()) r.opts.user_metadata[k] = v.get<std::string>();
  // The completed version's Object Lock, decided when the upload began.
  if (j.contains("lock_mode")) {
    uint8_t mode = j.value("lock_mode", uint8_t{0});
    if (mode > 2) return Status::Corruption("upload record has an unknown object lock mode");
    r.opts.lock.mode = static_cast<LockMode>(mode);
    r.opts.lock.retain_until_ns = j.value("retain_until_ns", uint64_t{0});
    r.opts.lock.legal_hold = j.value("legal_hold", false);
  }
  if (j.contains("encryption")) CCOW_RETURN_IF_ERROR(EncryptionFromJson(j["encryption"], &r.encryption));
  if (j.contains("checksum_algorithm")) {
    r.checksum_algorithm = ChecksumAlgoFromName(j.value("checksum_algorithm", ""));
    if (r.checksum_algorithm == ChecksumAlgo::kNone) return Status::Corruption("upload record has an unknown checksum");
  }
  if (j.contains("full_object_crc")) {
    r.full_object_crc = ChecksumAlgoFromName(j.value("full_object_crc", ""));
    if (r.full_object_crc == ChecksumAlgo::kNone) return Status::Corruption("upload record has an unknown checksum");
  }
  const uint8_t storage_class = j.value("storage_class", uint8_t{0});
  if (storage_class > kMaxStorageClass) return Status::Corruption("upload record has an unknown storage class");
  r.opts.storage_class = static_cast<StorageClass>(storage_class);
  return r;
}

}  // namespace

void S3Handler::CreateMultipartUpload(RequestContext& ctx, const BucketInfo& bucket) {
  PutOptions opts;
  S3Error e = MetadataFromHeaders(ctx.req, &opts);
  // The completed object's owner and ACL are decided now, by the initiator's request.
  if (e.ok()) e = ApplyObjectAcl(ctx, bucket, &opts);
  if (e.ok()) e = ApplyObjectLock(ctx, bucket, &opts);
  SseRequest sse;
  if (e.ok()) e = ApplyEncryption(ctx, bucket, &opts, &sse);
  ChecksumAlgo full_object_crc = ChecksumAlgo::kNone;
  if (e.ok()) e = FullObjectCrcFromHeaders(ctx.req, &full_object_crc);
  if (!e.ok()) return SendError(ctx, e);
  std::string upload_id = NewUploadId();
  nlohmann::json j{{"key", ctx.key},
                   {"initiated_ns", NowNs()},
                   {"content_type", opts.content_type},
                   {"metadata", opts.user_metadata}};
  if (!opts.lock.empty()) {
    j["lock_mode"] = static_cast<uint8_t>(opts.lock.mode);
    j["retain_until_ns"] = opts.lock.retain_until_ns;
    j["legal_hold"] = opts.lock.legal_hold;
  }
  if (opts.encryption) j["encryption"] = EncryptionJson(opts.encryption->record);
  if (opts.storage_class != StorageClass::kDefault) j["storage_class"] = static_cast<uint8_t>(opts.storage_class);
  if (full_object_crc != ChecksumAlgo::kNone) j["full_object_crc"] = ChecksumName(full_object_crc);
  if (const std::string* a = ctx.req.Header("x-amz-checksum-algorithm"))
    j["checksum_algorithm"] = ChecksumName(ChecksumAlgoFromName(*a));  // validated above
  std::string body = j.dump();
  StringSource src(body);
  PutOptions record_opts;
  record_opts.content_type = "application/json";
  auto put = api_->Put(UploadRecordName(ctx.tenant, ctx.bucket, upload_id), src, record_opts);
  if (!put.ok()) return SendError(ctx, ErrorFromStatus(put.status()));
  XmlWriter w;
  w.Open("InitiateMultipartUploadResult", true);
  w.Element("Bucket", ctx.bucket);
  w.Element("Key", ctx.key);
  w.Element("UploadId", upload_id);
  HeaderList h;
  if (opts.encryption) AddSseHeaders(opts.encryption->record, sse, &h);
  if (const std::string* a = ctx.req.Header("x-amz-checksum-algorithm")) {
    h.emplace_back("x-amz-checksum-algorithm", ChecksumName(ChecksumAlgoFromName(*a)));
    h.emplace_back("x-amz-checksum-type", full_object_crc != ChecksumAlgo::kNone ? "FULL_OBJECT" : "COMPOSITE");
  }
  SendXml(ctx, 200, w.Finish(), h);
}

void S3Handler::UploadPart(RequestContext& ctx, const BucketInfo& bucket) {
  const std::string& upload_id = *ctx.req.Query("uploadId");
  const std::string* part_str = ctx.req.Query("partNumber");
  int part = 0;
  if (part_str && !part_str->empty() && part_str->size() <= 5 &&
      std::all_of(part_str->begin(), part_str->end(), [](char c) { return c >= '0' && c <= '9'; }))
    part = std::stoi(*part_str);
  if (part < 1 || part > 10000)
    return SendError(ctx, MakeError(400, "InvalidArgument",
                                    "Part number must be an integer between 1 and 10000, inclusive"));
  if (!ValidUploadId(upload_id)) return SendError(ctx, NoSuchUpload());
  auto record = LoadUpload(*api_, UploadRecordName(ctx.tenant, ctx.bucket, upload_id));
  if (!record.ok() || record->key != ctx.key) return SendError(ctx, NoSuchUpload());
  std::string part_name = PartPrefix(ctx.tenant, upload_id) + PartKey(part);
  PutOptions opts;
  opts.slot = VersionSlot::kReplaces;
  // Parts are cut as the bucket says, so the completed object's chunks are too.
  opts.policy = PolicyFor(bucket);
  if (Status q = CheckQuota(bucket, ctx.req.content_length.value_or(0)); !q.ok())
    return SendError(ctx, ErrorFromStatus(q));
  // Sealed under the upload's data key; an SSE-C upload needs its key on every part.
  SseRequest sse;
  S3Error key_error = ParseSseHeaders(ctx.req, /*copy_source=*/false, &sse);
  if (key_error.ok() && sse.kind == SseRequest::Kind::kS3) sse.kind = SseRequest::Kind::kNone;  // decided at initiation
  std::shared_ptr<const ChunkCipher> part_cipher;
  if (key_error.ok()) key_error = OpenObjectKey(ctx, record->encryption, sse, &part_cipher);
  if (!key_error.ok()) return SendError(ctx, key_error);
  if (part_cipher) opts.encryption = ObjectKey{record->encryption, part_cipher};
  HeaderList sse_headers;
  AddSseHeaders(record->encryption, sse, &sse_headers);

  if (const std::string* copy = ctx.req.Header("x-amz-copy-source")) {
    // UploadPartCopy: the range rarely falls on chunk boundaries, so its bytes are
    // streamed through; whole chunks that already exist are still not stored twice.
    OpenedSource opened;
    S3Error e = OpenCopySource(ctx, *copy, &opened);
    if (!e.ok()) return SendError(ctx, e);
    const std::string& src_name = opened.name;
    const ObjectInfo* info = &opened.info;
    KeyResolver src_keys = OpenedKey(&opened.cipher);
    std::optional<ByteRange> range;
    if (const std::string* r = ctx.req.Header("x-amz-copy-source-range")) {
      auto parsed = ParseRange(*r, info->size);
      if (!parsed.range)
        return SendError(ctx, MakeError(400, "InvalidRange",
                                        "The x-amz-copy-source-range value must be of the form "
                                        "bytes=first-last where first and last are within the object"));
      range = parsed.range;
    }
    VersionSelector exact;
    exact.generation = info->generation;
    uint64_t begin = range ? range->offset : 0;
    uint64_t end = range ? range->offset + *range->length : info->size;
    std::unique_ptr<ByteSource> rs = std::make_unique<VersionRangeSource>(*api_, src_name, exact, begin, end, &src_keys);
    // The part carries its upload's checksum algorithm, computed from the bytes copied.
    std::shared_ptr<Checksummer> sum(Checksummer::Create(record->checksum_algorithm));
    if (sum) {
      rs = std::make_unique<ChecksumSource>(std::move(rs), sum.get());
      CommitChecksum(sum, {}, &opts);
    }
    auto stored = api_->Put(part_name, *rs, opts);
    if (!stored.ok()) return SendError(ctx, ErrorFromStatus(stored.status()));
    XmlWriter w;
    w.Open("CopyPartResult", true);
    w.Element("LastModified", IsoDate(stored->uvid.timestamp_ns));
    w.Element("ETag", Quoted(stored->etag));
    WriteChecksumElements(stored->checksum, /*with_type=*/false, w);
    if (opened.bucket.versioned())
      sse_headers.emplace_back("x-amz-copy-source-version-id",
                               S3VersionId(true, *info));
    return SendXml(ctx, 200, w.Finish(), sse_headers);
  }

  // A part's checksum is of the algorithm its upload was created with, as AWS requires.
  if (record->checksum_algorithm != ChecksumAlgo::kNone) {
    auto requested = ChecksumFromHeaders(ctx.req);
    if (requested.ok() && requested->algo != ChecksumAlgo::kNone && requested->algo != record->checksum_algorithm)
      return SendError(ctx, MakeError(400, "InvalidRequest",
                                      std::string("Checksum Type mismatch occurred, expected checksum Type: ") +
                                          ChecksumName(record->checksum_algorithm) +
                                          ", actual checksum Type: " + ChecksumName(requested->algo)));
  }
  auto body = UploadBody(ctx, kMaxPartSize, "A part may be at most 5 GiB.", &opts);
  if (!body.ok()) return SendError(ctx, ErrorFromStatus(body.status()));
  auto stored = api_->Put(part_name, **body, opts);
  if (!stored.ok()) return SendError(ctx, ErrorFromStatus(stored.status()));
  HeaderList h{{"ETag", Quoted(stored->etag)}, {"Content-Length", "0"}};
  AddChecksumHeaders(stored->checksum, &h);
  for (auto& x : sse_headers) h.push_back(std::move(x));
  SendEmpty(ctx, 200, h);
}

void S3Handler::CompleteMultipartUpload(RequestContext& ctx, const BucketInfo& bucket) {
  const std::string& upload_id = *ctx.req.Query("uploadId");
  if (!ValidUploadId(upload_id)) return SendError(ctx, NoSuchUpload());
  std::string record_name = UploadRecordName(ctx.tenant, ctx.bucket, upload_id);
  auto record = LoadUpload(*api_, record_name);
  std::string body;
  Status st = ReadSmallBody(ctx, &body);
  if (!st.ok()) return SendError(ctx, ErrorFromStatus(st));
  std::vector<CompletedPart> parts;
  S3Error e = ParseCompleteMultipartUpload(body, &parts);
  if (!record.ok() || record->key != ctx.key) {
    // Completed already (a client retrying after a lost answer): AWS answers the same
    // result again when the parts are the same, which the current version's upload id
    // and ETag tell.
    if (e.ok() && RepeatCompletedUpload(ctx, bucket, upload_id, parts)) return;
    return SendError(ctx, NoSuchUpload());
  }
  WriteCondition condition;
  if (e.ok()) e = WriteConditionFromHeaders(ctx.req, /*is_delete=*/false, &condition);
  if (!e.ok()) return SendError(ctx, e);

  std::vector<ComposePart> sources;
  std::vector<std::string> part_etags;
  std::vector<uint64_t> part_sizes;
  // A composite checksum (S3's multipart form): of the parts' checksums, when every part
  // was uploaded with one of the same algorithm.
  std::unique_ptr<Checksummer> part_sums;
  bool all_summed = true;
  std::string part_digests;  // hex, part order, while all_summed
  // FULL_OBJECT: the CRC of every byte, folded from the parts' CRCs and sizes.
  std::string full_crc;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string name = PartPrefix(ctx.tenant, upload_id) + PartKey(parts[i].part_number);
    auto info = api_->Stat(name, {});
    if (!info.ok() || info->etag != parts[i].etag)
      return SendError(ctx, MakeError(400, "InvalidPart",
                                      "One or more of the specified parts could not be found. "
                                      "The part may not have been uploaded, or the specified "
                                      "entity tag may not match the part's entity tag (part " +
                                          std::to_string(parts[i].part_number) + ")."));
    // A checksum the client lists for a part must be the one that part was uploaded with
    // (and verified against): otherwise the client is completing other bytes than it thinks.
    if (!parts[i].checksum_name.empty() &&
        (info->checksum.algo != ChecksumAlgoFromName(parts[i].checksum_name) ||
         ChecksumValue(info->checksum) != parts[i].checksum_value))
      return SendError(ctx, MakeError(400, "InvalidPart",
                                      "The " + parts[i].checksum_name + " checksum listed for part " +
                                          std::to_string(parts[i].part_number) +
                                          " is not the checksum that part was uploaded with."));
    if (i + 1 < parts.size() && info->size < kMinPartSize)
      return SendError(ctx, MakeError(400, "EntityTooSmall",
                                      "Your proposed upload is smaller than the minimum allowed "
                                      "size: every part but the last must be at least 5 MiB (part " +
                                          std::to_string(parts[i].part_number) + ")."));
    part_etags.push_back(info->etag);
    part_sizes.push_back(info->size);
    if (record->full_object_crc != ChecksumAlgo::kNone) {
      if (info->checksum.algo != record->full_object_crc)
        return SendError(ctx, MakeError(400, "InvalidPart",
                                        std::string("The upload was created using the ") +
                                            ChecksumName(record->full_object_crc) +
                                            " FULL_OBJECT checksum: every part needs one (part " +
                                            std::to_string(parts[i].part_number) + " has none of that algorithm)."));
      auto folded = i == 0 ? Result<std::string>(info->checksum.digest)
                           : CombineCrc(record->full_object_crc, full_crc, info->checksum.digest, info->size);
      if (!folded.ok()) return SendError(ctx, ErrorFromStatus(folded.status()));
      full_crc = std::move(*folded);
    }
    if (info->checksum.empty() || (part_sums && part_sums->algo() != info->checksum.algo)) {
      all_summed = false;
    } else if (all_summed) {
      if (!part_sums) part_sums = Checksummer::Create(info->checksum.algo);
      part_sums->Update(info->checksum.digest.data(), info->checksum.digest.size());
      part_digests += ToHex(info->checksum.digest.data(), info->checksum.digest.size());
    }
    VersionSelector exact;
    exact.generation = info->generation;
    sources.push_back({name, exact});
  }
  std::string etag;
  e = MultipartEtag(part_etags, &etag);
  if (!e.ok()) return SendError(ctx, e);
  PutOptions opts = record->opts;
  // The parts were sealed under the upload's key: the composed version must be too.
  if (!record->encryption.empty()) opts.encryption = ObjectKey{record->encryption, nullptr};
  // What S3 addresses later: the parts (?partNumber=, GetObjectAttributes) and the upload
  // (a repeated complete).
  opts.user_metadata[kPartSizesKey] = EncodePartSizes(part_sizes);
  opts.user_metadata[kUploadIdKey] = upload_id;
  opts.slot = SlotForVersioning(bucket.versioned(), bucket.versioning_enabled());  // as in PutObject
  opts.condition = condition;
  uint64_t total = 0;
  for (uint64_t size : part_sizes) total += size;
  Status quota = ApplyBucketPolicy(bucket, total, &opts);
  if (!quota.ok()) return SendError(ctx, ErrorFromStatus(quota));
  ObjectChecksum composite;
  if (record->full_object_crc != ChecksumAlgo::kNone) {
    composite = {record->full_object_crc, false, 0, full_crc};
    // The client may state the whole object's CRC (x-amz-checksum-ALG): it must be this.
    if (const std::string* stated = ctx.req.Header(ChecksumHeader(record->full_object_crc));
        stated && *stated != ChecksumValue(composite))
      return SendError(ctx, MakeError(400, "BadDigest", std::string("The ") + ChecksumName(composite.algo) +
                                                           " you specified did not match the calculated checksum."));
  } else if (all_summed && part_sums) {
    composite = {part_sums->algo(), true, static_cast<uint32_t>(parts.size()), part_sums->Final()};
  }
  if (!composite.empty()) {
    // Every part's own checksum, for GetObjectAttributes and a ?partNumber= GET.
    if (all_summed) opts.user_metadata[kPartChecksumsKey] = std::move(part_digests);
    auto before = std::move(opts.before_commit);
    opts.before_commit = [before, composite](VersionManifest& vm) -> Status {
      if (before) CCOW_RETURN_IF_ERROR(before(vm));
      vm.checksum = composite;
      return Status::OK();
    };
  }
  auto done = api_->Compose(ObjectName(ctx), sources, opts, etag);
  if (!done.ok()) return SendError(ctx, ErrorFromStatus(done.status()));
  // The parts' chunks now belong to the new version too; dropping the parts frees nothing.
  LogIfFailed(AbortUpload(ctx.tenant, upload_id), "drop completed parts");
  LogIfFailed(api_->Delete(record_name, std::nullopt), "drop upload record");
  SendCompleted(ctx, bucket, *done);
}

void S3Handler::SendCompleted(RequestContext& ctx, const BucketInfo& bucket, const ObjectInfo& done) {
  XmlWriter w;
  w.Open("CompleteMultipartUploadResult", true);
  w.Element("Location", "/" + ctx.bucket + "/" + ctx.key);
  w.Element("Bucket", ctx.bucket);
  w.Element("Key", ctx.key);
  w.Element("ETag", Quoted(done.etag));
  WriteChecksumElements(done.checksum, /*with_type=*/true, w);
  HeaderList h;
  if (bucket.versioning_enabled())
    h.emplace_back("x-amz-version-id", S3VersionId(true, done));
  AddSseHeaders(done.encryption, SseRequest(), &h);
  SendXml(ctx, 200, w.Finish(), h);
}

bool S3Handler::RepeatCompletedUpload(RequestContext& ctx, const BucketInfo& bucket, const std::string& upload_id,
                                      const std::vector<CompletedPart>& parts) {
  std::vector<std::string> part_etags;
  for (const auto& p : parts) part_etags.push_back(p.etag);
  std::string etag;
  if (!MultipartEtag(part_etags, &etag).ok()) return false;
  auto current = api_->Stat(ObjectName(ctx), {});
  if (!current.ok() || (current->flags & VersionManifest::kFlagDeleteMarker) || current->etag != etag) return false;
  auto it = current->user_metadata.find(kUploadIdKey);
  if (it == current->user_metadata.end() || it->second != upload_id) return false;
  SendCompleted(ctx, bucket, *current);
  return true;
}

Status S3Handler::AbortUpload(const std::string& tenant, const std::string& upload_id) {
  ListOptions opts;
  opts.prefix = PartPrefix(tenant, upload_id);
  for (;;) {
    CCOW_ASSIGN_OR_RETURN(ListResult page, api_->List(opts));
    for (const auto& name : page.names) {
      Status st = api_->Delete(name, std::nullopt);
      if (!st.ok() && !st.IsNotFound()) return st;
    }
    if (!page.truncated) return Status::OK();
    opts.start_after = page.next_start_after;
  }
}

void S3Handler::AbortMultipartUpload(RequestContext& ctx, const BucketInfo& bucket) {
  const std::string& upload_id = *ctx.req.Query("uploadId");
  if (!ValidUploadId(upload_id)) return SendError(ctx, NoSuchUpload());
  std::string record_name = UploadRecordName(ctx.tenant, ctx.bucket, upload_id);
  auto record = LoadUpload(*api_, record_name);
  if (!record.ok() || record->key != ctx.key) return SendError(ctx, NoSuchUpload());
  Status st = AbortUpload(ctx.tenant, upload_id);
  if (st.ok()) st = api_->Delete(record_name, std::nullopt);
  if (!st.ok()) return SendError(ctx, ErrorFromStatus(st));
  SendEmpty(ctx, 204);
}

void S3Handler::ListParts(RequestContext& ctx, const BucketInfo& bucket) {
  const std::string& upload_id = *ctx.req.Query("uploadId");
  if (!ValidUploadId(upload_id)) return SendError(ctx, NoSuchUpload());
  auto record = LoadUpload(*api_, UploadRecordName(ctx.tenant, ctx.bucket, upload_id));
  if (!record.ok() || record->key != ctx.key) return SendError(ctx, NoSuchUpload());
  int marker = 0;
  size_t max_parts = 1000;
  if (const std::string* m = ctx.req.Query("part-number-marker")) marker = std::atoi(m->c_str());
  if (const std::string* m = ctx.req.Query("max-parts"))
    max_parts = std::clamp<long>(std::atol(m->c_str()), 0, 1000);
  ListOptions opts;
  opts.prefix = PartPrefix(ctx.tenant, upload_id);
  if (marker > 0) opts.start_after = opts.prefix + PartKey(std::min(marker, 10000));
  opts.limit = std::max<size_t>(max_parts, 1);
  auto page = api_->List(opts);
  if (!page.ok()) return SendError(ctx, ErrorFromStatus(page.status()));
  XmlWriter w;
  w.Open("ListPartsResult", true);
  w.Element("Bucket", ctx.bucket);
  w.Element("Key", ctx.key);
  w.Element("UploadId", upload_id);
  WriteIdentity(w, "Initiator", ctx.tenant);
  WriteIdentity(w, "Owner", ctx.tenant);
  w.Element("StorageClass", StorageClassOf(bucket, record->opts.storage_class));
  w.Element("PartNumberMarker", std::to_string(marker));
  int last = marker;
  size_t n = max_parts == 0 ? 0 : page->names.size();
  for (size_t i = 0; i < n; ++i) {
    int part = std::atoi(page->names[i].substr(opts.prefix.size()).c_str());
    last = part;
  }
  w.Element("NextPartNumberMarker", std::to_string(last));
  w.Element("MaxParts", std::to_string(max_parts));
  w.Element("IsTruncated", page->truncated && max_parts > 0 ? "true" : "false");
  for (size_t i = 0; i < n; ++i) {
    const auto& entry = page->objects[i];
    w.Open("Part");
    w.Element("PartNumber", std::to_string(std::atoi(page->names[i].substr(opts.prefix.size()).c_str())));
    w.Element("LastModified", IsoDate(entry.uvid.timestamp_ns));
    w.Element("ETag", Quoted(entry.etag));
    w.Element("Size", std::to_string(entry.size));
    w.Close();
  }
  SendXml(ctx, 200, w.Finish());
}

void S3Handler::ListMultipartUploads(RequestContext& ctx, const BucketInfo& bucket) {
  std::string prefix = ctx.req.Query("prefix") ? *ctx.req.Query("prefix") : "";
  std::string key_marker = ctx.req.Query("key-marker") ? *ctx.req.Query("key-marker") : "";
  std::string id_marker =
      ctx.req.Query("upload-id-marker") ? *ctx.req.Query("upload-id-marker") : "";
  size_t max_uploads = 1000;
  if (const std::string* m = ctx.req.Query("max-uploads"))
    max_uploads = std::clamp<long>(std::atol(m->c_str()), 0, 1000);
  struct Upload {
    std::string key, id;
    uint64_t initiated;
    StorageClass storage_class;
  };
  std::vector<Upload> uploads;
  ListOptions opts;
  opts.prefix = options_.segment + "/" + ctx.tenant + "/.uploads/" + ctx.bucket + "/";
  for (;;) {
    auto page = api_->List(opts);
    if (!page.ok()) return SendError(ctx, ErrorFromStatus(page.status()));
    for (const auto& name : page->names) {
      auto r = LoadUpload(*api_, name);
      if (!r.ok() || r->key.compare(0, prefix.size(), prefix) != 0) continue;
      uploads.push_back({r->key, name.substr(opts.prefix.size()), r->initiated_ns, r->opts.storage_class});
    }
    if (!page->truncated) break;
    opts.start_after = page->next_start_after;
  }
  std::sort(uploads.begin(), uploads.end(), [](const Upload& a, const Upload& b) {
    return std::tie(a.key, a.id) < std::tie(b.key, b.id);
  });
  XmlWriter w;
  w.Open("ListMultipartUploadsResult", true);
  w.Element("Bucket", ctx.bucket);
  w.Element("KeyMarker", key_marker);
  w.Element("UploadIdMarker", id_marker);
  w.Element("Prefix", prefix);
  w.Element("MaxUploads", std::to_string(max_uploads));
  std::vector<const Upload*> shown;
  bool truncated = false;
  for (const auto& u : uploads) {
    if (!key_marker.empty() &&
        (u.key < key_marker || (u.key == key_marker && (id_marker.empty() || u.id <= id_marker))))
      continue;
    if (shown.size() >= max_uploads) {
      truncated = true;
      break;
    }
    shown.push_back(&u);
  }
  if (!shown.empty()) {
    w.Element("NextKeyMarker", shown.back()->key);
    w.Element("NextUploadIdMarker", shown.back()->id);
  }
  w.Element("IsTruncated", truncated ? "true" : "false");
  for (const Upload* u : shown) {
    w.Open("Upload");
    w.Element("Key", u->key);
    w.Element("UploadId", u->id);
    WriteIdentity(w, "Initiator", ctx.tenant);
    WriteIdentity(w, "Owner", ctx.tenant);
    w.Element("StorageClass", StorageClassOf(bucket, u->storage_class));
    w.Element("Initiated", IsoDate(u->initiated));
    w.Close();
  }
  SendXml(ctx, 200, w.Finish());
}

}  // namespace ccow::s3
