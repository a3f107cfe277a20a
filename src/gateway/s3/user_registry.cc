#include "gateway/s3/user_registry.h"

#include <openssl/rand.h>

#include <cctype>

#include "client/object_api.h"

namespace ccow::s3 {
namespace {

std::string RandomString(size_t n, std::string_view alphabet) {
  std::string out(n, '\0');
  std::vector<unsigned char> raw(n);
  RAND_bytes(raw.data(), static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) out[i] = alphabet[raw[i] % alphabet.size()];
  return out;
}

}  // namespace

Status ValidateTenantName(const std::string& tenant) {
  if (tenant.empty() || tenant.size() > 64)
    return Status::InvalidArgument("tenant name must be 1 to 64 characters");
  for (char c : tenant)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
      return Status::InvalidArgument("tenant name '" + tenant +
                                     "' may contain only letters, digits, '_' and '-'");
  return Status::OK();
}

UserRecord NewUserRecord(const std::string& segment, const std::string& tenant) {
  UserRecord u;
  u.access_key = RandomString(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  u.secret_key = RandomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  u.segment = segment;
  u.tenant = tenant;
  u.created_ns = NowNs();
  return u;
}

void UserRegistry::AddStatic(const Credentials& creds) {
  std::lock_guard lock(mu_);
  static_[creds.access_key] = creds;
}

std::optional<Credentials> UserRegistry::Lookup(std::string_view access_key) {
  {
    std::lock_guard lock(mu_);
    if (auto it = static_.find(access_key); it != static_.end()) return it->second;
  }
  auto state = registry_.current();
  const UserRecord* u = state->FindUser(access_key);
  // A key of another segment reaches nothing here.
  if (!u || u->segment != segment_) return std::nullopt;
  return Credentials{u->access_key, u->secret_key, u->tenant};
}

std::vector<Credentials> UserRegistry::List() {
  std::vector<Credentials> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, c] : static_) out.push_back(c);
  }
  auto state = registry_.current();
  for (const auto& [key, u] : state->users())
    if (u.segment == segment_) out.push_back({u.access_key, u.secret_key, u.tenant});
  return out;
}

}  // namespace ccow::s3
