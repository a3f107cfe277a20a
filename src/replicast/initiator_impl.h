// Private to the initiator: the implementation class behind initiator.h, shared by
// initiator.cc (transactions, waits, chunk puts and gets) and initiator_named.cc (version
// lists and name scans).
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <vector>

#include "core/check.h"
#include "replicast/initiator.h"
#include "replicast/message.h"

namespace ccow::replicast::internal {

struct Reply {
  std::string from;
  Message msg;
};

// What became of a proposal or train at one VDEV.
// kRefused: the VDEV answered no for another reason (its buffers full, a hash mismatch,
// an internal error): it is alive, so never a reason for suspicion. kFailed: silence.
enum class Outcome { kAcked, kConflict, kNoSpace, kMismatch, kFenced, kRefused, kFailed };
Outcome OutcomeOf(NackReason reason);

inline std::string Describe(const HashId& id) { return id.ToString().substr(0, 24); }

// Assembles the value a VDEV returned as get response pieces; nullopt until complete.
// *failed is set when it answered not found or corrupt.
std::optional<NamedValue> Assemble(const std::vector<Reply>& replies, const std::string& from,
                                   HashId* chid, GetStatus* failed);
// Whether a VDEV's part of a get is over: all pieces of its value arrived, or it failed or
// refused.
bool Finished(const std::vector<Reply>& replies, const std::string& from);

class InitiatorImpl final : public Initiator {
 public:
  InitiatorImpl(Network* network, const InitiatorOptions& options)
      : network_(network), options_(options) {
    if (options.txid_seed != 0) {
      next_txid_ = options.txid_seed;
    } else {
      std::random_device rd;
      next_txid_ = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ network->NowNs();
    }
  }
  ~InitiatorImpl() override { endpoint_.reset(); }

  Status Init(const std::string& bind_address, const std::string& json) {
    CCOW_RETURN_IF_ERROR(Install(json));
    CCOW_ASSIGN_OR_RETURN(endpoint_, network_->Bind(bind_address, [this](const std::string& from,
                                                                          std::string_view bytes) {
                            OnReply(from, bytes);
                          }));
    return Status::OK();
  }

  std::shared_ptr<const FlexHashTable> flexhash() const override {
    std::shared_lock lock(table_mu_);
    return table_;
  }
  InitiatorStats stats() const override {
    std::lock_guard lock(mu_);
    return stats_;
  }

  Status PutChunk(const HashId& chid, std::string_view bytes, bool* stored_new,
                  uint32_t replication_count, uint64_t* pin_epoch,
                  std::vector<DeferredHolder>* deferred) override;
  Status PutNewChunk(const HashId& chid, std::string_view bytes, uint32_t replication_count,
                     uint64_t* pin_epoch, std::vector<DeferredHolder>* deferred) override;
  Status SyncDeferred(const std::vector<DeferredHolder>& holders) override;
  Status PutChunkTo(const HashId& chid, std::string_view bytes, const std::vector<std::string>& vdev_ids,
                    uint32_t replication_count, uint64_t* pin_epoch) override;
  Result<uint64_t> TouchChunk(const HashId& chid, uint32_t replication_count) override;
  Result<GcReply> GcCall(const std::string& vdev_address, const Body& request) override;
  uint64_t NowNs() override { return network_->NowNs(); }
  void Sleep(uint64_t ns) override { network_->SleepFor(ns); }
  Status GetChunk(const HashId& chid, std::string* out) override;
  Result<std::optional<NamedValue>> GetNamed(const std::string& name) override;
  Status PutNamed(const std::string& name, uint64_t expected_seq, uint64_t new_seq,
                  const std::string& value, uint64_t min_pin_epoch) override;
  Status ScanNamed(const std::string& prefix, const std::string& start_after,
                   const std::function<bool(const std::string&, const NamedValue&)>& fn,
                   ScanCopies copies) override;
  Status RefreshFlexHash() override;
  Status SetFlexHash(const std::string& json) override { return Install(json); }
  Result<std::vector<Holder>> ProbeChunk(const HashId& chid) override;
  uint32_t default_replication_count() const override { return options_.replication_count; }
  Result<size_t> RepairNamed(const std::string& name, const NamedValue& value) override;

 private:
  using Table = std::shared_ptr<const FlexHashTable>;

  Status Install(const std::string& json) {
    CCOW_ASSIGN_OR_RETURN(FlexHashTable t, FlexHashTable::FromJson(json));
    std::unique_lock lock(table_mu_);
    if (table_ && t.generation() < table_->generation()) return Status::OK();
    table_ = std::make_shared<const FlexHashTable>(std::move(t));
    return Status::OK();
  }

