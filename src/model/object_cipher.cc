#include "model/object_cipher.h"

#include "core/aes_gcm.h"
#include "core/check.h"

namespace ccow {
namespace {

constexpr std::string_view kWrapAad = "ccow data key v1";
constexpr std::string_view kConvergentInfo = "ccow convergent chunk key v1";

}  // namespace

Result<ChunkCipher> ChunkCipher::Create(std::string_view key) {
  ChunkCipher c;
  if (key.size() == kRandomKeySize) {
    c.key_ = std::string(key);
  } else if (key.size() == kConvergentKeySize) {
    c.key_ = std::string(key.substr(0, 32));
    c.nonce_key_ = std::string(key.substr(32));
  } else {
    return Status::InvalidArgument("a data key is 32 or 64 bytes, not " + std::to_string(key.size()));
  }
  return c;
}

std::string ChunkCipher::NewRandomKey() { return RandomBytes(kRandomKeySize); }

std::string ChunkCipher::ConvergentKey(std::string_view master_key, std::string_view scope) {
  // HKDF-expand style with HMAC-SHA256 (the master key is already uniformly random, so
  // no extract step): two blocks, one key each, bound to the scope.
  std::string info = std::string(kConvergentInfo) + '\0' + std::string(scope);
  std::string a = HmacSha256(master_key, info + '\x01');
  std::string b = HmacSha256(master_key, a + info + '\x02');
  return a + b;
}

std::string ChunkCipher::KeyedDigest(std::string_view data) const {
  return HmacSha256(HmacSha256(key_, "ccow keyed digest v1"), data);
}

std::string ChunkCipher::Seal(std::string_view plaintext) const {
  std::string nonce = convergent() ? HmacSha256(nonce_key_, plaintext).substr(0, kGcmNonceSize)
                                   : RandomBytes(kGcmNonceSize);
  std::string out;
  out.reserve(kOverhead + plaintext.size());
  const char format = static_cast<char>(kAesGcm);
  out.push_back(format);
  out += nonce;
  AesGcmSeal(key_, nonce, std::string_view(&format, 1), plaintext, &out);
  CCOW_CHECK(out.size() == plaintext.size() + kOverhead);
  return out;
}

Status ChunkCipher::Open(std::string_view sealed, std::string* plaintext) const {
  if (sealed.size() < kOverhead) return Status::Corruption("sealed chunk shorter than its header and tag");
  if (static_cast<uint8_t>(sealed[0]) != kAesGcm)
    return Status::Corruption("sealed chunk of unknown cipher " + std::to_string(static_cast<uint8_t>(sealed[0])));
  return AesGcmOpen(key_, sealed.substr(1, kGcmNonceSize), sealed.substr(0, 1), sealed.substr(1 + kGcmNonceSize),
                    plaintext);
}

KeyResolver OpenedKey(const std::shared_ptr<const ChunkCipher>* cipher) {
  return [cipher](const ObjectEncryption&) -> Result<std::shared_ptr<const ChunkCipher>> {
    if (!*cipher) return Status::Internal("an encrypted version read before its key was opened");
    return *cipher;
  };
}

std::string WrapDataKey(std::string_view kek, std::string_view data_key) {
  const std::string nonce = RandomBytes(kGcmNonceSize);
  std::string out = nonce;
  AesGcmSeal(kek, nonce, kWrapAad, data_key, &out);
  return out;
}

Result<std::string> UnwrapDataKey(std::string_view kek, std::string_view wrapped) {
  if (kek.size() != kAesKeySize) return Status::InvalidArgument("a key-encryption key is 32 bytes");
  if (wrapped.size() < kGcmNonceSize + kGcmTagSize) return Status::Corruption("wrapped data key too short");
  std::string key;
  CCOW_RETURN_IF_ERROR(AesGcmOpen(kek, wrapped.substr(0, kGcmNonceSize), kWrapAad, wrapped.substr(kGcmNonceSize), &key));
  return key;
}

}  // namespace ccow
