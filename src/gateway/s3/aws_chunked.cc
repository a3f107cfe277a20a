// aws-chunked decoding. The framing, per AWS's "Transferring Payload in Multiple Chunks"
// and "Including Trailing Headers":
//
//   signed:          <hex>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n\r\n
//   signed trailer:  ... 0;chunk-signature=<sig>\r\n<name>:<value>\r\n...
//                        x-amz-trailer-signature:<sig>\r\n\r\n
//   unsigned trailer: <hex>\r\n<data>\r\n ... 0\r\n<name>:<value>\r\n...\r\n
//
// Trailer checksums (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256) are checked
// here for shape: a known name and a base64 value of the algorithm's digest length. Their
// value is recomputed by the gateway (s3_checksum.h), which learns the algorithm from the
// request's x-amz-trailer header and reads the value with Trailer() once the body has
// ended. In the signed-trailer mode the trailer is covered by x-amz-trailer-signature,
// which is verified.
#include "gateway/s3/aws_chunked.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "gateway/s3/s3_checksum.h"

namespace ccow::s3 {

namespace {

constexpr size_t kReadBlock = 64 << 10;
// A chunk header is about 90 bytes and a trailer line under 100; anything much longer is
// not aws-chunked and must not make us buffer without bound.
constexpr size_t kMaxLine = 4096;
constexpr size_t kMaxTrailers = 16;
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSigPrefix = ";chunk-signature=";
constexpr std::string_view kTrailerSig = "x-amz-trailer-signature";

Status Incomplete(const std::string& m) { return Status::InvalidArgument("IncompleteBody: " + m); }
Status Malformed(const std::string& m) {
  return Status::InvalidArgument("InvalidRequest: malformed aws-chunked body: " + m);
}
Status BadSignature(const std::string& m) {
  return Status::InvalidArgument("SignatureDoesNotMatch: " + m);
}

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Whether `sig` (64 lower-case hex digits) is HMAC(key, string_to_sign), compared in
// constant time so that timing does not reveal how much of a forged signature matched.
bool SameSignature(const std::string& key, const std::string& string_to_sign,
                   const std::string& sig) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string raw = HmacSha256(key, string_to_sign);
  std::string expected(2 * raw.size(), '\0');
  for (size_t i = 0; i < raw.size(); ++i) {
    expected[2 * i] = kDigits[static_cast<unsigned char>(raw[i]) >> 4];
    expected[2 * i + 1] = kDigits[static_cast<unsigned char>(raw[i]) & 15];
  }
  return expected.size() == sig.size() &&
         CRYPTO_memcmp(expected.data(), sig.data(), sig.size()) == 0;
}

// Buffered reading of the raw body: CRLF lines for the framing, exact counts for data.
class RawReader {
 public:
  explicit RawReader(ByteSource& src) : src_(src) {}

  // One line without its terminator. Chunk headers must end in CRLF; trailer lines may
  // end in a bare LF too (`lenient`), as some SDKs write "name:value\n\r\n".
  Status ReadLine(std::string* line, bool lenient) {
    line->clear();
    while (true) {
      if (pos_ == end_) {
        CCOW_ASSIGN_OR_RETURN(bool more, Fill());
        if (!more) return Incomplete("the body ended inside a chunk header or trailer");
      }
      const char* begin = buf_.data() + pos_;
      const char* nl = static_cast<const char*>(std::memchr(begin, '\n', end_ - pos_));
      size_t take = nl != nullptr ? static_cast<size_t>(nl - begin) : end_ - pos_;
      if (line->size() + take > kMaxLine)
        return Malformed("a chunk header or trailer line longer than " + std::to_string(kMaxLine) +
                         " bytes");
      line->append(begin, take);
      pos_ += take;
      if (nl == nullptr) continue;
      ++pos_;
      bool cr = !line->empty() && line->back() == '\r';
      if (cr) line->pop_back();
      if (!cr && !lenient) return Malformed("a chunk header not terminated by CRLF");
      return Status::OK();
    }
  }

