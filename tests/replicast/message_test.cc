#include "replicast/message.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "core/hash.h"

namespace ccow::replicast {
namespace {

HashId Id(const char* s) { return HashBytes(HashAlgo::kSha256, s); }

std::vector<Message> OneOfEach() {
  Header h{0x1122334455667788ull, 7, 42};
  return {
      {h, NamedPutProposal{Id("name"), Id("list"), 5, "Hawaii/Cola/bk1/a.jpg", 4, 5,
                            NamedPutMode::kIfNewer, 11, "value"}},
      {h, UnnamedPutProposal{Id("chunk"), 1 << 20, 3, true}},
      {h, Bid{1000, 250, 3, 1ull << 40}},
      {h, AcceptContentStored{Id("chunk"), 6, 0x5eed}},
      {h, AcceptNotNow{150}},
      {h, RendezvousTransfer{Id("chunk"), 10, 4, 0b101, "abcdef", false, 3, true}},
      {h, PayloadAck{Id("chunk"), 6, 0x5eed}},
      {h, PayloadNack{Id("chunk"), NackReason::kHashMismatch}},
      {h, NamedGet{Id("name"), "Hawaii/Cola/bk1/a.jpg"}},
      {h, UnnamedGet{Id("chunk"), GetMode::kTouch, 4}},
      {h, GetResponse{Id("chunk"), GetStatus::kOk, 9, 20, 13, "payload", 2}},
      {h, GenerationMismatch{43}},
      {h, ServerListGet{}},
      {h, ServerListResponse{"{\"generation\": 42}"}},
      {h, NameScan{"Hawaii/Cola/", "Hawaii/Cola/a", 100}},
      {h, NameScanResponse{true, {{"Hawaii/Cola/b", 3, true, "list"}, {"Hawaii/Cola/c", 1, false, ""}}}},
      {h, GcControl{7, GcPhase::kFence}},
      {h, GcMark{7, {{Id("a"), 2}, {Id("b"), 0}}}},
      {h, GcReply{7, 6, GcReplyStatus::kUnknownEpoch, true, true, 10, 2, 30, 4, 4096, 3, "restarted"}},
      {h, BidRelease{Id("chunk")}},
      {h, SyncRequest{0x5eed}},
      {h, SyncReply{0x5eed, SyncStatus::kRestarted}},
  };
}

TEST(ReplicastMessageTest, EveryMessageRoundTripsWithItsOpcode) {
  uint8_t expected_opcode = 1;
  for (const Message& m : OneOfEach()) {
    std::string bytes = m.Encode();
    EXPECT_EQ(static_cast<uint8_t>(bytes[3]), expected_opcode++);
    auto back = Message::Decode(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, m);
    EXPECT_EQ(back->Encode(), bytes);
  }
}

TEST(ReplicastMessageTest, FramesAroundAPayloadAreExactlyTheMessageWithIt) {
  for (const Message& m : OneOfEach()) {
    std::string whole = m.Encode();
    std::string_view viewed = "not set";
    auto back = Message::DecodeView(whole, &viewed);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    Message without = m;
    std::string payload;
    if (auto* t = std::get_if<RendezvousTransfer>(&without.body)) payload = std::exchange(t->payload, "");
    if (auto* g = std::get_if<GetResponse>(&without.body)) payload = std::exchange(g->payload, "");
    // Decoded in place: the payload is a view into the bytes, the body's own stays empty.
    EXPECT_EQ(*back, without);
    EXPECT_EQ(viewed, payload);
    if (!payload.empty()) {
      EXPECT_GE(viewed.data(), whole.data());
      EXPECT_LE(viewed.data() + viewed.size(), whole.data() + whole.size());
    }
    Message::Frame f = without.EncodeFrame(payload);
    EXPECT_EQ(f.head + payload + f.tail, whole) << static_cast<int>(m.opcode());
  }
}

TEST(ReplicastMessageTest, ANamedPutsInlineValueMustBeOfItsSize) {
  Header h{1, 2, 3};
  NamedPutProposal p{Id("name"), Id("list"), 5, "a/b/c/d", 0, 1, NamedPutMode::kCompareAndSwap, 0, "value"};
  EXPECT_TRUE(Message::Decode(Message{h, p}.Encode()).ok());
  p.size = 6;  // a claim the bytes do not back
  auto bad = Message::Decode(Message{h, p}.Encode());
  EXPECT_FALSE(bad.ok());
  p.value.clear();  // no value: a train follows, of any size up to the limit
  EXPECT_TRUE(Message::Decode(Message{h, p}.Encode()).ok());
}

TEST(ReplicastMessageTest, HeaderLayoutIsPinned) {
  Message m{{1, 2, 3}, ServerListGet{}};
  // magic "RC", version 7, opcode 13, txid, row, generation (little-endian).
  EXPECT_EQ(ToHex(m.Encode().data(), m.Encode().size()),
            "5243070d" "0100000000000000" "02000000" "0300000000000000");
}

TEST(ReplicastMessageTest, BadInputIsRefusedNeverMisread) {
  std::string good = Message{{1, 2, 3}, UnnamedGet{Id("x")}}.Encode();
  EXPECT_FALSE(Message::Decode("").ok());
  EXPECT_FALSE(Message::Decode(good.substr(0, good.size() - 1)).ok());  // truncated
  EXPECT_FALSE(Message::Decode(good + "x").ok());                       // trailing bytes
  std::string bad = good;
  bad[0] = 'X';
  EXPECT_FALSE(Message::Decode(bad).ok());  // magic
  bad = good;
  bad[2] = 9;
  EXPECT_EQ(Message::Decode(bad).status().code(), Code::kUnsupported);  // version
  bad = good;
  bad[3] = 99;
  EXPECT_FALSE(Message::Decode(bad).ok());  // opcode
  bad[3] = 0;
  EXPECT_FALSE(Message::Decode(bad).ok());
  // A transfer piece must lie inside its chunk.
  std::string piece = Message{{}, RendezvousTransfer{Id("c"), 4, 2, 0, "abc"}}.Encode();
  EXPECT_FALSE(Message::Decode(piece).ok());
  // A failed get carries no payload.
  std::string failed = Message{{}, GetResponse{Id("c"), GetStatus::kNotFound, 0, 1, 0, "x"}}.Encode();
  EXPECT_FALSE(Message::Decode(failed).ok());
}

// Protocol 4's additions have a pinned layout: a mark carries each CHID's R as one byte
// after it, a reply the lowered count before its message, a touch its R after the mode.
TEST(ReplicastMessageTest, MarksCarryEachChunksReplicationCount) {
  HashId a = Id("a");
  std::string key = a.ToKey();
  std::string mark = Message{{1, 2, 3}, GcMark{5, {{a, 4}}}}.Encode();
  EXPECT_EQ(mark.substr(24), std::string("\x05\x01", 2) + key + std::string("\x04", 1));
  std::string touch = Message{{1, 2, 3}, UnnamedGet{a, GetMode::kTouch, 3}}.Encode();
  EXPECT_EQ(touch.substr(24), key + std::string("\x02\x03", 2));
  std::string reply = Message{{1, 2, 3}, GcReply{5, 5, GcReplyStatus::kOk, false, true, 1, 0, 9, 2, 100, 7, ""}}.Encode();
  EXPECT_EQ(reply.substr(24), std::string("\x05\x05\x00\x02\x01\x00\x09\x02\x64\x07\x00", 11));
  // A hostile count is refused before anything is allocated for it.
  std::string hostile = mark.substr(0, 25) + std::string("\x7f", 1);
  EXPECT_FALSE(Message::Decode(hostile).ok());
}

// Protocol 7's additions have a pinned layout: a proposal's defer_sync byte after its R,
// the incarnation as 8 little-endian bytes after the pin epoch, a transfer's flags byte
// (bit 0 named, bit 1 defer_sync), and a sync request that must name an incarnation.
TEST(ReplicastMessageTest, DeferredSyncFieldsHaveAPinnedLayout) {
  HashId a = Id("a");
  std::string key = a.ToKey();
  std::string proposal = Message{{1, 2, 3}, UnnamedPutProposal{a, 5, 3, true}}.Encode();
  EXPECT_EQ(proposal.substr(24), key + std::string("\x05\x03\x01", 3));
  std::string ack = Message{{1, 2, 3}, PayloadAck{a, 2, 0x0102030405060708ull}}.Encode();
  EXPECT_EQ(ack.substr(24), key + std::string("\x02\x08\x07\x06\x05\x04\x03\x02\x01", 9));
  std::string sync = Message{{1, 2, 3}, SyncRequest{0x99}}.Encode();
  EXPECT_EQ(sync.substr(24), std::string("\x99\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(static_cast<uint8_t>(sync[3]), 21);
  std::string no_incarnation = Message{{1, 2, 3}, SyncRequest{0}}.Encode();
  EXPECT_FALSE(Message::Decode(no_incarnation).ok());
  std::string piece = Message{{1, 2, 3}, RendezvousTransfer{a, 3, 0, 0, "abc", false, 2, true}}.Encode();
  EXPECT_EQ(piece.substr(piece.size() - 2), std::string("\x02\x02", 2));
  // A version list's train is never deferred: flags 3 are refused, as is an unknown bit.
  piece[piece.size() - 2] = 3;
  EXPECT_FALSE(Message::Decode(piece).ok());
  piece[piece.size() - 2] = 4;
  EXPECT_FALSE(Message::Decode(piece).ok());
}

}  // namespace
}  // namespace ccow::replicast
