#include "gateway/s3/s3_acl.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "gateway/s3/s3_xml.h"
#include "gateway/s3/xml_reader.h"

namespace ccow::s3 {
namespace {

constexpr size_t kMaxGrants = 100;  // AWS's limit per ACL

struct GroupName {
  GranteeKind kind;
  const char* uri;
  const char* stored;  // the stored form's name
};
constexpr GroupName kGroups[] = {
    {GranteeKind::kAllUsers, "http://acs.amazonaws.com/groups/global/AllUsers", "AllUsers"},
    {GranteeKind::kAuthenticatedUsers, "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
     "AuthenticatedUsers"},
    {GranteeKind::kLogDelivery, "http://acs.amazonaws.com/groups/s3/LogDelivery", "LogDelivery"},
};

const GroupName* GroupOf(GranteeKind kind) {
  for (const auto& g : kGroups)
    if (g.kind == kind) return &g;
  return nullptr;
}

// The permission names of S3's documents and headers. FULL_CONTROL is written as one
// grant, never as its four bits.
struct PermissionName {
  uint8_t bits;
  const char* name;
};
constexpr PermissionName kPermissions[] = {{kPermFullControl, "FULL_CONTROL"},
                                           {kPermRead, "READ"},
                                           {kPermWrite, "WRITE"},
                                           {kPermReadAcp, "READ_ACP"},
                                           {kPermWriteAcp, "WRITE_ACP"}};

std::optional<uint8_t> PermissionFromName(std::string_view name) {
  for (const auto& p : kPermissions)
    if (name == p.name) return p.bits;
  return std::nullopt;
}

const char* PermissionToName(uint8_t bits) {
  for (const auto& p : kPermissions)
    if (bits == p.bits) return p.name;
  return nullptr;
}

S3Error InvalidGrantee(const std::string& what) {
  return MakeError(400, "InvalidArgument", "Invalid id: " + what);
}

S3Error UnresolvableEmail(const std::string& email) {
  return MakeError(400, "UnresolvableGrantByEmailAddress",
                   "The e-mail address you provided does not match any account on record (" + email +
                       "): ccow accounts have no e-mail addresses; grant by id=\"TENANT\"");
}

// One grantee as a header names it: id="...", uri="..." or emailAddress="...".
S3Error GranteeFromHeader(std::string_view item, const AccountExists& exists, Grant* out) {
  size_t eq = item.find('=');
  if (eq == std::string_view::npos)
    return MakeError(400, "InvalidArgument", "Grant header item without '=': " + std::string(item));
  std::string type(xml::TrimSpace(item.substr(0, eq)));
  std::string value(xml::TrimSpace(item.substr(eq + 1)));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  if (type == "id") {
    if (!exists(value)) return InvalidGrantee(value);
    out->kind = GranteeKind::kAccount;
    out->account = value;
    return S3Error::None();
  }
  if (type == "uri") {
    for (const auto& g : kGroups)
      if (value == g.uri) {
        out->kind = g.kind;
        return S3Error::None();
      }
    return MakeError(400, "InvalidArgument", "Invalid group uri: " + value);
  }
  if (type == "emailaddress") return UnresolvableEmail(value);
  return MakeError(400, "InvalidArgument", "Unknown grantee type '" + type + "' in a grant header");
}

// Adds a grant, merging bits with an existing grant to the same grantee.
void AddGrant(AccessControlList* acl, Grant g) {
  for (auto& existing : acl->grants)
    if (existing.kind == g.kind && existing.account == g.account && existing.permission == g.permission) return;
  acl->grants.push_back(std::move(g));
}

bool AttributeIs(pugi::xml_node node, std::string_view local, std::string* value) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    std::string_view name = a.name();
    size_t colon = name.find(':');
    if ((colon == std::string_view::npos ? name : name.substr(colon + 1)) == local) {
      *value = a.value();
      return true;
    }
  }
  return false;
}

S3Error MalformedAcl(const std::string& why) {
  return MakeError(400, "MalformedACLError",
                   "The XML you provided was not well-formed or did not validate against our published schema: " +
                       why);
}

