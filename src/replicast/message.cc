#include "replicast/message.h"

#include <type_traits>

#include "core/check.h"
#include "model/encoding.h"

namespace ccow::replicast {
namespace {

// One Put/Get pair per body type; the opcode is the variant index + 1.
void Put(Encoder& e, const NamedPutProposal& m) {
  e.PutHashId(m.nhid);
  e.PutHashId(m.chid);
  e.PutVarint(m.size);
  e.PutBytes(m.name);
  e.PutVarint(m.expected_seq);
  e.PutVarint(m.new_seq);
  e.PutU8(static_cast<uint8_t>(m.mode));
  e.PutU64(m.min_pin_epoch);
  e.PutBytes(m.value);
}
void Get(Decoder& d, NamedPutProposal& m) {
  m.nhid = d.GetHashId();
  m.chid = d.GetHashId();
  m.size = d.GetVarint();
  m.name = d.GetBytes();
  m.expected_seq = d.GetVarint();
  m.new_seq = d.GetVarint();
  uint8_t mode = d.GetU8();
  if (mode < 1 || mode > 2) d.Fail("unknown named put mode");
  m.mode = static_cast<NamedPutMode>(mode);
  m.min_pin_epoch = d.GetU64();
  m.value = d.GetBytes();
  if (!m.value.empty() && m.value.size() != m.size) d.Fail("a named put's inline value is not of its size");
}
void Put(Encoder& e, const UnnamedPutProposal& m) {
  e.PutHashId(m.chid);
  e.PutVarint(m.size);
  e.PutU8(m.replication_count);
  e.PutU8(m.defer_sync ? 1 : 0);
}
void Get(Decoder& d, UnnamedPutProposal& m) {
  m.chid = d.GetHashId();
  m.size = d.GetVarint();
  m.replication_count = d.GetU8();
  uint8_t defer = d.GetU8();
  if (defer > 1) d.Fail("bad defer_sync flag");
  m.defer_sync = defer == 1;
}
void Put(Encoder& e, const Bid& m) {
  e.PutU64(m.start_delay_ns);
  e.PutU64(m.duration_ns);
  e.PutU32(m.queue_weight);
  e.PutU64(m.free_bytes);
}
void Get(Decoder& d, Bid& m) {
  m.start_delay_ns = d.GetU64();
  m.duration_ns = d.GetU64();
  m.queue_weight = d.GetU32();
  m.free_bytes = d.GetU64();
}
void Put(Encoder& e, const AcceptContentStored& m) {
  e.PutHashId(m.chid);
  e.PutVarint(m.pin_epoch);
  e.PutU64(m.incarnation);
}
void Get(Decoder& d, AcceptContentStored& m) {
  m.chid = d.GetHashId();
  m.pin_epoch = d.GetVarint();
  m.incarnation = d.GetU64();
}
void Put(Encoder& e, const AcceptNotNow& m) { e.PutU32(m.retry_after_ms); }
void Get(Decoder& d, AcceptNotNow& m) { m.retry_after_ms = d.GetU32(); }
// Bodies with a payload are written as head (up to the payload's length), payload, tail,
// so that a frame can leave the payload out (Message::EncodeFrame).
void PutHead(Encoder& e, const RendezvousTransfer& m, size_t payload_size) {
  e.PutHashId(m.chid);
  e.PutVarint(m.total_size);
  e.PutVarint(m.offset);
  e.PutU64(m.rendezvous_mask);
  e.PutVarint(payload_size);
}
// The flags byte: bit 0 named, bit 1 defer_sync.
void PutTail(Encoder& e, const RendezvousTransfer& m) {
  e.PutU8((m.named ? 1 : 0) | (m.defer_sync ? 2 : 0));
  e.PutU8(m.replication_count);
}
// view: where the payload goes as a view into the input; null: into m.payload.
void Get(Decoder& d, RendezvousTransfer& m, std::string_view* view) {
  m.chid = d.GetHashId();
  m.total_size = d.GetVarint();
  m.offset = d.GetVarint();
  m.rendezvous_mask = d.GetU64();
  std::string_view payload = d.GetBytesView();
  uint8_t flags = d.GetU8();
  if (flags >= 3) d.Fail("bad transfer flags");  // 3: a version list is never deferred
  m.named = (flags & 1) != 0;
  m.defer_sync = (flags & 2) != 0;
  m.replication_count = d.GetU8();
  if (d.status().ok() && (m.offset > m.total_size || payload.size() > m.total_size - m.offset))
    d.Fail("transfer piece lies outside its chunk");
  if (view) *view = payload; else m.payload.assign(payload);
}
void Put(Encoder& e, const PayloadAck& m) {
  e.PutHashId(m.chid);
  e.PutVarint(m.pin_epoch);
  e.PutU64(m.incarnation);
}
void Get(Decoder& d, PayloadAck& m) {
  m.chid = d.GetHashId();
  m.pin_epoch = d.GetVarint();
  m.incarnation = d.GetU64();
}
void Put(Encoder& e, const PayloadNack& m) {
  e.PutHashId(m.chid);
  e.PutU8(static_cast<uint8_t>(m.reason));
}
void Get(Decoder& d, PayloadNack& m) {
  m.chid = d.GetHashId();
  uint8_t r = d.GetU8();
  if (r < 1 || r > kMaxNackReason) d.Fail("unknown nack reason");
  m.reason = static_cast<NackReason>(r);
}
void Put(Encoder& e, const NamedGet& m) {
  e.PutHashId(m.nhid);
  e.PutBytes(m.name);
}
void Get(Decoder& d, NamedGet& m) {
  m.nhid = d.GetHashId();
  m.name = d.GetBytes();
}
void Put(Encoder& e, const UnnamedGet& m) {
  e.PutHashId(m.chid);
  e.PutU8(static_cast<uint8_t>(m.mode));
  e.PutU8(m.replication_count);
}
void Get(Decoder& d, UnnamedGet& m) {
  m.chid = d.GetHashId();
  uint8_t mode = d.GetU8();
  if (mode > 2) d.Fail("unknown get mode");
  m.mode = static_cast<GetMode>(mode);
  m.replication_count = d.GetU8();
}
void PutHead(Encoder& e, const GetResponse& m, size_t payload_size) {
  e.PutHashId(m.chid);
  e.PutU8(static_cast<uint8_t>(m.status));
  e.PutVarint(m.seq);
  e.PutVarint(m.total_size);
  e.PutVarint(m.offset);
  e.PutVarint(payload_size);
}
void PutTail(Encoder& e, const GetResponse& m) { e.PutU8(m.replication_count); }
void Get(Decoder& d, GetResponse& m, std::string_view* view) {
  m.chid = d.GetHashId();
  uint8_t s = d.GetU8();
  if (s > 2) d.Fail("unknown get status");
  m.status = static_cast<GetStatus>(s);
  m.seq = d.GetVarint();
  m.total_size = d.GetVarint();
  m.offset = d.GetVarint();
  std::string_view payload = d.GetBytesView();
  m.replication_count = d.GetU8();
  if (!d.status().ok()) return;
  if (m.status != GetStatus::kOk && (!payload.empty() || m.total_size != 0 || m.offset != 0))
    d.Fail("a failed get carries no payload");
  else if (m.offset > m.total_size || payload.size() > m.total_size - m.offset)
    d.Fail("get response piece lies outside its value");
  if (view) *view = payload; else m.payload.assign(payload);
}
void Put(Encoder& e, const GenerationMismatch& m) { e.PutU64(m.current_generation); }
void Get(Decoder& d, GenerationMismatch& m) { m.current_generation = d.GetU64(); }
void Put(Encoder&, const ServerListGet&) {}
void Get(Decoder&, ServerListGet&) {}
void Put(Encoder& e, const ServerListResponse& m) { e.PutBytes(m.flexhash_json); }
void Get(Decoder& d, ServerListResponse& m) { m.flexhash_json = d.GetBytes(); }

void Put(Encoder& e, const NameScan& m) {
  e.PutBytes(m.prefix);
  e.PutBytes(m.start_after);
  e.PutU32(m.max_entries);
}
void Get(Decoder& d, NameScan& m) {
  m.prefix = d.GetBytes();
  m.start_after = d.GetBytes();
  m.max_entries = d.GetU32();
}
void Put(Encoder& e, const NameScanResponse& m) {
  e.PutU8(m.more ? 1 : 0);
  e.PutVarint(m.entries.size());
  for (const NameScanEntry& entry : m.entries) {
    e.PutBytes(entry.name);
    e.PutVarint(entry.seq);
    e.PutU8(entry.has_value ? 1 : 0);
    e.PutBytes(entry.value);
  }
}
void Get(Decoder& d, NameScanResponse& m) {
  uint8_t more = d.GetU8();
  if (more > 1) d.Fail("bad more flag");
  m.more = more == 1;
  uint64_t n = d.GetCount(4);
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    NameScanEntry entry;
    entry.name = d.GetBytes();
    entry.seq = d.GetVarint();
    uint8_t has = d.GetU8();
    if (has > 1) d.Fail("bad value flag");
    entry.has_value = has == 1;
    entry.value = d.GetBytes();
    if (!entry.has_value && !entry.value.empty()) d.Fail("an omitted value carries bytes");
    m.entries.push_back(std::move(entry));
  }
}

void Put(Encoder& e, const GcControl& m) {
  e.PutVarint(m.epoch);
  e.PutU8(static_cast<uint8_t>(m.phase));
}
void Get(Decoder& d, GcControl& m) {
  m.epoch = d.GetVarint();
  uint8_t phase = d.GetU8();
  if (phase > kMaxGcPhase) d.Fail("unknown gc phase");
  m.phase = static_cast<GcPhase>(phase);
}
void Put(Encoder& e, const GcMark& m) {
  e.PutVarint(m.epoch);
  e.PutVarint(m.chunks.size());
  for (const MarkedChunk& c : m.chunks) {
    e.PutHashId(c.chid);
    e.PutU8(c.replication_count);
  }
}
void Get(Decoder& d, GcMark& m) {
  m.epoch = d.GetVarint();
  uint64_t n = d.GetCount(18);  // the shortest HashId (algo byte + 16-byte digest) and R
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    MarkedChunk c;
    c.chid = d.GetHashId();
    c.replication_count = d.GetU8();
    m.chunks.push_back(std::move(c));
  }
}
void Put(Encoder& e, const GcReply& m) {
  e.PutVarint(m.epoch);
  e.PutVarint(m.fence_epoch);
  e.PutU8(static_cast<uint8_t>(m.status));
  e.PutU8((m.window_open ? 1 : 0) | (m.swept ? 2 : 0));
  e.PutVarint(m.marked);
  e.PutVarint(m.pinned);
  e.PutVarint(m.scanned);
  e.PutVarint(m.removed);
  e.PutVarint(m.bytes_removed);
  e.PutVarint(m.lowered);
  e.PutBytes(m.message);
}
void Get(Decoder& d, GcReply& m) {
  m.epoch = d.GetVarint();
  m.fence_epoch = d.GetVarint();
  uint8_t status = d.GetU8();
  if (status > 3) d.Fail("unknown gc reply status");
  m.status = static_cast<GcReplyStatus>(status);
  uint8_t flags = d.GetU8();
  if (flags > 3) d.Fail("bad gc reply flags");
  m.window_open = (flags & 1) != 0;
  m.swept = (flags & 2) != 0;
  m.marked = d.GetVarint();
  m.pinned = d.GetVarint();
  m.scanned = d.GetVarint();
  m.removed = d.GetVarint();
  m.bytes_removed = d.GetVarint();
  m.lowered = d.GetVarint();
  m.message = d.GetBytes();
}
void Put(Encoder& e, const BidRelease& m) { e.PutHashId(m.chid); }
void Get(Decoder& d, BidRelease& m) { m.chid = d.GetHashId(); }
void Put(Encoder& e, const SyncRequest& m) { e.PutU64(m.incarnation); }
void Get(Decoder& d, SyncRequest& m) {
  m.incarnation = d.GetU64();
  if (m.incarnation == 0) d.Fail("a sync request names no incarnation");
}
void Put(Encoder& e, const SyncReply& m) {
  e.PutU64(m.incarnation);
  e.PutU8(static_cast<uint8_t>(m.status));
}
void Get(Decoder& d, SyncReply& m) {
  m.incarnation = d.GetU64();
  uint8_t s = d.GetU8();
  if (s > kMaxSyncStatus) d.Fail("unknown sync status");
  m.status = static_cast<SyncStatus>(s);
}

