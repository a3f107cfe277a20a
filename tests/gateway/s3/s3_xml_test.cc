#include "gateway/s3/s3_xml.h"
#include "gateway/s3/xml_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ccow::s3 {
namespace {

constexpr char kDecl[] = R"(<?xml version="1.0" encoding="UTF-8"?>)";
constexpr char kNs[] = R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/")";
constexpr char kMalformedPrefix[] =
    "The XML you provided was not well-formed or did not validate against our published "
    "schema: ";

// Asserts `e` is the given error; for MalformedXML also that the message has S3's prefix
// followed by a specific reason.
void ExpectError(const S3Error& e, int status, const std::string& code,
                 const std::string& context = "") {
  EXPECT_EQ(e.http_status, status) << context << ": " << e.code << " " << e.message;
  EXPECT_EQ(e.code, code) << context << ": " << e.message;
  if (code == "MalformedXML") {
    EXPECT_TRUE(e.message.starts_with(kMalformedPrefix)) << e.message;
    EXPECT_GT(e.message.size(), sizeof(kMalformedPrefix) - 1) << "no reason given";
  }
}
void ExpectMalformed(const S3Error& e, const std::string& context = "") {
  ExpectError(e, 400, "MalformedXML", context);
}

std::string Parts(const std::vector<int>& numbers) {
  std::string body = "<CompleteMultipartUpload>";
  for (int n : numbers)
    body += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>e</ETag></Part>";
  return body + "</CompleteMultipartUpload>";
}

std::string Objects(int n) {
  std::string body = "<Delete>";
  for (int i = 0; i < n; ++i) body += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  return body + "</Delete>";
}

std::string TagsBody(const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string body = "<Tagging><TagSet>";
  for (const auto& [k, v] : tags) body += "<Tag><Key>" + k + "</Key><Value>" + v + "</Value></Tag>";
  return body + "</TagSet></Tagging>";
}

// ---- Writing ----

TEST(S3XmlWriterTest, NestsAndClosesWhatIsOpen) {
  XmlWriter w;
  w.Open("ListBucketResult", true);
  w.Element("Name", "bk1");
  w.Open("Contents");
  w.Element("Key", "a&b");
  w.Element("ETag", "\"abc\"");
  w.Close();
  w.Open("CommonPrefixes");
  w.Element("Prefix", "");
  EXPECT_EQ(w.Finish(), std::string(kDecl) + "<ListBucketResult" + kNs +
                            "><Name>bk1</Name><Contents><Key>a&amp;b</Key>"
                            "<ETag>&quot;abc&quot;</ETag></Contents><CommonPrefixes>"
                            "<Prefix></Prefix></CommonPrefixes></ListBucketResult>");
}

TEST(S3XmlWriterTest, ExtraCloseIsHarmlessAndWriterIsReusable) {
  XmlWriter w;
  w.Close();
  w.Open("A");
  w.Close();
  w.Close();
  EXPECT_EQ(w.Finish(), std::string(kDecl) + "<A></A>");
  w.Element("B", "x");
  EXPECT_EQ(w.Finish(), std::string(kDecl) + "<B>x</B>");
}

TEST(S3XmlEscapeTest, EscapesMarkupAndControlCharacters) {
  EXPECT_EQ(XmlEscape(R"(a&b<c>d"e'f)"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  EXPECT_EQ(XmlEscape("tab\tnl\ncr\r"), "tab&#x9;nl&#xA;cr&#xD;");
  EXPECT_EQ(XmlEscape(std::string("\x00\x01\x1f", 3)), "&#x0;&#x1;&#x1F;");
  EXPECT_EQ(XmlEscape("caf\xc3\xa9 \xf0\x9f\x98\x80 \x7f"), "caf\xc3\xa9 \xf0\x9f\x98\x80 \x7f");
  EXPECT_EQ(XmlEscape(""), "");
}

TEST(S3XmlEscapeTest, EscapedKeysParseBackExactly) {
  std::string key = "we\x01ird <&> \"key\"\t\r\n' \xc3\xa9";
  std::vector<ObjectToDelete> objects;
  bool quiet;
  ASSERT_TRUE(ParseDelete("<Delete><Object><Key>" + XmlEscape(key) + "</Key></Object></Delete>",
                          &quiet, &objects)
                  .ok());
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].key, key);
}

TEST(S3XmlWriterTest, ErrorDocument) {
  S3Error e = MakeError(404, "NoSuchKey", "The specified key does not exist.");
  EXPECT_EQ(ErrorXml(e, "/bk1/a<b", "req-1"),
            std::string(kDecl) +
                "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist."
                "</Message><Resource>/bk1/a&lt;b</Resource><RequestId>req-1</RequestId></Error>");
}

TEST(S3XmlWriterTest, TaggingRoundTrips) {
  std::vector<std::pair<std::string, std::string>> tags = {{"project", "ccow"}, {"a&b", ""}};
  std::string xml = TaggingXml(tags);
  EXPECT_EQ(xml, std::string(kDecl) + "<Tagging" + kNs +
                     "><TagSet><Tag><Key>project</Key><Value>ccow</Value></Tag>"
                     "<Tag><Key>a&amp;b</Key><Value></Value></Tag></TagSet></Tagging>");
  std::vector<std::pair<std::string, std::string>> back;
  ASSERT_TRUE(ParseTagging(xml, 10, &back).ok());
  EXPECT_EQ(back, tags);
  EXPECT_EQ(TaggingXml({}), std::string(kDecl) + "<Tagging" + kNs + "><TagSet></TagSet></Tagging>");
}

// ---- Well-formedness, shared by every parser ----

TEST(S3XmlParseTest, RejectsDocumentsThatAreNotWellFormed) {
  std::vector<CompletedPart> parts;
  const std::string good = "<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>";
  for (std::string bad :
       {std::string(""), std::string("   "), std::string("not xml"),
        "<CompleteMultipartUpload>" + good, "<CompleteMultipartUpload>" + good + "</Complete>",
        "<CompleteMultipartUpload>" + good + "</CompleteMultipartUpload><X/>",
        "junk<CompleteMultipartUpload>" + good + "</CompleteMultipartUpload>",
        "<CompleteMultipartUpload>" + good + "</CompleteMultipartUpload>junk",
        "<CompleteMultipartUpload attr=1>" + good + "</CompleteMultipartUpload>"})
    ExpectMalformed(ParseCompleteMultipartUpload(bad, &parts), bad);
}

TEST(S3XmlParseTest, RejectsBadCharactersAndReferences) {
  bool quiet;
  std::vector<ObjectToDelete> objects;
  auto parse = [&](const std::string& key_xml) {
    return ParseDelete("<Delete><Object><Key>" + key_xml + "</Key></Object></Delete>", &quiet,
                       &objects);
  };
  for (std::string bad : {std::string("a\xff"),
                          std::string("\xc0\xaf"),      // invalid, overlong
                          std::string("\xed\xa0\x80"),  // surrogate
                          std::string("\xe0\x80\x80"),
                          std::string("\xf4\x90\x80\x80"),
                          std::string("\xf5\x80\x80\x80"),
                          std::string("\xef\xbf\xbe"),
                          std::string("\xe2\x82"),  // truncated before '<'
                          std::string("a\x01"),
                          std::string("a\0b", 3),  // raw controls
                          std::string("a&#0;b"),
                          std::string("a&#x0;b"),  // NUL would truncate
                          std::string("&#xD800;"),
                          std::string("&#x110000;"),
                          std::string("&#99999999999999999999;"),
                          std::string("&#xFFFE;"),
                          std::string("&#;"),
                          std::string("&#x;"),
                          std::string("&#12a;"),
                          std::string("a & b"),
                          std::string("&nbsp;"),
                          std::string("&amp"),
                          std::string("<b>x</b>")})
    ExpectMalformed(parse(bad), bad);
  ASSERT_TRUE(parse("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\x7f").ok());
  EXPECT_EQ(objects[0].key, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\x7f");
  ExpectMalformed(ParseDelete("<Delete><Object><Key>k</Key></Object></Delete>\xe2\x82", &quiet,
                              &objects));  // truncated at the very end
  // An internal DTD's entities are never expanded.
  ExpectMalformed(ParseDelete(R"(<!DOCTYPE Delete [<!ENTITY e "zz">]>)"
                              "<Delete><Object><Key>&e;</Key></Object></Delete>",
                              &quiet, &objects));
  ASSERT_TRUE(parse("&#x1;&#9;&#xa;&#13;&#xE9;&#8364;&#x1F600;&lt;<![CDATA[&amp;<x>]]>").ok());
  EXPECT_EQ(objects[0].key, "\x01\t\n\r\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80<&amp;<x>");
}

TEST(S3XmlParseTest, RejectsBodiesOverTheLimit) {
  std::string body =
      "<Delete><Object><Key>k</Key></Object>" + std::string(kMaxXmlBody, ' ') + "</Delete>";
  bool quiet;
  std::vector<ObjectToDelete> objects;
  ExpectMalformed(ParseDelete(body, &quiet, &objects));
  std::string location;
  ExpectMalformed(ParseCreateBucketConfiguration(std::string(kMaxXmlBody + 1, ' '), &location));
}

TEST(S3XmlParseTest, DeepNestingDoesNotOverflowTheStack) {
  std::string body = "<Delete>";
  while (body.size() < kMaxXmlBody - 16) body += "<a>";
  bool quiet;
  std::vector<ObjectToDelete> objects;
  ExpectMalformed(ParseDelete(body, &quiet, &objects));
  size_t depth = (kMaxXmlBody - 64) / 7;
  std::string closed = "<Delete>";
  for (size_t i = 0; i < depth; ++i) closed += "<a>";
  for (size_t i = 0; i < depth; ++i) closed += "</a>";
  ExpectMalformed(ParseDelete(closed + "</Delete>", &quiet, &objects));  // no <Object>
}

// ---- CompleteMultipartUpload ----

TEST(S3XmlCompleteTest, AcceptsWhatAwsCliSends) {
  // awscli/boto3: namespaced, ETags quoted as S3 returned them, newer versions add checksums.
  std::string body = std::string(kDecl) + "\n<CompleteMultipartUpload" + kNs +
                     "><Part><ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>"
                     "<ChecksumCRC32>AAAAAA==</ChecksumCRC32><PartNumber>1</PartNumber></Part>"
                     "<Part><ETag>&quot;b54357faf0632cce46e942fa68356b38&quot;</ETag>"
                     "<PartNumber>2</PartNumber></Part>"
                     "<Part><ETag>0c78aef83f66abc1fa1e8477f296d394</ETag>"
                     "<PartNumber>10000</PartNumber></Part></CompleteMultipartUpload>";
  std::vector<CompletedPart> parts;
  ASSERT_TRUE(ParseCompleteMultipartUpload(body, &parts).ok());
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].part_number, 1);
  EXPECT_EQ(parts[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(parts[0].checksum_name, "CRC32");
  EXPECT_EQ(parts[0].checksum_value, "AAAAAA==");
  EXPECT_EQ(parts[1].checksum_name, "");
  EXPECT_EQ(parts[1].part_number, 2);
  EXPECT_EQ(parts[1].etag, "b54357faf0632cce46e942fa68356b38");
  EXPECT_EQ(parts[2].part_number, 10000);
  EXPECT_EQ(parts[2].etag, "0c78aef83f66abc1fa1e8477f296d394");
}

TEST(S3XmlCompleteTest, RefusesAPartWithTwoChecksums) {
  std::vector<CompletedPart> parts;
  S3Error e = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload><Part><ETag>e</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32>"
      "<ChecksumSHA1>AAAAAAAAAAAAAAAAAAAAAAAAAAA=</ChecksumSHA1><PartNumber>1</PartNumber></Part>"
      "</CompleteMultipartUpload>",
      &parts);
  EXPECT_EQ(e.code, "MalformedXML");
}

TEST(S3XmlCompleteTest, AcceptsPrefixedNamespaceAndWhitespace) {
  std::string body =
      "<s3:CompleteMultipartUpload xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <s3:Part>\n    <s3:PartNumber> 7 </s3:PartNumber>\n"
      "    <s3:ETag> \"abc-2\" </s3:ETag>\n  </s3:Part>\n<!-- c --></s3:CompleteMultipartUpload>";
  std::vector<CompletedPart> parts;
  ASSERT_TRUE(ParseCompleteMultipartUpload(body, &parts).ok());
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].part_number, 7);
  EXPECT_EQ(parts[0].etag, "abc-2");
}

