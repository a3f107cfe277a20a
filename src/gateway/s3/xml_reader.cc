// The strict reader of S3's XML request bodies: see xml_reader.h.
#include "gateway/s3/xml_reader.h"

#include "gateway/s3/s3_xml.h"

#include <cctype>
#include <cstdio>
#include <limits>

namespace ccow::s3::xml {

S3Error Malformed(std::string_view reason) {
  return MakeError(400, "MalformedXML",
                   "The XML you provided was not well-formed or did not validate against our "
                   "published schema: " +
                       std::string(reason));
}

std::string Tag(std::string_view name) { return "<" + std::string(name) + ">"; }

// ---- Characters ----

// Decodes one UTF-8 sequence at s[*i], rejecting overlong forms, surrogates and values past
// U+10FFFF (the ranges of RFC 3629's table).
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  uint8_t b0 = static_cast<uint8_t>(s[*i]);
  size_t n = b0 < 0x80 ? 0 : b0 < 0xc2 ? 4 : b0 < 0xe0 ? 1 : b0 < 0xf0 ? 2 : b0 < 0xf5 ? 3 : 4;
  if (n == 4 || *i + n >= s.size()) return false;  // bad lead byte or truncated sequence
  // The second byte's range is what excludes overlong forms, surrogates and > U+10FFFF.
  uint8_t lo = b0 == 0xe0 ? 0xa0 : b0 == 0xf0 ? 0x90 : 0x80;
  uint8_t hi = b0 == 0xed ? 0x9f : b0 == 0xf4 ? 0x8f : 0xbf;
  uint32_t v = n == 0 ? b0 : b0 & (0x3f >> n);
  for (size_t k = 1; k <= n; ++k) {
    uint8_t b = static_cast<uint8_t>(s[*i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return false;
    v = (v << 6) | (b & 0x3f);
  }
  *cp = v;
  *i += n + 1;
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) return out->push_back(static_cast<char>(cp));
  int n = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;                           // continuation bytes
  out->push_back(static_cast<char>((0xff << (7 - n)) | (cp >> (6 * n))));  // lead byte
  for (int k = n - 1; k >= 0; --k)
    out->push_back(static_cast<char>(0x80 | ((cp >> (6 * k)) & 0x3f)));
}

bool IsUtf8(std::string_view s) {
  uint32_t cp = 0;
  for (size_t i = 0; i < s.size();)
    if (!NextCodePoint(s, &i, &cp)) return false;
  return true;
}

size_t CharCount(std::string_view utf8) {  // input already validated as UTF-8
  size_t n = 0;
  for (char c : utf8) n += (static_cast<uint8_t>(c) & 0xc0) != 0x80;
  return n;
}

// Raw text must be well-formed XML 1.0: valid UTF-8 and no C0 controls but tab, LF and CR.
// pugixml checks neither, and keys that are not UTF-8 could not be echoed back in a
// response document.
S3Error CheckBodyBytes(std::string_view body) {
  for (size_t i = 0; i < body.size();) {
    size_t at = i;
    uint32_t cp;
    if (!NextCodePoint(body, &i, &cp))
      return Malformed("invalid UTF-8 at byte " + std::to_string(at));
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe || cp == 0xffff) {
      char name[16];
      std::snprintf(name, sizeof(name), "U+%04X", static_cast<unsigned>(cp));
      return Malformed("character " + std::string(name) + " at byte " + std::to_string(at) +
                       " is not allowed in XML");
    }
  }
  return S3Error::None();
}

