#include "core/hash.h"

#include "core/check.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <xxhash.h>

#include <cstring>

namespace ccow {
namespace {

struct AlgoInfo {
  HashAlgo algo;
  const char* name;
  size_t size;
};

constexpr AlgoInfo kAlgos[] = {
    {HashAlgo::kSha256, "sha256", 32},       {HashAlgo::kSha3_256, "sha3-256", 32},
    {HashAlgo::kSha3_512, "sha3-512", 64},   {HashAlgo::kBlake2b256, "blake2b-256", 32},
    {HashAlgo::kXxh3_128, "xxh3-128", 16},
};

const AlgoInfo* Find(HashAlgo algo) {
  for (const auto& a : kAlgos)
    if (a.algo == algo) return &a;
  return nullptr;
}

// Fetching an EVP_MD is expensive in OpenSSL 3; do it once per algorithm.
const EVP_MD* FetchMd(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  CCOW_CHECK_MSG(md != nullptr, "OpenSSL lacks a required digest");
  return md;
}

const EVP_MD* EvpFor(HashAlgo algo) {
  static const EVP_MD* sha256 = FetchMd("SHA256");
  static const EVP_MD* sha3_256 = FetchMd("SHA3-256");
  static const EVP_MD* sha3_512 = FetchMd("SHA3-512");
  switch (algo) {
    case HashAlgo::kSha256: return sha256;
    case HashAlgo::kSha3_256: return sha3_256;
    case HashAlgo::kSha3_512: return sha3_512;
    default: return nullptr;
  }
}

class EvpHasher final : public Hasher {
 public:
  explicit EvpHasher(HashAlgo algo) : Hasher(algo), md_(EvpFor(algo)), ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_, md_, nullptr);
  }
  ~EvpHasher() override { EVP_MD_CTX_free(ctx_); }
  void Update(const void* data, size_t n) override { EVP_DigestUpdate(ctx_, data, n); }
  HashId Final() override {
    uint8_t out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    EVP_DigestInit_ex(ctx_, md_, nullptr);
    return HashId(algo_, out);
  }

 private:
  const EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

class Blake2bHasher final : public Hasher {
 public:
  Blake2bHasher() : Hasher(HashAlgo::kBlake2b256) { Reset(); }
  void Update(const void* data, size_t n) override {
    crypto_generichash_update(&state_, static_cast<const unsigned char*>(data), n);
  }
  HashId Final() override {
    uint8_t out[32];
    crypto_generichash_final(&state_, out, sizeof(out));
    Reset();
    return HashId(algo_, out);
  }

 private:
  void Reset() { crypto_generichash_init(&state_, nullptr, 0, 32); }
  crypto_generichash_state state_;
};

class Xxh3Hasher final : public Hasher {
 public:
  Xxh3Hasher() : Hasher(HashAlgo::kXxh3_128), state_(XXH3_createState()) {
    XXH3_128bits_reset(state_);
  }
  ~Xxh3Hasher() override { XXH3_freeState(state_); }
  void Update(const void* data, size_t n) override { XXH3_128bits_update(state_, data, n); }
  HashId Final() override {
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(state_));
    XXH3_128bits_reset(state_);
    return HashId(algo_, canon.digest);
  }

 private:
  XXH3_state_t* state_;
};

int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

size_t DigestSize(HashAlgo algo) {
  const AlgoInfo* a = Find(algo);
  return a ? a->size : 0;
}

const char* HashAlgoName(HashAlgo algo) {
  const AlgoInfo* a = Find(algo);
  return a ? a->name : "unknown";
}

bool IsKnownHashAlgo(uint8_t tag) { return Find(static_cast<HashAlgo>(tag)) != nullptr; }

Result<HashAlgo> ParseHashAlgo(std::string_view name) {
  for (const auto& a : kAlgos)
    if (name == a.name) return a.algo;
  if (name == "blake2b") return HashAlgo::kBlake2b256;
  if (name == "xxh3") return HashAlgo::kXxh3_128;
  return Status::InvalidArgument("unknown hash algorithm '" + std::string(name) +
                                 "' (choose sha256, sha3-256, sha3-512, blake2b-256, xxh3-128)");
}

