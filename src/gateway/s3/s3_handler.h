// Private to the S3 gateway: the request context and the handler that routes each S3
// operation. The operations are split by what they act on: s3_bucket_ops.cc,
// s3_object_ops.cc, s3_multipart_ops.cc, s3_list_ops.cc; s3_gateway.cc routes and
// authenticates.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>

#include "client/object_api.h"
#include "gateway/s3/bucket_registry.h"
#include "gateway/s3/access_log_spool.h"
#include "gateway/s3/s3_access_log.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/s3/s3_bucket_access.h"
#include "gateway/s3/s3_encryption.h"
#include "gateway/s3/s3_error.h"
#include "gateway/s3/s3_gateway.h"
#include "gateway/s3/s3_object_util.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/sigv4.h"
#include "gateway/s3/user_registry.h"
#include "http/http_exchange.h"

namespace ccow::s3 {

class AwsChunkedSource;
class BucketPolicy;
using http::HeaderList;
using http::HttpExchange;
using http::HttpRequest;

struct RequestContext {
  HttpExchange& ex;
  const HttpRequest& req;
  AuthContext auth;
  Requester requester;  // the signer's account; anonymous when unsigned
  // The namespace the bucket lives in: its owner's tenant once the bucket is resolved
  // (the requester's own for ListBuckets and CreateBucket).
  std::string tenant;
  std::string bucket;  // empty for service-level requests
  std::string key;     // empty for bucket-level requests
  std::string request_id;
  HeaderList extra_headers;  // added to every response (CORS)
  // Server access logging of the request's bucket, once it is resolved (BucketRequest);
  // the record is spooled when the answer starts (S3Handler::LogAccess).
  std::optional<BucketLogging> logging;
  std::string bucket_owner;
  std::string error_code;  // the S3 error answered, for the record
  uint64_t started_ns = 0;
};

// What an operation needs (s3_authorize.cc): the policy action, and which ACL grants it
// with which permission (scope kNone: only the owner or a policy).
enum class AclScope : uint8_t { kNone, kBucket, kObject };
struct AccessCheck {
  const char* action;
  AclScope scope = AclScope::kNone;
  uint8_t permission = 0;
};

// An object version's ACL: the one it carries, else private to the bucket owner (objects
// written before access control, or in a bucket whose owner owns everything).
AccessControlList ObjectAclOf(const ObjectInfo& info, const std::string& bucket_owner);

// Maps a Status from below to the S3 error a client understands. A message that starts
// with an S3 code and ": " (as the aws-chunked decoder produces) keeps that code.
S3Error ErrorFromStatus(const Status& st, const char* not_found_code = "NoSuchKey");

// RFC 1123 ("Wed, 21 Oct 2015 07:28:00 GMT") and ISO 8601 ("2015-10-21T07:28:00.000Z").
std::string HttpDate(uint64_t ns);
std::string IsoDate(uint64_t ns);
std::optional<int64_t> ParseHttpDate(const std::string& text);  // seconds since the epoch
inline std::string Quoted(const std::string& etag) { return "\"" + etag + "\""; }

// Best-effort cleanup (dropping parts after a completed upload, lifecycle actions) must
// not fail the request that triggered it, but a failure is worth a log line.
void LogIfFailed(const Status& st, const char* what);

class S3Handler {
 public:
  S3Handler(std::shared_ptr<ObjectApi> api, std::shared_ptr<Registry> registry, S3GatewayOptions options);

  void Handle(HttpExchange& ex);
  UserRegistry& users() { return users_; }
  BucketRegistry& buckets() { return buckets_; }
  S3GatewayStats stats() const;
  // One pass of the lifecycle rules of every bucket (run periodically by the gateway).
  void RunLifecycle();
  // Delivers spooled access log records as objects into their target buckets.
  void FlushAccessLogs();
  // Spools the access log record of a request as its answer starts (status, and the body
  // bytes it will carry); OK and nothing done when its bucket does not log. An error
  // means the record could not be kept: the request must not be answered as if it were.
  Status LogAccess(RequestContext& ctx, int status, uint64_t bytes_sent);

 private:
  friend class S3HandlerTest;

