// S3 access control lists: who may do what to a bucket or an object, as AWS models it.
//
// Accounts are tenants: a tenant's name is both its canonical id and its display name, so
// a grant to "acme" is a grant to every key pair of tenant acme. Grantees are accounts or
// one of S3's groups (AllUsers: everyone, anonymous included; AuthenticatedUsers: any
// signed request; LogDelivery). ccow accounts have no e-mail addresses: a grant by e-mail
// is UnresolvableGrantByEmailAddress, as AWS answers for an unknown address (AWS itself
// stopped accepting e-mail grantees in 2025).
//
// The ACL of a bucket lives in its access document (s3_bucket_access.h); an object's in
// its version manifest's user metadata under kObjectAclKey, as compact JSON, so a new ACL
// is a new version sharing every chunk (versions are immutable). Pure functions; no
// threads, no I/O. Errors are S3Errors with AWS's codes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/s3/s3_error.h"

namespace ccow::s3 {

// The user-metadata key of an object's ACL (never shown as a header).
inline constexpr const char* kObjectAclKey = "x-ccow-acl";

// Permission bits; FULL_CONTROL is all four.
enum Permission : uint8_t {
  kPermRead = 1,
  kPermWrite = 2,
  kPermReadAcp = 4,
  kPermWriteAcp = 8,
  kPermFullControl = 15,
};

enum class GranteeKind : uint8_t { kAccount, kAllUsers, kAuthenticatedUsers, kLogDelivery };

struct Grant {
  GranteeKind kind = GranteeKind::kAccount;
  std::string account;  // kAccount only
  uint8_t permission = 0;
  friend bool operator==(const Grant&, const Grant&) = default;
};

// Who is asking: an account, or nobody (an anonymous request).
struct Requester {
  std::string account;  // "" = anonymous
  bool anonymous() const { return account.empty(); }
};

struct AccessControlList {
  std::string owner;  // an account; owners may always read and write the ACL itself
  std::vector<Grant> grants;

  // The permissions the grants give `who` (owner rights are the authorizer's business).
  uint8_t PermissionsOf(const Requester& who) const;
  // Grants anything to AllUsers or AuthenticatedUsers (the "public" of PublicAccessBlock).
  bool IsPublic() const;
  friend bool operator==(const AccessControlList&, const AccessControlList&) = default;
};

// An ACL of one grant: the owner's FULL_CONTROL.
AccessControlList PrivateAcl(std::string owner);

// A canned ACL (x-amz-acl): private, public-read, public-read-write, authenticated-read,
// aws-exec-read (as private: ccow has no EC2), bucket-owner-read,
// bucket-owner-full-control, log-delivery-write. The bucket-owner-* ACLs name
// bucket_owner; on a bucket they are private. Unknown names are InvalidArgument.
S3Error CannedAcl(std::string_view name, const std::string& owner, const std::string& bucket_owner,
                  AccessControlList* out);

// True when the account exists (a grant to an unknown id is InvalidArgument, as in AWS).
using AccountExists = std::function<bool(std::string_view account)>;

// The ACL a request asks for in its headers: x-amz-acl, or x-amz-grant-read, -write,
// -read-acp, -write-acp, -full-control ('id="acct", uri="http://acs...", ...'). Both kinds
// at once is InvalidRequest. *out stays empty when the request names no ACL.
S3Error AclFromHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& owner, const std::string& bucket_owner,
                       const AccountExists& exists, std::optional<AccessControlList>* out);

// GetBucketAcl / GetObjectAcl's AccessControlPolicy document.
std::string AclXml(const AccessControlList& acl);
// A PutBucketAcl / PutObjectAcl body. The Owner, when given, must be the current owner
// (AccessDenied otherwise: an ACL cannot change owners); at most 100 grants.
S3Error ParseAclXml(std::string_view body, const std::string& current_owner,
                    const AccountExists& exists, AccessControlList* out);

// The stored form: compact JSON. Decoding a damaged document fails (the caller treats
// the resource as private to its owner rather than guessing).
std::string EncodeAcl(const AccessControlList& acl);
std::optional<AccessControlList> DecodeAcl(std::string_view json);

}  // namespace ccow::s3
