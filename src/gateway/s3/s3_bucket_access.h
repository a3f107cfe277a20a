// A bucket's access settings, kept together in its registry record (BucketRecord::access,
// an opaque string to the registry): owner and ACL, bucket policy, PublicAccessBlock and
// Object Ownership. One document, so one registry update changes them consistently and
// every gateway sees them at once. Pure functions; no threads, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/s3/s3_acl.h"

namespace ccow::s3 {

struct PublicAccessBlock {
  bool block_public_acls = false;       // refuse requests that set a public ACL
  bool ignore_public_acls = false;      // public grants give nothing
  bool block_public_policy = false;     // refuse a public bucket policy
  bool restrict_public_buckets = false; // a public policy serves only the owner account
  friend bool operator==(const PublicAccessBlock&, const PublicAccessBlock&) = default;
};

// Object Ownership: who owns a new object, and whether ACLs count at all.
//   kObjectWriter          the writer owns what it writes (ccow's default, AWS's before 2023)
//   kBucketOwnerPreferred  the bucket owner, when the writer sends bucket-owner-full-control
//   kBucketOwnerEnforced   the bucket owner always; ACLs are disabled (AWS's default now)
enum class ObjectOwnership { kObjectWriter, kBucketOwnerPreferred, kBucketOwnerEnforced };
const char* ObjectOwnershipName(ObjectOwnership o);
std::optional<ObjectOwnership> ParseObjectOwnershipName(std::string_view name);

struct BucketAccess {
  AccessControlList acl;  // acl.owner is the bucket's owner
  std::string policy;     // the policy document as given (validated when put); "" = none
  std::optional<PublicAccessBlock> public_access_block;
  ObjectOwnership ownership = ObjectOwnership::kObjectWriter;
  bool ownership_set = false;  // GetBucketOwnershipControls answers 404 until it is set
};

// The stored document. An empty document (a bucket made before access control, or by
// `ccow bucket create`) is the defaults: private to owner. A damaged one decodes as the
// defaults too (never as public).
std::string EncodeBucketAccess(const BucketAccess& access);
BucketAccess DecodeBucketAccess(std::string_view text, const std::string& owner);

// <PublicAccessBlockConfiguration> documents; absent elements are false.
std::string PublicAccessBlockXml(const PublicAccessBlock& pab);
S3Error ParsePublicAccessBlock(std::string_view body, PublicAccessBlock* out);
// <OwnershipControls><Rule><ObjectOwnership>..</ObjectOwnership></Rule></OwnershipControls>
std::string OwnershipControlsXml(ObjectOwnership o);
S3Error ParseOwnershipControls(std::string_view body, ObjectOwnership* out);

}  // namespace ccow::s3
