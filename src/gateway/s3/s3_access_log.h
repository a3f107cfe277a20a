// S3 server access logging's wire forms: a bucket's BucketLoggingStatus document
// (Put/GetBucketLogging), one log record in AWS's format, the operation name a request
// logs as, and the key of a delivered log object. Delivery itself (a spool that survives
// a crash, objects put into the target bucket in batches) is access_log_spool.h.
// Stateless; nothing throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/s3/s3_error.h"
#include "http/http_exchange.h"

namespace ccow::s3 {

// <LoggingEnabled><TargetBucket/><TargetPrefix/>[<TargetObjectKeyFormat>
// <SimplePrefix/> | <PartitionedPrefix><PartitionDateSource>EventTime|DeliveryTime
// </PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>]</LoggingEnabled>
struct BucketLogging {
  std::string target_bucket;
  std::string target_prefix;
  bool partitioned = false;  // PartitionedPrefix: [prefix][owner]/[region]/[bucket]/YYYY/MM/DD/
};

// An empty <BucketLoggingStatus/> turns logging off (*out = nullopt). MalformedXML for
// another shape; TargetGrants are 501 NotImplemented (the target's ACL and policy decide
// who reads the logs).
S3Error ParseBucketLoggingStatus(std::string_view body, std::optional<BucketLogging>* out);
std::string BucketLoggingStatusXml(const std::optional<BucketLogging>& logging);

// One request as AWS logs it (fields in AWS's order; "-" where a field has no value).
struct AccessLogRecord {
  std::string bucket_owner, bucket;
  uint64_t time_ns = 0;
  std::string remote_ip, requester, request_id, operation, key;
  std::string request_uri;  // "GET /bucket/key?x HTTP/1.1"
  int http_status = 0;
  std::string error_code;
  uint64_t bytes_sent = 0, object_size = 0;
  uint64_t total_ms = 0, turnaround_ms = 0;
  std::string referer, user_agent, version_id, signature_version, cipher_suite, auth_type, host_header,
      tls_version;
};
// One line, newline-terminated; control characters in any field become '?', so a
// record is always exactly one line.
std::string FormatAccessLogRecord(const AccessLogRecord& r);

// "REST.GET.OBJECT", "REST.PUT.PART", "REST.POST.UPLOADS", "REST.GET.ACL"...: what AWS
// logs as the operation of a request to a bucket (has_key: it names an object).
std::string AccessLogOperation(const http::HttpRequest& req, bool has_key);

// Where a source bucket's log objects go: TargetPrefix, and with a partitioned prefix
// "OWNER/REGION/BUCKET/" after it.
std::string AccessLogPrefix(const BucketLogging& logging, const std::string& owner, const std::string& region,
                            const std::string& source_bucket);
// The key of a log object: prefix + "YYYY-mm-DD-HH-MM-SS-" + unique (AWS's simple form);
// partitioned, prefix + "YYYY/MM/DD/" before that.
std::string AccessLogObjectKey(const std::string& prefix, bool partitioned, uint64_t time_ns, const std::string& unique);

}  // namespace ccow::s3
