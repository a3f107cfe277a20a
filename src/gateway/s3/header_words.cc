#include "gateway/s3/header_words.h"

#include <strings.h>

#include <optional>

#include "gateway/s3/base64.h"

namespace ccow::s3 {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// One encoded word at the start of `in`: its decoded bytes and its length; nullopt when
// `in` does not start with a well-formed word in a charset we take.
std::optional<std::string> DecodeWord(std::string_view in, size_t* length) {
  if (!in.starts_with("=?")) return std::nullopt;
  size_t q1 = in.find('?', 2);
  if (q1 == std::string_view::npos || q1 + 2 >= in.size() || in[q1 + 2] != '?') return std::nullopt;
  std::string charset(in.substr(2, q1 - 2));
  size_t star = charset.find('*');  // RFC 2231 language tag
  if (star != std::string::npos) charset.resize(star);
  if (strcasecmp(charset.c_str(), "utf-8") != 0 && strcasecmp(charset.c_str(), "us-ascii") != 0) return std::nullopt;
  char encoding = in[q1 + 1];
  size_t text_at = q1 + 3;
  size_t end = in.find("?=", text_at);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view text = in.substr(text_at, end - text_at);
  if (text.find_first_of(" \t?") != std::string_view::npos) return std::nullopt;
  *length = end + 2;
  if (encoding == 'B' || encoding == 'b') return Base64Decode(text);
  if (encoding != 'Q' && encoding != 'q') return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=') {
      if (i + 2 >= text.size()) return std::nullopt;  // "=" takes two hex digits
      int hi = HexDigit(text[i + 1]), lo = HexDigit(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::string DecodeHeaderWords(std::string_view value) {
  if (value.find("=?") == std::string_view::npos) return std::string(value);
  std::string out;
  bool after_word = false;
  size_t i = 0;
  while (i < value.size()) {
    size_t length = 0;
    if (auto word = DecodeWord(value.substr(i), &length)) {
      out += *word;
      i += length;
      after_word = true;
      continue;
    }
    if (after_word && (value[i] == ' ' || value[i] == '\t')) {
      // Whitespace between two encoded words is not part of the text.
      size_t j = value.find_first_not_of(" \t", i);
      size_t next = 0;
      if (j != std::string_view::npos && DecodeWord(value.substr(j), &next)) {
        i = j;
        continue;
      }
    }
    out += value[i++];
    after_word = false;
  }
  return out;
}

std::string EncodeHeaderValue(std::string_view value) {
  bool plain = true;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u >= 0x7f) plain = false;
  }
  if (plain) return std::string(value);
  return "=?UTF-8?B?" + Base64Encode(value) + "?=";
}

}  // namespace ccow::s3
