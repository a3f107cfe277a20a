// S3 service and bucket operations: ListBuckets, Create/Head/Delete bucket, and the bucket
// subresources (location, versioning, tagging, CORS, lifecycle); the access-control ones
// are in s3_access_ops.cc, Object Lock's in s3_object_lock_ops.cc.
#include <strings.h>

#include <algorithm>

#include "fs/volume.h"
#include "gateway/s3/base64.h"
#include "gateway/s3/s3_encryption.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_xml.h"
#include "model/object_name.h"

namespace ccow::s3 {
namespace {

const char* kSubresources[] = {"location", "versioning", "tagging", "cors",   "lifecycle",
                               "acl",      "policy",     "uploads", "versions", "delete",
                               "encryption", "object-lock", "logging", "website",
                               "notification", "replication", "requestPayment",
                               "ownershipControls", "publicAccessBlock", "policyStatus", "accelerate",
                               "analytics", "metrics", "inventory", "intelligent-tiering"};

std::string FindSubresource(const HttpRequest& req) {
  for (const char* s : kSubresources)
    if (req.HasQuery(s)) return s;
  return "";
}

// The policy action of a bucket subresource request and the ACL permission that grants
// it: reading lists needs READ on the bucket; every configuration is the owner's (or a
// policy's) alone, as in AWS.
AccessCheck BucketSubresourceCheck(const std::string& method, const std::string& which) {
  if (which == "uploads") return {"s3:ListBucketMultipartUploads", AclScope::kBucket, kPermRead};
  if (which == "versions") return {"s3:ListBucketVersions", AclScope::kBucket, kPermRead};
  if (which == "location") return {"s3:GetBucketLocation"};
  static const std::pair<const char*, std::pair<const char*, const char*>> kNames[] = {
      {"versioning", {"s3:GetBucketVersioning", "s3:PutBucketVersioning"}},
      {"tagging", {"s3:GetBucketTagging", "s3:PutBucketTagging"}},
      {"cors", {"s3:GetBucketCORS", "s3:PutBucketCORS"}},
      {"lifecycle", {"s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"}},
      {"encryption", {"s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"}},
      {"object-lock", {"s3:GetBucketObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration"}},
      {"logging", {"s3:GetBucketLogging", "s3:PutBucketLogging"}},
      {"website", {"s3:GetBucketWebsite", "s3:PutBucketWebsite"}},
      {"notification", {"s3:GetBucketNotification", "s3:PutBucketNotification"}},
      {"replication", {"s3:GetReplicationConfiguration", "s3:PutReplicationConfiguration"}},
      {"requestPayment", {"s3:GetBucketRequestPayment", "s3:PutBucketRequestPayment"}},
  };
  for (const auto& [name, actions] : kNames)
    if (which == name) return {method == "GET" ? actions.first : actions.second};
  return {method == "GET" ? "s3:GetBucketConfiguration" : "s3:PutBucketConfiguration"};
}

}  // namespace

// ListBuckets with AWS's pagination: prefix, max-buckets (1 to 10000) and an opaque
// continuation token (here the base64 of the last name listed), in name order; a
// bucket-region other than the gateway's lists nothing.
void S3Handler::ListBuckets(RequestContext& ctx) {
  const HttpRequest& req = ctx.req;
  size_t max = SIZE_MAX;
  if (const std::string* m = req.Query("max-buckets")) {
    bool digits = !m->empty() && m->size() <= 5 &&
                  std::all_of(m->begin(), m->end(), [](char c) { return c >= '0' && c <= '9'; });
    size_t n = digits ? std::stoul(*m) : 0;
    if (n < 1 || n > 10000)
      return SendError(ctx, MakeError(400, "InvalidArgument", "max-buckets must be an integer from 1 to 10000"));
    max = n;
  }
  std::string after;
  if (const std::string* token = req.Query("continuation-token")) {
    auto name = Base64Decode(*token);
    if (!name) return SendError(ctx, MakeError(400, "InvalidArgument", "The continuation token provided is incorrect"));
    after = *name;
  }
  const std::string* prefix = req.Query("prefix");
  const std::string* region = req.Query("bucket-region");
  std::vector<BucketInfo> list = buckets_.List(ctx.tenant);
  std::sort(list.begin(), list.end(), [](const BucketInfo& a, const BucketInfo& b) { return a.name < b.name; });
  XmlWriter w;
  w.Open("ListAllMyBucketsResult", true);
  WriteIdentity(w, "Owner", ctx.tenant);
  w.Open("Buckets");
  size_t listed = 0;
  std::string last, next_token;
  for (const auto& b : list) {
    if (region && *region != options_.region) break;
    if (!after.empty() && b.name <= after) continue;
    if (prefix && !b.name.starts_with(*prefix)) continue;
    if (listed == max) {
      next_token = Base64Encode(last);
      break;
    }
    w.Open("Bucket");
    w.Element("Name", b.name);
    w.Element("CreationDate", IsoDate(b.record.created_ns));
    w.Element("BucketRegion", options_.region);
    w.Close();
    last = b.name;
    ++listed;
  }
  w.Close();
  if (!next_token.empty()) w.Element("ContinuationToken", next_token);
  if (prefix) w.Element("Prefix", *prefix);
  SendXml(ctx, 200, w.Finish());
}

void S3Handler::BucketRequest(RequestContext& ctx) {
  const HttpRequest& req = ctx.req;
  if (req.method == "PUT" && ctx.key.empty() && FindSubresource(req).empty()) {
    if (ctx.requester.anonymous()) return SendError(ctx, MakeError(403, "AccessDenied", "Access Denied"));
    CreateBucket(ctx);
    return;
  }
  auto bucket = buckets_.Resolve(ctx.requester.account, ctx.bucket);
  if (!bucket.ok()) {
    SendError(ctx, ErrorFromStatus(bucket.status(), "NoSuchBucket"),
              {{"x-amz-bucket-region", options_.region}});
    return;
  }
  ctx.tenant = bucket->tenant;  // the owner's namespace holds the bucket's objects
  ctx.bucket_owner = bucket->tenant;
  if (!bucket->record.logging_xml.empty()) {
    std::optional<BucketLogging> logging;
    if (ParseBucketLoggingStatus(bucket->record.logging_xml, &logging).ok()) ctx.logging = std::move(logging);
  }
  AddCorsHeaders(ctx, *bucket);
  if (!ctx.key.empty()) {
    ObjectRequest(ctx, *bucket);
    return;
  }
  std::string sub = FindSubresource(req);
  if (!sub.empty()) {
    BucketSubresource(ctx, *bucket, sub);
    return;
  }
  if (req.method == "POST") {
    if (RefusedByFileVolume(ctx, *bucket)) return;
    PostObject(ctx, *bucket);  // authenticated and authorized by its form
    return;
  }
  const AccessCheck list{"s3:ListBucket", AclScope::kBucket, kPermRead};
  auto allowed = [&](const AccessCheck& check) {
    S3Error e = Authorize(ctx, *bucket, check);
    if (!e.ok()) SendError(ctx, e);
    return e.ok();
  };
  if (req.method == "HEAD") {
    if (!allowed(list)) return;
    SendEmpty(ctx, 200, {{"x-amz-bucket-region", options_.region}, {"Content-Length", "0"}});
  } else if (req.method == "GET") {
    if (!allowed(list)) return;
    ListObjects(ctx, *bucket);
  } else if (req.method == "DELETE") {
    if (!allowed({"s3:DeleteBucket"})) return;
    DeleteBucket(ctx, *bucket);
  } else {
    SendError(ctx, MakeError(405, "MethodNotAllowed",
                             "The specified method is not allowed against this resource."));
  }
}

void S3Handler::CreateBucket(RequestContext& ctx) {
  Status valid = ValidateS3BucketName(ctx.bucket);
  if (!valid.ok()) {
    SendError(ctx, MakeError(400, "InvalidBucketName", valid.message()));
    return;
  }
  std::string body;
  Status st = ReadSmallBody(ctx, &body);
  if (!st.ok()) {
    SendError(ctx, ErrorFromStatus(st));
    return;
  }
  BucketRecord record;  // the registry's defaults; `ccow bucket create` sets the others
  record.created_ns = NowNs();
  S3Error e = ParseCreateBucketConfiguration(body, &record.location);
  if (!e.ok()) {
    SendError(ctx, e);
    return;
  }
  // Owner, ACL and Object Ownership from the request's headers.
  BucketAccess access;
  access.acl = PrivateAcl(ctx.tenant);
  if (const std::string* o = ctx.req.Header("x-amz-object-ownership")) {
    auto ownership = ParseObjectOwnershipName(*o);
    if (!ownership) return SendError(ctx, MakeError(400, "InvalidArgument", "Invalid x-amz-object-ownership: " + *o));
    access.ownership = *ownership;
    access.ownership_set = true;
  }
  std::optional<AccessControlList> acl;
  e = AclFromHeaders(ctx.req.headers, ctx.tenant, ctx.tenant,
                     [this](std::string_view a) { return AccountExists(a); }, &acl);
  if (!e.ok()) return SendError(ctx, e);
  if (acl) {
    if (access.ownership == ObjectOwnership::kBucketOwnerEnforced && *acl != PrivateAcl(ctx.tenant))
      return SendError(ctx, MakeError(400, "InvalidBucketAclWithObjectOwnership",
                                      "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"));
    access.acl = std::move(*acl);
  }
  if (access.ownership_set || access.acl != PrivateAcl(ctx.tenant)) record.access = EncodeBucketAccess(access);
  if (const std::string* lock = ctx.req.Header("x-amz-bucket-object-lock-enabled")) {
    // A write-once bucket is versioned from its first version on, as in AWS.
    if (strcasecmp(lock->c_str(), "true") == 0) {
      record.object_lock.enabled = true;
      record.versioning = Versioning::kEnabled;
    } else if (strcasecmp(lock->c_str(), "false") != 0) {
      return SendError(ctx, MakeError(400, "InvalidArgument", "x-amz-bucket-object-lock-enabled is true or false"));
    }
  }
  // A volume served before its bucket existed (a mount or export of its path): the new
  // bucket is its S3 view, as if the volume had been made on it.
  if (auto home = fs::Volume::HomeOf(buckets_.BucketPath(ctx.tenant, ctx.bucket)); home.ok()) {
    auto vm = api_->Stat(*home, {});
    if (!vm.ok() && !vm.status().IsNotFound()) return SendError(ctx, ErrorFromStatus(vm.status()));
    record.file_volume = vm.ok() && !(vm->flags & VersionManifest::kFlagDeleteMarker);
  }
  st = buckets_.Create(ctx.tenant, ctx.bucket, std::move(record));
  if (st.code() == Code::kAlreadyExists) {
    // Names are global per segment. Re-creating one's own bucket is 200 in us-east-1
    // (AWS's legacy answer) and BucketAlreadyOwnedByYou elsewhere.
    if (buckets_.Get(ctx.tenant, ctx.bucket).ok()) {
      if (options_.region == "us-east-1")
        return SendEmpty(ctx, 200, {{"Location", "/" + ctx.bucket}, {"Content-Length", "0"}});
      return SendError(ctx, MakeError(409, "BucketAlreadyOwnedByYou",
                                      "Your previous request to create the named bucket succeeded and "
                                      "you already own it."));
    }
    return SendError(ctx, MakeError(409, "BucketAlreadyExists",
                                    "The requested bucket name is not available. The bucket namespace is shared "
                                    "by all users of the system. Please select a different name and try again."));
  }
  if (!st.ok()) {
    SendError(ctx, ErrorFromStatus(st));
    return;
  }
  SendEmpty(ctx, 200, {{"Location", "/" + ctx.bucket}, {"Content-Length", "0"}});
}

void S3Handler::DeleteBucket(RequestContext& ctx, const BucketInfo& bucket) {
  ListOptions opts;
  opts.prefix = buckets_.BucketPath(ctx.tenant, ctx.bucket) + "/";
  opts.limit = 1;
  opts.include_delete_markers = true;
  opts.include_system_keys = true;  // a bucket's snapviews (ccow snapview) keep it too
  auto page = api_->List(opts);
  if (!page.ok()) {
    SendError(ctx, ErrorFromStatus(page.status()));
    return;
  }
  if (bucket.record.file_volume) {
    // Its files are its objects: the volume must be empty too.
    ListOptions files = opts;
    files.include_delete_markers = files.include_system_keys = false;
    auto held = ListKeys(bucket, files);
    if (!held.ok()) return SendError(ctx, ErrorFromStatus(held.status()));
    if (!held->names.empty())
      return SendError(ctx, MakeError(409, "BucketNotEmpty",
                                      "The bucket you tried to delete is not empty: its file volume holds files."));
  }
  if (!page->names.empty()) {
    const bool views = IsSystemKey(std::string_view(page->names.front()).substr(opts.prefix.size()));
    SendError(ctx, MakeError(409, "BucketNotEmpty",
                             views ? "The bucket you tried to delete is not empty: it has snapviews (ccow snapview rm)."
                                   : "The bucket you tried to delete is not empty."));
    return;
  }
  // Uploads in progress would be orphaned: abort them with the bucket.
  ListOptions up;
  up.prefix = options_.segment + "/" + ctx.tenant + "/.uploads/" + ctx.bucket + "/";
  for (;;) {
    auto uploads = api_->List(up);
    if (!uploads.ok()) break;
    for (const auto& name : uploads->names) {
      LogIfFailed(AbortUpload(ctx.tenant, name.substr(up.prefix.size())), "abort upload");
      LogIfFailed(api_->Delete(name, std::nullopt), "drop upload record");
    }
    if (!uploads->truncated) break;
    up.start_after = uploads->next_start_after;
  }
  Status st = buckets_.Delete(ctx.tenant, ctx.bucket);
  if (!st.ok()) {
    SendError(ctx, ErrorFromStatus(st, "NoSuchBucket"));
    return;
  }
  SendEmpty(ctx, 204);
}

void S3Handler::BucketSubresource(RequestContext& ctx, const BucketInfo& bucket, const std::string& which) {
  const std::string& m = ctx.req.method;
  auto not_impl = [&] {
    SendError(ctx, MakeError(501, "NotImplemented",
                             "ccow does not implement the " + which + " subresource yet."));
  };
  // Changes one setting on the newest record (another gateway may have changed others).
  auto update = [&](const char* what, const std::function<void(BucketRecord*)>& change) {
    Status st = buckets_.Update(ctx.tenant, ctx.bucket, [&](BucketRecord* r) {
      change(r);
      return Status::OK();
    });
    if (st.IsNotFound()) return SendError(ctx, ErrorFromStatus(st, "NoSuchBucket"));
    if (st.code() == Code::kConflict)
      return SendError(ctx, MakeError(409, "OperationAborted",
                                      "A conflicting conditional operation is currently in progress against this "
                                      "resource. Please try again."));
    if (!st.ok()) {
      SendError(ctx, ErrorFromStatus(st));
      return;
    }
    SendEmpty(ctx, std::string(what) == "delete" ? 204 : 200, {{"Content-Length", "0"}});
  };
  auto read_body = [&](std::string* body) {
    Status st = ReadSmallBody(ctx, body);
    if (!st.ok()) SendError(ctx, ErrorFromStatus(st));
    return st.ok();
  };

  static const char* kAccessSubresources[] = {"acl", "policy", "policyStatus", "publicAccessBlock",
                                              "ownershipControls"};
  for (const char* a : kAccessSubresources)
    if (which == a) return BucketAccessRequest(ctx, bucket, which);
  if (which != "delete") {  // DeleteObjects authorizes each key
    S3Error denied = Authorize(ctx, bucket, BucketSubresourceCheck(m, which));
    if (!denied.ok()) return SendError(ctx, denied);
  }

  if (which == "uploads" && m == "GET") return ListMultipartUploads(ctx, bucket);
  if (which == "versions" && m == "GET") return ListObjectVersions(ctx, bucket);
  if (which == "delete" && m == "POST") return DeleteObjects(ctx, bucket);
  if (which == "location" && m == "GET") {
    XmlWriter w;
    w.Open("LocationConstraint", true);
    std::string xml = w.Finish();
    if (!bucket.record.location.empty()) {
      XmlWriter w2;
      w2.Element("LocationConstraint", bucket.record.location);
      xml = w2.Finish();
      xml.insert(xml.find("<LocationConstraint") + 19,
                 " xmlns=\"" + std::string(kS3Namespace) + "\"");
    }
    return SendXml(ctx, 200, xml);
  }
  if (which == "versioning") {
    if (m == "GET") {
      XmlWriter w;
      w.Open("VersioningConfiguration", true);
      if (bucket.versioned()) w.Element("Status", VersioningName(bucket.record.versioning));
      return SendXml(ctx, 200, w.Finish());
    }
    if (m == "PUT") {
      std::string body, status;
      if (!read_body(&body)) return;
      S3Error e = ParseVersioningConfiguration(body, &status);
      if (!e.ok()) return SendError(ctx, e);
      if (status.empty()) return SendEmpty(ctx, 200, {{"Content-Length", "0"}});
      Versioning v = status == "Enabled" ? Versioning::kEnabled : Versioning::kSuspended;
      if (v != Versioning::kEnabled && bucket.record.object_lock.enabled)
        return SendError(ctx, MakeError(409, "InvalidBucketState",
                                        "An Object Lock configuration is present on this bucket, so the versioning "
                                        "state cannot be changed."));
      return update("put", [v](BucketRecord* r) { r->versioning = v; });
    }
  }
  if (which == "tagging") {
    if (m == "GET") {
      if (bucket.record.tags.empty())
        return SendError(ctx, MakeError(404, "NoSuchTagSet", "The TagSet does not exist"));
      return SendXml(ctx, 200, TaggingXml(bucket.record.tags));
    }
    if (m == "PUT") {
      std::string body;
      if (!read_body(&body)) return;
      std::vector<std::pair<std::string, std::string>> tags;
      S3Error e = ParseTagging(body, 50, &tags);
      if (!e.ok()) return SendError(ctx, e);
      return update("put", [&](BucketRecord* r) { r->tags = tags; });
    }
    if (m == "DELETE") {
      return update("delete", [](BucketRecord* r) { r->tags.clear(); });
    }
  }
  if (which == "cors") {
    if (m == "GET") {
      if (bucket.record.cors_xml.empty())
        return SendError(ctx, MakeError(404, "NoSuchCORSConfiguration",
                                        "The CORS configuration does not exist"));
      return SendXml(ctx, 200, bucket.record.cors_xml);
    }
    if (m == "PUT") {
      std::string body;
      if (!read_body(&body)) return;
      std::vector<CorsRule> rules;
      S3Error e = ParseCorsConfiguration(body, &rules);
      if (!e.ok()) return SendError(ctx, e);
      return update("put", [&](BucketRecord* r) { r->cors_xml = body; });
    }
    if (m == "DELETE") {
      return update("delete", [](BucketRecord* r) { r->cors_xml.clear(); });
    }
  }
  if (which == "lifecycle") {
    if (m == "GET") {
      if (bucket.record.lifecycle_xml.empty())
        return SendError(ctx, MakeError(404, "NoSuchLifecycleConfiguration",
                                        "The lifecycle configuration does not exist"));
      return SendXml(ctx, 200, bucket.record.lifecycle_xml);
    }
    if (m == "PUT") {
      std::string body;
      if (!read_body(&body)) return;
      std::vector<LifecycleRule> rules;
      S3Error e = ParseLifecycleConfiguration(body, &rules);
      if (!e.ok()) return SendError(ctx, e);
      return update("put", [&](BucketRecord* r) { r->lifecycle_xml = body; });
    }
    if (m == "DELETE") {
      return update("delete", [](BucketRecord* r) { r->lifecycle_xml.clear(); });
    }
  }
  if (which == "encryption") {
    // Kept normalized (what BucketEncryptionXml writes), so a GET returns AWS's shape.
    if (m == "GET") {
      if (bucket.record.encryption_xml.empty())
        return SendError(ctx, MakeError(404, "ServerSideEncryptionConfigurationNotFoundError",
                                        "The server side encryption configuration was not found"));
      return SendXml(ctx, 200, bucket.record.encryption_xml);
    }
    if (m == "PUT") {
      std::string body;
      if (!read_body(&body)) return;
      BucketEncryption config;
      S3Error e = ParseBucketEncryption(body, &config);
      if (!e.ok()) return SendError(ctx, e);
      return update("put", [&](BucketRecord* r) { r->encryption_xml = BucketEncryptionXml(config); });
    }
    if (m == "DELETE") {
      return update("delete", [](BucketRecord* r) { r->encryption_xml.clear(); });
    }
  }
  if (which == "requestPayment" && m == "GET") {  // s3cmd info asks; the owner always pays
    XmlWriter w;
    w.Open("RequestPaymentConfiguration", true);
    w.Element("Payer", "BucketOwner");
    return SendXml(ctx, 200, w.Finish());
  }
  if (which == "object-lock") return BucketObjectLock(ctx, bucket);
  if (which == "logging") return BucketLoggingRequest(ctx, bucket);
  not_impl();
}

void S3Handler::AddCorsHeaders(RequestContext& ctx, const BucketInfo& bucket) {
  const std::string* origin = ctx.req.Header("origin");
  if (!origin || bucket.record.cors_xml.empty()) return;
  std::vector<CorsRule> rules;
  if (!ParseCorsConfiguration(bucket.record.cors_xml, &rules).ok()) return;
  const CorsRule* rule = MatchCors(rules, *origin, ctx.req.method, {});
  if (!rule) return;
  bool any = std::find(rule->allowed_origins.begin(), rule->allowed_origins.end(), "*") !=
             rule->allowed_origins.end();
  ctx.extra_headers.emplace_back("Access-Control-Allow-Origin", any ? "*" : *origin);
  std::string methods;
  for (const auto& m : rule->allowed_methods) methods += (methods.empty() ? "" : ", ") + m;
  ctx.extra_headers.emplace_back("Access-Control-Allow-Methods", methods);
  if (!rule->expose_headers.empty()) {
    std::string expose;
    for (const auto& h : rule->expose_headers) expose += (expose.empty() ? "" : ", ") + h;
    ctx.extra_headers.emplace_back("Access-Control-Expose-Headers", expose);
  }
  if (rule->max_age_seconds)
    ctx.extra_headers.emplace_back("Access-Control-Max-Age", std::to_string(*rule->max_age_seconds));
  ctx.extra_headers.emplace_back("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
}

void S3Handler::Preflight(RequestContext& ctx) {
  const std::string* origin = ctx.req.Header("origin");
  const std::string* method = ctx.req.Header("access-control-request-method");
  if (ctx.bucket.empty() || !origin || !method) {
    SendError(ctx, MakeError(400, "BadRequest",
                             "Insufficient information. Origin request header needed."));
    return;
  }
  // A preflight carries no credentials: the bucket is found by its name alone.
  auto bucket = buckets_.Resolve("", ctx.bucket);
  std::vector<CorsRule> rules;
  if (!bucket.ok() || bucket->record.cors_xml.empty() ||
      !ParseCorsConfiguration(bucket->record.cors_xml, &rules).ok()) {
    SendError(ctx, MakeError(403, "CORSResponse", "This CORS request is not allowed. This is "
                                                  "usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."));
    return;
  }
  std::vector<std::string> headers;
  if (const std::string* h = ctx.req.Header("access-control-request-headers")) {
    std::string_view rest = *h;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) headers.emplace_back(item);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  const CorsRule* rule = MatchCors(rules, *origin, *method, headers);
  if (!rule) {
    SendError(ctx, MakeError(403, "CORSResponse", "This CORS request is not allowed."));
    return;
  }
  bool any = std::find(rule->allowed_origins.begin(), rule->allowed_origins.end(), "*") !=
             rule->allowed_origins.end();
  HeaderList out{{"Access-Control-Allow-Origin", any ? "*" : *origin},
                 {"Content-Length", "0"}};
  std::string methods;
  for (const auto& m : rule->allowed_methods) methods += (methods.empty() ? "" : ", ") + m;
  out.emplace_back("Access-Control-Allow-Methods", methods);
  if (!headers.empty()) {
    std::string allowed;
    for (const auto& h : headers) allowed += (allowed.empty() ? "" : ", ") + h;
    out.emplace_back("Access-Control-Allow-Headers", allowed);
  }
  if (!rule->expose_headers.empty()) {
    std::string expose;
    for (const auto& h : rule->expose_headers) expose += (expose.empty() ? "" : ", ") + h;
    out.emplace_back("Access-Control-Expose-Headers", expose);
  }
  if (rule->max_age_seconds)
    out.emplace_back("Access-Control-Max-Age", std::to_string(*rule->max_age_seconds));
  out.emplace_back("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  SendEmpty(ctx, 200, out);
}

}  // namespace ccow::s3
