// Fuzz target for replicast::Message::Decode: datagrams come from the network, so any
// input must either be refused with a Status or decode to a message that re-encodes to
// exactly the input (the encoding is canonical).
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "replicast/message.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  using namespace replicast;
  HashId a = HashBytes(HashAlgo::kSha256, "a"), b = HashBytes(HashAlgo::kBlake2b256, "b");
  Header h{99, 3, 7};
  std::vector<Message> all = {
      {h, NamedPutProposal{a, b, 512, "S/T/B/o", 1, 2, NamedPutMode::kCompareAndSwap, 5}},
      {h, UnnamedPutProposal{a, 1 << 20, 2, true}},
      {h, Bid{1, 2, 3, 4}},                   {h, AcceptContentStored{a, 4, 9}},
      {h, AcceptNotNow{100}},                 {h, RendezvousTransfer{a, 8, 2, 3, "xyz", true}},
      {h, PayloadAck{a, 4, 9}},                {h, PayloadNack{a, NackReason::kFenced}},
      {h, NamedGet{b, "S/T/B/o"}},            {h, UnnamedGet{a, GetMode::kTouch, 2}},
      {h, GetResponse{a, GetStatus::kOk, 1, 4, 3, "p", 3}}, {h, GenerationMismatch{8}},
      {h, ServerListGet{}},                   {h, ServerListResponse{"{}"}},
      {h, NameScan{"S/", "S/a", 10}},
      {h, NameScanResponse{false, {{"S/b", 2, true, "v"}, {"S/c", 1, false, ""}}}},
      {h, GcControl{3, GcPhase::kSweep}},     {h, GcMark{3, {{a, 1}, {b, 0}}}},
      {h, GcReply{3, 2, GcReplyStatus::kOk, true, false, 1, 2, 3, 4, 5, 6, "m"}},
      {h, BidRelease{a}},                   {h, SyncRequest{9}},
      {h, SyncReply{9, SyncStatus::kNoSpace}},
      {h, RendezvousTransfer{a, 8, 2, 0, "xyz", false, 2, true}},
  };
  std::vector<std::string> seeds;
  for (const auto& m : all) seeds.push_back(m.Encode());
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ccow::fuzz::CheckRoundTrip<ccow::replicast::Message>("replicast message", data, size);
}
