#include "gateway/s3/s3_object_util.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cctype>

#include "core/hash.h"
#include "gateway/s3/base64.h"
#include "gateway/s3/header_words.h"
#include "gateway/s3/s3_handler.h"
#include "gateway/s3/s3_object_lock.h"
#include "gateway/s3/sigv4.h"
#include "gateway/s3/xml_reader.h"
#include "http/query_string.h"

namespace ccow::s3 {
namespace {

constexpr size_t kMaxUserMetadataBytes = 2048;  // S3's limit on x-amz-meta-* names + values

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string StripQuotes(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '"')) s.pop_back();
  if (StartsWith(s, "W/")) return StripQuotes(s.substr(2));
  return s;
}

// If-Match / If-None-Match hold a list of quoted ETags, or "*".
bool EtagListMatches(const std::string& header, const std::string& etag) {
  std::string_view rest = header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string item = StripQuotes(std::string(rest.substr(0, comma)));
    if (item == "*" || item == etag) return true;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return false;
}

}  // namespace

S3Error MetadataFromHeaders(const HttpRequest& req, PutOptions* opts) {
  size_t meta_bytes = 0;
  opts->content_type = "binary/octet-stream";
  for (const auto& [name, value] : req.headers) {
    if (name == "content-type") {
      opts->content_type = value;
    } else if (name == "content-encoding") {
      // aws-chunked describes the transfer, not the object: S3 drops it.
      std::string kept;
      std::string_view rest = value;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string item = StripQuotes(std::string(rest.substr(0, comma)));
        if (!item.empty() && item != "aws-chunked") kept += (kept.empty() ? "" : ",") + item;
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      if (!kept.empty()) opts->user_metadata["content-encoding"] = kept;
    } else if (name == "content-disposition" || name == "content-language" ||
               name == "cache-control" || name == "expires" ||
               name == "x-amz-website-redirect-location") {
      opts->user_metadata[name] = value;
    } else if (StartsWith(name, "x-amz-meta-")) {
      // Stored as the text it means (RFC 2047 words decoded); a repeated header's values
      // are joined with commas, as HTTP and S3 combine them.
      std::string text = DecodeHeaderWords(value);
      meta_bytes += name.size() - 11 + text.size();
      auto [it, fresh] = opts->user_metadata.emplace(name, text);
      if (!fresh) {
        it->second += "," + text;
        meta_bytes += 1;
      }
    } else if (name == "x-amz-storage-class") {
      S3_RETURN_IF_ERROR(StorageClassFromHeaders(req, &opts->storage_class));
    } else if (name == "x-amz-tagging") {
      auto tags = ParseTagQuery(value);
      if (tags.size() > 10)
        return MakeError(400, "InvalidTag", "Object tags cannot be greater than 10");
      opts->user_metadata[name] = TagQuery(tags);
    }
  }
  if (meta_bytes > kMaxUserMetadataBytes)
    return MakeError(400, "MetadataTooLarge",
                     "Your metadata headers exceed the maximum allowed metadata size (2 KB).");
  return S3Error::None();
}

S3Error StorageClassFromHeaders(const HttpRequest& req, StorageClass* out) {
  const std::string* value = req.Header("x-amz-storage-class");
  if (!value) return S3Error::None();
  auto parsed = ParseStorageClass(*value);
  // OUTPOSTS, SNOW and EXPRESS_ONEZONE name hardware or bucket types a segment is not.
  if (!parsed) return MakeError(400, "InvalidStorageClass", "The storage class you specified is not valid");
  *out = *parsed;
  return S3Error::None();
}

std::string ReportedStorageClass(StorageClass c, bool bucket_has_code) {
  if (c != StorageClass::kDefault) return StorageClassName(c);
  return bucket_has_code ? "STANDARD_IA" : "STANDARD";
}

