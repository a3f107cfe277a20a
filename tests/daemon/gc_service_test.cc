// The GC service's scheduling as a cluster's targets use it (daemon/cluster_gc.h): passes
// run, periodic or requested, only while may_drive says this process drives them (the
// Raft leader), each after before_pass; elsewhere a request is refused with
// "driving": false, and the status says why and when the next pass is due.
#include "daemon/gc_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/object_api.h"
#include "store/store_test_util.h"

namespace ccow::daemon {
namespace {

using namespace std::chrono_literals;

class GcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.path = dir_.path() + "/vdev0";
    auto store = ChunkStore::Open(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ApiOptions opts;
    opts.quarantine_retention_ns = 0;
    api_ = std::make_unique<ObjectApi>(std::shared_ptr<Backend>(NewLocalBackend(std::move(*store))), opts);
  }

  std::unique_ptr<Collector> NewCollector() {
    auto c = Collector::Create(api_.get(), CollectorOptions{});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  GcServiceOptions Options(uint64_t interval_ns) {
    GcServiceOptions o;
    o.interval_ns = interval_ns;
    o.name = "target1";
    o.may_drive = [this]() -> Status {
      return leader_ ? Status::OK() : Status::Unavailable("target target1 is not the Raft leader");
    };
    o.before_pass = [this] { ++before_pass_; };
    return o;
  }

  static nlohmann::json StatusOf(const GcService& s) { return nlohmann::json::parse(s.StatusJson()); }

  // Waits (bounded) until pred holds.
  template <typename Pred>
  static bool Eventually(Pred pred) {
    for (int i = 0; i < 500 && !pred(); ++i) std::this_thread::sleep_for(10ms);
    return pred();
  }

  testing::ScratchDir dir_;
  std::unique_ptr<ObjectApi> api_;
  std::atomic<bool> leader_{false};
  std::atomic<int> before_pass_{0};
};

TEST_F(GcServiceTest, PeriodicPassesRunOnlyWhileThisProcessDrives) {
  GcService service(NewCollector(), Options(20'000'000));  // every 20 ms
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(service.progress().passes_completed, 0u);
  EXPECT_EQ(before_pass_.load(), 0);
  auto j = StatusOf(service);
  EXPECT_FALSE(j["driving"].get<bool>());
  EXPECT_NE(j["not_driving"].get<std::string>().find("not the Raft leader"), std::string::npos);
  EXPECT_FALSE(j.contains("next_pass_in_s"));
  EXPECT_EQ(j["target"], "target1");

  leader_ = true;
  ASSERT_TRUE(Eventually([&] { return service.progress().passes_completed >= 2; }));
  EXPECT_GE(before_pass_.load(), 2);
  j = StatusOf(service);
  EXPECT_TRUE(j["driving"].get<bool>());
  EXPECT_TRUE(j.contains("next_pass_in_s"));

  leader_ = false;
  ASSERT_TRUE(Eventually([&] { return !service.progress().running; }));
  std::this_thread::sleep_for(50ms);  // a pass that had started ends
  const uint64_t passes = service.progress().passes_completed;
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(service.progress().passes_completed, passes);
}

TEST_F(GcServiceTest, ARequestedPassIsRefusedWhereAnotherProcessDrivesAndRunsOnTheLeader) {
  GcService service(NewCollector(), Options(0));  // on demand only
  const auto post = http::ParseTarget("/admin/gc?now=1&wait=1&wait_ms=5000");
  auto refused = service.Handle("POST", "/admin/gc", post);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->http_status, 503);
  auto body = nlohmann::json::parse(refused->body);
  EXPECT_FALSE(body["driving"].get<bool>());
  EXPECT_EQ(body["code"], CodeName(Code::kUnavailable));
  EXPECT_EQ(service.progress().passes_completed, 0u);

  leader_ = true;
  auto done = service.Handle("POST", "/admin/gc", post);
  ASSERT_TRUE(done.has_value());
  ASSERT_EQ(done->http_status, 200) << done->body;
  body = nlohmann::json::parse(done->body);
  EXPECT_TRUE(body["pass_ok"].get<bool>());
  EXPECT_EQ(body["passes_completed"], 1);
  EXPECT_EQ(before_pass_.load(), 1);
  // On demand only: no periodic pass follows.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(service.progress().passes_completed, 1u);
}

}  // namespace
}  // namespace ccow::daemon
