// The strict reader of S3's XML request bodies, shared by every parser of them (s3_xml.cc,
// s3_acl.cc). pugixml builds the tree; this layer adds what S3 and XML 1.0 demand and
// pugixml does not check: valid UTF-8, no stray control characters, resolved references
// with no NUL, exactly one root, repeated elements refused. Elements are matched by local
// name, since clients send S3 documents with and without a namespace.
// Errors are S3Errors (MalformedXML unless said otherwise); nothing throws. Stateless.
#pragma once

#include <pugixml.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/s3/s3_error.h"

namespace ccow::s3::xml {

// 400 MalformedXML with S3's message and the reason appended.
S3Error Malformed(std::string_view reason);
std::string Tag(std::string_view name);  // "<name>"

// One UTF-8 sequence at s[*i] (RFC 3629: no overlong forms, surrogates, > U+10FFFF);
// advances *i. False on a bad or truncated sequence.
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp);
void AppendUtf8(uint32_t cp, std::string* out);
size_t CharCount(std::string_view utf8);  // code points; input already validated
bool IsUtf8(std::string_view s);          // every sequence as NextCodePoint accepts it
std::string_view TrimSpace(std::string_view s);

// Elements by local name ("s3:Key" and "Key" alike).
std::string_view LocalName(pugi::xml_node node);
std::vector<pugi::xml_node> Children(pugi::xml_node parent, std::string_view name);
// The one child `name`: an empty node when absent, an error when repeated.
S3Error OnlyChild(pugi::xml_node parent, std::string_view name, pugi::xml_node* out);
// The element's text with references resolved; nested elements are an error.
S3Error TextOf(pugi::xml_node node, std::string* out);
// Text of the single child `name`; *present (when given) says whether it was there.
S3Error ChildText(pugi::xml_node parent, std::string_view name, bool required, std::string* out,
                  bool* present = nullptr);
S3Error ChildInt(pugi::xml_node parent, std::string_view name, bool required, int64_t* out,
                 bool* present);
S3Error ChildBool(pugi::xml_node parent, std::string_view name, bool* out, bool* present);
// A positive day count that fits an int; zero or less is InvalidArgument.
S3Error ChildDays(pugi::xml_node parent, std::string_view name, bool required,
                  std::optional<int>* out);

// Parses `body` (at most kMaxXmlBody bytes) and finds its one root, which must be
// `root_name`. The document keeps the tree.
S3Error LoadRoot(std::string_view body, std::string_view root_name, pugi::xml_document* doc,
                 pugi::xml_node* root);

}  // namespace ccow::s3::xml