  Status ReadExact(char* dst, size_t n) {
    while (n > 0) {
      if (pos_ == end_) {
        if (n >= kReadBlock) {  // large remainders skip the copy through buf_
          CCOW_ASSIGN_OR_RETURN(size_t r, src_.Read(dst, n));
          if (r == 0) return Incomplete("the body ended inside a chunk");
          dst += r;
          n -= r;
          continue;
        }
        CCOW_ASSIGN_OR_RETURN(bool more, Fill());
        if (!more) return Incomplete("the body ended inside a chunk");
      }
      size_t k = std::min(n, end_ - pos_);
      std::memcpy(dst, buf_.data() + pos_, k);
      pos_ += k;
      dst += k;
      n -= k;
    }
    return Status::OK();
  }

  Result<bool> AtEnd() {
    if (pos_ < end_) return false;
    CCOW_ASSIGN_OR_RETURN(bool more, Fill());
    return !more;
  }

 private:
  Result<bool> Fill() {
    if (buf_.size() < kReadBlock) buf_.resize(kReadBlock);
    pos_ = end_ = 0;
    CCOW_ASSIGN_OR_RETURN(size_t r, src_.Read(buf_.data(), buf_.size()));
    end_ = r;
    return r > 0;
  }

  ByteSource& src_;
  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
};

}  // namespace

struct AwsChunkedSource::Impl {
  Impl(ByteSource& raw_in, ChunkedMode m, const AuthContext& auth, uint64_t length, size_t max)
      : raw(raw_in),
        mode(m),
        signing_key(auth.signing_key),
        amz_date(auth.amz_date),
        scope(auth.scope),
        prev_signature(auth.seed_signature),
        decoded_length(length),
        max_chunk(max) {}

  bool Signed() const { return mode != ChunkedMode::kUnsignedTrailer; }

  Status ParseHeader(std::string_view line, uint64_t* size, std::string* sig);
  Status Verify(std::string_view data, const std::string& sig);
  Status LoadChunk();
  Status ReadFinalHeader();
  Status Finish(const std::string& sig);
  Status ReadTrailers();

  RawReader raw;
  const ChunkedMode mode;
  const std::string signing_key;
  const std::string amz_date;
  const std::string scope;
  std::string prev_signature;  // the chain: seed, then each verified chunk's signature
  const uint64_t decoded_length;
  const size_t max_chunk;

  uint64_t total = 0;  // decoded bytes verified so far
  std::string chunk;   // the current chunk, verified; handed out from chunk_pos
  size_t chunk_pos = 0;
  bool done = false;  // the terminating chunk (and trailers) verified
  Status error;       // sticky: once the body is bad, every later Read says so
  std::vector<std::pair<std::string, std::string>> trailers;  // as received, once done
};

// "<hex>;chunk-signature=<64 hex>" in the signed modes, "<hex>[;ext...]" in the unsigned one.
Status AwsChunkedSource::Impl::ParseHeader(std::string_view line, uint64_t* size,
                                           std::string* sig) {
  size_t semi = line.find(';');
  std::string_view hex = line.substr(0, semi);
  if (hex.empty() || hex.size() > 16)
    return Malformed("bad chunk size \"" + std::string(hex.substr(0, 32)) + "\"");
  uint64_t v = 0;
  for (char c : hex) {
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) return Malformed("bad chunk size \"" + std::string(hex) + "\"");
    v = v * 16 + static_cast<uint64_t>(d);
  }
  *size = v;
  if (!Signed()) return Status::OK();
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : line.substr(semi);
  if (!rest.starts_with(kSigPrefix) || rest.size() != kSigPrefix.size() + 64)
    return Malformed("a chunk header without chunk-signature");
  *sig = std::string(rest.substr(kSigPrefix.size()));
  for (char& c : *sig)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  if (!IsLowerHex(*sig)) return Malformed("a chunk-signature that is not 64 hex digits");
  return Status::OK();
}

