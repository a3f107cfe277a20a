// The one parser of request-targets and query strings (DESIGN.md §2: one parser per wire
// format). Routing (HttpRequest::query), the SigV4 canonical query and the admin calls all
// read a target through ParseTarget, so the signature check and the router can never
// disagree about what the query says.
//
// Rules, those of S3 and its SDKs:
// - The target may be in absolute form ("http://host/path?q", sent through a proxy); only
//   its path and query count.
// - The query is split on '&'; empty pieces ("a=1&&b=2", a trailing '&') are skipped. A
//   piece splits at its first '='; "uploads" is the name "uploads" with an empty value and
//   has_value == false, "x=" has an empty value and has_value == true.
// - Order and duplicates are kept as received.
// - '%XX' is decoded (either case of hex digit). A malformed escape ("%zz", a '%' too near
//   the end) leaves that name or value as sent and clears `well_formed`.
// - '+' is NOT a space: S3 clients send a space as %20 and a plus as %2B, and a literal '+'
//   canonicalises to %2B as they sign it. Form encoding ('+' as space, the x-amz-tagging
//   header) is an explicit option.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccow::http {

struct QueryParam {
  std::string raw_name;   // as received, still percent-encoded
  std::string raw_value;
  std::string name;       // percent-decoded (as received when an escape is malformed)
  std::string value;
  bool has_value = false;   // the piece had an '='
  bool well_formed = true;  // every escape in name and value was valid
};

using QueryParams = std::vector<QueryParam>;

struct ParseOptions {
  bool plus_is_space = false;  // application/x-www-form-urlencoded ('+' -> ' ')
};

// Splits a raw query string (what follows '?', without it).
QueryParams ParseQuery(std::string_view raw_query, ParseOptions options = {});

struct ParsedTarget {
  std::string raw_path;   // as received ("/" when an absolute-form target has no path)
  std::string path;       // percent-decoded (as received when malformed)
  std::string raw_query;  // after the first '?', without it; empty when there is none
  QueryParams query;
  bool path_well_formed = true;

  // True when no escape in the path or the query is malformed.
  bool well_formed() const;
  // The decoded value of the first parameter with this (decoded, case-sensitive) name.
  const std::string* Find(std::string_view name) const;
};

ParsedTarget ParseTarget(std::string_view target);

// Percent-decoding; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view in, ParseOptions options = {});
// S3's (RFC 3986) encoding: every byte except A-Za-z0-9-_.~ as %XX in upper case; '/' is
// kept when encode_slash is false.
std::string PercentEncode(std::string_view in, bool encode_slash);

}  // namespace ccow::http
