#include "isgw/s3_mirror.h"

#include <charconv>
#include <cstdlib>
#include <ctime>
#include <set>

#include <nlohmann/json.hpp>

#include "client/byte_stream.h"
#include "core/hash.h"
#include "gateway/s3/base64.h"
#include "gateway/s3/sigv4.h"
#include "gateway/s3/xml_reader.h"
#include "model/version_manifest.h"

namespace ccow::isgw {

namespace {
constexpr const char* kVersionHeader = "x-amz-meta-ccow-version";

const std::string* HeaderOf(const http::ClientResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return &v;
  return nullptr;
}

// The text between <tag> and </tag> in an S3 XML reply, or "".
std::string XmlField(const std::string& xml, const std::string& tag) {
  const size_t a = xml.find("<" + tag + ">");
  if (a == std::string::npos) return "";
  const size_t from = a + tag.size() + 2;
  const size_t b = xml.find("</" + tag + ">", from);
  return b == std::string::npos ? "" : xml.substr(from, b - from);
}

// A header value S3 takes as it is: printable ASCII.
bool PlainValue(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string ContentMd5(std::string_view body) {
  Md5 md5;
  md5.Update(body.data(), body.size());
  auto raw = FromHex(md5.HexFinal());
  return raw.ok() ? s3::Base64Encode(*raw) : std::string();
}
}  // namespace

Result<S3Target> ParseS3Remote(const std::string& url) {
  S3Target t;
  t.url = url;
  if (url.rfind("s3://", 0) != 0) return Status::InvalidArgument("remote " + url + " is not an s3:// remote");
  const std::string rest = url.substr(5);
  const size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= rest.size() || rest.find('/', slash + 1) != std::string::npos)
    return Status::InvalidArgument("remote " + url + ": expected s3://HOST[:PORT]/BUCKET");
  std::string host = rest.substr(0, slash);
  t.bucket = rest.substr(slash + 1);
  if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
    unsigned port = 0;
    const std::string digits = host.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
      return Status::InvalidArgument("remote " + url + " has no valid port");
    t.port = static_cast<uint16_t>(port);
    host.resize(colon);
  }
  t.host = host;
  if (const char* k = std::getenv("AWS_ACCESS_KEY_ID")) t.access_key = k;
  if (const char* s = std::getenv("AWS_SECRET_ACCESS_KEY")) t.secret_key = s;
  if (const char* r = std::getenv("AWS_REGION"); r && *r) t.region = r;
  else if (const char* d = std::getenv("AWS_DEFAULT_REGION"); d && *d) t.region = d;
  return t;
}

