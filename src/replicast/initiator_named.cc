// The initiator's version-list operations: named gets from a row, named puts ordered by
// a per-name sequence (compare-and-swap at the first home replica, "if newer" on the
// others), and name scans merged across every VDEV (docs/ARCHITECTURE.md).
#include "replicast/initiator_impl.h"

namespace ccow::replicast::internal {

namespace {

// The failure domains of some VDEVs of a table, with how many of those VDEVs each holds.
std::map<std::string, size_t> DomainsOf(const FlexHashTable& t, const std::vector<uint32_t>& vdevs) {
  std::map<std::string, size_t> d;
  for (uint32_t v : vdevs) d[DomainOf(t.vdevs()[v], t.failure_domain())]++;
  return d;
}

// Whether answers from the VDEVs for which answered(v) holds, among `members`, are sure to
// include a replica of every acknowledged write of a name stored in rows of `members`. A
// write is acknowledged on R VDEVs; in a row that spans R failure domains or more they are
// in R distinct domains (HomeReplicas). So answers from all but R-1 of the VDEVs meet every
// write set, and, when each row spans R domains, so do answers from every VDEV of all but
// R-1 of the domains: a failure domain down (a server of several VDEVs) costs one domain,
// not as many VDEVs as it holds.
bool SeesEveryWriteSet(const FlexHashTable& t, const std::vector<uint32_t>& members, size_t r,
                       bool rows_span_r_domains, const std::function<bool(uint32_t)>& answered) {
  size_t n = 0;
  std::vector<uint32_t> silent;
  for (uint32_t v : members) {
    if (answered(v)) ++n;
    else silent.push_back(v);
  }
  if (n + r >= members.size() + 1) return true;
  if (!rows_span_r_domains || t.failure_domain() == FailureDomain::kAny) return false;
  const size_t domains = DomainsOf(t, members).size();
  const size_t dark = DomainsOf(t, silent).size();  // domains with a VDEV that did not answer
  return domains >= r && dark + 1 <= r;
}

}  // namespace

size_t InitiatorImpl::RowDomains(const FlexHashTable& t, uint32_t row) {
  if (t.failure_domain() == FailureDomain::kAny) return t.Row(row).size();
  return DomainsOf(t, t.Row(row)).size();
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
    // Enough answers see the newest write (SeesEveryWriteSet).
    const size_t r_count = std::min<size_t>(options_.replication_count, members.size());
    const bool spans = RowDomains(*t, row) >= r_count;
    auto enough = [&](const std::vector<Reply>& rs) {
      return SeesEveryWriteSet(*t, members, r_count, spans,
                               [&](uint32_t v) { return Finished(rs, t->vdevs()[v].address); });
    };
    auto replies = WaitForGroup(txid, *t, members, Finished, Never, enough);
    End(txid);
    if (HandleMismatch(*t, replies)) continue;
    std::set<uint32_t> answered;
    std::optional<NamedValue> newest;
    for (uint32_t v : members) {
      const std::string& from = t->vdevs()[v].address;
      HashId value_chid;
      GetStatus failed = GetStatus::kOk;
      auto value = Assemble(replies, from, &value_chid, &failed);
      if (value && value->ValueChid() == value_chid) {
        answered.insert(v);
        if (!newest || value->seq > newest->seq ||
            (value->seq == newest->seq && value->ValueChid() < newest->ValueChid()))
          newest = std::move(value);
      } else if (failed == GetStatus::kNotFound) {
        answered.insert(v);
      }
    }
    const bool seen_all = SeesEveryWriteSet(*t, members, r_count, spans,
                                            [&](uint32_t v) { return answered.count(v) > 0; });
    if (seen_all && !newest && t->generation() > 1) {
      // Not in the row: it may sit outside it until healing moves it. Found there, it is
      // written to its home replicas first, so that the next compare-and-swap finds it.
      auto outside = AskOutsideRow(*t, row, NamedGet{nhid, name}, Finished);
      for (uint32_t v = 0; v < t->vdevs().size(); ++v) {
        HashId value_chid;
        GetStatus failed = GetStatus::kOk;
        auto value = Assemble(outside, t->vdevs()[v].address, &value_chid, &failed);
        if (value && value->ValueChid() == value_chid && (!newest || value->seq > newest->seq))
          newest = std::move(value);
      }
      if (newest) (void)RepairNamed(name, *newest);
    }
    if (seen_all) return newest;
    last_problem = "only " + std::to_string(answered.size()) + " of the row's " + std::to_string(members.size()) +
                   " VDEVs answered; a read needs all but " + std::to_string(r_count - 1) + " of them" +
                   (spans ? ", or every VDEV of all but " + std::to_string(r_count - 1) + " failure domains" : "");
  }
  return Status::Unavailable("the version list of '" + name + "' could not be read: " + last_problem);
}