  // Responses
  void SendError(RequestContext& ctx, const S3Error& error, HeaderList headers = {});
  void SendXml(RequestContext& ctx, int status, const std::string& xml, HeaderList headers = {});
  void SendEmpty(RequestContext& ctx, int status, HeaderList headers = {});

  // Service and buckets (s3_bucket_ops.cc)
  void ListBuckets(RequestContext& ctx);
  void BucketRequest(RequestContext& ctx);
  void CreateBucket(RequestContext& ctx);
  void DeleteBucket(RequestContext& ctx, const BucketInfo& bucket);
  void BucketSubresource(RequestContext& ctx, const BucketInfo& bucket, const std::string& which);
  void Preflight(RequestContext& ctx);
  void AddCorsHeaders(RequestContext& ctx, const BucketInfo& bucket);

  // Objects (s3_object_ops.cc)
  void ObjectRequest(RequestContext& ctx, const BucketInfo& bucket);
  void PutObject(RequestContext& ctx, const BucketInfo& bucket);
  void CopyObject(RequestContext& ctx, const BucketInfo& bucket, const std::string& source);
  // The source of a copy (CopyObject, UploadPartCopy) named by x-amz-copy-source: its
  // bucket resolved for the requester (another account's where a grant allows), its
  // version, read access checked as the requester, the x-amz-copy-source-if-* conditions,
  // and its key opened (an SSE-C source's x-amz-copy-source-...-customer-* headers).
  struct OpenedSource {
    BucketInfo bucket;
    std::string name;   // the object's full name
    CopySource source;  // as the header gave it
    ObjectInfo info;    // the version copied
    std::shared_ptr<const ChunkCipher> cipher;  // null: not encrypted
  };
  S3Error OpenCopySource(RequestContext& ctx, const std::string& header, OpenedSource* out);
  void GetObject(RequestContext& ctx, const BucketInfo& bucket, bool head);
  void DeleteObject(RequestContext& ctx, const BucketInfo& bucket);
  void DeleteObjects(RequestContext& ctx, const BucketInfo& bucket);
  void ObjectTagging(RequestContext& ctx, const BucketInfo& bucket);
  // The body of a PUT/POST/UploadPart as the client meant it: aws-chunked decoded and
  // the signed payload hash checked as it streams.
  // chunked (optional): set to the aws-chunked decoder in the chain, when there is one
  // (its trailers are read once the body has ended); it lives as long as the source.
  Result<std::unique_ptr<ByteSource>> RequestBody(RequestContext& ctx, uint64_t* length,
                                                  AwsChunkedSource** chunked = nullptr);
  Status ReadSmallBody(RequestContext& ctx, std::string* body);
  // The body of a PutObject or UploadPart with its checks attached to opts: Content-MD5,
  // the length, at most max_size bytes, and the signed SHA-256 reused as a CHID.
  Result<std::unique_ptr<ByteSource>> UploadBody(RequestContext& ctx, uint64_t max_size,
                                                 const char* too_large, PutOptions* opts);

  // The bucket's settings applied to a write (s3_write_policy.cc): the object policy of
  // new versions and the quota, checked against declared_length now and the final size
  // before the version commits.
  ObjectPolicy PolicyFor(const BucketInfo& bucket) const;
  // The storage class S3 reports for a version of the bucket (ReportedStorageClass: a
  // version that named none is what the bucket's erasure code makes it).
  std::string StorageClassOf(const BucketInfo& bucket, StorageClass c) const;
  Status ApplyBucketPolicy(const BucketInfo& bucket, uint64_t declared_length, PutOptions* opts);
  Status CheckQuota(const BucketInfo& bucket, uint64_t adding);
  Result<uint64_t> BucketUsage(const BucketInfo& bucket);
  void ForgetUsage(const BucketInfo& bucket);

