#include "http/query_string.h"

namespace ccow::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `raw` into *out, or copies it as received when an escape is malformed.
bool DecodeOrKeep(std::string_view raw, ParseOptions options, std::string* out) {
  auto decoded = PercentDecode(raw, options);
  if (decoded) {
    *out = std::move(*decoded);
    return true;
  }
  out->assign(raw);
  return false;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view in, ParseOptions options) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+' && options.plus_is_space) {
      out += ' ';
      continue;
    }
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string PercentEncode(std::string_view in, bool encode_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() * 3 / 2);
  for (char ch : in) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out += ch;
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

QueryParams ParseQuery(std::string_view query, ParseOptions options) {
  QueryParams out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;  // "a=1&&b=2": S3 and the SDKs skip empty pieces
    size_t eq = piece.find('=');
    QueryParam p;
    p.raw_name = std::string(piece.substr(0, eq));
    p.has_value = eq != std::string_view::npos;
    if (p.has_value) p.raw_value = std::string(piece.substr(eq + 1));
    bool n_ok = DecodeOrKeep(p.raw_name, options, &p.name);
    bool v_ok = DecodeOrKeep(p.raw_value, options, &p.value);
    p.well_formed = n_ok && v_ok;
    out.push_back(std::move(p));
  }
  return out;
}

ParsedTarget ParseTarget(std::string_view target) {
  // Absolute form ("http://host/path"), which a client talking through a proxy sends.
  if (target.starts_with("http://") || target.starts_with("https://")) {
    size_t authority = target.find("//") + 2;
    size_t end = target.find_first_of("/?", authority);
    if (end == std::string_view::npos) {
      target = "/";
    } else if (target[end] == '?') {
      // "http://host?x": the path is "/" and the query follows.
      ParsedTarget t = ParseTarget(target.substr(end));
      t.raw_path = "/";
      t.path = "/";
      return t;
    } else {
      target = target.substr(end);
    }
  }
  ParsedTarget t;
  size_t q = target.find('?');
  t.raw_path = std::string(target.substr(0, q));
  t.path_well_formed = DecodeOrKeep(t.raw_path, {}, &t.path);
  if (q != std::string_view::npos) {
    t.raw_query = std::string(target.substr(q + 1));
    t.query = ParseQuery(t.raw_query);
  }
  return t;
}

bool ParsedTarget::well_formed() const {
  if (!path_well_formed) return false;
  for (const auto& p : query)
    if (!p.well_formed) return false;
  return true;
}

const std::string* ParsedTarget::Find(std::string_view name) const {
  for (const auto& p : query)
    if (p.name == name) return &p.value;
  return nullptr;
}

}  // namespace ccow::http
