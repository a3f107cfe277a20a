// READDIR and READDIRPLUS (RFC 1813 3.3.16, 3.3.17): a directory's entries in name order,
// a page at a time, resumed from the cookie a client hands back.
#include <cstring>
#include <vector>

#include "gateway/nfs/nfs3_common.h"

namespace ccow::nfs::internal {
namespace {

using fs::Inode;

constexpr size_t kMaxCookies = 65536;  // remembered (dir, cookie) -> name pairs, at most

// READDIR and READDIRPLUS: entries after the cookie, in name order, within `budget` bytes
// of reply. A cookie's low 32 bits are its entry's position, its high 32 a serial of the
// page that handed it out, so two listers of one directory never share a remembered name.
// The gateway remembers (dir, cookie) -> the name the page ended at; a cookie it forgot
// (the memory is bounded) resumes by counting positions, exact unless entries before it
// went meanwhile. cookieverf is the gateway's verifier: a cookie of an earlier start is
// refused (NFS3ERR_BAD_COOKIE) and the client lists again from the start.
struct Page {
  std::vector<fs::DirEntry> entries;
  std::vector<uint64_t> cookies;
  bool eof = false;
  nfsstat3 status = NFS3_OK;  // NFS3ERR_BAD_COOKIE, NFS3ERR_TOOSMALL
};
Result<Page> ListPage(const Inode& dir, uint64_t cookie, const cookieverf3 verf, size_t budget, size_t per_entry) {
  Gateway& g = G();
  Page page;
  static const char kZero[NFS3_COOKIEVERFSIZE] = {};
  if (cookie != 0 && std::memcmp(verf, kZero, sizeof kZero) != 0 && std::memcmp(verf, g.verifier, sizeof kZero) != 0) {
    page.status = NFS3ERR_BAD_COOKIE;
    return page;
  }
  std::string after;
  uint64_t position = cookie & 0xffffffffu, skip = 0;
  if (cookie != 0) {
    auto it = g.cookies.find({dir.ino, cookie});
    if (it != g.cookies.end()) after = it->second;
    else skip = position;  // forgotten: count from the start
  }
  if (++g.cookie_serial == 0) ++g.cookie_serial;
  const uint64_t serial = uint64_t{g.cookie_serial} << 32;
  page.eof = true;
  size_t used = 0;
  Status s = g.volume.ReadDir(dir.ino, after, [&](const fs::DirEntry& e) {
    if (skip > 0) {
      --skip;
      return true;
    }
    const size_t cost = per_entry + ((e.name.size() + 3) & ~size_t{3});
    if (used + cost > budget) {
      page.eof = false;
      return false;
    }
    used += cost;
    page.entries.push_back(e);
    page.cookies.push_back(serial | (++position & 0xffffffffu));
    return true;
  });
  if (!s.ok()) return s;
  if (page.entries.empty() && !page.eof) page.status = NFS3ERR_TOOSMALL;  // not even one entry fits
  if (g.cookies.size() > kMaxCookies) g.cookies.clear();
  if (!page.entries.empty()) g.cookies[{dir.ino, page.cookies.back()}] = page.entries.back().name;
  return page;
}

// READDIR's and READDIRPLUS's common part: the caller, the directory and its permission,
// then the page within budget bytes; the status to answer (NFS3_OK with *page filled).
nfsstat3 OpenPage(rpc_msg* call, const nfs_fh3& fh, uint64_t cookie, const cookieverf3 verf, size_t budget,
                  size_t per_entry, Result<Inode>* dir, Page* page) {
  auto who = Caller(call);
  if (!who) return NFS3ERR_ACCES;
  nfsstat3 status = NFS3_OK;
  *dir = Resolve(fh, &status);
  if (!dir->ok()) return status;
  if (!(*dir)->is_dir()) return NFS3ERR_NOTDIR;
  if (!May(**dir, *who, 4)) return NFS3ERR_ACCES;
  auto listed = ListPage(**dir, cookie, verf, budget, per_entry);
  if (!listed.ok()) return StatusOf(listed.status());
  *page = std::move(*listed);
  return page->status;
}

}  // namespace

int ReadDir(rpc_context* rpc, rpc_msg* call) {
  READDIR3res res{};
  auto& a = Args<READDIR3args>(call);
  const uint32_t count = std::min<uint32_t>(a.count, kMaxIo);
  Result<Inode> dir = Status::Posix(ENOENT, "");
  Page page;
  std::vector<entry3> entries;
  // 24 bytes per entry besides its name (fileid, cookie, lengths, list marker); the
  // reply's own fields take ~120.
  res.status = OpenPage(call, a.dir, a.cookie, a.cookieverf, count > 256 ? count - 256 : 0, 24, &dir, &page);
  if (res.status == NFS3_OK) {
    entries.resize(page.entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      entries[i].fileid = page.entries[i].ino;
      entries[i].name = page.entries[i].name.data();
      entries[i].cookie = page.cookies[i];
      entries[i].nextentry = i + 1 < entries.size() ? &entries[i + 1] : nullptr;
    }
    auto& ok = res.READDIR3res_u.resok;
    std::memcpy(ok.cookieverf, G().verifier, sizeof ok.cookieverf);
    ok.reply.entries = entries.empty() ? nullptr : entries.data();
    ok.reply.eof = page.eof;
  }
  PostOp(dir, &res.READDIR3res_u.resok.dir_attributes);
  return Reply(rpc, call, &res, static_cast<int>(count));
}

int ReadDirPlus(rpc_context* rpc, rpc_msg* call) {
  READDIRPLUS3res res{};
  auto& a = Args<READDIRPLUS3args>(call);
  const uint32_t maxcount = std::min<uint32_t>(a.maxcount, kMaxIo);
  Result<Inode> dir = Status::Posix(ENOENT, "");
  Page page;
  std::vector<entryplus3> entries;
  std::vector<std::string> handles;
  // Per entry: 24 as READDIR's, 88 of attributes, 36 of handle.
  res.status = OpenPage(call, a.dir, a.cookie, a.cookieverf, maxcount > 256 ? maxcount - 256 : 0, 24 + 88 + 36,
                        &dir, &page);
  if (res.status == NFS3_OK) {
    handles.resize(page.entries.size());
    entries.resize(page.entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const fs::DirEntry& e = page.entries[i];
      entryplus3& out = entries[i];
      out.fileid = e.ino;
      out.name = page.entries[i].name.data();
      out.cookie = page.cookies[i];
      auto n = G().volume.GetAttr(e.ino);
      PostOp(n, &out.name_attributes);
      if (n.ok()) {
        out.name_handle.handle_follows = 1;
        SetHandle(*n, &handles[i], &out.name_handle.post_op_fh3_u.handle);
      }
      out.nextentry = i + 1 < entries.size() ? &entries[i + 1] : nullptr;
    }
    auto& ok = res.READDIRPLUS3res_u.resok;
    std::memcpy(ok.cookieverf, G().verifier, sizeof ok.cookieverf);
    ok.reply.entries = entries.empty() ? nullptr : entries.data();
    ok.reply.eof = page.eof;
  }
  PostOp(dir, &res.READDIRPLUS3res_u.resok.dir_attributes);
  return Reply(rpc, call, &res, static_cast<int>(maxcount));
}

}  // namespace ccow::nfs::internal
