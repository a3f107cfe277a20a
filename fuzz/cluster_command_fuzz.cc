// Fuzz target for DecodeCommand: Raft log entries come from other nodes' disks and the
// network; any input is refused or re-encodes to exactly its bytes.
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "fuzz_target.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  using namespace command;
  TargetRecord t{"t1", "z", "127.0.0.1:7000", TargetState::kAlive,
                 {{"t1/vdev0", "t1", "z", 1 << 30, 0, "127.0.0.1:7100"}}};
  BucketRecord p;
  p.erasure_code = "4:2:rs";
  p.tags = {{"k", "v"}};
  p.lifecycle_xml = "<LifecycleConfiguration/>";
  BucketRecord none;
  none.erasure_code = std::string(kNoErasureCode);
  // The first ten are corpus/cluster_command/seed-00..09 as format 2 wrote them.
  return {EncodeCommand(AddTarget{t}, 2), EncodeCommand(SetTargetState{"t1", TargetState::kDead}, 2),
          EncodeCommand(PublishFlexHash{3, "{}"}, 2), EncodeCommand(CreateTenant{"S", "T", 2}, 2),
          EncodeCommand(CreateBucket{"S", "T", "B", p}, 2), EncodeCommand(ServiceServe{"svc", "S/T/B"}, 2),
          EncodeCommand(CreateBucket{"S", "T", "B", p}, 1),
          EncodeCommand(UpdateBucket{"S", "T", "B", p, 3}, 2),
          EncodeCommand(CreateUser{{"AKIAEXAMPLE", "secret", "S", "T", 5}}, 2),
          EncodeCommand(DeleteUser{"AKIAEXAMPLE"}, 2),
          // Format 3: a tenant's policy (seed-10..16 as format 7 wrote them).
          EncodeCommand(CreateTenant{"S", "T", 2, 3600'000'000'000, "4:2:rs"}, 7),
          EncodeCommand(UpdateTenant{"S", "T", 3, 60'000'000'000, "", 7}, 7),
          EncodeCommand(CreateBucket{"S", "T", "B", none}, 7),
          // Format 5: the master key ring.
          EncodeCommand(AddMasterKey{1, std::string(32, 'k')}, 7),
          // Format 6: a service's settings, and unserving a bucket.
          EncodeCommand(ConfigureService{"svc", ServiceConfig{"ccow://h:1", 1, 3, ServiceConfig::MetadataOnly::kAll,
                                                              1 << 30, 500'000'000},
                                         4},
                        7),
          EncodeCommand(ServiceUnserve{"svc", "S/T/B"}, 7),
          // Format 7: the site id.
          EncodeCommand(InitSite{0x1a2b3c4d}, 7),
          // Format 8: the site's signing key, and a service's trusted site keys.
          EncodeCommand(InitSiteKey{std::string(32, 's')}),
          EncodeCommand(ConfigureService{"svc", ServiceConfig{"ccow://h:1", 3, 3, ServiceConfig::MetadataOnly::kOff,
                                                              0, 10'000'000'000, {{0x0a, std::string(32, 'p')},
                                                                                  {0x0b, std::string(32, 'q')}}},
                                         5})};
}

}  // namespace ccow::fuzz

namespace {
// Entries of formats 1 and 2 (older Raft logs) re-encode in their format.
struct Command {
  ccow::ClusterCommand c;
  uint8_t version = 0;
  static ccow::Result<Command> Decode(std::string_view bytes) {
    uint8_t version = 0;
    CCOW_ASSIGN_OR_RETURN(auto c, ccow::DecodeCommand(bytes, &version));
    return Command{std::move(c), version};
  }
  std::string Encode() const { return ccow::EncodeCommand(c, version); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<Command>("cluster command", data, size);
}
