// Fuzz target for the S3 request-body parsers (gateway/s3/s3_xml.h). The first byte picks
// the parser and the rest is the body. Any input must either be refused with an S3Error or
// parse; nothing may crash, and what parses must survive our own writer: keys and tags
// written back with XmlEscape / TaggingXml parse to exactly the same values (the gateway
// echoes keys in DeleteResult and tags in GetObjectTagging, so a value the parser accepts
// but the writer mangles would be a real bug).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "gateway/s3/s3_access_log.h"
#include "gateway/s3/s3_encryption.h"
#include "gateway/s3/s3_xml.h"

namespace ccow::fuzz {

namespace {

using s3::S3Error;

enum Parser : uint8_t {
  kComplete,
  kDelete,
  kVersioning,
  kTagging,
  kCors,
  kLifecycle,
  kCreateBucket,
  kBucketEncryption,
  kBucketLogging,
  kParsers
};

void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "s3 xml: %s\n", what);
  std::abort();
}

void CheckDeleteRewrite(const std::vector<s3::ObjectToDelete>& objects, bool quiet) {
  s3::XmlWriter w;
  w.Open("Delete", true);
  w.Element("Quiet", quiet ? "true" : "false");
  for (const auto& o : objects) {
    w.Open("Object");
    w.Element("Key", o.key);
    if (!o.version_id.empty()) w.Element("VersionId", o.version_id);
    w.Close();
  }
  std::vector<s3::ObjectToDelete> again;
  bool quiet_again = !quiet;
  Require(s3::ParseDelete(w.Finish(), &quiet_again, &again).ok(), "rewritten Delete refused");
  Require(quiet_again == quiet && again.size() == objects.size(), "rewritten Delete differs");
  for (size_t i = 0; i < objects.size(); ++i)
    Require(again[i].key == objects[i].key && again[i].version_id == objects[i].version_id,
            "rewritten Delete has a different key or version");
}

bool Parse(Parser parser, std::string_view body) {
  switch (parser) {
    case kComplete: {
      std::vector<s3::CompletedPart> parts;
      S3Error e = s3::ParseCompleteMultipartUpload(body, &parts);
      if (e.ok()) {
        Require(!parts.empty(), "no parts");
        for (size_t i = 0; i < parts.size(); ++i)
          Require(parts[i].part_number >= 1 && parts[i].part_number <= 10000 &&
                      (i == 0 || parts[i - 1].part_number < parts[i].part_number),
                  "parts out of range or order");
      }
      return e.ok();
    }
    case kDelete: {
      bool quiet = false;
      std::vector<s3::ObjectToDelete> objects;
      S3Error e = s3::ParseDelete(body, &quiet, &objects);
      if (e.ok()) {
        Require(!objects.empty() && objects.size() <= 1000, "object count");
        CheckDeleteRewrite(objects, quiet);
      }
      return e.ok();
    }
    case kVersioning: {
      std::string status;
      return s3::ParseVersioningConfiguration(body, &status).ok();
    }
    case kTagging: {
      std::vector<std::pair<std::string, std::string>> tags, again;
      S3Error e = s3::ParseTagging(body, 10, &tags);
      if (e.ok()) {
        Require(s3::ParseTagging(s3::TaggingXml(tags), 10, &again).ok(), "rewritten tags refused");
        Require(again == tags, "rewritten tags differ");
      }
      return e.ok();
    }
    case kCors: {
      std::vector<s3::CorsRule> rules;
      S3Error e = s3::ParseCorsConfiguration(body, &rules);
      if (e.ok()) {
        const s3::CorsRule* rule =
            s3::MatchCors(rules, "https://app.example.com", "PUT", {"content-type", "x-amz-*"});
        Require(rule == nullptr || (rule >= rules.data() && rule < rules.data() + rules.size()),
                "MatchCors returned a foreign rule");
      }
      return e.ok();
    }
    case kLifecycle: {
      std::vector<s3::LifecycleRule> rules;
      return s3::ParseLifecycleConfiguration(body, &rules).ok();
    }
    case kCreateBucket: {
      std::string location;
      return s3::ParseCreateBucketConfiguration(body, &location).ok();
    }
    case kBucketEncryption: {
      s3::BucketEncryption config, again;
      S3Error e = s3::ParseBucketEncryption(body, &config);
      if (e.ok()) {
        // The gateway stores what BucketEncryptionXml writes and serves it back.
        Require(s3::ParseBucketEncryption(s3::BucketEncryptionXml(config), &again).ok(), "rewritten encryption refused");
        Require(again.convergent == config.convergent && again.bucket_key_enabled == config.bucket_key_enabled,
                "rewritten encryption differs");
      }
      return e.ok();
    }
    case kBucketLogging: {
      std::optional<s3::BucketLogging> logging, again;
      S3Error e = s3::ParseBucketLoggingStatus(body, &logging);
      if (e.ok()) {
        // The gateway stores what BucketLoggingStatusXml writes and serves it back.
        Require(s3::ParseBucketLoggingStatus(s3::BucketLoggingStatusXml(logging), &again).ok(),
                "rewritten logging status refused");
        Require(logging.has_value() == again.has_value() &&
                    (!logging || (logging->target_bucket == again->target_bucket &&
                                  logging->target_prefix == again->target_prefix &&
                                  logging->partitioned == again->partitioned)),
                "rewritten logging status differs");
      }
      return e.ok();
    }
    case kParsers:
      break;
  }
  return false;
}

