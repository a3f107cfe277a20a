// The NFS gateway's export rules, AUTH_SYS credentials and file handles
// (gateway/nfs/nfs_export.h).
#include "gateway/nfs/nfs_export.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace ccow::nfs {
namespace {

uint32_t Ip(const char* text) {
  in_addr in{};
  EXPECT_EQ(inet_pton(AF_INET, text, &in), 1);
  return ntohl(in.s_addr);
}

void Word(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

std::string AuthSys(const std::string& machine, uint32_t uid, uint32_t gid, const std::vector<uint32_t>& gids) {
  std::string out;
  Word(&out, 12345);  // stamp
  Word(&out, static_cast<uint32_t>(machine.size()));
  out += machine;
  out.append((4 - machine.size() % 4) % 4, '\0');
  Word(&out, uid);
  Word(&out, gid);
  Word(&out, static_cast<uint32_t>(gids.size()));
  for (uint32_t g : gids) Word(&out, g);
  return out;
}

TEST(NfsExportTest, NetworksMatchTheirPrefixAndBadOnesAreRefusedByName) {
  auto n = ParseNetwork("10.1.0.0/16");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_TRUE(n->Contains(Ip("10.1.200.3")));
  EXPECT_FALSE(n->Contains(Ip("10.2.0.1")));
  EXPECT_EQ(n->ToString(), "10.1.0.0/16");
  auto host = ParseNetwork("192.168.1.7");
  ASSERT_TRUE(host.ok());
  EXPECT_TRUE(host->Contains(Ip("192.168.1.7")));
  EXPECT_FALSE(host->Contains(Ip("192.168.1.8")));
  auto any = ParseNetwork("0.0.0.0/0");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->Contains(Ip("8.8.8.8")));
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "host/8", "10.0.0.0/", "10.0.0.0/8x", ""}) {
    auto r = ParseNetwork(bad);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(NfsExportTest, OnlyLoopbackIsAllowedUnlessNetworksAreGiven) {
  ExportRules rules;
  EXPECT_TRUE(rules.Allows(Ip("127.0.0.1")));
  EXPECT_FALSE(rules.Allows(Ip("10.0.0.1")));
  rules.allowed = {*ParseNetwork("10.0.0.0/8")};
  EXPECT_TRUE(rules.Allows(Ip("10.9.9.9")));
  EXPECT_FALSE(rules.Allows(Ip("127.0.0.1")));
}

TEST(NfsExportTest, RootIsSquashedByDefaultAndEveryoneWithAllSquash) {
  ExportRules rules;
  Credentials root{0, 0, {0, 10}, "client"};
  Credentials user{1000, 100, {100, 20}, "client"};
  Credentials squashed = rules.Squash(root);
  EXPECT_EQ(squashed.uid, 65534u);
  EXPECT_EQ(squashed.gid, 65534u);
  EXPECT_TRUE(squashed.gids.empty());
  EXPECT_EQ(rules.Squash(user).uid, 1000u);
  rules.root_squash = false;
  EXPECT_EQ(rules.Squash(root).uid, 0u);
  rules.all_squash = true;
  rules.anon_uid = 99;
  EXPECT_EQ(rules.Squash(user).uid, 99u);
}

TEST(NfsExportTest, AuthSysCredentialsDecodeAndMalformedOnesAreRefused) {
  auto c = DecodeAuthSys(AuthSys("host-a", 1000, 100, {4, 27}));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->machine, "host-a");
  EXPECT_EQ(c->uid, 1000u);
  EXPECT_EQ(c->gid, 100u);
  EXPECT_EQ(c->gids, (std::vector<uint32_t>{4, 27}));
  const std::string good = AuthSys("abcd", 1, 2, {});
  for (size_t cut = 0; cut < good.size(); ++cut) EXPECT_FALSE(DecodeAuthSys(good.substr(0, cut))) << cut;
  EXPECT_FALSE(DecodeAuthSys(good + "junk"));
  EXPECT_FALSE(DecodeAuthSys(AuthSys(std::string(256, 'm'), 1, 2, {})));  // machine name over 255
  EXPECT_FALSE(DecodeAuthSys(AuthSys("m", 1, 2, std::vector<uint32_t>(17, 5))));  // over 16 groups
}

TEST(NfsExportTest, HandlesRoundTripAndAnythingElseIsNotAHandle) {
  FileHandle h{FsidOf("/ccow/default/b"), 42, 7};
  const std::string bytes = h.Encode();
  EXPECT_EQ(bytes.size(), FileHandle::kSize);
  auto back = FileHandle::Decode(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->fsid, h.fsid);
  EXPECT_EQ(back->ino, 42u);
  EXPECT_EQ(back->generation, 7u);
  EXPECT_FALSE(FileHandle::Decode(bytes.substr(1)));
  EXPECT_FALSE(FileHandle::Decode(bytes + "x"));
  std::string other_version = bytes;
  other_version[0] = 2;
  EXPECT_FALSE(FileHandle::Decode(other_version));
  EXPECT_FALSE(FileHandle::Decode(FileHandle{1, 0, 0}.Encode()));  // inode 0 is nobody's
  EXPECT_NE(FsidOf("/ccow/default/b"), FsidOf("/ccow/default/c"));
}

}  // namespace
}  // namespace ccow::nfs
