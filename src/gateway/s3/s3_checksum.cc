#include "gateway/s3/s3_checksum.h"

#include <isa-l/crc.h>
#include <openssl/evp.h>

#include <boost/crc.hpp>
#include <cctype>

#include "core/check.h"
#include "gateway/s3/s3_xml.h"

namespace ccow::s3 {
namespace {

struct Named {
  ChecksumAlgo algo;
  const char* name;
};
constexpr Named kNames[] = {{ChecksumAlgo::kCrc32, "CRC32"},
                            {ChecksumAlgo::kCrc32c, "CRC32C"},
                            {ChecksumAlgo::kCrc64Nvme, "CRC64NVME"},
                            {ChecksumAlgo::kSha1, "SHA1"},
                            {ChecksumAlgo::kSha256, "SHA256"}};

std::string BigEndian(uint64_t v, int bytes) {
  std::string out(bytes, '\0');
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

// ISA-L's CRC32 (crc32_gzip_refl: the zlib/IEEE CRC, pre- and post-inverted inside).
class Crc32 final : public Checksummer {
 public:
  Crc32() : Checksummer(ChecksumAlgo::kCrc32) {}
  void Update(const void* data, size_t n) override {
    crc_ = crc32_gzip_refl(crc_, static_cast<const unsigned char*>(data), n);
  }
  std::string Final() override { return BigEndian(crc_, 4); }

 private:
  uint32_t crc_ = 0;
};

// ISA-L's CRC32C (crc32_iscsi takes and returns the raw register: invert around it).
class Crc32c final : public Checksummer {
 public:
  Crc32c() : Checksummer(ChecksumAlgo::kCrc32c) {}
  void Update(const void* data, size_t n) override {
    reg_ = crc32_iscsi(static_cast<unsigned char*>(const_cast<void*>(data)), static_cast<int>(n), reg_);
  }
  std::string Final() override { return BigEndian(~reg_, 4); }

 private:
  uint32_t reg_ = 0xffffffffu;
};

// CRC-64/NVME (polynomial 0xad93d23594c93659, reflected, inverted) from Boost.CRC.
class Crc64Nvme final : public Checksummer {
 public:
  Crc64Nvme() : Checksummer(ChecksumAlgo::kCrc64Nvme) {}
  void Update(const void* data, size_t n) override { crc_.process_bytes(data, n); }
  std::string Final() override { return BigEndian(crc_.checksum(), 8); }

 private:
  boost::crc_optimal<64, 0xad93d23594c93659ull, ~0ull, ~0ull, true, true> crc_;
};

class Sha final : public Checksummer {
 public:
  explicit Sha(ChecksumAlgo algo) : Checksummer(algo), ctx_(EVP_MD_CTX_new()) {
    CCOW_CHECK(ctx_ != nullptr);
    CCOW_CHECK(EVP_DigestInit_ex(ctx_, algo == ChecksumAlgo::kSha1 ? EVP_sha1() : EVP_sha256(), nullptr) == 1);
  }
  ~Sha() override { EVP_MD_CTX_free(ctx_); }
  void Update(const void* data, size_t n) override { CCOW_CHECK(EVP_DigestUpdate(ctx_, data, n) == 1); }
  std::string Final() override {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    CCOW_CHECK(EVP_DigestFinal_ex(ctx_, out, &len) == 1);
    return std::string(reinterpret_cast<char*>(out), len);
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

ChecksumAlgo ChecksumAlgoFromName(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& n : kNames)
    if (upper == n.name) return n.algo;
  return ChecksumAlgo::kNone;
}

ChecksumAlgo ChecksumAlgoFromHeader(std::string_view header) {
  constexpr std::string_view kPrefix = "x-amz-checksum-";
  if (!header.starts_with(kPrefix)) return ChecksumAlgo::kNone;
  return ChecksumAlgoFromName(header.substr(kPrefix.size()));
}

const char* ChecksumName(ChecksumAlgo algo) {
  for (const auto& n : kNames)
    if (n.algo == algo) return n.name;
  return "NONE";
}

std::string ChecksumHeader(ChecksumAlgo algo) {
  std::string h = std::string("x-amz-checksum-") + ChecksumName(algo);
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

std::string ChecksumValue(const ObjectChecksum& c) {
  std::string v = Base64Encode(c.digest);
  if (c.composite) v += "-" + std::to_string(c.parts);
  return v;
}

std::unique_ptr<Checksummer> Checksummer::Create(ChecksumAlgo algo) {
  switch (algo) {
    case ChecksumAlgo::kCrc32: return std::make_unique<Crc32>();
    case ChecksumAlgo::kCrc32c: return std::make_unique<Crc32c>();
    case ChecksumAlgo::kCrc64Nvme: return std::make_unique<Crc64Nvme>();
    case ChecksumAlgo::kSha1:
    case ChecksumAlgo::kSha256: return std::make_unique<Sha>(algo);
    case ChecksumAlgo::kNone: return nullptr;
  }
  return nullptr;
}

void WriteChecksumElements(const ObjectChecksum& c, bool with_type, XmlWriter& w) {
  if (c.empty()) return;
  w.Element(std::string("Checksum") + ChecksumName(c.algo), ChecksumValue(c));
  if (with_type) w.Element("ChecksumType", c.composite ? "COMPOSITE" : "FULL_OBJECT");
}

Result<RequestedChecksum> ChecksumFromHeaders(const http::HttpRequest& req) {
  RequestedChecksum out;
  auto invalid = [](const std::string& why) { return Status::InvalidArgument("InvalidRequest: " + why); };
  auto take = [&](ChecksumAlgo algo) -> Status {
    if (out.algo != ChecksumAlgo::kNone && out.algo != algo)
      return invalid("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
    out.algo = algo;
    return Status::OK();
  };
  for (const auto& [name, value] : req.headers) {
    ChecksumAlgo algo = ChecksumAlgoFromHeader(name);
    if (algo == ChecksumAlgo::kNone) continue;
    CCOW_RETURN_IF_ERROR(take(algo));
    auto raw = Base64Decode(value);
    if (!raw || raw->size() != ObjectChecksum::DigestSize(algo))
      return invalid("Value for " + name + " header is invalid.");
    out.expected = *raw;
  }
  if (const std::string* trailer = req.Header("x-amz-trailer")) {
    std::string t = *trailer;
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!t.empty() && t.back() == ' ') t.pop_back();
    while (!t.empty() && t.front() == ' ') t.erase(t.begin());
    ChecksumAlgo algo = ChecksumAlgoFromHeader(t);
    if (algo == ChecksumAlgo::kNone) return invalid("The value specified in the x-amz-trailer header is not supported");
    if (out.algo != ChecksumAlgo::kNone)
      return invalid("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
    out.algo = algo;
    out.in_trailer = true;
  }
  if (const std::string* sdk = req.Header("x-amz-sdk-checksum-algorithm")) {
    ChecksumAlgo algo = ChecksumAlgoFromName(*sdk);
    if (algo == ChecksumAlgo::kNone) return invalid("Value for x-amz-sdk-checksum-algorithm header is invalid.");
    if (out.algo == ChecksumAlgo::kNone)
      return invalid("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or "
                     "x-amz-trailer headers were found.");
    if (out.algo != algo) return invalid("Value for x-amz-sdk-checksum-algorithm header is invalid.");
  }
  return out;
}

namespace {

// A GF(2) matrix (one 64-bit column per bit of the CRC register) times a vector.
uint64_t Gf2Times(const uint64_t* mat, uint64_t vec) {
  uint64_t sum = 0;
  for (int i = 0; vec; vec >>= 1, ++i)
    if (vec & 1) sum ^= mat[i];
  return sum;
}

void Gf2Square(uint64_t* square, const uint64_t* mat, int width) {
  for (int n = 0; n < width; ++n) square[n] = Gf2Times(mat, mat[n]);
}

// crc1 advanced over len2 zero bytes, then xored with crc2: the CRC of the concatenation
// for a reflected CRC whose initial value and final xor are equal (all three S3 CRCs).
uint64_t Combine(uint64_t crc1, uint64_t crc2, uint64_t len2, uint64_t reflected_poly, int width) {
  if (len2 == 0) return crc1;
  uint64_t even[64], odd[64];
  odd[0] = reflected_poly;  // the operator for one zero bit
  uint64_t row = 1;
  for (int n = 1; n < width; ++n, row <<= 1) odd[n] = row;
  Gf2Square(even, odd, width);  // two zero bits
  Gf2Square(odd, even, width);  // four
  do {  // apply len2 zero bytes, squaring the operator each step
    Gf2Square(even, odd, width);
    if (len2 & 1) crc1 = Gf2Times(even, crc1);
    len2 >>= 1;
    if (len2 == 0) break;
    Gf2Square(odd, even, width);
    if (len2 & 1) crc1 = Gf2Times(odd, crc1);
    len2 >>= 1;
  } while (len2 != 0);
  return crc1 ^ crc2;
}

uint64_t FromBigEndian(const std::string& d) {
  uint64_t v = 0;
  for (unsigned char c : d) v = (v << 8) | c;
  return v;
}

std::string ToBigEndian(uint64_t v, size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[n - 1 - i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

}  // namespace

Result<std::string> CombineCrc(ChecksumAlgo algo, const std::string& crc_a, const std::string& crc_b,
                               uint64_t length_b) {
  uint64_t poly = 0;
  int width = 0;
  switch (algo) {
    case ChecksumAlgo::kCrc32: poly = 0xEDB88320u, width = 32; break;
    case ChecksumAlgo::kCrc32c: poly = 0x82F63B78u, width = 32; break;
    case ChecksumAlgo::kCrc64Nvme: poly = 0x9A6C9329AC4BC9B5ull, width = 64; break;
    default: return Status::InvalidArgument("only CRCs combine");
  }
  const size_t bytes = static_cast<size_t>(width / 8);
  if (crc_a.size() != bytes || crc_b.size() != bytes) return Status::InvalidArgument("a CRC digest of the wrong size");
  return ToBigEndian(Combine(FromBigEndian(crc_a), FromBigEndian(crc_b), length_b, poly, width), bytes);
}

void AddChecksumHeaders(const ObjectChecksum& c, http::HeaderList* h) {
  if (c.empty()) return;
  h->emplace_back(ChecksumHeader(c.algo), ChecksumValue(c));
  h->emplace_back("x-amz-checksum-type", c.composite ? "COMPOSITE" : "FULL_OBJECT");
}

void CommitChecksum(std::shared_ptr<Checksummer> sum, ObjectChecksum fixed, PutOptions* opts) {
  auto before = std::move(opts->before_commit);
  opts->before_commit = [before, sum, fixed](VersionManifest& vm) -> Status {
    if (before) CCOW_RETURN_IF_ERROR(before(vm));
    vm.checksum = sum ? ObjectChecksum{sum->algo(), false, 0, sum->Final()} : fixed;
    return Status::OK();
  };
}

Result<size_t> ChecksumSource::Read(char* buf, size_t n) {
  auto r = inner_->Read(buf, n);
  if (r.ok() && *r > 0) sum_->Update(buf, *r);
  return r;
}

}  // namespace ccow::s3
