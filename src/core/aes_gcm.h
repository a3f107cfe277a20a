// AES-256-GCM (OpenSSL EVP, AES-NI where the CPU has it) and the two primitives that go
// with it for server-side encryption: HMAC-SHA256 (synthetic nonces, key derivation) and
// random bytes from the kernel's CSPRNG.
//
// Why GCM: one pass authenticates and encrypts, so a stored chunk that was altered or
// opened with the wrong key fails loudly instead of yielding wrong bytes.
//
// Errors: AesGcmOpen answers kCorruption when the tag does not verify (the bytes were
// altered, or the key is not the one that sealed them: the two cannot be told apart).
// Thread-safe: every function is a pure function of its arguments.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ccow {

inline constexpr size_t kAesKeySize = 32;   // AES-256
inline constexpr size_t kGcmNonceSize = 12; // 96-bit nonces, GCM's native size
inline constexpr size_t kGcmTagSize = 16;

// Appends ciphertext || tag to *out. key must be 32 bytes, nonce 12 (checked: a wrong
// size is a programming error). A nonce must never repeat under one key for two
// different plaintexts.
void AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad,
                std::string_view plaintext, std::string* out);
// Opens ciphertext || tag (as AesGcmSeal wrote it) into *out (replaced).
Status AesGcmOpen(std::string_view key, std::string_view nonce, std::string_view aad,
                  std::string_view sealed, std::string* out);

std::string HmacSha256(std::string_view key, std::string_view data);
// n bytes from the kernel's CSPRNG.
std::string RandomBytes(size_t n);

}  // namespace ccow
