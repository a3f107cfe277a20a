// POST Object: a browser uploads a file with an HTML form (multipart/form-data) whose
// signed policy says what may be uploaded (post_policy.h). The form's fields become the
// headers of an ordinary PutObject (metadata, ACL, Object Lock), so what a POST stores is
// exactly what the same PUT would.
#include <strings.h>

#include <ctime>

#include "gateway/s3/auth_common.h"
#include "gateway/s3/form_data.h"
#include "gateway/s3/iso_date.h"
#include "gateway/s3/post_policy.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_util.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/xml_reader.h"
#include "http/query_string.h"

namespace ccow::s3 {

using namespace auth;

namespace {

constexpr uint64_t kMaxPostObject = 5ull << 30;  // as one PUT

// Form fields a PUT would take as headers.
bool IsHeaderField(const std::string& lower) {
  static const char* kNames[] = {"cache-control", "content-type", "content-disposition", "content-encoding",
                                 "content-language", "expires", "x-amz-acl", "x-amz-storage-class",
                                 "x-amz-website-redirect-location", "x-amz-object-lock-mode",
                                 "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"};
  for (const char* n : kNames)
    if (lower == n) return true;
  return lower.starts_with("x-amz-meta-") || lower.starts_with("x-amz-grant-") ||
         lower.starts_with("x-amz-server-side-encryption");
}

// Counts the file's bytes and stops it beyond `max` (the policy's content-length-range
// or S3's 5 GiB), so an oversized upload fails while it streams.
class BoundedSource : public ByteSource {
 public:
  BoundedSource(ByteSource& inner, uint64_t max, std::atomic<uint64_t>* counter)
      : inner_(inner), max_(max), counter_(counter) {}
  Result<size_t> Read(char* buf, size_t n) override {
    CCOW_ASSIGN_OR_RETURN(size_t got, inner_.Read(buf, n));
    total_ += got;
    *counter_ += got;
    if (total_ > max_)
      return Status::InvalidArgument("EntityTooLarge: Your proposed upload exceeds the maximum allowed size");
    return got;
  }

