#include "replicast/initiator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <vector>

#include "replicast/message.h"

namespace ccow::replicast {
namespace {

struct Reply {
  std::string from;
  Message msg;
};

// What became of a proposal or train at one VDEV.
enum class Outcome { kNone, kAcked, kConflict, kNoSpace, kMismatch, kFailed };

std::string Describe(const HashId& id) { return id.ToString().substr(0, 24); }

}  // namespace

Result<SelectPolicy> ParseSelectPolicy(const std::string& name) {
  if (name == "queue-latency") return SelectPolicy::kQueueLatency;
  if (name == "free-space") return SelectPolicy::kFreeSpace;
  if (name == "earliest-window") return SelectPolicy::kEarliestWindow;
  return Status::InvalidArgument("unknown select policy '" + name +
                                 "' (queue-latency, free-space or earliest-window)");
}

namespace {

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

  Status PutChunk(const HashId& chid, std::string_view bytes, bool* stored_new) override;
  Status GetChunk(const HashId& chid, std::string* out) override;
  Result<std::optional<NamedValue>> GetNamed(const std::string& name) override;
  Status PutNamed(const std::string& name, uint64_t expected_seq, uint64_t new_seq,
                  const std::string& value) override;
  Status ScanNamed(const std::string& prefix, const std::string& start_after,
                   const std::function<bool(const std::string&, const NamedValue&)>& fn) override;
  Status RefreshFlexHash() override;

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