S3Error ParseGrant(pugi::xml_node node, const AccountExists& exists, Grant* out) {
  pugi::xml_node grantee;
  S3_RETURN_IF_ERROR(xml::OnlyChild(node, "Grantee", &grantee));
  if (!grantee) return MalformedAcl("<Grant> is missing <Grantee>");
  std::string permission;
  S3_RETURN_IF_ERROR(xml::ChildText(node, "Permission", true, &permission));
  auto bits = PermissionFromName(std::string(xml::TrimSpace(permission)));
  if (!bits) return MalformedAcl("unknown permission '" + permission + "'");
  out->permission = *bits;
  std::string type, id, uri, email;
  bool has_id = false, has_uri = false, has_email = false;
  S3_RETURN_IF_ERROR(xml::ChildText(grantee, "ID", false, &id, &has_id));
  S3_RETURN_IF_ERROR(xml::ChildText(grantee, "URI", false, &uri, &has_uri));
  S3_RETURN_IF_ERROR(xml::ChildText(grantee, "EmailAddress", false, &email, &has_email));
  if (!AttributeIs(grantee, "type", &type))
    type = has_id ? "CanonicalUser" : has_uri ? "Group" : has_email ? "AmazonCustomerByEmail" : "";
  if (type == "CanonicalUser" && has_id) {
    std::string account(xml::TrimSpace(id));
    if (!exists(account)) return InvalidGrantee(account);
    out->kind = GranteeKind::kAccount;
    out->account = account;
    return S3Error::None();
  }
  if (type == "Group" && has_uri) {
    std::string u(xml::TrimSpace(uri));
    for (const auto& g : kGroups)
      if (u == g.uri) {
        out->kind = g.kind;
        return S3Error::None();
      }
    return MakeError(400, "InvalidArgument", "Invalid group uri: " + u);
  }
  if (type == "AmazonCustomerByEmail" && has_email) return UnresolvableEmail(std::string(xml::TrimSpace(email)));
  return MalformedAcl("a <Grantee> of type '" + type + "' needs its <ID>, <URI> or <EmailAddress>");
}

}  // namespace

uint8_t AccessControlList::PermissionsOf(const Requester& who) const {
  uint8_t bits = 0;
  for (const auto& g : grants) {
    bool applies = g.kind == GranteeKind::kAllUsers ||
                   (g.kind == GranteeKind::kAuthenticatedUsers && !who.anonymous()) ||
                   (g.kind == GranteeKind::kAccount && !who.anonymous() && g.account == who.account);
    if (applies) bits |= g.permission;
  }
  return bits;
}

bool AccessControlList::IsPublic() const {
  return std::any_of(grants.begin(), grants.end(), [](const Grant& g) {
    return g.kind == GranteeKind::kAllUsers || g.kind == GranteeKind::kAuthenticatedUsers;
  });
}

AccessControlList PrivateAcl(std::string owner) {
  AccessControlList acl;
  acl.grants.push_back({GranteeKind::kAccount, owner, kPermFullControl});
  acl.owner = std::move(owner);
  return acl;
}

S3Error CannedAcl(std::string_view name, const std::string& owner, const std::string& bucket_owner,
                  AccessControlList* out) {
  *out = PrivateAcl(owner);
  auto group = [&](GranteeKind kind, uint8_t bits) { out->grants.push_back({kind, "", bits}); };
  if (name == "private" || name == "aws-exec-read") return S3Error::None();
  if (name == "public-read") {
    group(GranteeKind::kAllUsers, kPermRead);
  } else if (name == "public-read-write") {
    group(GranteeKind::kAllUsers, kPermRead);
    group(GranteeKind::kAllUsers, kPermWrite);
  } else if (name == "authenticated-read") {
    group(GranteeKind::kAuthenticatedUsers, kPermRead);
  } else if (name == "log-delivery-write") {
    group(GranteeKind::kLogDelivery, kPermWrite);
    group(GranteeKind::kLogDelivery, kPermReadAcp);
  } else if (name == "bucket-owner-read" || name == "bucket-owner-full-control") {
    if (bucket_owner != owner)
      out->grants.push_back({GranteeKind::kAccount, bucket_owner,
                             name == "bucket-owner-read" ? uint8_t{kPermRead} : uint8_t{kPermFullControl}});
  } else {
    return MakeError(400, "InvalidArgument", "Unknown canned ACL '" + std::string(name) + "'");
  }
  return S3Error::None();
}

S3Error AclFromHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& owner, const std::string& bucket_owner,
                       const AccountExists& exists, std::optional<AccessControlList>* out) {
  static const std::pair<const char*, uint8_t> kGrantHeaders[] = {
      {"x-amz-grant-read", kPermRead},          {"x-amz-grant-write", kPermWrite},
      {"x-amz-grant-read-acp", kPermReadAcp},   {"x-amz-grant-write-acp", kPermWriteAcp},
      {"x-amz-grant-full-control", kPermFullControl}};
  out->reset();
  const std::string* canned = nullptr;
  AccessControlList explicit_acl;
  explicit_acl.owner = owner;
  bool any_grant = false;
  for (const auto& [name, value] : headers) {
    if (name == "x-amz-acl") {
      if (canned) return MakeError(400, "InvalidArgument", "x-amz-acl is given more than once");
      canned = &value;
      continue;
    }
    for (const auto& [header, bits] : kGrantHeaders) {
      if (name != header) continue;
      any_grant = true;
      std::string_view rest = value;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = xml::TrimSpace(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (item.empty()) continue;
        Grant g;
        S3_RETURN_IF_ERROR(GranteeFromHeader(item, exists, &g));
        g.permission = bits;
        AddGrant(&explicit_acl, std::move(g));
      }
    }
  }
  if (canned && any_grant)
    return MakeError(400, "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed");
  if (canned) {
    AccessControlList acl;
    S3_RETURN_IF_ERROR(CannedAcl(*canned, owner, bucket_owner, &acl));
    *out = std::move(acl);
  } else if (any_grant) {
    if (explicit_acl.grants.size() > kMaxGrants)
      return MakeError(400, "MalformedACLError", "An ACL may hold at most 100 grants");
    *out = std::move(explicit_acl);
  }
  return S3Error::None();
}

