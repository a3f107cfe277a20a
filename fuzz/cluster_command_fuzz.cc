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
  BucketPolicy p;
  p.erasure_code = "4:2:rs";
  return {EncodeCommand(AddTarget{t}), EncodeCommand(SetTargetState{"t1", TargetState::kDead}),
          EncodeCommand(PublishFlexHash{3, "{}"}), EncodeCommand(CreateTenant{"S", "T", 2}),
          EncodeCommand(CreateBucket{"S", "T", "B", p}), EncodeCommand(ServiceServe{"svc", "S/T/B"})};
}

}  // namespace ccow::fuzz

namespace {
struct Command {
  ccow::ClusterCommand c;
  static ccow::Result<Command> Decode(std::string_view bytes) {
    CCOW_ASSIGN_OR_RETURN(auto c, ccow::DecodeCommand(bytes));
    return Command{std::move(c)};
  }
  std::string Encode() const { return ccow::EncodeCommand(c); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<Command>("cluster command", data, size);
}