  // Transactions: replies are collected per txid by the endpoint's handler.
  uint64_t Begin() {
    std::lock_guard lock(mu_);
    uint64_t txid = ++next_txid_;
    mailbox_[txid];
    return txid;
  }
  void End(uint64_t txid) {
    std::lock_guard lock(mu_);
    mailbox_.erase(txid);
  }
  void OnReply(const std::string& from, std::string_view bytes) {
    auto m = Message::Decode(bytes);
    {
      std::lock_guard lock(mu_);
      auto it = m.ok() ? mailbox_.find(m->header.txid) : mailbox_.end();
      if (it == mailbox_.end()) {
        ++stats_.stray_replies;
        return;
      }
      it->second.push_back({from, std::move(*m)});
    }
    network_->Wake();
  }
  // Waits until done(replies so far) or the timeout; returns the replies.
  std::vector<Reply> Wait(uint64_t txid, uint64_t timeout_ns,
                          const std::function<bool(const std::vector<Reply>&)>& done) {
    network_->WaitUntil(
        [&] {
          std::lock_guard lock(mu_);
          return done(mailbox_[txid]);
        },
        timeout_ns);
    std::lock_guard lock(mu_);
    return mailbox_[txid];
  }

  void Send(const std::string& to, const Header& h, Body body) {
    std::string bytes = Message{h, std::move(body)}.Encode();
    Counted(to, endpoint_->Send(to, bytes), bytes.size(), 0);
  }
  // Accounts for one message sent (payload: the chunk bytes it carried).
  void Counted(const std::string& to, const Status& s, size_t bytes, size_t payload) {
    std::lock_guard lock(mu_);
    stats_.messages_sent++;
    stats_.bytes_sent += bytes;
    stats_.payload_bytes_sent += payload;
    if (!s.ok() && stats_.messages_sent % 1000 == 1)
      spdlog::warn("replicast: send to {} failed: {}", to, s.ToString());
  }
  // To every VDEV of a row: once to its group when multicasting, else to each.
  void SendToRow(const FlexHashTable& t, uint32_t row, const Header& h, const Body& body) {
    if (options_.multicast) {
      Send(MulticastGroupOf(row, options_.multicast_base_port), h, body);
      return;
    }
    for (uint32_t v : t.Row(row)) Send(t.vdevs()[v].address, h, body);
  }
  // A train: the value in pieces of one message each.
  void SendTrain(const std::string& to, const Header& h, const HashId& chid,
                 std::string_view bytes, uint64_t mask, bool named, uint8_t replication_count,
                 bool defer_sync = false) {
    // kTrainOverhead bytes of each message are left for the header and the transfer's
    // fields; a network whose messages are smaller would make pieces of 0 bytes and loop
    // forever.
    CCOW_CHECK(network_->max_message_bytes() > kTrainOverhead);
    size_t piece = network_->max_message_bytes() - kTrainOverhead;
    uint64_t offset = 0;
    do {
      size_t n = std::min<uint64_t>(piece, bytes.size() - offset);
      // The piece's payload is gathered from `bytes` by the send itself, never copied.
      Message::Frame f =
          Message{h, RendezvousTransfer{chid, bytes.size(), offset, mask, {}, named, replication_count, defer_sync}}
              .EncodeFrame(bytes.substr(offset, n));
      const std::string_view parts[3] = {f.head, bytes.substr(offset, n), f.tail};
      Status s = endpoint_->SendParts(to, parts);
      Counted(to, s, f.head.size() + n + f.tail.size(), n);
      offset += n;
    } while (offset < bytes.size());
  }

  // Liveness: a VDEV that did not answer is not waited for until suspect_ns passes (it is
  // still asked, and any reply clears it).
  bool IsSuspect(const std::string& vdev_id) {
    std::lock_guard lock(suspects_mu_);
    auto it = suspects_.find(vdev_id);
    return it != suspects_.end() && it->second > network_->NowNs();
  }
  void MarkSuspect(const std::string& vdev_id) {
    std::lock_guard lock(suspects_mu_);
    suspects_[vdev_id] = network_->NowNs() + options_.suspect_ns;
  }
  void ClearSuspect(const std::string& vdev_id) {
    std::lock_guard lock(suspects_mu_);
    suspects_.erase(vdev_id);
  }
  void Count(uint64_t InitiatorStats::*field) {
    std::lock_guard lock(mu_);
    ++(stats_.*field);
  }

