// RFC 2047 encoded words in S3 user metadata. HTTP header values are ASCII in practice, so
// S3 takes a value of encoded words (=?UTF-8?B?...?= or =?UTF-8?Q?...?=) as the UTF-8 text
// they encode and stores that text, and returns any value that is not printable ASCII as
// one B-encoded word, "mail-safe", as AWS documents. Raw UTF-8 bytes in a header are kept
// as sent and returned encoded the same way. Stateless; nothing throws.
#pragma once

#include <string>
#include <string_view>

namespace ccow::s3 {

// The text a header value means: every encoded word in UTF-8 or US-ASCII (B or Q)
// replaced by its bytes (whitespace between two words dropped, as RFC 2047 says); a value
// with a malformed word, or one in another charset, is returned unchanged.
std::string DecodeHeaderWords(std::string_view value);

// A value fit for a response header: unchanged when it is printable ASCII (with tab),
// else "=?UTF-8?B?" + base64 + "?=".
std::string EncodeHeaderValue(std::string_view value);

}  // namespace ccow::s3
