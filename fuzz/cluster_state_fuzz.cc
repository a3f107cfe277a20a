// Fuzz target for ClusterState::Restore: Raft snapshots come from disk and other nodes;
// any input is refused or re-encodes (Snapshot) to exactly its bytes.
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  using namespace command;
  ClusterState s;
  // The first three are corpus/cluster_state/seed-00..02 as formats 2 and 1 wrote them.
  std::vector<std::string> seeds = {s.Snapshot(2)};
  Must(s.Apply(AddTarget{{"t1", "z", "a", TargetState::kAlive, {{"t1/v0", "t1", "z", 1 << 30, 0, "a"}}}}));
  Must(s.Apply(CreateSegment{"S"}));
  Must(s.Apply(CreateTenant{"S", "T", 2}));
  Must(s.Apply(CreateBucket{"S", "T", "B", BucketRecord()}));
  Must(s.Apply(CreateService{"svc", "isgw"}));
  Must(s.Apply(ServiceServe{"svc", "S/T/B"}));
  seeds.push_back(s.Snapshot(1));
  Must(s.Apply(CreateUser{{"AKIAEXAMPLE", "secret", "S", "T", 5}}));
  BucketRecord r;
  r.tags = {{"k", "v"}};
  r.versioning = Versioning::kSuspended;
  Must(s.Apply(UpdateBucket{"S", "T", "B", r, 0}));
  seeds.push_back(s.Snapshot(2));
  // Format 3: a tenant's policy, and a bucket opting out of it.
  Must(s.Apply(UpdateTenant{"S", "T", 2, 3600'000'000'000, "4:2:rs", 0}));
  r.erasure_code = std::string(kNoErasureCode);
  Must(s.Apply(UpdateBucket{"S", "T", "B", r, 1}));
  seeds.push_back(s.Snapshot(5));
  // Format 6: a service's settings.
  ServiceConfig config;
  Must(ApplyServiceSetting(&config, "remote", "ccow://10.0.0.2:7480"));
  Must(ApplyServiceSetting(&config, "direction", "send"));
  Must(ApplyServiceSetting(&config, "batch-interval", "500ms"));
  Must(s.Apply(ConfigureService{"svc", config, 0}));
  seeds.push_back(s.Snapshot(7));
  // Format 7: the site id.
  Must(s.Apply(InitSite{0x1a2b3c4d}));
  seeds.push_back(s.Snapshot(7));
  // Format 8: the site's signing key and trusted site keys.
  Must(s.Apply(InitSiteKey{std::string(32, 's')}));
  Must(ApplyServiceSetting(&config, "trusted-keys", "0000000a:" + std::string(64, 'c')));
  Must(s.Apply(ConfigureService{"svc", config, 1}));
  seeds.push_back(s.Snapshot());
  return seeds;
}

}  // namespace ccow::fuzz

namespace {
// A snapshot of format 1 or 2 (an older release's) re-encodes in its format.
struct State {
  ccow::ClusterState s;
  uint8_t version = 0;
  static ccow::Result<State> Decode(std::string_view bytes) {
    uint8_t version = 0;
    CCOW_ASSIGN_OR_RETURN(auto s, ccow::ClusterState::Restore(bytes, &version));
    return State{std::move(s), version};
  }
  std::string Encode() const { return s.Snapshot(version); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<State>("cluster state", data, size);
}