  // Access control (s3_authorize.cc): the decision for one request, AWS's order: an
  // explicit policy Deny, then ownership, then a policy Allow, then the ACLs. AccessDenied
  // (403) when nothing grants it. object: the version acted on, when there is one.
  S3Error Authorize(RequestContext& ctx, const BucketInfo& bucket, const AccessCheck& check,
                    const ObjectInfo* object = nullptr);
  // Whether a missing key is NoSuchKey (404) or AccessDenied (403) to this requester: AWS
  // tells only those who may list the bucket.
  S3Error MissingObjectError(RequestContext& ctx, const BucketInfo& bucket, const S3Error& not_found);
  // The version a subresource request (?acl, ?retention, ?legal-hold) names by its
  // versionId; nullopt once the error is sent: a bad id, no such key or version, or a
  // delete marker (405 when named by version id, 404 otherwise, as AWS answers).
  std::optional<ObjectInfo> VersionForSubresource(RequestContext& ctx, const BucketInfo& bucket,
                                                  VersionSelector* which);
  // The owner and ACL of a new version (PutObject, CopyObject, CreateMultipartUpload),
  // from the request's x-amz-acl / x-amz-grant-* and the bucket's Object Ownership,
  // stored in opts->user_metadata.
  S3Error ApplyObjectAcl(RequestContext& ctx, const BucketInfo& bucket, PutOptions* opts);
  std::shared_ptr<const BucketPolicy> PolicyOf(const BucketInfo& bucket, const BucketAccess& access);
  bool AccountExists(std::string_view account);
  // Bucket ?acl, ?policy, ?policyStatus, ?publicAccessBlock, ?ownershipControls and object
  // ?acl (s3_access_ops.cc).
  void BucketAccessRequest(RequestContext& ctx, const BucketInfo& bucket, const std::string& which);
  void ObjectAclRequest(RequestContext& ctx, const BucketInfo& bucket);

  // Object Lock (s3_object_lock_ops.cc): the bucket's ?object-lock, a version's ?retention
  // and ?legal-hold, the lock of a new version (its x-amz-object-lock-* headers, else the
  // bucket's default retention; InvalidRequest when the bucket has no Object Lock), and
  // whether a request may bypass GOVERNANCE retention (its header, and the permission).
  void BucketObjectLock(RequestContext& ctx, const BucketInfo& bucket);
  // Get/PutBucketLogging (s3_access_log_ops.cc): the target must exist and have the
  // source's owner; stored normalized.
  void BucketLoggingRequest(RequestContext& ctx, const BucketInfo& bucket);
  void ObjectLockRequest(RequestContext& ctx, const BucketInfo& bucket, bool legal_hold);
  S3Error ApplyObjectLock(RequestContext& ctx, const BucketInfo& bucket, PutOptions* opts);
  bool BypassGovernance(RequestContext& ctx, const BucketInfo& bucket, const ObjectInfo* object = nullptr);

  // Server-side encryption (s3_encryption_ops.cc). The key of a new version (PutObject,
  // PostObject, CopyObject, CreateMultipartUpload): SSE-C with the request's key, SSE-S3
  // when the request or the bucket's default encryption asks, else none. SSE-C over
  // plain HTTP is refused unless the client is on the gateway's own host.
  S3Error ApplyEncryption(RequestContext& ctx, const BucketInfo& bucket, PutOptions* opts, SseRequest* sse);
  S3Error NewObjectKey(RequestContext& ctx, const BucketInfo& bucket, const SseRequest& sse,
                       std::optional<ObjectKey>* out);
  // The cipher that opens a version encrypted as `encryption` for a request giving `sse` (null when the version
  // is not encrypted). AWS's errors: 400 InvalidRequest without the SSE-C key of an SSE-C
  // version, or with one for a version not under SSE-C; 403 AccessDenied for a wrong key.
  S3Error OpenObjectKey(RequestContext& ctx, const ObjectEncryption& encryption, const SseRequest& sse,
                        std::shared_ptr<const ChunkCipher>* out);

  // Multipart (s3_multipart_ops.cc)
  void CreateMultipartUpload(RequestContext& ctx, const BucketInfo& bucket);
  void UploadPart(RequestContext& ctx, const BucketInfo& bucket);
  void CompleteMultipartUpload(RequestContext& ctx, const BucketInfo& bucket);
  void AbortMultipartUpload(RequestContext& ctx, const BucketInfo& bucket);
  void ListParts(RequestContext& ctx, const BucketInfo& bucket);
  void ListMultipartUploads(RequestContext& ctx, const BucketInfo& bucket);
  Status AbortUpload(const std::string& tenant, const std::string& upload_id);
  void SendCompleted(RequestContext& ctx, const BucketInfo& bucket, const ObjectInfo& done);
  // Answers a CompleteMultipartUpload of an upload already completed into the current
  // version with these parts, as AWS does; false (nothing sent) otherwise.
  bool RepeatCompletedUpload(RequestContext& ctx, const BucketInfo& bucket, const std::string& upload_id,
                             const std::vector<CompletedPart>& parts);

