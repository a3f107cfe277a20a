// An s3:// remote of an Inter-Segment Gateway service (issue 14): the served bucket's
// current objects written as plain objects into a bucket of another S3 store, which any
// S3 tool reads. s3://HOST[:PORT]/BUCKET, plain HTTP (port 80 when none is given), signed
// with SigV4 by the link end's AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (region
// AWS_REGION or AWS_DEFAULT_REGION, else us-east-1; unsigned without keys).
//
// What crosses is each object's current version: its bytes (one PUT up to 16 MiB, a
// multipart upload of 16 MiB parts above), content type and user metadata, with
// x-amz-meta-ccow-version naming the version's manifest, so that an object the target
// already holds in that version is not sent again (a HEAD decides). An object deleted
// here (no current version) is deleted there. Keys are kept as they are; a service with
// an s3:// remote serves one bucket. Histories, Object Lock and ACLs stay here: the
// target keeps its own (a versioned target bucket keeps every state it was sent). Every
// body carries Content-MD5, so the target refuses what arrived altered.
//
// Errors: kUnavailable/kIOError when the target does not answer (the round is retried),
// kPermissionDenied for 401/403, kNoSpace for 507, kInvalidArgument for another refusal.
// Threads: one call at a time (the link's sender thread).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "client/object_api.h"
#include "core/status.h"
#include "http/http_client.h"

namespace ccow::isgw {

struct S3Target {
  std::string host;
  uint16_t port = 80;
  std::string bucket;
  std::string url;
  std::string access_key, secret_key, region = "us-east-1";
};

// The target of an s3:// remote, with the credentials of this process's environment.
Result<S3Target> ParseS3Remote(const std::string& url);

class S3Mirror {
 public:
  static constexpr uint64_t kPartBytes = 16 << 20;

  // stopping: true once the link stops (a multipart upload under way is aborted).
  explicit S3Mirror(S3Target target, std::function<bool()> stopping = {})
      : target_(std::move(target)), stopping_(std::move(stopping)) {}
  const S3Target& target() const { return target_; }

  // Creates the target bucket when it does not exist, then aborts the multipart uploads
  // an earlier run of the link left unfinished (killed part-way): the object `journal` of
  // api names the key of each upload from before it begins until it ends, so that the
  // target keeps no orphaned parts. Later uploads are recorded there too.
  Status EnsureBucket(ObjectApi& api, const std::string& journal);
  // Makes the target's `key` what `name` is now at api: written (when it does not hold
  // this version already; a multipart upload recorded in `journal` while it runs) or
  // deleted. *changed: whether the target changed; *bytes: the object bytes sent.
  Status Mirror(ObjectApi& api, const std::string& name, const std::string& key, const std::string& journal,
                bool* changed, uint64_t* bytes);

 private:
  Result<http::ClientResponse> Call(const std::string& method, const std::string& key, const std::string& query,
                                    http::HeaderList headers, std::string_view body);
  Status Put(ObjectApi& api, const std::string& name, const std::string& key, const std::string& journal,
             const ObjectInfo& info, uint64_t* bytes);
  Status Check(const http::ClientResponse& r, const std::string& what);

  // The keys whose multipart upload the journal records as under way, and a new record.
  Result<std::vector<std::string>> ReadJournal(ObjectApi& api, const std::string& journal);
  Status WriteJournal(ObjectApi& api, const std::string& journal, const std::vector<std::string>& keys);
  // Aborts every unfinished upload of key at the target.
  Status AbortUploadsOf(const std::string& key);

  S3Target target_;
  std::function<bool()> stopping_;
};

}  // namespace ccow::isgw
