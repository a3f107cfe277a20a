// Base64 (RFC 4648, with padding) as S3 uses it: Content-MD5, checksums, SigV2 signatures,
// continuation tokens. OpenSSL's EVP block coder underneath. Decoding accepts only the
// canonical text of a value (one text per value), so a token or digest has one spelling.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ccow::s3 {

std::string Base64Encode(std::string_view raw);
// nullopt for anything that is not canonical padded base64, or longer than 4096 bytes.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace ccow::s3
