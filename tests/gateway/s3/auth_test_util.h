// What the S3 authentication tests share (sigv4_test, sigv2_test, s3_auth_test): a
// credential lookup that knows one key, expectations on S3Error, and header editing.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "gateway/s3/s3_auth.h"

namespace ccow::s3 {

// Knows `access_key` (with `secret`, for tenant "tenant-a") and no other key.
inline CredentialLookup OneKey(std::string access_key, std::string secret) {
  return [access_key, secret](std::string_view ak) -> std::optional<Credentials> {
    if (ak != access_key) return std::nullopt;
    return Credentials{access_key, secret, "tenant-a"};
  };
}

inline void ExpectOk(const S3Error& e) {
  EXPECT_TRUE(e.ok()) << e.http_status << " " << e.code << ": " << e.message;
}

inline void ExpectError(const S3Error& e, int status, const std::string& code) {
  EXPECT_EQ(e.http_status, status) << e.code << ": " << e.message;
  EXPECT_EQ(e.code, code) << e.message;
}

// Replaces the first header called `name`, or adds one.
inline void SetHeader(SignedRequest& r, const std::string& name, const std::string& value) {
  for (auto& [k, v] : r.headers)
    if (k == name) {
      v = value;
      return;
    }
  r.headers.emplace_back(name, value);
}

}  // namespace ccow::s3
