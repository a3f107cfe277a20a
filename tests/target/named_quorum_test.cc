// Version-list reads and listings with whole failure domains down: a write is on R home
// replicas in R distinct failure domains, so answers from every VDEV of all but R-1
// domains see it, however many VDEVs each domain (a server) holds. Before, a read counted
// VDEVs: two servers of two VDEVs down at R=3 left every object of a 6-server cluster
// unreadable although each had a replica up.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "replicast/initiator.h"
#include "replicast/named_value.h"
#include "target/sim_cluster.h"

namespace ccow {
namespace {

using replicast::SimOptions;
using testing::SimCluster;

// The servers ("t3") of a name's row, in row order, each once.
std::vector<std::string> RowServers(SimCluster& c, const std::string& name) {
  auto table = c.initiator().flexhash();
  std::vector<std::string> servers;
  for (uint32_t v : table->Row(table->RowOf(replicast::NameHashOf(name)))) {
    const std::string& s = table->vdevs()[v].server;
    if (std::find(servers.begin(), servers.end(), s) == servers.end()) servers.push_back(s);
  }
  return servers;
}

int IndexOf(const std::string& server) { return std::stoi(server.substr(1)); }

TEST(NamedQuorumTest, AVersionListIsReadAndRewrittenWithTwoServersOfTwoVdevsDownAtR3) {
  SimCluster c(SimOptions{}, 6, 2);
  const std::string name = "sim/ten/bkt/two-down";
  ASSERT_TRUE(c.initiator().PutNamed(name, 0, 1, "one", replicast::Initiator::kNoNewReferences).ok());
  auto servers = RowServers(c, name);
  ASSERT_GE(servers.size(), 5u);
  // Two servers down: up to four of the row's VDEVs silent, one failure domain each.
  c.CrashTarget(IndexOf(servers[0]));
  c.CrashTarget(IndexOf(servers[1]));
  auto got = c.initiator().GetNamed(name);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "one");
  // A write meanwhile lands in three distinct live domains...
  Status s = c.initiator().PutNamed(name, 1, 2, "two", replicast::Initiator::kNoNewReferences);
  ASSERT_TRUE(s.ok()) << s.ToString();
  // ...so that with those two back and two others down, a read still sees it.
  c.StartTarget(IndexOf(servers[0]));
  c.StartTarget(IndexOf(servers[1]));
  c.CrashTarget(IndexOf(servers[2]));
  c.CrashTarget(IndexOf(servers[3]));
  got = c.initiator().GetNamed(name);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "two");
  EXPECT_EQ((*got)->seq, 2u);
  // A listing counts domains the same way.
  std::vector<std::string> listed;
  s = c.initiator().ScanNamed("sim/ten/bkt/", "", [&](const std::string& n, const replicast::NamedValue&) {
    listed.push_back(n);
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(listed, std::vector<std::string>{name});
}

TEST(NamedQuorumTest, AReadWithThreeServersDownAtR3SaysItCannotBeSureRatherThanAnswerOld) {
  SimCluster c(SimOptions{}, 6, 2);
  const std::string name = "sim/ten/bkt/three-down";
  ASSERT_TRUE(c.initiator().PutNamed(name, 0, 1, "one", replicast::Initiator::kNoNewReferences).ok());
  auto servers = RowServers(c, name);
  for (int i = 0; i < 3; ++i) c.CrashTarget(IndexOf(servers[i]));
  auto got = c.initiator().GetNamed(name);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kUnavailable) << got.status().ToString();
  EXPECT_NE(got.status().message().find("failure domains"), std::string::npos) << got.status().ToString();
}

}  // namespace
}  // namespace ccow
