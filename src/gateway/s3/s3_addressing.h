// How an S3 request names its bucket and key. Path style: /BUCKET/KEY, whatever the Host.
// Virtual-hosted style: Host BUCKET.DOMAIN[:port] for one of the domains the gateway is
// told it serves (`--domain`), the whole path then being the key. A Host equal to a domain,
// an IP address or any other name is path style, so one gateway serves both styles.
// Pure functions of their arguments; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ccow::s3 {

struct S3Address {
  std::string bucket;         // empty: the service (ListBuckets)
  std::string key;            // empty: the bucket itself
  bool virtual_host = false;  // the bucket came from the Host header
};

// The domains as the gateway matches them: lower case, no trailing dot. InvalidArgument
// for an empty name, a port, a scheme or a path, or characters no host name has ("a
// domain is a host name such as s3.example.com").
Result<std::vector<std::string>> NormalizeDomains(const std::vector<std::string>& domains);

// The bucket a Host header value names for one of `domains` (normalized), or "" when it
// names none (path style): a domain itself, an IP address, another name. The longest
// matching domain wins, so with s3.example.com and example.com served, b.s3.example.com
// is bucket "b" and s3.example.com is path style. Bucket names may hold dots.
std::string BucketFromHost(std::string_view host, const std::vector<std::string>& domains);

// Bucket and key of a request: decoded_path is the percent-decoded path (starting with
// '/'), host the Host header value (empty if none).
S3Address ResolveAddress(std::string_view decoded_path, std::string_view host,
                         const std::vector<std::string>& domains);

}  // namespace ccow::s3