TEST(S3XmlCompleteTest, RequiresAscendingPartsInRange) {
  std::vector<CompletedPart> parts = {{99, "keep"}};
  const std::string order =
      "The list of parts was not in ascending order. Parts must be ordered by part number.";
  S3Error e = ParseCompleteMultipartUpload(Parts({1, 3, 2}), &parts);
  ExpectError(e, 400, "InvalidPartOrder");
  EXPECT_EQ(e.message, order);
  ExpectError(ParseCompleteMultipartUpload(Parts({1, 2, 2}), &parts), 400, "InvalidPartOrder");
  for (int n : {0, -1, 10001})
    ExpectError(ParseCompleteMultipartUpload(Parts({n}), &parts), 400, "InvalidArgument");
  ExpectMalformed(ParseCompleteMultipartUpload(Parts({}), &parts));
  ASSERT_EQ(parts.size(), 1u);  // untouched on error
  EXPECT_EQ(parts[0].part_number, 99);
  ASSERT_TRUE(ParseCompleteMultipartUpload(Parts({2, 5, 9}), &parts).ok());
  EXPECT_EQ(parts.size(), 3u);
}

TEST(S3XmlCompleteTest, RejectsMissingOrBadFields) {
  std::vector<CompletedPart> parts;
  for (const char* part :
       {"<Part><ETag>e</ETag></Part>", "<Part><PartNumber>1</PartNumber></Part>",
        "<Part><PartNumber>one</PartNumber><ETag>e</ETag></Part>",
        "<Part><PartNumber>1.5</PartNumber><ETag>e</ETag></Part>",
        "<Part><PartNumber></PartNumber><ETag>e</ETag></Part>",
        "<Part><PartNumber>1</PartNumber><ETag>\"\"</ETag></Part>",
        "<Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>e</ETag></Part>",
        "<Part><PartNumber>1</PartNumber><ETag>e</ETag><ETag>f</ETag></Part>",
        "<Part><PartNumber>1<X/></PartNumber><ETag>e</ETag></Part>"})
    ExpectMalformed(
        ParseCompleteMultipartUpload(
            std::string("<CompleteMultipartUpload>") + part + "</CompleteMultipartUpload>", &parts),
        part);
  ExpectMalformed(ParseCompleteMultipartUpload(
      "<Delete><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></Delete>", &parts));
}

