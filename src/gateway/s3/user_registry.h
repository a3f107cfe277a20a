// S3 key pairs. The pair given to `ccow server` / `ccow gateway s3` (or the documented
// default) is this gateway's own, held in memory; every other pair is a user of the
// registry of record (cluster/registry.h), made by `ccow user create TENANT` on any node,
// so a key deleted anywhere stops authenticating on every gateway as soon as the change
// reaches it (by push, well within a second).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/registry.h"
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

// A new random key pair for a tenant of a segment (20-character access key, 40-character
// secret, as AWS makes them), ready to be proposed as command::CreateUser.
UserRecord NewUserRecord(const std::string& segment, const std::string& tenant);

class UserRegistry {
 public:
  UserRegistry(Registry& registry, std::string segment) : registry_(registry), segment_(std::move(segment)) {}

  void AddStatic(const Credentials& creds);
  std::optional<Credentials> Lookup(std::string_view access_key);
  std::vector<Credentials> List();

 private:
  Registry& registry_;
  std::string segment_;
  std::mutex mu_;  // static_
  std::map<std::string, Credentials, std::less<>> static_;
};

}  // namespace ccow::s3
