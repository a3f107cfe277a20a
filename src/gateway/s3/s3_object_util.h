// Private helpers of the S3 object operations: headers to and from version metadata,
// ranges, conditions, version ids, copy sources, and body wrappers that check the signed
// payload hash and count bytes.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/byte_stream.h"
#include "client/object_api.h"
#include "gateway/s3/s3_error.h"
#include "http/http_exchange.h"

namespace ccow::s3 {

using http::HeaderList;
using http::HttpExchange;
using http::HttpRequest;

// Content-Type, Content-Encoding/Disposition/Language, Cache-Control, Expires,
// x-amz-meta-* and x-amz-tagging into PutOptions (user metadata keeps header names).
S3Error MetadataFromHeaders(const HttpRequest& req, PutOptions* opts);
// x-amz-storage-class (left as is when absent); InvalidStorageClass for a name ccow does
// not serve (OUTPOSTS, SNOW, EXPRESS_ONEZONE, or one AWS does not know).
S3Error StorageClassFromHeaders(const HttpRequest& req, StorageClass* out);
// The class S3 reports for a version: its own, else (none named when it was written) what
// its bucket keeps it as: STANDARD_IA where the bucket has an erasure code, STANDARD not.
std::string ReportedStorageClass(StorageClass c, bool bucket_has_code);
// Content-MD5 (base64) as lower-case hex; empty when absent; InvalidDigest when malformed.
S3Error ContentMd5(const HttpRequest& req, std::string* hex);
// Headers of a GET/HEAD: Content-Type, ETag, Last-Modified, metadata, response-* overrides.
HeaderList ResponseHeaders(const HttpRequest& req, const ObjectInfo& info);
// If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since (or their
// x-amz-copy-source-if-* forms): 304 or 412 as S3 answers, or no error.
S3Error CheckConditions(const HttpRequest& req, const ObjectInfo& info, bool copy_source);
// The conditions of a conditional write (PutObject, CompleteMultipartUpload: If-None-Match
// "*" and If-Match; DeleteObject: If-Match), checked by the object API atomically with
// the commit. Other forms are 501 NotImplemented, as S3 answers them.
S3Error WriteConditionFromHeaders(const HttpRequest& req, bool is_delete, WriteCondition* out);
// ?versionId=N or N-SSSSSSSS (S3VersionId) or "null": S3's null version in a versioned bucket, the
// only version in an unversioned one (whose entries may predate the null flag).
S3Error VersionSelectorFromQuery(const HttpRequest& req, bool bucket_versioned, VersionSelector* which);
// The same for a version id given elsewhere (DeleteObjects' <VersionId>, a copy source).
// InvalidArgument for anything but "null" or a generation.
S3Error ParseVersionId(const std::string& version_id, bool bucket_versioned, VersionSelector* which);
// A version id as S3 shows it: "null" for the null version and in an unversioned bucket,
// else the generation, followed by "-" and the segment id (8 hex digits) of a version
// written at a segment that has one (an Inter-Segment Gateway link's: two segments may
// write one generation concurrently, and both versions are kept).
std::string S3VersionId(bool bucket_versioned, const VersionRef& version, bool null_version);
std::string S3VersionId(bool bucket_versioned, const ObjectInfo& info);
std::string S3VersionId(bool bucket_versioned, const VersionEntry& entry);
// Where a put into a bucket in this versioning state goes.
VersionSlot SlotForVersioning(bool versioned, bool enabled);
// Where a metadata rewrite (ACL, tagging: a new version composed of the current one) goes:
// the null version's rewrite is the null version again, so its id stays "null".
VersionSlot SlotForRewrite(bool versioned, bool null_version);

struct ParsedRange {
  std::optional<ByteRange> range;  // with length set; empty: the whole object
  bool unsatisfiable = false;
};
// "bytes=a-b", "bytes=a-", "bytes=-n". Unparseable or multi-range headers are ignored
// (the whole object is returned), as S3 does.
ParsedRange ParseRange(const std::string& header, uint64_t size);

struct CopySource {
  std::string bucket, key;
  VersionSelector which;
};
// x-amz-copy-source: "/bucket/key" or "bucket/key", URL-encoded, optional ?versionId=
// ("null" sets which.null_version; clear it when the source bucket is unversioned).
S3Error ParseCopySource(const std::string& header, CopySource* out);

// Tags as stored (the x-amz-tagging query form "k1=v1&k2=v2").
std::vector<std::pair<std::string, std::string>> ParseTagQuery(const std::string& query);
std::string TagQuery(const std::vector<std::pair<std::string, std::string>>& tags);

// Streams the body; checks its SHA-256 when the signature covered one, and its length.
// The error ("XAmzContentSHA256Mismatch: ...", "IncompleteBody: ...") comes from the read
// that reaches the end, before the put commits.
class VerifyingSource : public ByteSource {
 public:
  VerifyingSource(ByteSource& raw, const std::string& payload_hash, uint64_t length,
                  bool length_known);
  ~VerifyingSource() override;
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The body's SHA-256 when the signature covers one (a hex x-amz-content-sha256), which
// VerifyingSource checks before it reports the end of the body.
std::optional<Chid> SignedBodySha256(const std::string& payload_hash);

// Bytes [begin, end) of one version, read through the object API in bounded pieces (8
// MiB at a time, so a copy of up to 5 GiB needs no thread and no whole-object buffer),
// opened with `keys` when the version is encrypted (UploadPartCopy, a CopyObject that
// re-encrypts). keys must outlive the source.
class VersionRangeSource : public ByteSource {
 public:
  VersionRangeSource(ObjectApi& api, std::string name, VersionSelector which, uint64_t begin, uint64_t end,
                     const KeyResolver* keys = nullptr)
      : api_(api), name_(std::move(name)), which_(which), end_(end), pos_(begin), keys_(keys) {}
  Result<size_t> Read(char* out, size_t n) override;

 private:
  ObjectApi& api_;
  std::string name_;
  VersionSelector which_;
  uint64_t end_, pos_;
  const KeyResolver* keys_;
  std::string buf_;
  size_t off_ = 0;
};

class CountingSource : public ByteSource {
 public:
  CountingSource(std::unique_ptr<ByteSource> inner, std::atomic<uint64_t>* counter)
      : inner_(std::move(inner)), counter_(counter) {}
  Result<size_t> Read(char* buf, size_t n) override {
    auto r = inner_->Read(buf, n);
    if (r.ok()) *counter_ += *r;
    return r;
  }

 private:
  std::unique_ptr<ByteSource> inner_;
  std::atomic<uint64_t>* counter_;
};

}  // namespace ccow::s3