// ---- DeleteObjects ----

TEST(S3XmlDeleteTest, AcceptsWhatBoto3Sends) {
  std::string body = std::string(kDecl) + "<Delete" + kNs +
                     "><Object><Key>photos/a b.jpg</Key></Object>"
                     "<Object><Key> spaced </Key><VersionId>3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrH"
                     "Y+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo</VersionId></Object>"
                     "<Object><Key>null-version</Key><VersionId>null</VersionId></Object>"
                     "<Quiet>true</Quiet></Delete>";
  bool quiet = false;
  std::vector<ObjectToDelete> objects;
  ASSERT_TRUE(ParseDelete(body, &quiet, &objects).ok());
  EXPECT_TRUE(quiet);
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0].key, "photos/a b.jpg");
  EXPECT_EQ(objects[0].version_id, "");
  EXPECT_EQ(objects[1].key, " spaced ");
  EXPECT_EQ(objects[1].version_id,
            "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo");
  EXPECT_EQ(objects[2].version_id, "null");
}

TEST(S3XmlDeleteTest, QuietDefaultsToFalse) {
  bool quiet = true;
  std::vector<ObjectToDelete> objects;
  ASSERT_TRUE(ParseDelete(Objects(1), &quiet, &objects).ok());
  EXPECT_FALSE(quiet);
  quiet = true;
  ASSERT_TRUE(ParseDelete("<Delete><Quiet>false</Quiet><Object><Key>k</Key></Object></Delete>",
                          &quiet, &objects)
                  .ok());
  EXPECT_FALSE(quiet);
  ExpectMalformed(ParseDelete("<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>",
                              &quiet, &objects));
}

