#include "gateway/s3/s3_xml.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>
#include <set>

#include "gateway/s3/xml_reader.h"

namespace ccow::s3 {
using namespace xml;  // NOLINT: the reader's vocabulary, used throughout
namespace {

constexpr std::string_view kDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";

// '*' matches any run of characters. Iterative with one backtrack point: no recursion, and
// at worst pattern length × text length steps.
bool WildcardMatch(std::string_view pattern, std::string_view s, bool ignore_case) {
  auto eq = [&](char a, char b) {
    if (!ignore_case) return a == b;
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pattern.size() && eq(pattern[p], s[i])) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

S3Error NotImplemented(std::string message) {
  return MakeError(501, "NotImplemented", std::move(message));
}

// A rule's filter. Only prefixes are supported; tag and size filters are refused rather
// than ignored, because ignoring a filter widens the rule and would expire objects the user
// meant to keep.
S3Error ParseLifecycleFilter(pugi::xml_node rule, LifecycleRule* out) {
  pugi::xml_node filter;
  S3_RETURN_IF_ERROR(OnlyChild(rule, "Filter", &filter));
  bool legacy = false;
  S3_RETURN_IF_ERROR(ChildText(rule, "Prefix", false, &out->prefix, &legacy));
  if (legacy && filter) return Malformed("<Rule> has both <Filter> and <Prefix>");
  if (legacy) return S3Error::None();
  if (!filter) return Malformed("<Rule> needs a <Filter> or a <Prefix>");
  pugi::xml_node only;
  for (pugi::xml_node c = filter.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (only) return Malformed("<Filter> must hold exactly one of <Prefix>, <Tag> or <And>");
    only = c;
  }
  if (!only) return S3Error::None();  // an empty filter applies to every object
  std::string_view name = LocalName(only);
  if (name == "Prefix") return TextOf(only, &out->prefix);
  if (name != "And" && name != "Tag" && name != "ObjectSizeGreaterThan" &&
      name != "ObjectSizeLessThan")
    return Malformed("unknown element " + Tag(name) + " in <Filter>");
  if (name != "And")
    return NotImplemented("Lifecycle filters on " + Tag(name) + " are not supported");
  for (pugi::xml_node c = only.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view n = LocalName(c);
    if (n == "Prefix") continue;
    if (n == "Tag" || n == "ObjectSizeGreaterThan" || n == "ObjectSizeLessThan")
      return NotImplemented("Lifecycle filters on " + Tag(n) + " are not supported");
    return Malformed("unknown element " + Tag(n) + " in <And>");
  }
  return ChildText(only, "Prefix", false, &out->prefix);
}

S3Error ParseLifecycleRule(pugi::xml_node node, LifecycleRule* rule) {
  S3_RETURN_IF_ERROR(ChildText(node, "ID", false, &rule->id));
  if (CharCount(rule->id) > 255)
    return MakeError(400, "InvalidArgument", "ID length should not exceed allowed limit of 255");
  std::string status;
  S3_RETURN_IF_ERROR(ChildText(node, "Status", true, &status));
  status = std::string(TrimSpace(status));
  if (status != "Enabled" && status != "Disabled")
    return Malformed("<Status> must be Enabled or Disabled");
  rule->enabled = status == "Enabled";
  S3_RETURN_IF_ERROR(ParseLifecycleFilter(node, rule));

  pugi::xml_node action;
  S3_RETURN_IF_ERROR(OnlyChild(node, "Expiration", &action));
  if (action) {
    if (!Children(action, "Date").empty())
      return NotImplemented("Lifecycle expiration on a <Date> is not supported; use <Days>");
    S3_RETURN_IF_ERROR(ChildDays(action, "Days", false, &rule->expiration_days));
    bool marker = false;
    S3_RETURN_IF_ERROR(ChildBool(action, "ExpiredObjectDeleteMarker",
                                 &rule->expired_object_delete_marker, &marker));
    if (marker && rule->expiration_days)
      return Malformed("<ExpiredObjectDeleteMarker> cannot be specified with <Days>");
    if (!marker && !rule->expiration_days)
      return Malformed("<Expiration> needs <Days> or <ExpiredObjectDeleteMarker>");
  }
  S3_RETURN_IF_ERROR(OnlyChild(node, "NoncurrentVersionExpiration", &action));
  if (action) {
    // Ignoring it would expire versions the user asked to keep.
    if (!Children(action, "NewerNoncurrentVersions").empty())
      return NotImplemented("<NewerNoncurrentVersions> is not supported");
    S3_RETURN_IF_ERROR(
        ChildDays(action, "NoncurrentDays", true, &rule->noncurrent_expiration_days));
  }
  S3_RETURN_IF_ERROR(OnlyChild(node, "AbortIncompleteMultipartUpload", &action));
  if (action) {
    S3_RETURN_IF_ERROR(
        ChildDays(action, "DaysAfterInitiation", true, &rule->abort_incomplete_upload_days));
  }
  for (const char* element : {"Transition", "NoncurrentVersionTransition"}) {
    const bool noncurrent = element[0] == 'N';
    auto& out = noncurrent ? rule->noncurrent_transitions : rule->transitions;
    for (pugi::xml_node t : Children(node, element)) {
      if (!Children(t, "Date").empty())
        return NotImplemented("Lifecycle transition on a <Date> is not supported; use <Days>");
      if (!Children(t, "NewerNoncurrentVersions").empty())
        return NotImplemented("<NewerNoncurrentVersions> is not supported");
      std::optional<int> days;
      S3_RETURN_IF_ERROR(ChildDays(t, noncurrent ? "NoncurrentDays" : "Days", true, &days));
      std::string name;
      S3_RETURN_IF_ERROR(ChildText(t, "StorageClass", true, &name));
      auto c = ParseStorageClass(TrimSpace(name));
      if (!c) return MakeError(400, "InvalidStorageClass", "The storage class you specified is not valid");
      if (*c == StorageClass::kStandard || *c == StorageClass::kReducedRedundancy)
        return MakeError(400, "InvalidArgument", "'StorageClass' must be different from '" + std::string(StorageClassName(*c)) + "'");
      for (const auto& [d, other] : out)
        if (other == *c) return MakeError(400, "InvalidArgument", "'StorageClass' must be different for each transition");
      out.emplace_back(*days, *c);
    }
    std::sort(out.begin(), out.end());
  }
  if (!rule->expiration_days && !rule->expired_object_delete_marker &&
      !rule->noncurrent_expiration_days && !rule->abort_incomplete_upload_days &&
      rule->transitions.empty() && rule->noncurrent_transitions.empty())
    return Malformed("each <Rule> needs at least one action");
  return S3Error::None();
}

}  // namespace

// ---- Writing ----

XmlWriter::XmlWriter() : out_(kDeclaration) {}

// Tags are the caller's constants and are written as given; only text is escaped.
void XmlWriter::Open(std::string_view tag, bool with_namespace) {
  out_.append("<").append(tag);
  if (with_namespace) out_.append(" xmlns=\"").append(kS3Namespace).append("\"");
  out_ += '>';
  open_.emplace_back(tag);
}

void XmlWriter::Close() {
  if (open_.empty()) return;
  out_ += "</" + open_.back() + ">";
  open_.pop_back();
}

void XmlWriter::Element(std::string_view tag, std::string_view text) {
  out_.append("<").append(tag).append(">").append(XmlEscape(text));
  out_.append("</").append(tag).append(">");
}

// Leaves the writer ready for a new document.
std::string XmlWriter::Finish() {
  while (!open_.empty()) Close();
  std::string doc = std::move(out_);
  out_ = kDeclaration;
  return doc;
}

// Tab, LF and CR are written as references so parsers do not normalise them away. Other
// C0 controls (S3 keys may hold them) cannot appear in XML 1.0 at all; like S3 we write
// them as XML 1.1-style references, which strict 1.0 parsers refuse; clients that care
// ask for encoding-type=url and get keys URL-encoded instead. Bytes >= 0x80 pass through,
// so text that is not UTF-8 makes a document that is not well-formed: keys should be
// checked as UTF-8 where they enter.
void WriteIdentity(XmlWriter& w, std::string_view tag, std::string_view id) {
  w.Open(tag);
  w.Element("ID", id);
  w.Element("DisplayName", id);
  w.Close();
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    std::string_view named = c == '&'    ? "&amp;"
                             : c == '<'  ? "&lt;"
                             : c == '>'  ? "&gt;"
                             : c == '"'  ? "&quot;"
                             : c == '\'' ? "&apos;"
                                         : "";
    if (!named.empty()) {
      out += named;
    } else if (static_cast<uint8_t>(c) < 0x20) {
      char ref[8];
      std::snprintf(ref, sizeof(ref), "&#x%X;", static_cast<unsigned>(c));
      out += ref;
    } else {
      out += c;
    }
  }
  return out;
}

std::string ErrorXml(const S3Error& error, std::string_view resource, std::string_view request_id) {
  XmlWriter w;
  w.Open("Error");
  w.Element("Code", error.code);
  w.Element("Message", error.message);
  w.Element("Resource", resource);
  w.Element("RequestId", request_id);
  return w.Finish();
}

std::string TaggingXml(const std::vector<std::pair<std::string, std::string>>& tags) {
  XmlWriter w;
  w.Open("Tagging", true);
  w.Open("TagSet");
  for (const auto& [key, value] : tags) {
    w.Open("Tag");
    w.Element("Key", key);
    w.Element("Value", value);
    w.Close();
  }
  return w.Finish();
}

// ---- Parsing ----
// Each parser fills a local result and hands it over only on success.

S3Error ParseCompleteMultipartUpload(std::string_view body, std::vector<CompletedPart>* parts) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(LoadRoot(body, "CompleteMultipartUpload", &doc, &root));
  std::vector<pugi::xml_node> nodes = Children(root, "Part");
  if (nodes.empty()) return Malformed("<CompleteMultipartUpload> must list at least one <Part>");
  std::vector<CompletedPart> result;
  result.reserve(std::min<size_t>(nodes.size(), 10000));
  for (pugi::xml_node node : nodes) {
    CompletedPart part;
    int64_t number = 0;
    bool present = false;
    S3_RETURN_IF_ERROR(ChildInt(node, "PartNumber", true, &number, &present));
    if (number < 1 || number > 10000)
      return MakeError(400, "InvalidArgument",
                       "Part number must be an integer between 1 and 10000, inclusive");
    part.part_number = static_cast<int>(number);
    std::string etag;
    S3_RETURN_IF_ERROR(ChildText(node, "ETag", true, &etag));
    std::string_view t = TrimSpace(etag);
    // Clients send the ETag as S3 returned it, quoted; some strip the quotes.
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    if (t.empty()) return Malformed("<ETag> of part " + std::to_string(number) + " is empty");
    part.etag = std::string(t);
    for (const char* name : {"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"}) {
      std::string value;
      bool has = false;
      S3_RETURN_IF_ERROR(ChildText(node, std::string("Checksum") + name, false, &value, &has));
      if (!has) continue;
      if (!part.checksum_name.empty())
        return Malformed("part " + std::to_string(number) + " lists more than one checksum");
      part.checksum_name = name;
      part.checksum_value = std::string(TrimSpace(value));
    }
    // Strictly ascending, so a repeated part number is out of order too.
    if (!result.empty() && part.part_number <= result.back().part_number)
      return MakeError(400, "InvalidPartOrder",
                       "The list of parts was not in ascending order. Parts must be ordered by "
                       "part number.");
    result.push_back(std::move(part));
  }
  *parts = std::move(result);
  return S3Error::None();
}

