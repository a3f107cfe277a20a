// Server access logging's wire forms (s3_access_log.h) and its spool (access_log_spool.h):
// records in AWS's format, the BucketLoggingStatus document, log object keys, and a spool
// that delivers every appended record once per batch, across a crash and a failed delivery.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "gateway/s3/access_log_spool.h"
#include "gateway/s3/s3_access_log.h"
#include "http/query_string.h"
#include "store/store_test_util.h"

namespace ccow::s3 {
namespace {

TEST(S3AccessLogTest, ARecordIsOneLineInAwsFieldOrder) {
  AccessLogRecord r;
  r.bucket_owner = "owner";
  r.bucket = "logs-src";
  r.time_ns = 1549411238000000000ull;  // 2019-02-06 00:00:38 UTC
  r.remote_ip = "192.0.2.3";
  r.requester = "alice";
  r.request_id = "3E57427F3EXAMPLE";
  r.operation = "REST.GET.OBJECT";
  r.key = "photos/a\nb.jpg";
  r.request_uri = "GET /logs-src/photos/a \"b\" HTTP/1.1";
  r.http_status = 200;
  r.bytes_sent = 2662992;
  r.object_size = 3462992;
  r.total_ms = 70;
  r.turnaround_ms = 10;
  r.user_agent = "aws-cli/2.9";
  r.signature_version = "SigV4";
  r.auth_type = "AuthHeader";
  r.host_header = "s3.example.com";
  EXPECT_EQ(FormatAccessLogRecord(r),
            "owner logs-src [06/Feb/2019:00:00:38 +0000] 192.0.2.3 alice 3E57427F3EXAMPLE REST.GET.OBJECT "
            "photos/a?b.jpg \"GET /logs-src/photos/a \\\"b\\\" HTTP/1.1\" 200 - 2662992 3462992 70 10 - "
            "\"aws-cli/2.9\" - 3E57427F3EXAMPLE SigV4 - AuthHeader s3.example.com - - -\n");
}

TEST(S3AccessLogTest, OperationsAreNamedAsAwsNamesThem) {
  auto op = [](const std::string& method, const std::string& target, bool key,
               http::HeaderList headers = {}) {
    http::HttpRequest req;
    req.method = method;
    req.target = target;
    req.parsed = http::ParseTarget(target);
    req.headers = std::move(headers);
    return AccessLogOperation(req, key);
  };
  EXPECT_EQ(op("GET", "/b/k", true), "REST.GET.OBJECT");
  EXPECT_EQ(op("HEAD", "/b", false), "REST.HEAD.BUCKET");
  EXPECT_EQ(op("PUT", "/b/k?partNumber=1&uploadId=x", true), "REST.PUT.PART");
  EXPECT_EQ(op("POST", "/b/k?uploads", true), "REST.POST.UPLOADS");
  EXPECT_EQ(op("POST", "/b/k?uploadId=x", true), "REST.POST.UPLOAD");
  EXPECT_EQ(op("GET", "/b?acl", false), "REST.GET.ACL");
  EXPECT_EQ(op("PUT", "/b/k", true, {{"x-amz-copy-source", "/a/b"}}), "REST.PUT.COPY");
  EXPECT_EQ(op("POST", "/b?delete", false), "REST.POST.MULTI_OBJECT_DELETE");
}

TEST(S3AccessLogTest, LoggingStatusRoundTripsAndRefusesWhatItCannotHonour) {
  std::optional<BucketLogging> l;
  ASSERT_TRUE(ParseBucketLoggingStatus("<BucketLoggingStatus><LoggingEnabled><TargetBucket>t</TargetBucket>"
                                       "<TargetPrefix>logs/</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix>"
                                       "<PartitionDateSource>EventTime</PartitionDateSource></PartitionedPrefix>"
                                       "</TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>",
                                       &l)
                  .ok());
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->target_bucket, "t");
  EXPECT_EQ(l->target_prefix, "logs/");
  EXPECT_TRUE(l->partitioned);
  std::optional<BucketLogging> again;
  ASSERT_TRUE(ParseBucketLoggingStatus(BucketLoggingStatusXml(l), &again).ok());
  EXPECT_EQ(again->target_bucket, "t");
  EXPECT_TRUE(again->partitioned);
  ASSERT_TRUE(ParseBucketLoggingStatus("<BucketLoggingStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>", &l).ok());
  EXPECT_FALSE(l.has_value());
  EXPECT_EQ(ParseBucketLoggingStatus("<BucketLoggingStatus><LoggingEnabled><TargetBucket>t</TargetBucket>"
                                     "<TargetGrants/></LoggingEnabled></BucketLoggingStatus>", &l).http_status, 501);
  EXPECT_EQ(ParseBucketLoggingStatus("<BucketLoggingStatus><LoggingEnabled/></BucketLoggingStatus>", &l).code,
            "MalformedXML");
  EXPECT_EQ(ParseBucketLoggingStatus("<Other/>", &l).code, "MalformedXML");
}

TEST(S3AccessLogTest, LogObjectKeysFollowTheSimpleAndPartitionedForms) {
  BucketLogging simple{"t", "logs/", false}, partitioned{"t", "logs/", true};
  const uint64_t t = 1549411238000000000ull;
  EXPECT_EQ(AccessLogObjectKey(AccessLogPrefix(simple, "own", "us-east-1", "src"), false, t, "0123456789ABCDEF"),
            "logs/2019-02-06-00-00-38-0123456789ABCDEF");
  EXPECT_EQ(AccessLogObjectKey(AccessLogPrefix(partitioned, "own", "us-east-1", "src"), true, t, "0123456789ABCDEF"),
            "logs/own/us-east-1/src/2019/02/06/2019-02-06-00-00-38-0123456789ABCDEF");
}

struct Delivered {
  std::map<std::string, std::string> objects;  // "tenant/bucket/prefix|batch|unique" -> body
  int fail_next = 0;
  AccessLogSpool::Deliver Fn() {
    return [this](const AccessLogSpool::Destination& to, uint64_t batch, const std::string& unique,
                  const std::string& body) -> Status {
      if (fail_next > 0) {
        fail_next--;
        return Status::Unavailable("target unreachable");
      }
      objects[to.tenant + "/" + to.bucket + "/" + to.prefix + "|" + std::to_string(batch) + "|" + unique] += body;
      return Status::OK();
    };
  }
};

TEST(AccessLogSpoolTest, EveryRecordIsDeliveredOnceGroupedByTarget) {
  testing::ScratchDir dir;
  auto spool = AccessLogSpool::Open(dir.path() + "/spool");
  ASSERT_TRUE(spool.ok()) << spool.status().ToString();
  AccessLogSpool::Destination a{"ten", "logs", "a/", false}, b{"ten", "logs", "b\t/", true};
  ASSERT_TRUE((*spool)->Append(a, "one\n").ok());
  ASSERT_TRUE((*spool)->Append(b, "two\n").ok());
  ASSERT_TRUE((*spool)->Append(a, "three\n").ok());
  Delivered d;
  ASSERT_TRUE((*spool)->Flush(d.Fn()).ok());
  ASSERT_EQ(d.objects.size(), 2u);
  std::string bodies;
  for (const auto& [k, v] : d.objects) bodies += v;
  EXPECT_EQ(bodies, "one\nthree\ntwo\n");
  EXPECT_NE(d.objects.begin()->first.find("ten/logs/a/|"), std::string::npos);
  // Nothing more to deliver.
  ASSERT_TRUE((*spool)->Flush(d.Fn()).ok());
  EXPECT_EQ(d.objects.size(), 2u);
}

TEST(AccessLogSpoolTest, AFailedDeliveryIsRetriedAtTheNextFlush) {
  testing::ScratchDir dir;
  auto spool = AccessLogSpool::Open(dir.path());
  ASSERT_TRUE(spool.ok());
  ASSERT_TRUE((*spool)->Append({"t", "b", "", false}, "r1\n").ok());
  Delivered d;
  d.fail_next = 1;
  EXPECT_EQ((*spool)->Flush(d.Fn()).code(), Code::kUnavailable);
  EXPECT_TRUE(d.objects.empty());
  ASSERT_TRUE((*spool)->Append({"t", "b", "", false}, "r2\n").ok());
  ASSERT_TRUE((*spool)->Flush(d.Fn()).ok());
  // Two batches (the first sealed before the failure), each under its own name.
  ASSERT_EQ(d.objects.size(), 2u);
  EXPECT_EQ(d.objects.begin()->second, "r1\n");
}

TEST(AccessLogSpoolTest, RecordsOfAKilledGatewayAreDeliveredAfterItRestartsAndATornLineIsNot) {
  testing::ScratchDir dir;
  {
    auto spool = AccessLogSpool::Open(dir.path());
    ASSERT_TRUE(spool.ok());
    ASSERT_TRUE((*spool)->Append({"t", "b", "p/", false}, "answered\n").ok());
    // Gone without a flush; a write cut short by the crash leaves a torn line.
  }
  {
    std::ofstream torn(dir.path() + "/active.log", std::ios::app);
    torn << "t\tb\tp%2F\t0\thalf a rec";
  }
  auto spool = AccessLogSpool::Open(dir.path());
  ASSERT_TRUE(spool.ok());
  ASSERT_TRUE((*spool)->Append({"t", "b", "p/", false}, "after the restart\n").ok());
  Delivered d;
  ASSERT_TRUE((*spool)->Flush(d.Fn()).ok());
  ASSERT_EQ(d.objects.size(), 1u);
  EXPECT_EQ(d.objects.begin()->second, "answered\nafter the restart\n");
}

TEST(AccessLogSpoolTest, TwoSpoolsNeverShareADirectory) {
  testing::ScratchDir dir;
  auto first = AccessLogSpool::Open(dir.path() + "/spool");
  auto second = AccessLogSpool::Open(dir.path() + "/spool");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ((*first)->dir(), dir.path() + "/spool");
  EXPECT_EQ((*second)->dir(), dir.path() + "/spool.1");
  // Once the first is gone (its gateway died), the directory is free again.
  first->reset();
  auto third = AccessLogSpool::Open(dir.path() + "/spool");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)->dir(), dir.path() + "/spool");
}

}  // namespace
}  // namespace ccow::s3
