#include "core/aes_gcm.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>

#include "core/check.h"

namespace ccow {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// Fetched once: EVP_aes_256_gcm() per call would look the implementation up each time.
const EVP_CIPHER* Gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  CCOW_CHECK(cipher != nullptr);
  return cipher;
}

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

void AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad,
                std::string_view plaintext, std::string* out) {
  CCOW_CHECK(key.size() == kAesKeySize && nonce.size() == kGcmNonceSize);
  CCOW_CHECK(plaintext.size() < (size_t{1} << 36));  // GCM's per-message bound
  Ctx ctx(EVP_CIPHER_CTX_new());
  CCOW_CHECK(ctx != nullptr);
  CCOW_CHECK(EVP_EncryptInit_ex2(ctx.get(), Gcm(), U(key), U(nonce), nullptr) == 1);
  int len = 0;
  if (!aad.empty()) CCOW_CHECK(EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1);
  const size_t base = out->size();
  out->resize(base + plaintext.size() + kGcmTagSize);
  auto* dst = reinterpret_cast<unsigned char*>(out->data() + base);
  CCOW_CHECK(EVP_EncryptUpdate(ctx.get(), dst, &len, U(plaintext), static_cast<int>(plaintext.size())) == 1);
  int fin = 0;
  CCOW_CHECK(EVP_EncryptFinal_ex(ctx.get(), dst + len, &fin) == 1);
  CCOW_CHECK(static_cast<size_t>(len + fin) == plaintext.size());
  CCOW_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, dst + plaintext.size()) == 1);
}

Status AesGcmOpen(std::string_view key, std::string_view nonce, std::string_view aad,
                  std::string_view sealed, std::string* out) {
  CCOW_CHECK(key.size() == kAesKeySize && nonce.size() == kGcmNonceSize);
  if (sealed.size() < kGcmTagSize) return Status::Corruption("sealed bytes shorter than a GCM tag");
  const size_t n = sealed.size() - kGcmTagSize;
  Ctx ctx(EVP_CIPHER_CTX_new());
  CCOW_CHECK(ctx != nullptr);
  CCOW_CHECK(EVP_DecryptInit_ex2(ctx.get(), Gcm(), U(key), U(nonce), nullptr) == 1);
  int len = 0;
  if (!aad.empty()) CCOW_CHECK(EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1);
  out->resize(n);
  auto* dst = reinterpret_cast<unsigned char*>(out->data());
  CCOW_CHECK(EVP_DecryptUpdate(ctx.get(), dst, &len, U(sealed), static_cast<int>(n)) == 1);
  std::string tag(sealed.substr(n));
  CCOW_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag.data()) == 1);
  int fin = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), dst + len, &fin) != 1) {
    out->clear();
    return Status::Corruption("AES-GCM tag does not verify: the bytes were altered or the key is not the one "
                              "that sealed them");
  }
  return Status::OK();
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[32];
  unsigned int len = 0;
  CCOW_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), U(data), data.size(), md, &len) != nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  CCOW_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) == 1);
  return out;
}

}  // namespace ccow
