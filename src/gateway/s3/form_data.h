// multipart/form-data (RFC 7578) as S3's browser POST upload sends it: form fields first,
// the part named "file" last. The fields are read into memory (bounded: a form is a few
// KiB); the file is handed out as a stream that ends at its delimiter, so a 5 GiB upload
// never sits in memory. Whatever follows the file part is ignored, as S3 ignores it.
//
// Errors are S3's: 400 MalformedPOSTRequest for a body that is not such a form (no
// boundary, a part without a name, a body that ends before the file's delimiter),
// 400 InvalidArgument for a form without a file, 400 MaxPostPreDataLengthExceededError
// for fields beyond the bound. One reader per request; not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_stream.h"
#include "gateway/s3/s3_error.h"

namespace ccow::s3 {

struct FormField {
  std::string name;  // as sent; S3 compares field names case-insensitively
  std::string value;
};

// The boundary= parameter of a multipart/form-data Content-Type (quoted or not); an empty
// string when the type is another one or the boundary is missing or invalid.
std::string FormBoundary(std::string_view content_type);

class FormDataReader {
 public:
  static constexpr size_t kMaxFieldBytes = 64 << 10;  // every field's name and value, together

  FormDataReader(ByteSource& body, std::string boundary);
  ~FormDataReader();

  // Reads the fields before the file part and the file part's headers.
  S3Error ReadFields(std::vector<FormField>* fields, std::string* filename, std::string* file_content_type);

  // The file part's bytes (after ReadFields): ends at its delimiter. A body that ends
  // first is an error (InvalidArgument "MalformedPOSTRequest: ..."), so a truncated upload
  // is never stored as a shorter object.
  ByteSource& file();

 private:
  class FileSource;
  // Makes at least `want` unread bytes available unless the body ends; false at its end.
  Result<bool> Fill(size_t want);
  std::string_view Unread() const { return std::string_view(buf_).substr(pos_); }
  void Consume(size_t n);

  ByteSource& body_;
  std::string delimiter_;  // "\r\n--" + boundary
  std::string buf_;
  size_t pos_ = 0;
  bool body_ended_ = false;
  std::unique_ptr<FileSource> file_;
};

}  // namespace ccow::s3