TEST(S3XmlDeleteTest, Allows1To1000Objects) {
  bool quiet;
  std::vector<ObjectToDelete> objects;
  ASSERT_TRUE(ParseDelete(Objects(1000), &quiet, &objects).ok());
  EXPECT_EQ(objects.size(), 1000u);
  EXPECT_EQ(objects[999].key, "k999");
  ExpectMalformed(ParseDelete(Objects(1001), &quiet, &objects));
  ExpectMalformed(ParseDelete(Objects(0), &quiet, &objects));
  ExpectMalformed(
      ParseDelete("<Delete><Object><VersionId>v</VersionId></Object></Delete>", &quiet, &objects));
  ExpectMalformed(ParseDelete("<Delete><Object><Key></Key></Object></Delete>", &quiet, &objects));
  ExpectError(ParseDelete("<Delete><Object><Key>k</Key><ETag>\"e\"</ETag></Object></Delete>",
                          &quiet, &objects),
              501, "NotImplemented");
  EXPECT_EQ(objects.size(), 1000u);  // untouched on error
}

// ---- Versioning ----

TEST(S3XmlVersioningTest, StatusValues) {
  std::string status = "x";
  ASSERT_TRUE(
      ParseVersioningConfiguration(std::string("<VersioningConfiguration") + kNs +
                                       "><Status>Enabled</Status></VersioningConfiguration>",
                                   &status)
          .ok());
  EXPECT_EQ(status, "Enabled");
  ASSERT_TRUE(
      ParseVersioningConfiguration("<VersioningConfiguration><Status>Suspended</Status>"
                                   "<MfaDelete>Disabled</MfaDelete></VersioningConfiguration>",
                                   &status)
          .ok());
  EXPECT_EQ(status, "Suspended");
  ASSERT_TRUE(ParseVersioningConfiguration("<VersioningConfiguration/>", &status).ok());
  EXPECT_EQ(status, "");  // no change
  ExpectMalformed(ParseVersioningConfiguration(
      "<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>", &status));
  ExpectMalformed(ParseVersioningConfiguration("<Versioning/>", &status));
  S3Error e = ParseVersioningConfiguration(
      "<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete>"
      "</VersioningConfiguration>",
      &status);
  ExpectError(e, 501, "NotImplemented");
  EXPECT_EQ(e.message, "MFA delete is not supported");
  ExpectMalformed(ParseVersioningConfiguration(
      "<VersioningConfiguration><MfaDelete>maybe</MfaDelete></VersioningConfiguration>", &status));
}