  // The index of the VDEV that sent a reply, or -1.
  static int VdevOf(const FlexHashTable& t, const std::string& from) {
    for (size_t i = 0; i < t.vdevs().size(); ++i)
      if (t.vdevs()[i].address == from) return static_cast<int>(i);
    return -1;
  }
  using FinishedFn = std::function<bool(const std::vector<Reply>&, const std::string&)>;
  using RepliesFn = std::function<bool(const std::vector<Reply>&)>;
  // True once every VDEV in `wanted` (but the suspects, if skip_suspects) has finished;
  // `finished` says whether its replies so far end its part (a get response piece may not).
  bool AllAnswered(const FlexHashTable& t, const std::vector<uint32_t>& wanted,
                   const std::vector<Reply>& replies, const FinishedFn& finished,
                   bool skip_suspects = true) {
    for (uint32_t v : wanted) {
      const VdevInfo& info = t.vdevs()[v];
      if (finished(replies, info.address)) continue;
      if (!skip_suspects) return false;
      std::lock_guard lock(suspects_mu_);
      auto it = suspects_.find(info.id);
      if (it == suspects_.end() || it->second <= network_->NowNs()) return false;
    }
    return true;
  }
  // Waits for the VDEVs in `wanted` to finish, or for early(): first not for suspects;
  // then, unless enough(), for the suspects too, up to the same timeout. Suspicion only
  // shortens waits that are already sufficient; a lost reply cannot make a VDEV invisible.
  std::vector<Reply> WaitForGroup(uint64_t txid, const FlexHashTable& t,
                                  const std::vector<uint32_t>& wanted, const FinishedFn& finished,
                                  const RepliesFn& early, const RepliesFn& enough) {
    auto replies = Wait(txid, options_.reply_timeout_ns, [&](const std::vector<Reply>& r) {
      return early(r) || AllAnswered(t, wanted, r, finished);
    });
    if (!early(replies) && !enough(replies) && !AllAnswered(t, wanted, replies, finished, false)) {
      replies = Wait(txid, options_.reply_timeout_ns, [&](const std::vector<Reply>& r) {
        return early(r) || AllAnswered(t, wanted, r, finished, false);
      });
    }
    if (!early(replies)) UpdateSuspects(t, wanted, replies, finished);
    return replies;
  }
  static bool Never(const std::vector<Reply>&) { return false; }
  // After a wait: every VDEV in wanted that did not finish becomes suspect; those that did
  // are cleared.
  void UpdateSuspects(const FlexHashTable& t, const std::vector<uint32_t>& wanted,
                      const std::vector<Reply>& replies,
                      const std::function<bool(const std::vector<Reply>&, const std::string&)>& finished) {
    for (uint32_t v : wanted) {
      if (finished(replies, t.vdevs()[v].address))
        ClearSuspect(t.vdevs()[v].id);
      else
        MarkSuspect(t.vdevs()[v].id);
    }
  }
  static bool RepliedAtAll(const std::vector<Reply>& replies, const std::string& from) {
    for (const Reply& r : replies)
      if (r.from == from) return true;
    return false;
  }
  // A newer generation seen in the replies: refetch the table before the next attempt.
  // A target still at an older generation is installing the new one (they learn it from
  // the cluster state within moments of each other): wait a little before the next attempt.
  bool HandleMismatch(const FlexHashTable& t, const std::vector<Reply>& replies) {
    bool lagging = false;
    for (const Reply& r : replies) {
      auto* mm = std::get_if<GenerationMismatch>(&r.msg.body);
      if (mm && mm->current_generation > t.generation()) {
        Count(&InitiatorStats::generation_refreshes);
        Status s = RefreshFrom(r.from);
        if (!s.ok()) spdlog::warn("replicast: FlexHash refresh from {} failed: {}", r.from, s.ToString());
        return true;
      }
      lagging |= mm != nullptr;
    }
    if (lagging) network_->SleepFor(kLaggingTargetWaitNs);
    return lagging;
  }
  static constexpr uint64_t kLaggingTargetWaitNs = 100'000'000;
  Status RefreshFrom(const std::string& address);
  // One round of an unnamed get (a probe or a touch asking replication_count) to a chunk's
  // row, every member's answer awaited; nullopt when the FlexHash changed (the caller
  // retries).
  std::optional<std::vector<Reply>> AskRow(const FlexHashTable& t, const HashId& chid, GetMode mode,
                                           uint8_t replication_count = 0);
  // After a membership change a chunk or name may still sit only on VDEVs outside its
  // current row (healing has not moved it yet): one request to every VDEV of the table
  // outside the row, waiting for their replies.
  std::vector<Reply> AskOutsideRow(const FlexHashTable& t, uint32_t row, const Body& body,
                                   const FinishedFn& finished);

