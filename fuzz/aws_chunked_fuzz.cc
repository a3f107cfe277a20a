// Fuzz target for AwsChunkedSource, the decoder of aws-chunked request bodies: whatever a
// client sends, decoding ends in data or a Status, never a crash, and never hands out
// more than x-amz-decoded-content-length bytes or ends cleanly short of it.
//
// There is no encoder to round-trip through, so the check is those invariants. An input is
//   [mode byte][raw read step byte][decoded length, 4 bytes little-endian][body...]
// so that mutants explore all three modes and how the body arrives in pieces.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "gateway/s3/aws_chunked.h"

namespace ccow::fuzz {

namespace {

using s3::AuthContext;
using s3::ChunkedMode;

constexpr size_t kMaxChunk = 4096;  // small, so that mutants also reach the size limit
constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const AuthContext& Auth() {
  static const AuthContext auth = [] {
    AuthContext a;
    a.signing_key = s3::DeriveSigningKey("fuzz-secret", "20130524", "us-east-1", "s3");
    a.amz_date = "20130524T000000Z";
    a.scope = "20130524/us-east-1/s3/aws4_request";
    a.seed_signature = s3::Sha256Hex("seed");
    return a;
  }();
  return auth;
}

std::string Hex(const std::string& raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) out += {kDigits[c >> 4], kDigits[c & 15]};
  return out;
}

// Serves the body in pieces of at most `step` bytes, as a socket does.
class StepSource : public ByteSource {
 public:
  StepSource(std::string_view data, size_t step) : data_(data), step_(step) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, step_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view data_;
  size_t step_;
  size_t pos_ = 0;
};

std::string Input(ChunkedMode mode, uint8_t step, const std::string& data,
                  const std::string& body) {
  std::string in(1, static_cast<char>(mode));
  in += static_cast<char>(step);
  for (int i = 0; i < 4; ++i) in += static_cast<char>((data.size() >> (8 * i)) & 0xff);
  return in + body;
}

// A body the way an SDK encodes it.
std::string Encode(ChunkedMode mode, const std::string& data, size_t chunk,
                   const std::vector<std::pair<std::string, std::string>>& trailers,
                   const char* eol = "\r\n") {
  const AuthContext& a = Auth();
  std::string out, prev = a.seed_signature;
  auto header = [&](std::string_view piece) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%zx", piece.size());
    if (mode == ChunkedMode::kUnsignedTrailer) return std::string(hex) + "\r\n";
    prev = Hex(s3::HmacSha256(a.signing_key, "AWS4-HMAC-SHA256-PAYLOAD\n" + a.amz_date + "\n" +
                                                 a.scope + "\n" + prev + "\n" + kEmptySha + "\n" +
                                                 s3::Sha256Hex(piece)));
    return std::string(hex) + ";chunk-signature=" + prev + "\r\n";
  };
  for (size_t at = 0; at < data.size(); at += chunk) {
    std::string_view piece = std::string_view(data).substr(at, chunk);
    out += header(piece);
    out.append(piece);
    out += "\r\n";
  }
  out += header({});
  if (mode == ChunkedMode::kSigned) return out + "\r\n";
  std::string canonical;
  for (const auto& [n, v] : trailers) {
    out += n + ":" + v + eol;
    canonical += n + ":" + v + "\n";
  }
  if (mode == ChunkedMode::kSignedTrailer)
    out += "x-amz-trailer-signature:" +
           Hex(s3::HmacSha256(a.signing_key, "AWS4-HMAC-SHA256-TRAILER\n" + a.amz_date + "\n" +
                                                 a.scope + "\n" + prev + "\n" +
                                                 s3::Sha256Hex(canonical))) +
           "\r\n";
  return out + "\r\n";
}

}  // namespace

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  const std::vector<std::pair<std::string, std::string>> crc = {
      {"x-amz-checksum-crc32", "sOO8/Q=="}};
  const std::vector<std::pair<std::string, std::string>> two = {
      {"x-amz-checksum-crc32c", "sOO8/Q=="},
      {"x-amz-checksum-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}};
  std::string text = "The quick brown fox jumps over the lazy dog";
  std::string big(3 * kMaxChunk + 17, 'z');
  for (ChunkedMode mode :
       {ChunkedMode::kSigned, ChunkedMode::kSignedTrailer, ChunkedMode::kUnsignedTrailer}) {
    seeds.push_back(Input(mode, 255, "", Encode(mode, "", 1, {})));
    seeds.push_back(Input(mode, 255, text, Encode(mode, text, 8, crc)));
    seeds.push_back(Input(mode, 3, text, Encode(mode, text, 1000, two)));
    seeds.push_back(Input(mode, 200, big, Encode(mode, big, kMaxChunk, crc)));
  }
  seeds.push_back(Input(ChunkedMode::kSignedTrailer, 7, text,
                        Encode(ChunkedMode::kSignedTrailer, text, 16, crc, "\n\r\n")));
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 6) return 0;
  auto mode = static_cast<ccow::s3::ChunkedMode>(data[0] % 3);
  size_t step = 1 + data[1];
  uint64_t length = 0;
  for (int i = 0; i < 4; ++i) length |= uint64_t{data[2 + i]} << (8 * i);
  std::string_view body(reinterpret_cast<const char*>(data) + 6, size - 6);

  ccow::fuzz::StepSource raw(body, step);
  ccow::s3::AwsChunkedSource src(raw, mode, ccow::fuzz::Auth(), length, ccow::fuzz::kMaxChunk);
  char buf[1000];
  uint64_t total = 0;
  while (true) {
    auto r = src.Read(buf, 1 + (total * 31 + size) % sizeof(buf));
    if (!r.ok()) {
      if (src.Read(buf, sizeof(buf)).ok()) {
        std::fprintf(stderr, "aws-chunked: a Read after an error succeeded\n");
        std::abort();
      }
      return 0;
    }
    if (*r == 0) break;
    total += *r;
    if (total > length) {
      std::fprintf(stderr, "aws-chunked: %llu bytes out of a body declared as %llu\n",
                   static_cast<unsigned long long>(total), static_cast<unsigned long long>(length));
      std::abort();
    }
  }
  if (total != length) {
    std::fprintf(stderr, "aws-chunked: ended cleanly after %llu of %llu bytes\n",
                 static_cast<unsigned long long>(total), static_cast<unsigned long long>(length));
    std::abort();
  }
  ++ccow::fuzz::decoded;
  return 0;
}
