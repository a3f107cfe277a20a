// Signed versions (Inter-Segment Gateway, issue 14): each linked segment signs the version
// manifests it writes with its own ed25519 key (libsodium), and a site receiving versions
// over a link accepts only those signed by a site it trusts. Chunks need no signature:
// their names are their hashes, and a VM names its whole tree, so the signature of the VM
// covers every byte of the version.
//
// What is signed: the domain tag "ccow version manifest v1" and a NUL, then the VM's
// encoding with no signature (VersionManifest::Encode of a copy whose signature is empty).
// The signer is the VM's uvid.segment_id, the site id of the segment that wrote it, so a
// site's key vouches only for versions that name it.
//
// Threads: every function is pure (libsodium is initialised once, thread-safely).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"
#include "model/version_manifest.h"

namespace ccow {

// Site public keys a link trusts, by site id: 32-byte ed25519 public keys.
using TrustedSiteKeys = std::map<uint32_t, std::string>;

inline constexpr size_t kSiteKeySeedBytes = 32;
inline constexpr size_t kSitePublicKeyBytes = 32;

// The public key of the key pair a 32-byte seed (the registry's InitSiteKey) derives.
// Fails the assertion on a seed of another size.
std::string SitePublicKey(std::string_view seed);

// "SSSSSSSS:" and the public key in 64 hex digits: how an operator copies a site's key
// from `ccow service show` at one site to `service config NAME trusted-keys` at another.
std::string SiteKeyText(uint32_t site_id, std::string_view public_key);
// Its inverse; kInvalidArgument saying what is wrong (site id 0 included).
Status ParseSiteKeyText(std::string_view text, uint32_t* site_id, std::string* public_key);

// Replaces vm->signature by the signature of the key pair `seed` derives.
void SignVersion(VersionManifest* vm, std::string_view seed);

// OK when vm.signature verifies under trusted[vm.uvid.segment_id]. kPermissionDenied,
// naming the version and why, when the version is unsigned, its site is not trusted, or
// the signature does not verify (the manifest was altered, or signed by another key).
Status VerifyVersion(const VersionManifest& vm, const TrustedSiteKeys& trusted);

}  // namespace ccow