S3Error ContentMd5(const HttpRequest& req, std::string* hex) {
  hex->clear();
  const std::string* b64 = req.Header("content-md5");
  if (!b64) return S3Error::None();
  auto bad = MakeError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.");
  auto md5 = Base64Decode(*b64);
  if (!md5 || md5->size() != 16) return bad;
  *hex = ToHex(md5->data(), 16);
  return S3Error::None();
}

HeaderList ResponseHeaders(const HttpRequest& req, const ObjectInfo& info) {
  HeaderList h;
  std::string content_type = info.content_type.empty() ? "binary/octet-stream" : info.content_type;
  h.emplace_back("ETag", Quoted(info.etag));
  h.emplace_back("Last-Modified", HttpDate(info.uvid.timestamp_ns));
  h.emplace_back("Accept-Ranges", "bytes");
  std::map<std::string, std::string> replay;
  for (const auto& [k, v] : info.user_metadata) {
    if (k == "x-amz-tagging") {
      h.emplace_back("x-amz-tagging-count", std::to_string(ParseTagQuery(v).size()));
      continue;
    }
    if (k.starts_with("x-ccow-")) continue;  // ccow's own (the ACL), not the client's headers
    replay[k] = v;
  }
  replay["content-type"] = content_type;
  // Presigned GETs may override response headers (response-content-type=...).
  static const std::pair<const char*, const char*> kOverrides[] = {
      {"response-content-type", "content-type"},
      {"response-content-language", "content-language"},
      {"response-expires", "expires"},
      {"response-cache-control", "cache-control"},
      {"response-content-disposition", "content-disposition"},
      {"response-content-encoding", "content-encoding"}};
  for (const auto& [param, header] : kOverrides)
    if (const std::string* v = req.Query(param)) replay[header] = *v;
  // User metadata that is not printable ASCII goes out as an RFC 2047 word, as S3 returns it.
  for (const auto& [k, v] : replay) h.emplace_back(k, k.starts_with("x-amz-meta-") ? EncodeHeaderValue(v) : v);
  if (!info.lock.empty()) AddLockHeaders(info.lock, &h);
  return h;
}

S3Error CheckConditions(const HttpRequest& req, const ObjectInfo& info, bool copy_source) {
  std::string prefix = copy_source ? "x-amz-copy-source-" : "";
  const std::string* if_match = req.Header(prefix + "if-match");
  const std::string* if_none = req.Header(prefix + "if-none-match");
  const std::string* if_mod = req.Header(prefix + "if-modified-since");
  const std::string* if_unmod = req.Header(prefix + "if-unmodified-since");
  int64_t modified = static_cast<int64_t>(info.uvid.timestamp_ns / 1000000000ull);
  auto failed = MakeError(412, "PreconditionFailed",
                          "At least one of the pre-conditions you specified did not hold");
  auto not_modified = copy_source ? failed : MakeError(304, "NotModified", "Not Modified");
  // RFC 7232 §6: If-Match decides and If-Unmodified-Since is skipped when it is present.
  if (if_match) {
    if (!EtagListMatches(*if_match, info.etag)) return failed;
  } else if (if_unmod) {
    auto t = ParseHttpDate(*if_unmod);
    if (t && modified > *t) return failed;
  }
  if (if_none) {
    if (EtagListMatches(*if_none, info.etag)) return not_modified;
  } else if (if_mod) {
    auto t = ParseHttpDate(*if_mod);
    if (t && modified <= *t) return not_modified;
  }
  return S3Error::None();
}

S3Error WriteConditionFromHeaders(const HttpRequest& req, bool is_delete, WriteCondition* out) {
  *out = WriteCondition();
  auto not_implemented = [](const char* header) {
    return MakeError(501, "NotImplemented",
                     std::string("A header you provided implies functionality that is not implemented (") + header + ")");
  };
  if (const std::string* none = req.Header("if-none-match")) {
    if (is_delete || StripQuotes(*none) != "*") return not_implemented("If-None-Match");
    out->must_not_exist = true;
  }
  if (const std::string* match = req.Header("if-match")) {
    std::string etag = StripQuotes(*match);
    if (etag.empty() || etag.find(',') != std::string::npos) return not_implemented("If-Match");
    if (etag == "*")
      out->must_exist = true;
    else
      out->etag = etag;
  }
  return S3Error::None();
}

