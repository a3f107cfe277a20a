// S3 key pairs. The pair given to `ccow server` (or the documented default) is held in
// memory; pairs made by `ccow user create TENANT` are stored as small JSON objects under
// SEGMENT/.system/users/ACCESS_KEY, so they survive restarts and, later, replicate. Secrets
// are stored as given: SigV4 needs the secret itself to check a signature.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/object_api.h"
#include "gateway/s3/sigv4.h"

namespace ccow::s3 {

// Documented in README and OPERATIONS.md; printed by `ccow server` when no keys are given.
inline constexpr const char* kDefaultAccessKey = "ccow-admin";
inline constexpr const char* kDefaultSecretKey = "ccow-admin-secret";
inline constexpr const char* kDefaultSegment = "ccow";
inline constexpr const char* kDefaultTenant = "default";

// Tenant names: 1..64 of [A-Za-z0-9_-], not starting with '.', so they never collide
// with the system namespace.
Status ValidateTenantName(const std::string& tenant);

class UserRegistry {
 public:
  UserRegistry(ObjectApi& api, std::string segment) : api_(api), segment_(std::move(segment)) {}

  void AddStatic(const Credentials& creds);
  std::optional<Credentials> Lookup(std::string_view access_key);
  // Makes a new random pair for the tenant and stores it.
  Result<Credentials> Create(const std::string& tenant);
  Result<std::vector<Credentials>> List();
  Status Delete(const std::string& access_key);

 private:
  std::string RecordName(std::string_view access_key) const {
    return segment_ + "/.system/users/" + std::string(access_key);
  }

  ObjectApi& api_;
  std::string segment_;
  std::mutex mu_;
  std::map<std::string, Credentials, std::less<>> static_;
  std::map<std::string, Credentials, std::less<>> cache_;
};

}  // namespace ccow::s3