// ---- Tagging ----

TEST(S3XmlTaggingTest, EnforcesS3Limits) {
  std::vector<std::pair<std::string, std::string>> tags, many;
  for (int i = 0; i < 11; ++i) many.emplace_back("k" + std::to_string(i), "v");
  S3Error e = ParseTagging(TagsBody(many), 10, &tags);
  ExpectError(e, 400, "InvalidTag");
  EXPECT_EQ(e.message, "Object tags cannot be greater than 10");
  ASSERT_TRUE(ParseTagging(TagsBody(many), 50, &tags).ok());
  EXPECT_EQ(tags.size(), 11u);
  many.resize(51, {"x", "y"});
  for (int i = 11; i < 51; ++i) many[i].first = "b" + std::to_string(i);
  ExpectError(ParseTagging(TagsBody(many), 50, &tags), 400, "InvalidTag");

  e = ParseTagging(TagsBody({{"a", "1"}, {"b", "2"}, {"a", "3"}}), 10, &tags);
  ExpectError(e, 400, "InvalidTag");
  EXPECT_EQ(e.message, "Cannot provide multiple Tags with the same key");
  ExpectError(ParseTagging(TagsBody({{"", "v"}}), 10, &tags), 400, "InvalidTag");
  ExpectError(ParseTagging(TagsBody({{std::string(129, 'k'), "v"}}), 10, &tags), 400, "InvalidTag");
  ExpectError(ParseTagging(TagsBody({{"k", std::string(257, 'v')}}), 10, &tags), 400, "InvalidTag");
  ExpectError(ParseTagging(TagsBody({{"aws:cloudformation", "v"}}), 10, &tags), 400, "InvalidTag");
  // Lengths count characters, not bytes: 128 two-byte characters is a legal key.
  std::string e128;
  for (int i = 0; i < 128; ++i) e128 += "\xc3\xa9";
  ASSERT_TRUE(
      ParseTagging(TagsBody({{e128, std::string(256, 'v')}, {"empty", ""}}), 10, &tags).ok());
  EXPECT_EQ(tags[0].first, e128);
  EXPECT_EQ(tags[1].second, "");
  EXPECT_EQ(tags.size(), 2u);
}

TEST(S3XmlTaggingTest, ShapeOfTheDocument) {
  std::vector<std::pair<std::string, std::string>> tags = {{"keep", "me"}};
  ASSERT_TRUE(ParseTagging("<Tagging><TagSet/></Tagging>", 10, &tags).ok());
  EXPECT_TRUE(tags.empty());
  ExpectMalformed(ParseTagging("<Tagging/>", 10, &tags));
  ExpectMalformed(ParseTagging("<Tagging><TagSet/><TagSet/></Tagging>", 10, &tags));
  ExpectMalformed(
      ParseTagging("<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", 10, &tags));
  ExpectMalformed(ParseTagging("<TagSet><Tag><Key>k</Key><Value/></Tag></TagSet>", 10, &tags));
}

// ---- CORS ----

const char kCors[] =
    "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<CORSRule><ID>web</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>"
    "<AllowedOrigin>http://localhost:3000</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
    "<AllowedHeader>Content-*</AllowedHeader><AllowedHeader>Authorization</AllowedHeader>"
    "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"
    "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
    "<AllowedMethod>HEAD</AllowedMethod></CORSRule></CORSConfiguration>";

