// Fuzz target for the ISGW link's bodies (isgw/isgw_wire.h): they come from another site
// over the network, so any input must be refused with a Status or decode to a body that
// re-encodes to exactly the input, whichever of the fourteen decoders reads it.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "isgw/isgw_wire.h"

namespace ccow::fuzz {

std::vector<std::string> Seeds() {
  using namespace isgw;
  HashId a = HashBytes(HashAlgo::kSha256, "a"), b = HashBytes(HashAlgo::kBlake2b256, "b");
  return {Encode(DigestsRequest{"svc", "S/T/B", {{"S/T/B/a", a}, {"S/T/B/b", b}}}),
          Encode(DigestsReply{{0, 2}}),
          Encode(HaveRequest{"svc", {a, b}}),
          Encode(HaveReply{{true, false, true}}),
          Encode(ChunksRequest{"svc", "S/T/B", {{a, "a"}}}),
          Encode(ChunksReply{1, 2}),
          Encode(MergeRequest{"svc", "S/T/B", {"list"}}),
          Encode(MergeReply{{{0, true, ""}, {5, false, "missing"}}}),
          Encode(BucketRequest{"svc", "command"}),
          Encode(BucketReply{true}),
          Encode(DigestsReply{{1}, 2}),
          Encode(FetchRequest{"svc", {a, b}}),
          Encode(FetchReply{{"a", ""}}),
          Encode(NamesRequest{"svc", "S/T/B", "S/T/B/a", 10}),
          Encode(NamesReply{{{"S/T/B/a", a}, {"S/T/B/b", b}}, true})};
}

}  // namespace ccow::fuzz

namespace {
template <typename T>
void Check(const char* what, ccow::Result<T> r, std::string_view input) {
  if (!r.ok()) return;
  ++ccow::fuzz::decoded;
  ccow::fuzz::RequireSameBytes(what, input, ccow::isgw::Encode(*r));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ccow::isgw;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Check("isgw DigestsRequest", DecodeDigestsRequest(in), in);
  Check("isgw DigestsReply", DecodeDigestsReply(in), in);
  Check("isgw HaveRequest", DecodeHaveRequest(in), in);
  Check("isgw HaveReply", DecodeHaveReply(in), in);
  Check("isgw ChunksRequest", DecodeChunksRequest(in), in);
  Check("isgw ChunksReply", DecodeChunksReply(in), in);
  Check("isgw MergeRequest", DecodeMergeRequest(in), in);
  Check("isgw MergeReply", DecodeMergeReply(in), in);
  Check("isgw BucketRequest", DecodeBucketRequest(in), in);
  Check("isgw BucketReply", DecodeBucketReply(in), in);
  Check("isgw FetchRequest", DecodeFetchRequest(in), in);
  Check("isgw FetchReply", DecodeFetchReply(in), in);
  Check("isgw NamesRequest", DecodeNamesRequest(in), in);
  Check("isgw NamesReply", DecodeNamesReply(in), in);
  return 0;
}