Result<http::ClientResponse> S3Mirror::Call(const std::string& method, const std::string& key,
                                            const std::string& query, http::HeaderList headers,
                                            std::string_view body) {
  std::string target = "/" + s3::UriEncode(target_.bucket, true);
  if (!key.empty()) target += "/" + s3::UriEncode(key, false);
  if (!query.empty()) target += "?" + query;
  const std::string host = target_.port == 80 ? target_.host : target_.host + ":" + std::to_string(target_.port);
  if (!target_.access_key.empty()) {
    s3::SignedRequest req{method, target, {{"host", host}}};
    for (const auto& h : headers) req.headers.push_back(h);
    s3::SignRequest(req, {target_.access_key, target_.secret_key, ""}, target_.region, s3::Sha256Hex(body),
                    std::time(nullptr));
    headers.assign(req.headers.begin(), req.headers.end());
  } else {
    headers.push_back({"host", host});
  }
  http::ClientTimeouts timeouts;
  timeouts.total = std::chrono::milliseconds(300'000);
  auto r = http::Request(target_.host, target_.port, method, target, headers, body, timeouts);
  if (!r.ok()) return r.status().WithContext("s3 remote " + target_.url);
  return r;
}

Status S3Mirror::Check(const http::ClientResponse& r, const std::string& what) {
  if (r.status >= 200 && r.status < 300) return Status::OK();
  const std::string code = XmlField(r.body, "Code");
  const std::string message = "s3 remote " + target_.url + ": " + what + " answered " + std::to_string(r.status) +
                              (code.empty() ? "" : " " + code) + ": " + XmlField(r.body, "Message");
  if (r.status == 401 || r.status == 403) return Status::PermissionDenied(message);
  if (r.status == 404) return Status::NotFound(message);
  if (r.status == 507) return Status::NoSpace(message);
  if (r.status >= 500) return Status::Unavailable(message);
  return Status::InvalidArgument(message);
}

Status S3Mirror::EnsureBucket(ObjectApi& api, const std::string& journal) {
  CCOW_ASSIGN_OR_RETURN(auto head, Call("HEAD", "", "", {}, {}));
  if (head.status == 404) {
    CCOW_ASSIGN_OR_RETURN(auto made, Call("PUT", "", "", {}, {}));
    if (!(made.status == 409 && XmlField(made.body, "Code") == "BucketAlreadyOwnedByYou"))
      CCOW_RETURN_IF_ERROR(Check(made, "creating bucket " + target_.bucket));
  } else if (head.status != 200) {
    return Check(head, "HEAD of bucket " + target_.bucket);
  }
  // Uploads a killed run left: aborted (an upload the target no longer knows is fine).
  CCOW_ASSIGN_OR_RETURN(auto left, ReadJournal(api, journal));
  if (left.empty()) return Status::OK();
  for (const auto& key : left) CCOW_RETURN_IF_ERROR(AbortUploadsOf(key));
  return WriteJournal(api, journal, {});
}

// The journal names keys, not upload ids: a key is recorded before its upload begins, so
// that a link killed between the target's answer and the record leaves nothing unknown.
Status S3Mirror::AbortUploadsOf(const std::string& key) {
  CCOW_ASSIGN_OR_RETURN(auto listed, Call("GET", "", "prefix=" + s3::UriEncode(key, true) + "&uploads=", {}, {}));
  CCOW_RETURN_IF_ERROR(Check(listed, "listing the unfinished uploads of " + key));
  pugi::xml_document doc;
  pugi::xml_node root;
  if (!s3::xml::LoadRoot(listed.body, "ListMultipartUploadsResult", &doc, &root).ok())
    return Status::Unavailable("s3 remote " + target_.url + ": the list of unfinished uploads is not S3's XML");
  for (pugi::xml_node u : s3::xml::Children(root, "Upload")) {
    std::string k, id;
    if (!s3::xml::ChildText(u, "Key", true, &k).ok() || !s3::xml::ChildText(u, "UploadId", true, &id).ok() || k != key)
      continue;
    CCOW_ASSIGN_OR_RETURN(auto aborted, Call("DELETE", key, "uploadId=" + s3::UriEncode(id, true), {}, {}));
    if (aborted.status != 404) CCOW_RETURN_IF_ERROR(Check(aborted, "aborting an unfinished upload of " + key));
  }
  return Status::OK();
}

Result<std::vector<std::string>> S3Mirror::ReadJournal(ObjectApi& api, const std::string& journal) {
  std::vector<std::string> out;
  StringSink sink;
  Status s = api.Get(journal, {}, std::nullopt, sink);
  if (s.IsNotFound()) return out;
  CCOW_RETURN_IF_ERROR(s);
  auto j = nlohmann::json::parse(sink.data(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("uploads") || !j["uploads"].is_array())
    return Status::Corruption("s3 remote uploads journal " + journal + " is not its JSON");
  for (const auto& key : j["uploads"]) {
    if (!key.is_string()) return Status::Corruption("s3 remote uploads journal " + journal + " has a bad entry");
    out.push_back(key.get<std::string>());
  }
  return out;
}

Status S3Mirror::WriteJournal(ObjectApi& api, const std::string& journal, const std::vector<std::string>& keys) {
  const std::string text = nlohmann::json{{"uploads", keys}}.dump();
  StringSource source(text);
  PutOptions put;
  put.content_type = "application/json";
  put.slot = VersionSlot::kReplaces;
  return api.Put(journal, source, put).status().WithContext("recording the uploads to s3 remote " + target_.url);
}

Status S3Mirror::Mirror(ObjectApi& api, const std::string& name, const std::string& key, const std::string& journal,
                        bool* changed, uint64_t* bytes) {
  *changed = false;
  *bytes = 0;
  auto info = api.Stat(name, {});
  if (!info.ok() && !info.status().IsNotFound()) return info.status();
  // A delete marker is the current "version" of a deleted object.
  const bool absent = !info.ok() || (info->flags & VersionManifest::kFlagDeleteMarker);
  CCOW_ASSIGN_OR_RETURN(auto head, Call("HEAD", key, "", {}, {}));
  if (head.status != 200 && head.status != 404) return Check(head, "HEAD of " + key);
  if (absent) {
    // No current version here: absent there too.
    if (head.status == 404) return Status::OK();
    CCOW_ASSIGN_OR_RETURN(auto del, Call("DELETE", key, "", {}, {}));
    if (del.status != 404) CCOW_RETURN_IF_ERROR(Check(del, "DELETE of " + key));
    *changed = true;
    return Status::OK();
  }
  const std::string version = info->vm_chid.ToString();
  if (const std::string* there = HeaderOf(head, kVersionHeader); head.status == 200 && there && *there == version)
    return Status::OK();  // the target holds this version already
  CCOW_RETURN_IF_ERROR(Put(api, name, key, journal, *info, bytes));
  *changed = true;
  return Status::OK();
}

Status S3Mirror::Put(ObjectApi& api, const std::string& name, const std::string& key, const std::string& journal,
                     const ObjectInfo& info, uint64_t* bytes) {
  http::HeaderList meta = {{kVersionHeader, info.vm_chid.ToString()}};
  if (!info.content_type.empty() && PlainValue(info.content_type)) meta.push_back({"content-type", info.content_type});
  // User metadata is kept under its header names (x-amz-meta-NAME), each once.
  std::set<std::string> headers = {kVersionHeader};
  for (const auto& [k, v] : info.user_metadata) {
    const std::string header = k.rfind("x-amz-meta-", 0) == 0 ? k : "x-amz-meta-" + k;
    if (PlainValue(header) && header.find_first_of(" :\t()<>@,;\\\"/[]?={}") == std::string::npos && PlainValue(v) &&
        headers.insert(header).second)
      meta.push_back({header, v});
  }
  // The very version Stat saw, part by part, even if a newer one lands meanwhile.
  VersionSelector which;
  which.generation = info.generation;
  which.segment_id = info.uvid.segment_id;
  auto read = [&](uint64_t offset, uint64_t length, std::string* out) -> Status {
    StringSink sink;
    CCOW_RETURN_IF_ERROR(api.Get(name, which, ByteRange{offset, length}, sink));
    if (sink.data().size() != length)
      return Status::Corruption(name + ": read " + std::to_string(sink.data().size()) + " bytes of " +
                                std::to_string(length) + " at " + std::to_string(offset));
    *out = sink.data();
    return Status::OK();
  };
  if (info.size <= kPartBytes) {
    std::string body;
    if (info.size > 0) CCOW_RETURN_IF_ERROR(read(0, info.size, &body));
    http::HeaderList headers = meta;
    headers.push_back({"content-md5", ContentMd5(body)});
    CCOW_ASSIGN_OR_RETURN(auto put, Call("PUT", key, "", headers, body));
    CCOW_RETURN_IF_ERROR(Check(put, "PUT of " + key));
    *bytes = body.size();
    return Status::OK();
  }
  // Recorded before it begins: a link killed part-way aborts it when it starts again.
  CCOW_RETURN_IF_ERROR(WriteJournal(api, journal, {key}));
  auto forget = [&]() { (void)WriteJournal(api, journal, {}); };
  auto started = Call("POST", key, "uploads", meta, {});
  if (!started.ok()) {
    forget();
    return started.status();
  }
  if (Status c = Check(*started, "starting the upload of " + key); !c.ok()) {
    forget();
    return c;
  }
  const std::string upload = XmlField(started->body, "UploadId");
  if (upload.empty()) {
    forget();  // nothing started that could be aborted
    return Status::Unavailable("s3 remote " + target_.url + ": no UploadId for " + key);
  }
  const std::string id = "uploadId=" + s3::UriEncode(upload, true);
  auto abort = [&](const Status& why) {
    (void)Call("DELETE", key, id, {}, {});
    forget();
    return why;
  };
  std::string complete = "<CompleteMultipartUpload>";
  uint32_t part = 1;
  for (uint64_t offset = 0; offset < info.size; offset += kPartBytes, ++part) {
    if (stopping_ && stopping_()) return abort(Status::Unavailable("ISGW link stopping"));
    std::string body;
    Status s = read(offset, std::min(kPartBytes, info.size - offset), &body);
    if (!s.ok()) return abort(s);
    auto put = Call("PUT", key, "partNumber=" + std::to_string(part) + "&" + id, {{"content-md5", ContentMd5(body)}},
                    body);
    if (!put.ok()) return abort(put.status());
    if (Status c = Check(*put, "part " + std::to_string(part) + " of " + key); !c.ok()) return abort(c);
    const std::string* etag = HeaderOf(*put, "etag");
    if (!etag) return abort(Status::Unavailable("s3 remote " + target_.url + ": no ETag for a part of " + key));
    complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" + *etag + "</ETag></Part>";
    *bytes += body.size();
  }
  complete += "</CompleteMultipartUpload>";
  auto done = Call("POST", key, id, {{"content-type", "application/xml"}}, complete);
  if (!done.ok()) return abort(done.status());
  // S3 may answer 200 and an error in the body once it has begun answering.
  if (done->status == 200 && done->body.find("<Error>") != std::string::npos) done->status = 500;
  if (Status c = Check(*done, "completing the upload of " + key); !c.ok()) return abort(c);
  forget();
  return Status::OK();
}

}  // namespace ccow::isgw