TEST(S3XmlCorsTest, ParsesRules) {
  std::vector<CorsRule> rules;
  ASSERT_TRUE(ParseCorsConfiguration(kCors, &rules).ok());
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].id, "web");
  EXPECT_EQ(rules[0].allowed_origins,
            (std::vector<std::string>{"https://*.example.com", "http://localhost:3000"}));
  EXPECT_EQ(rules[0].allowed_methods, (std::vector<std::string>{"GET", "PUT"}));
  EXPECT_EQ(rules[0].allowed_headers, (std::vector<std::string>{"Content-*", "Authorization"}));
  EXPECT_EQ(rules[0].expose_headers, (std::vector<std::string>{"ETag"}));
  EXPECT_EQ(rules[0].max_age_seconds, 3000);
  EXPECT_FALSE(rules[1].max_age_seconds.has_value());
  EXPECT_TRUE(rules[1].allowed_headers.empty());
}

std::string CorsRuleBody(const std::string& inner) {
  return "<CORSConfiguration><CORSRule>" + inner + "</CORSRule></CORSConfiguration>";
}

TEST(S3XmlCorsTest, RejectsInvalidRules) {
  std::vector<CorsRule> rules;
  S3Error e = ParseCorsConfiguration(
      CorsRuleBody("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"), &rules);
  ExpectError(e, 400, "InvalidRequest");
  EXPECT_EQ(e.message, "Found unsupported HTTP method in CORS config. Unsupported method is PATCH");
  ExpectError(
      ParseCorsConfiguration(
          CorsRuleBody("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>"),
          &rules),
      400, "InvalidRequest");
  ExpectError(ParseCorsConfiguration(CorsRuleBody("<AllowedOrigin>http://*.*.a.com</AllowedOrigin>"
                                                  "<AllowedMethod>GET</AllowedMethod>"),
                                     &rules),
              400, "InvalidRequest");
  ExpectError(ParseCorsConfiguration(CorsRuleBody("<AllowedOrigin>*</AllowedOrigin>"
                                                  "<AllowedMethod>GET</AllowedMethod>"
                                                  "<AllowedHeader>x-*-*</AllowedHeader>"),
                                     &rules),
              400, "InvalidRequest");
  ExpectMalformed(
      ParseCorsConfiguration(CorsRuleBody("<AllowedMethod>GET</AllowedMethod>"), &rules));
  ExpectMalformed(ParseCorsConfiguration(CorsRuleBody("<AllowedOrigin>*</AllowedOrigin>"), &rules));
  ExpectMalformed(ParseCorsConfiguration(CorsRuleBody("<AllowedOrigin>*</AllowedOrigin>"
                                                      "<AllowedMethod>GET</AllowedMethod>"
                                                      "<MaxAgeSeconds>soon</MaxAgeSeconds>"),
                                         &rules));
  ExpectMalformed(ParseCorsConfiguration("<CORSConfiguration/>", &rules));
  std::string many = "<CORSConfiguration>";
  for (int i = 0; i < 101; ++i)
    many +=
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>";
  ExpectMalformed(ParseCorsConfiguration(many + "</CORSConfiguration>", &rules));
}

TEST(S3XmlCorsTest, MatchesOriginMethodAndHeaders) {
  std::vector<CorsRule> rules;
  ASSERT_TRUE(ParseCorsConfiguration(kCors, &rules).ok());
  EXPECT_EQ(MatchCors(rules, "https://app.example.com", "PUT", {"content-type", "AUTHORIZATION"}),
            &rules[0]);
  EXPECT_EQ(MatchCors(rules, "http://localhost:3000", "GET", {}), &rules[0]);
  // Wildcard needs its prefix and suffix: this origin falls through to the '*' rule.
  EXPECT_EQ(MatchCors(rules, "https://example.com", "GET", {}), &rules[1]);
  EXPECT_EQ(MatchCors(rules, "https://example.com", "PUT", {}), nullptr);
  // A header the first rule does not allow: only the second rule could match, and it allows
  // no headers.
  EXPECT_EQ(MatchCors(rules, "https://a.example.com", "GET", {"x-amz-meta-a"}), nullptr);
  EXPECT_EQ(MatchCors(rules, "https://a.example.com", "get", {}), nullptr);  // exact method
  EXPECT_EQ(MatchCors(rules, "https://a.example.com", "DELETE", {}), nullptr);
  EXPECT_EQ(MatchCors({}, "https://a.example.com", "GET", {}), nullptr);

  CorsRule any;
  any.allowed_origins = {"http://*"};
  any.allowed_methods = {"POST"};
  any.allowed_headers = {"*"};
  std::vector<CorsRule> one = {any};
  EXPECT_EQ(MatchCors(one, "http://x", "POST", {" x-amz-date ", "", "Content-MD5"}), &one[0]);
  EXPECT_EQ(MatchCors(one, "https://x", "POST", {}), nullptr);
}

// ---- Lifecycle ----