HashId::HashId(HashAlgo algo, const uint8_t* digest) : algo_(algo) {
  std::memcpy(digest_.data(), digest, DigestSize(algo));
}

std::string HashId::ToString() const {
  return std::string(HashAlgoName(algo_)) + ":" + ToHex(digest_.data(), size());
}

Result<HashId> HashId::Parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return Status::InvalidArgument("hash id '" + std::string(text) + "' lacks 'algorithm:'");
  auto algo = ParseHashAlgo(text.substr(0, colon));
  if (!algo.ok()) return algo.status();
  auto bytes = FromHex(text.substr(colon + 1));
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != DigestSize(*algo))
    return Status::InvalidArgument("hash id '" + std::string(text) + "' has the wrong length");
  return HashId(*algo, reinterpret_cast<const uint8_t*>(bytes->data()));
}

std::string HashId::ToKey() const {
  std::string key(1 + size(), '\0');
  key[0] = static_cast<char>(algo_);
  std::memcpy(key.data() + 1, digest_.data(), size());
  return key;
}

Result<HashId> HashId::FromKey(std::string_view key) {
  if (key.empty() || !IsKnownHashAlgo(static_cast<uint8_t>(key[0])))
    return Status::Corruption("hash id with unknown algorithm tag");
  auto algo = static_cast<HashAlgo>(key[0]);
  if (key.size() != 1 + DigestSize(algo))
    return Status::Corruption("hash id of the wrong length for " +
                              std::string(HashAlgoName(algo)));
  return HashId(algo, reinterpret_cast<const uint8_t*>(key.data() + 1));
}

uint64_t HashId::Prefix64() const {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | digest_[i];
  return v;
}

bool operator==(const HashId& a, const HashId& b) {
  return a.algo_ == b.algo_ && std::memcmp(a.digest_.data(), b.digest_.data(), a.size()) == 0;
}

bool operator<(const HashId& a, const HashId& b) {
  if (a.algo_ != b.algo_) return a.algo_ < b.algo_;
  return std::memcmp(a.digest_.data(), b.digest_.data(), a.size()) < 0;
}

std::unique_ptr<Hasher> Hasher::Create(HashAlgo algo) {
  switch (algo) {
    case HashAlgo::kSha256:
    case HashAlgo::kSha3_256:
    case HashAlgo::kSha3_512: return std::make_unique<EvpHasher>(algo);
    case HashAlgo::kBlake2b256: return std::make_unique<Blake2bHasher>();
    case HashAlgo::kXxh3_128: return std::make_unique<Xxh3Hasher>();
  }
  return nullptr;
}

HashId HashBytes(HashAlgo algo, const void* data, size_t n) {
  switch (algo) {
    case HashAlgo::kSha256:
    case HashAlgo::kSha3_256:
    case HashAlgo::kSha3_512: {
      uint8_t out[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_Digest(data, n, out, &len, EvpFor(algo), nullptr);
      return HashId(algo, out);
    }
    case HashAlgo::kBlake2b256: {
      uint8_t out[32];
      crypto_generichash(out, sizeof(out), static_cast<const unsigned char*>(data), n, nullptr,
                         0);
      return HashId(algo, out);
    }
    case HashAlgo::kXxh3_128: {
      XXH128_canonical_t canon;
      XXH128_canonicalFromHash(&canon, XXH3_128bits(data, n));
      return HashId(algo, canon.digest);
    }
  }
  return HashId();
}

Md5::Md5() : ctx_(EVP_MD_CTX_new()) {
  static const EVP_MD* md5 = FetchMd("MD5");
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), md5, nullptr);
}

Md5::~Md5() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Md5::Update(const void* data, size_t n) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, n);
}

std::string Md5::HexFinal() {
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  uint8_t out[16];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_DigestInit_ex(ctx, EVP_MD_CTX_get0_md(ctx), nullptr);
  return ToHex(out, sizeof(out));
}

std::string ToHex(const void* data, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string out(2 * n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

Result<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Status::InvalidArgument("odd-length hex string");
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexNibble(hex[2 * i]), lo = HexNibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("invalid hex digit");
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

}  // namespace ccow