S3Error ParseDelete(std::string_view body, bool* quiet, std::vector<ObjectToDelete>* objects) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(LoadRoot(body, "Delete", &doc, &root));
  bool q = false, present = false;
  S3_RETURN_IF_ERROR(ChildBool(root, "Quiet", &q, &present));
  std::vector<pugi::xml_node> nodes = Children(root, "Object");
  if (nodes.empty()) return Malformed("<Delete> must list at least one <Object>");
  if (nodes.size() > 1000) return Malformed("<Delete> may list at most 1000 <Object>s");
  std::vector<ObjectToDelete> result(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    // Keys are taken exactly as written: whitespace is part of an S3 key.
    S3_RETURN_IF_ERROR(ChildText(nodes[i], "Key", true, &result[i].key));
    if (result[i].key.empty()) return Malformed("<Key> is empty");
    S3_RETURN_IF_ERROR(ChildText(nodes[i], "VersionId", false, &result[i].version_id));
    // Conditional deletes (directory buckets only, in S3): ignoring the condition would
    // delete unconditionally.
    for (std::string_view condition : {"ETag", "LastModifiedTime", "Size"})
      if (!Children(nodes[i], condition).empty())
        return NotImplemented("Conditional deletes (" + Tag(condition) + ") are not supported");
  }
  *quiet = q;
  *objects = std::move(result);
  return S3Error::None();
}

