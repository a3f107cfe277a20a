#include "gateway/s3/s3_bucket_access.h"

#include <nlohmann/json.hpp>

#include "gateway/s3/s3_xml.h"
#include "gateway/s3/xml_reader.h"

namespace ccow::s3 {
namespace {

constexpr std::pair<ObjectOwnership, const char*> kOwnershipNames[] = {
    {ObjectOwnership::kObjectWriter, "ObjectWriter"},
    {ObjectOwnership::kBucketOwnerPreferred, "BucketOwnerPreferred"},
    {ObjectOwnership::kBucketOwnerEnforced, "BucketOwnerEnforced"},
};

}  // namespace

const char* ObjectOwnershipName(ObjectOwnership o) {
  for (const auto& [v, name] : kOwnershipNames)
    if (v == o) return name;
  return "ObjectWriter";
}

std::optional<ObjectOwnership> ParseObjectOwnershipName(std::string_view name) {
  for (const auto& [v, n] : kOwnershipNames)
    if (name == n) return v;
  return std::nullopt;
}

std::string EncodeBucketAccess(const BucketAccess& a) {
  nlohmann::json j;
  j["acl"] = nlohmann::json::parse(EncodeAcl(a.acl));
  if (!a.policy.empty()) j["policy"] = a.policy;
  if (a.public_access_block) {
    const PublicAccessBlock& p = *a.public_access_block;
    j["pab"] = {p.block_public_acls, p.ignore_public_acls, p.block_public_policy, p.restrict_public_buckets};
  }
  if (a.ownership_set) j["ownership"] = ObjectOwnershipName(a.ownership);
  return j.dump();
}

BucketAccess DecodeBucketAccess(std::string_view text, const std::string& owner) {
  BucketAccess a;
  a.acl = PrivateAcl(owner);
  if (text.empty()) return a;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return a;
  BucketAccess out;
  auto acl = j.contains("acl") ? DecodeAcl(j["acl"].dump()) : std::nullopt;
  if (!acl) return a;
  out.acl = std::move(*acl);
  if (j.contains("policy")) {
    if (!j["policy"].is_string()) return a;
    out.policy = j["policy"].get<std::string>();
  }
  if (j.contains("pab")) {
    const auto& p = j["pab"];
    if (!p.is_array() || p.size() != 4) return a;
    for (const auto& b : p)
      if (!b.is_boolean()) return a;
    out.public_access_block = PublicAccessBlock{p[0].get<bool>(), p[1].get<bool>(), p[2].get<bool>(), p[3].get<bool>()};
  }
  if (j.contains("ownership")) {
    auto o = j["ownership"].is_string() ? ParseObjectOwnershipName(j["ownership"].get<std::string>()) : std::nullopt;
    if (!o) return a;
    out.ownership = *o;
    out.ownership_set = true;
  }
  return out;
}

std::string PublicAccessBlockXml(const PublicAccessBlock& p) {
  XmlWriter w;
  w.Open("PublicAccessBlockConfiguration", true);
  w.Element("BlockPublicAcls", p.block_public_acls ? "true" : "false");
  w.Element("IgnorePublicAcls", p.ignore_public_acls ? "true" : "false");
  w.Element("BlockPublicPolicy", p.block_public_policy ? "true" : "false");
  w.Element("RestrictPublicBuckets", p.restrict_public_buckets ? "true" : "false");
  return w.Finish();
}

S3Error ParsePublicAccessBlock(std::string_view body, PublicAccessBlock* out) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(xml::LoadRoot(body, "PublicAccessBlockConfiguration", &doc, &root));
  PublicAccessBlock p;
  bool present = false;
  S3_RETURN_IF_ERROR(xml::ChildBool(root, "BlockPublicAcls", &p.block_public_acls, &present));
  S3_RETURN_IF_ERROR(xml::ChildBool(root, "IgnorePublicAcls", &p.ignore_public_acls, &present));
  S3_RETURN_IF_ERROR(xml::ChildBool(root, "BlockPublicPolicy", &p.block_public_policy, &present));
  S3_RETURN_IF_ERROR(xml::ChildBool(root, "RestrictPublicBuckets", &p.restrict_public_buckets, &present));
  *out = p;
  return S3Error::None();
}

std::string OwnershipControlsXml(ObjectOwnership o) {
  XmlWriter w;
  w.Open("OwnershipControls", true);
  w.Open("Rule");
  w.Element("ObjectOwnership", ObjectOwnershipName(o));
  return w.Finish();
}

S3Error ParseOwnershipControls(std::string_view body, ObjectOwnership* out) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(xml::LoadRoot(body, "OwnershipControls", &doc, &root));
  std::vector<pugi::xml_node> rules = xml::Children(root, "Rule");
  if (rules.size() != 1) return xml::Malformed("<OwnershipControls> needs exactly one <Rule>");
  std::string name;
  S3_RETURN_IF_ERROR(xml::ChildText(rules[0], "ObjectOwnership", true, &name));
  auto o = ParseObjectOwnershipName(xml::TrimSpace(name));
  if (!o) return xml::Malformed("unknown ObjectOwnership '" + name + "'");
  *out = *o;
  return S3Error::None();
}

}  // namespace ccow::s3
