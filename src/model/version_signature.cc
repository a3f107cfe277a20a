#include "model/version_signature.h"

#include <sodium.h>

#include <cstdio>

#include "core/check.h"

namespace ccow {
namespace {

constexpr std::string_view kDomain{"ccow version manifest v1\0", 24};

void InitSodium() {
  static const int ok = sodium_init();  // thread-safe; >= 0 once initialised
  CCOW_CHECK(ok >= 0);
}

std::string SignedMessage(const VersionManifest& vm) {
  VersionManifest unsigned_vm = vm;
  unsigned_vm.signature.clear();
  std::string m(kDomain);
  m += unsigned_vm.Encode();
  return m;
}

std::string SiteIdHex(uint32_t site_id) {
  char id[16];
  std::snprintf(id, sizeof id, "%08x", site_id);
  return id;
}

std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

std::string SitePublicKey(std::string_view seed) {
  CCOW_CHECK(seed.size() == crypto_sign_SEEDBYTES);
  InitSodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.data()));
  sodium_memzero(sk, sizeof sk);
  return std::string(reinterpret_cast<const char*>(pk), sizeof pk);
}

std::string SiteKeyText(uint32_t site_id, std::string_view public_key) {
  return SiteIdHex(site_id) + ":" + Hex(public_key);
}

Status ParseSiteKeyText(std::string_view text, uint32_t* site_id, std::string* public_key) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("site key '" + std::string(text) + "': " + why +
                                   " (SSSSSSSS:KEY, as `ccow service show` prints it at the other site)");
  };
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() != 8 + 1 + 2 * kSitePublicKeyBytes || text[8] != ':')
    return bad("8 hex digits of site id, ':', and 64 of public key");
  uint32_t id = 0;
  for (size_t i = 0; i < 8; ++i) {
    int v = nibble(text[i]);
    if (v < 0) return bad("the site id is not hex");
    id = (id << 4) | static_cast<uint32_t>(v);
  }
  if (id == 0) return bad("site id 0 is no site");
  std::string key;
  for (size_t i = 9; i < text.size(); i += 2) {
    int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return bad("the public key is not hex");
    key += static_cast<char>((hi << 4) | lo);
  }
  *site_id = id;
  *public_key = std::move(key);
  return Status::OK();
}

void SignVersion(VersionManifest* vm, std::string_view seed) {
  CCOW_CHECK(seed.size() == crypto_sign_SEEDBYTES);
  InitSodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.data()));
  const std::string m = SignedMessage(*vm);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(m.data()), m.size(), sk);
  sodium_memzero(sk, sizeof sk);
  static_assert(crypto_sign_BYTES == VersionManifest::kSignatureBytes);
  vm->signature.assign(reinterpret_cast<const char*>(sig), sizeof sig);
}

Status VerifyVersion(const VersionManifest& vm, const TrustedSiteKeys& trusted) {
  const std::string what = "version " + std::to_string(vm.generation) + " of " + vm.name + " (site " +
                           SiteIdHex(vm.uvid.segment_id) + ")";
  if (vm.signature.empty()) return Status::PermissionDenied(what + " is not signed");
  auto key = trusted.find(vm.uvid.segment_id);
  if (key == trusted.end()) return Status::PermissionDenied(what + " is signed by a site this link does not trust");
  if (key->second.size() != crypto_sign_PUBLICKEYBYTES || vm.signature.size() != crypto_sign_BYTES)
    return Status::PermissionDenied(what + ": a key or signature of the wrong size");
  InitSodium();
  const std::string m = SignedMessage(vm);
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(vm.signature.data()),
                                  reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                                  reinterpret_cast<const unsigned char*>(key->second.data())) != 0)
    return Status::PermissionDenied(what + ": its signature does not verify (altered, or signed by another key)");
  return Status::OK();
}

}  // namespace ccow