namespace {
Status FencedError(const std::string& name) {
  return Status::Fenced("the version list of '" + name + "' was not written: a garbage collection pass began "
                        "after this write's chunks were stored; touch them and retry");
}
}  // namespace

Result<size_t> InitiatorImpl::RepairNamed(const std::string& name, const NamedValue& value) {
  if (value.seq == 0) return Status::InvalidArgument("a stored value has a sequence of 1 or more");
  NamedPutProposal proposal;
  proposal.nhid = NameHashOf(name);
  proposal.name = name;
  proposal.chid = value.ValueChid();
  proposal.size = value.value.size();
  proposal.expected_seq = value.seq - 1;
  proposal.new_seq = value.seq;
  proposal.mode = NamedPutMode::kIfNewer;
  // A copy of what another replica holds: it references nothing the collector has not seen.
  proposal.min_pin_epoch = kNoNewReferences;
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    Table t = flexhash();
    std::vector<uint32_t> home = HomeReplicas(*t, t->RowOf(proposal.nhid));
    auto outcome = NamedPutTo(*t, home, proposal, value.value);
    if (std::any_of(outcome.begin(), outcome.end(), [](auto& o) { return o.second == Outcome::kMismatch; }))
      continue;  // the table was refreshed: again with the new home replicas
    size_t holding = 0;
    for (const auto& [address, o] : outcome)
      holding += o == Outcome::kAcked || o == Outcome::kConflict;  // a conflict: it holds a newer one
    return holding;
  }
  return Status::Unavailable("the version list of '" + name + "' could not be offered: the FlexHash kept changing");
}

std::vector<uint32_t> InitiatorImpl::Spread(const FlexHashTable& t, const std::vector<uint32_t>& candidates,
                                            size_t r_count, bool fill) {
  std::vector<uint32_t> chosen;
  std::set<std::string> domains;
  for (int pass = 0; pass < (fill ? 2 : 1) && chosen.size() < r_count; ++pass) {
    for (uint32_t v : candidates) {
      if (chosen.size() >= r_count) break;
      if (IsSuspect(t.vdevs()[v].id) || std::find(chosen.begin(), chosen.end(), v) != chosen.end()) continue;
      // Distinct failure domains first; the second pass fills from the domains used.
      if (pass == 0 && !domains.insert(DomainOf(t.vdevs()[v], t.failure_domain())).second) continue;
      chosen.push_back(v);
    }
  }
  return chosen;
}

std::vector<uint32_t> InitiatorImpl::HomeReplicas(const FlexHashTable& t, uint32_t row) {
  const size_t r_count = std::min<size_t>(options_.replication_count, t.Row(row).size());
  // A row that spans R failure domains or more takes each write in R distinct ones, never
  // filling from a domain it already uses (reads count on it: SeesEveryWriteSet).
  return Spread(t, t.Row(row), r_count, RowDomains(t, row) < r_count);
}