Status AwsChunkedSource::Impl::Verify(std::string_view data, const std::string& sig) {
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n" + amz_date + "\n" + scope + "\n" + prev_signature +
                    "\n" + kEmptySha256 + "\n" + Sha256Hex(data);
  if (!SameSignature(signing_key, sts, sig))
    return BadSignature("the signature of the chunk ending at decoded byte " +
                        std::to_string(total + data.size()) +
                        " does not match; the body was altered or signed with another key");
  prev_signature = sig;
  return Status::OK();
}

Status AwsChunkedSource::Impl::LoadChunk() {
  std::string line;
  CCOW_RETURN_IF_ERROR(raw.ReadLine(&line, /*lenient=*/false));
  uint64_t size = 0;
  std::string sig;
  CCOW_RETURN_IF_ERROR(ParseHeader(line, &size, &sig));
  if (size == 0) return Finish(sig);
  if (size > max_chunk)
    return Status::InvalidArgument("InvalidRequest: an aws-chunked chunk of " +
                                   std::to_string(size) + " bytes exceeds the limit of " +
                                   std::to_string(max_chunk));
  if (size > decoded_length - total)
    return Incomplete("the chunks hold more than the " + std::to_string(decoded_length) +
                      " bytes of x-amz-decoded-content-length");
  chunk.resize(size);
  chunk_pos = 0;
  CCOW_RETURN_IF_ERROR(raw.ReadExact(chunk.data(), size));
  char crlf[2];
  CCOW_RETURN_IF_ERROR(raw.ReadExact(crlf, 2));
  if (crlf[0] != '\r' || crlf[1] != '\n') return Malformed("chunk data not followed by CRLF");
  if (Signed()) CCOW_RETURN_IF_ERROR(Verify(chunk, sig));
  total += size;
  // With all the data in hand, check the end of the body now rather than on the next
  // Read: a consumer that stops after decoded_length bytes still gets a verified body.
  if (total == decoded_length) return ReadFinalHeader();
  return Status::OK();
}

Status AwsChunkedSource::Impl::ReadFinalHeader() {
  std::string line;
  CCOW_RETURN_IF_ERROR(raw.ReadLine(&line, /*lenient=*/false));
  uint64_t size = 0;
  std::string sig;
  CCOW_RETURN_IF_ERROR(ParseHeader(line, &size, &sig));
  if (size != 0)
    return Incomplete("the chunks hold more than the " + std::to_string(decoded_length) +
                      " bytes of x-amz-decoded-content-length");
  return Finish(sig);
}

// The zero-length chunk: the end of the data, signed like any other chunk.
Status AwsChunkedSource::Impl::Finish(const std::string& sig) {
  if (total != decoded_length)
    return Incomplete("the body ended after " + std::to_string(total) + " of the " +
                      std::to_string(decoded_length) + " bytes of x-amz-decoded-content-length");
  if (Signed()) CCOW_RETURN_IF_ERROR(Verify({}, sig));
  if (mode == ChunkedMode::kSigned) {
    std::string line;
    CCOW_RETURN_IF_ERROR(raw.ReadLine(&line, /*lenient=*/false));
    if (!line.empty()) return Malformed("bytes after the final chunk");
  } else {
    CCOW_RETURN_IF_ERROR(ReadTrailers());
  }
  CCOW_ASSIGN_OR_RETURN(bool at_end, raw.AtEnd());
  if (!at_end) return Malformed("bytes after the final chunk");
  done = true;
  return Status::OK();
}