std::string Seed(Parser parser, std::string body) {
  return std::string(1, static_cast<char>(parser)) + body;
}

}  // namespace

std::vector<std::string> Seeds() {
  const std::string decl = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  const std::string ns = R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/")";
  std::vector<std::string> seeds;
  // As awscli sends it: namespaced, quoted ETags, a checksum the parser skips.
  seeds.push_back(Seed(kComplete, decl + "<CompleteMultipartUpload" + ns +
                                      "><Part><ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>"
                                      "<ChecksumCRC32>AAAAAA==</ChecksumCRC32>"
                                      "<PartNumber>1</PartNumber></Part><Part><ETag>&quot;"
                                      "b54357faf0632cce46e942fa68356b38&quot;</ETag><PartNumber>"
                                      "2</PartNumber></Part></CompleteMultipartUpload>"));
  seeds.push_back(Seed(kComplete,
                       "<CompleteMultipartUpload><Part><PartNumber>10000</PartNumber>"
                       "<ETag>abc-2</ETag></Part></CompleteMultipartUpload>"));
  seeds.push_back(Seed(kDelete, decl + "<Delete" + ns +
                                    "><Object><Key>photos/a b.jpg</Key></Object><Object><Key>"
                                    "x&amp;y&#x1;&#xD;<![CDATA[<z>]]></Key><VersionId>null"
                                    "</VersionId></Object><Quiet>true</Quiet></Delete>"));
  seeds.push_back(Seed(kVersioning, "<VersioningConfiguration" + ns +
                                        "><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete>"
                                        "</VersioningConfiguration>"));
  seeds.push_back(Seed(kVersioning, "<VersioningConfiguration/>"));
  seeds.push_back(Seed(kTagging, "<Tagging" + ns +
                                     "><TagSet><Tag><Key>project</Key><Value>ccow</Value></Tag>"
                                     "<Tag><Key>caf\xc3\xa9</Key><Value></Value></Tag></TagSet>"
                                     "</Tagging>"));
  seeds.push_back(Seed(kCors, "<CORSConfiguration" + ns +
                                  "><CORSRule><ID>web</ID><AllowedOrigin>https://*.example.com"
                                  "</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                                  "<AllowedMethod>PUT</AllowedMethod><AllowedHeader>*"
                                  "</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
                                  "<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"
                                  "</CORSConfiguration>"));
  seeds.push_back(Seed(kLifecycle, "<LifecycleConfiguration" + ns +
                                       "><Rule><ID>logs</ID><Filter><And><Prefix>logs/</Prefix>"
                                       "</And></Filter><Status>Enabled</Status><Expiration><Days>"
                                       "30</Days></Expiration><NoncurrentVersionExpiration>"
                                       "<NoncurrentDays>7</NoncurrentDays>"
                                       "</NoncurrentVersionExpiration></Rule><Rule><Prefix>tmp/"
                                       "</Prefix><Status>Disabled</Status>"
                                       "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1"
                                       "</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
                                       "<Expiration><ExpiredObjectDeleteMarker>true"
                                       "</ExpiredObjectDeleteMarker></Expiration></Rule>"
                                       "</LifecycleConfiguration>"));
  seeds.push_back(Seed(kCreateBucket, decl + "<CreateBucketConfiguration" + ns +
                                          "><LocationConstraint>eu-west-1</LocationConstraint>"
                                          "</CreateBucketConfiguration>"));
  seeds.push_back(Seed(kBucketEncryption, decl + "<ServerSideEncryptionConfiguration" + ns +
                                              "><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256"
                                              "</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>"
                                              "true</BucketKeyEnabled><ConvergentEncryption>true"
                                              "</ConvergentEncryption></Rule></ServerSideEncryptionConfiguration>"));
  seeds.push_back(Seed(kBucketLogging, decl + "<BucketLoggingStatus" + ns +
                                          "><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>a/"
                                          "</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix>"
                                          "<PartitionDateSource>EventTime</PartitionDateSource></PartitionedPrefix>"
                                          "</TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>"));
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ccow::fuzz;
  if (size == 0) return 0;
  auto parser = static_cast<Parser>(data[0] % kParsers);
  if (Parse(parser, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1))) ++decoded;
  return 0;
}
