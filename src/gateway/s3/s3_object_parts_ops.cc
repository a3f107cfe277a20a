// GetObjectAttributes: a version's ETag, checksum, parts, storage class and size in one
// answer, without its bytes. The parts are what CompleteMultipartUpload recorded
// (s3_object_parts.h); ?partNumber= on GET and HEAD is served by GetObject.
#include <strings.h>

#include <set>

#include "gateway/s3/s3_checksum.h"
#include "gateway/s3/s3_encryption.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_parts.h"
#include "gateway/s3/s3_object_util.h"
#include "gateway/s3/s3_xml.h"

namespace ccow::s3 {
namespace {

// x-amz-object-attributes: a comma-separated list of ETag, Checksum, ObjectParts,
// StorageClass and ObjectSize (case-insensitive, blanks around names allowed).
S3Error ParseAttributes(const std::string* header, std::set<std::string>* out) {
  static const char* kKnown[] = {"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"};
  if (!header)
    return MakeError(400, "InvalidArgument",
                     "The x-amz-object-attributes header specifying the attributes to be retrieved is "
                     "either missing or empty");
  size_t pos = 0;
  while (pos <= header->size()) {
    size_t comma = header->find(',', pos);
    if (comma == std::string::npos) comma = header->size();
    std::string name = header->substr(pos, comma - pos);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.erase(0, 1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    pos = comma + 1;
    if (name.empty()) continue;
    const char* known = nullptr;
    for (const char* k : kKnown)
      if (strcasecmp(k, name.c_str()) == 0) known = k;
    if (!known) return MakeError(400, "InvalidArgument", "Invalid attribute name specified: " + name);
    out->insert(known);
  }
  if (out->empty())
    return MakeError(400, "InvalidArgument",
                     "The x-amz-object-attributes header specifying the attributes to be retrieved is "
                     "either missing or empty");
  return S3Error::None();
}

// A header of at most 5 digits (max-parts caps at 1000, a marker at 10000).
bool SmallNumber(const std::string* text, uint32_t limit, uint32_t* out) {
  if (!text) return true;
  if (text->empty() || text->size() > 5) return false;
  uint32_t n = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  *out = std::min(n, limit);
  return true;
}

}  // namespace

void S3Handler::GetObjectAttributes(RequestContext& ctx, const BucketInfo& bucket) {
  VersionSelector which;
  S3Error e = VersionSelectorFromQuery(ctx.req, bucket.versioned(), &which);
  std::set<std::string> wanted;
  if (e.ok()) e = ParseAttributes(ctx.req.Header("x-amz-object-attributes"), &wanted);
  uint32_t max_parts = 1000, marker = 0;
  if (e.ok() && (!SmallNumber(ctx.req.Header("x-amz-max-parts"), 1000, &max_parts) ||
                 !SmallNumber(ctx.req.Header("x-amz-part-number-marker"), kMaxPartNumber, &marker)))
    e = MakeError(400, "InvalidArgument", "x-amz-max-parts and x-amz-part-number-marker must be non-negative integers");
  if (!e.ok()) return SendError(ctx, e);
  bool by_version = which.generation || which.null_version;
  auto info = api_->Stat(ObjectName(ctx), which);
  if (!info.ok()) {
    S3Error err = ErrorFromStatus(info.status(), by_version ? "NoSuchVersion" : "NoSuchKey");
    return SendError(ctx, info.status().IsNotFound() ? MissingObjectError(ctx, bucket, err) : err);
  }
  std::string version_id = S3VersionId(bucket.versioned(), *info);
  if (info->flags & VersionManifest::kFlagDeleteMarker) {
    HeaderList h{{"x-amz-delete-marker", "true"}};
    if (bucket.versioned()) h.emplace_back("x-amz-version-id", version_id);
    return SendError(ctx,
                     by_version ? MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
                                : MissingObjectError(ctx, bucket, MakeError(404, "NoSuchKey", "The specified key does not exist.")),
                     h);
  }
  e = Authorize(ctx, bucket,
                {by_version ? "s3:GetObjectVersionAttributes" : "s3:GetObjectAttributes", AclScope::kObject, kPermRead},
                &*info);
  // An SSE-C version answers only to its key, as GET and HEAD do.
  SseRequest sse;
  std::shared_ptr<const ChunkCipher> cipher;
  if (e.ok()) e = ParseSseHeaders(ctx.req, /*copy_source=*/false, &sse);
  // (An SSE-S3 version's master key is not unwrapped: nothing here needs it.)
  if (e.ok() && (sse.kind == SseRequest::Kind::kCustomer ||
                 info->encryption.source == ObjectEncryption::KeySource::kCustomerKey))
    e = OpenObjectKey(ctx, info->encryption, sse, &cipher);
  if (!e.ok()) return SendError(ctx, e);

  XmlWriter w;
  w.Open("GetObjectAttributesResponse", true);
  if (wanted.count("ETag")) w.Element("ETag", info->etag);  // unquoted, as AWS gives it here
  if (wanted.count("Checksum") && !info->checksum.empty()) {
    w.Open("Checksum");
    WriteChecksumElements(info->checksum, /*with_type=*/true, w);
    w.Close();
  }
  std::vector<uint64_t> sizes = PartSizesOf(info->user_metadata);
  if (wanted.count("ObjectParts") && !sizes.empty()) {
    w.Open("ObjectParts");
    w.Element("PartsCount", std::to_string(sizes.size()));  // the SDKs' TotalPartsCount
    w.Element("PartNumberMarker", std::to_string(marker));
    uint32_t last = marker;
    bool truncated = false;
    for (uint32_t n = marker + 1; n <= sizes.size(); ++n) {
      if (n - marker > max_parts) {
        truncated = true;
        break;
      }
      last = n;
    }
    w.Element("NextPartNumberMarker", std::to_string(last));
    w.Element("MaxParts", std::to_string(max_parts));
    w.Element("IsTruncated", truncated ? "true" : "false");
    for (uint32_t n = marker + 1; n <= last; ++n) {
      w.Open("Part");
      // Each part's own checksum, where the upload's parts all had one of the version's
      // algorithm (kept by CompleteMultipartUpload).
      if (auto sum = PartChecksumOf(info->user_metadata, info->checksum, n)) WriteChecksumElements(*sum, false, w);
      w.Element("PartNumber", std::to_string(n));
      w.Element("Size", std::to_string(sizes[n - 1]));
      w.Close();
    }
    w.Close();
  }
  if (wanted.count("StorageClass")) w.Element("StorageClass", StorageClassOf(bucket, info->storage_class));
  if (wanted.count("ObjectSize")) w.Element("ObjectSize", std::to_string(info->size));
  HeaderList h{{"Last-Modified", HttpDate(info->uvid.timestamp_ns)}};
  if (bucket.versioned()) h.emplace_back("x-amz-version-id", version_id);
  SendXml(ctx, 200, w.Finish(), h);
}

}  // namespace ccow::s3