template <typename T>
concept HasPayload = std::is_same_v<T, RendezvousTransfer> || std::is_same_v<T, GetResponse>;

template <typename T>
void Put(Encoder& e, const T& m) requires HasPayload<T> {
  PutHead(e, m, m.payload.size());
  e.PutRaw(m.payload);
  PutTail(e, m);
}
template <typename T>
void Get(Decoder& d, T& m, std::string_view* view) requires(!HasPayload<T>) {
  if (view) *view = {};
  Get(d, m);
}

void PutMessageHeader(Encoder& e, Opcode opcode, const Header& header) {
  e.PutU8(static_cast<uint8_t>(kMagic & 0xff));
  e.PutU8(static_cast<uint8_t>(kMagic >> 8));
  e.PutU8(kProtocolVersion);
  e.PutU8(static_cast<uint8_t>(opcode));
  e.PutU64(header.txid);
  e.PutU32(header.row);
  e.PutU64(header.generation);
}

template <size_t I = 0>
bool EmplaceByIndex(size_t index, Body* body) {
  if constexpr (I < std::variant_size_v<Body>) {
    if (index == I) {
      body->emplace<I>();
      return true;
    }
    return EmplaceByIndex<I + 1>(index, body);
  } else {
    return false;
  }
}

}  // namespace

