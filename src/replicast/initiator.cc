#include "replicast/initiator.h"

#include "replicast/initiator_impl.h"

#include <cstring>

namespace ccow::replicast {

Result<SelectPolicy> ParseSelectPolicy(const std::string& name) {
  if (name == "queue-latency") return SelectPolicy::kQueueLatency;
  if (name == "free-space") return SelectPolicy::kFreeSpace;
  if (name == "earliest-window") return SelectPolicy::kEarliestWindow;
  return Status::InvalidArgument("unknown select policy '" + name +
                                 "' (queue-latency, free-space or earliest-window)");
}

namespace internal {

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
  if (options_.flexhash_source) {
    CCOW_ASSIGN_OR_RETURN(std::string json, options_.flexhash_source());
    return Install(json);
  }
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
  if (options_.flexhash_source) return RefreshFrom("");
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
                                                         const HashId& chid, std::string_view bytes,
                                                         uint64_t* pin_epoch, bool named,
                                                         uint8_t replication_count,
                                                         std::vector<DeferredHolder>* deferred, bool patient) {
  std::map<std::string, Outcome> outcome;
  auto send = [&](const std::vector<uint32_t>& to) {
    if (options_.multicast) {
      uint64_t mask = 0;
      const auto& row = t.Row(h.row);
      for (uint32_t v : to)
        for (size_t i = 0; i < row.size() && i < 64; ++i)
          if (row[i] == v) mask |= 1ull << i;
      SendTrain(MulticastGroupOf(h.row, options_.multicast_base_port), h, chid, bytes, mask, named,
                replication_count, deferred != nullptr);
    } else {
      for (uint32_t v : to)
        SendTrain(t.vdevs()[v].address, h, chid, bytes, 0, named, replication_count, deferred != nullptr);
    }
  };
  send(chosen);
  // The first wait allows for the transfer and the target's fsync; a lost piece then
  // costs one resend rather than the whole negotiation.
  const uint64_t first_wait = std::min<uint64_t>(options_.ack_timeout_ns, 200'000'000 + bytes.size() * 20);
  std::vector<Reply> replies =
      patient ? AwaitAcks(h.txid, t, chosen, first_wait, send)
              : Wait(h.txid, first_wait, [&](const std::vector<Reply>& rs) {
                  return std::all_of(chosen.begin(), chosen.end(),
                                     [&](uint32_t v) { return Settled(rs, t.vdevs()[v].address); });
                });
  for (uint32_t v : chosen) outcome[t.vdevs()[v].address] = Outcome::kFailed;
  for (const Reply& r : replies) {
    if (!outcome.count(r.from) || outcome[r.from] != Outcome::kFailed) continue;
    if (auto* ack = std::get_if<PayloadAck>(&r.msg.body)) {
      outcome[r.from] = Outcome::kAcked;
      if (pin_epoch) *pin_epoch = std::min(*pin_epoch, ack->pin_epoch);
      if (deferred && ack->incarnation != 0) deferred->push_back({r.from, ack->incarnation});
    } else if (auto* nack = std::get_if<PayloadNack>(&r.msg.body)) {
      outcome[r.from] = OutcomeOf(nack->reason);
    } else if (std::holds_alternative<GenerationMismatch>(r.msg.body)) {
      outcome[r.from] = Outcome::kMismatch;  // not silent: never a reason for suspicion
    }
  }
  return outcome;
}

bool InitiatorImpl::Settled(const std::vector<Reply>& replies, const std::string& from) {
  for (const Reply& r : replies)
    if (r.from == from &&
        (std::holds_alternative<PayloadAck>(r.msg.body) || std::holds_alternative<PayloadNack>(r.msg.body) ||
         std::holds_alternative<SyncReply>(r.msg.body) || std::holds_alternative<GenerationMismatch>(r.msg.body)))
      return true;
  return false;
}

std::vector<Reply> InitiatorImpl::AwaitAcks(uint64_t txid, const FlexHashTable& t, const std::vector<uint32_t>& to,
                                            uint64_t first_wait_ns,
                                            const std::function<void(const std::vector<uint32_t>&)>& resend) {
  auto all_settled = [&](const std::vector<Reply>& replies) {
    for (uint32_t v : to)
      if (!Settled(replies, t.vdevs()[v].address)) return false;
    return true;
  };
  std::vector<Reply> replies = Wait(txid, first_wait_ns, all_settled);
  if (!all_settled(replies)) {
    std::vector<uint32_t> missing;
    for (uint32_t v : to)
      if (!Settled(replies, t.vdevs()[v].address)) missing.push_back(v);
    resend(missing);
    replies = Wait(txid, options_.ack_timeout_ns, all_settled);
  }
  return replies;
}

Outcome OutcomeOf(NackReason reason) {
  switch (reason) {
    case NackReason::kConflict: return Outcome::kConflict;
    case NackReason::kNoSpace: return Outcome::kNoSpace;
    case NackReason::kFenced: return Outcome::kFenced;
    default: return Outcome::kRefused;
  }
}

Status InitiatorImpl::PutChunk(const HashId& chid, std::string_view bytes, bool* stored_new,
                               uint32_t replication_count, uint64_t* pin_epoch,
                               std::vector<DeferredHolder>* deferred) {
  const uint32_t asked = replication_count ? replication_count : options_.replication_count;
  if (asked < 1 || asked > 255)
    return Status::InvalidArgument("replication count " + std::to_string(asked) + " is outside 1..255");
  Count(&InitiatorStats::chunk_puts);
  *stored_new = false;
  bool transferred = false;
  // The oldest pin epoch among the answers that count: dedup answers and acks, any attempt.
  uint64_t oldest_pin = UINT64_MAX;
  // Holders that answered without a sync (a deferred put), any attempt; reported once each.
  std::vector<DeferredHolder> unsynced;
  auto done = [&](bool stored) {
    *stored_new = stored;
    if (pin_epoch) *pin_epoch = oldest_pin;
    if (deferred) {
      std::sort(unsynced.begin(), unsynced.end());
      unsynced.erase(std::unique(unsynced.begin(), unsynced.end()), unsynced.end());
      deferred->insert(deferred->end(), unsynced.begin(), unsynced.end());
    }
    return Status::OK();
  };
  std::string last_problem = "no attempt made";
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    if (attempt > 0) Count(&InitiatorStats::retries);
    Table t = flexhash();
    const FailureDomain fd = t->failure_domain();
    const uint32_t row = t->RowOf(chid);
    const auto& members = t->Row(row);
    const uint64_t txid = Begin();
    const Header h{txid, row, t->generation()};
    SendToRow(*t, row, h, UnnamedPutProposal{chid, bytes.size(), static_cast<uint8_t>(asked), deferred != nullptr});
    const uint32_t r_count = std::min<uint32_t>(asked, members.size());
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
      if (auto* stored = std::get_if<AcceptContentStored>(&r.msg.body)) {
        held_domains.insert(DomainOf(t->vdevs()[v], fd));
        oldest_pin = std::min(oldest_pin, stored->pin_epoch);
        if (stored->incarnation != 0) unsynced.push_back({r.from, stored->incarnation});
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
      return done(transferred);
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
    // Equal bids (an idle row bids alike) are ordered by a hash of the chunk and the VDEV,
    // not by which answered first: first answers come from the same quick processes each
    // time, and an idle cluster then put every chunk on the same R VDEVs of a row (a
    // 5-target cluster once had none on two of them). Hashing spreads them evenly, and
    // the same chunk ranks the VDEVs the same way on a retry.
    std::sort(bids.begin(), bids.end(), [&](const auto& a, const auto& b) {
      const double ca = cost(a.second), cb = cost(b.second);
      return ca < cb || (ca == cb && RankOf(chid, a.first) < RankOf(chid, b.first));
    });
    std::vector<uint32_t> chosen;
    std::set<std::string> domains = held_domains;
    uint64_t start_delay = 0;
    for (const auto& [v, bid] : bids) {
      if (domains.size() >= r_count) break;
      if (!domains.insert(DomainOf(t->vdevs()[v], fd)).second) continue;
      chosen.push_back(v);
      start_delay = std::max(start_delay, bid.start_delay_ns);
    }
    // The bidders not chosen (every bidder when the chunk cannot be placed) free their
    // reserved windows now rather than when they expire; a multicast train, which every
    // VDEV of the row sees, tells them itself.
    const bool placed = domains.size() >= r_count;
    for (const auto& [v, bid] : bids) {
      const bool was_chosen = std::find(chosen.begin(), chosen.end(), v) != chosen.end();
      if (!placed || (!was_chosen && !options_.multicast)) Send(t->vdevs()[v].address, h, BidRelease{chid});
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
    auto outcome = TransferTo(*t, h, chosen, chid, bytes, &oldest_pin, /*named=*/false, static_cast<uint8_t>(asked),
                              deferred ? &unsynced : nullptr);
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
    if (acked == chosen.size()) return done(true);
    // The next attempt sees the acked replicas as "content stored" and fills the rest.
    last_problem = std::to_string(acked) + " of " + std::to_string(chosen.size()) +
                   " chosen VDEVs acknowledged";
  }
  return Status::Unavailable("chunk " + Describe(chid) + " could not be stored on " +
                             std::to_string(asked) + " replicas after " +
                             std::to_string(options_.attempts) + " attempts: " + last_problem);
}

std::vector<Reply> InitiatorImpl::AskOutsideRow(const FlexHashTable& t, uint32_t row, const Body& body,
                                                const FinishedFn& finished) {
  std::vector<uint32_t> outside;
  const auto& members = t.Row(row);
  for (uint32_t v = 0; v < t.vdevs().size(); ++v)
    if (std::find(members.begin(), members.end(), v) == members.end()) outside.push_back(v);
  if (outside.empty()) return {};
  uint64_t txid = Begin();
  Header h{txid, row, t.generation()};
  for (uint32_t v : outside) Send(t.vdevs()[v].address, h, body);
  auto replies = Wait(txid, options_.reply_timeout_ns, [&](const std::vector<Reply>& r) {
    return AllAnswered(t, outside, r, finished);
  });
  End(txid);
  return replies;
}

std::optional<std::vector<Reply>> InitiatorImpl::AskRow(const FlexHashTable& t, const HashId& chid, GetMode mode,
                                                        uint8_t replication_count) {
  const uint32_t row = t.RowOf(chid);
  uint64_t txid = Begin();
  SendToRow(t, row, Header{txid, row, t.generation()}, UnnamedGet{chid, mode, replication_count});
  auto replies = WaitForGroup(txid, t, t.Row(row), RepliedAtAll, Never, Never);
  End(txid);
  if (HandleMismatch(t, replies)) return std::nullopt;
  return replies;
}

Result<std::vector<Initiator::Holder>> InitiatorImpl::ProbeChunk(const HashId& chid) {
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    Table t = flexhash();
    auto replies = AskRow(*t, chid, GetMode::kProbe);
    if (!replies) continue;
    std::vector<Holder> holders;
    for (const Reply& r : *replies) {
      auto* g = std::get_if<GetResponse>(&r.msg.body);
      int v = VdevOf(*t, r.from);
      if (g && g->status == GetStatus::kOk && v >= 0 &&
          std::none_of(holders.begin(), holders.end(),
                       [&](const Holder& x) { return x.vdev_id == t->vdevs()[v].id; }))
        holders.push_back({t->vdevs()[v].id, g->replication_count});
    }
    return holders;
  }
  return Status::Unavailable("chunk " + Describe(chid) + " could not be probed: the FlexHash kept changing");
}

Result<uint64_t> InitiatorImpl::TouchChunk(const HashId& chid, uint32_t replication_count) {
  const auto asked = static_cast<uint8_t>(std::min<uint32_t>(replication_count, 255));
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    Table t = flexhash();
    const uint32_t row = t->RowOf(chid);
    auto in_row = AskRow(*t, chid, GetMode::kTouch, asked);
    if (!in_row) continue;
    uint64_t oldest = UINT64_MAX;
    bool held = false;
    auto take = [&](const std::vector<Reply>& replies) {
      for (const Reply& r : replies) {
        auto* g = std::get_if<GetResponse>(&r.msg.body);
        if (!g || g->status != GetStatus::kOk || VdevOf(*t, r.from) < 0) continue;
        held = true;
        oldest = std::min(oldest, g->seq);
      }
    };
    take(*in_row);
    // After a membership change the chunk may still sit only outside its row.
    if (!held && t->generation() > 1)
      take(AskOutsideRow(*t, row, UnnamedGet{chid, GetMode::kTouch, asked}, RepliedAtAll));
    if (held) return oldest;
    if (AllAnswered(*t, t->Row(row), *in_row, RepliedAtAll, false))
      return Status::NotFound("chunk " + chid.ToString() + " is held by no VDEV (collected?)");
  }
  return Status::Unavailable("chunk " + Describe(chid) + " could not be touched: its row did not answer");
}