std::map<std::string, Outcome> InitiatorImpl::NamedPutTo(const FlexHashTable& t,
                                                         const std::vector<uint32_t>& to,
                                                         const NamedPutProposal& proposal,
                                                         const std::string& value) {
  uint64_t txid = Begin();
  const Header h{txid, t.RowOf(proposal.nhid), t.generation()};
  // A value that fits in one message travels in the proposal: each replica judges,
  // stores and acks it at once (no bid, no train). Larger ones follow their bids.
  if (!value.empty() && proposal.name.size() + value.size() + kNamedProposalOverhead <= network_->max_message_bytes()) {
    NamedPutProposal inline_value = proposal;
    inline_value.value = value;
    auto outcome = NamedPutInline(t, h, to, inline_value);
    End(txid);
    return outcome;
  }
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
        outcome[address] = OutcomeOf(nack->reason);
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
    auto sent = TransferTo(t, h, bidders, proposal.chid, value, nullptr, /*named=*/true, 0);
    for (auto& [address, o] : sent) outcome[address] = o;
  }
  End(txid);
  return outcome;
}

std::map<std::string, Outcome> InitiatorImpl::NamedPutInline(const FlexHashTable& t, const Header& h,
                                                             const std::vector<uint32_t>& to,
                                                             const NamedPutProposal& proposal) {
  auto send = [&](const std::vector<uint32_t>& vdevs) {
    for (uint32_t v : vdevs) Send(t.vdevs()[v].address, h, proposal);
  };
  send(to);
  // As for a train: the first wait allows for the replica's fsync, then the proposal is
  // resent once to those that did not answer (a retransmission is acked again).
  std::vector<Reply> replies = AwaitAcks(h.txid, t, to, std::min<uint64_t>(options_.ack_timeout_ns, 200'000'000), send);
  std::map<std::string, Outcome> outcome;
  for (uint32_t v : to) outcome[t.vdevs()[v].address] = Outcome::kFailed;
  for (const Reply& r : replies) {
    if (!outcome.count(r.from) || outcome[r.from] != Outcome::kFailed) continue;
    if (std::holds_alternative<PayloadAck>(r.msg.body)) {
      outcome[r.from] = Outcome::kAcked;
    } else if (auto* nack = std::get_if<PayloadNack>(&r.msg.body)) {
      outcome[r.from] = OutcomeOf(nack->reason);
    } else if (std::holds_alternative<GenerationMismatch>(r.msg.body)) {
      outcome[r.from] = Outcome::kMismatch;
    }
  }
  (void)HandleMismatch(t, replies);
  UpdateSuspects(t, to, replies, Settled);
  return outcome;
}

Status InitiatorImpl::PutNamed(const std::string& name, uint64_t expected_seq, uint64_t new_seq,
                               const std::string& value, uint64_t min_pin_epoch) {
  NamedPutProposal proposal;
  proposal.nhid = NameHashOf(name);
  proposal.name = name;
  proposal.chid = NamedValue{new_seq, value}.ValueChid();
  proposal.size = value.size();
  proposal.expected_seq = expected_seq;
  proposal.new_seq = new_seq;
  proposal.min_pin_epoch = min_pin_epoch;
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
      // Now, not a nanosecond later: on the simulation's clock the next attempt runs at
      // this same instant and would still skip them, failing every attempt.
      std::lock_guard lock(suspects_mu_);
      for (auto& [id, until] : suspects_) until = std::min(until, network_->NowNs());
      continue;
    }
    // The first home replica serializes writers of the name (compare-and-swap)...
    proposal.mode = NamedPutMode::kCompareAndSwap;
    auto first = NamedPutTo(*t, {home[0]}, proposal, value);
    Outcome o = first[t->vdevs()[home[0]].address];
    if (o == Outcome::kConflict) return Status::Conflict("version list of '" + name + "' changed concurrently");
    if (o == Outcome::kNoSpace) return Status::NoSpace("VDEV " + t->vdevs()[home[0]].id + " is full");
    if (o == Outcome::kFenced) return FencedError(name);
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
      else if (r == Outcome::kFenced)
        return FencedError(name);
      else if (r == Outcome::kFailed) MarkSuspect(t->vdevs()[v].id);
    }
    if (acked >= r_count) return Status::OK();
    last_problem = std::to_string(acked) + " of " + std::to_string(r_count) + " replicas acknowledged";
  }
  return Status::Unavailable("the version list of '" + name + "' could not be written: " + last_problem);
}