 private:
  ByteSource& inner_;
  uint64_t max_, total_ = 0;
  std::atomic<uint64_t>* counter_;
};

}  // namespace

void S3Handler::PostObject(RequestContext& ctx, const BucketInfo& bucket) {
  const std::string* type = ctx.req.Header("content-type");
  std::string boundary = type ? FormBoundary(*type) : "";
  if (boundary.empty())
    return SendError(ctx, MakeError(412, "PreconditionFailed",
                                    "Bucket POST must be of the enclosure-type multipart/form-data"));
  FormDataReader form(ctx.ex.body(), boundary);
  std::vector<FormField> fields;
  std::string filename, file_type;
  S3Error e = form.ReadFields(&fields, &filename, &file_type);
  if (!e.ok()) return SendError(ctx, e);
  const std::string* key_field = FindField(fields, "key");
  if (!key_field)
    return SendError(ctx, MakeError(400, "InvalidArgument",
                                    "Bucket POST must contain a field named 'key'.  If it is specified, please check "
                                    "the order of the fields."));
  // ${filename}: the name the browser gave the file, without its directories.
  std::string base = filename.substr(filename.find_last_of("/\\") == std::string::npos ? 0
                                                                                       : filename.find_last_of("/\\") + 1);
  std::string key = *key_field;
  for (size_t at; (at = key.find("${filename}")) != std::string::npos;) key.replace(at, 11, base);
  if (key.empty() || key.size() > 1024)
    return SendError(ctx, MakeError(400, "InvalidArgument", "The key must be 1 to 1024 bytes long: " + key));
  if (!xml::IsUtf8(key)) return SendError(ctx, MakeError(400, "InvalidArgument", "The key must be UTF-8."));

  // The form, not the HTTP request, is signed (a header-signed request keeps its own).
  if (ctx.auth.anonymous) {
    e = VerifyPostSignature(fields, [this](std::string_view ak) { return users_.Lookup(ak); }, &ctx.auth);
    if (!e.ok()) return SendError(ctx, e);
    if (!ctx.auth.anonymous)
      ctx.requester.account = ctx.auth.credentials.tenant.empty() ? std::string(kDefaultTenant)
                                                                  : ctx.auth.credentials.tenant;
  }
  std::optional<std::pair<uint64_t, uint64_t>> length_range;
  if (const std::string* policy_b64 = FindField(fields, "policy")) {
    PostPolicy policy;
    e = ParsePostPolicy(*policy_b64, &policy);
    if (e.ok()) {
      auto now_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
      e = CheckPostPolicy(policy, fields, ctx.bucket, key, now_ms, &length_range);
    }
    if (!e.ok()) return SendError(ctx, e);
  }

  // The fields a PUT takes as headers, as that PUT's request.
  http::HttpRequest put = ctx.req;
  put.method = "PUT";
  put.headers.clear();
  for (const auto& f : fields) {
    std::string lower = ToLower(f.name);
    if (lower == "acl") lower = "x-amz-acl";  // a form names the canned ACL "acl"
    if (IsHeaderField(lower)) put.headers.emplace_back(lower, f.value);
  }
  if (const std::string* tagging = FindField(fields, "tagging")) {
    std::vector<std::pair<std::string, std::string>> tags;
    e = ParseTagging(*tagging, 10, &tags);
    if (!e.ok()) return SendError(ctx, e);
    put.headers.emplace_back("x-amz-tagging", TagQuery(tags));
  }
  put.content_length.reset();
  RequestContext put_ctx{ctx.ex,         put,         ctx.auth,         ctx.requester, ctx.tenant,    ctx.bucket, key,
                         ctx.request_id, ctx.extra_headers, ctx.logging, ctx.bucket_owner, {}, ctx.started_ns};
  e = Authorize(put_ctx, bucket, {"s3:PutObject", AclScope::kBucket, kPermWrite});
  PutOptions opts;
  if (e.ok()) e = MetadataFromHeaders(put, &opts);
  if (e.ok()) e = ApplyObjectAcl(put_ctx, bucket, &opts);
  if (e.ok()) e = ApplyObjectLock(put_ctx, bucket, &opts);
  SseRequest sse;
  if (e.ok()) e = ApplyEncryption(put_ctx, bucket, &opts, &sse);
  if (!e.ok()) return SendError(ctx, e);
  Status quota = ApplyBucketPolicy(bucket, 0, &opts);
  if (!quota.ok()) return SendError(ctx, ErrorFromStatus(quota));
  opts.slot = SlotForVersioning(bucket.versioned(), bucket.versioning_enabled());
  uint64_t min = length_range ? length_range->first : 0;
  uint64_t max = length_range ? std::min(length_range->second, kMaxPostObject) : kMaxPostObject;
  auto before = std::move(opts.before_commit);
  opts.before_commit = [before, min](VersionManifest& vm) -> Status {
    if (vm.size < min)
      return Status::InvalidArgument("EntityTooSmall: Your proposed upload is smaller than the minimum allowed size");
    return before ? before(vm) : Status::OK();
  };
  BoundedSource file(form.file(), max, &bytes_in_);
  auto info = api_->Put(ObjectName(put_ctx), file, opts);
  if (!info.ok()) return SendError(ctx, ErrorFromStatus(info.status()));
  if (bucket.record.quota_bytes) ForgetUsage(bucket);
  // What follows the file part is ignored, as S3 does; read a bounded amount of it so a
  // kept-alive connection stays in step.
  char sink[16 << 10];
  for (int i = 0; i < 64; ++i) {
    auto got = ctx.ex.body().Read(sink, sizeof sink);
    if (!got.ok() || *got == 0) break;
  }

  std::string location = "/" + ctx.bucket + "/" + http::PercentEncode(key, false);
  HeaderList h{{"ETag", Quoted(info->etag)}, {"Location", location}};
  AddSseHeaders(info->encryption, sse, &h);
  if (bucket.versioning_enabled()) h.emplace_back("x-amz-version-id", S3VersionId(true, *info));
  const std::string* redirect = FindField(fields, "success_action_redirect");
  if (!redirect) redirect = FindField(fields, "redirect");
  if (redirect && (redirect->starts_with("http://") || redirect->starts_with("https://"))) {
    std::string url = *redirect + (redirect->find('?') == std::string::npos ? "?" : "&") +
                      "bucket=" + http::PercentEncode(ctx.bucket, true) + "&key=" + http::PercentEncode(key, true) +
                      "&etag=" + http::PercentEncode(Quoted(info->etag), true);
    h.emplace_back("Location", url);
    h.erase(h.begin() + 1);  // the redirect replaces the object's Location
    h.emplace_back("Content-Length", "0");
    return SendEmpty(ctx, 303, h);
  }
  const std::string* status = FindField(fields, "success_action_status");
  if (status && *status == "201") {
    XmlWriter w;
    w.Open("PostResponse");
    w.Element("Location", location);
    w.Element("Bucket", ctx.bucket);
    w.Element("Key", key);
    w.Element("ETag", Quoted(info->etag));
    w.Close();
    return SendXml(ctx, 201, w.Finish(), h);
  }
  h.emplace_back("Content-Length", "0");
  SendEmpty(ctx, status && *status == "200" ? 200 : 204, h);
}

}  // namespace ccow::s3
