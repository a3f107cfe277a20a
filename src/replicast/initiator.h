// The initiator: the client side of Replicast, inside every gateway and the CLI (DESIGN.md
// §2). It finds a chunk's negotiating group in FlexHash and
//  - puts a chunk by proposing it to the group, taking the best R bids in distinct
//    failure domains (or none when R replicas already hold it: inline dedup, no payload
//    sent), sending the payload as a train to each (once to the group when multicasting)
//    and returning only when R replicas acknowledged it durable;
//  - gets a chunk by probing the group and fetching from a holder, verifying the hash and
//    moving on to another replica when one serves bad bytes;
//  - reads and writes version lists (named values with a per-name sequence) on their home
//    replicas, and scans names across all VDEVs.
// A generation mismatch refetches FlexHash from a target and retries; every wait and
// retry is bounded by the options.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/hash.h"
#include "core/status.h"
#include "flexhash/flexhash.h"
#include "replicast/message.h"
#include "replicast/named_value.h"
#include "replicast/network.h"

namespace ccow::replicast {

// How the initiator ranks bids (the target's queue and estimated latency, the room it has,
// or the earliest rendezvous window).
enum class SelectPolicy { kQueueLatency, kFreeSpace, kEarliestWindow };
Result<SelectPolicy> ParseSelectPolicy(const std::string& name);

struct InitiatorOptions {
  uint32_t replication_count = 3;
  SelectPolicy select = SelectPolicy::kQueueLatency;
  bool multicast = false;           // proposals and trains to row groups
  uint16_t multicast_base_port = 0;
  uint64_t reply_timeout_ns = 250'000'000;  // bids, probes, named gets, scans
  uint64_t ack_timeout_ns = 2'000'000'000;  // a train's acknowledgement (it is fsynced)
  uint64_t fetch_timeout_ns = 1'000'000'000;
  uint32_t attempts = 6;             // per operation, each with a fresh negotiation
  uint64_t suspect_ns = 3'000'000'000;  // a VDEV that did not answer is not waited for
  uint64_t max_rendezvous_wait_ns = 100'000'000;
  // A new chunk (PutNewChunk: a version manifest) of at most this many bytes that fits in
  // one message skips the negotiation: it goes straight to R VDEVs of its row. 0: every
  // chunk is negotiated.
  uint64_t direct_put_max_bytes = 8192;
  uint64_t txid_seed = 0;  // first transaction id; 0: random (the simulation seeds it)
  // Where a newer FlexHash table comes from. Empty: a target, over Replicast (one
  // datagram, so only tables of up to ~150 VDEVs). Gateways and the CLI of a cluster pass
  // the registry of record's table, which reaches them by push over the admin API whatever
  // its size.
  std::function<Result<std::string>()> flexhash_source;
};

// What the initiator sent (bench: payload bytes per chunk put, datagrams per chunk).
struct InitiatorStats {
  uint64_t messages_sent = 0, bytes_sent = 0, payload_bytes_sent = 0;
  uint64_t chunk_puts = 0, chunk_puts_deduplicated = 0, chunk_puts_direct = 0, chunk_gets = 0;
  uint64_t retries = 0, generation_refreshes = 0, bad_replicas = 0;
  uint64_t stray_replies = 0;  // for finished or unknown transactions, or undecodable
};

// A VDEV that took a chunk of a deferred-sync put without syncing it: the chunk is durable
// there once SyncDeferred, naming this incarnation of the VDEV, has succeeded.
struct DeferredHolder {
  std::string address;
  uint64_t incarnation = 0;
  friend auto operator<=>(const DeferredHolder&, const DeferredHolder&) = default;
};

class Initiator {
 public:
  static Result<std::unique_ptr<Initiator>> Create(Network* network, const std::string& bind_address,
                                                   const std::string& flexhash_json,
                                                   const InitiatorOptions& options = {});
  virtual ~Initiator() = default;