Result<std::optional<NamedValue>> InitiatorImpl::GetNamedAt(const FlexHashTable& t, const std::string& address,
                                                            const std::string& name) {
  const HashId nhid = NameHashOf(name);
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    uint64_t txid = Begin();
    Send(address, Header{txid, t.RowOf(nhid), t.generation()}, NamedGet{nhid, name});
    auto replies = Wait(txid, options_.reply_timeout_ns,
                        [&](const std::vector<Reply>& rs) { return Finished(rs, address); });
    End(txid);
    HashId value_chid;
    GetStatus failed = GetStatus::kOk;
    auto value = Assemble(replies, address, &value_chid, &failed);
    if (value && value->ValueChid() == value_chid) return std::optional<NamedValue>(std::move(*value));
    if (failed == GetStatus::kNotFound) return std::optional<NamedValue>();
  }
  return Status::Unavailable("VDEV " + address + " did not return the version list of '" + name + "'");
}

Status InitiatorImpl::ScanNamed(const std::string& prefix, const std::string& start_after,
                                const std::function<bool(const std::string&, const NamedValue&)>& fn,
                                ScanCopies copies) {
  const bool every_copy = copies == ScanCopies::kEveryCopy;
  std::string cursor = start_after;
  uint32_t failures = 0;
  while (true) {
    Table t = flexhash();
    std::vector<uint32_t> all(t->vdevs().size());
    for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
    uint64_t txid = Begin();
    Header h{txid, 0, t->generation()};
    for (uint32_t v : all) Send(t->vdevs()[v].address, h, NameScan{prefix, cursor, 256});
    // Every name is on R VDEVs: answers that meet every write set cover every name (all
    // of them for every copy).
    const size_t r_count = every_copy ? 1 : std::min<size_t>(options_.replication_count, all.size());
    bool spans = true;
    for (uint32_t row = 0; row < t->row_count() && spans; ++row) spans = RowDomains(*t, row) >= r_count;
    auto covered = [&](const std::set<std::string>& from) {
      return SeesEveryWriteSet(*t, all, r_count, spans,
                               [&](uint32_t v) { return from.count(t->vdevs()[v].address) > 0; });
    };
    auto enough = [&](const std::vector<Reply>& rs) {
      std::set<std::string> from;
      for (const Reply& r : rs)
        if (std::holds_alternative<NameScanResponse>(r.msg.body)) from.insert(r.from);
      return covered(from);
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
    std::set<std::string> answered;
    for (const auto& [from, s] : answers) answered.insert(from);
    if (!covered(answered)) {
      if (++failures >= options_.attempts)
        return Status::Unavailable("listing needs all but " + std::to_string(r_count - 1) + " of the " +
                                   std::to_string(all.size()) + " VDEVs to answer" +
                                   (spans ? " (or every VDEV of all but " + std::to_string(r_count - 1) +
                                                " failure domains)"
                                          : "") +
                                   "; " + std::to_string(answers.size()) + " did");
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
    if (every_copy) {
      // Each distinct value of each name, from whichever VDEVs hold it.
      std::map<std::string, std::map<uint64_t, std::pair<const NameScanEntry*, std::string>>> copies_of;
      for (const auto& [from, s] : answers)
        for (const NameScanEntry& e : s->entries) copies_of[e.name].emplace(e.seq, std::make_pair(&e, from));
      for (const auto& [name, by_seq] : copies_of) {
        if (frontier && name > *frontier) break;
        for (const auto& [seq, entry] : by_seq) {
          NamedValue v{seq, entry.first->value};
          if (!entry.first->has_value) {
            CCOW_ASSIGN_OR_RETURN(auto fetched, GetNamedAt(*t, entry.second, name));
            if (!fetched) continue;
            v = std::move(*fetched);
          }
          if (v.is_tombstone()) continue;
          if (!fn(name, v)) return Status::OK();
        }
      }
      merged.clear();
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

}  // namespace ccow::replicast::internal
