// An S3 error as the client sees it: HTTP status, S3 error code and a message a user can
// act on. The gateway renders it as S3's <Error> XML document.
#pragma once

#include <string>

// Status has CCOW_RETURN_IF_ERROR; S3Error gets the same.
#define S3_RETURN_IF_ERROR(expr)     \
  do {                               \
    ::ccow::s3::S3Error _e = (expr); \
    if (!_e.ok()) return _e;         \
  } while (0)

namespace ccow::s3 {

struct S3Error {
  int http_status = 0;  // 0: no error
  std::string code;     // e.g. "NoSuchKey", "SignatureDoesNotMatch"
  std::string message;

  bool ok() const { return http_status == 0; }
  static S3Error None() { return {}; }
};

inline S3Error MakeError(int status, std::string code, std::string message) {
  return S3Error{status, std::move(code), std::move(message)};
}

}  // namespace ccow::s3
