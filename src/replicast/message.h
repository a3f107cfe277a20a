// The Replicast message set (issue 4, part 2): what initiators and targets exchange to
// negotiate and carry chunk puts and gets. Every message starts with the same header
// (transaction id, protocol version, row, FlexHash generation), so any receiver can
// refuse a message from another generation before reading its body.
//
// Encoding (docs/FORMAT.md "Replicast messages"): u16 magic 0x4352 ("RC"), u8 version,
// u8 opcode, u64 txid, u32 row, u64 generation, then the body of that opcode in the
// canonical encoding of src/model/encoding.h. A decoder accepts exactly what the encoder
// produces: unknown opcodes or versions, trailing bytes and non-canonical integers fail.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/hash.h"
#include "core/status.h"

namespace ccow::replicast {

inline constexpr uint16_t kMagic = 0x4352;
// 2: put proposals carry the replication count and probe answers the holder's record.
// 3: chunk answers carry the holder's GC pin epoch, named puts the oldest their writer
//    holds, and the garbage collector's messages (docs/ARCHITECTURE.md "on a cluster").
// 4: GC marks carry the replication count per chunk (a sweep lowers recorded counts to
//    it), GC replies count the lowered ones, touches and trains carry the R their write
//    needs.
// 5: an initiator releases the bids it did not choose (BidRelease): a bid reserves a
//    window, and reservations left to expire made the VDEVs that lost one bid lose the
//    next (their queue looked longer), so an idle cluster kept every chunk on the same R.
// 6: a named put whose value fits in one message carries it in its proposal
//    (NamedPutProposal::value): the replica applies it and acks, no bid and no train, one
//    round trip fewer for each of a put's two version-list rounds (issue 12).
inline constexpr uint8_t kProtocolVersion = 7;

enum class Opcode : uint8_t {
  kNamedPutProposal = 1,
  kUnnamedPutProposal = 2,
  kBid = 3,
  kAcceptContentStored = 4,  // inline dedup: the chunk exists, send no payload
  kAcceptNotNow = 5,
  kRendezvousTransfer = 6,
  kPayloadAck = 7,
  kPayloadNack = 8,
  kNamedGet = 9,
  kUnnamedGet = 10,
  kGetResponse = 11,
  kGenerationMismatch = 12,
  kServerListGet = 13,
  kServerListResponse = 14,
  kNameScan = 15,
  kNameScanResponse = 16,
  kGcControl = 17,
  kGcMark = 18,
  kGcReply = 19,
  kBidRelease = 20,
  kSyncRequest = 21,
  kSyncReply = 22,
};

struct Header {
  uint64_t txid = 0;
  uint32_t row = 0;
  uint64_t generation = 0;
  friend bool operator==(const Header&, const Header&) = default;
};

// A version-list put: placed by the NHID of `name`, its value identified by `chid` (the
// hash of the value, verified on arrival) and ordered by a per-name sequence. The first
// home replica takes it only as a compare-and-swap (its sequence must not be past
// expected_seq), which serializes concurrent writers of one name; the other replicas
// take it if it is newer than what they hold.
enum class NamedPutMode : uint8_t { kCompareAndSwap = 1, kIfNewer = 2 };
struct NamedPutProposal {
  HashId nhid, chid;
  uint64_t size = 0;
  std::string name;
  uint64_t expected_seq = 0, new_seq = 0;
  NamedPutMode mode = NamedPutMode::kCompareAndSwap;
  // The garbage collector's fence: the oldest pin epoch among the answers to the chunk
  // puts and touches of the write this value commits (kNoNewReferences when it references
  // nothing it did not already). A VDEV fenced at a later epoch refuses it (kFenced): the
  // chunks may have been answered before that pass pinned anything.
  uint64_t min_pin_epoch = 0;
  // The value itself when it travels in the proposal (value.size() == size > 0): the
  // replica judges, applies and acks at once. Empty: a train follows the replica's bid
  // (or, with size 0, a tombstone that needs none).
  std::string value;
  friend bool operator==(const NamedPutProposal&, const NamedPutProposal&) = default;
};
// A payload chunk, chunk manifest or version manifest. replication_count is what the
// object's policy asks (its bucket's, tenant's or the cluster's R): holders record the
// largest asked, so that the healer keeps that many replicas of a chunk shared by objects
// of different policies. 0: the cluster default.
//
// defer_sync: the write commits later (a version-list put) and makes its chunks durable
// first with one SyncRequest per VDEV that took one: a holder stores the chunk without
// an fdatasync of its own and answers with its incarnation (see PayloadAck). One sync per
// VDEV and write instead of one per chunk and replica.
struct UnnamedPutProposal {
  HashId chid;
  uint64_t size = 0;
  uint8_t replication_count = 0;
  bool defer_sync = false;
  friend bool operator==(const UnnamedPutProposal&, const UnnamedPutProposal&) = default;
};
// A target's offer: when it can receive (rendezvous start, as a delay from the bid, since
// clocks of different machines are not comparable), for how long, how loaded it is, and
// how much room it has. The target reserves that window until the transfer or a timeout.
struct Bid {
  uint64_t start_delay_ns = 0, duration_ns = 0;
  uint32_t queue_weight = 0;
  uint64_t free_bytes = 0;
  friend bool operator==(const Bid&, const Bid&) = default;
};
// pin_epoch, here and in PayloadAck: the GC epoch under which the VDEV pinned the chunk
// (the last pass whose pin window it opened; 0: none yet).
// incarnation, here and in PayloadAck: 0 when the chunk is durable at the VDEV; else the
// chunk may not be durable until a SyncRequest naming this incarnation of the VDEV (a
// random number drawn at each start) succeeds. Only an answer to a defer_sync put has one.
struct AcceptContentStored {
  HashId chid;
  uint64_t pin_epoch = 0;
  uint64_t incarnation = 0;
  friend bool operator==(const AcceptContentStored&, const AcceptContentStored&) = default;
};
struct AcceptNotNow {
  uint32_t retry_after_ms = 0;
  friend bool operator==(const AcceptNotNow&, const AcceptNotNow&) = default;
};
// One piece of a chunk's payload: a datagram of a train. rendezvous_mask names the chosen
// VDEVs by their position in the row when the train is multicast to the whole negotiating
// group (the others ignore it); 0 means only the addressed VDEV.
struct RendezvousTransfer {
  HashId chid;
  uint64_t total_size = 0, offset = 0;
  uint64_t rendezvous_mask = 0;
  std::string payload;
  // A version list's value (a named put's train), never to be stored as a chunk: a VDEV
  // that has no proposal for it (it restarted, or completed it already) refuses it.
  bool named = false;
  // A chunk's: the R its put asked (as in the proposal), recorded by the receiver when it
  // stores the chunk, or finds it stored, even if its bid expired or it restarted since
  // (the initiator may wait longer for the other bids than a bid is held). 0 for named.
  uint8_t replication_count = 0;
  bool defer_sync = false;  // a chunk's: as its proposal's (never for named)
  friend bool operator==(const RendezvousTransfer&, const RendezvousTransfer&) = default;
};
struct PayloadAck {
  HashId chid;
  uint64_t pin_epoch = 0;
  uint64_t incarnation = 0;
  friend bool operator==(const PayloadAck&, const PayloadAck&) = default;
};
enum class NackReason : uint8_t {
  kHashMismatch = 1,
  kNoSpace = 2,
  kTimeout = 3,
  kInternal = 4,
  kConflict = 5,     // a named put whose expected sequence is stale
  kNotProposed = 6,  // a transfer the target has no proposal for (it restarted)
  kFenced = 7,       // a named put older than the VDEV's GC fence (min_pin_epoch)
};
inline constexpr uint8_t kMaxNackReason = 7;
struct PayloadNack {
  HashId chid;
  NackReason reason = NackReason::kInternal;
  friend bool operator==(const PayloadNack&, const PayloadNack&) = default;
};
struct NamedGet {
  HashId nhid;
  std::string name;
  friend bool operator==(const NamedGet&, const NamedGet&) = default;
};
// A probe asks who holds the chunk (holders answer kOk with its size and no payload); a
// fetch asks one holder for the payload, which comes back as a train of get responses. A
// touch is a probe that also pins the chunk for the collector (a clone or compose that
// references it without putting it); its answers carry the pin epoch in seq.
enum class GetMode : uint8_t { kProbe = 0, kFetch = 1, kTouch = 2 };
struct UnnamedGet {
  HashId chid;
  GetMode mode = GetMode::kFetch;
  // A touch's: the R of the version about to reference the chunk. Holders record the
  // largest asked, as for a put proposal, so that a collector's sweep that lowered the
  // count before the touch pinned the chunk does not leave the new version short. 0 for
  // probes, fetches and touches that ask nothing.
  uint8_t replication_count = 0;
  friend bool operator==(const UnnamedGet&, const UnnamedGet&) = default;
};
enum class GetStatus : uint8_t { kOk = 0, kNotFound = 1, kCorrupt = 2 };
// One piece of what a get returns: a chunk, or for a named get the version list value with
// its sequence (an empty value is a deleted list's tombstone). chid is the hash of the
// whole value, which the initiator verifies.
struct GetResponse {
  HashId chid;
  GetStatus status = GetStatus::kOk;
  uint64_t seq = 0;
  uint64_t total_size = 0, offset = 0;
  std::string payload;  // empty unless kOk
  uint8_t replication_count = 0;  // a probe's answer: the R the holder records (0: none)
  friend bool operator==(const GetResponse&, const GetResponse&) = default;
};
struct GenerationMismatch {
  uint64_t current_generation = 0;
  friend bool operator==(const GenerationMismatch&, const GenerationMismatch&) = default;
};
struct ServerListGet {
  friend bool operator==(const ServerListGet&, const ServerListGet&) = default;
};
struct ServerListResponse {
  std::string flexhash_json;  // the checkpoint of the sender's generation
  friend bool operator==(const ServerListResponse&, const ServerListResponse&) = default;
};

// Lists the version lists a VDEV holds: names that start with prefix, after prefix +
// start_after (relative, as the chunk store takes it),
// in order, at most max_entries, values included while they fit one datagram.
struct NameScan {
  std::string prefix, start_after;
  uint32_t max_entries = 0;
  friend bool operator==(const NameScan&, const NameScan&) = default;
};
struct NameScanEntry {
  std::string name;
  uint64_t seq = 0;
  bool has_value = false;  // false: too large to include, fetch it with a named get
  std::string value;
  friend bool operator==(const NameScanEntry&, const NameScanEntry&) = default;
};
struct NameScanResponse {
  bool more = false;  // entries stopped before the end of the prefix
  std::vector<NameScanEntry> entries;
  friend bool operator==(const NameScanResponse&, const NameScanResponse&) = default;
};

// The cluster garbage collector (src/gc/collector.h) drives a pass at every VDEV with
// these: open the pin window of an epoch, fence it (refuse older named puts), mark chunks,
// sweep, close; status asks where a VDEV is. Each is answered with a GcReply.
enum class GcPhase : uint8_t { kStatus = 0, kOpen = 1, kFence = 2, kSweep = 3, kClose = 4 };
inline constexpr uint8_t kMaxGcPhase = 4;
struct GcControl {
  uint64_t epoch = 0;
  GcPhase phase = GcPhase::kStatus;
  friend bool operator==(const GcControl&, const GcControl&) = default;
};
// A chunk referenced by a live, quarantined or snapshotted version, with the largest
// replication count those versions need (0: unknown, which never lowers a count).
struct MarkedChunk {
  HashId chid;
  uint8_t replication_count = 0;
  friend bool operator==(const MarkedChunk&, const MarkedChunk&) = default;
};
// Marked chunks: the VDEV that receives this keeps each it holds through the sweep of this
// epoch, and the sweep lowers its recorded R to the marked one unless a write pinned it.
// The coordinator sends a chunk to every VDEV of its row, or to a chosen one only (an
// erasure-coded fragment's keeper: the row's other copies are then swept).
struct GcMark {
  uint64_t epoch = 0;
  std::vector<MarkedChunk> chunks;
  friend bool operator==(const GcMark&, const GcMark&) = default;
};
enum class GcReplyStatus : uint8_t {
  kOk = 0,
  kUnknownEpoch = 1,  // the VDEV restarted (or another pass began): its pins are not this epoch's
  kBusy = 2,          // another epoch's window is open
  kFailed = 3,        // the store failed (message says how)
};
struct GcReply {
  uint64_t epoch = 0;      // the VDEV's current epoch (its last opened window)
  uint64_t fence_epoch = 0;
  GcReplyStatus status = GcReplyStatus::kOk;
  bool window_open = false;
  bool swept = false;  // this epoch's sweep finished here (else not started, or under way)
  uint64_t marked = 0, pinned = 0;                // this epoch's, at the VDEV
  uint64_t scanned = 0, removed = 0, bytes_removed = 0;  // a sweep's
  uint64_t lowered = 0;  // a sweep's: marked chunks whose recorded R it lowered
  std::string message;
  friend bool operator==(const GcReply&, const GcReply&) = default;
};

// The initiator chose other VDEVs for this transaction's put (header txid): the bid's
// reserved window is free again. Best effort: one lost expires with the reservation.
struct BidRelease {
  HashId chid;
  friend bool operator==(const BidRelease&, const BidRelease&) = default;
};

// Makes durable every chunk the VDEV took for a defer_sync put (one fdatasync whatever
// their number), when the VDEV is still the incarnation that answered them. Answered by a
// SyncReply: kOk once durable; kRestarted from a VDEV that restarted since (another
// incarnation: what it had not synced may be lost), and the write then fails rather than
// commit a version whose chunks may be gone; kNoSpace or kFailed when the sync failed.
struct SyncRequest {
  uint64_t incarnation = 0;
  friend bool operator==(const SyncRequest&, const SyncRequest&) = default;
};
enum class SyncStatus : uint8_t { kOk = 0, kRestarted = 1, kNoSpace = 2, kFailed = 3 };
inline constexpr uint8_t kMaxSyncStatus = 3;
struct SyncReply {
  uint64_t incarnation = 0;  // the VDEV's own
  SyncStatus status = SyncStatus::kOk;
  friend bool operator==(const SyncReply&, const SyncReply&) = default;
};

using Body = std::variant<NamedPutProposal, UnnamedPutProposal, Bid, AcceptContentStored,
                          AcceptNotNow, RendezvousTransfer, PayloadAck, PayloadNack, NamedGet,
                          UnnamedGet, GetResponse, GenerationMismatch, ServerListGet,
                          ServerListResponse, NameScan, NameScanResponse, GcControl, GcMark,
                          GcReply, BidRelease, SyncRequest, SyncReply>;

struct Message {
  Header header;
  Body body;

  Opcode opcode() const;  // of the body
  std::string Encode() const;
  static Result<Message> Decode(std::string_view bytes);

  // Trains carry nearly every byte, so their pieces (a RendezvousTransfer or GetResponse
  // body) can travel without their payload being copied into a message.
  // EncodeFrame: the bytes before and after `payload` (head + payload + tail is exactly
  // Encode() of this message with that payload; the body's own payload must be empty),
  // for a gathering send. Other bodies: head is Encode(), tail empty, payload empty.
  struct Frame {
    std::string head, tail;
  };
  Frame EncodeFrame(std::string_view payload) const;
  // As Decode, but such a body's payload stays empty and *payload views it in `bytes`
  // instead (valid while `bytes` is); for other bodies *payload is empty.
  static Result<Message> DecodeView(std::string_view bytes, std::string_view* payload);

  friend bool operator==(const Message&, const Message&) = default;

 private:
  static Result<Message> Decode(std::string_view bytes, std::string_view* view);
};

// Upper bound of one encoded message: a 16 MiB chunk plus headers, over TCP.
inline constexpr size_t kMaxMessageBytes = (16 << 20) + 4096;

}  // namespace ccow::replicast