std::string AclXml(const AccessControlList& acl) {
  std::string owner = XmlEscape(acl.owner);
  std::string x = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  x += "<AccessControlPolicy xmlns=\"" + std::string(kS3Namespace) + "\">";
  x += "<Owner><ID>" + owner + "</ID><DisplayName>" + owner + "</DisplayName></Owner>";
  x += "<AccessControlList>";
  for (const auto& g : acl.grants) {
    x += "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"";
    if (g.kind == GranteeKind::kAccount) {
      std::string id = XmlEscape(g.account);
      x += "CanonicalUser\"><ID>" + id + "</ID><DisplayName>" + id + "</DisplayName>";
    } else {
      x += "Group\"><URI>" + std::string(GroupOf(g.kind)->uri) + "</URI>";
    }
    x += "</Grantee><Permission>" + std::string(PermissionToName(g.permission)) + "</Permission></Grant>";
  }
  x += "</AccessControlList></AccessControlPolicy>";
  return x;
}

S3Error ParseAclXml(std::string_view body, const std::string& current_owner, const AccountExists& exists,
                    AccessControlList* out) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3Error e = xml::LoadRoot(body, "AccessControlPolicy", &doc, &root);
  if (!e.ok()) return MakeError(400, "MalformedACLError", e.message);
  pugi::xml_node owner, list;
  S3_RETURN_IF_ERROR(xml::OnlyChild(root, "Owner", &owner));
  S3_RETURN_IF_ERROR(xml::OnlyChild(root, "AccessControlList", &list));
  if (owner) {
    std::string id;
    S3_RETURN_IF_ERROR(xml::ChildText(owner, "ID", true, &id));
    if (std::string(xml::TrimSpace(id)) != current_owner)
      return MakeError(403, "AccessDenied", "An ACL cannot change the owner (" + current_owner + ")");
  }
  if (!list) return MalformedAcl("<AccessControlPolicy> is missing <AccessControlList>");
  AccessControlList acl;
  acl.owner = current_owner;
  for (pugi::xml_node node : xml::Children(list, "Grant")) {
    Grant g;
    S3_RETURN_IF_ERROR(ParseGrant(node, exists, &g));
    AddGrant(&acl, std::move(g));
    if (acl.grants.size() > kMaxGrants) return MalformedAcl("an ACL may hold at most 100 grants");
  }
  *out = std::move(acl);
  return S3Error::None();
}

std::string EncodeAcl(const AccessControlList& acl) {
  nlohmann::json grants = nlohmann::json::array();
  for (const auto& g : acl.grants) {
    std::string who = g.kind == GranteeKind::kAccount ? "a:" + g.account : std::string("g:") + GroupOf(g.kind)->stored;
    grants.push_back(nlohmann::json::array({who, g.permission}));
  }
  return nlohmann::json{{"owner", acl.owner}, {"grants", grants}}.dump();
}

std::optional<AccessControlList> DecodeAcl(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("owner") || !j["owner"].is_string() ||
      !j.contains("grants") || !j["grants"].is_array())
    return std::nullopt;
  AccessControlList acl;
  acl.owner = j["owner"].get<std::string>();
  for (const auto& item : j["grants"]) {
    if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_number_unsigned())
      return std::nullopt;
    std::string who = item[0].get<std::string>();
    uint64_t bits = item[1].get<uint64_t>();
    if (!PermissionToName(static_cast<uint8_t>(bits)) || bits > kPermFullControl) return std::nullopt;
    Grant g;
    g.permission = static_cast<uint8_t>(bits);
    if (who.starts_with("a:") && who.size() > 2) {
      g.account = who.substr(2);
    } else {
      const GroupName* found = nullptr;
      for (const auto& grp : kGroups)
        if (who == std::string("g:") + grp.stored) found = &grp;
      if (!found) return std::nullopt;
      g.kind = found->kind;
    }
    acl.grants.push_back(std::move(g));
  }
  return acl;
}

}  // namespace ccow::s3
