// Content hashing. Every id in ccow (CHID, NHID) is a HashId: the algorithm tag travels
// with the digest, so stores holding several algorithms never confuse them and a reader
// always knows how to verify what it read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ccow {

// Tag values are part of the on-disk and wire format (docs/FORMAT.md): never renumber.
enum class HashAlgo : uint8_t {
  kSha256 = 1,      // default; OpenSSL, uses SHA-NI where the CPU has it
  kSha3_256 = 2,    // the original NexentaEdge choice
  kSha3_512 = 3,
  kBlake2b256 = 4,  // libsodium crypto_generichash with a 32-byte output
  kXxh3_128 = 5,    // non-cryptographic: only for deployments that trust every client
};

// Digest length in bytes for an algorithm (0 for an unknown tag).
size_t DigestSize(HashAlgo algo);
const char* HashAlgoName(HashAlgo algo);  // "sha256", "sha3-256", ...
Result<HashAlgo> ParseHashAlgo(std::string_view name);
bool IsKnownHashAlgo(uint8_t tag);

// An algorithm-tagged digest. Ordered and hashable so it can key maps.
class HashId {
 public:
  static constexpr size_t kMaxDigest = 64;

  HashId() = default;
  HashId(HashAlgo algo, const uint8_t* digest);

  HashAlgo algo() const { return algo_; }
  size_t size() const { return DigestSize(algo_); }
  const uint8_t* digest() const { return digest_.data(); }
  bool empty() const { return size() == 0; }

  // "sha256:9f86d0..." (algorithm name, colon, lowercase hex).
  std::string ToString() const;
  static Result<HashId> Parse(std::string_view text);

  // Binary key form: tag byte followed by the digest. Used as the store's index key.
  std::string ToKey() const;
  static Result<HashId> FromKey(std::string_view key);

  // First 8 digest bytes as an integer; used for placement and hash tables.
  uint64_t Prefix64() const;

  friend bool operator==(const HashId& a, const HashId& b);
  friend bool operator<(const HashId& a, const HashId& b);
  friend bool operator!=(const HashId& a, const HashId& b) { return !(a == b); }

 private:
  HashAlgo algo_ = static_cast<HashAlgo>(0);
  std::array<uint8_t, kMaxDigest> digest_{};
};

struct HashIdHasher {
  size_t operator()(const HashId& id) const { return static_cast<size_t>(id.Prefix64()); }
};

// Incremental hasher; one per thread, reusable after Final().
class Hasher {
 public:
  static std::unique_ptr<Hasher> Create(HashAlgo algo);
  virtual ~Hasher() = default;
  virtual void Update(const void* data, size_t n) = 0;
  virtual HashId Final() = 0;  // also resets for the next use
  HashAlgo algo() const { return algo_; }

 protected:
  explicit Hasher(HashAlgo algo) : algo_(algo) {}
  HashAlgo algo_;
};

// One-shot hash of a buffer.
HashId HashBytes(HashAlgo algo, const void* data, size_t n);
inline HashId HashBytes(HashAlgo algo, std::string_view s) {
  return HashBytes(algo, s.data(), s.size());
}

// Streaming MD5, used only for S3-compatible ETags (never for identity).
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(const void* data, size_t n);
  std::string HexFinal();  // lowercase hex, resets

 private:
  void* ctx_;
};

std::string ToHex(const void* data, size_t n);
Result<std::string> FromHex(std::string_view hex);

}  // namespace ccow