// Appends PCDATA (as written: pugixml runs with parse_escapes off) with its references
// resolved. Doing it here lets us refuse what pugixml would quietly accept: &#0; (which ends
// pugixml's C strings, so <Key>a&#0;b</Key> would name the key "a"), surrogates, undefined
// entities and a bare '&'. C0 controls are accepted as references, XML 1.1 style, because
// that is how XmlEscape writes them and how S3 returns such keys.
S3Error AppendDecoded(std::string_view raw, std::string* out) {
  size_t i = 0;
  while (i < raw.size()) {
    size_t amp = raw.find('&', i);
    if (amp == std::string_view::npos) {
      out->append(raw.substr(i));
      break;
    }
    out->append(raw.substr(i, amp - i));
    size_t semi = raw.find(';', amp);
    if (semi == std::string_view::npos) return Malformed("'&' that starts no reference");
    std::string_view ref = raw.substr(amp + 1, semi - amp - 1);
    std::string shown = "&" + std::string(ref.substr(0, 16)) + ";";
    char named = ref == "amp"    ? '&'
                 : ref == "lt"   ? '<'
                 : ref == "gt"   ? '>'
                 : ref == "quot" ? '"'
                 : ref == "apos" ? '\''
                                 : '\0';
    if (named != '\0') {
      out->push_back(named);
    } else if (ref.size() >= 2 && ref[0] == '#') {
      bool hex = ref[1] == 'x';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return Malformed("bad character reference " + shown);
      uint32_t cp = 0;
      for (char c : digits) {
        int d = c >= '0' && c <= '9'          ? c - '0'
                : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                              : -1;
        if (d < 0) return Malformed("bad character reference " + shown);
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
        if (cp > 0x10ffff) break;  // stops the overflow; rejected below
      }
      if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
          cp == 0xffff)
        return Malformed("character reference " + shown + " is not a legal XML character");
      AppendUtf8(cp, out);
    } else {
      return Malformed("undefined entity " + shown);
    }
    i = semi + 1;
  }
  return S3Error::None();
}

std::string_view TrimSpace(std::string_view s) {
  constexpr std::string_view kWs = " \t\r\n";
  size_t b = s.find_first_not_of(kWs);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kWs) - b + 1);
}

// ---- Elements ----

// S3 documents come with and without xmlns (and occasionally with a prefix), so elements
// are matched by local name alone.
std::string_view LocalName(pugi::xml_node node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::vector<pugi::xml_node> Children(pugi::xml_node parent, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && LocalName(c) == name) out.push_back(c);
  return out;
}

// The one child element called `name`: an empty node when absent, an error when repeated.
// Unknown children are ignored everywhere except lifecycle filters: clients add elements
// over time (boto3 now sends <ChecksumCRC32> in every <Part>), and refusing them would
// break those clients for no gain.
S3Error OnlyChild(pugi::xml_node parent, std::string_view name, pugi::xml_node* out) {
  *out = pugi::xml_node();
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element || LocalName(c) != name) continue;
    if (*out) return Malformed(Tag(LocalName(parent)) + " has more than one " + Tag(name));
    *out = c;
  }
  return S3Error::None();
}

// The element's text, references resolved; nested elements are an error.
S3Error TextOf(pugi::xml_node node, std::string* out) {
  out->clear();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    switch (c.type()) {
      case pugi::node_pcdata:
        S3_RETURN_IF_ERROR(AppendDecoded(c.value(), out));
        break;
      case pugi::node_cdata:
        out->append(c.value());
        break;
      case pugi::node_element:
        return Malformed(Tag(LocalName(node)) + " must hold text, not " + Tag(LocalName(c)));
      default:  // comments and processing instructions
        break;
    }
  }
  return S3Error::None();
}

// Text of the single child `name`; *present (when given) says whether it was there.
S3Error ChildText(pugi::xml_node parent, std::string_view name, bool required, std::string* out,
                  bool* present) {
  pugi::xml_node child;
  S3_RETURN_IF_ERROR(OnlyChild(parent, name, &child));
  if (present != nullptr) *present = static_cast<bool>(child);
  if (!child) {
    out->clear();
    if (required) return Malformed(Tag(LocalName(parent)) + " is missing " + Tag(name));
    return S3Error::None();
  }
  return TextOf(child, out);
}