  void Send(const std::string& to, const Header& h, Body body, size_t payload = 0) {
    std::string bytes = Message{h, std::move(body)}.Encode();
    Status s = endpoint_->Send(to, bytes);
    std::lock_guard lock(mu_);
    stats_.messages_sent++;
    stats_.bytes_sent += bytes.size();
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
                 std::string_view bytes, uint64_t mask) {
    size_t piece = network_->max_message_bytes() - 512;
    uint64_t offset = 0;
    do {
      size_t n = std::min<uint64_t>(piece, bytes.size() - offset);
      Send(to, h, RendezvousTransfer{chid, bytes.size(), offset, mask, std::string(bytes.substr(offset, n))}, n);
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
  bool HandleMismatch(const FlexHashTable& t, const std::vector<Reply>& replies) {
    for (const Reply& r : replies) {
      auto* mm = std::get_if<GenerationMismatch>(&r.msg.body);
      if (mm && mm->current_generation > t.generation()) {
        Count(&InitiatorStats::generation_refreshes);
        Status s = RefreshFrom(r.from);
        if (!s.ok()) spdlog::warn("replicast: FlexHash refresh from {} failed: {}", r.from, s.ToString());
        return true;
      }
    }
    return false;
  }
  Status RefreshFrom(const std::string& address);

  // Sends the train to each chosen VDEV (or once to the row's group) and waits for their
  // acknowledgements; a train not acked in time is sent again once (pieces already
  // received are ignored) before giving up on that VDEV.
  std::map<std::string, Outcome> TransferTo(const FlexHashTable& t, const Header& h,
                                            const std::vector<uint32_t>& chosen,
                                            const HashId& chid, std::string_view bytes);
  // The VDEVs to hold a name: the first R of its row, in distinct failure domains, that
  // are not suspect.
  std::vector<uint32_t> HomeReplicas(const FlexHashTable& t, uint32_t row);
  // A named put to some VDEVs of a row; their outcomes by address.
  std::map<std::string, Outcome> NamedPutTo(const FlexHashTable& t, const std::vector<uint32_t>& to,
                                            const NamedPutProposal& proposal,
                                            const std::string& value);

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

// Assembles the value a VDEV returned as get response pieces; nullopt until complete.
// *failed is set when it answered not found or corrupt.
std::optional<NamedValue> Assemble(const std::vector<Reply>& replies, const std::string& from,
                                   HashId* chid, GetStatus* failed) {
  std::map<uint64_t, const GetResponse*> pieces;
  uint64_t total = 0, seq = 0;
  bool any = false;
  for (const Reply& r : replies) {
    if (r.from != from) continue;
    auto* g = std::get_if<GetResponse>(&r.msg.body);
    if (!g) continue;
    if (g->status != GetStatus::kOk) {
      if (failed) *failed = g->status;
      return std::nullopt;
    }
    if (any && (g->total_size != total || g->seq != seq || g->chid != *chid)) continue;
    any = true;
    total = g->total_size;
    seq = g->seq;
    *chid = g->chid;
    pieces[g->offset] = g;
  }
  if (!any) return std::nullopt;
  NamedValue v{seq, {}};
  v.value.reserve(total);
  for (const auto& [offset, g] : pieces) {
    if (offset != v.value.size()) return std::nullopt;  // a hole (or overlap): not yet
    v.value += g->payload;
  }
  if (v.value.size() != total) return std::nullopt;
  return v;
}

// Whether a VDEV's part of a get is over: all pieces of its value arrived, or it failed or
// refused. Waits test this on every arrival, so it only counts bytes (assembling a 16 MiB
// value on each of its 280 pieces would copy quadratically).
bool Finished(const std::vector<Reply>& replies, const std::string& from) {
  std::set<uint64_t> offsets;
  uint64_t total = 0, bytes = 0;
  bool first = true;
  for (const Reply& r : replies) {
    if (r.from != from) continue;
    if (std::holds_alternative<GenerationMismatch>(r.msg.body)) return true;
    auto* g = std::get_if<GetResponse>(&r.msg.body);
    if (!g) continue;
    if (g->status != GetStatus::kOk) return true;
    if (!first && g->total_size != total) continue;  // Assemble ignores such pieces too
    first = false;
    total = g->total_size;
    if (offsets.insert(g->offset).second) bytes += g->payload.size();
  }
  return !first && bytes >= total;
}

Status InitiatorImpl::RefreshFrom(const std::string& address) {
  uint64_t txid = Begin();
  Send(address, Header{txid, 0, 0}, ServerListGet{});
  auto replies = Wait(txid, options_.reply_timeout_ns * 4, [](const std::vector<Reply>& r) {
    return std::any_of(r.begin(), r.end(), [](const Reply& x) {
      return std::holds_alternative<ServerListResponse>(x.msg.body);
    });
  });
  End(txid);
  for (const Reply& r : replies)
    if (auto* s = std::get_if<ServerListResponse>(&r.msg.body)) return Install(s->flexhash_json);
  return Status::Unavailable("no FlexHash from " + address);
}

Status InitiatorImpl::RefreshFlexHash() {
  Table t = flexhash();
  Status last = Status::Unavailable("the FlexHash table lists no VDEV");
  for (const VdevInfo& v : t->vdevs()) {
    if (IsSuspect(v.id)) continue;
    last = RefreshFrom(v.address);
    if (last.ok()) return last;
  }
  return last;
}

std::map<std::string, Outcome> InitiatorImpl::TransferTo(const FlexHashTable& t, const Header& h,
                                                         const std::vector<uint32_t>& chosen,
                                                         const HashId& chid, std::string_view bytes) {
  std::map<std::string, Outcome> outcome;
  auto send = [&](const std::vector<uint32_t>& to) {
    if (options_.multicast) {
      uint64_t mask = 0;
      const auto& row = t.Row(h.row);
      for (uint32_t v : to)
        for (size_t i = 0; i < row.size() && i < 64; ++i)
          if (row[i] == v) mask |= 1ull << i;
      SendTrain(MulticastGroupOf(h.row, options_.multicast_base_port), h, chid, bytes, mask);
    } else {
      for (uint32_t v : to) SendTrain(t.vdevs()[v].address, h, chid, bytes, 0);
    }
  };
  auto settled = [&](const std::vector<Reply>& replies, const std::string& from) {
    for (const Reply& r : replies)
      if (r.from == from && (std::holds_alternative<PayloadAck>(r.msg.body) ||
                             std::holds_alternative<PayloadNack>(r.msg.body)))
        return true;
    return false;
  };
  auto all_settled = [&](const std::vector<Reply>& replies) {
    for (uint32_t v : chosen)
      if (!settled(replies, t.vdevs()[v].address)) return false;
    return true;
  };
  send(chosen);
  // The first wait allows for the transfer and the target's fsync; a lost piece then
  // costs one resend rather than the whole negotiation.
  uint64_t first_wait = std::min<uint64_t>(options_.ack_timeout_ns, 200'000'000 + bytes.size() * 20);
  std::vector<Reply> replies = Wait(h.txid, first_wait, all_settled);
  if (!all_settled(replies)) {
    std::vector<uint32_t> missing;
    for (uint32_t v : chosen)
      if (!settled(replies, t.vdevs()[v].address)) missing.push_back(v);
    send(missing);
    replies = Wait(h.txid, options_.ack_timeout_ns, all_settled);
  }
  for (uint32_t v : chosen) outcome[t.vdevs()[v].address] = Outcome::kFailed;
  for (const Reply& r : replies) {
    if (!outcome.count(r.from) || outcome[r.from] != Outcome::kFailed) continue;
    if (std::holds_alternative<PayloadAck>(r.msg.body)) {
      outcome[r.from] = Outcome::kAcked;
    } else if (auto* nack = std::get_if<PayloadNack>(&r.msg.body)) {
      outcome[r.from] = nack->reason == NackReason::kConflict  ? Outcome::kConflict
                        : nack->reason == NackReason::kNoSpace ? Outcome::kNoSpace
                                                               : Outcome::kFailed;
    }
  }
  return outcome;
}

Status InitiatorImpl::PutChunk(const HashId& chid, std::string_view bytes, bool* stored_new) {
  Count(&InitiatorStats::chunk_puts);
  *stored_new = false;
  bool transferred = false;
  std::string last_problem = "no attempt made";
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    if (attempt > 0) Count(&InitiatorStats::retries);
    Table t = flexhash();
    const FailureDomain fd = t->failure_domain();
    const uint32_t row = t->RowOf(chid);
    const auto& members = t->Row(row);
    const uint64_t txid = Begin();
    const Header h{txid, row, t->generation()};
    SendToRow(*t, row, h, UnnamedPutProposal{chid, bytes.size()});
    const uint32_t r_count = std::min<uint32_t>(options_.replication_count, members.size());
    auto offers_enough = [&](const std::vector<Reply>& rs) {
      std::set<std::string> domains;
      for (const Reply& r : rs) {
        int v = VdevOf(*t, r.from);
        if (v >= 0 && (std::holds_alternative<Bid>(r.msg.body) ||
                       std::holds_alternative<AcceptContentStored>(r.msg.body)))
          domains.insert(DomainOf(t->vdevs()[v], fd));
      }
      return domains.size() >= r_count;
    };
    auto replies = WaitForGroup(txid, *t, members, RepliedAtAll, Never, offers_enough);
    if (HandleMismatch(*t, replies)) {
      End(txid);
      last_problem = "FlexHash generation changed";
      continue;
    }
    std::set<std::string> held_domains;
    std::vector<std::pair<uint32_t, Bid>> bids;
    uint32_t retry_after_ms = 0;
    bool no_space = false;
    for (const Reply& r : replies) {
      int v = VdevOf(*t, r.from);
      if (v < 0) continue;
      if (std::holds_alternative<AcceptContentStored>(r.msg.body)) {
        held_domains.insert(DomainOf(t->vdevs()[v], fd));
      } else if (auto* bid = std::get_if<Bid>(&r.msg.body)) {
        if (std::none_of(bids.begin(), bids.end(), [&](auto& b) { return b.first == uint32_t(v); }))
          bids.emplace_back(v, *bid);
      } else if (auto* nn = std::get_if<AcceptNotNow>(&r.msg.body)) {
        retry_after_ms = std::max(retry_after_ms, nn->retry_after_ms);
      } else if (auto* nack = std::get_if<PayloadNack>(&r.msg.body)) {
        no_space |= nack->reason == NackReason::kNoSpace;
      }
    }
    if (held_domains.size() >= r_count) {
      End(txid);
      if (!transferred) Count(&InitiatorStats::chunk_puts_deduplicated);
      *stored_new = transferred;
      return Status::OK();
    }
    // The best bids in failure domains that do not hold the chunk yet.
    auto cost = [&](const Bid& b) -> double {
      switch (options_.select) {
        case SelectPolicy::kFreeSpace: return -static_cast<double>(b.free_bytes);
        case SelectPolicy::kEarliestWindow: return static_cast<double>(b.start_delay_ns);
        default:
          return (1.0 + b.queue_weight) * static_cast<double>(b.start_delay_ns + b.duration_ns + 1);
      }
    };
    std::stable_sort(bids.begin(), bids.end(),
                     [&](const auto& a, const auto& b) { return cost(a.second) < cost(b.second); });
    std::vector<uint32_t> chosen;
    std::set<std::string> domains = held_domains;
    uint64_t start_delay = 0;
    for (const auto& [v, bid] : bids) {
      if (domains.size() >= r_count) break;
      if (!domains.insert(DomainOf(t->vdevs()[v], fd)).second) continue;
      chosen.push_back(v);
      start_delay = std::max(start_delay, bid.start_delay_ns);
    }
    if (domains.size() < r_count) {
      End(txid);
      last_problem = "only " + std::to_string(domains.size()) + " of " + std::to_string(r_count) +
                     " failure domains of row " + std::to_string(row) + " could take it" +
                     (no_space ? " (some VDEVs are full)" : "");
      if (retry_after_ms) network_->SleepFor(uint64_t{retry_after_ms} * 1'000'000);
      continue;
    }
    // Rendezvous: transmit when every chosen receiver said it would be ready.
    if (start_delay > 0) network_->SleepFor(std::min(start_delay, options_.max_rendezvous_wait_ns));
    auto outcome = TransferTo(*t, h, chosen, chid, bytes);
    End(txid);
    transferred = true;
    size_t acked = 0;
    for (uint32_t v : chosen) {
      Outcome o = outcome[t->vdevs()[v].address];
      if (o == Outcome::kAcked) {
        ++acked;
      } else {
        MarkSuspect(t->vdevs()[v].id);
      }
    }
    if (acked == chosen.size()) {
      *stored_new = true;
      return Status::OK();
    }
    // The next attempt sees the acked replicas as "content stored" and fills the rest.
    last_problem = std::to_string(acked) + " of " + std::to_string(chosen.size()) +
                   " chosen VDEVs acknowledged";
  }
  return Status::Unavailable("chunk " + Describe(chid) + " could not be stored on " +
                             std::to_string(options_.replication_count) + " replicas after " +
                             std::to_string(options_.attempts) + " attempts: " + last_problem);
}

Status InitiatorImpl::GetChunk(const HashId& chid, std::string* out) {
  Count(&InitiatorStats::chunk_gets);
  std::set<std::string> bad;  // VDEVs that served bytes that do not verify, or failed
  bool any_corrupt = false;
  std::string last_problem = "no attempt made";
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    if (attempt > 0) Count(&InitiatorStats::retries);
    Table t = flexhash();
    const uint32_t row = t->RowOf(chid);
    const auto& members = t->Row(row);
    uint64_t txid = Begin();
    Header h{txid, row, t->generation()};
    SendToRow(*t, row, h, UnnamedGet{chid, GetMode::kProbe});
    auto has_holder = [&](const std::vector<Reply>& replies) {
      for (const Reply& r : replies) {
        auto* g = std::get_if<GetResponse>(&r.msg.body);
        if (g && g->status == GetStatus::kOk && !bad.count(r.from)) return true;
      }
      return false;
    };
    auto replies = WaitForGroup(txid, *t, members, RepliedAtAll, has_holder, Never);
    End(txid);
    if (HandleMismatch(*t, replies)) continue;
    std::vector<std::string> holders;
    size_t answered = 0;
    for (const Reply& r : replies) {
      auto* g = std::get_if<GetResponse>(&r.msg.body);
      if (!g) continue;
      ++answered;
      if (g->status == GetStatus::kOk && !bad.count(r.from) &&
          std::find(holders.begin(), holders.end(), r.from) == holders.end())
        holders.push_back(r.from);
    }
    if (holders.empty()) {
      // Every member answered and none holds a good copy: it is not there.
      if (AllAnswered(*t, members, replies, RepliedAtAll, false)) {
        if (any_corrupt || !bad.empty())
          return Status::Corruption("chunk " + chid.ToString() + ": no replica verifies");
        return Status::NotFound("chunk " + chid.ToString() + " is on none of the " +
                                std::to_string(members.size()) + " VDEVs of row " +
                                std::to_string(row));
      }
      last_problem = "no VDEV of row " + std::to_string(row) + " answered with the chunk";
      continue;
    }
    for (const std::string& holder : holders) {
      uint64_t fetch = Begin();
      Send(holder, Header{fetch, row, t->generation()}, UnnamedGet{chid, GetMode::kFetch});
      auto pieces = Wait(fetch, options_.fetch_timeout_ns, [&](const std::vector<Reply>& r) {
        return Finished(r, holder);
      });
      End(fetch);
      HashId value_chid;
      GetStatus failed = GetStatus::kOk;
      auto v = Assemble(pieces, holder, &value_chid, &failed);
      if (v && value_chid == chid && HashBytes(chid.algo(), v->value) == chid) {
        *out = std::move(v->value);
        return Status::OK();
      }
      if (v || failed == GetStatus::kCorrupt) {
        any_corrupt = true;
        Count(&InitiatorStats::bad_replicas);
        spdlog::warn("replicast: {} served a copy of chunk {} that does not verify", holder,
                     Describe(chid));
        bad.insert(holder);
      } else if (failed == GetStatus::kNotFound) {
        bad.insert(holder);  // raced with something that removed it
      } else {
        last_problem = "fetch from " + holder + " timed out";
        int vi = VdevOf(*t, holder);
        if (vi >= 0) MarkSuspect(t->vdevs()[vi].id);
      }
    }
  }
  if (any_corrupt) return Status::Corruption("chunk " + chid.ToString() + ": no replica verifies");
  return Status::Unavailable("chunk " + chid.ToString() + " could not be read after " +
                             std::to_string(options_.attempts) + " attempts: " + last_problem);
}

Result<std::optional<NamedValue>> InitiatorImpl::GetNamed(const std::string& name) {
  const HashId nhid = NameHashOf(name);
  std::string last_problem = "no attempt made";
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    if (attempt > 0) Count(&InitiatorStats::retries);
    Table t = flexhash();
    const uint32_t row = t->RowOf(nhid);
    const auto& members = t->Row(row);
    uint64_t txid = Begin();
    Header h{txid, row, t->generation()};
    SendToRow(*t, row, h, NamedGet{nhid, name});
    // Any R-set of the row meets every set of (members - R + 1): enough answers see the
    // newest write.
    const size_t r_count = std::min<size_t>(options_.replication_count, members.size());
    const size_t needed = members.size() - r_count + 1;
    auto enough = [&](const std::vector<Reply>& rs) {
      size_t n = 0;
      for (uint32_t v : members) n += Finished(rs, t->vdevs()[v].address);
      return n >= needed;
    };
    auto replies = WaitForGroup(txid, *t, members, Finished, Never, enough);
    End(txid);
    if (HandleMismatch(*t, replies)) continue;
    size_t answered = 0;
    std::optional<NamedValue> newest;
    for (uint32_t v : members) {
      const std::string& from = t->vdevs()[v].address;
      HashId value_chid;
      GetStatus failed = GetStatus::kOk;
      auto value = Assemble(replies, from, &value_chid, &failed);
      if (value && value->ValueChid() == value_chid) {
        ++answered;
        if (!newest || value->seq > newest->seq ||
            (value->seq == newest->seq && value->ValueChid() < newest->ValueChid()))
          newest = std::move(value);
      } else if (failed == GetStatus::kNotFound) {
        ++answered;
      }
    }
    if (answered >= needed) return newest;
    last_problem = "only " + std::to_string(answered) + " of the " + std::to_string(needed) +
                   " VDEVs needed answered";
  }
  return Status::Unavailable("the version list of '" + name + "' could not be read: " + last_problem);
}

std::vector<uint32_t> InitiatorImpl::HomeReplicas(const FlexHashTable& t, uint32_t row) {
  const size_t r_count = std::min<size_t>(options_.replication_count, t.Row(row).size());
  std::vector<uint32_t> home;
  std::set<std::string> domains;
  for (int pass = 0; pass < 2 && home.size() < r_count; ++pass) {
    for (uint32_t v : t.Row(row)) {
      if (home.size() >= r_count) break;
      if (IsSuspect(t.vdevs()[v].id) || std::find(home.begin(), home.end(), v) != home.end())
        continue;
      // Distinct failure domains first; a row with fewer domains than R fills from the rest.
      if (pass == 0 && !domains.insert(DomainOf(t.vdevs()[v], t.failure_domain())).second) continue;
      home.push_back(v);
    }
  }
  return home;
}

std::map<std::string, Outcome> InitiatorImpl::NamedPutTo(const FlexHashTable& t,
                                                         const std::vector<uint32_t>& to,
                                                         const NamedPutProposal& proposal,
                                                         const std::string& value) {
  uint64_t txid = Begin();
  const Header h{txid, t.RowOf(proposal.nhid), t.generation()};
  for (uint32_t v : to) Send(t.vdevs()[v].address, h, proposal);
  auto replies = WaitForGroup(txid, t, to, RepliedAtAll, Never, Never);
  std::map<std::string, Outcome> outcome;
  std::vector<uint32_t> bidders;
  for (uint32_t v : to) {
    const std::string& address = t.vdevs()[v].address;
    outcome[address] = Outcome::kFailed;
    for (const Reply& r : replies) {
      if (r.from != address) continue;
      if (std::holds_alternative<PayloadAck>(r.msg.body)) {
        outcome[address] = Outcome::kAcked;
      } else if (auto* nack = std::get_if<PayloadNack>(&r.msg.body)) {
        outcome[address] = nack->reason == NackReason::kConflict ? Outcome::kConflict
                           : nack->reason == NackReason::kNoSpace ? Outcome::kNoSpace
                                                                  : Outcome::kFailed;
      } else if (std::holds_alternative<GenerationMismatch>(r.msg.body)) {
        outcome[address] = Outcome::kMismatch;
      } else if (std::holds_alternative<Bid>(r.msg.body) || std::holds_alternative<AcceptNotNow>(r.msg.body)) {
        // Version lists are small: a "not now" is treated as a bid and sent anyway.
        if (std::find(bidders.begin(), bidders.end(), v) == bidders.end()) bidders.push_back(v);
        continue;
      }
      break;
    }
  }
  if (HandleMismatch(t, replies)) {
    End(txid);
    return outcome;
  }
  if (!bidders.empty() && !value.empty()) {
    auto sent = TransferTo(t, h, bidders, proposal.chid, value);
    for (auto& [address, o] : sent) outcome[address] = o;
  }
  End(txid);
  return outcome;
}

Status InitiatorImpl::PutNamed(const std::string& name, uint64_t expected_seq, uint64_t new_seq,
                               const std::string& value) {
  NamedPutProposal proposal;
  proposal.nhid = NameHashOf(name);
  proposal.name = name;
  proposal.chid = NamedValue{new_seq, value}.ValueChid();
  proposal.size = value.size();
  proposal.expected_seq = expected_seq;
  proposal.new_seq = new_seq;
  std::string last_problem = "no attempt made";
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    if (attempt > 0) Count(&InitiatorStats::retries);
    Table t = flexhash();
    const uint32_t row = t->RowOf(proposal.nhid);
    std::vector<uint32_t> home = HomeReplicas(*t, row);
    const size_t r_count = std::min<size_t>(options_.replication_count, t->Row(row).size());
    if (home.size() < r_count) {
      last_problem = "only " + std::to_string(home.size()) + " of " + std::to_string(r_count) +
                     " home replicas are reachable";
      network_->SleepFor(options_.reply_timeout_ns);
      // Suspicion expires; an attempt with fewer replicas than R is never acknowledged.
      std::lock_guard lock(suspects_mu_);
      for (auto& [id, until] : suspects_) until = std::min(until, network_->NowNs() + 1);
      continue;
    }
    // The first home replica serializes writers of the name (compare-and-swap)...
    proposal.mode = NamedPutMode::kCompareAndSwap;
    auto first = NamedPutTo(*t, {home[0]}, proposal, value);
    Outcome o = first[t->vdevs()[home[0]].address];
    if (o == Outcome::kConflict) return Status::Conflict("version list of '" + name + "' changed concurrently");
    if (o == Outcome::kNoSpace) return Status::NoSpace("VDEV " + t->vdevs()[home[0]].id + " is full");
    if (o != Outcome::kAcked) {
      if (o == Outcome::kFailed) MarkSuspect(t->vdevs()[home[0]].id);
      last_problem = "home replica " + t->vdevs()[home[0]].id + " did not acknowledge";
      continue;
    }
    // ...and the others take it when it is newer than what they hold.
    proposal.mode = NamedPutMode::kIfNewer;
    std::vector<uint32_t> rest(home.begin() + 1, home.end());
    auto others = NamedPutTo(*t, rest, proposal, value);
    size_t acked = 1;
    for (uint32_t v : rest) {
      Outcome r = others[t->vdevs()[v].address];
      if (r == Outcome::kAcked) ++acked;
      else if (r == Outcome::kConflict)
        return Status::Conflict("version list of '" + name + "' changed concurrently");
      else if (r == Outcome::kFailed) MarkSuspect(t->vdevs()[v].id);
    }
    if (acked >= r_count) return Status::OK();
    last_problem = std::to_string(acked) + " of " + std::to_string(r_count) + " replicas acknowledged";
  }
  return Status::Unavailable("the version list of '" + name + "' could not be written: " + last_problem);
}

