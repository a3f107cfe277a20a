// One VDEV's Replicast server inside a target (target/target.h): its endpoint, its store,
// and the transfers it has bid for or is receiving. Private to src/target: the target owns
// one per VDEV and gives each its workers, its FlexHash table and its buffer budget
// (target/target_impl.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/buffer_pool.h"
#include "core/hash.h"
#include "replicast/message.h"
#include "replicast/named_value.h"
#include "target/target.h"
#include "target/vdev_gc.h"

namespace ccow::target_internal {

// The target speaks Replicast: its messages are this namespace's vocabulary.
using namespace ccow::replicast;

// A train being reassembled: pieces land at their offsets; duplicates are ignored. Its
// buffer is taken from the target's pool at the first piece (a proposal alone holds no
// memory), within max_buffered_bytes.
struct Train {
  std::string from;
  uint64_t size = 0;   // of the whole value
  PooledBuffer bytes;  // size bytes once the first piece came; empty before
  std::map<uint64_t, uint64_t> pieces;  // offset -> length
  uint64_t received = 0;
  uint64_t last_activity_ns = 0;
  std::optional<NamedPutProposal> named;  // set for a version-list put
  uint8_t replication_count = 0;          // a chunk's, from its proposal (0: unknown)
  bool defer_sync = false;                // a chunk's: stored without a sync of its own
  // The bytes are hashed as they arrive, while a piece just copied is still in cache (a
  // chunk hashed whole at the end is read back from memory: under concurrent trains that
  // doubled the hash's cost). `hashed` is the contiguous prefix fed to the hasher so far;
  // pieces that arrive out of order wait in the buffer until the gap before them fills.
  std::unique_ptr<Hasher> hasher;
  uint64_t hashed = 0;
};

struct Reservation {
  uint64_t bytes = 0;
  uint64_t expires_ns = 0;
  uint8_t replication_count = 0;  // what the proposal asked, for the train's record
};

class TargetImpl;

// The payload bytes of one train piece: what a message holds, less room for the fields.
inline size_t PieceSize(Network* network) { return network->max_message_bytes() - 512; }

// One VDEV: its endpoint, its store, and the transfers it has bid for or is receiving.
class VdevServer {
 public:
  VdevServer(TargetImpl* target, TargetVdev vdev);
  Status Bind(Network* network);
  Status OpenGc(uint64_t gc_rate_bytes_per_second) {
    CCOW_ASSIGN_OR_RETURN(gc_, VdevGc::Open(vdev_.store, vdev_.id, gc_rate_bytes_per_second, vdev_.scratch_dir));
    return Status::OK();
  }
  // Ends a compaction under way at its next record (a worker runs it; see ~TargetImpl).
  void StopGc() {
    if (gc_) gc_->Stop();
  }
  void OnMessage(const std::string& from, std::string_view bytes);
  const std::string& address() const { return ep_->address(); }
  // Destroys the endpoint: its receive thread is joined, so no handler of this VDEV runs
  // after it returns. What handlers queued on the workers must have run before.
  void Close() { owner_.reset(); }
  const TargetVdev& vdev() const { return vdev_; }

 private:
  void Reply(const std::string& to, const Header& h, Body body);
  void OnUnnamedProposal(const std::string& from, const Header& h, const UnnamedPutProposal& p);
  // The bid of transaction txid was not chosen: its reserved window no longer counts in
  // this VDEV's queue (and so in its next bids).
  void ReleaseBid(uint64_t txid) {
    std::lock_guard lock(mu_);
    reservations_.erase(txid);
  }
  void OnNamedProposal(const std::string& from, const Header& h, const NamedPutProposal& p);
  // payload: the piece's bytes, a view into the datagram (t.payload is empty).
  void OnTransfer(const std::string& from, const Header& h, const RendezvousTransfer& t,
                  std::string_view payload);
  // Hands a whole train (or a named put's inline value) to a worker: CompleteTrain, then
  // its bytes leave buffered_bytes.
  void Complete(const Header& h, const HashId& chid, Train train);
  // A buffer of `size` bytes for `what` (a train, an inline value) from `from`, counted in
  // buffered_bytes; false (counted as a dropped train, logged) past max_buffered_bytes.
  bool TakeBuffer(uint64_t size, const char* what, const std::string& from, PooledBuffer* out);
  void CompleteTrain(const Header& h, const HashId& chid, Train train);
  // A named put's verified value (train.named set): judged and applied (vdev_named.cc).
  void CompleteNamed(const Header& h, const HashId& chid, const Train& train);
  void OnUnnamedGet(const std::string& from, const Header& h, const UnnamedGet& g);
  void OnNamedGet(const std::string& from, const Header& h, const NamedGet& g);
  void OnNameScan(const std::string& from, const Header& h, const NameScan& s);
  void OnGcControl(const std::string& from, const Header& h, const GcControl& c);
  void OnSyncRequest(const std::string& from, const Header& h, const SyncRequest& s);
  // Sends an answer that says a chunk is stored: with this incarnation when the asker
  // defers its sync (it sends a SyncRequest before committing), else only once the chunk
  // is durable (it may be another write's, taken without a sync: then a worker syncs first).
  // failure: what to answer when that sync fails (nullopt: nothing).
  void AnswerStored(const std::string& from, const Header& h, bool defer_sync, std::optional<Body> failure,
                    std::function<Body(uint64_t)> answer);
  // AnswerStored for a put (a proposal, or a train of a chunk found stored) that asks
  // replication_count: recorded first when higher, and durable with the answer; a failed
  // record is nacked.
  void AnswerStoredAt(const std::string& from, const Header& h, const HashId& chid, uint8_t replication_count,
                      bool defer_sync, std::function<Body(uint64_t)> answer);
  void SendValue(const std::string& to, const Header& h, const HashId& chid, uint64_t seq,
                 const std::string& value);
  // free_bytes: the VDEV's, read once per proposal by the caller (a statvfs).
  Body MakeBid(uint64_t txid, uint64_t size, uint64_t free_bytes, uint8_t replication_count = 0);
  void Sweep(uint64_t now);
  // The stored sequence of a name (0 when absent) and its value.
  Result<std::optional<NamedValue>> ReadNamed(const std::string& name);

  TargetImpl* target_;
  TargetVdev vdev_;
  // Drawn at each start, never 0: what this VDEV took without a sync is durable only
  // through a SyncRequest of the same incarnation (after a restart it may be lost).
  const uint64_t incarnation_;
  // The endpoint's receive thread starts inside Network::Bind and may deliver a message
  // before Bind has returned it: handlers wait for ready_, which is set once ep_ holds it.
  // Handlers and jobs read only ep_, which never changes after that; owner_ is written
  // (by Close) only once no handler can run any more.
  std::unique_ptr<Endpoint> owner_;
  Endpoint* ep_ = nullptr;
  std::atomic<bool> ready_{false};
  std::mutex mu_;  // trains_, reservations_, last_sweep_ns_
  std::map<std::pair<uint64_t, HashId>, Train> trains_;
  std::map<uint64_t, Reservation> reservations_;  // by txid
  uint64_t last_sweep_ns_ = 0;
  std::mutex named_mu_;  // serializes version-list compare-and-swap on this VDEV
  std::unique_ptr<VdevGc> gc_;  // set before Bind, never changed
};

}  // namespace ccow::target_internal