  // replication_count: the R the object's policy asks (0: options().replication_count).
  // The chunk's holders record the largest R any put asked, for the healer. pin_epoch,
  // when given, receives the oldest GC pin epoch among the holders' answers (what a
  // version-list put that references the chunk presents to the collector's fence).
  // deferred, when given, makes the put return before the chunk is durable: its holders
  // store it without an fdatasync of their own and are appended there (each once per
  // call); the caller must SyncDeferred them before it commits anything that references
  // the chunk. One sync per VDEV and write, instead of one per chunk and replica.
  virtual Status PutChunk(const HashId& chid, std::string_view bytes, bool* stored_new,
                          uint32_t replication_count = 0, uint64_t* pin_epoch = nullptr,
                          std::vector<DeferredHolder>* deferred = nullptr) = 0;
  // Makes durable what deferred puts left at these holders: one SyncRequest each, in
  // parallel. kUnavailable when a holder restarted since it answered (what it took may be
  // lost: the write must not commit; retrying the write puts its chunks again), left the
  // FlexHash table, or did not confirm after every attempt; kNoSpace when one is full.
  virtual Status SyncDeferred(const std::vector<DeferredHolder>& holders) = 0;
  // PutChunk of a chunk the caller knows no VDEV holds (a version manifest names its own
  // generation and UVID), so that no dedup answer is to be had: when it is small
  // (options().direct_put_max_bytes, one message) it goes straight to R VDEVs of its row in
  // distinct failure domains, without proposal or bids, one round trip instead of two.
  // Whatever that did not place (a VDEV refused or was silent), PutChunk's negotiation
  // does. Same guarantees and answers as PutChunk.
  virtual Status PutNewChunk(const HashId& chid, std::string_view bytes, uint32_t replication_count = 0,
                             uint64_t* pin_epoch = nullptr, std::vector<DeferredHolder>* deferred = nullptr) = 0;
  // A put directed at chosen VDEVs of the chunk's row (an erasure-coded fragment's keeper):
  // the proposal goes to those VDEVs only, and the call succeeds once every one of them
  // holds the chunk durably, whether it had it already (no bytes sent) or received it and
  // acknowledged. Each records at least replication_count (0: options().replication_count;
  // a VDEV that holds it already keeps the larger). No other VDEV is asked or receives it.
  // kInvalidArgument names a VDEV that is not in the chunk's row of the current table;
  // kUnavailable (kNoSpace when full) names the VDEVs that did not take it after every
  // attempt. pin_epoch as for PutChunk.
  virtual Status PutChunkTo(const HashId& chid, std::string_view bytes, const std::vector<std::string>& vdev_ids,
                            uint32_t replication_count, uint64_t* pin_epoch = nullptr) = 0;
  // A version about to be committed references a stored chunk without putting it (a
  // clone, a compose): its holders pin it for the collector, and record replication_count
  // when it is larger than theirs (the version's R: a sweep may have lowered it before the
  // pin). Returns the oldest pin epoch among them; kNotFound when no VDEV holds it.
  virtual Result<uint64_t> TouchChunk(const HashId& chid, uint32_t replication_count = 0) = 0;
  virtual Status GetChunk(const HashId& chid, std::string* out) = 0;

  // The newest value of a name among its replicas (nullopt when none holds it). A name is
  // placed by NameHashOf(name), whatever hash its object's policy uses.
  virtual Result<std::optional<NamedValue>> GetNamed(const std::string& name) = 0;
  // Writes value as new_seq if the name is still at expected_seq (kConflict otherwise),
  // durably on R replicas in distinct failure domains. min_pin_epoch: the oldest pin epoch
  // of the chunks this value newly references (kNoNewReferences: none); a replica whose
  // GC fence is past it refuses the write with kFenced.
  static constexpr uint64_t kNoNewReferences = UINT64_MAX;
  virtual Status PutNamed(const std::string& name, uint64_t expected_seq, uint64_t new_seq,
                          const std::string& value, uint64_t min_pin_epoch) = 0;
  // Names starting with prefix after prefix + start_after in order (start_after is relative,
  // as in the chunk store), each with its newest value;
  // tombstones are skipped. fn returns false to stop.
  // kEveryCopy (the garbage collector's scan): every VDEV must answer, and fn sees each
  // distinct value every replica holds (a stale copy's versions stay referenced until it
  // converges), several per name, in name order.
  enum class ScanCopies { kNewest, kEveryCopy };
  virtual Status ScanNamed(const std::string& prefix, const std::string& start_after,
                           const std::function<bool(const std::string& name, const NamedValue&)>& fn,
                           ScanCopies copies = ScanCopies::kNewest) = 0;

  // Healing and rebalancing (DESIGN.md §2):
  // The VDEVs of a chunk's row that hold it, each with the replication count it records;
  // a VDEV that does not answer counts as not holding it.
  struct Holder {
    std::string vdev_id;
    uint32_t replication_count = 0;  // 0: none recorded
  };
  virtual Result<std::vector<Holder>> ProbeChunk(const HashId& chid) = 0;
  // Offers a name's value to its home replicas "if newer"; returns how many of them now
  // hold it or a newer value.
  virtual Result<size_t> RepairNamed(const std::string& name, const NamedValue& value) = 0;

  // The garbage collector's exchange with one VDEV (a GcControl or GcMark), retried until
  // it answers with a GcReply; kUnavailable when it does not, or the FlexHash changed.
  virtual Result<GcReply> GcCall(const std::string& vdev_address, const Body& request) = 0;

  // The network's clock and a sleep that keeps receiving (virtual in the simulation).
  virtual uint64_t NowNs() = 0;
  virtual void Sleep(uint64_t ns) = 0;

  // Fetches the current FlexHash from any target.
  virtual Status RefreshFlexHash() = 0;
  // Installs a FlexHash checkpoint (one older than the table in use is ignored).
  virtual Status SetFlexHash(const std::string& flexhash_json) = 0;
  virtual std::shared_ptr<const FlexHashTable> flexhash() const = 0;
  // options().replication_count: the R of puts that do not ask for one.
  virtual uint32_t default_replication_count() const = 0;
  virtual InitiatorStats stats() const = 0;
};

}  // namespace ccow::replicast
