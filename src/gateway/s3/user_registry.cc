#include "gateway/s3/user_registry.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

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

void UserRegistry::AddStatic(const Credentials& creds) {
  std::lock_guard lock(mu_);
  static_[creds.access_key] = creds;
}

std::optional<Credentials> UserRegistry::Lookup(std::string_view access_key) {
  {
    std::lock_guard lock(mu_);
    if (auto it = static_.find(access_key); it != static_.end()) return it->second;
    if (auto it = cache_.find(access_key); it != cache_.end()) return it->second;
  }
  if (access_key.empty() || access_key.size() > 128 ||
      access_key.find('/') != std::string_view::npos)
    return std::nullopt;
  StringSink sink;
  if (!api_.Get(RecordName(access_key), {}, std::nullopt, sink).ok()) return std::nullopt;
  auto j = nlohmann::json::parse(sink.data(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Credentials c{j.value("access_key", ""), j.value("secret_key", ""), j.value("tenant", "")};
  if (c.access_key != access_key) return std::nullopt;
  std::lock_guard lock(mu_);
  cache_[c.access_key] = c;
  return c;
}

Result<Credentials> UserRegistry::Create(const std::string& tenant) {
  CCOW_RETURN_IF_ERROR(ValidateTenantName(tenant));
  Credentials c;
  c.access_key = RandomString(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  c.secret_key = RandomString(
      40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  c.tenant = tenant;
  nlohmann::json j{{"access_key", c.access_key}, {"secret_key", c.secret_key}, {"tenant", tenant}};
  std::string body = j.dump();
  StringSource src(body);
  PutOptions opts;
  opts.content_type = "application/json";
  opts.replace_previous = true;
  CCOW_RETURN_IF_ERROR(api_.Put(RecordName(c.access_key), src, opts).status());
  std::lock_guard lock(mu_);
  cache_[c.access_key] = c;
  return c;
}

Result<std::vector<Credentials>> UserRegistry::List() {
  std::vector<Credentials> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, c] : static_) out.push_back(c);
  }
  ListOptions opts;
  opts.prefix = segment_ + "/.system/users/";
  for (;;) {
    CCOW_ASSIGN_OR_RETURN(ListResult page, api_.List(opts));
    for (const auto& name : page.names)
      if (auto c = Lookup(name.substr(opts.prefix.size()))) out.push_back(*c);
    if (!page.truncated) break;
    opts.start_after = page.next_start_after;
  }
  return out;
}

Status UserRegistry::Delete(const std::string& access_key) {
  {
    std::lock_guard lock(mu_);
    if (static_.count(access_key))
      return Status::InvalidArgument("the server's own key pair cannot be deleted");
    cache_.erase(access_key);
  }
  return api_.Delete(RecordName(access_key), std::nullopt);
}

}  // namespace ccow::s3