S3Error ParseVersioningConfiguration(std::string_view body, std::string* status) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(LoadRoot(body, "VersioningConfiguration", &doc, &root));
  std::string s, mfa;
  bool has_status = false, has_mfa = false;
  S3_RETURN_IF_ERROR(ChildText(root, "Status", false, &s, &has_status));
  s = std::string(TrimSpace(s));
  if (has_status && s != "Enabled" && s != "Suspended")
    return Malformed("<Status> must be Enabled or Suspended");
  // boto3 writes <MfaDelete>; S3's documentation also shows <MFADelete>.
  for (std::string_view name : {"MfaDelete", "MFADelete"}) {
    S3_RETURN_IF_ERROR(ChildText(root, name, false, &mfa, &has_mfa));
    if (!has_mfa) continue;
    std::string_view v = TrimSpace(mfa);
    if (v == "Enabled") return NotImplemented("MFA delete is not supported");
    if (v != "Disabled") return Malformed(Tag(name) + " must be Enabled or Disabled");
  }
  *status = std::move(s);  // empty: leave the bucket's versioning as it is
  return S3Error::None();
}

S3Error ParseTagging(std::string_view body, size_t max_tags,
                     std::vector<std::pair<std::string, std::string>>* tags) {
  auto invalid = [](std::string message) {
    return MakeError(400, "InvalidTag", std::move(message));
  };
  pugi::xml_document doc;
  pugi::xml_node root, set;
  S3_RETURN_IF_ERROR(LoadRoot(body, "Tagging", &doc, &root));
  S3_RETURN_IF_ERROR(OnlyChild(root, "TagSet", &set));
  if (!set) return Malformed("<Tagging> is missing <TagSet>");
  std::vector<pugi::xml_node> nodes = Children(set, "Tag");
  if (nodes.size() > max_tags)
    return invalid(max_tags == 10
                       ? "Object tags cannot be greater than 10"
                       : "Bucket tag count cannot be greater than " + std::to_string(max_tags));
  std::vector<std::pair<std::string, std::string>> result(nodes.size());
  std::set<std::string_view> seen;
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto& [key, value] = result[i];
    S3_RETURN_IF_ERROR(ChildText(nodes[i], "Key", true, &key));
    S3_RETURN_IF_ERROR(ChildText(nodes[i], "Value", true, &value));
    size_t key_chars = CharCount(key);
    if (key_chars == 0) return invalid("The TagKey you have provided is invalid");
    if (key_chars > 128) return invalid("The TagKey you have provided is too long, max 128");
    if (CharCount(value) > 256)
      return invalid("The TagValue you have provided is too long, max 256");
    if (key.starts_with("aws:")) return invalid("Your TagKey cannot be prefixed with aws:");
    // S3 also limits tag characters to letters, digits, spaces and + - = . _ : / @; that is
    // not enforced here.
  }
  for (const auto& [key, value] : result)
    if (!seen.insert(key).second) return invalid("Cannot provide multiple Tags with the same key");
  *tags = std::move(result);
  return S3Error::None();
}

