// The initiator's directed puts: a chunk placed on chosen VDEVs of its row (PutChunkTo, an
// erasure-coded fragment's keeper), and a small chunk sent straight to R VDEVs of its row
// without negotiation (PutDirect).
#include "replicast/initiator_impl.h"

namespace ccow::replicast::internal {

Status InitiatorImpl::PutNewChunk(const HashId& chid, std::string_view bytes, uint32_t replication_count,
                                  uint64_t* pin_epoch, std::vector<DeferredHolder>* deferred) {
  const uint32_t asked = replication_count ? replication_count : options_.replication_count;
  if (asked >= 1 && asked <= 255 && !bytes.empty() && bytes.size() <= options_.direct_put_max_bytes &&
      bytes.size() + kTrainOverhead <= network_->max_message_bytes()) {
    uint64_t oldest_pin = UINT64_MAX;
    if (PutDirect(chid, bytes, static_cast<uint8_t>(asked), &oldest_pin, deferred)) {
      Count(&InitiatorStats::chunk_puts);
      Count(&InitiatorStats::chunk_puts_direct);
      if (pin_epoch) *pin_epoch = oldest_pin;
      return Status::OK();
    }
  }
  // The negotiation finds the replicas that acked a partial direct put as holders.
  bool stored_new = false;
  return PutChunk(chid, bytes, &stored_new, replication_count, pin_epoch, deferred);
}

bool InitiatorImpl::PutDirect(const HashId& chid, std::string_view bytes, uint8_t replication_count,
                              uint64_t* pin_epoch, std::vector<DeferredHolder>* deferred) {
  // Why no negotiation: for a chunk this small the bids cost as much as the transfer (one
  // message each way per VDEV) and there is no rendezvous to plan; a 4 KiB put's version
  // manifest is one. A VDEV holding the chunk already acks without storing it again.
  Table t = flexhash();
  const uint32_t row = t->RowOf(chid);
  const auto& members = t->Row(row);
  const size_t r_count = std::min<size_t>(replication_count, members.size());
  std::vector<uint32_t> ranked(members.begin(), members.end());
  std::sort(ranked.begin(), ranked.end(), [&](uint32_t a, uint32_t b) { return RankOf(chid, a) < RankOf(chid, b); });
  const std::vector<uint32_t> chosen = Spread(*t, ranked, r_count, /*fill=*/false);
  // A row without R domains free of suspects: the negotiation reports what is missing.
  if (chosen.size() < r_count) return false;
  const uint64_t txid = Begin();
  const Header h{txid, row, t->generation()};
  uint64_t oldest_pin = UINT64_MAX;
  std::vector<DeferredHolder> unsynced;
  auto outcome = TransferTo(*t, h, chosen, chid, bytes, &oldest_pin, /*named=*/false, replication_count,
                            deferred ? &unsynced : nullptr, /*patient=*/false);
  End(txid);
  size_t acked = 0;
  for (uint32_t v : chosen) {
    const Outcome o = outcome[t->vdevs()[v].address];
    if (o == Outcome::kAcked) ++acked;
    else if (o == Outcome::kFailed) MarkSuspect(t->vdevs()[v].id);
  }
  // Acked ones hold it durably (or, deferred, until their sync): the negotiation that
  // follows a partial direct put finds them as holders and reports them itself.
  if (acked < chosen.size()) return false;
  *pin_epoch = std::min(*pin_epoch, oldest_pin);
  if (deferred) deferred->insert(deferred->end(), unsynced.begin(), unsynced.end());
  return true;
}

Status InitiatorImpl::PutChunkTo(const HashId& chid, std::string_view bytes, const std::vector<std::string>& vdev_ids,
                                 uint32_t replication_count, uint64_t* pin_epoch) {
  const uint32_t asked = replication_count ? replication_count : options_.replication_count;
  if (asked < 1 || asked > 255)
    return Status::InvalidArgument("replication count " + std::to_string(asked) + " is outside 1..255");
  if (vdev_ids.empty()) return Status::InvalidArgument("a directed put of chunk " + Describe(chid) + " names no VDEV");
  Count(&InitiatorStats::chunk_puts);
  std::set<std::string> held;  // the named VDEVs holding it durably: answered "stored", or acked
  std::map<std::string, std::string> why;  // the others: what stopped them last
  uint64_t oldest_pin = UINT64_MAX;
  bool transferred = false;
  for (uint32_t attempt = 0; attempt < options_.attempts; ++attempt) {
    if (attempt > 0) Count(&InitiatorStats::retries);
    Table t = flexhash();
    const uint32_t row = t->RowOf(chid);
    const auto& members = t->Row(row);
    std::vector<uint32_t> wanted;
    for (const std::string& id : vdev_ids) {
      auto at = std::find_if(members.begin(), members.end(), [&](uint32_t v) { return t->vdevs()[v].id == id; });
      if (at == members.end()) {
        std::string row_ids;
        for (uint32_t v : members) row_ids += (row_ids.empty() ? "" : ", ") + t->vdevs()[v].id;
        return Status::InvalidArgument("VDEV " + id + " is not in row " + std::to_string(row) + " of chunk " +
                                       chid.ToString() + " (FlexHash generation " + std::to_string(t->generation()) +
                                       ": " + row_ids + "), so it cannot be placed there");
      }
      if (!held.count(id) && std::find(wanted.begin(), wanted.end(), *at) == wanted.end()) wanted.push_back(*at);
    }
    if (wanted.empty()) break;
    const uint64_t txid = Begin();
    const Header h{txid, row, t->generation()};
    // The proposal goes to the named VDEVs only (never to the row's group): the others must
    // neither bid nor record anything.
    for (uint32_t v : wanted) Send(t->vdevs()[v].address, h, UnnamedPutProposal{chid, bytes.size(), static_cast<uint8_t>(asked)});
    auto replies = WaitForGroup(txid, *t, wanted, RepliedAtAll, Never, Never);
    if (HandleMismatch(*t, replies)) {
      End(txid);
      continue;
    }
    std::vector<uint32_t> chosen;
    uint64_t start_delay = 0;
    uint32_t retry_after_ms = 0;
    for (uint32_t v : wanted) why[t->vdevs()[v].id] = "did not answer";
    for (const Reply& r : replies) {
      const int v = VdevOf(*t, r.from);
      if (v < 0 || std::find(wanted.begin(), wanted.end(), uint32_t(v)) == wanted.end()) continue;
      const std::string& id = t->vdevs()[v].id;
      if (auto* stored = std::get_if<AcceptContentStored>(&r.msg.body)) {
        held.insert(id);
        oldest_pin = std::min(oldest_pin, stored->pin_epoch);
      } else if (auto* bid = std::get_if<Bid>(&r.msg.body)) {
        if (std::find(chosen.begin(), chosen.end(), uint32_t(v)) == chosen.end()) chosen.push_back(v);
        start_delay = std::max(start_delay, bid->start_delay_ns);
      } else if (auto* nn = std::get_if<AcceptNotNow>(&r.msg.body)) {
        retry_after_ms = std::max(retry_after_ms, nn->retry_after_ms);
        why[id] = "busy";
      } else if (auto* nack = std::get_if<PayloadNack>(&r.msg.body)) {
        why[id] = nack->reason == NackReason::kNoSpace ? "full" : "refused";
      }
    }
    // A VDEV that answered both ways (a duplicated proposal) holds it: send nothing there.
    std::erase_if(chosen, [&](uint32_t v) { return held.count(t->vdevs()[v].id) > 0; });
    if (!chosen.empty()) {
      if (start_delay > 0) network_->SleepFor(std::min(start_delay, options_.max_rendezvous_wait_ns));
      auto outcome =
          TransferTo(*t, h, chosen, chid, bytes, &oldest_pin, /*named=*/false, static_cast<uint8_t>(asked));
      transferred = true;
      for (uint32_t v : chosen) {
        const std::string& id = t->vdevs()[v].id;
        const Outcome o = outcome[t->vdevs()[v].address];
        if (o == Outcome::kAcked) {
          held.insert(id);
        } else {
          why[id] = o == Outcome::kNoSpace ? "full" : "did not acknowledge the transfer";
          MarkSuspect(id);
        }
      }
    }
    End(txid);
    if (retry_after_ms && held.size() < vdev_ids.size()) network_->SleepFor(uint64_t{retry_after_ms} * 1'000'000);
  }
  std::string missing;
  bool full = false;
  std::set<std::string> reported;
  for (const std::string& id : vdev_ids) {
    if (held.count(id) || !reported.insert(id).second) continue;
    const std::string reason = why.count(id) ? why[id] : "the FlexHash kept changing";
    full |= reason == "full";
    missing += (missing.empty() ? "" : "; ") + ("VDEV " + id + " " + reason);
  }
  if (missing.empty()) {
    if (!transferred) Count(&InitiatorStats::chunk_puts_deduplicated);
    if (pin_epoch) *pin_epoch = oldest_pin;
    return Status::OK();
  }
  std::string message = "chunk " + Describe(chid) + " could not be stored on the VDEVs named after " +
                        std::to_string(options_.attempts) + " attempts: " + missing;
  return full ? Status::NoSpace(message) : Status::Unavailable(message);
}

}  // namespace ccow::replicast::internal
