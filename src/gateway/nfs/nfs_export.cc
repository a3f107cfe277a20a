#include "gateway/nfs/nfs_export.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "core/hash.h"

namespace ccow::nfs {

namespace {

void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetU64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

bool Network::Contains(uint32_t a) const {
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (a & mask) == (address & mask);
}

std::string Network::ToString() const {
  in_addr in{htonl(address)};
  char text[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &in, text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix);
}

Result<Network> ParseNetwork(std::string_view cidr) {
  const size_t slash = cidr.find('/');
  const std::string host(cidr.substr(0, slash));
  Network n;
  in_addr in{};
  if (inet_pton(AF_INET, host.c_str(), &in) != 1)
    return Status::InvalidArgument("network '" + std::string(cidr) + "': '" + host + "' is not an IPv4 address");
  n.address = ntohl(in.s_addr);
  if (slash != std::string_view::npos) {
    const std::string_view bits = cidr.substr(slash + 1);
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n.prefix);
    if (ec != std::errc() || end != bits.data() + bits.size() || bits.empty() || n.prefix > 32)
      return Status::InvalidArgument("network '" + std::string(cidr) + "': the prefix length must be 0 to 32");
  }
  return n;
}

std::optional<Credentials> DecodeAuthSys(std::string_view body) {
  // stamp, machinename<255>, uid, gid, gids<16>: XDR, big-endian words, strings padded to 4.
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  const auto* end = p + body.size();
  auto word = [&](uint32_t* v) {
    if (end - p < 4) return false;
    *v = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    p += 4;
    return true;
  };
  Credentials c;
  uint32_t stamp = 0, length = 0, groups = 0;
  if (!word(&stamp) || !word(&length) || length > 255) return std::nullopt;
  const size_t padded = (size_t{length} + 3) & ~size_t{3};
  if (static_cast<size_t>(end - p) < padded) return std::nullopt;
  c.machine.assign(reinterpret_cast<const char*>(p), length);
  p += padded;
  if (!word(&c.uid) || !word(&c.gid) || !word(&groups) || groups > 16) return std::nullopt;
  for (uint32_t i = 0; i < groups; ++i) {
    uint32_t g = 0;
    if (!word(&g)) return std::nullopt;
    c.gids.push_back(g);
  }
  if (p != end) return std::nullopt;
  return c;
}

bool ExportRules::Allows(uint32_t a) const {
  if (allowed.empty()) return (a >> 24) == 127;
  for (const Network& n : allowed)
    if (n.Contains(a)) return true;
  return false;
}

Credentials ExportRules::Squash(Credentials c) const {
  if (all_squash || (root_squash && c.uid == 0)) {
    c.uid = anon_uid;
    c.gid = anon_gid;
    c.gids.clear();
  }
  return c;
}

std::string FileHandle::Encode() const {
  std::string out;
  out.reserve(kSize);
  out.push_back(static_cast<char>(kVersion));
  PutU64(&out, fsid);
  PutU64(&out, ino);
  PutU64(&out, generation);
  return out;
}

std::optional<FileHandle> FileHandle::Decode(std::string_view bytes) {
  if (bytes.size() != kSize || static_cast<uint8_t>(bytes[0]) != kVersion) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + 1;
  FileHandle h;
  h.fsid = GetU64(p);
  h.ino = GetU64(p + 8);
  h.generation = GetU64(p + 16);
  if (h.ino == 0) return std::nullopt;
  return h;
}

uint64_t FsidOf(std::string_view export_path) {
  const HashId id = HashBytes(HashAlgo::kSha256, export_path);
  return GetU64(id.digest());
}

}  // namespace ccow::nfs
