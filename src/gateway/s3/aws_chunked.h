// Decoder of aws-chunked request bodies (Content-Encoding: aws-chunked), which SDKs use to
// stream uploads without knowing the SHA-256 of the whole body up front:
//   <hex-size>;chunk-signature=<64 hex>\r\n<bytes>\r\n ... 0;chunk-signature=<sig>\r\n\r\n
// Each chunk's signature chains from the previous one (the first from the request's
// seed signature). The UNSIGNED-PAYLOAD-TRAILER form has no chunk signatures and ends with
// trailer headers (x-amz-checksum-crc32 and the like), which are parsed and checked for shape.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "client/byte_stream.h"
#include "gateway/s3/sigv4.h"

namespace ccow::s3 {

enum class ChunkedMode {
  kSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

// Recognizes the x-amz-content-sha256 value of an aws-chunked upload.
bool ParseChunkedMode(std::string_view payload_hash, ChunkedMode* mode);

// Yields the decoded payload of `raw`. A bad chunk signature, a malformed framing, a chunk
// larger than max_chunk_bytes, or a decoded length different from decoded_length makes
// Read return an error (kInvalidArgument) whose message starts with the S3 error code
// ("SignatureDoesNotMatch: ...", "IncompleteBody: ...", "InvalidRequest: ..."), so that
// a put fails before anything is committed. Memory: at most one chunk is buffered.
class AwsChunkedSource : public ByteSource {
 public:
  AwsChunkedSource(ByteSource& raw, ChunkedMode mode, const AuthContext& auth,
                   uint64_t decoded_length, size_t max_chunk_bytes = 16 << 20);
  ~AwsChunkedSource() override;
  Result<size_t> Read(char* buf, size_t n) override;
  // A trailer's value (name lower-case), once Read has reported the end of a body whose
  // trailers all verified; null before that or when it was not sent.
  const std::string* Trailer(std::string_view name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccow::s3
