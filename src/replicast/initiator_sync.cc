// The initiator's deferred sync (replicast protocol 7): a write's chunks taken without an
// fdatasync are made durable with one sync request per VDEV before its commit.
#include "replicast/initiator_impl.h"

namespace ccow::replicast::internal {

Status InitiatorImpl::SyncDeferred(const std::vector<DeferredHolder>& holders) {
  std::map<std::string, uint64_t> pending;  // address -> incarnation
  for (const DeferredHolder& d : holders) {
    auto [it, added] = pending.emplace(d.address, d.incarnation);
    if (!added && it->second != d.incarnation)
      return Status::Unavailable("VDEV " + d.address + " restarted while this write put chunks there: those it "
                                 "had not synced may be lost; retry the write");
  }
  std::string last_problem = "no attempt made";
  for (uint32_t attempt = 0; attempt < options_.attempts && !pending.empty(); ++attempt) {
    if (attempt > 0) Count(&InitiatorStats::retries);
    Table t = flexhash();
    std::vector<uint32_t> to;
    for (const auto& [address, incarnation] : pending) {
      int v = VdevOf(*t, address);
      if (v < 0)
        return Status::Unavailable("VDEV " + address + " left the FlexHash table before the chunks this write "
                                   "put there were durable; retry the write");
      to.push_back(static_cast<uint32_t>(v));
    }
    const uint64_t txid = Begin();
    const Header h{txid, 0, t->generation()};
    auto send = [&](const std::vector<uint32_t>& vdevs) {
      for (uint32_t v : vdevs) Send(t->vdevs()[v].address, h, SyncRequest{pending[t->vdevs()[v].address]});
    };
    send(to);
    auto replies = AwaitAcks(txid, *t, to, std::min<uint64_t>(options_.ack_timeout_ns, 200'000'000), send);
    End(txid);
    if (HandleMismatch(*t, replies)) {
      last_problem = "FlexHash generation changed";
      continue;
    }
    for (const Reply& r : replies) {
      if (!pending.count(r.from)) continue;
      auto* reply = std::get_if<SyncReply>(&r.msg.body);
      if (!reply) continue;
      const std::string id = t->vdevs()[VdevOf(*t, r.from)].id;
      switch (reply->status) {
        case SyncStatus::kOk: pending.erase(r.from); break;
        case SyncStatus::kRestarted:
          return Status::Unavailable("VDEV " + id + " restarted before the chunks this write put there were "
                                     "durable (they may be lost); retry the write");
        case SyncStatus::kNoSpace:
          return Status::NoSpace("VDEV " + id + " is full: the chunks this write put there could not be synced");
        case SyncStatus::kFailed:
          return Status::Unavailable("VDEV " + id + " failed to sync the chunks this write put there");
      }
    }
    for (uint32_t v : to)
      if (pending.count(t->vdevs()[v].address)) MarkSuspect(t->vdevs()[v].id);
    last_problem = std::to_string(pending.size()) + " of " + std::to_string(to.size()) + " VDEVs did not confirm";
  }
  if (pending.empty()) return Status::OK();
  return Status::Unavailable("the chunks of this write could not be made durable: " + last_problem +
                             "; retry the write");
}

}  // namespace ccow::replicast::internal
