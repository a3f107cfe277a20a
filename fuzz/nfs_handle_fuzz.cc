// Fuzz target for what the NFS gateway decodes from every call before trusting it
// (gateway/nfs/nfs_export.h): a file handle, which must re-encode to exactly its bytes,
// and AUTH_SYS credentials, which must decode within their bounds or be refused.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "gateway/nfs/nfs_export.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  return {nfs::FileHandle{nfs::FsidOf("/ccow/default/b"), 1, 0}.Encode(),
          nfs::FileHandle{0x0102030405060708ull, 0xfffffffffffffffeull, 99}.Encode()};
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto h = ccow::nfs::FileHandle::Decode(in)) {
    ++ccow::fuzz::decoded;
    ccow::fuzz::RequireSameBytes("nfs file handle", in, h->Encode());
  }
  if (auto c = ccow::nfs::DecodeAuthSys(in)) {
    if (c->machine.size() > 255 || c->gids.size() > 16) std::abort();
  }
  return 0;
}