Opcode Message::opcode() const { return static_cast<Opcode>(body.index() + 1); }

std::string Message::Encode() const {
  Encoder e;
  PutMessageHeader(e, opcode(), header);
  std::visit([&](const auto& m) { Put(e, m); }, body);
  return e.Take();
}

Message::Frame Message::EncodeFrame(std::string_view payload) const {
  Frame f;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (HasPayload<T>) {
          CCOW_CHECK(m.payload.empty());  // the payload travels beside the frame, once
          Encoder head, tail;
          PutMessageHeader(head, opcode(), header);
          PutHead(head, m, payload.size());
          PutTail(tail, m);
          f.head = head.Take();
          f.tail = tail.Take();
        } else {
          CCOW_CHECK(payload.empty());  // no room for one
          f.head = Encode();
        }
      },
      body);
  return f;
}

Result<Message> Message::Decode(std::string_view bytes) { return Decode(bytes, nullptr); }

Result<Message> Message::DecodeView(std::string_view bytes, std::string_view* payload) {
  CCOW_CHECK(payload != nullptr);
  return Decode(bytes, payload);
}

Result<Message> Message::Decode(std::string_view bytes, std::string_view* view) {
  if (bytes.size() > kMaxMessageBytes)
    return Status::InvalidArgument("replicast message of " + std::to_string(bytes.size()) +
                                   " bytes exceeds the limit");
  Decoder d(bytes, "replicast message");
  uint16_t magic = d.GetU8();
  magic |= static_cast<uint16_t>(d.GetU8()) << 8;
  uint8_t version = d.GetU8();
  uint8_t opcode = d.GetU8();
  Message m;
  m.header.txid = d.GetU64();
  m.header.row = d.GetU32();
  m.header.generation = d.GetU64();
  CCOW_RETURN_IF_ERROR(d.status());
  if (magic != kMagic) return Status::InvalidArgument("not a replicast message (bad magic)");
  if (version != kProtocolVersion)
    return Status::Unsupported("replicast protocol version " + std::to_string(version) +
                               " is not spoken here (this node speaks " +
                               std::to_string(kProtocolVersion) + ")");
  if (opcode == 0 || !EmplaceByIndex(opcode - 1, &m.body))
    return Status::InvalidArgument("unknown replicast opcode " + std::to_string(opcode));
  std::visit([&](auto& body) { Get(d, body, view); }, m.body);
  CCOW_RETURN_IF_ERROR(d.Finish());
  return m;
}

}  // namespace ccow::replicast
