#include "gateway/s3/s3_access_log.h"

#include <ctime>

#include "gateway/s3/s3_xml.h"
#include "gateway/s3/xml_reader.h"

namespace ccow::s3 {
namespace {

std::string Field(const std::string& v) {
  if (v.empty()) return "-";
  std::string out = v;
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

// Quoted fields (the request URI, referer and user agent) escape their quotes.
std::string Quoted(const std::string& v) {
  if (v.empty()) return "-";
  std::string out = "\"";
  for (char c : Field(v)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::tm Utc(uint64_t ns) {
  const std::time_t t = static_cast<std::time_t>(ns / 1000000000ull);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

std::string Format(uint64_t ns, const char* fmt) {
  std::tm tm = Utc(ns);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

}  // namespace

S3Error ParseBucketLoggingStatus(std::string_view body, std::optional<BucketLogging>* out) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(xml::LoadRoot(body, "BucketLoggingStatus", &doc, &root));
  pugi::xml_node enabled;
  S3_RETURN_IF_ERROR(xml::OnlyChild(root, "LoggingEnabled", &enabled));
  if (!enabled) {
    out->reset();
    return S3Error::None();
  }
  BucketLogging l;
  S3_RETURN_IF_ERROR(xml::ChildText(enabled, "TargetBucket", true, &l.target_bucket));
  l.target_bucket = std::string(xml::TrimSpace(l.target_bucket));
  bool has_prefix = false;
  S3_RETURN_IF_ERROR(xml::ChildText(enabled, "TargetPrefix", false, &l.target_prefix, &has_prefix));
  if (l.target_bucket.empty()) return xml::Malformed("<TargetBucket> is empty");
  if (l.target_prefix.size() > 900) return MakeError(400, "InvalidArgument", "The target prefix is too long");
  if (!xml::Children(enabled, "TargetGrants").empty())
    return MakeError(501, "NotImplemented",
                     "TargetGrants are not supported: the target bucket's ACL and policy decide who reads its logs");
  pugi::xml_node format;
  S3_RETURN_IF_ERROR(xml::OnlyChild(enabled, "TargetObjectKeyFormat", &format));
  if (format) {
    const bool simple = !xml::Children(format, "SimplePrefix").empty();
    const bool partitioned = !xml::Children(format, "PartitionedPrefix").empty();
    if (simple == partitioned)
      return xml::Malformed("<TargetObjectKeyFormat> holds <SimplePrefix> or <PartitionedPrefix>");
    l.partitioned = partitioned;
  }
  *out = std::move(l);
  return S3Error::None();
}

std::string BucketLoggingStatusXml(const std::optional<BucketLogging>& logging) {
  XmlWriter w;
  w.Open("BucketLoggingStatus", true);
  if (logging) {
    w.Open("LoggingEnabled");
    w.Element("TargetBucket", logging->target_bucket);
    w.Element("TargetPrefix", logging->target_prefix);
    w.Open("TargetObjectKeyFormat");
    if (logging->partitioned) {
      w.Open("PartitionedPrefix");
      w.Element("PartitionDateSource", "DeliveryTime");
      w.Close();
    } else {
      w.Open("SimplePrefix");
      w.Close();
    }
    w.Close();
  }
  return w.Finish();
}

std::string FormatAccessLogRecord(const AccessLogRecord& r) {
  std::string line;
  line.reserve(512);
  auto add = [&](const std::string& s) {
    line += s;
    line += ' ';
  };
  add(Field(r.bucket_owner));
  add(Field(r.bucket));
  add(Format(r.time_ns, "[%d/%b/%Y:%H:%M:%S +0000]"));
  add(Field(r.remote_ip));
  add(Field(r.requester));
  add(Field(r.request_id));
  add(Field(r.operation));
  add(Field(r.key));
  add(Quoted(r.request_uri));
  add(r.http_status ? std::to_string(r.http_status) : "-");
  add(Field(r.error_code));
  add(r.bytes_sent ? std::to_string(r.bytes_sent) : "-");
  add(r.object_size ? std::to_string(r.object_size) : "-");
  add(std::to_string(r.total_ms));
  add(std::to_string(r.turnaround_ms));
  add(Quoted(r.referer));
  add(Quoted(r.user_agent));
  add(Field(r.version_id));
  add(Field(r.request_id));  // Host Id: the request id again (AWS's is opaque too)
  add(Field(r.signature_version));
  add(Field(r.cipher_suite));
  add(Field(r.auth_type));
  add(Field(r.host_header));
  add(Field(r.tls_version));
  add("-");  // access point ARN
  line += "-\n";  // ACL required
  return line;
}

std::string AccessLogOperation(const http::HttpRequest& req, bool has_key) {
  // The subresource names what was acted on, as AWS's operation names do.
  static const std::pair<const char*, const char*> kSubresources[] = {
      {"acl", "ACL"},           {"tagging", "TAGGING"},         {"versioning", "VERSIONING"},
      {"lifecycle", "LIFECYCLE"}, {"policy", "BUCKETPOLICY"},   {"logging", "LOGGING_STATUS"},
      {"cors", "CORS"},         {"encryption", "ENCRYPTION"},   {"delete", "MULTI_OBJECT_DELETE"},
      {"versions", "BUCKETVERSIONS"}, {"location", "LOCATION"}, {"object-lock", "OBJECT_LOCK_CONFIGURATION"},
      {"retention", "OBJECT_LOCK_RETENTION"}, {"legal-hold", "OBJECT_LOCK_LEGAL_HOLD"},
      {"attributes", "OBJECT_ATTRIBUTES"}, {"uploads", "UPLOADS"}};
  std::string what = has_key ? "OBJECT" : "BUCKET";
  for (const auto& [query, name] : kSubresources)
    if (req.HasQuery(query)) {
      what = name;
      break;
    }
  if (req.HasQuery("uploadId")) {
    if (req.method == "PUT") what = "PART";
    else if (req.method == "POST") what = "UPLOAD";
    else if (req.method == "GET") what = "UPLOAD";
    else if (req.method == "DELETE") what = "UPLOAD";
  }
  if (req.method == "PUT" && has_key && req.Header("x-amz-copy-source") && what == "OBJECT") what = "COPY";
  return "REST." + req.method + "." + what;
}

std::string AccessLogPrefix(const BucketLogging& logging, const std::string& owner, const std::string& region,
                            const std::string& source_bucket) {
  if (!logging.partitioned) return logging.target_prefix;
  return logging.target_prefix + owner + "/" + region + "/" + source_bucket + "/";
}

std::string AccessLogObjectKey(const std::string& prefix, bool partitioned, uint64_t time_ns, const std::string& unique) {
  return prefix + (partitioned ? Format(time_ns, "%Y/%m/%d/") : std::string()) +
         Format(time_ns, "%Y-%m-%d-%H-%M-%S-") + unique;
}

}  // namespace ccow::s3