Result<GcReply> InitiatorImpl::GcCall(const std::string& vdev_address, const Body& request) {
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    Table t = flexhash();
    uint64_t txid = Begin();
    Send(vdev_address, Header{txid, 0, t->generation()}, request);
    auto replies = Wait(txid, options_.ack_timeout_ns, [&](const std::vector<Reply>& rs) {
      for (const Reply& r : rs)
        if (r.from == vdev_address) return true;
      return false;
    });
    End(txid);
    for (const Reply& r : replies) {
      if (auto* reply = std::get_if<GcReply>(&r.msg.body)) return *reply;
      if (auto* mm = std::get_if<GenerationMismatch>(&r.msg.body))
        return Status::Unavailable("VDEV " + vdev_address + " is at FlexHash generation " +
                                   std::to_string(mm->current_generation) + ", not " +
                                   std::to_string(t->generation()) + ": the pass stops");
    }
  }
  return Status::Unavailable("VDEV " + vdev_address + " did not answer the garbage collector");
}

Status InitiatorImpl::GetChunk(const HashId& chid, std::string* out) {
  Count(&InitiatorStats::chunk_gets);
  std::set<std::string> bad;  // VDEVs that served bytes that do not verify, or failed
  bool any_corrupt = false;
  bool asked_outside = false;
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
    const bool all_answered = AllAnswered(*t, members, replies, RepliedAtAll, false);
    if (holders.empty() && all_answered && t->generation() > 1 && !asked_outside) {
      // The row changed since the chunk was stored and healing has not moved it yet.
      asked_outside = true;
      for (const Reply& r : AskOutsideRow(*t, row, UnnamedGet{chid, GetMode::kProbe}, RepliedAtAll)) {
        auto* g = std::get_if<GetResponse>(&r.msg.body);
        if (g && g->status == GetStatus::kOk && !bad.count(r.from) &&
            std::find(holders.begin(), holders.end(), r.from) == holders.end())
          holders.push_back(r.from);
      }
    }
    if (holders.empty()) {
      // Every member answered and none holds a good copy: it is not there.
      if (all_answered) {
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

}  // namespace internal

Result<std::unique_ptr<Initiator>> Initiator::Create(Network* network, const std::string& bind_address,
                                                     const std::string& flexhash_json,
                                                     const InitiatorOptions& options) {
  auto initiator = std::make_unique<internal::InitiatorImpl>(network, options);
  CCOW_RETURN_IF_ERROR(initiator->Init(bind_address, flexhash_json));
  return std::unique_ptr<Initiator>(std::move(initiator));
}

}  // namespace ccow::replicast