  // Sends the train to each chosen VDEV (or once to the row's group) and waits for their
  // acknowledgements; a train not acked in time is sent again once (pieces already
  // received are ignored) before giving up on that VDEV. *pin_epoch, when given, is
  // lowered to the oldest pin epoch the acks carry. replication_count: a chunk's R, which
  // each receiver records (0 for a named value). deferred, when given: a chunk's train of a
  // deferred-sync put, whose acks (with an incarnation) are appended there. Not patient:
  // one wait for the acks, no resend and no ack timeout (a caller with another way).
  std::map<std::string, Outcome> TransferTo(const FlexHashTable& t, const Header& h,
                                            const std::vector<uint32_t>& chosen,
                                            const HashId& chid, std::string_view bytes,
                                            uint64_t* pin_epoch, bool named, uint8_t replication_count,
                                            std::vector<DeferredHolder>* deferred = nullptr, bool patient = true);
  // A small new chunk put without negotiation (PutNewChunk): one train, in one message, to the R
  // VDEVs of its row ranked first by RankOf in distinct failure domains, none suspect;
  // each stores it (or finds it stored) and acks as it would a negotiated train. True
  // when all R acked; false leaves the rest to the negotiation (nothing is marked suspect
  // for a refusal, only for silence, and silence is waited for once, not until the ack
  // timeout: the negotiation that follows needs no answer from a dead VDEV).
  bool PutDirect(const HashId& chid, std::string_view bytes, uint8_t replication_count, uint64_t* pin_epoch,
                 std::vector<DeferredHolder>* deferred);
  // The order in which VDEV v of a row ranks for chunk chid when bids are equal (an idle
  // row bids alike) and for a direct put: a hash of both, so that chunks spread evenly
  // over a row and one chunk ranks the VDEVs the same way on every attempt.
  static uint64_t RankOf(const HashId& chid, uint32_t v) {
    uint64_t x = 0;
    std::memcpy(&x, chid.digest(), sizeof x);
    x ^= 0x9e3779b97f4a7c15ull * (v + 1);  // splitmix64's finalizer
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  // What a train's message takes besides its payload (header, CHID, offsets).
  static constexpr size_t kTrainOverhead = 512;
  // The value of a name at one VDEV (nullopt: it holds none).
  Result<std::optional<NamedValue>> GetNamedAt(const FlexHashTable& t, const std::string& address,
                                               const std::string& name);
  // The first r_count of candidates, in their order, that are not suspect, in distinct
  // failure domains; with fill, topped up from the domains used when that falls short.
  std::vector<uint32_t> Spread(const FlexHashTable& t, const std::vector<uint32_t>& candidates, size_t r_count,
                               bool fill);
  // The VDEVs to hold a name: the first R of its row, in distinct failure domains, that
  // are not suspect (filled from used domains only when the row spans fewer than R).
  std::vector<uint32_t> HomeReplicas(const FlexHashTable& t, uint32_t row);
  // How many failure domains a row's VDEVs span.
  static size_t RowDomains(const FlexHashTable& t, uint32_t row);
  // A named put to some VDEVs of a row; their outcomes by address.
  std::map<std::string, Outcome> NamedPutTo(const FlexHashTable& t, const std::vector<uint32_t>& to,
                                            const NamedPutProposal& proposal,
                                            const std::string& value);
  // NamedPutTo's round for a value inside its proposal (proposal.value set): sent to each,
  // settled by their acks or nacks (resent once to the silent ones).
  std::map<std::string, Outcome> NamedPutInline(const FlexHashTable& t, const Header& h,
                                                const std::vector<uint32_t>& to,
                                                const NamedPutProposal& proposal);
  // Whether `from` answered a transfer (or an inline named put) for good: ack, nack, or a
  // generation mismatch.
  static bool Settled(const std::vector<Reply>& replies, const std::string& from);
  // Waits until every VDEV of `to` settled: first_wait_ns, then, after resend(the silent
  // ones), up to the ack timeout. The replies so far.
  std::vector<Reply> AwaitAcks(uint64_t txid, const FlexHashTable& t, const std::vector<uint32_t>& to,
                               uint64_t first_wait_ns,
                               const std::function<void(const std::vector<uint32_t>&)>& resend);
  // What a named proposal takes besides its name and inline value (header, ids, numbers).
  static constexpr size_t kNamedProposalOverhead = 512;

  Network* network_;
  InitiatorOptions options_;
  std::unique_ptr<Endpoint> endpoint_;
  mutable std::shared_mutex table_mu_;
  Table table_;
  mutable std::mutex mu_;  // mailbox_, stats_, next_txid_; held while a wait tests replies
  uint64_t next_txid_ = 0;
  std::map<uint64_t, std::vector<Reply>> mailbox_;
  std::mutex suspects_mu_;  // taken inside mu_, never the other way round
  std::map<std::string, uint64_t> suspects_;  // VDEV id -> suspect until
  InitiatorStats stats_;
};

}  // namespace ccow::replicast::internal
