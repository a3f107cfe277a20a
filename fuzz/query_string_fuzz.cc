// Fuzz target for the one request-target and query parser (http/query_string.h), which the
// S3 router and the SigV4 canonical query both read. The input is a request-target. For
// any bytes:
// - the raw pieces re-join to exactly the query as sent, less its empty pieces;
// - each decoded name and value is PercentDecode of its raw form, or the raw form itself
//   with well_formed cleared when an escape is malformed;
// - re-encoding the decoded pairs and parsing again gives the same pairs (what SigV4
//   relies on when it canonicalises);
// - PercentDecode(PercentEncode(x)) == x.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "http/query_string.h"

namespace ccow::fuzz {

namespace {

[[noreturn]] void Fail(const char* why) {
  std::fprintf(stderr, "query_string: %s\n", why);
  std::abort();
}

std::string WithoutEmptyPieces(std::string_view query) {
  std::string out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    if (!out.empty()) out += '&';
    out += piece;
  }
  return out;
}

void CheckPiece(const std::string& raw, const std::string& decoded, bool* well_formed,
                http::ParseOptions options) {
  auto d = http::PercentDecode(raw, options);
  if (d) {
    if (*d != decoded) Fail("a decoded piece is not PercentDecode of its raw form");
  } else {
    if (decoded != raw) Fail("a malformed piece was not kept as sent");
    *well_formed = false;
  }
}

void CheckQuery(std::string_view raw_query, const http::QueryParams& params,
                http::ParseOptions options) {
  std::string joined;
  for (const auto& p : params) {
    if (!joined.empty()) joined += '&';
    joined += p.raw_name;
    if (p.has_value) joined += "=" + p.raw_value;
    else if (!p.raw_value.empty()) Fail("a value without '='");
    bool ok = true;
    CheckPiece(p.raw_name, p.name, &ok, options);
    CheckPiece(p.raw_value, p.value, &ok, options);
    if (ok != p.well_formed) Fail("well_formed disagrees with the escapes");
  }
  RequireSameBytes("query_string", WithoutEmptyPieces(raw_query), joined);

  // Canonical re-encoding (SigV4) parses back to the same decoded pairs.
  std::string canonical;
  for (const auto& p : params) {
    if (!canonical.empty()) canonical += '&';
    canonical += http::PercentEncode(p.name, true) + "=" + http::PercentEncode(p.value, true);
  }
  http::QueryParams again = http::ParseQuery(canonical);
  if (again.size() != params.size()) Fail("re-encoded query has another number of pairs");
  for (size_t i = 0; i < params.size(); ++i) {
    if (again[i].name != params[i].name || again[i].value != params[i].value ||
        !again[i].well_formed)
      Fail("re-encoded query parses to other pairs");
  }
}

}  // namespace

std::vector<std::string> Seeds() {
  return {
      "/",
      "/bucket?uploads",
      "/bucket/a%20key?uploadId=u1&partNumber=3",
      "/bucket?list-type=2&prefix=a%20b&delimiter=%2F&max-keys=10&&",
      "/b?x=a+b%2B&x=&=v&k%C3%BC=%e2%82%ac",
      "/b%zz/k?bad=%zz&ok=1&trail=%2",
      "http://example.com:9000/bucket/key?versionId=4",
      "https://example.com?list-type=2",
      "/admin/join?record=0a0b&name=t1",
      "/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Signature=00",
  };
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ccow;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  for (bool slash : {false, true}) {
    auto back = http::PercentDecode(http::PercentEncode(in, slash));
    if (!back || *back != in) fuzz::Fail("PercentDecode(PercentEncode(x)) is not x");
  }

  http::ParsedTarget t = http::ParseTarget(in);
  bool path_ok = true;
  fuzz::CheckPiece(t.raw_path, t.path, &path_ok, {});
  if (path_ok != t.path_well_formed) fuzz::Fail("path_well_formed disagrees with the escapes");
  if (t.raw_path.find('?') != std::string::npos) fuzz::Fail("a '?' in the path");
  fuzz::CheckQuery(t.raw_query, t.query, {});
  if (!in.starts_with("http://") && !in.starts_with("https://")) {
    // Origin form: path and query are the input, split at its first '?'.
    std::string back = t.raw_path;
    if (in.find('?') != std::string_view::npos) back += "?" + t.raw_query;
    fuzz::RequireSameBytes("query_string target", in, back);
  }

  // The same bytes as a form-encoded query ('+' as a space; x-amz-tagging).
  size_t q = in.find('?');
  std::string_view raw_query = q == std::string_view::npos ? in : in.substr(q + 1);
  fuzz::CheckQuery(raw_query, http::ParseQuery(raw_query, {.plus_is_space = true}),
                   {.plus_is_space = true});
  ++fuzz::decoded;
  return 0;
}
