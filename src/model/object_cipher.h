// How an encrypted object's bytes and its data key are sealed (docs/FORMAT.md "Sealed
// payload" and "Object encryption"): server-side encryption (S3 SSE-S3 and SSE-C) works
// at the chunk level, below content addressing, so every chunk is stored, replicated,
// erasure coded, scrubbed and shipped between sites as ciphertext named by the hash of
// that ciphertext, and nothing under the object API needs a key.
//
// A payload chunk (and an inline payload) of an encrypted object is sealed:
//   u8 1 (AES-256-GCM) | 12-byte nonce | ciphertext | 16-byte tag     (kOverhead = 29)
// with the format byte as associated data. Chunk references keep plaintext offsets and
// lengths: a range read still descends only into the chunks it needs.
//
// Two kinds of data key:
// - random (32 bytes, one per object or multipart upload): random nonces; two objects
//   with equal bytes have unequal chunks, so they do not deduplicate;
// - convergent (64 bytes: encryption key || nonce key, one per tenant, derived from the
//   master key): the nonce is HMAC(nonce key, plaintext), so equal plaintext chunks seal to
//   equal ciphertext and deduplicate within the tenant. What it gives up: an observer of
//   the store learns which chunks are equal (as dedup itself does), nothing more without
//   the key. A nonce repeats only for the same plaintext, which GCM tolerates.
//
// The data key is kept in the version manifest wrapped (AES-256-GCM, random nonce) by a
// key-encryption key: the segment's master key (SSE-S3) or the client's key (SSE-C).
//
// Errors: Open/UnwrapDataKey answer kCorruption when the tag does not verify (altered
// bytes or the wrong key). Thread-safe: a ChunkCipher is immutable after Create.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "model/version_manifest.h"

namespace ccow {

class ChunkCipher {
 public:
  static constexpr uint8_t kAesGcm = 1;
  static constexpr size_t kOverhead = 1 + 12 + 16;
  static constexpr size_t kRandomKeySize = 32;
  static constexpr size_t kConvergentKeySize = 64;

  // key: kRandomKeySize or kConvergentKeySize bytes (kInvalidArgument otherwise).
  static Result<ChunkCipher> Create(std::string_view key);
  // A new random data key.
  static std::string NewRandomKey();
  // The convergent data key of one scope (a tenant, "SEGMENT/TENANT") under a master key:
  // the same for every object of the scope, so that their equal chunks deduplicate.
  static std::string ConvergentKey(std::string_view master_key, std::string_view scope);

  bool convergent() const { return !nonce_key_.empty(); }
  // A digest of `data` only the key's holder can compute (HMAC-SHA256 under a key derived
  // from the data key): an SSE-C version's ETag, which must not be the MD5 of its bytes
  // (whoever holds the store could confirm a guess of the content from it).
  std::string KeyedDigest(std::string_view data) const;
  std::string Seal(std::string_view plaintext) const;
  Status Open(std::string_view sealed, std::string* plaintext) const;

 private:
  std::string key_, nonce_key_;
};

// The data key of an encrypted version: what its manifest records (the key wrapped), and
// the cipher the key makes.
struct ObjectKey {
  ObjectEncryption record;
  std::shared_ptr<const ChunkCipher> cipher;
};

// Unwraps the data key of an encrypted version from its manifest's record. The caller
// holds the key-encryption keys: the segment's master keys (the registry's key ring) for
// SSE-S3, the request's key for SSE-C. kCorruption when the key does not open the record
// (altered, or not the key that sealed it).
using KeyResolver = std::function<Result<std::shared_ptr<const ChunkCipher>>(const ObjectEncryption&)>;

// A resolver for a caller that opened the version's key itself, before reading (a request
// checks its SSE-C key up front to answer 403 before any byte): it returns *cipher as it
// is when the read asks (kInternal if still null). cipher must outlive the resolver.
KeyResolver OpenedKey(const std::shared_ptr<const ChunkCipher>* cipher);

// The data key wrapped by a 32-byte key-encryption key: 12-byte nonce | sealed key | tag.
std::string WrapDataKey(std::string_view kek, std::string_view data_key);
Result<std::string> UnwrapDataKey(std::string_view kek, std::string_view wrapped);

}  // namespace ccow
