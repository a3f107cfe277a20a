#include "gateway/s3/aws_chunked.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace ccow::s3 {
namespace {

constexpr char kAk[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr int64_t kNow = 1369353600;  // 2013-05-24T00:00:00Z
constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// AWS's example ("Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks"): 66560 bytes of 'a' in a 64 KiB and a 1 KiB chunk.
constexpr char kSeedSig[] = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr char kChunk1Sig[] = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
constexpr char kChunk2Sig[] = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
constexpr char kFinalSig[] = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";
constexpr uint64_t kExampleLength = 66560;

// The example's PUT, verified the way the gateway does, gives the chunks' signing context.
AuthContext ExampleAuth() {
  SignedRequest r{
      "PUT",
      "/examplebucket/chunkObject.txt",
      {{"host", "s3.amazonaws.com"},
       {"x-amz-date", "20130524T000000Z"},
       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
       {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
       {"content-encoding", "aws-chunked"},
       {"x-amz-decoded-content-length", "66560"},
       {"content-length", "66824"},
       {"authorization",
        std::string("AWS4-HMAC-SHA256 Credential=") + kAk +
            "/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;"
            "host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
            "x-amz-storage-class,Signature=" +
            kSeedSig}}};
  CredentialLookup lookup = [](std::string_view ak) -> std::optional<Credentials> {
    if (ak != kAk) return std::nullopt;
    return Credentials{kAk, kSecret, "t"};
  };
  VerifyOptions opt;
  opt.now_unix = kNow;
  AuthContext ctx;
  S3Error e = VerifySigV4(r, lookup, opt, &ctx);
  EXPECT_TRUE(e.ok()) << e.code << ": " << e.message;
  return ctx;
}

std::string ExampleBody() {
  return std::string("10000;chunk-signature=") + kChunk1Sig + "\r\n" + std::string(65536, 'a') +
         "\r\n" + "400;chunk-signature=" + kChunk2Sig + "\r\n" + std::string(1024, 'a') + "\r\n" +
         "0;chunk-signature=" + kFinalSig + "\r\n\r\n";
}

std::string Hex(const std::string& raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) out += {kDigits[c >> 4], kDigits[c & 15]};
  return out;
}

// Encodes `data` the way an SDK does, chunk by chunk; trailers go after the final chunk.
// `trailer_eol` is how trailer lines end ("\r\n"; some SDKs write "\n\r\n").
std::string Encode(const AuthContext& auth, ChunkedMode mode, std::string_view data,
                   size_t chunk_size,
                   const std::vector<std::pair<std::string, std::string>>& trailers = {},
                   const std::string& trailer_eol = "\r\n") {
  std::string out, prev = auth.seed_signature;
  auto sign = [&](std::string_view piece) {
    prev = Hex(HmacSha256(auth.signing_key, "AWS4-HMAC-SHA256-PAYLOAD\n" + auth.amz_date + "\n" +
                                                auth.scope + "\n" + prev + "\n" + kEmptySha + "\n" +
                                                Sha256Hex(piece)));
    return prev;
  };
  auto header = [&](std::string_view piece) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%zx", piece.size());
    if (mode == ChunkedMode::kUnsignedTrailer) return std::string(hex) + "\r\n";
    return std::string(hex) + ";chunk-signature=" + sign(piece) + "\r\n";
  };
  for (size_t at = 0; at < data.size(); at += chunk_size) {
    std::string_view piece = data.substr(at, chunk_size);
    out += header(piece);
    out.append(piece);
    out += "\r\n";
  }
  out += header({});
  if (mode == ChunkedMode::kSigned) return out + "\r\n";
  std::string canonical;
  for (const auto& [n, v] : trailers) {
    out += n + ":" + v + trailer_eol;
    canonical += n + ":" + v + "\n";
  }
  if (mode == ChunkedMode::kSignedTrailer) {
    std::string sig = Hex(
        HmacSha256(auth.signing_key, "AWS4-HMAC-SHA256-TRAILER\n" + auth.amz_date + "\n" +
                                         auth.scope + "\n" + prev + "\n" + Sha256Hex(canonical)));
    out += "x-amz-trailer-signature:" + sig + "\r\n";
  }
  return out + "\r\n";
}

// Serves a string in pieces of at most `step` bytes, as a socket does.
class TrickleSource : public ByteSource {
 public:
  TrickleSource(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, step_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t step_;
  size_t pos_ = 0;
};

struct Decoded {
  std::string data;  // what came out before the end or the error
  Status status;
};

Decoded Decode(const std::string& body, ChunkedMode mode, const AuthContext& auth, uint64_t length,
               size_t max_chunk = 16 << 20, size_t step = 1 << 20, size_t read_size = 10000) {
  TrickleSource raw(body, step);
  AwsChunkedSource src(raw, mode, auth, length, max_chunk);
  Decoded out;
  std::string buf(read_size, '\0');
  while (true) {
    Result<size_t> r = src.Read(buf.data(), buf.size());
    if (!r.ok()) {
      out.status = r.status();
      // The error is sticky.
      Result<size_t> again = src.Read(buf.data(), buf.size());
      EXPECT_FALSE(again.ok());
      return out;
    }
    if (*r == 0) return out;
    out.data.append(buf.data(), *r);
  }
}

void ExpectFailure(const Decoded& d, const std::string& prefix) {
  EXPECT_FALSE(d.status.ok());
  EXPECT_TRUE(d.status.message().starts_with(prefix + ": ")) << d.status.message();
  EXPECT_EQ(d.status.code(), Code::kInvalidArgument);
}

TEST(AwsChunked, ParseMode) {
  ChunkedMode m;
  EXPECT_TRUE(ParseChunkedMode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", &m));
  EXPECT_EQ(m, ChunkedMode::kSigned);
  EXPECT_TRUE(ParseChunkedMode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", &m));
  EXPECT_EQ(m, ChunkedMode::kSignedTrailer);
  EXPECT_TRUE(ParseChunkedMode("STREAMING-UNSIGNED-PAYLOAD-TRAILER", &m));
  EXPECT_EQ(m, ChunkedMode::kUnsignedTrailer);
  EXPECT_FALSE(ParseChunkedMode("UNSIGNED-PAYLOAD", &m));
  EXPECT_FALSE(ParseChunkedMode(kEmptySha, &m));
}

TEST(AwsChunked, AwsExampleSeedAndChunkSignatures) {
  AuthContext auth = ExampleAuth();
  EXPECT_EQ(auth.seed_signature, kSeedSig);
  std::string body = ExampleBody();
  EXPECT_EQ(body.size(), 66824u);  // the example's Content-Length
  EXPECT_EQ(Encode(auth, ChunkedMode::kSigned, std::string(kExampleLength, 'a'), 65536), body);
  for (size_t step : {size_t{1} << 20, size_t{65536}, size_t{4096}, size_t{89}, size_t{7}}) {
    for (size_t read_size : {size_t{1} << 17, size_t{1000}, size_t{1}}) {
      if (step < 64 && read_size < 64) continue;  // byte by byte both ways: slow, nothing new
      Decoded d =
          Decode(body, ChunkedMode::kSigned, auth, kExampleLength, 16 << 20, step, read_size);
      ASSERT_TRUE(d.status.ok()) << d.status.ToString();
      EXPECT_EQ(d.data, std::string(kExampleLength, 'a'));
    }
  }
}

TEST(AwsChunked, EmptyBody) {
  AuthContext auth = ExampleAuth();
  for (ChunkedMode mode :
       {ChunkedMode::kSigned, ChunkedMode::kSignedTrailer, ChunkedMode::kUnsignedTrailer}) {
    Decoded d = Decode(Encode(auth, mode, "", 10), mode, auth, 0);
    EXPECT_TRUE(d.status.ok()) << d.status.ToString();
    EXPECT_EQ(d.data, "");
  }
}

TEST(AwsChunked, BadChunkSignatureStopsBeforeTheChunk) {
  AuthContext auth = ExampleAuth();
  std::string body = ExampleBody();
  size_t at = body.find(kChunk2Sig);
  body[at + 10] = body[at + 10] == '0' ? '1' : '0';
  Decoded d = Decode(body, ChunkedMode::kSigned, auth, kExampleLength);
  ExpectFailure(d, "SignatureDoesNotMatch");
  EXPECT_EQ(d.data, std::string(65536, 'a'));  // the first chunk only
}

TEST(AwsChunked, TamperedDataOrFinalSignature) {
  AuthContext auth = ExampleAuth();
  std::string body = ExampleBody();
  body[100] = 'b';
  Decoded d = Decode(body, ChunkedMode::kSigned, auth, kExampleLength);
  ExpectFailure(d, "SignatureDoesNotMatch");
  EXPECT_EQ(d.data, "");

  // A bad final signature withholds the last chunk: the body is checked to its end
  // before its last bytes go out.
  body = ExampleBody();
  body[body.find(kFinalSig)] = 'c';
  d = Decode(body, ChunkedMode::kSigned, auth, kExampleLength);
  ExpectFailure(d, "SignatureDoesNotMatch");
  EXPECT_EQ(d.data.size(), 65536u);

  // Another key (a different secret) signs different chunks.
  AuthContext other = auth;
  other.signing_key = DeriveSigningKey("other", "20130524", "us-east-1", "s3");
  ExpectFailure(Decode(ExampleBody(), ChunkedMode::kSigned, other, kExampleLength),
                "SignatureDoesNotMatch");
}

TEST(AwsChunked, TruncatedBody) {
  AuthContext auth = ExampleAuth();
  std::string body = ExampleBody();
  std::vector<size_t> cuts;
  for (size_t i = 0; i < 120; ++i) cuts.push_back(i);
  for (size_t i = body.size() - 200; i < body.size(); ++i) cuts.push_back(i);
  for (size_t i = 65600; i < 65720; ++i) cuts.push_back(i);  // around the second header
  for (size_t i = 120; i < body.size(); i += 4099) cuts.push_back(i);
  for (size_t cut : cuts) {
    Decoded d = Decode(body.substr(0, cut), ChunkedMode::kSigned, auth, kExampleLength);
    ExpectFailure(d, "IncompleteBody");
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "cut at " << cut;
      return;
    }
  }
}

TEST(AwsChunked, WrongDecodedLength) {
  AuthContext auth = ExampleAuth();
  for (uint64_t length : {kExampleLength - 1, kExampleLength + 1, uint64_t{0}, uint64_t{65536}})
    ExpectFailure(Decode(ExampleBody(), ChunkedMode::kSigned, auth, length), "IncompleteBody");
}

TEST(AwsChunked, OversizeChunk) {
  AuthContext auth = ExampleAuth();
  Decoded d = Decode(ExampleBody(), ChunkedMode::kSigned, auth, kExampleLength, 65535);
  ExpectFailure(d, "InvalidRequest");
  EXPECT_EQ(d.data, "");
  // A size no buffer could hold is refused before anything is allocated.
  std::string huge = "ffffffffffffffff;chunk-signature=" + std::string(64, '0') + "\r\n";
  ExpectFailure(Decode(huge, ChunkedMode::kSigned, auth, kExampleLength), "InvalidRequest");
}

TEST(AwsChunked, MalformedFraming) {
  AuthContext auth = ExampleAuth();
  const std::string sig(64, '0');
  auto bad = [&](const std::string& body, ChunkedMode mode = ChunkedMode::kSigned) {
    ExpectFailure(Decode(body, mode, auth, 4), "InvalidRequest");
  };
  bad("4\r\nabcd\r\n");                                // no chunk-signature
  bad("4;chunk-signature=" + sig.substr(1) + "\r\n");  // short signature
  bad("4;chunk-signature=" + std::string(64, 'g') + "\r\n");
  bad("x4;chunk-signature=" + sig + "\r\n");                   // not hex
  bad(";chunk-signature=" + sig + "\r\n");                     // no size
  bad("4;chunk-signature=" + sig + "\n");                      // LF only
  bad(std::string(10000, '1'));                                // an endless header line
  bad("4\r\nabcdXY0\r\n\r\n", ChunkedMode::kUnsignedTrailer);  // data not followed by CRLF
  // Bytes after the end.
  AuthContext none;
  std::string body = Encode(none, ChunkedMode::kUnsignedTrailer, "abcd", 3) + "junk\r\n";
  bad(body, ChunkedMode::kUnsignedTrailer);
  std::string signed_body = Encode(auth, ChunkedMode::kSigned, "abcd", 3);
  bad(signed_body + "x");
  signed_body.insert(signed_body.size() - 2, "zz");
  bad(signed_body);
}

TEST(AwsChunked, SignedTrailer) {
  AuthContext auth = ExampleAuth();
  std::string data(100000, 'x');
  std::vector<std::pair<std::string, std::string>> crc = {{"x-amz-checksum-crc32", "sOO8/Q=="}};
  std::string body = Encode(auth, ChunkedMode::kSignedTrailer, data, 65536, crc);
  Decoded d = Decode(body, ChunkedMode::kSignedTrailer, auth, data.size());
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ(d.data, data);

  // "name:value\n\r\n" lines, as some SDKs write them, sign the same canonical trailer.
  body = Encode(auth, ChunkedMode::kSignedTrailer, data, 65536, crc, "\n\r\n");
  EXPECT_TRUE(Decode(body, ChunkedMode::kSignedTrailer, auth, data.size()).status.ok());

  // A changed trailer value breaks the trailer signature.
  body = Encode(auth, ChunkedMode::kSignedTrailer, data, 65536, crc);
  body.replace(body.find("sOO8/Q=="), 8, "AAAAAA==");
  ExpectFailure(Decode(body, ChunkedMode::kSignedTrailer, auth, data.size()),
                "SignatureDoesNotMatch");

  // No trailer signature at all.
  body = Encode(auth, ChunkedMode::kSignedTrailer, data, 65536, crc);
  body.erase(body.find("x-amz-trailer-signature"));
  ExpectFailure(Decode(body, ChunkedMode::kSignedTrailer, auth, data.size()),
                "SignatureDoesNotMatch");

  // Several trailers, signed in name order.
  std::vector<std::pair<std::string, std::string>> two = {
      {"x-amz-checksum-crc32c", "sOO8/Q=="},
      {"x-amz-checksum-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}};
  body = Encode(auth, ChunkedMode::kSignedTrailer, "abc", 2, two);
  EXPECT_TRUE(Decode(body, ChunkedMode::kSignedTrailer, auth, 3).status.ok());
}

TEST(AwsChunked, UnsignedTrailer) {
  AuthContext none;  // no signatures in this mode: the auth context is not used
  std::string data = "hello, world";
  std::vector<std::pair<std::string, std::string>> crc = {{"x-amz-checksum-crc32", "/6OeQQ=="}};
  for (size_t chunk : {size_t{1}, size_t{5}, size_t{100}}) {
    std::string body = Encode(none, ChunkedMode::kUnsignedTrailer, data, chunk, crc);
    for (size_t step : {size_t{1}, size_t{3}, size_t{4096}}) {
      Decoded d = Decode(body, ChunkedMode::kUnsignedTrailer, none, data.size(), 1 << 20, step);
      ASSERT_TRUE(d.status.ok()) << d.status.ToString();
      EXPECT_EQ(d.data, data);
    }
  }
  // Chunk extensions are ignored, and so is a missing last blank line.
  std::string body = "5;ext=1\r\nhello\r\n0\r\nx-amz-checksum-crc32:/6OeQQ==\r\n";
  EXPECT_TRUE(Decode(body, ChunkedMode::kUnsignedTrailer, none, 5).status.ok());

  auto bad = [&](const std::string& name, const std::string& value) {
    std::string b = Encode(none, ChunkedMode::kUnsignedTrailer, data, 5, {{name, value}});
    ExpectFailure(Decode(b, ChunkedMode::kUnsignedTrailer, none, data.size()), "InvalidRequest");
  };
  bad("x-amz-checksum-crc32", "/6OeQQ=");    // not base64
  bad("x-amz-checksum-crc32", "/6OeQQAA");   // six bytes, not four
  bad("x-amz-checksum-sha256", "/6OeQQ==");  // four bytes, not 32
  bad("x-amz-checksum-md17", "/6OeQQ==");    // unknown algorithm
  bad("bad name", "x");
  std::string b = Encode(none, ChunkedMode::kUnsignedTrailer, data, 5);
  b.insert(b.size() - 2, "no-colon\r\n");
  ExpectFailure(Decode(b, ChunkedMode::kUnsignedTrailer, none, data.size()), "InvalidRequest");
}

// Bounded memory: a long body streams through in chunk-sized steps.
class PatternSource : public ByteSource {
 public:
  PatternSource(const AuthContext& auth, size_t chunks, size_t chunk_size)
      : auth_(auth), left_(chunks), chunk_(chunk_size, 'q'), prev_(auth.seed_signature) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ == pending_.size()) {
      if (finished_) return size_t{0};
      pending_ = Next();
      pos_ = 0;
    }
    size_t k = std::min(n, pending_.size() - pos_);
    std::memcpy(buf, pending_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string Next() {
    std::string_view piece = left_ > 0 ? std::string_view(chunk_) : std::string_view();
    prev_ = Hex(HmacSha256(auth_.signing_key, "AWS4-HMAC-SHA256-PAYLOAD\n" + auth_.amz_date + "\n" +
                                                  auth_.scope + "\n" + prev_ + "\n" + kEmptySha +
                                                  "\n" + Sha256Hex(piece)));
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%zx", piece.size());
    std::string out = std::string(hex) + ";chunk-signature=" + prev_ + "\r\n";
    out.append(piece);
    out += "\r\n";
    if (left_ == 0)
      finished_ = true;
    else
      --left_;
    return out;
  }

  AuthContext auth_;
  size_t left_;
  std::string chunk_, prev_, pending_;
  size_t pos_ = 0;
  bool finished_ = false;
};

TEST(AwsChunked, LongBodyStreams) {
  AuthContext auth = ExampleAuth();
  const size_t chunks = 64, chunk_size = 256 << 10;  // 16 MiB through a 256 KiB limit
  PatternSource raw(auth, chunks, chunk_size);
  AwsChunkedSource src(raw, ChunkedMode::kSigned, auth, uint64_t{chunks} * chunk_size, chunk_size);
  std::string buf(1 << 16, '\0');
  uint64_t total = 0;
  while (true) {
    Result<size_t> r = src.Read(buf.data(), buf.size());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (*r == 0) break;
    ASSERT_EQ(buf[0], 'q');
    total += *r;
  }
  EXPECT_EQ(total, uint64_t{chunks} * chunk_size);
}

}  // namespace
}  // namespace ccow::s3
