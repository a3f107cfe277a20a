// S3 listings: ListObjects (v1 and v2) and ListObjectVersions, on the name index's range
// scans (ObjectApi::List skips whole common prefixes instead of visiting every key).

#include <algorithm>

#include "gateway/s3/base64.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_util.h"
#include "gateway/s3/s3_xml.h"

namespace ccow::s3 {
namespace {

std::string Param(const HttpRequest& req, const char* name) {
  const std::string* v = req.Query(name);
  return v ? *v : std::string();
}

// max-keys: 0..1000 (larger values are capped, as S3 does); nullopt when not a number.
std::optional<size_t> MaxKeys(const HttpRequest& req) {
  const std::string* v = req.Query("max-keys");
  if (!v) return 1000;
  if (v->empty() || v->size() > 10 ||
      !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::min<size_t>(std::stoull(*v), 1000);
}

}  // namespace

void S3Handler::ListObjects(RequestContext& ctx, const BucketInfo& bucket) {
  const HttpRequest& req = ctx.req;
  bool v2 = Param(req, "list-type") == "2";
  std::string prefix = Param(req, "prefix");
  std::string delimiter = Param(req, "delimiter");
  std::string encoding = Param(req, "encoding-type");
  if (!encoding.empty() && encoding != "url")
    return SendError(ctx, MakeError(400, "InvalidArgument", "Invalid Encoding Method specified in Request"));
  auto max_keys = MaxKeys(req);
  if (!max_keys)
    return SendError(ctx, MakeError(400, "InvalidArgument", "Provided max-keys not an integer or within integer range"));
  std::string marker;
  std::string token = Param(req, "continuation-token");
  if (v2) {
    if (req.HasQuery("continuation-token")) {
      auto decoded = Base64Decode(token);
      if (!decoded)
        return SendError(ctx, MakeError(400, "InvalidArgument", "The continuation token provided is incorrect"));
      marker = *decoded;
    } else {
      marker = Param(req, "start-after");
    }
  } else {
    marker = Param(req, "marker");
  }
  auto enc = [&](const std::string& s) { return encoding == "url" ? UriEncode(s, false) : s; };

  std::string base = buckets_.BucketPath(ctx.tenant, ctx.bucket) + "/";
  ListResult page;
  if (*max_keys > 0) {
    ListOptions opts;
    opts.prefix = base + prefix;
    opts.delimiter = delimiter;
    opts.limit = *max_keys;
    if (!marker.empty()) opts.start_after = base + marker;
    auto listed = ListKeys(bucket, opts);
    if (!listed.ok()) return SendError(ctx, ErrorFromStatus(listed.status()));
    page = std::move(*listed);
  }
  bool fetch_owner = !v2 || Param(req, "fetch-owner") == "true";

  XmlWriter w;
  w.Open("ListBucketResult", true);
  w.Element("Name", ctx.bucket);
  w.Element("Prefix", enc(prefix));
  if (v2) {
    if (req.HasQuery("continuation-token")) w.Element("ContinuationToken", token);
    if (req.HasQuery("start-after")) w.Element("StartAfter", enc(Param(req, "start-after")));
    w.Element("KeyCount", std::to_string(page.names.size() + page.common_prefixes.size()));
  } else {
    w.Element("Marker", enc(marker));
  }
  w.Element("MaxKeys", std::to_string(*max_keys));
  if (!delimiter.empty()) w.Element("Delimiter", enc(delimiter));
  if (!encoding.empty()) w.Element("EncodingType", encoding);
  w.Element("IsTruncated", page.truncated ? "true" : "false");
  if (page.truncated) {
    std::string next = page.next_start_after.substr(base.size());
    if (v2) w.Element("NextContinuationToken", Base64Encode(next));
    else w.Element("NextMarker", enc(next));
  }
  for (size_t i = 0; i < page.names.size(); ++i) {
    const VersionEntry& v = page.objects[i];
    w.Open("Contents");
    w.Element("Key", enc(page.names[i].substr(base.size())));
    w.Element("LastModified", IsoDate(v.uvid.timestamp_ns));
    w.Element("ETag", Quoted(v.etag));
    w.Element("Size", std::to_string(v.size));
    w.Element("StorageClass", StorageClassOf(bucket, v.storage_class));
    if (fetch_owner) WriteIdentity(w, "Owner", ctx.tenant);
    w.Close();
  }
  for (const auto& cp : page.common_prefixes) {
    w.Open("CommonPrefixes");
    w.Element("Prefix", enc(cp.substr(base.size())));
    w.Close();
  }
  SendXml(ctx, 200, w.Finish());
}

void S3Handler::ListObjectVersions(RequestContext& ctx, const BucketInfo& bucket) {
  if (bucket.record.file_volume)
    return SendError(ctx, MakeError(501, "NotImplemented",
                                    "Bucket " + bucket.name +
                                        " is a file volume: its files have one version each; list them with "
                                        "ListObjects."));
  const HttpRequest& req = ctx.req;
  std::string prefix = Param(req, "prefix");
  std::string delimiter = Param(req, "delimiter");
  std::string key_marker = Param(req, "key-marker");
  std::string encoding = Param(req, "encoding-type");
  auto max_keys = MaxKeys(req);
  if (!max_keys)
    return SendError(ctx, MakeError(400, "InvalidArgument", "Provided max-keys not an integer or within integer range"));
  auto enc = [&](const std::string& s) { return encoding == "url" ? UriEncode(s, false) : s; };
  std::string base = buckets_.BucketPath(ctx.tenant, ctx.bucket) + "/";
  bool versioned = bucket.versioned();
  std::string vid_marker = Param(req, "version-id-marker");
  // max-keys counts versions, as in S3: a page may end inside a key's versions and the
  // next one resumes there (key-marker + version-id-marker).
  struct Row {
    std::string key;
    VersionEntry v;
    bool latest;
  };
  std::vector<Row> rows;
  size_t budget = *max_keys;
  bool truncated = false;
  std::string next_key, next_vid;
  auto emit = [&](const std::string& key, const VersionEntry& v, bool latest) {
    if (budget == 0) {
      truncated = true;
      return false;
    }
    rows.push_back({key, v, latest});
    --budget;
    next_key = key;
    next_vid = S3VersionId(versioned, v);
    return true;
  };
  // Resuming inside key_marker's versions: after the one the marker names ("null" names
  // the null version, which in an unversioned bucket is the only one).
  VersionSelector marked;
  if (!key_marker.empty() && !vid_marker.empty() && ParseVersionId(vid_marker, versioned, &marked).ok() &&
      (marked.generation || marked.null_version)) {
    auto vl = api_->Versions(base + key_marker);
    auto at = vl.ok() ? vl->Resolve(marked) : Result<VersionEntry>(vl.status());
    if (at.ok()) {
      // The versions after the marked one in the list's order (two segments' versions
      // may share a generation).
      const auto& versions = vl->versions();
      size_t j = 0;
      while (j < versions.size() && versions[j].vm_chid != at->vm_chid) ++j;
      for (++j; j < versions.size() && !truncated; ++j) emit(key_marker, versions[j], j == 0);
    } else if (vl.ok() && marked.generation) {
      // The marked version is gone meanwhile: resume with the older ones.
      const auto& versions = vl->versions();
      for (size_t j = 0; j < versions.size() && !truncated; ++j)
        if (versions[j].generation < *marked.generation) emit(key_marker, versions[j], j == 0);
    }
  }
  ListResult page;
  if (budget > 0 && !truncated) {
    ListOptions opts;
    opts.prefix = base + prefix;
    opts.delimiter = delimiter;
    opts.limit = budget;
    opts.include_delete_markers = true;
    opts.with_version_lists = true;
    if (!key_marker.empty()) opts.start_after = base + key_marker;
    auto listed = ListKeys(bucket, opts);
    if (!listed.ok()) return SendError(ctx, ErrorFromStatus(listed.status()));
    page = std::move(*listed);
    for (size_t i = 0; i < page.names.size() && !truncated; ++i) {
      std::string key = page.names[i].substr(base.size());
      const auto& versions = page.version_lists[i].versions();
      for (size_t j = 0; j < versions.size(); ++j)
        if (!emit(key, versions[j], j == 0)) break;
    }
    if (page.truncated && !truncated) {
      truncated = true;
      next_key = page.next_start_after.substr(base.size());
      next_vid.clear();
    }
  } else if (*max_keys > 0 && !truncated) {
    truncated = true;  // the resumed key used the whole page
  }
  XmlWriter w;
  w.Open("ListVersionsResult", true);
  w.Element("Name", ctx.bucket);
  w.Element("Prefix", enc(prefix));
  w.Element("KeyMarker", enc(key_marker));
  w.Element("VersionIdMarker", vid_marker);
  w.Element("MaxKeys", std::to_string(*max_keys));
  if (!delimiter.empty()) w.Element("Delimiter", enc(delimiter));
  if (!encoding.empty()) w.Element("EncodingType", encoding);
  w.Element("IsTruncated", truncated ? "true" : "false");
  if (truncated) {
    w.Element("NextKeyMarker", enc(next_key));
    w.Element("NextVersionIdMarker", next_vid);
  }
  for (const Row& r : rows) {
    const VersionEntry& v = r.v;
    w.Open(v.is_delete_marker() ? "DeleteMarker" : "Version");
    w.Element("Key", enc(r.key));
    w.Element("VersionId", S3VersionId(versioned, v));
    w.Element("IsLatest", r.latest ? "true" : "false");
    w.Element("LastModified", IsoDate(v.uvid.timestamp_ns));
    if (!v.is_delete_marker()) {
      w.Element("ETag", Quoted(v.etag));
      w.Element("Size", std::to_string(v.size));
      w.Element("StorageClass", StorageClassOf(bucket, v.storage_class));
    }
    WriteIdentity(w, "Owner", ctx.tenant);
    w.Close();
  }
  for (const auto& cp : page.common_prefixes) {
    w.Open("CommonPrefixes");
    w.Element("Prefix", enc(cp.substr(base.size())));
    w.Close();
  }
  SendXml(ctx, 200, w.Finish());
}

}  // namespace ccow::s3