  // Parts of a completed upload (s3_object_parts_ops.cc): GetObjectAttributes, and the
  // byte span ?partNumber= names on GET and HEAD (with its x-amz-mp-parts-count).
  void GetObjectAttributes(RequestContext& ctx, const BucketInfo& bucket);

  // Browser POST upload (s3_post_object_ops.cc): a multipart/form-data form signed by its
  // policy document, stored as the PutObject its fields describe.
  void PostObject(RequestContext& ctx, const BucketInfo& bucket);

  // Listing (s3_list_ops.cc)
  void ListObjects(RequestContext& ctx, const BucketInfo& bucket);
  // A file volume bucket's objects are its volume's files (BucketRecord::file_volume,
  // s3_file_ops.cc): these read and list them there, other buckets' through the API.
  Status ReadKey(RequestContext& ctx, const BucketInfo& bucket, const VersionSelector& which,
                 const ObjectApi::OpenCallback& on_open, ByteSink& sink, const KeyResolver* keys);
  Result<ListResult> ListKeys(const BucketInfo& bucket, const ListOptions& options);
  // Answers a request a file volume bucket does not take (a POST upload); false for
  // other buckets.
  bool RefusedByFileVolume(RequestContext& ctx, const BucketInfo& bucket);
  // An object request on a file volume bucket: GET and HEAD read the file, PUT replaces
  // it (PutFile), DELETE removes it; other methods and subresources answer 405.
  void FileObjectRequest(RequestContext& ctx, const BucketInfo& bucket);
  void PutFile(RequestContext& ctx, const BucketInfo& bucket);
  void DeleteFile(RequestContext& ctx, const BucketInfo& bucket);
  // The volume a file volume bucket's writes go to (options_.volumes): kFailedPrecondition
  // when no gateway of the process serves it and this process may not open it.
  Result<std::shared_ptr<fs::SharedVolume>> ServedVolume(const BucketInfo& bucket);
  // Removes a file volume bucket's key (a file, or "dir/": an empty directory; a missing
  // key or a directory with files is no error, as S3's DELETE of a missing key), holding
  // the volume; checkpoints when asked.
  Status RemoveFile(fs::SharedVolume& volume, const std::string& key, bool checkpoint);
  void ListObjectVersions(RequestContext& ctx, const BucketInfo& bucket);

  std::string ObjectName(const RequestContext& ctx) const {
    return buckets_.BucketPath(ctx.tenant, ctx.bucket) + "/" + ctx.key;
  }
  std::string UploadRecordName(const std::string& tenant, const std::string& bucket,
                               const std::string& upload_id) const {
    return options_.segment + "/" + tenant + "/.uploads/" + bucket + "/" + upload_id;
  }
  std::string PartPrefix(const std::string& tenant, const std::string& upload_id) const {
    return options_.segment + "/" + tenant + "/.parts/" + upload_id + "/";
  }

  std::shared_ptr<ObjectApi> api_;
  std::shared_ptr<Registry> registry_;
  S3GatewayOptions options_;
  BucketRegistry buckets_;
  UserRegistry users_;
  std::atomic<uint64_t> requests_{0}, errors_{0}, bytes_in_{0}, bytes_out_{0};
  std::atomic<uint64_t> request_seq_{0};
  std::mutex policy_mu_;  // policies_: parsed policies by bucket path, with their text
  std::map<std::string, std::pair<std::string, std::shared_ptr<const BucketPolicy>>> policies_;
  std::unique_ptr<AccessLogSpool> access_log_;  // null without options_.access_log_dir
  std::mutex usage_mu_;  // usage_
  std::map<std::string, std::pair<uint64_t, uint64_t>> usage_;  // bucket path -> (bytes, when)
};

}  // namespace ccow::s3