S3Error ParseVersionId(const std::string& v, bool bucket_versioned, VersionSelector* which) {
  *which = VersionSelector();
  if (v == "null") {
    which->null_version = bucket_versioned;
    return S3Error::None();
  }
  // "G", or "G-ssssssss": the generation and the segment id of a version written at a
  // segment that has one (VersionRef::ToString).
  const size_t dash = v.find('-');
  const std::string g_text = v.substr(0, dash);
  if (g_text.empty() || g_text.size() > 20 ||
      !std::all_of(g_text.begin(), g_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return MakeError(400, "InvalidArgument", "Invalid version id specified");
  errno = 0;
  unsigned long long g = strtoull(g_text.c_str(), nullptr, 10);
  if (errno == ERANGE) return MakeError(400, "InvalidArgument", "Invalid version id specified");
  if (dash != std::string::npos) {
    const std::string s_text = v.substr(dash + 1);
    if (s_text.size() != 8 || !std::all_of(s_text.begin(), s_text.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }))
      return MakeError(400, "InvalidArgument", "Invalid version id specified");
    which->segment_id = static_cast<uint32_t>(strtoul(s_text.c_str(), nullptr, 16));
  }
  which->generation = g;
  return S3Error::None();
}

S3Error VersionSelectorFromQuery(const HttpRequest& req, bool bucket_versioned, VersionSelector* which) {
  *which = VersionSelector();
  const std::string* v = req.Query("versionId");
  return v ? ParseVersionId(*v, bucket_versioned, which) : S3Error::None();
}

std::string S3VersionId(bool bucket_versioned, const VersionRef& version, bool null_version) {
  return !bucket_versioned || null_version ? "null" : version.ToString();
}
std::string S3VersionId(bool bucket_versioned, const ObjectInfo& info) {
  return S3VersionId(bucket_versioned, VersionRef::Of(info.generation, info.uvid), info.null_version);
}
std::string S3VersionId(bool bucket_versioned, const VersionEntry& entry) {
  return S3VersionId(bucket_versioned, VersionRef::Of(entry), entry.is_null_version());
}

VersionSlot SlotForVersioning(bool versioned, bool enabled) {
  if (!versioned) return VersionSlot::kReplaces;
  return enabled ? VersionSlot::kAdded : VersionSlot::kNull;
}

VersionSlot SlotForRewrite(bool versioned, bool null_version) {
  if (!versioned) return VersionSlot::kReplaces;
  return null_version ? VersionSlot::kNull : VersionSlot::kAdded;
}

ParsedRange ParseRange(const std::string& header, uint64_t size) {
  ParsedRange out;
  if (!StartsWith(header, "bytes=")) return out;
  std::string spec = header.substr(6);
  if (spec.find(',') != std::string::npos) return out;
  size_t dash = spec.find('-');
  if (dash == std::string::npos) return out;
  std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 19 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (a.empty()) {
    if (!digits(b)) return out;
    uint64_t n = std::stoull(b);
    if (n == 0 || size == 0) {
      out.unsatisfiable = true;
      return out;
    }
    n = std::min(n, size);
    out.range = ByteRange{size - n, n};
    return out;
  }
  if (!digits(a) || (!b.empty() && !digits(b))) return out;
  uint64_t first = std::stoull(a);
  if (first >= size) {
    out.unsatisfiable = true;
    return out;
  }
  uint64_t last = b.empty() ? size - 1 : std::min<uint64_t>(std::stoull(b), size - 1);
  if (last < first) return out;  // syntactically invalid: ignored
  out.range = ByteRange{first, last - first + 1};
  return out;
}

S3Error ParseCopySource(const std::string& header, CopySource* out) {
  // "bucket/key?versionId=N", percent-encoded: read by the one target parser.
  http::ParsedTarget source = http::ParseTarget(header);
  auto bad = MakeError(400, "InvalidArgument",
                       "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
  if (!source.path_well_formed) return bad;
  std::string path = source.path;
  if (!path.empty() && path[0] == '/') path.erase(0, 1);
  size_t slash = path.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == path.size()) return bad;
  out->bucket = path.substr(0, slash);
  out->key = path.substr(slash + 1);
  if (!xml::IsUtf8(out->key)) return MakeError(400, "InvalidArgument", "Copy Source keys must be UTF-8.");
  out->which = VersionSelector();
  if (const std::string* version = source.Find("versionId")) return ParseVersionId(*version, true, &out->which);
  return S3Error::None();
}

std::vector<std::pair<std::string, std::string>> ParseTagQuery(const std::string& query) {
  // x-amz-tagging is form-encoded: '+' is a space there.
  std::vector<std::pair<std::string, std::string>> tags;
  for (auto& p : http::ParseQuery(query, {.plus_is_space = true}))
    tags.emplace_back(std::move(p.name), std::move(p.value));
  return tags;
}

std::string TagQuery(const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string out;
  for (const auto& [k, v] : tags) {
    if (!out.empty()) out += '&';
    out += UriEncode(k, true) + "=" + UriEncode(v, true);
  }
  return out;
}

std::optional<Chid> SignedBodySha256(const std::string& payload_hash) {
  if (payload_hash.size() != 64) return std::nullopt;
  auto id = HashId::Parse("sha256:" + payload_hash);
  if (!id.ok()) return std::nullopt;
  return *id;
}

struct VerifyingSource::Impl {
  ByteSource& raw;
  std::string expected;  // lower-case hex, empty when unsigned
  uint64_t length;
  bool length_known;
  uint64_t seen = 0;
  std::unique_ptr<Hasher> sha;
};

VerifyingSource::VerifyingSource(ByteSource& raw, const std::string& payload_hash,
                                 uint64_t length, bool length_known)
    : impl_(new Impl{raw, "", length, length_known, 0, nullptr}) {
  bool hex = payload_hash.size() == 64 &&
             std::all_of(payload_hash.begin(), payload_hash.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
             });
  if (hex) {
    impl_->expected = payload_hash;
    impl_->sha = Hasher::Create(HashAlgo::kSha256);
  }
}

