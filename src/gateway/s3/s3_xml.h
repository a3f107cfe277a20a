// S3's XML: a small writer for response documents and strict parsers (pugixml) for the
// request bodies S3 accepts. Parsers never throw; malformed input is an S3Error
// (MalformedXML, InvalidPart, InvalidTag, ...) with a message naming what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/s3/s3_error.h"
#include "model/version_list.h"

namespace ccow::s3 {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// Writes <?xml version="1.0" encoding="UTF-8"?> then elements; text is escaped.
class XmlWriter {
 public:
  XmlWriter();
  void Open(std::string_view tag, bool with_namespace = false);
  void Close();  // closes the innermost open element
  void Element(std::string_view tag, std::string_view text);
  std::string Finish();  // closes what is still open

 private:
  std::string out_;
  std::vector<std::string> open_;
};

std::string XmlEscape(std::string_view text);
// <TAG><ID>id</ID><DisplayName>id</DisplayName></TAG>: the Owner/Initiator/Grantee of S3's
// documents (a tenant's id and display name are its name).
void WriteIdentity(XmlWriter& w, std::string_view tag, std::string_view id);
// <Error><Code/><Message/><Resource/><RequestId/></Error>
std::string ErrorXml(const S3Error& error, std::string_view resource, std::string_view request_id);

// Request bodies share these limits: at most 1 MiB of XML (callers enforce before parsing).
inline constexpr size_t kMaxXmlBody = 1 << 20;

struct CompletedPart {
  int part_number = 0;
  std::string etag;  // without quotes
  // The part's checksum as the client lists it (<ChecksumCRC32> ...): "CRC32" and its
  // base64 value; empty when it lists none. Checked against the part as uploaded.
  std::string checksum_name, checksum_value;
};
// CompleteMultipartUpload: parts must be listed in ascending order (InvalidPartOrder),
// part numbers 1..10000, at least one part, at most one checksum per part.
S3Error ParseCompleteMultipartUpload(std::string_view body, std::vector<CompletedPart>* parts);

struct ObjectToDelete {
  std::string key;
  std::string version_id;  // empty: the latest
};
// DeleteObjects: <Delete><Quiet/>?<Object><Key/><VersionId/>?</Object>...</Delete>,
// 1..1000 objects.
S3Error ParseDelete(std::string_view body, bool* quiet, std::vector<ObjectToDelete>* objects);

// PutBucketVersioning: Status is "Enabled" or "Suspended" (MFADelete is refused).
S3Error ParseVersioningConfiguration(std::string_view body, std::string* status);

// PutObjectTagging / PutBucketTagging: unique keys of 1..128 chars, values up to 256 chars;
// at most max_tags tags (10 for objects, 50 for buckets). Errors are InvalidTag.
S3Error ParseTagging(std::string_view body, size_t max_tags,
                     std::vector<std::pair<std::string, std::string>>* tags);
std::string TaggingXml(const std::vector<std::pair<std::string, std::string>>& tags);

struct CorsRule {
  std::string id;
  std::vector<std::string> allowed_origins;  // may contain one '*' wildcard each
  std::vector<std::string> allowed_methods;  // GET PUT POST DELETE HEAD
  std::vector<std::string> allowed_headers;  // may contain '*' wildcards
  std::vector<std::string> expose_headers;
  std::optional<int64_t> max_age_seconds;
};
// PutBucketCors: 1..100 rules, each with an origin and a valid method.
S3Error ParseCorsConfiguration(std::string_view body, std::vector<CorsRule>* rules);
// Finds the first rule matching a CORS request (origin, method, requested headers).
const CorsRule* MatchCors(const std::vector<CorsRule>& rules, std::string_view origin,
                          std::string_view method,
                          const std::vector<std::string>& request_headers);

struct LifecycleRule {
  std::string id;
  std::string prefix;  // <Filter><Prefix> or the legacy <Prefix>
  bool enabled = false;
  std::optional<int> expiration_days;
  std::optional<int> noncurrent_expiration_days;
  std::optional<int> abort_incomplete_upload_days;
  bool expired_object_delete_marker = false;
  // <Transition> and <NoncurrentVersionTransition>: after so many days (noncurrent: since
  // the version became noncurrent) the version moves to the class, in day order.
  std::vector<std::pair<int, StorageClass>> transitions, noncurrent_transitions;
};
// PutBucketLifecycleConfiguration: 1..1000 rules, each with at least one action and a
// positive day count.
S3Error ParseLifecycleConfiguration(std::string_view body, std::vector<LifecycleRule>* rules);

// CreateBucket's optional body; an empty body is fine.
S3Error ParseCreateBucketConfiguration(std::string_view body, std::string* location_constraint);

}  // namespace ccow::s3