Status InitiatorImpl::ScanNamed(const std::string& prefix, const std::string& start_after,
                                const std::function<bool(const std::string&, const NamedValue&)>& fn) {
  std::string cursor = start_after;
  uint32_t failures = 0;
  while (true) {
    Table t = flexhash();
    std::vector<uint32_t> all(t->vdevs().size());
    for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
    uint64_t txid = Begin();
    Header h{txid, 0, t->generation()};
    for (uint32_t v : all) Send(t->vdevs()[v].address, h, NameScan{prefix, cursor, 256});
    // Every name is on R VDEVs: answers from all but R-1 of them cover every name.
    const size_t r_count = std::min<size_t>(options_.replication_count, all.size());
    auto enough = [&](const std::vector<Reply>& rs) {
      std::set<std::string> from;
      for (const Reply& r : rs)
        if (std::holds_alternative<NameScanResponse>(r.msg.body)) from.insert(r.from);
      return from.size() >= all.size() - r_count + 1;
    };
    auto replies = WaitForGroup(txid, *t, all, RepliedAtAll, Never, enough);
    End(txid);
    if (HandleMismatch(*t, replies)) {
      if (++failures >= options_.attempts) return Status::Unavailable("FlexHash keeps changing");
      continue;
    }
    std::map<std::string, const NameScanResponse*> answers;
    for (const Reply& r : replies)
      if (auto* s = std::get_if<NameScanResponse>(&r.msg.body)) answers[r.from] = s;
    if (answers.size() < all.size() - r_count + 1) {
      if (++failures >= options_.attempts)
        return Status::Unavailable("listing needs " + std::to_string(all.size() - r_count + 1) +
                                   " VDEVs to answer; " + std::to_string(answers.size()) + " did");
      Count(&InitiatorStats::retries);
      continue;
    }
    // Each answer is complete up to its last name; the smallest such name among answers
    // that stopped early bounds what is known complete.
    std::optional<std::string> frontier;
    std::map<std::string, std::pair<const NameScanEntry*, std::string>> merged;  // name -> newest, from
    for (const auto& [from, s] : answers) {
      if (s->more && !s->entries.empty() && (!frontier || s->entries.back().name < *frontier))
        frontier = s->entries.back().name;
      for (const NameScanEntry& e : s->entries) {
        auto& slot = merged[e.name];
        if (!slot.first || e.seq > slot.first->seq || (e.seq == slot.first->seq && e.has_value && !slot.first->has_value))
          slot = {&e, from};
      }
    }
    for (const auto& [name, entry] : merged) {
      if (frontier && name > *frontier) break;
      NamedValue v{entry.first->seq, entry.first->value};
      if (!entry.first->has_value) {
        CCOW_ASSIGN_OR_RETURN(auto fetched, GetNamed(name));
        if (!fetched) continue;
        v = std::move(*fetched);
      }
      if (v.is_tombstone()) continue;
      if (!fn(name, v)) return Status::OK();
    }
    if (!frontier) return Status::OK();
    // Scans take start_after relative to the prefix, as the store does.
    std::string next = frontier->substr(prefix.size());
    if (next <= cursor) return Status::Internal("name scan under " + prefix + " made no progress");
    cursor = std::move(next);
  }
}

}  // namespace

Result<std::unique_ptr<Initiator>> Initiator::Create(Network* network, const std::string& bind_address,
                                                     const std::string& flexhash_json,
                                                     const InitiatorOptions& options) {
  auto initiator = std::make_unique<InitiatorImpl>(network, options);
  CCOW_RETURN_IF_ERROR(initiator->Init(bind_address, flexhash_json));
  return std::unique_ptr<Initiator>(std::move(initiator));
}

}  // namespace ccow::replicast