// xsd:integer as S3 reads it: optional sign and surrounding whitespace.
S3Error ChildInt(pugi::xml_node parent, std::string_view name, bool required, int64_t* out,
                 bool* present) {
  std::string text;
  S3_RETURN_IF_ERROR(ChildText(parent, name, required, &text, present));
  if (!*present) return S3Error::None();
  std::string_view t = TrimSpace(text);
  bool negative = !t.empty() && t[0] == '-';
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  while (t.size() > 1 && t[0] == '0') t.remove_prefix(1);
  bool ok = !t.empty() && t.size() <= 18;
  int64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') ok = false;
    if (ok) v = v * 10 + (c - '0');
  }
  if (!ok) return Malformed(Tag(name) + " must be an integer");
  *out = negative ? -v : v;
  return S3Error::None();
}

S3Error ChildBool(pugi::xml_node parent, std::string_view name, bool* out, bool* present) {
  std::string text;
  S3_RETURN_IF_ERROR(ChildText(parent, name, false, &text, present));
  if (!*present) return S3Error::None();
  std::string v(TrimSpace(text));
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v != "true" && v != "false" && v != "1" && v != "0")
    return Malformed(Tag(name) + " must be true or false");
  *out = v == "true" || v == "1";
  return S3Error::None();
}

// A positive day count that fits an int; zero or less is S3's InvalidArgument.
S3Error ChildDays(pugi::xml_node parent, std::string_view name, bool required,
                  std::optional<int>* out) {
  int64_t v = 0;
  bool present = false;
  S3_RETURN_IF_ERROR(ChildInt(parent, name, required, &v, &present));
  if (!present) return S3Error::None();
  if (v <= 0)
    return MakeError(400, "InvalidArgument",
                     "'" + std::string(name) + "' for " + std::string(LocalName(parent)) +
                         " action must be a positive integer");
  if (v > std::numeric_limits<int>::max()) return Malformed(Tag(name) + " is too large");
  *out = static_cast<int>(v);
  return S3Error::None();
}

// Parses `body` and finds its root, which must be `root_name`. The document keeps the tree.
//
// parse_fragment keeps text outside the root element as nodes so it can be refused (pugixml
// otherwise drops it, and also accepts several root elements); parse_ws_pcdata keeps keys
// that are only whitespace. pugixml parses iteratively and never expands DOCTYPE entities,
// so deep nesting and entity bombs cost no more than the body's size.
S3Error LoadRoot(std::string_view body, std::string_view root_name, pugi::xml_document* doc,
                 pugi::xml_node* root) {
  if (body.size() > kMaxXmlBody)
    return Malformed("the body is larger than " + std::to_string(kMaxXmlBody) + " bytes");
  S3_RETURN_IF_ERROR(CheckBodyBytes(body));
  unsigned options =
      (pugi::parse_default & ~pugi::parse_escapes) | pugi::parse_ws_pcdata | pugi::parse_fragment;
  pugi::xml_parse_result parsed =
      doc->load_buffer(body.data(), body.size(), options, pugi::encoding_utf8);
  if (!parsed)
    return Malformed(std::string(parsed.description()) + " at byte " +
                     std::to_string(parsed.offset));
  *root = pugi::xml_node();
  for (pugi::xml_node c = doc->first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) {
      if (*root) return Malformed("more than one root element");
      *root = c;
    } else if ((c.type() == pugi::node_pcdata && !TrimSpace(c.value()).empty()) ||
               c.type() == pugi::node_cdata) {
      return Malformed("text outside the root element");
    }
  }
  if (!*root) return Malformed("no root element; expected " + Tag(root_name));
  if (LocalName(*root) != root_name)
    return Malformed("the root element is " + Tag(LocalName(*root)) + ", expected " +
                     Tag(root_name));
  return S3Error::None();
}

}  // namespace ccow::s3::xml
