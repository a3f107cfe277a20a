// ClusterNode: the cluster state on libraft over raft_uv, as the target daemons run it
// (real TCP on loopback, the log on disk): a group elects a leader, commits through it,
// refuses commands on followers with the leader's name, replaces a stopped leader, and
// after every member restarts holds the same state from its disk.
#include "cluster/cluster_node.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace ccow {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

uint16_t FreeTcpPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

class ClusterNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ccow-raft-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    for (uint64_t id = 1; id <= 3; ++id)
      members_.push_back({id, "127.0.0.1:" + std::to_string(FreeTcpPort()), true});
    for (size_t i = 0; i < 3; ++i) Start(i);
  }
  void TearDown() override {
    nodes_.clear();
    fs::remove_all(dir_);
  }
  void Start(size_t i) {
    if (nodes_.size() <= i) nodes_.resize(i + 1);
    ClusterNodeOptions o;
    o.id = members_[i].id;
    o.address = members_[i].address;
    o.dir = (dir_ / ("node" + std::to_string(i))).string();
    o.members = members_;
    o.election_timeout_ms = 300;
    o.heartbeat_timeout_ms = 50;
    auto node = ClusterNode::Start(o);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    nodes_[i] = std::move(*node);
  }
  // The index of the live member that leads, waiting up to 10 s.
  int WaitForLeader() {
    for (int tries = 0; tries < 200; ++tries) {
      for (size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i] && nodes_[i]->info().role == "leader") return static_cast<int>(i);
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }
  // Waits until every live member applied what the leader did.
  bool WaitForStates(uint64_t commands) {
    for (int tries = 0; tries < 200; ++tries) {
      bool all = true;
      for (auto& n : nodes_)
        if (n && n->state().commands_applied() < commands) all = false;
      if (all) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  fs::path dir_;
  std::vector<RaftMember> members_;
  std::vector<std::unique_ptr<ClusterNode>> nodes_;
};

TEST(VoterCountTest, IsOddAndAtMostFive) {
  EXPECT_EQ(VoterCount(1), 1u);
  EXPECT_EQ(VoterCount(3), 3u);
  EXPECT_EQ(VoterCount(4), 3u);
  EXPECT_EQ(VoterCount(5), 5u);
  EXPECT_EQ(VoterCount(12), 5u);
}

TEST_F(ClusterNodeTest, LeaderCommitsAndEveryMemberApplies) {
  int leader = WaitForLeader();
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(nodes_[leader]->Propose(command::CreateSegment{"cl1"}).ok());
  ASSERT_TRUE(nodes_[leader]->Propose(command::CreateTenant{"cl1", "t1", 2}).ok());
  // A command that does not apply fails with its reason and changes nothing.
  Status dup = nodes_[leader]->Propose(command::CreateSegment{"cl1"});
  EXPECT_EQ(dup.code(), Code::kAlreadyExists) << dup.ToString();
  ASSERT_TRUE(WaitForStates(2));
  for (auto& n : nodes_) {
    // FindTenant points into the state: keep the copy alive while the pointer is read.
    ClusterState state = n->state();
    auto tenant = state.FindTenant("cl1", "t1");
    ASSERT_TRUE(tenant.ok());
    EXPECT_EQ((*tenant)->replication_count, 2u);
  }
}

TEST_F(ClusterNodeTest, FollowerRefusesNamingTheLeader) {
  int leader = WaitForLeader();
  ASSERT_GE(leader, 0);
  size_t follower = (leader + 1) % 3;
  // The follower may learn who leads a heartbeat later.
  Status s;
  for (int tries = 0; tries < 40; ++tries) {
    s = nodes_[follower]->Propose(command::CreateSegment{"x"});
    if (s.message().find(members_[leader].address) != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find(members_[leader].address), std::string::npos) << s.ToString();
}

TEST_F(ClusterNodeTest, StoppedLeaderIsReplacedAndCatchesUpOnReturn) {
  int leader = WaitForLeader();
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(nodes_[leader]->Propose(command::CreateSegment{"before"}).ok());
  nodes_[leader].reset();
  int next = WaitForLeader();
  ASSERT_GE(next, 0);
  ASSERT_NE(next, leader);
  ASSERT_TRUE(nodes_[next]->Propose(command::CreateSegment{"after"}).ok());
  Start(leader);
  ASSERT_TRUE(WaitForStates(2));
  EXPECT_EQ(nodes_[leader]->state().segments().count("before"), 1u);
  EXPECT_EQ(nodes_[leader]->state().segments().count("after"), 1u);
}

TEST_F(ClusterNodeTest, WholeGroupRestartKeepsTheState) {
  int leader = WaitForLeader();
  ASSERT_GE(leader, 0);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(nodes_[leader]->Propose(command::CreateSegment{"s" + std::to_string(i)}).ok());
  ASSERT_TRUE(WaitForStates(20));
  ClusterState before = nodes_[leader]->state();
  nodes_.clear();
  for (size_t i = 0; i < 3; ++i) Start(i);
  leader = WaitForLeader();
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(WaitForStates(20));
  for (auto& n : nodes_) EXPECT_EQ(n->state().segments(), before.segments());
}

TEST_F(ClusterNodeTest, AddedMemberReceivesTheState) {
  int leader = WaitForLeader();
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(nodes_[leader]->Propose(command::CreateSegment{"old"}).ok());
  // A fourth member starts with no configuration of its own and waits to be added.
  members_.push_back({4, "127.0.0.1:" + std::to_string(FreeTcpPort()), true});
  nodes_.resize(4);
  {
    ClusterNodeOptions o;
    o.id = 4;
    o.address = members_[3].address;
    o.dir = (dir_ / "node3").string();
    o.election_timeout_ms = 300;
    o.heartbeat_timeout_ms = 50;
    auto node = ClusterNode::Start(o);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    nodes_[3] = std::move(*node);
  }
  Status s = nodes_[leader]->AddMember(4, members_[3].address);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(nodes_[leader]->AddMember(4, members_[3].address).ok());  // again: no change
  ASSERT_TRUE(nodes_[leader]->Propose(command::CreateSegment{"new"}).ok());
  ASSERT_TRUE(WaitForStates(2));
  EXPECT_EQ(nodes_[3]->state().segments().count("old"), 1u);
  EXPECT_EQ(nodes_[3]->state().segments().count("new"), 1u);
}

TEST_F(ClusterNodeTest, NoQuorumRefusesCommandsInBoundedTime) {
  int leader = WaitForLeader();
  ASSERT_GE(leader, 0);
  size_t survivor = (leader + 1) % 3;
  for (size_t i = 0; i < 3; ++i)
    if (i != survivor) nodes_[i].reset();
  auto start = std::chrono::steady_clock::now();
  Status s = nodes_[survivor]->Propose(command::CreateSegment{"lonely"}, 2s);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(nodes_[survivor]->state().segments().count("lonely"), 0u);
}

}  // namespace
}  // namespace ccow
