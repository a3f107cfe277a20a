// S3 object checksums (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256): what a
// request asks for, the streaming computation, and the header form of a stored checksum.
//
// Why: SDKs send one with every upload (newer ones by default), in a header or in an
// aws-chunked trailer, and expect a mismatch to store nothing (BadDigest) and a later GET
// with x-amz-checksum-mode: ENABLED to return it. The CRCs come from ISA-L (CRC32 and
// CRC32C) and Boost.CRC (CRC-64/NVME, which Debian 12's ISA-L 2.30 does not have); the SHAs
// from OpenSSL. Not thread-safe: one Checksummer per request.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/byte_stream.h"
#include "client/object_api.h"
#include "core/status.h"
#include "gateway/s3/base64.h"
#include "http/http_exchange.h"
#include "model/version_manifest.h"

namespace ccow::s3 {

using ChecksumAlgo = ObjectChecksum::Algo;

// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" (any case) -> algorithm; kNone otherwise.
ChecksumAlgo ChecksumAlgoFromName(std::string_view name);
// "x-amz-checksum-crc32" ... -> algorithm; kNone for another name.
ChecksumAlgo ChecksumAlgoFromHeader(std::string_view header);
const char* ChecksumName(ChecksumAlgo algo);    // "CRC32"
std::string ChecksumHeader(ChecksumAlgo algo);  // "x-amz-checksum-crc32"

// The value S3 returns for a checksum: base64 of the digest, "-N" after a composite one.
std::string ChecksumValue(const ObjectChecksum& c);

class XmlWriter;
// <ChecksumALG>value</ChecksumALG> and, with_type, <ChecksumType>COMPOSITE|FULL_OBJECT</...>,
// as S3's documents carry a stored checksum (nothing for an empty one).
void WriteChecksumElements(const ObjectChecksum& c, bool with_type, XmlWriter& w);

// What a request's headers ask for: an algorithm, and the digest either in a header
// (expected, raw bytes) or in the aws-chunked body's trailer (in_trailer).
struct RequestedChecksum {
  ChecksumAlgo algo = ChecksumAlgo::kNone;
  std::string expected;
  bool in_trailer = false;
};
// From x-amz-checksum-ALG, x-amz-trailer and x-amz-sdk-checksum-algorithm. Errors are
// kInvalidArgument "InvalidRequest: ..." worded as S3 words them: two checksums, a value
// that is not the algorithm's base64 digest, an SDK algorithm with no value announced.
Result<RequestedChecksum> ChecksumFromHeaders(const http::HttpRequest& req);
// Appends x-amz-checksum-ALG and x-amz-checksum-type for a stored checksum (none if empty).
void AddChecksumHeaders(const ObjectChecksum& c, http::HeaderList* h);

// Streaming digest of one algorithm. Final() gives the raw digest (CRCs big-endian, as S3
// encodes them).
class Checksummer {
 public:
  static std::unique_ptr<Checksummer> Create(ChecksumAlgo algo);  // null for kNone
  virtual ~Checksummer() = default;
  virtual void Update(const void* data, size_t n) = 0;
  virtual std::string Final() = 0;
  ChecksumAlgo algo() const { return algo_; }

 protected:
  explicit Checksummer(ChecksumAlgo algo) : algo_(algo) {}
  ChecksumAlgo algo_;
};

// The CRC (CRC32, CRC32C or CRC64NVME; raw big-endian digests as Final() gives them) of
// A followed by B, from CRC(A), CRC(B) and B's length: S3's FULL_OBJECT checksum of a
// multipart upload, from its parts' checksums without reading a byte. (Zlib's
// crc32_combine, by GF(2) matrix squaring, for the three polynomials; zlib has it for
// CRC32 only.) kInvalidArgument for another algorithm or a digest of the wrong size.
Result<std::string> CombineCrc(ChecksumAlgo algo, const std::string& crc_a, const std::string& crc_b,
                               uint64_t length_b);

// Makes the version `opts` writes carry a checksum: `sum`'s digest as it stands at the
// commit (when every byte has passed through it), or `fixed` when sum is null. Runs after
// any before_commit already set.
void CommitChecksum(std::shared_ptr<Checksummer> sum, ObjectChecksum fixed, PutOptions* opts);

// Passes `inner` through, feeding every byte to `sum`. Both must outlive it.
class ChecksumSource : public ByteSource {
 public:
  ChecksumSource(std::unique_ptr<ByteSource> inner, Checksummer* sum) : inner_(std::move(inner)), sum_(sum) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  std::unique_ptr<ByteSource> inner_;
  Checksummer* sum_;
};

// Feeds every byte written to `sum` and keeps none (a checksum of bytes read only for it).
class ChecksumSink : public ByteSink {
 public:
  explicit ChecksumSink(Checksummer* sum) : sum_(sum) {}
  Status Write(std::string_view data) override {
    sum_->Update(data.data(), data.size());
    return Status::OK();
  }

 private:
  Checksummer* sum_;
};

}  // namespace ccow::s3
