// The registry of record as gateways follow it (issue 10): a RemoteRegistry long-polls a
// member's admin API and sees every change by push, proposals give read-your-writes, and
// a FlexHash table of any size (512 VDEVs here, far past one UDP datagram) reaches it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "daemon/admin_api.h"
#include "daemon/node_registry.h"
#include "daemon/remote_registry.h"
#include "flexhash/flexhash.h"
#include "http/http_server.h"

namespace ccow::daemon {
namespace {

using namespace command;

// A one-member registry with its admin API on a loopback port, as `ccow server` runs it.
class Member {
 public:
  Member() : dir_(std::filesystem::temp_directory_path() / ("ccow-follow-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    auto r = OpenServerRegistry(dir_.string());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    server_ = std::move(*r);
    api_ = std::make_unique<AdminApi>("token", server_.node.get());
    http::HttpServerOptions o;
    o.port = 0;
    auto started = http::HttpServer::Start(o, [this](http::HttpExchange& ex) {
      const auto& req = ex.request();
      const std::string* auth = req.Header("authorization");
      AdminReply r = api_->Handle(req.method, req.target, auth ? *auth : "");
      (void)ex.Respond(r.http_status, {{"Content-Type", "application/json"}}, r.body);
    });
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    http_ = std::move(*started);
  }
  ~Member() {
    http_->Stop();
    http_.reset();
    api_.reset();
    server_ = {};
    std::filesystem::remove_all(dir_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(http_->port()); }
  Registry& registry() { return *server_.registry; }

 private:
  std::filesystem::path dir_;
  ServerRegistry server_;
  std::unique_ptr<AdminApi> api_;
  std::unique_ptr<http::HttpServer> http_;
};

TEST(RegistryFollowTest, AFollowerSeesChangesByPushAndReadsItsOwnWrites) {
  Member m;
  std::atomic<uint64_t> changes{0};
  RemoteRegistryOptions o{{m.address()}, "token", true, [&](const ClusterState&) { changes++; }};
  auto follower = OpenRemoteRegistry(o);
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  // A change made at the member reaches the follower without it asking again.
  ASSERT_TRUE(m.registry().Propose(CreateBucket{"ccow", "t", "b1", BucketRecord(), true}).ok());
  auto start = std::chrono::steady_clock::now();
  while (!(*follower)->current()->FindBucket("ccow", "t", "b1").ok()) {
    ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << "not pushed within 1 s";
    (*follower)->WaitNewer((*follower)->current()->commands_applied(), std::chrono::milliseconds(50));
  }
  EXPECT_GE(changes.load(), 1u);
  // A proposal through the follower is visible to it as soon as Propose returns.
  ASSERT_TRUE((*follower)->Propose(CreateUser{{"AKIAFOLLOW", "s", "ccow", "t", 1}}).ok());
  EXPECT_NE((*follower)->current()->FindUser("AKIAFOLLOW"), nullptr);
  // Decided outcomes come back as their codes.
  EXPECT_EQ((*follower)->Propose(CreateBucket{"ccow", "t", "b1", BucketRecord(), true}).code(), Code::kAlreadyExists);
  EXPECT_EQ((*follower)->Propose(UpdateBucket{"ccow", "t", "b1", BucketRecord(), 7}).code(), Code::kConflict);
}

TEST(RegistryFollowTest, AWrongTokenIsRefusedAndNoMemberIsUnavailable) {
  Member m;
  auto bad = OpenRemoteRegistry({{m.address()}, "wrong", false, {}});
  EXPECT_FALSE(bad.ok());
  auto none = OpenRemoteRegistry({{"127.0.0.1:1"}, "token", false, {}});
  ASSERT_FALSE(none.ok());
}

TEST(RegistryFollowTest, AFlexHashTableOf512VdevsReachesFollowers) {
  Member m;
  std::mutex mu;
  std::string pushed;
  RemoteRegistryOptions o{{m.address()}, "token", true, [&](const ClusterState& s) {
                            std::lock_guard lock(mu);
                            pushed = s.flexhash_json();
                          }};
  auto follower = OpenRemoteRegistry(o);
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  std::vector<VdevInfo> vdevs;
  for (int t = 0; t < 64; ++t) {
    TargetRecord target{"target" + std::to_string(t), "zone" + std::to_string(t % 4), "127.0.0.1:9", TargetState::kAlive, {}};
    for (int v = 0; v < 8; ++v)
      target.vdevs.push_back({target.name + "/vdev" + std::to_string(v), target.name, target.zone, 1ull << 40, 0,
                              "10.0." + std::to_string(t) + "." + std::to_string(v) + ":7000"});
    for (const auto& v : target.vdevs) vdevs.push_back(v);
    ASSERT_TRUE(m.registry().Propose(AddTarget{target}).ok());
  }
  auto table = FlexHashTable::Build(vdevs, 1);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  std::string json = table->ToJson();
  EXPECT_GT(json.size(), 65507u) << "the table should not fit one UDP datagram";
  ASSERT_TRUE(m.registry().Propose(PublishFlexHash{1, json}).ok());
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (pushed == json) break;
    }
    ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << "the table was not pushed";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto back = FlexHashTable::FromJson(pushed);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->vdevs().size(), 512u);
  EXPECT_EQ(back->generation(), 1u);
}

}  // namespace
}  // namespace ccow::daemon