S3Error ParseCorsConfiguration(std::string_view body, std::vector<CorsRule>* rules) {
  auto invalid = [](std::string message) {
    return MakeError(400, "InvalidRequest", std::move(message));
  };
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(LoadRoot(body, "CORSConfiguration", &doc, &root));
  std::vector<pugi::xml_node> nodes = Children(root, "CORSRule");
  if (nodes.empty()) return Malformed("<CORSConfiguration> must hold at least one <CORSRule>");
  if (nodes.size() > 100) return Malformed("<CORSConfiguration> may hold at most 100 <CORSRule>s");
  // Every repeated element, trimmed: whitespace around an origin or a header name is never
  // meant.
  auto list = [](pugi::xml_node rule, std::string_view name,
                 std::vector<std::string>* out) -> S3Error {
    for (pugi::xml_node n : Children(rule, name)) {
      std::string text;
      S3_RETURN_IF_ERROR(TextOf(n, &text));
      out->emplace_back(TrimSpace(text));
    }
    return S3Error::None();
  };
  std::vector<CorsRule> result(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    CorsRule& rule = result[i];
    pugi::xml_node node = nodes[i];
    S3_RETURN_IF_ERROR(ChildText(node, "ID", false, &rule.id));
    if (CharCount(rule.id) > 255)
      return invalid("The ID of a CORSRule can be at most 255 characters");
    for (auto [name, out] : {std::pair{"AllowedOrigin", &rule.allowed_origins},
                             std::pair{"AllowedMethod", &rule.allowed_methods},
                             std::pair{"AllowedHeader", &rule.allowed_headers},
                             std::pair{"ExposeHeader", &rule.expose_headers}}) {
      S3_RETURN_IF_ERROR(list(node, name, out));
    }
    if (rule.allowed_origins.empty()) return Malformed("<CORSRule> is missing <AllowedOrigin>");
    if (rule.allowed_methods.empty()) return Malformed("<CORSRule> is missing <AllowedMethod>");
    for (const std::string& m : rule.allowed_methods) {
      if (m != "GET" && m != "PUT" && m != "POST" && m != "DELETE" && m != "HEAD")
        return invalid("Found unsupported HTTP method in CORS config. Unsupported method is " + m);
    }
    for (auto [what, values] : {std::pair{"AllowedOrigin", &rule.allowed_origins},
                                std::pair{"AllowedHeader", &rule.allowed_headers}}) {
      for (const std::string& v : *values) {
        if (std::count(v.begin(), v.end(), '*') > 1)
          return invalid(std::string(what) + " \"" + v + "\" can not have more than one wildcard.");
      }
    }
    int64_t age = 0;
    bool has_age = false;
    S3_RETURN_IF_ERROR(ChildInt(node, "MaxAgeSeconds", false, &age, &has_age));
    if (has_age && age < 0) return Malformed("<MaxAgeSeconds> must not be negative");
    if (has_age) rule.max_age_seconds = age;
  }
  *rules = std::move(result);
  return S3Error::None();
}