VerifyingSource::~VerifyingSource() = default;

Result<size_t> VerifyingSource::Read(char* buf, size_t n) {
  CCOW_ASSIGN_OR_RETURN(size_t got, impl_->raw.Read(buf, n));
  if (got > 0) {
    impl_->seen += got;
    if (impl_->sha) impl_->sha->Update(buf, got);
    return got;
  }
  if (impl_->length_known && impl_->seen != impl_->length)
    return Status::InvalidArgument("IncompleteBody: You did not provide the number of bytes "
                                   "specified by the Content-Length HTTP header");
  if (impl_->sha) {
    std::string got_hex = impl_->sha->Final().ToString();
    got_hex = got_hex.substr(got_hex.find(':') + 1);
    if (got_hex != impl_->expected)
      return Status::InvalidArgument("XAmzContentSHA256Mismatch: The provided 'x-amz-content-sha256' "
                                     "header does not match what was computed.");
    impl_->sha.reset();
  }
  return size_t{0};
}

Result<size_t> VersionRangeSource::Read(char* out, size_t n) {
  if (off_ == buf_.size()) {
    if (pos_ >= end_) return size_t{0};
    const uint64_t len = std::min<uint64_t>(end_ - pos_, 8 << 20);
    StringSink sink;
    CCOW_RETURN_IF_ERROR(api_.Get(name_, which_, ByteRange{pos_, len}, sink, nullptr, keys_));
    buf_ = sink.data();
    off_ = 0;
    pos_ += len;
    if (buf_.empty()) return size_t{0};
  }
  const size_t k = std::min(n, buf_.size() - off_);
  std::memcpy(out, buf_.data() + off_, k);
  off_ += k;
  return k;
}

}  // namespace ccow::s3
