// What an NFS gateway (gateway/nfs/nfs_gateway.h) exports and to whom, and the two things
// it reads from every call before trusting it: the caller (AUTH_SYS credentials, squashed
// by the export's rules) and the file handle (which volume, which inode, which life of
// that inode number).
//
// File handles are stable across gateway restarts: they hold only what the volume keeps,
// the export's fsid (a hash of its path, which names its volume), the inode number and the inode's
// generation (fs/inode.h), so a handle of a removed file whose number was given out again
// never reaches the new file. Layout (25 bytes, well under NFS3_FHSIZE):
//   u8 version (1) | u64 fsid | u64 ino | u64 generation      (big-endian)
//
// Errors: ParseNetwork and ParseSquash answer kInvalidArgument naming what is wrong; the
// decoders answer nullopt for anything malformed (the caller answers NFS3ERR_BADHANDLE, or
// refuses the call as AUTH_SYS-less).
// Threads: values; no shared state.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fs/inode.h"

namespace ccow::nfs {

// An IPv4 network a client may call from (CIDR, "10.0.0.0/8"; a bare address is a /32).
struct Network {
  uint32_t address = 0;  // host order
  uint32_t prefix = 32;
  bool Contains(uint32_t host_order_address) const;
  std::string ToString() const;
};
Result<Network> ParseNetwork(std::string_view cidr);

// The caller of one NFS call, as AUTH_SYS says (RFC 5531 appendix A).
struct Credentials {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> gids;  // supplementary groups, at most 16
  std::string machine;
};
// The credentials body of an AUTH_SYS opaque_auth (its oa_base bytes).
std::optional<Credentials> DecodeAuthSys(std::string_view body);

// Who may call, and as whom their calls run (exports(5)'s options of the same names).
struct ExportRules {
  std::vector<Network> allowed;  // empty: 127.0.0.0/8 only
  bool read_only = false;
  // root_squash (the default): uid 0 runs as anon_uid/anon_gid; all_squash: everybody does.
  bool root_squash = true, all_squash = false;
  uint32_t anon_uid = 65534, anon_gid = 65534;
  bool Allows(uint32_t host_order_address) const;
  Credentials Squash(Credentials c) const;
};

struct FileHandle {
  static constexpr uint8_t kVersion = 1;
  static constexpr size_t kSize = 25;
  uint64_t fsid = 0;
  fs::Ino ino = 0;
  uint64_t generation = 0;
  std::string Encode() const;
  static std::optional<FileHandle> Decode(std::string_view bytes);
};

// The fsid of an export (its path names its bucket, so its volume): what its handles carry
// and GETATTR reports.
uint64_t FsidOf(std::string_view export_path);

}  // namespace ccow::nfs