const CorsRule* MatchCors(const std::vector<CorsRule>& rules, std::string_view origin,
                          std::string_view method,
                          const std::vector<std::string>& request_headers) {
  for (const CorsRule& rule : rules) {
    bool origin_ok = false, method_ok = false;
    for (const std::string& o : rule.allowed_origins) origin_ok |= WildcardMatch(o, origin, false);
    for (const std::string& m : rule.allowed_methods) method_ok |= m == method;
    if (!origin_ok || !method_ok) continue;
    bool headers_ok = true;
    for (const std::string& h : request_headers) {
      std::string_view name = TrimSpace(h);
      if (name.empty()) continue;  // "a, ,b" as split by the caller
      bool found = false;
      for (const std::string& a : rule.allowed_headers) found |= WildcardMatch(a, name, true);
      if (!found) {
        headers_ok = false;
        break;
      }
    }
    if (headers_ok) return &rule;
  }
  return nullptr;
}

S3Error ParseLifecycleConfiguration(std::string_view body, std::vector<LifecycleRule>* rules) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(LoadRoot(body, "LifecycleConfiguration", &doc, &root));
  std::vector<pugi::xml_node> nodes = Children(root, "Rule");
  if (nodes.empty()) return Malformed("<LifecycleConfiguration> must hold at least one <Rule>");
  if (nodes.size() > 1000)
    return Malformed("<LifecycleConfiguration> may hold at most 1000 <Rule>s");
  std::vector<LifecycleRule> result(nodes.size());
  std::set<std::string_view> ids;
  for (size_t i = 0; i < nodes.size(); ++i) {
    S3_RETURN_IF_ERROR(ParseLifecycleRule(nodes[i], &result[i]));
    if (!result[i].id.empty() && !ids.insert(result[i].id).second)
      return MakeError(400, "InvalidArgument",
                       "Rule ID must be unique. Found same ID for more than one rule");
  }
  *rules = std::move(result);
  return S3Error::None();
}

S3Error ParseCreateBucketConfiguration(std::string_view body, std::string* location_constraint) {
  if (body.size() <= kMaxXmlBody && TrimSpace(body).empty()) {
    location_constraint->clear();
    return S3Error::None();
  }
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(LoadRoot(body, "CreateBucketConfiguration", &doc, &root));
  std::string location;
  S3_RETURN_IF_ERROR(ChildText(root, "LocationConstraint", false, &location));
  *location_constraint = std::string(TrimSpace(location));
  return S3Error::None();
}

}  // namespace ccow::s3