TEST(S3XmlLifecycleTest, ParsesWhatClientsSend) {
  std::string body = std::string("<LifecycleConfiguration") + kNs +
                     "><Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter>"
                     "<Status>Enabled</Status><Expiration><Days>30</Days></Expiration>"
                     "<NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays>"
                     "</NoncurrentVersionExpiration></Rule>"
                     "<Rule><ID>uploads</ID><Filter/><Status>Disabled</Status>"
                     "<AbortIncompleteMultipartUpload><DaysAfterInitiation>2"
                     "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
                     "<Rule><Prefix>tmp/</Prefix><Status>Enabled</Status><Expiration>"
                     "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"
                     "</Rule><Rule><ID>and</ID><Filter><And><Prefix>a/</Prefix></And></Filter>"
                     "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
                     "</LifecycleConfiguration>";
  std::vector<LifecycleRule> rules;
  ASSERT_TRUE(ParseLifecycleConfiguration(body, &rules).ok());
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].id, "logs");
  EXPECT_EQ(rules[0].prefix, "logs/");
  EXPECT_TRUE(rules[0].enabled);
  EXPECT_EQ(rules[0].expiration_days, 30);
  EXPECT_EQ(rules[0].noncurrent_expiration_days, 7);
  EXPECT_FALSE(rules[0].abort_incomplete_upload_days.has_value());
  EXPECT_FALSE(rules[0].expired_object_delete_marker);
  EXPECT_EQ(rules[1].prefix, "");
  EXPECT_FALSE(rules[1].enabled);
  EXPECT_EQ(rules[1].abort_incomplete_upload_days, 2);
  EXPECT_EQ(rules[2].id, "");
  EXPECT_EQ(rules[2].prefix, "tmp/");
  EXPECT_TRUE(rules[2].expired_object_delete_marker);
  EXPECT_FALSE(rules[2].expiration_days.has_value());
  EXPECT_EQ(rules[3].prefix, "a/");
}

std::string LifecycleRuleBody(const std::string& inner) {
  return "<LifecycleConfiguration><Rule>" + inner + "</Rule></LifecycleConfiguration>";
}

TEST(S3XmlLifecycleTest, ParsesTransitionsInDayOrder) {
  const std::string f = "<Filter><Prefix>p</Prefix></Filter><Status>Enabled</Status>";
  std::vector<LifecycleRule> rules;
  ASSERT_TRUE(ParseLifecycleConfiguration(
                  LifecycleRuleBody(f + "<Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition>"
                                        "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass>"
                                        "</Transition><NoncurrentVersionTransition><NoncurrentDays>7</NoncurrentDays>"
                                        "<StorageClass>DEEP_ARCHIVE</StorageClass></NoncurrentVersionTransition>"),
                  &rules)
                  .ok());
  ASSERT_EQ(rules.size(), 1u);
  using T = std::vector<std::pair<int, StorageClass>>;
  EXPECT_EQ(rules[0].transitions, (T{{30, StorageClass::kStandardIa}, {90, StorageClass::kGlacier}}));
  EXPECT_EQ(rules[0].noncurrent_transitions, (T{{7, StorageClass::kDeepArchive}}));
  auto parse = [&](const std::string& inner) { return ParseLifecycleConfiguration(LifecycleRuleBody(f + inner), &rules); };
  ExpectError(parse("<Transition><Days>1</Days><StorageClass>STANDARD</StorageClass></Transition>"), 400,
              "InvalidArgument", "to STANDARD");
  ExpectError(parse("<Transition><Days>1</Days><StorageClass>CHEAP</StorageClass></Transition>"), 400,
              "InvalidStorageClass", "unknown class");
  ExpectError(parse("<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"
                    "<Transition><Days>2</Days><StorageClass>GLACIER</StorageClass></Transition>"),
              400, "InvalidArgument", "one class twice");
  ExpectError(parse("<Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition>"), 400,
              "InvalidArgument", "zero days");
}