// Trailer lines up to the end of the body. Blank lines are skipped rather than taken as
// the end, because clients differ in how they terminate lines ("\r\n", "\n\r\n") and in
// whether the last blank line is sent at all; the raw body ends where Content-Length
// says, so the end of input is the reliable terminator.
Status AwsChunkedSource::Impl::ReadTrailers() {
  trailers.clear();
  std::string signature;
  while (true) {
    CCOW_ASSIGN_OR_RETURN(bool at_end, raw.AtEnd());
    if (at_end) break;
    std::string line;
    CCOW_RETURN_IF_ERROR(raw.ReadLine(&line, /*lenient=*/true));
    if (line.empty()) continue;
    if (!signature.empty()) return Malformed("a trailer after x-amz-trailer-signature");
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) return Malformed("a trailer line without ':'");
    std::string name = line.substr(0, colon);
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
        return Malformed("a trailer name with character '" + std::string(1, c) + "'");
    }
    std::string_view value(line);
    value.remove_prefix(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (name == kTrailerSig && Signed()) {
      signature = std::string(value);
      if (signature.size() != 64 || !IsLowerHex(signature))
        return Malformed("an x-amz-trailer-signature that is not 64 lower-case hex digits");
      continue;
    }
    if (name.starts_with("x-amz-checksum-")) {
      const size_t want = ObjectChecksum::DigestSize(ChecksumAlgoFromHeader(name));
      if (want == 0) return Status::InvalidArgument("InvalidRequest: unknown trailer " + name);
      auto digest = Base64Decode(value);
      if (!digest || digest->size() != want)
        return Status::InvalidArgument("InvalidRequest: Value for " + name +
                                       " trailing header is invalid.");
    }
    if (trailers.size() == kMaxTrailers) return Malformed("too many trailers");
    trailers.emplace_back(std::move(name), std::string(value));
  }
  if (!Signed()) return Status::OK();

  if (signature.empty()) return BadSignature("the trailer has no x-amz-trailer-signature");
  // Canonical trailer: "name:value\n" per trailer, sorted by name as the SDKs sign it.
  std::sort(trailers.begin(), trailers.end());
  std::string canonical;
  for (const auto& [n, v] : trailers) canonical += n + ":" + v + "\n";
  std::string sts = "AWS4-HMAC-SHA256-TRAILER\n" + amz_date + "\n" + scope + "\n" + prev_signature +
                    "\n" + Sha256Hex(canonical);
  if (!SameSignature(signing_key, sts, signature))
    return BadSignature("the trailer signature does not match; the trailer was altered");
  return Status::OK();
}

bool ParseChunkedMode(std::string_view payload_hash, ChunkedMode* mode) {
  if (payload_hash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
    *mode = ChunkedMode::kSigned;
  } else if (payload_hash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
    *mode = ChunkedMode::kSignedTrailer;
  } else if (payload_hash == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    *mode = ChunkedMode::kUnsignedTrailer;
  } else {
    return false;
  }
  return true;
}

AwsChunkedSource::AwsChunkedSource(ByteSource& raw, ChunkedMode mode, const AuthContext& auth,
                                   uint64_t decoded_length, size_t max_chunk_bytes)
    : impl_(std::make_unique<Impl>(raw, mode, auth, decoded_length, max_chunk_bytes)) {}

AwsChunkedSource::~AwsChunkedSource() = default;

const std::string* AwsChunkedSource::Trailer(std::string_view name) const {
  if (!impl_->done) return nullptr;
  for (const auto& [n, v] : impl_->trailers)
    if (n == name) return &v;
  return nullptr;
}

Result<size_t> AwsChunkedSource::Read(char* buf, size_t n) {
  Impl& s = *impl_;
  if (!s.error.ok()) return s.error;
  if (n == 0) return size_t{0};
  while (s.chunk_pos == s.chunk.size()) {
    if (s.done) return size_t{0};
    Status st = s.LoadChunk();
    if (!st.ok()) {
      // Nothing of a chunk that failed, or of one followed by a bad end, goes out.
      s.error = st;
      s.chunk.clear();
      s.chunk_pos = 0;
      return st;
    }
  }
  size_t k = std::min(n, s.chunk.size() - s.chunk_pos);
  std::memcpy(buf, s.chunk.data() + s.chunk_pos, k);
  s.chunk_pos += k;
  return k;
}

}  // namespace ccow::s3
