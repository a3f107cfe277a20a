#include "gateway/s3/s3_addressing.h"

namespace ccow::s3 {

namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool HostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// The host name of a Host header value: lower case, without the port and a trailing dot.
// An IPv6 literal ("[::1]:9000") is returned as is; no domain matches it.
std::string HostName(std::string_view host) {
  std::string out;
  if (!host.empty() && host.front() == '[') return std::string(host);
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  out.reserve(host.size());
  for (char c : host) out += Lower(c);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

Result<std::vector<std::string>> NormalizeDomains(const std::vector<std::string>& domains) {
  std::vector<std::string> out;
  for (const auto& d : domains) {
    std::string name;
    for (char c : d) name += Lower(c);
    if (!name.empty() && name.back() == '.') name.pop_back();
    bool ok = !name.empty() && name.front() != '.' && name.find("..") == std::string::npos;
    for (char c : name) ok = ok && HostChar(c);
    if (!ok)
      return Status::InvalidArgument("--domain '" + d +
                                     "': expected a host name such as s3.example.com (no port, "
                                     "scheme or path)");
    out.push_back(std::move(name));
  }
  return out;
}

std::string BucketFromHost(std::string_view host, const std::vector<std::string>& domains) {
  if (domains.empty() || host.empty()) return {};
  std::string name = HostName(host);
  const std::string* best = nullptr;
  for (const auto& d : domains) {
    if (name == d) return {};  // a domain itself is path style, even inside another
    // BUCKET "." DOMAIN, with a bucket of at least one character.
    if (name.size() < d.size() + 2 || !name.ends_with(d) || name[name.size() - d.size() - 1] != '.')
      continue;
    if (best == nullptr || d.size() > best->size()) best = &d;
  }
  if (best == nullptr) return {};
  return name.substr(0, name.size() - best->size() - 1);
}

S3Address ResolveAddress(std::string_view path, std::string_view host,
                         const std::vector<std::string>& domains) {
  S3Address a;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  a.bucket = BucketFromHost(host, domains);
  if (!a.bucket.empty()) {
    a.virtual_host = true;
    a.key = std::string(path);
    return a;
  }
  size_t slash = path.find('/');
  a.bucket = std::string(path.substr(0, slash));
  if (slash != std::string_view::npos) a.key = std::string(path.substr(slash + 1));
  return a;
}

}  // namespace ccow::s3