TEST(S3XmlLifecycleTest, RejectsInvalidRules) {
  const std::string f = "<Filter><Prefix>p</Prefix></Filter><Status>Enabled</Status>";
  std::vector<LifecycleRule> rules;
  auto parse = [&](const std::string& inner) {
    return ParseLifecycleConfiguration(LifecycleRuleBody(inner), &rules);
  };
  for (std::string days :
       {"<Expiration><Days>0</Days></Expiration>",
        "<NoncurrentVersionExpiration><NoncurrentDays>-1</NoncurrentDays>"
        "</NoncurrentVersionExpiration>",
        "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation>"
        "</AbortIncompleteMultipartUpload>"})
    ExpectError(parse(f + days), 400, "InvalidArgument", days);
  for (const std::string& unsupported :
       {f + "<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>",
        f + "<Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition>",
        f + "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
            "<NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>",
        std::string("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
                    "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"),
        std::string("<Filter><And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>"
                    "</And></Filter><Status>Enabled</Status><Expiration><Days>1</Days>"
                    "</Expiration>")})
    ExpectError(parse(unsupported), 501, "NotImplemented", unsupported);
  for (const std::string& bad :
       {f, f + "<Expiration/>", f + "<Expiration><Days>x</Days></Expiration>",
        f + "<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
            "</Expiration>",
        f + "<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>",
        f + "<Expiration><Days>99999999999</Days></Expiration>",
        f + "<NoncurrentVersionExpiration/>",
        std::string("<Filter/><Status>On</Status><Expiration><Days>1</Days></Expiration>"),
        std::string("<Filter/><Expiration><Days>1</Days></Expiration>"),
        std::string("<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"),
        std::string("<Prefix>a</Prefix><Filter/><Status>Enabled</Status>"
                    "<Expiration><Days>1</Days></Expiration>"),
        std::string("<Filter><Prefix>a</Prefix><Prefix>b</Prefix></Filter>"
                    "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"),
        std::string("<Filter><Bogus/></Filter><Status>Enabled</Status>"
                    "<Expiration><Days>1</Days></Expiration>")})
    ExpectMalformed(parse(bad), bad);
  ExpectMalformed(ParseLifecycleConfiguration("<LifecycleConfiguration/>", &rules));
}

TEST(S3XmlLifecycleTest, RuleCountAndUniqueIds) {
  const std::string rule =
      "<Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>";
  std::vector<LifecycleRule> rules;
  S3Error e = ParseLifecycleConfiguration("<LifecycleConfiguration><Rule><ID>a</ID>" + rule +
                                              "</Rule><Rule><ID>a</ID>" + rule +
                                              "</Rule></LifecycleConfiguration>",
                                          &rules);
  ExpectError(e, 400, "InvalidArgument");
  ExpectError(ParseLifecycleConfiguration(
                  LifecycleRuleBody("<ID>" + std::string(256, 'i') + "</ID>" + rule), &rules),
              400, "InvalidArgument");
  std::string many = "<LifecycleConfiguration>";
  for (int i = 0; i < 1000; ++i) many += "<Rule>" + rule + "</Rule>";  // IDs may be absent
  ASSERT_TRUE(ParseLifecycleConfiguration(many + "</LifecycleConfiguration>", &rules).ok());
  EXPECT_EQ(rules.size(), 1000u);
  many += "<Rule>" + rule + "</Rule>";
  ExpectMalformed(ParseLifecycleConfiguration(many + "</LifecycleConfiguration>", &rules));
}

// ---- CreateBucket ----

TEST(S3XmlCreateBucketTest, LocationConstraint) {
  std::string location = "x";
  ASSERT_TRUE(ParseCreateBucketConfiguration("", &location).ok());
  EXPECT_EQ(location, "");
  ASSERT_TRUE(ParseCreateBucketConfiguration(" \r\n", &location).ok());
  ASSERT_TRUE(
      ParseCreateBucketConfiguration(std::string(kDecl) + "<CreateBucketConfiguration" + kNs +
                                         "><LocationConstraint>eu-west-1</LocationConstraint>"
                                         "</CreateBucketConfiguration>",
                                     &location)
          .ok());
  EXPECT_EQ(location, "eu-west-1");
  ASSERT_TRUE(ParseCreateBucketConfiguration("<CreateBucketConfiguration/>", &location).ok());
  EXPECT_EQ(location, "");
  ExpectMalformed(ParseCreateBucketConfiguration("<Bucket/>", &location));
  ExpectMalformed(ParseCreateBucketConfiguration("<CreateBucketConfiguration>", &location));
}

// Object keys are checked with it where they enter (a path, x-amz-copy-source, a POST form):
// a bucket's system keys (byte 0xFF first) are never UTF-8.
TEST(S3XmlUtf8Test, IsUtf8RefusesWhatNoUtf8TextHolds) {
  EXPECT_TRUE(xml::IsUtf8(""));
  EXPECT_TRUE(xml::IsUtf8("plain/key.txt"));
  EXPECT_TRUE(xml::IsUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
  for (std::string bad : {std::string("\xffsnapview/monday"), std::string("a\xfe"), std::string("\xc0\xaf"),
                          std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"), std::string("\xe2\x82")})
    EXPECT_FALSE(xml::IsUtf8(bad)) << bad;
}

}  // namespace
}  // namespace ccow::s3
